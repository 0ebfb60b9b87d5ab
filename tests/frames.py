"""Helpers over synthetic scored-lead frames, shared by the grid and trade-off tests."""

from __future__ import annotations

import pandas as pd


def select(leads: pd.DataFrame, months: list | None, segment: str | None) -> pd.DataFrame:
    """The leads of the given months (all when None) and segment (all when None)."""
    keep = pd.Series(True, index=leads.index)
    if months is not None:
        keep &= leads["month"].isin(pd.to_datetime(months))
    if segment is not None:
        keep &= leads["segment"] == segment
    return leads[keep]


def same_counts(a, b) -> None:
    """Two count grids give identical cubes: every array, for whole history and the latest
    months, all segments and each one."""
    import numpy as np

    assert (a.months, a.segments, a.leads) == (b.months, b.segments, b.leads)
    windows = [None, list(a.months[-3:]), list(a.months[:2])]
    for months in windows:
        for segment in [None, *a.segments]:
            x, y = a.cube(months, segment), b.cube(months, segment)
            for name in ("cells", "above", "totals", "total_above", "qualified",
                         "disqualified", "scored"):
                np.testing.assert_array_equal(getattr(x, name), getattr(y, name),
                                              err_msg=f"{name} {months} {segment}")
            assert (x.won_amount, x.won_with_amount, x.months, x.month_list) == (
                y.won_amount, y.won_with_amount, y.months, y.month_list)

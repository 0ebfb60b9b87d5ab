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

"""The count grid as the Thresholds screen draws it: the A1–D4 cells (profile grade by
behavior level) and the leads by points on one axis, by outcome."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from calibrate.decide.grid import DISQUALIFIED, NONE, OUTCOMES, POINTS, QUALIFIED, WON, Cube
from calibrate.decide.tradeoff import rate
from calibrate.model.points import GRADE_LETTERS, band_floors


def rule_classes(include_rules: bool) -> list[int]:
    return [NONE, QUALIFIED, DISQUALIFIED] if include_rules else [NONE]


def heatmap(cube: Cube, bands: int = 4, include_rules: bool = False,
            months: float | None = None) -> pd.DataFrame:
    """Leads, closed, wins and win rate per cell A1..D4 (profile grade x behavior level).

    By default only leads no rule touched (their score decides); ``include_rules`` adds the
    auto-qualified and auto-disqualified leads at their points. Rows run A1, A2, ... D4;
    columns: cell, grade, level, profile_min, profile_max, behavior_min, behavior_max,
    leads, leads_per_month (leads over ``months``, default the cube's, as the headline
    figures divide them), closed, wins, win_rate.
    """
    per = float(months) if months is not None and months > 0 else float(cube.months)
    floors = band_floors(bands)
    tops = [100] + [f - 1 for f in floors[:-1]]
    cells = cube.cells[rule_classes(include_rules)].sum(axis=0)
    records = []
    for g, (plo, phi) in enumerate(zip(floors, tops, strict=True)):
        for lv, (blo, bhi) in enumerate(zip(floors, tops, strict=True)):
            c = cells[plo:phi + 1, blo:bhi + 1].sum(axis=(0, 1)).tolist()
            closed = c[0] + c[1] + c[2]
            records.append({
                "cell": f"{GRADE_LETTERS[g]}{lv + 1}", "grade": GRADE_LETTERS[g], "level": lv + 1,
                "profile_min": plo, "profile_max": phi, "behavior_min": blo,
                "behavior_max": bhi, "leads": sum(c), "leads_per_month": sum(c) / per,
                "closed": closed, "wins": c[WON],
                "win_rate": rate(c[WON], closed),
            })
    return pd.DataFrame.from_records(records)


def score_distribution(
    cube: Cube, axis: Literal["profile", "behavior", "total"], include_rules: bool = False
) -> pd.DataFrame:
    """Leads by points (0..100) and outcome on one axis, for histograms.

    Columns: points, won, lost, no_decision, open, leads, closed, win_rate. By default only
    leads no rule touched; ``include_rules`` counts every lead.
    """
    k = rule_classes(include_rules)
    if axis == "profile":
        counts = cube.cells[k].sum(axis=(0, 2))
    elif axis == "behavior":
        counts = cube.cells[k].sum(axis=(0, 1))
    elif axis == "total":
        counts = cube.totals[k].sum(axis=0)
    else:
        raise ValueError(f"unknown axis {axis!r}: use profile, behavior or total")
    frame = pd.DataFrame(counts, columns=list(OUTCOMES))
    frame.insert(0, "points", np.arange(POINTS))
    frame["leads"] = counts.sum(axis=1)
    frame["closed"] = counts[:, :3].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["win_rate"] = np.where(frame["closed"] > 0, frame["won"] / frame["closed"], np.nan)
    return frame

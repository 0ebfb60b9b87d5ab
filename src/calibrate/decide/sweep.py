"""Many candidate thresholds at once: the volume-against-conversion curve and its Pareto
front, the same arithmetic as :func:`calibrate.decide.tradeoff.figures` vectorised over
the cube's suffix sums (a whole sweep costs about what one figure does in Python)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate.decide.grid import POINTS, WON, Cube
from calibrate.decide.tradeoff import (
    Axis,
    Settings,
    clamp_points,
    months_of,
    wilson_arrays,
)


def sweep(cube: Cube, settings: Settings, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Core figures for many candidate thresholds at once; ``rows[..., o]`` are the scored
    leads above each candidate bar. Same arithmetic, in the same order, as :func:`figures`.
    """
    mql = rows + cube.qualified
    won = mql[..., WON]
    closed = mql[..., 0] + mql[..., 1] + mql[..., 2]
    mqls = closed + mql[..., 3]
    months = months_of(cube, settings)
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = np.where(closed > 0, won / np.where(closed > 0, closed, 1), np.nan)
    mqls_pm = mqls / months
    low, high = wilson_arrays(won, closed)
    return {
        "mqls": mqls, "mqls_per_month": mqls_pm, "closed": closed, "wins": won,
        "conversion": conversion, "conversion_low": low, "conversion_high": high,
        "wins_per_month": conversion * mqls_pm,
    }


def lattice(step: int) -> np.ndarray:
    if step < 1:
        raise ValueError("step must be at least 1")
    return np.arange(0, POINTS, step)


def pareto_front(volume: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats on both volume and quality (NaN quality
    excluded; of exact duplicates one is kept), ordered by volume descending."""
    idx = np.flatnonzero(~np.isnan(quality))
    order = idx[np.lexsort((-quality[idx], -volume[idx]))]
    q = quality[order]
    best_before = np.concatenate(([-np.inf], np.maximum.accumulate(q)[:-1]))
    return order[q > best_before]


def tradeoff_curve(
    cube: Cube,
    settings: Settings,
    axis: Axis = "both",
    step: int | None = None,
    frontier: bool = True,
) -> pd.DataFrame:
    """Volume against conversion as thresholds move.

    - 'profile' / 'behavior': sweep that threshold (0..100 by ``step``, default 1), the other
      fixed at its setting.
    - 'total': sweep min_total.
    - 'both': every (min_profile, min_behavior) pair on a lattice (``step`` default 5), then
      (``frontier=True``) only the Pareto frontier: pairs no other pair beats on both MQLs a
      month and conversion, sorted by volume.

    Columns: min_profile, min_behavior, min_total (the unused ones hold the settings'
    values), mqls, mqls_per_month, closed, wins, conversion, conversion_low,
    conversion_high, wins_per_month.
    """
    if axis == "both":
        lat = lattice(step or 5)
        pp, bb = np.meshgrid(lat, lat, indexing="ij")
        pp, bb = pp.ravel(), bb.ravel()
        tt = np.full(pp.shape, int(settings.min_total))
        rows = cube.above[pp, bb]
    elif axis in ("profile", "behavior"):
        lat = lattice(step or 1)
        fixed_p = np.full(lat.shape, clamp_points(settings.min_profile))
        fixed_b = np.full(lat.shape, clamp_points(settings.min_behavior))
        pp, bb = (lat, fixed_b) if axis == "profile" else (fixed_p, lat)
        tt = np.full(lat.shape, int(settings.min_total))
        rows = cube.above[pp, bb]
    elif axis == "total":
        tt = lattice(step or 1)
        pp = np.full(tt.shape, int(settings.min_profile))
        bb = np.full(tt.shape, int(settings.min_behavior))
        rows = cube.total_above[tt]
    else:
        raise ValueError(f"unknown axis {axis!r}: use both, profile, behavior or total")
    m = sweep(cube, settings, rows)
    frame = pd.DataFrame({"min_profile": pp, "min_behavior": bb, "min_total": tt, **m})
    if axis == "both" and frontier:
        keep = pareto_front(m["mqls_per_month"], m["conversion"])
        frame = frame.iloc[keep].reset_index(drop=True)
    return frame

"""Each level's 95% interval in points: what a workshop can read, instead of log-odds.

The fit gives every level a coefficient and a 95% interval (``ci_low``, ``ci_high`` in the
points table, both shrunk like the coefficient). :func:`~calibrate.model.points.points_table`
turns a coefficient into points per attribute as ``round((coefficient - lowest) / span *
top)``, where ``lowest`` and ``span`` are the lowest coefficient of the attribute and the
gap to its highest, and ``top`` is the attribute's most points. The two ends of the
interval go through the same map, clipped to 0..top (no level scores below 0 or above its
attribute's most) and rounded half up as the points are. ``top`` is read from the table
itself: the level with the highest coefficient gets exactly ``top`` suggested points.

The scale is that of the suggestion (``suggested_points``): the interval says how sure the
data is about the suggestion, whatever a workshop made of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate.model.points import round_half_up

__all__ = ["interval_points", "interval_text", "with_intervals"]


def interval_points(table: pd.DataFrame) -> pd.DataFrame:
    """``points_low`` and ``points_high`` per row of a points table (nullable integers,
    missing where the row has no coefficient or interval), on the suggestion's scale.

    A flat attribute (every level the same coefficient: span 0) gives no points, so its
    interval is 0 to 0.
    """
    coef = pd.to_numeric(table["coefficient"], errors="coerce").astype(float)
    by_attribute = coef.groupby(table["attribute"], sort=False)
    low = by_attribute.transform("min").to_numpy(dtype=float)
    span = by_attribute.transform("max").to_numpy(dtype=float) - low
    top = (pd.to_numeric(table["suggested_points"], errors="coerce").astype(float)
           .groupby(table["attribute"], sort=False).transform("max").to_numpy(dtype=float))
    flat = ~(span > 0)  # NaN spans (no coefficients) are dealt with below
    safe_span = np.where(flat, 1.0, span)
    out = {}
    for end, column in (("points_low", "ci_low"), ("points_high", "ci_high")):
        ci = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        scaled = np.clip((ci - low) / safe_span * top, 0.0, top)
        scaled = np.where(flat, 0.0, scaled)
        missing = np.isnan(ci) | np.isnan(coef.to_numpy()) | np.isnan(top) | np.isnan(span)
        values = round_half_up(np.where(missing, 0.0, scaled))
        out[end] = pd.array(np.where(missing, None, values), dtype="Int64")
    return pd.DataFrame(out, index=table.index)


def with_intervals(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of a points table with :func:`interval_points`' two columns added."""
    return pd.concat([table, interval_points(table)], axis=1)


def interval_text(low: object, high: object) -> str:
    """"12 and 30 points", to read after "could be between"; a dash when unknown."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):  # type: ignore[arg-type]
        return "–"
    return f"{int(low)} and {int(high)} points"  # type: ignore[call-overload]

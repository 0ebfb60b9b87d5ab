"""Readable cut points for numeric bins: data quantiles (exact from a value histogram, as
DuckDB computes them) rounded to numbers a person can type into a marketing-automation rule."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

__all__ = ["candidate_cuts", "quantile_disc", "readable"]

_MANTISSAS = (1.0, 2.0, 2.5, 5.0)


def _clean(value: float) -> float:
    """Strip binary noise (0.30000000000000004 -> 0.3)."""
    return float(f"{value:.12g}")


def readable(q: float, tol: float, integer: bool) -> float:
    """The coarsest round number within ``tol`` of ``q`` (multiples of 1, 2, 2.5, 5 x 10^k).

    Whole numbers only when ``integer``. Returns ``q`` itself when nothing is close enough.
    """
    best = q
    if tol <= 0 or not math.isfinite(q):
        return best
    top = int(math.floor(math.log10(max(abs(q), tol)))) + 1
    for k in range(top - 12, top + 1):
        for m in _MANTISSAS:
            unit = m * 10.0**k
            if integer and (unit < 1 or not float(unit).is_integer()):
                continue
            r = _clean(round(q / unit) * unit)
            if abs(r - q) <= tol * (1 + 1e-12):
                best = r
    return best


def candidate_cuts(quantiles: Sequence[float], lo: float, hi: float, integer: bool
                   ) -> list[float]:
    """Readable cut points from data quantiles: each rounded within half the gap to its
    neighbours; counts cut just above a round number (so 5 closes "3-5")."""
    qs = sorted({float(q) for q in quantiles if q is not None and math.isfinite(q)})
    cuts = set()
    for i, q in enumerate(qs):
        left = q - (qs[i - 1] if i > 0 else lo)
        right = (qs[i + 1] if i + 1 < len(qs) else hi) - q
        gaps = [g for g in (left, right) if g > 0]
        tol = 0.5 * min(gaps) if gaps else 0.0
        if integer:
            cut = float(math.floor(readable(q, tol, True))) + 1
        else:
            cut = readable(q, tol, False)
        if lo < cut <= hi:
            cuts.add(_clean(cut))
    return sorted(cuts)


def quantile_disc(values: np.ndarray, counts: np.ndarray, qs: Sequence[float]) -> list[float]:
    """DuckDB's ``quantile_disc`` from a value histogram (``values`` sorted): the value at
    0-based position ``ceil(n * q) - 1``, computed exactly as DuckDB does for decimal ``q``."""
    ends = np.cumsum(counts)
    n = int(ends[-1])
    positions = [max(math.ceil(n * Fraction(str(q))) - 1, 0) for q in qs]
    return [float(values[i]) for i in np.searchsorted(ends, positions, side="right")]

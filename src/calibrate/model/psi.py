"""The population stability index (PSI): how far one period's mix moved from a reference's.

For bins ``i`` with reference shares ``e_i`` and a period's shares ``a_i``::

    PSI = sum_i (a_i - e_i) * ln(a_i / e_i)

Conventionally below 0.1 is ``stable``, from 0.1 ``watch`` and from 0.25 ``shifted``.

**The small-count guard.** An empty bin makes ``ln(a / e)`` infinite. Shares are smoothed
by adding :data:`SMOOTHING` (half a lead, the Jeffreys prior) to every bin's count:
``(n_i + 0.5) / (n + 0.5 k)``. A fixed epsilon in place of a zero share (0.0001, as often
done) lets one empty level in a month of 40 leads add ``share * ln(share / 0.0001)``, about
0.4 for a 5% level, so a tiny month reads "shifted" by accident; half a lead instead weighs
in proportion to the month's size and fades as the counts grow.

**How many leads.** Sampling noise alone gives a PSI above zero: for ``n`` leads drawn from
the reference mix over ``k`` bins (the reference much larger), ``n * PSI`` is about
chi-square with ``k - 1`` degrees of freedom. :data:`MIN_LEADS` is the size below which a
month's PSI can read "watch" by chance.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

#: PSI from which a distribution is worth watching (conventional).
WATCH = 0.1
#: PSI from which a distribution has shifted (conventional).
SHIFTED = 0.25
#: The flags, in order: below :data:`WATCH`, below :data:`SHIFTED`, from it.
FLAGS = ("stable", "watch", "shifted")
#: Leads added to every bin before taking shares (the small-count guard; module docs).
SMOOTHING = 0.5
#: Fewest leads in a month for its PSI to mean something. Why 300: with ``n`` leads drawn
#: from the reference's own mix, ``n * PSI`` is about chi-square with ``k - 1`` degrees of
#: freedom (``k`` bins). For a score's 10 bands the 99th percentile of chi-square(9) is 21.7,
#: so noise alone passes the 0.1 "watch" line in one month out of a hundred at 217 leads;
#: for an attribute of 15 levels, chi-square(14)'s 29.1 needs 291. Below 300 leads a month,
#: "watch" may be chance; such months are marked (``enough`` False), not dropped.
MIN_LEADS = 300
#: Bands of a score: the deciles of the reference period.
SCORE_BANDS = 10


def _shares(counts: np.ndarray, smoothing: float) -> np.ndarray:
    c = np.asarray(counts, dtype=float) + smoothing
    total = c.sum()
    return c / total if total > 0 else np.full_like(c, np.nan)


def psi_terms(expected: Sequence[float] | np.ndarray, actual: Sequence[float] | np.ndarray,
              smoothing: float = SMOOTHING) -> np.ndarray:
    """Each bin's term ``(a - e) * ln(a / e)`` of the PSI, from counts (not shares) of the
    reference (``expected``) and of the period compared (``actual``), each smoothed by
    ``smoothing`` leads per bin. With no smoothing, a bin empty on one side only is infinite
    and a bin empty on both sides adds 0."""
    e_counts = np.asarray(expected, dtype=float)
    a_counts = np.asarray(actual, dtype=float)
    if e_counts.shape != a_counts.shape or e_counts.ndim != 1:
        raise ValueError("expected and actual must be counts over the same bins")
    if smoothing < 0 or (e_counts < 0).any() or (a_counts < 0).any():
        raise ValueError("counts and smoothing must not be negative")
    e = _shares(e_counts, smoothing)
    a = _shares(a_counts, smoothing)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (a - e) * np.log(a / e)
    both_empty = (a == 0) & (e == 0)
    terms[both_empty] = 0.0
    one_empty = (a == 0) ^ (e == 0)
    terms[one_empty] = np.inf
    return terms


def psi(expected: Sequence[float] | np.ndarray, actual: Sequence[float] | np.ndarray,
        smoothing: float = SMOOTHING) -> float:
    """The population stability index of ``actual`` counts against ``expected`` counts
    over the same bins (module docs: the formula and the small-count guard)."""
    return float(psi_terms(expected, actual, smoothing).sum())


def flag(value: float) -> str:
    """``stable`` below 0.1, ``watch`` from 0.1, ``shifted`` from 0.25 (``""`` for NaN)."""
    if value is None or math.isnan(value):
        return ""
    return FLAGS[0] if value < WATCH else FLAGS[1] if value < SHIFTED else FLAGS[2]


def score_cuts(values: Sequence[int] | np.ndarray, counts: Sequence[float] | np.ndarray,
               bands: int = SCORE_BANDS) -> np.ndarray:
    """The upper bounds (included) of a score's bands: the ``bands``-quantiles of the
    reference's scores (``counts`` leads at each of ``values``), ties merged. A score is in
    band ``j`` = how many cuts lie below it, so band 0 runs up to the first cut and the last
    band from just above the last cut."""
    v = np.asarray(values, dtype=float)
    c = np.asarray(counts, dtype=float)
    order = np.argsort(v)
    v, c = v[order], c[order]
    total = c.sum()
    if total <= 0:
        return np.array([], dtype=float)
    cdf = np.cumsum(c) / total
    qs = np.arange(1, bands) / bands
    cuts = v[np.minimum(np.searchsorted(cdf, qs - 1e-12, side="left"), len(v) - 1)]
    return np.unique(cuts[cuts < v[c > 0].max()])


def band_labels(cuts: np.ndarray) -> list[str]:
    """Each band's label, as a person reads it: "≤ 12", "13-20", "41+"."""
    if len(cuts) == 0:
        return ["all"]
    c = [int(x) for x in cuts]
    labels = [f"≤ {c[0]}"]
    labels += [str(lo + 1) if hi == lo + 1 else f"{lo + 1}-{hi}"
               for lo, hi in itertools.pairwise(c)]
    return labels + [f"{c[-1] + 1}+"]

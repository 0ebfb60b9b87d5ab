"""How far MQLs a month and wins a month swing from month to month: a bootstrap over the
months of the window, giving the Thresholds screen a range beside each point.

Why: a projection from a 12-month window reads as one number, yet inflow differs from
one month to the next; "range 140–175 a month" says how much a month's figure may vary.
The conversion already has its Wilson interval; these are the counts' ranges.

Method (:func:`bootstrap`): the window's N calendar months (a month without leads counts
as zero) are resampled with replacement :data:`DRAWS` times, seeded (:data:`SEED`) so the
range is the same on every rerun. A draw's **MQLs a month** is the mean, over its months,
of each month's MQLs. Its **wins a month** is what :func:`~calibrate.decide.tradeoff.figures`
projects from those months: the draw's conversion (its wins over its closed MQLs) times
its MQLs a month, open MQLs expected to convert like closed ones. The conversion is pooled
over the draw's months rather than taken month by month, because a single month has too
few closed MQLs for a conversion of its own (often none). The range is the central 90%
(:data:`LEVEL`) of the draws; none for undated leads or fewer than :data:`MIN_MONTHS`
months, where a range would mean nothing.

What counts as an MQL is :func:`~calibrate.decide.tradeoff.mql_counts`, the rule
``figures`` applies (auto-qualified leads count, auto-disqualified never, segments with
their own bar at their bar), here read on counts with a month axis. Leads without a month
(in a window of all history) are spread evenly over the months, and counts are scaled to
``Settings.months_in_window`` when it differs from the window, so the draw that picks every
month once gives exactly the point figures.

Speed: :func:`month_counts` lays out a window's counts by month once (one pass over the
grid's rows; months x 102 x 102 x outcome suffix sums, kept per grid), and the resample
matrix is drawn once per (months, draws, seed); a slider move is then two lookups, one
(draws x N) @ (N x outcome) product and two quantiles: a fraction of a millisecond.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from calibrate.decide.grid import (
    CLOSED_IDX,
    NONE,
    OUTCOMES,
    POINTS,
    QUALIFIED,
    WON,
    Grid,
    as_month,
    suffix_sums_1,
    suffix_sums_2,
)
from calibrate.decide.tradeoff import RANGE_FIELDS, Settings, months_of, mql_counts

#: Fewest months in the window for a range: from one or two months it means nothing.
MIN_MONTHS = 3
#: Resamples of the window's months.
DRAWS = 2000
#: Seed of the resamples, so the same window gives the same range on every rerun.
SEED = 19
#: The central share of the draws the range covers (5th to 95th percentile).
LEVEL = 0.90
_KEPT_BYTES = 256 << 20  # counts by month kept per grid (a 24-month window: about 4 MB)
_O = len(OUTCOMES)


@dataclass(frozen=True, eq=False)
class MonthCounts:
    """A window's counts by month for one segment, laid out so that the MQL rule's lookups
    keep the month axis: ``above[p, b]`` and ``total_above[t]`` are (rows, outcome).

    Rows: the window's months that have leads (in order), then one row of the leads
    without a month (zero unless the window is all history). ``months``: the window's
    calendar months N (months without leads included), as :class:`Cube` counts them.
    """

    above: np.ndarray  # (102, 102, rows, outcome): scored leads, suffix sums over p, b
    total_above: np.ndarray  # (102, rows, outcome): scored leads, suffix sums over total
    qualified: np.ndarray  # (rows, outcome): auto-qualified leads
    months: int

    @property
    def nbytes(self) -> int:
        """Memory the counts take."""
        return self.above.nbytes + self.total_above.nbytes + self.qualified.nbytes


_kept: weakref.WeakKeyDictionary[Grid, OrderedDict[tuple[Any, ...], MonthCounts]] = (
    weakref.WeakKeyDictionary())
_lock = threading.Lock()


def _month_key(months: Iterable[Any] | None) -> tuple[Any, ...] | None:
    """The window as :meth:`Grid.cube` keys it (sorted first days of months)."""
    return None if months is None else tuple(sorted({as_month(m) for m in months}))


def month_counts(grid: Grid, months: Iterable[Any] | None = None,
                 segment: str | None = None) -> MonthCounts:
    """The window's counts by month for a segment (None: all), built once per grid, window
    and segment and kept (the latest, up to 256 MB a grid), so a slider move only looks
    them up."""
    key = (_month_key(months), segment)
    with _lock:
        kept = _kept.setdefault(grid, OrderedDict())
        hit = kept.get(key)
        if hit is not None:
            kept.move_to_end(key)
            return hit
    counts = _build(grid, key[0], segment)
    with _lock:
        kept[key] = counts
        while len(kept) > 1 and sum(c.nbytes for c in kept.values()) > _KEPT_BYTES:
            kept.popitem(last=False)
    return counts


def _build(grid: Grid, month_key: tuple[Any, ...] | None, segment: str | None) -> MonthCounts:
    """One pass over the grid's rows, with the grid's own codes (months, segments, rule
    classes, outcomes), selected as :meth:`Grid.cube` selects them."""
    c = grid.codes  # the grid's one definition of its codes
    window = grid.months if month_key is None else [m for m in month_key if m in grid.months]
    rows = len(window) + 1
    row_of = np.full(len(grid.months) + 1, -1, np.int64)  # by month code; [-1]: undated
    for i, m in enumerate(window):
        row_of[grid.months.index(m)] = i
    if month_key is None:
        row_of[-1] = rows - 1
    r = row_of[c["m"]]
    mask = r >= 0
    if segment is not None:
        mask &= c["s"] == (grid.segments.index(segment) if segment in grid.segments else -2)
    dtype = np.int32 if grid.leads < 2**31 else np.int64
    k, n = c["k"], c["n"].astype(np.float64)
    scored, qualified = mask & (k == NONE), mask & (k == QUALIFIED)

    def count(sel: np.ndarray, flat: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        size = int(np.prod(shape))
        return np.bincount(flat[sel], weights=n[sel], minlength=size).astype(dtype).reshape(
            shape)

    r0, p, b, t, o = r.clip(0), c["p"], c["b"], c["t"], c["o"]
    cells = count(scored, ((r0 * POINTS + p) * POINTS + b) * _O + o, (rows, POINTS, POINTS, _O))
    totals = count(scored, (r0 * POINTS + t) * _O + o, (rows, POINTS, _O))
    above = suffix_sums_2(np.ascontiguousarray(np.moveaxis(cells, 0, 2)))
    total_above = suffix_sums_1(np.ascontiguousarray(np.moveaxis(totals, 0, 1)))
    q = count(qualified, r0 * _O + o, (rows, _O))
    for a in (above, total_above, q):
        a.setflags(write=False)
    return MonthCounts(above=above, total_above=total_above, qualified=q,
                       months=grid.cube(month_key, segment).months)


def month_mqls(grid: Grid, months: Iterable[Any] | None, settings: Settings,
               own: Sequence[tuple[str, Settings]] = (),
               segment: str | None = None) -> np.ndarray:
    """MQLs by outcome in each of the window's N months (N x outcome, float), counted by
    the MQL rule of :func:`~calibrate.decide.tradeoff.figures` (``own``: segments with
    their own bar); undated leads spread evenly, scaled to the figures' months."""
    months = None if months is None else list(months)  # read more than once
    counts = month_counts(grid, months, segment)
    own_counts = [(month_counts(grid, months, seg), s) for seg, s in own]
    mql = mql_counts(counts, settings, own_counts)[1]
    n = counts.months
    out = np.zeros((n, _O))
    out[: len(mql) - 1] = mql[:-1]
    out += mql[-1] / n
    return out * (n / months_of(grid.cube(months, segment), settings))


@lru_cache(maxsize=16)
def resample_weights(n: int, draws: int = DRAWS, seed: int = SEED) -> np.ndarray:
    """How often each of ``n`` months is picked in each draw (draws x n): the resample
    index matrix, drawn once per (months, draws, seed) and reused by every slider move."""
    picks = np.random.default_rng(seed).integers(0, n, size=(draws, n))
    flat = (np.arange(draws)[:, None] * n + picks).ravel()
    weights = np.bincount(flat, minlength=draws * n).reshape(draws, n).astype(np.float64)
    weights.setflags(write=False)
    return weights


def bootstrap(per_month: np.ndarray, draws: int = DRAWS, seed: int = SEED,
              level: float = LEVEL) -> dict[str, float | None]:
    """The central ``level`` range of MQLs and wins a month over resampled months, from
    MQLs by outcome per month (N x outcome), as the Figures' range fields.

    All None below :data:`MIN_MONTHS` months; the wins' range None when no draw has a
    closed MQL (draws without one have no conversion and are left out).
    """
    per_month = np.asarray(per_month, dtype=np.float64)
    n = len(per_month)
    if n < MIN_MONTHS:
        return dict.fromkeys(RANGE_FIELDS)
    sums = resample_weights(n, draws, seed) @ per_month  # (draws, outcome) over N months
    mqls = sums.sum(axis=1) / n
    closed = sums[:, list(CLOSED_IDX)].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        wins = sums[:, WON] / closed * mqls  # NaN where a draw has no closed MQL
    m_low, m_high = central(mqls, level)
    wins = wins[np.isfinite(wins)]
    w_low, w_high = central(wins, level) if wins.size else (None, None)
    return dict(zip(RANGE_FIELDS, (m_low, m_high, w_low, w_high), strict=True))


def central(values: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The central ``level`` interval of ``values``: the (1 - level) / 2 and (1 + level) / 2
    quantiles, interpolated as ``np.quantile``'s default does, from one sort (np.quantile
    costs a few times more, and this runs on every slider move)."""
    ordered = np.sort(values)
    last = len(ordered) - 1
    ends = []
    for q in ((1 - level) / 2, (1 + level) / 2):
        pos = q * last
        i = min(int(pos), last)
        j = min(i + 1, last)
        ends.append(float(ordered[i] + (pos - i) * (ordered[j] - ordered[i])))
    return ends[0], ends[1]


def month_ranges(grid: Grid, months: Iterable[Any] | None, settings: Settings,
                 own: Sequence[tuple[str, Settings]] = (),
                 segment: str | None = None) -> dict[str, float | None]:
    """The Figures' range fields for a definition over the window (as
    :func:`~calibrate.decide.tradeoff.figures_for` counts it): None when the leads have no
    dates or the window has fewer than :data:`MIN_MONTHS` months."""
    months = None if months is None else list(months)  # read more than once
    cube = grid.cube(months, segment)
    if not grid.months or not cube.month_list or cube.months < MIN_MONTHS:
        return dict.fromkeys(RANGE_FIELDS)
    return bootstrap(month_mqls(grid, months, settings, own, segment))

"""Every figure the workshop screen shows, as pure functions on a
:class:`~calibrate.decide.grid.Cube`.

Why: a threshold is only agreeable when both sides see its consequence: how many leads a
month it sends, how many of them win, how many wins it leaves in nurture, whether sales has
the capacity, and what it is worth. All of it comes from the cube's suffix sums, so a slider
move costs a few array lookups (``figures`` runs in tens of microseconds). The curve over
many thresholds is :mod:`calibrate.decide.sweep`, the A1–D4 grid and the distributions
:mod:`calibrate.decide.grid_views`, the suggested thresholds
:mod:`calibrate.decide.suggestion` (a vectorised pass over all 101 x 101 pairs).

Definitions (used everywhere below):

- An **MQL** passes the bar (profile >= min_profile and behavior >= min_behavior; or
  total >= min_total in mode ``'total'``) and no rule disqualifies it, or a rule
  auto-qualifies it (whatever its score). Auto-disqualified leads are never MQLs.
- **Closed** = won + lost + no_decision; **conversion** = wins / closed MQLs, with a Wilson
  95% interval. Rates with no closed lead are NaN.
- **Per month**: counts divided by ``Settings.months_in_window`` (default: the cube's
  window in months). Projected wins per month = conversion x MQLs per month (open MQLs are
  expected to convert like closed ones).
- **Nurture**: leads below the bar that no rule touched (kept and nurtured, not discarded).
- **Range** (MQLs and wins a month): a 90% interval of the month-to-month variation, a
  bootstrap over the window's months (:mod:`calibrate.decide.month_ranges`). Only
  :func:`figures_for` fills it; :func:`figures` leaves it None, so the sweeps and the
  suggestion that call it in bulk stay O(1).

Segments: each segment may have its own thresholds. Build one cube per segment
(``grid.cube(segment=...)``) and call :func:`figures` with that segment's :class:`Settings`;
:func:`segment_figures` does this for a mapping of settings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Protocol

import numpy as np

from calibrate.decide.grid import (
    POINTS,
    WON,
    Cube,
    Grid,
)
from calibrate.model.points import GRADE_LETTERS, band_floors
from calibrate.thresholds import Bar, segment_key

Z95 = 1.959963984540054  # two-sided 95% normal quantile
Mode = Literal["both", "total"]
Axis = Literal["both", "profile", "behavior", "total"]
Objective = Literal["max_wins_within_capacity", "conversion_floor"]
_NAN = float("nan")
#: The Figures fields of the month ranges (None when not computed or meaningless).
RANGE_FIELDS = ("mqls_per_month_low", "mqls_per_month_high", "wins_per_month_low",
                "wins_per_month_high")


class SuffixSums(Protocol):
    """What the MQL rule reads: a :class:`Cube`, or counts with a month axis before the
    outcome (:class:`calibrate.decide.month_ranges.MonthCounts`)."""

    @property
    def above(self) -> np.ndarray: ...

    @property
    def total_above(self) -> np.ndarray: ...

    @property
    def qualified(self) -> np.ndarray: ...


@dataclass
class Settings:
    """One side of the workshop's table: thresholds, window, capacity, money.

    ``mode`` 'both' uses min_profile and min_behavior; 'total' uses min_total. Thresholds
    are points 0..100 (101 lets nobody through). ``months_in_window`` divides counts into
    monthly figures (None: the cube's window). Capacity is ``reps x
    leads_per_rep_per_month`` when both are set. ``value_per_win`` None means the mean
    amount of won leads (when amounts exist); ``cost_per_lead_worked`` None means 0.
    """

    mode: Mode = "both"
    min_profile: int = 50
    min_behavior: int = 50
    min_total: int = 50
    months_in_window: float | None = None
    reps: float | None = None
    leads_per_rep_per_month: float | None = None
    cost_per_lead_worked: float | None = None
    value_per_win: float | None = None

    @property
    def capacity(self) -> float | None:
        """MQLs a month sales can work (None when not set)."""
        if self.reps is None or self.leads_per_rep_per_month is None:
            return None
        return float(self.reps) * float(self.leads_per_rep_per_month)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for scenarios and agreements)."""
        return asdict(self)

    def bar(self) -> Bar:
        """The thresholds alone, as the MQL rule reads them."""
        return Bar(self.mode, self.min_profile, self.min_behavior, self.min_total)

    def with_bar(self, bar: Bar) -> Settings:
        """These settings with another bar (minimums the bar leaves out are kept)."""
        return replace(self, mode=bar.mode, **{
            k: getattr(bar, k) for k in ("min_profile", "min_behavior", "min_total")
            if getattr(bar, k) is not None})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """Rebuild from :meth:`to_dict`; unknown keys are an error, missing ones default."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**dict(data))


@dataclass(frozen=True)
class Figures:
    """What one threshold setting means, over the cube's window (see the module doc)."""

    mode: str
    min_profile: int
    min_behavior: int
    min_total: int
    months: float
    leads: int
    mqls: int
    mqls_per_month: float
    scored_mqls: int
    auto_qualified: int
    closed: int
    wins: int
    lost: int
    no_decision: int
    open: int
    conversion: float
    conversion_low: float
    conversion_high: float
    wins_per_month: float
    win_share: float
    no_decision_rate: float
    nurture: int
    nurture_per_month: float
    nurture_closed: int
    nurture_wins: int
    nurture_win_rate: float
    disqualified: int
    disqualified_wins: int
    capacity: float | None
    capacity_used: float | None
    value_per_win: float | None
    cost_per_lead_worked: float
    expected_value_per_month: float | None
    cell: str | None
    dated: bool = True  # the leads have months: counts "per month"; else totals, "in all"
    # 90% ranges from month-to-month variation (figures_for; None: undated, too few months)
    mqls_per_month_low: float | None = None
    mqls_per_month_high: float | None = None
    wins_per_month_low: float | None = None
    wins_per_month_high: float | None = None

    def to_dict(self, *, ranges: bool = False) -> dict[str, Any]:
        """Plain data (for exports and the agreement page). The month ranges only when
        asked (``ranges=True``): a scenario saves them with its figures, so its pages show
        "182 (range 150–190)"; without, the figures are the same whichever function
        computed them (:func:`figures` has no ranges), as figures saved before ranges
        were kept read."""
        data = asdict(self)
        if not ranges:
            for key in RANGE_FIELDS:
                del data[key]
        return data

    def point(self) -> Figures:
        """These figures without their month ranges (what :func:`figures` gives)."""
        return replace(self, **dict.fromkeys(RANGE_FIELDS))


def wilson(wins: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (NaN, NaN) when ``n`` is 0.

    Why Wilson: it stays inside [0, 1] and behaves for the small counts of strict
    thresholds, where the normal approximation collapses to a zero-width interval.
    """
    if n <= 0:
        return _NAN, _NAN
    p = wins / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_arrays(wins: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, ...]:
    with np.errstate(divide="ignore", invalid="ignore"):
        nf = n.astype(float)
        p = wins / nf
        z2 = z * z
        denom = 1.0 + z2 / nf
        centre = (p + z2 / (2 * nf)) / denom
        half = z * np.sqrt(p * (1 - p) / nf + z2 / (4 * nf * nf)) / denom
    low = np.where(n > 0, np.maximum(0.0, centre - half), np.nan)
    high = np.where(n > 0, np.minimum(1.0, centre + half), np.nan)
    return low, high


def cell_label(profile: int, behavior: int, bands: int = 4) -> str:
    """Grade (A best, by profile points) and level (1 best, by behavior points): 'B2'."""
    floors = band_floors(bands)
    p, b = min(max(int(profile), 0), 100), min(max(int(behavior), 0), 100)
    grade = next(k for k, f in enumerate(floors) if p >= f)
    level = next(k for k, f in enumerate(floors) if b >= f)
    return f"{GRADE_LETTERS[grade]}{level + 1}"


def clamp_points(x: int) -> int:
    return min(max(int(x), 0), POINTS)


def period(cube: Cube) -> str:
    """How the cube's counts read: "per month" when its leads have months, "in all" when
    none has a date (then every count is the whole history's, not a month's)."""
    return "per month" if cube.month_list else "in all"


def months_of(cube: Cube, settings: Settings) -> float:
    m = settings.months_in_window
    return float(m) if m is not None and m > 0 else float(cube.months)


def rate(num: float, den: float) -> float:
    return num / den if den else _NAN


def _above(cube: SuffixSums, settings: Settings) -> np.ndarray:
    """Scored leads (no auto-rule) at or above the bar, per outcome (last axis)."""
    p, b, t = clamp_points(settings.min_profile), clamp_points(settings.min_behavior), clamp_points(
        settings.min_total)
    if settings.mode == "total":
        return cube.total_above[t]
    if settings.mode == "both":
        return cube.above[p, b]
    raise ValueError(f"unknown mode {settings.mode!r}: use 'both' or 'total'")


def mql_counts(cube: SuffixSums, settings: Settings,
               own_bars: Sequence[tuple[SuffixSums, Settings]] = ()
               ) -> tuple[np.ndarray, np.ndarray]:
    """(Scored leads at or above the bar, MQLs), per outcome: the MQL rule, in one place.

    Segments in ``own_bars`` count at their own bar; auto-qualified leads are MQLs whatever
    their score, auto-disqualified never. Works on a cube (outcome arrays) and on counts
    by month (month x outcome arrays) alike.
    """
    above = _above(cube, settings)
    for seg_cube, seg_settings in own_bars:
        above = above - _above(seg_cube, settings) + _above(seg_cube, seg_settings)
    return above, above + cube.qualified


def figures(cube: Cube, settings: Settings,
            own_bars: Sequence[tuple[Cube, Settings]] = ()) -> Figures:
    """Every figure for one threshold setting: O(1) lookups in the cube's suffix sums.

    ``own_bars`` gives some segments their own bar: (that segment's cube, its settings)
    pairs, whose leads are counted at their own bar instead of ``settings``'.
    """
    p, b = clamp_points(settings.min_profile), clamp_points(settings.min_behavior)
    above_array, mql_array = mql_counts(cube, settings, own_bars)
    above, mql = above_array.tolist(), mql_array.tolist()
    q = cube.qualified.tolist()
    d = cube.disqualified.tolist()
    s = cube.scored.tolist()
    won, lost, nd, open_ = mql
    mqls = won + lost + nd + open_
    closed = won + lost + nd
    months = months_of(cube, settings)
    conversion = rate(won, closed)
    low, high = wilson(won, closed)
    mqls_pm = mqls / months
    wins_pm = conversion * mqls_pm
    all_wins = s[WON] + q[WON] + d[WON]
    nurture = [x - a for x, a in zip(s, above, strict=True)]
    n_closed = nurture[0] + nurture[1] + nurture[2]
    capacity = settings.capacity
    if capacity is None:
        used = None
    elif capacity > 0:
        used = mqls_pm / capacity
    else:
        used = math.inf if mqls else 0.0
    value = settings.value_per_win
    if value is None:
        value = cube.mean_won_amount
    cost = float(settings.cost_per_lead_worked or 0.0)
    ev = None if value is None else wins_pm * value - mqls_pm * cost
    return Figures(
        mode=settings.mode, min_profile=int(settings.min_profile),
        min_behavior=int(settings.min_behavior), min_total=int(settings.min_total),
        months=months, leads=sum(s) + sum(q) + sum(d), mqls=mqls, mqls_per_month=mqls_pm,
        scored_mqls=sum(above), auto_qualified=sum(q), closed=closed, wins=won, lost=lost,
        no_decision=nd, open=open_, conversion=conversion, conversion_low=low,
        conversion_high=high, wins_per_month=wins_pm, win_share=rate(won, all_wins),
        no_decision_rate=rate(nd, closed), nurture=sum(nurture),
        nurture_per_month=sum(nurture) / months, nurture_closed=n_closed,
        nurture_wins=nurture[0], nurture_win_rate=rate(nurture[0], n_closed),
        disqualified=sum(d), disqualified_wins=d[WON], capacity=capacity, capacity_used=used,
        value_per_win=value, cost_per_lead_worked=cost, expected_value_per_month=ev,
        cell=cell_label(p, b) if settings.mode == "both" else None,
        dated=bool(cube.month_list),
    )


def figures_for(grid: Grid, months: Iterable[Any] | None, settings: Settings,
                segments: Mapping[str, Settings] | None = None,
                only: str | None = None) -> Figures:
    """The figures of a whole MQL definition over the window: the main bar, segments
    with their own bar (``segments``, matched trimmed and without case), or the main bar
    limited to one segment (``only``; its figures count that segment's leads alone).

    With the 90% ranges of MQLs and wins a month over the window's months
    (:func:`calibrate.decide.month_ranges.month_ranges`; None when undated or too short).
    """
    from calibrate.decide.month_ranges import month_ranges

    months = None if months is None else list(months)  # read more than once
    if only is not None:
        seg = find_segment(grid, only) or only
        point = figures(grid.cube(months, seg), settings)
        return replace(point, **month_ranges(grid, months, settings, segment=seg))
    own = [(seg, s) for name, s in (segments or {}).items()
           if (seg := find_segment(grid, name)) is not None]
    point = figures(grid.cube(months, None), settings,
                    [(grid.cube(months, seg), s) for seg, s in own])
    return replace(point, **month_ranges(grid, months, settings, own))


def own_bars(main: Settings, per_segment: Mapping[str, Settings]) -> dict[str, Settings]:
    """The segments whose bar differs from the main one (the others need no bar of
    their own)."""
    return {seg: s for seg, s in per_segment.items() if not s.bar().same_as(main.bar())}


def find_segment(grid: Grid, name: str | None) -> str | None:
    """The grid's segment a name means (matched as the MQL rule matches segments), or None."""
    if not name:
        return None
    key = segment_key(name)
    return next((s for s in grid.segments if segment_key(s) == key), None)


def segment_figures(
    grid: Grid,
    settings: Mapping[str | None, Settings],
    months: Iterable[Any] | None = None,
) -> dict[str, Figures]:
    """Figures per segment, each with its own settings (key None: the default settings)."""
    default = settings.get(None, Settings())
    return {
        seg: figures(grid.cube(months, seg), settings.get(seg, default))
        for seg in grid.segments
    }

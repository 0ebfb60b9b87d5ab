"""Every figure the workshop screen shows, as pure functions on a
:class:`~calibrate.decide.grid.Cube`.

Why: a threshold is only agreeable when both sides see its consequence: how many leads a
month it sends, how many of them win, how many wins it leaves in nurture, whether sales has
the capacity, and what it is worth. All of it comes from the cube's suffix sums, so a slider
move costs a few array lookups (``figures`` runs in tens of microseconds), and the search
for a suggested threshold is a vectorised pass over all 101 x 101 pairs.

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

Segments: each segment may have its own thresholds. Build one cube per segment
(``grid.cube(segment=...)``) and call :func:`figures` with that segment's :class:`Settings`;
:func:`segment_figures` does this for a mapping of settings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from calibrate import fmt
from calibrate.decide.figure_text import found_reason, no_fit_reason
from calibrate.decide.grid import (
    DISQUALIFIED,
    NONE,
    OUTCOMES,
    POINTS,
    QUALIFIED,
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

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for exports and the agreement page)."""
        return asdict(self)


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


def _wilson_arrays(wins: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, ...]:
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


def _clamp(x: int) -> int:
    return min(max(int(x), 0), POINTS)


def period(cube: Cube) -> str:
    """How the cube's counts read: "per month" when its leads have months, "in all" when
    none has a date (then every count is the whole history's, not a month's)."""
    return "per month" if cube.month_list else "in all"


def _months(cube: Cube, settings: Settings) -> float:
    m = settings.months_in_window
    return float(m) if m is not None and m > 0 else float(cube.months)


def _rate(num: float, den: float) -> float:
    return num / den if den else _NAN


def _above(cube: Cube, settings: Settings) -> list[int]:
    """Scored leads (no auto-rule) at or above the bar, per outcome."""
    p, b, t = _clamp(settings.min_profile), _clamp(settings.min_behavior), _clamp(
        settings.min_total)
    if settings.mode == "total":
        return cube.total_above[t].tolist()
    if settings.mode == "both":
        return cube.above[p, b].tolist()
    raise ValueError(f"unknown mode {settings.mode!r}: use 'both' or 'total'")


def figures(cube: Cube, settings: Settings,
            own_bars: Sequence[tuple[Cube, Settings]] = ()) -> Figures:
    """Every figure for one threshold setting: O(1) lookups in the cube's suffix sums.

    ``own_bars`` gives some segments their own bar: (that segment's cube, its settings)
    pairs, whose leads are counted at their own bar instead of ``settings``'.
    """
    p, b = _clamp(settings.min_profile), _clamp(settings.min_behavior)
    above = _above(cube, settings)
    for seg_cube, seg_settings in own_bars:
        above = [a - x + y for a, x, y in zip(above, _above(seg_cube, settings),
                                              _above(seg_cube, seg_settings), strict=True)]
    q = cube.qualified.tolist()
    d = cube.disqualified.tolist()
    s = cube.scored.tolist()
    mql = [a + x for a, x in zip(above, q, strict=True)]
    won, lost, nd, open_ = mql
    mqls = won + lost + nd + open_
    closed = won + lost + nd
    months = _months(cube, settings)
    conversion = _rate(won, closed)
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
        conversion_high=high, wins_per_month=wins_pm, win_share=_rate(won, all_wins),
        no_decision_rate=_rate(nd, closed), nurture=sum(nurture),
        nurture_per_month=sum(nurture) / months, nurture_closed=n_closed,
        nurture_wins=nurture[0], nurture_win_rate=_rate(nurture[0], n_closed),
        disqualified=sum(d), disqualified_wins=d[WON], capacity=capacity, capacity_used=used,
        value_per_win=value, cost_per_lead_worked=cost, expected_value_per_month=ev,
        cell=cell_label(p, b) if settings.mode == "both" else None,
    )


def figures_for(grid: Grid, months: Iterable[Any] | None, settings: Settings,
                segments: Mapping[str, Settings] | None = None,
                only: str | None = None) -> Figures:
    """The figures of a whole MQL definition over the window: the main bar, segments
    with their own bar (``segments``, matched trimmed and without case), or the main bar
    limited to one segment (``only``; its figures count that segment's leads alone)."""
    if only is not None:
        return figures(grid.cube(months, find_segment(grid, only) or only), settings)
    own = [(grid.cube(months, seg), s) for name, s in (segments or {}).items()
           if (seg := find_segment(grid, name)) is not None]
    return figures(grid.cube(months, None), settings, own)


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


# ------------------------------------------------------------------ vectorised sweeps


def _sweep(cube: Cube, settings: Settings, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Core figures for many candidate thresholds at once; ``rows[..., o]`` are the scored
    leads above each candidate bar. Same arithmetic, in the same order, as :func:`figures`.
    """
    mql = rows + cube.qualified
    won = mql[..., WON]
    closed = mql[..., 0] + mql[..., 1] + mql[..., 2]
    mqls = closed + mql[..., 3]
    months = _months(cube, settings)
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = np.where(closed > 0, won / np.where(closed > 0, closed, 1), np.nan)
    mqls_pm = mqls / months
    low, high = _wilson_arrays(won, closed)
    return {
        "mqls": mqls, "mqls_per_month": mqls_pm, "closed": closed, "wins": won,
        "conversion": conversion, "conversion_low": low, "conversion_high": high,
        "wins_per_month": conversion * mqls_pm,
    }


def _lattice(step: int) -> np.ndarray:
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
        lat = _lattice(step or 5)
        pp, bb = np.meshgrid(lat, lat, indexing="ij")
        pp, bb = pp.ravel(), bb.ravel()
        tt = np.full(pp.shape, int(settings.min_total))
        rows = cube.above[pp, bb]
    elif axis in ("profile", "behavior"):
        lat = _lattice(step or 1)
        fixed_p = np.full(lat.shape, _clamp(settings.min_profile))
        fixed_b = np.full(lat.shape, _clamp(settings.min_behavior))
        pp, bb = (lat, fixed_b) if axis == "profile" else (fixed_p, lat)
        tt = np.full(lat.shape, int(settings.min_total))
        rows = cube.above[pp, bb]
    elif axis == "total":
        tt = _lattice(step or 1)
        pp = np.full(tt.shape, int(settings.min_profile))
        bb = np.full(tt.shape, int(settings.min_behavior))
        rows = cube.total_above[tt]
    else:
        raise ValueError(f"unknown axis {axis!r}: use both, profile, behavior or total")
    m = _sweep(cube, settings, rows)
    frame = pd.DataFrame({"min_profile": pp, "min_behavior": bb, "min_total": tt, **m})
    if axis == "both" and frontier:
        keep = pareto_front(m["mqls_per_month"], m["conversion"])
        frame = frame.iloc[keep].reset_index(drop=True)
    return frame


def _classes(include_rules: bool) -> list[int]:
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
    cells = cube.cells[_classes(include_rules)].sum(axis=0)
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
                "win_rate": _rate(c[WON], closed),
            })
    return pd.DataFrame.from_records(records)


def score_distribution(
    cube: Cube, axis: Literal["profile", "behavior", "total"], include_rules: bool = False
) -> pd.DataFrame:
    """Leads by points (0..100) and outcome on one axis, for histograms.

    Columns: points, won, lost, no_decision, open, leads, closed, win_rate. By default only
    leads no rule touched; ``include_rules`` counts every lead.
    """
    k = _classes(include_rules)
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


# ------------------------------------------------------------------------ suggestion


@dataclass(frozen=True)
class Suggestion:
    """A suggested threshold, or why there is none (``found`` False, thresholds None)."""

    found: bool
    reason: str
    min_profile: int | None = None
    min_behavior: int | None = None
    min_total: int | None = None
    settings: Settings | None = None
    figures: Figures | None = None
    candidates: int = 0
    feasible: int = 0

    @property
    def over_capacity(self) -> bool:
        """Whether the suggested thresholds send more MQLs than sales can work."""
        used = None if self.figures is None else self.figures.capacity_used
        return used is not None and used > 1

    @property
    def thresholds(self) -> tuple[int, ...] | None:
        """(min_profile, min_behavior), or (min_total,) in mode 'total'; None if not found."""
        if not self.found:
            return None
        if self.min_total is not None:
            return (self.min_total,)
        return (int(self.min_profile or 0), int(self.min_behavior or 0))


def _key(x: np.ndarray) -> np.ndarray:
    """Ranking key robust to float noise (equal ratios computed two ways compare equal)."""
    return np.round(np.nan_to_num(x, nan=-np.inf), 9)


def suggest(
    cube: Cube,
    settings: Settings,
    objective: Objective = "max_wins_within_capacity",
    floor: float | None = None,
    step: int = 1,
    min_closed: int = 1,
) -> Suggestion:
    """The best threshold for an objective, searched over every candidate at once.

    Candidates: every (min_profile, min_behavior) pair on the lattice 0..100 by ``step``
    (mode 'both'), or every min_total (mode 'total'). Only candidates with at least
    ``min_closed`` closed MQLs (so a conversion exists) are eligible.

    - 'max_wins_within_capacity': most projected wins a month with MQLs a month <= capacity.
    - 'conversion_floor': most MQLs a month with conversion >= ``floor``.

    Ties go to the higher conversion, then to the lowest thresholds. When nothing
    qualifies (no capacity set, no floor, nothing feasible), returns ``found=False`` with
    the reason rather than raising.
    """
    if objective not in ("max_wins_within_capacity", "conversion_floor"):
        raise ValueError(f"unknown objective {objective!r}")
    lat = _lattice(step)
    if settings.mode == "total":
        pp = bb = None
        tt = lat
        rows = cube.total_above[tt]
    elif settings.mode == "both":
        grid_p, grid_b = np.meshgrid(lat, lat, indexing="ij")
        pp, bb, tt = grid_p.ravel(), grid_b.ravel(), None
        rows = cube.above[pp, bb]
    else:
        raise ValueError(f"unknown mode {settings.mode!r}: use 'both' or 'total'")
    m = _sweep(cube, settings, rows)
    n = len(rows)
    eligible = m["closed"] >= max(int(min_closed), 1)
    qualified_pm = int(cube.qualified.sum()) / _months(cube, settings)

    per = "a month" if period(cube) == "per month" else "in all"
    if objective == "max_wins_within_capacity":
        capacity = settings.capacity
        if capacity is None:
            return Suggestion(False, "Set reps and leads per rep per month: this objective "
                              "needs sales capacity.", candidates=n)
        feasible = eligible & (m["mqls_per_month"] <= capacity)
        primary, secondary = _key(m["wins_per_month"]), _key(m["conversion"])
        if not feasible.any():
            low = float(np.min(m["mqls_per_month"][eligible])) if eligible.any() else None
            return Suggestion(False, no_fit_reason(capacity, qualified_pm, low, per),
                              candidates=n)
    else:
        if floor is None:
            return Suggestion(False, "Give a conversion floor (e.g. 0.05 for 5%).", candidates=n)
        feasible = eligible & (m["conversion"] >= float(floor))
        primary, secondary = m["mqls"].astype(float), _key(m["conversion"])
        if not feasible.any():
            best = float(np.nanmax(m["conversion"][eligible])) if eligible.any() else None
            why = (f"No threshold reaches a conversion of {fmt.percent_plain(floor)}"
                   + ("." if best is None else f"; the best reachable is {fmt.percent(best)}."))
            return Suggestion(False, why, candidates=n)

    idx = np.flatnonzero(feasible)
    # lexsort: last key is primary; larger is better, so negate; index breaks the final tie
    order = np.lexsort((idx, -secondary[idx], -primary[idx]))
    best = int(idx[order[0]])
    if tt is not None:
        chosen = replace(settings, min_total=int(tt[best]))
    else:
        chosen = replace(settings, min_profile=int(pp[best]), min_behavior=int(bb[best]))
    fig = figures(cube, chosen)
    return Suggestion(
        True, found_reason(objective, fig, chosen, floor, per),
        min_profile=None if tt is not None else chosen.min_profile,
        min_behavior=None if tt is not None else chosen.min_behavior,
        min_total=chosen.min_total if tt is not None else None,
        settings=chosen, figures=fig, candidates=n, feasible=int(feasible.sum()),
    )


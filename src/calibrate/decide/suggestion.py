"""The thresholds the screen's buttons suggest: the most wins within sales capacity, or the
most volume at a conversion floor, searched over every candidate at once; or, in words,
why nothing fits."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from calibrate import fmt
from calibrate.decide.figure_text import found_reason, no_fit_reason
from calibrate.decide.grid import Cube
from calibrate.decide.sweep import lattice, sweep
from calibrate.decide.tradeoff import Figures, Objective, Settings, figures, months_of, period


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
    lat = lattice(step)
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
    m = sweep(cube, settings, rows)
    n = len(rows)
    eligible = m["closed"] >= max(int(min_closed), 1)
    qualified_pm = int(cube.qualified.sum()) / months_of(cube, settings)

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

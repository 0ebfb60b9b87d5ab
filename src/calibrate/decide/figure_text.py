"""The workshop's figures as people read them: one label and one format per figure, for
the agreement page, the CLI and the scenario comparison, with the 90% month-to-month range
of MQLs and wins a month where the figures carry it; the capacity bar's words and the
suggestions' reasons (:func:`calibrate.decide.suggestion.suggest`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from calibrate import fmt

if TYPE_CHECKING:
    from calibrate.decide.tradeoff import Figures, Objective, Settings

FIGURE_LABELS = {
    "mqls_per_month": ("MQLs per month", fmt.per_month),
    "conversion": ("Conversion (win rate of MQLs)", fmt.percent),
    "wins_per_month": ("Wins per month", fmt.per_month),
    "win_share": ("Share of all wins captured", fmt.percent),
    "no_decision_rate": ("No-decision rate of MQLs", fmt.percent),
    "nurture_per_month": ("Nurture pool per month", fmt.per_month),
    "nurture_win_rate": ("Nurture pool win rate", fmt.percent),
    "capacity_used": ("Sales capacity used", fmt.percent),
    "expected_value_per_month": ("Expected value per month", fmt.money),
}


#: The counts with a 90% month-to-month range, and the fields of its two ends
#: (:data:`calibrate.decide.tradeoff.RANGE_FIELDS`).
RANGE_ENDS = {"mqls_per_month": ("mqls_per_month_low", "mqls_per_month_high"),
              "wins_per_month": ("wins_per_month_low", "wins_per_month_high")}
#: What a range means, in one line under a page's figures.
RANGE_NOTE = ("A range is the month-to-month variation: 90% of resamples of the window's "
              "months fall in it.")


def dated(figures: Mapping[str, Any]) -> bool:
    """Whether saved figures count "per month": False when their leads had no dates
    (their counts are totals); figures saved before they said so count per month."""
    return figures.get("dated") is not False


def figure_label(key: str, per_month: bool = True) -> str:
    """A figure's label; a count "in all" instead of "per month" for undated leads."""
    label = FIGURE_LABELS[key][0]
    return label if per_month else label.replace(" per month", " in all")


def range_text(figures: Mapping[str, Any], key: str) -> str | None:
    """A count's 90% month-to-month range as saved with it ("range 150–190"); None for a
    figure without one (figures saved before ranges were, undated leads, a short window).

    Examples
    --------
    >>> range_text({"mqls_per_month_low": 149.6, "mqls_per_month_high": 190.2},
    ...            "mqls_per_month")
    'range 150–190'
    >>> range_text({"mqls_per_month": 182.0}, "mqls_per_month") is None
    True
    """
    ends = RANGE_ENDS.get(key)
    if ends is None:
        return None
    return fmt.span(figures.get(ends[0]), figures.get(ends[1]), fmt.per_month)


def figure_text(figures: Mapping[str, Any], key: str) -> str:
    """One figure as a page shows it, with its range when it has one: "182 (range
    150–190)"; a dash when it is missing."""
    value = figures.get(key)
    if fmt.is_missing(value):
        return "–"
    text = FIGURE_LABELS[key][1](value)
    span = range_text(figures, key)
    return f"{text} ({span})" if span else text


def has_range(figures: Mapping[str, Any]) -> bool:
    """Whether any count carries its month-to-month range (a page then says what it is)."""
    return any(range_text(figures, key) for key in RANGE_ENDS)


def figure_rows(figures: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for each figure computed, in the page's order; MQLs and wins a month
    with their range when saved with one."""
    rows = []
    for key in FIGURE_LABELS:
        if key in figures and figures[key] is not None:
            rows.append((figure_label(key, dated(figures)), figure_text(figures, key)))
    return rows


#: The share of sales capacity from which the bar says "near capacity".
NEAR_CAPACITY = 0.9


@dataclass(frozen=True)
class CapacityStatus:
    """Sales capacity used as the screens show it: ``state`` "ok", "near" or "over", how
    full the bar is (0..1), a short label ("Over capacity: 207%"), the counts ("830 MQLs a
    month; sales can work 400") and the whole sentence (never the colour alone)."""

    state: Literal["ok", "near", "over"]
    fill: float
    label: str
    detail: str
    text: str

    @property
    def over(self) -> bool:
        """Whether the MQLs are more than sales can work."""
        return self.state == "over"


def capacity_status(used: float | None, capacity: float | None, mqls: float,
                    per: str = "a month", near: float = NEAR_CAPACITY) -> CapacityStatus | None:
    """The capacity bar for ``mqls`` MQLs ``per`` period against ``capacity`` (None when
    no capacity is set): "Over capacity: 207% of what sales can work (830 MQLs a month;
    sales can work 400)." past 100%, "Near capacity" from ``near``, "62% of what sales can
    work (248 of 400 MQLs a month)." below it."""
    if used is None or capacity is None:
        return None
    volume = fmt.per_month(mqls)
    if not math.isfinite(used):
        return CapacityStatus("over", 1.0, "Over capacity", f"{volume} MQLs {per}; sales "
                              "can work none", f"Over capacity: sales can work no MQLs "
                                               f"({volume} MQLs {per}).")
    share = fmt.percent(used, 0)
    if used > 1:
        detail = f"{volume} MQLs {per}; sales can work {fmt.per_month(capacity)}"
        return CapacityStatus("over", 1.0, f"Over capacity: {share}", detail,
                              f"Over capacity: {share} of what sales can work ({detail}).")
    counts = f"{volume} of {fmt.per_month(capacity)} MQLs {per}"
    state, word = ("near", "Near") if used >= near else ("ok", "Within")
    return CapacityStatus(state, max(float(used), 0.0), f"{word} capacity: {share}", counts,
                          f"{share} of what sales can work ({counts}).")


def no_fit_reason(capacity: float, qualified: float, lowest: float | None,
                  per: str = "a month") -> str:
    """Why no threshold fits within capacity, in plain words: auto-qualified leads alone
    (``qualified`` of them ``per``) or even the strictest measurable threshold
    (``lowest``; None when no threshold leaves a closed lead) send more than sales can
    work."""
    can = f"sales can work {fmt.per_month(capacity)}"
    if qualified > capacity:
        return (f"Nothing fits within capacity: auto-qualified leads alone send "
                f"{fmt.per_month(qualified)} MQLs {per} and {can}. Add reps, or narrow the "
                f"auto-qualifiers.")
    if lowest is None:
        return "No threshold leaves a closed lead to measure conversion on."
    return (f"Nothing fits within capacity: even the strictest thresholds with a measurable "
            f"conversion send {fmt.per_month(lowest)} MQLs {per} and {can}. Add reps or "
            f"leads per rep, or suggest by a conversion floor instead.")


def found_reason(objective: Objective, fig: Figures, chosen: Settings, floor: float | None,
                 per: str = "a month") -> str:
    """What a suggestion gives, in plain words; says so when it is over capacity."""
    where = f"Suggested {chosen.bar().describe()}"
    if objective == "max_wins_within_capacity":
        why = (f"{where}: {fmt.per_month(fig.wins_per_month)} projected wins {per} from "
               f"{fmt.per_month(fig.mqls_per_month)} MQLs {per}, the most wins within what "
               f"sales can work ({fmt.per_month(chosen.capacity)} {per}).")
    else:
        why = (f"{where}: {fmt.per_month(fig.mqls_per_month)} MQLs {per} at "
               f"{fmt.percent(fig.conversion)} conversion, the most volume at or above the "
               f"floor of {fmt.percent_plain(floor)}.")
    status = capacity_status(fig.capacity_used, fig.capacity, fig.mqls_per_month, per)
    if status is not None and status.over:
        why += f" {status.text}"
    return why

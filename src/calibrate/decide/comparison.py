"""Two scenarios side by side as a room reads them: labels, formats, the difference B - A,
and whether their figures were computed on the same weights and data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from calibrate import fmt
from calibrate.decide.agreement import basis_of, describe_window, plain, same_basis
from calibrate.decide.scenarios import Scenario
from calibrate.thresholds import Bar


@dataclass(frozen=True)
class Comparison:
    """Scenario ``a`` against ``b``: one row per threshold and figure (``item``,
    ``a_text``, ``b_text``, ``difference_text``, and the raw ``a``, ``b``,
    ``difference``), and a note on their bases."""

    a: Scenario
    b: Scenario
    rows: list[dict[str, Any]]
    note: str
    same_basis: bool

    def table(self) -> list[dict[str, str]]:
        """The rows as a person reads them: item, A, B and B - A, all text."""
        return [{"": r["item"], "A": r["a_text"], "B": r["b_text"],
                 "B - A": r["difference_text"]} for r in self.rows]


def compare(a: Scenario, b: Scenario) -> Comparison:
    """Compare two scenarios (the Scenarios page, ``calibrate scenario compare``)."""
    return Comparison(a, b, compare_rows(a, b), basis_note(a, b), same_basis(a, b))


_THRESHOLD_LABELS = {"min_profile": "Minimum profile score",
                     "min_behavior": "Minimum behavior score",
                     "min_total": "Minimum total score"}


def _signed(diff: float, show: Any) -> str:

    if fmt.is_missing(diff):
        return "–"
    if diff == 0:
        return "0"
    if show is fmt.percent:
        return f"{100 * diff:+.1f} pts"
    return ("+" if diff > 0 else "-") + show(abs(diff))


def compare_rows(a: Scenario, b: Scenario) -> list[dict[str, Any]]:
    """Two scenarios' thresholds and figures side by side as a person reads them: labels,
    percentages as percentages, and the difference B - A (percentage points for rates).
    Each row keeps the raw values too (``key``, ``a``, ``b``, ``difference``)."""
    from calibrate.decide.figure_text import FIGURE_LABELS

    def row(key: str, label: str, x: Any, y: Any, show: Any) -> dict[str, Any]:
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y))
        diff = y - x if numeric and not (fmt.is_missing(x) or fmt.is_missing(y)) else None
        return {"key": key, "item": label, "a": plain(x), "b": plain(y),
                "difference": plain(diff),
                "a_text": "–" if fmt.is_missing(x) else show(x),
                "b_text": "–" if fmt.is_missing(y) else show(y),
                "difference_text": _signed(diff, show) if diff is not None else
                "–" if fmt.is_missing(x) or fmt.is_missing(y) else "same" if x == y else "differs"}

    ta, tb = a.thresholds.main or Bar(), b.thresholds.main or Bar()
    rule = {"both": "profile and behavior", "total": "one total score"}
    rows = [row("mode", "MQL rule", rule[ta.mode], rule[tb.mode], str)]
    for key in _THRESHOLD_LABELS:  # a mode's minimums; the others are idle
        if key in ta.applied or key in tb.applied:
            rows.append(row(key, _THRESHOLD_LABELS[key],
                            getattr(ta, key) if key in ta.applied else None,
                            getattr(tb, key) if key in tb.applied else None, str))
    own_a, own_b = a.thresholds.segments, b.thresholds.segments
    for seg in dict.fromkeys([*own_a, *own_b]):
        rows.append(row(f"segment:{seg}", f"{seg}'s own thresholds",
                        own_a[seg].describe() if seg in own_a else "the main ones",
                        own_b[seg].describe() if seg in own_b else "the main ones", str))
    rows.append(row("window", "Projected from", describe_window(a), describe_window(b), str))
    fa, fb = a.figures, b.figures
    for key, (label, show) in FIGURE_LABELS.items():
        if fa.get(key) is None and fb.get(key) is None:
            continue
        rows.append(row(key, label, fa.get(key), fb.get(key), show))
    rows.append(row("conversion_interval", "Conversion 95% interval",
                    fmt.interval(fa.get("conversion_low"), fa.get("conversion_high")),
                    fmt.interval(fb.get("conversion_low"), fb.get("conversion_high")), str))
    return rows


def basis_note(a: Scenario, b: Scenario) -> str:
    """One line: the two were computed on the same weights and data, or on different ones."""
    if same_basis(a, b):
        return f"Both computed on {basis_of(a).describe()}."
    return (f"These two were computed on different weights or data (A: "
            f"{basis_of(a).describe()}; B: {basis_of(b).describe()}): their figures are not "
            "comparable as they stand. Save them again on the weights in force to compare "
            "like with like.")

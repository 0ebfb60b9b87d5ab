"""The workshop's figures as people read them: one label and one format per figure, for
the agreement page, the CLI and the scenario comparison."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calibrate import fmt

FIGURE_LABELS = {
    "mqls_per_month": ("MQLs per month", fmt.number),
    "conversion": ("Conversion (win rate of MQLs)", fmt.percent),
    "wins_per_month": ("Wins per month", fmt.number),
    "win_share": ("Share of all wins captured", fmt.percent),
    "no_decision_rate": ("No-decision rate of MQLs", fmt.percent),
    "nurture_per_month": ("Nurture pool per month", fmt.number),
    "nurture_win_rate": ("Nurture pool win rate", fmt.percent),
    "capacity_used": ("Sales capacity used", fmt.percent),
    "expected_value_per_month": ("Expected value per month", fmt.money),
}


def figure_rows(figures: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for each figure computed, in the page's order."""
    rows = []
    for key, (label, f) in FIGURE_LABELS.items():
        if key in figures and figures[key] is not None:
            rows.append((label, f(figures[key])))
    return rows

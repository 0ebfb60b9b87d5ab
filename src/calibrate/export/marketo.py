"""The Marketo file (``--format marketo``): smart campaigns, one CSV row per trigger, filter
or flow step.

What was and was not confirmed against Marketo's documentation is in the README.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from calibrate.export.conditions import (
    Condition,
    conditions,
    mql_conditions,
    rule_conditions,
    scoring_lines,
)
from calibrate.export.rules_list import join_values, line_in_words
from calibrate.export.vendor_csv import csv_bytes
from calibrate.model.rule_settings import RuleSet
from calibrate.thresholds import ThresholdsLike

__all__ = ["MARKETO_COLUMNS", "marketo_csv"]

_MARKETO_SCORE = {"profile": "Demographic Score", "behavior": "Behavior Score"}
MARKETO_COLUMNS = ["campaign", "step", "type", "attribute", "operator", "value", "score",
                   "change"]


def _marketo_filters(c: Condition) -> list[tuple[str, str, Any]]:
    """(operator, value) rows of Marketo smart-list filters for one line (all hold)."""
    f = c.field
    if c.operator == "equals":
        return [(f, "is", c.value)]
    if c.operator == "is one of":
        return [(f, "is", join_values(c.value))]
    if c.operator == "is not one of":
        return [(f, "is not empty", ""), (f, "is not", join_values(c.value))]
    if c.operator in ("is empty", "is not empty"):
        return [(f, c.operator, "")]
    if c.operator in ("is true", "is false"):
        return [(f, "is", "True" if c.operator == "is true" else "False")]
    if c.operator == "less than":
        return [(f, "is less than", c.value)]
    if c.operator == "at least":
        return [(f, "at least", c.value)]
    if c.operator == "between":
        return [(f, "at least", c.value[0]), (f, "is less than", c.value[1])]
    # A date's days ago: "in past N days" holds the last N days up to now, "in past before
    # N days" the dates before them.
    if c.operator == "less than days ago":
        return [(f, "in past", f"{c.value} days")]
    if c.operator == "at least days ago":
        return [(f, "in past before", f"{c.value} days")]
    if c.operator == "between days ago":
        return [(f, "in past before", f"{c.value[0]} days"), (f, "in past", f"{c.value[1]} days")]
    return [(f, "see rule", c.value)]


def marketo_csv(table: pd.DataFrame, *, thresholds: ThresholdsLike = None,
                rules: RuleSet | Mapping[str, Any] | None = None,
                columns: Any = None) -> bytes:
    """Marketo smart campaigns, one row per trigger, filter or flow step.

    A rescore campaign (person created or a scored field changes) sets Demographic and
    Behavior Score to 0 and requests every scoring campaign; each scoring campaign
    ("Campaign is Requested" plus the line's filters) changes its score by the line's
    points, so a score is always the sum of the lines that hold now. A recency line is a
    date filter ("in past 30 days"), and a batch campaign reruns the rescore every night
    as the days pass. Then the MQL and auto-rule campaigns.
    """
    lines = scoring_lines(conditions(table, columns))
    rows: list[dict[str, Any]] = []

    def row(campaign: str, step: str, type_: str, attribute: str = "", operator: str = "",
            value: Any = "", score: str = "", change: str = "") -> None:
        rows.append({"campaign": campaign, "step": step, "type": type_,
                     "attribute": attribute, "operator": operator, "value": value,
                     "score": score, "change": change})

    names = [f"calibrate {c.score} {i:03d}: {line_in_words(c)}" for i, c in enumerate(lines, 1)]
    rescore = "calibrate 000: rescore"
    row(rescore, "trigger", "Person is Created")
    for field in dict.fromkeys(c.field for c in lines):
        row(rescore, "trigger", "Data Value Changes", field)
    for score in ("Demographic Score", "Behavior Score"):
        row(rescore, "flow", "Change Score", score=score, change="=0")
    for n in names:
        row(rescore, "flow", "Request Campaign", value=n)
    if any(c.kind == "recency" for c in lines):  # "in past" moves with the days: every night
        daily = "calibrate 000: rescore every night"
        row(daily, "schedule", "Recurring batch: every day",
            value="the 'in past' lines count days to today")
        row(daily, "filter", "Person was created", operator="in past", value="all time")
        for score in ("Demographic Score", "Behavior Score"):
            row(daily, "flow", "Change Score", score=score, change="=0")
        for n in names:
            row(daily, "flow", "Request Campaign", value=n)
    for n, c in zip(names, lines, strict=True):
        row(n, "trigger", "Campaign is Requested", value="Marketo Flow Action")
        for attribute, op, value in _marketo_filters(c):
            row(n, "filter", attribute, attribute, op, value)
        row(n, "flow", "Change Score", score=_MARKETO_SCORE[c.score], change=f"{c.points:+d}")
    mql_lines = mql_conditions(thresholds, table)
    if mql_lines:
        for segment in dict.fromkeys(c.segment for c in mql_lines):
            n = "calibrate MQL" + (f" ({segment})" if segment else "")
            row(n, "trigger", "Score is Changed", score="Demographic Score")
            row(n, "trigger", "Score is Changed", score="Behavior Score")
            if segment:
                row(n, "filter", "segment", "segment", "is", segment)
            for c in (c for c in mql_lines if c.segment == segment):
                score = {"profile score": "Demographic Score", "behavior score":
                         "Behavior Score", "total score": "Total Score (formula field)"}[c.field]
                row(n, "filter", score, score, "at least", c.value)
            row(n, "filter", "Lead Status", "Lead Status", "is not", "Disqualified")
            row(n, "flow", "Change Data Value", "Lead Status", value="MQL")
    for c in rule_conditions(rules, table, columns):
        n = f"calibrate {c.level}"
        for field in c.field.split("; "):
            row(n, "trigger", "Data Value Changes", field)
        for attribute, op, value in _marketo_filters(c):
            row(n, "filter", attribute, attribute, op, value)
        status = "Disqualified" if c.score == "auto-disqualify" else "MQL"
        row(n, "flow", "Change Data Value", "Lead Status", value=status)
    return csv_bytes(rows, MARKETO_COLUMNS)

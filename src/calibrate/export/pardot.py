"""The Account Engagement (Pardot) file (``--format pardot``): automation rules, one CSV row per
criterion, and the grading profile that turns profile points into grades.

What was and was not confirmed against Salesforce's documentation is in the README.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

__all__ = ["PARDOT_COLUMNS", "pardot_csv"]

PARDOT_COLUMNS = ["section", "rule", "match", "criterion", "field", "operator", "value",
                  "action", "amount"]
_PARDOT_OPS = {"equals": "is", "is one of": "is", "is not one of": "isn't",
               "is empty": "is empty", "is not empty": "isn't empty",
               "less than": "is less than", "at least": "is greater than or equal to",
               "is true": "is", "is false": "is",
               "less than days ago": "is less than N days ago",
               "at least days ago": "is at least N days ago"}


def _pardot_criteria(c: Condition) -> list[tuple[str, str, Any]]:
    f = f"Prospect custom field: {c.field}"
    if c.operator == "between":
        return [(f, "is greater than or equal to", c.value[0]),
                (f, "is less than", c.value[1])]
    if c.operator == "between days ago":
        return [(f, _PARDOT_OPS["at least days ago"], c.value[0]),
                (f, _PARDOT_OPS["less than days ago"], c.value[1])]
    if c.operator == "is not one of":
        return [(f, "isn't empty", ""), (f, "isn't", join_values(c.value))]
    if c.operator == "rule":
        return [(f, "see rule", c.value)]
    value: Any = c.value
    if c.operator in ("is one of",):
        value = join_values(c.value)
    elif c.operator in ("is true", "is false"):
        value = "true" if c.operator == "is true" else "false"
    elif value is None:
        value = ""
    return [(f, _PARDOT_OPS[c.operator], value)]


def pardot_csv(table: pd.DataFrame, *, thresholds: ThresholdsLike = None,
               rules: RuleSet | Mapping[str, Any] | None = None, columns: Any = None,
               cutoffs: Sequence[int] = (75, 50, 25)) -> bytes:
    """Account Engagement (Pardot) automation rules, one row per criterion.

    Behavior lines adjust the prospect score; profile lines adjust a "calibrate profile"
    scoring category; a recency line is a relative date criterion on the date field ("is
    less than N days ago", N the value: key it as the date field's days-ago criterion,
    not as a number); a grading profile turns the profile points into grades: criteria
    worth 3/3 of a letter each lift the starting D to C, B and A at the grade cut-offs,
    and an auto-disqualified prospect does not match a "qualified" criterion (F).
    """
    rows: list[dict[str, Any]] = []

    def add(section: str, rule: str, criteria: list[tuple[str, str, Any]], action: str,
            amount: Any, match: str = "all") -> None:
        for criterion, (field, op, value) in enumerate(criteria, 1):
            rows.append({"section": section, "rule": rule, "match": match,
                         "criterion": criterion, "field": field, "operator": op,
                         "value": value, "action": action, "amount": amount})

    for i, c in enumerate(scoring_lines(conditions(table, columns)), 1):
        rule = f"calibrate {c.score} {i:03d}: {line_in_words(c)}"
        if c.score == "behavior":
            add("scoring rule", rule, _pardot_criteria(c), "Adjust prospect score",
                f"{c.points:+d}")
        else:
            add("profile points", rule, _pardot_criteria(c),
                "Adjust prospect score for scoring category 'calibrate profile'",
                f"{c.points:+d}")
    profile = "Scoring category score: calibrate profile"
    for letter, cut in zip("CBA", sorted(cutoffs), strict=True):
        add("grading profile", f"calibrate grade {letter}: profile at least {cut}",
            [(profile, "is greater than", int(cut) - 1),
             ("Prospect tag", "doesn't contain", "calibrate-disqualified")],
            f"Change profile criteria 'calibrate profile' - 'profile {cut}+' to matches",
            "3/3")
    for c in rule_conditions(rules, table, columns):
        if c.score == "auto-disqualify":
            add("auto-rule", f"calibrate {c.level}", _pardot_criteria(c),
                "Apply tag calibrate-disqualified; change profile criteria 'calibrate "
                "profile' - 'qualified' to does not match (grade F)", "3/3")
        else:
            add("auto-rule", f"calibrate {c.level}", _pardot_criteria(c),
                "Apply tag calibrate-mql", "")
    for segment in dict.fromkeys(c.segment for c in mql_conditions(thresholds, table)):
        crit = []
        if segment:
            crit.append(("Prospect custom field: segment", "is", segment))
        for c in (c for c in mql_conditions(thresholds, table) if c.segment == segment):
            field = {"profile score": profile, "behavior score": "Prospect score",
                     "total score": "Prospect custom field: calibrate total"}[c.field]
            crit.append((field, "is greater than", int(c.value) - 1))
        crit.append(("Prospect tag", "doesn't contain", "calibrate-disqualified"))
        add("mql", "calibrate MQL" + (f" ({segment})" if segment else ""), crit,
            "Apply tag calibrate-mql", "")
    return csv_bytes(rows, PARDOT_COLUMNS)

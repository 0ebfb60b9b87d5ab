"""The HubSpot file (``--format hubspot``): a combined lead score for the Lead Scoring API (beta).

What was and was not confirmed against HubSpot's documentation is in the README.
"""

from __future__ import annotations

import json
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
from calibrate.export.rules_list import line_in_words, value_cell
from calibrate.model.rule_settings import RuleSet
from calibrate.thresholds import ThresholdsLike

__all__ = ["hubspot_json"]


def _hubspot_filters(c: Condition) -> list[dict[str, Any]]:
    """Lists-API style property filters (all must hold) for one line."""
    prop = c.field

    def f(operation: dict[str, Any]) -> dict[str, Any]:
        return {"filterType": "PROPERTY", "property": prop, "operation": operation}

    def num(op: str, v: Any) -> dict[str, Any]:
        return f({"operationType": "NUMBER", "operator": op, "value": v})

    def ago(op: str, days: int) -> dict[str, Any]:
        return f({"operationType": "ROLLING_DATE_RANGE", "operator": op, "numberOfDays": days,
                  "includeObjectsWithNoValueSet": False, "requiresTimeZoneConversion": False})

    # A date's whole days ago: less than N is "less than N days ago"; at least N is "more
    # than N - 1 days ago".
    if c.operator == "less than days ago":
        return [ago("IS_LESS_THAN_X_DAYS_AGO", int(c.value))]
    if c.operator == "at least days ago":
        return [ago("IS_MORE_THAN_X_DAYS_AGO", int(c.value) - 1)]
    if c.operator == "between days ago":
        return [ago("IS_MORE_THAN_X_DAYS_AGO", int(c.value[0]) - 1),
                ago("IS_LESS_THAN_X_DAYS_AGO", int(c.value[1]))]

    if c.operator == "is empty":
        return [f({"operationType": "ALL_PROPERTY", "operator": "IS_UNKNOWN"})]
    if c.operator == "is not empty":
        return [f({"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN"})]
    if c.operator in ("is true", "is false"):
        return [f({"operationType": "BOOL", "operator": "IS_EQUAL_TO",
                   "value": c.operator == "is true"})]
    if c.operator == "less than":
        return [num("IS_LESS_THAN", c.value)]
    if c.operator == "at least":
        return [num("IS_GREATER_THAN_OR_EQUAL_TO", c.value)]
    if c.operator == "between":
        return [num("IS_GREATER_THAN_OR_EQUAL_TO", c.value[0]),
                num("IS_LESS_THAN", c.value[1])]
    values = [c.value] if c.operator == "equals" else list(c.value)
    op = "IS_NOT_EQUAL_TO" if c.operator == "is not one of" else "IS_EQUAL_TO"
    out = [f({"operationType": "MULTISTRING", "operator": op, "values": values,
              "includeObjectsWithNoValueSet": False})]
    if c.operator == "is not one of":
        out.insert(0, f({"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN"}))
    return out


def hubspot_json(table: pd.DataFrame, *, thresholds: ThresholdsLike = None,
                 rules: RuleSet | Mapping[str, Any] | None = None, columns: Any = None,
                 name: str = "calibrate lead score") -> bytes:
    """A HubSpot combined lead score as the Lead Scoring API (beta) takes it: one fit
    group per profile attribute and one engagement group per behavior attribute, each
    with its rules (points per line) and its limit (the attribute's most points).

    The body is under ``score`` (POST it to ``/marketing/lead-scoring/2026-09-beta/
    scores``, then publish the draft); the MQL definition and auto-rules follow as lists
    filters for a workflow. See the README for what could and could not be confirmed.
    """
    lines = conditions(table, columns)
    groups = []
    for axis, category in (("profile", "FIT"), ("behavior", "ENGAGEMENT")):
        for attribute in dict.fromkeys(c.attribute for c in lines if c.score == axis):
            own = [c for c in scoring_lines(lines) if c.attribute == attribute and c.score == axis]
            if not own:
                continue
            groups.append({
                "groupCategory": category, "groupName": own[0].field,
                "maxValue": max(c.points for c in own), "minValue": min(0, *(c.points
                                                                            for c in own)),
                "ruleConfigurations": [{
                    "enabled": True,
                    "configuration": {
                        "calculation": {"type": "CONSTANT", "value": c.points},
                        "filterBranch": {"filterBranchType": "AND", "filterBranches": [],
                                         "filters": _hubspot_filters(c)}},
                    "maximumValue": c.points, "minimumValue": c.points,
                    "_calibrate": f"{c.level} ({line_in_words(c)})"} for c in own]})
    mql = []
    for c in mql_conditions(thresholds, table):
        prop = {"profile score": "fit score", "behavior score": "engagement score",
                "total score": "calibrate total (a number property you keep: HubSpot's total "
                               "is fit + engagement, not calibrate's weighted total)"}[c.field]
        mql.append({"segment": c.segment, "property": prop,
                    "operation": {"operationType": "NUMBER",
                                  "operator": "IS_GREATER_THAN_OR_EQUAL_TO", "value": c.value},
                    "note": c.level})
    doc = {
        "format": "calibrate-hubspot-lead-scoring", "version": 1,
        "api": "POST /marketing/lead-scoring/2026-09-beta/scores with the body under "
               "'score', then POST /marketing/lead-scoring/2026-09-beta/scores/{scoreId}/"
               "draft/publish",
        "score": {"name": name, "objectTypeId": "0-1", "maxScore": 100,
                  "allowedGroupTypes": [], "groupConfigs": groups},
        "mql": mql,
        "auto_rules": [{"rule": c.level, "fields": c.field, "operator": c.operator,
                        "value": value_cell(c)} for c in rule_conditions(rules, table, columns)],
        "notes": [
            "Replace each 'property' with the property's internal name in HubSpot.",
            "Keys starting with '_' are calibrate's notes: remove them before sending.",
            "Text compares without case; 'is not one of' also requires a known value.",
        ] + (["Dates compare in whole days before today: 'at least 30 days ago' is written "
              "'more than 29 days ago'."] if any(c.kind == "recency" for c in lines) else []),
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

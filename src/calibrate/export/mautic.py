"""The Mautic file (``--format mautic``): a build sheet of point groups, segments, campaigns,
point triggers and MQL segments.

What was and was not confirmed against Mautic's documentation is in the README.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from calibrate.data.store import ColumnInfo
from calibrate.export.conditions import (
    Condition,
    conditions,
    headers,
    mql_conditions,
    rule_conditions,
    scoring_lines,
)
from calibrate.export.rules_list import line_in_words
from calibrate.model.rule_settings import RuleSet
from calibrate.thresholds import ThresholdsLike

__all__ = ["mautic_json"]

_MAUTIC_OPS = {"equals": "=", "is one of": "in", "is not one of": "!in",
               "is empty": "empty", "is not empty": "!empty", "less than": "lt",
               "at least": "gte", "is true": "=", "is false": "="}


def _mautic_filters(c: Condition) -> list[dict[str, Any]]:
    type_ = {"numeric": "number", "flag": "boolean", "recency": "date"}.get(c.kind, "text")

    def one(op: str, value: Any) -> dict[str, Any]:
        return {"glue": "and", "field": c.field, "object": "lead", "type": type_,
                "operator": op, "properties": {"filter": value}}

    if c.operator == "between":
        return [one("gte", c.value[0]), one("lt", c.value[1])]
    # A date's days ago as Mautic's relative dates: after "-N days" is less than N days ago.
    if c.operator == "less than days ago":
        return [one("gt", f"-{c.value} days")]
    if c.operator == "at least days ago":
        return [one("lte", f"-{c.value} days")]
    if c.operator == "between days ago":
        return [one("lte", f"-{c.value[0]} days"), one("gt", f"-{c.value[1]} days")]
    if c.operator in ("is one of", "is not one of"):
        out = [one(_MAUTIC_OPS[c.operator], list(c.value))]
        return ([one("!empty", None)] + out) if c.operator == "is not one of" else out
    if c.operator in ("is true", "is false"):
        return [one("=", 1 if c.operator == "is true" else 0)]
    return [one(_MAUTIC_OPS[c.operator], c.value)]


def mautic_json(table: pd.DataFrame, *, thresholds: ThresholdsLike = None,
                rules: RuleSet | Mapping[str, Any] | None = None,
                columns: Any = None) -> bytes:
    """Mautic point groups, the segment and campaign action behind each line, the point
    triggers of the MQL thresholds (one per group, tagging the contact) and the MQL
    segments (the tags, no auto-disqualifier; or an auto-qualifier)."""
    groups = {"profile": "calibrate profile", "behavior": "calibrate behavior"}
    segments, campaigns = [], []
    for i, c in enumerate(scoring_lines(conditions(table, columns)), 1):
        name = f"calibrate {c.score} {i:03d}: {line_in_words(c)}"
        segments.append({"name": name, "isPublished": True, "filters": _mautic_filters(c)})
        campaigns.append({"name": name, "segment": name, "events": [{
            "type": "lead.changepoints", "name": f"{c.points:+d} {groups[c.score]}",
            "properties": {"points": c.points, "group": groups[c.score]}}]})
    header = headers(columns)
    segment_field = next((header.get(c.name, c.name) for c in columns or ()
                          if isinstance(c, ColumnInfo) and c.role == "segment"), "segment")

    def tag(op: str, value: str, glue: str = "and") -> dict[str, Any]:
        return {"glue": glue, "field": "tags", "object": "lead", "type": "tags",
                "operator": op, "properties": {"filter": [value]}}

    triggers, mql = [], []
    lines = mql_conditions(thresholds, table)
    for segment in dict.fromkeys(c.segment for c in lines):
        filters: list[dict[str, Any]] = []
        if segment:
            filters.append({"glue": "and", "field": segment_field, "object": "lead",
                            "type": "text", "operator": "=", "properties": {"filter": segment}})
        for c in (c for c in lines if c.segment == segment):
            if c.field == "total score":  # no weighted total in Mautic: a field you keep
                filters.append({"glue": "and", "field": "calibrate_total", "object": "lead",
                                "type": "number", "operator": "gte",
                                "properties": {"filter": c.value}, "note": c.level})
                continue
            axis = c.field.split()[0]
            ready = f"calibrate-{axis}-{c.value}"
            triggers.append({"name": f"calibrate: {c.field} at least {c.value}",
                             "group": groups[axis], "points": c.value,
                             "triggerExistingLeads": True, "events": [{
                                 "type": "lead.changetags",
                                 "properties": {"add_tags": [ready]}}]})
            filters.append(tag("in", ready))
        filters.append(tag("!in", "calibrate-disqualified"))
        mql.append({"name": "calibrate MQL" + (f" ({segment})" if segment else ""),
                    "filters": filters + [tag("in", "calibrate-mql", "or"),
                                          tag("!in", "calibrate-disqualified")]})
    auto = [{"name": f"calibrate {c.level}", "filters": _mautic_filters(c)
             if c.operator != "rule" else [], "rule": c.value if c.operator == "rule"
             else "", "tag": "calibrate-disqualified" if c.score == "auto-disqualify"
             else "calibrate-mql"} for c in rule_conditions(rules, table, columns)]
    doc = {"format": "calibrate-mautic-points", "version": 1,
           "point_groups": [{"name": g} for g in groups.values()],
           "segments": segments, "campaigns": campaigns, "point_triggers": triggers,
           "mql_segments": mql, "auto_rules": auto}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

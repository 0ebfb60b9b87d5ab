"""The conditions every marketing-automation export is made of: one line per field and condition.

Why one list: the generic rules list (:mod:`calibrate.export.rules_list`), the SQL
(:mod:`calibrate.export.score_sql`) and the HubSpot, Marketo, Account Engagement (Pardot)
and Mautic files are all written from these lines, so they cannot drift apart. Each
condition mirrors how calibrate itself scores a lead (:mod:`calibrate.model.encode`,
:mod:`calibrate.model.lead_points`):

* text (categorical) compares trimmed and without case; a level of its own is ``equals``,
  "Other" is ``is not one of`` the named levels (a value is needed: blanks are "Missing"),
  "Missing" is ``is empty``. When "Missing" and "Other" score differently, the values
  calibrate's cleaning reads as missing ("Select", "Unknown", "N/A", ...) get an
  ``is one of`` line with the "Missing" points and are excluded from "Other";
* numbers fall in half-open ranges that cover the whole line (``less than`` the first
  cut, ``between a and b`` with a inclusive and b exclusive, ``at least`` the last cut);
  a behavior count below 0 is read as missing, as the cleaning reads it;
* flags are ``is true`` / ``is false`` (the yes and no words of the cleaning) and
  ``is empty`` for anything else;
* recency (the days since "Last Activity Date") is a relative date condition on the date field
  as written, never a number: ``less than days ago`` the first cut, ``between days ago``
  (at least a, less than b days ago), ``at least days ago`` the last cut, ``is empty``
  without a date. Days are whole days before the scoring date (today in the tools); a
  date after it counts as 0 days ago.

A lead matches exactly one line per field, and the points of its lines add up to its
profile and behavior points. Lines for the MQL definition and the auto-rules in force
follow (:func:`mql_conditions`, :func:`rule_conditions`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from calibrate.data.store import ColumnInfo
from calibrate.decide.rules import active_rules, column_finder, describe
from calibrate.model.encode import MISSING, OTHER
from calibrate.model.points import axis_ranges
from calibrate.model.rule_settings import RuleSet
from calibrate.thresholds import Bar, Thresholds, ThresholdsLike
from calibrate.vocabulary import NO, PLACEHOLDERS, YES

__all__ = [
    "FALSE_WORDS",
    "MISSING_WORDS",
    "TRUE_WORDS",
    "Condition",
    "all_conditions",
    "column_types",
    "conditions",
    "headers",
    "mql_conditions",
    "plain_number",
    "rule_conditions",
    "scoring_lines",
    "total_formula",
]

#: Values the cleaning reads as missing (blank excluded), plus the reserved level name.
MISSING_WORDS = tuple(p for p in PLACEHOLDERS if p) + (MISSING.lower(),)
#: The yes and no words of the cleaning (``is true`` / ``is false``).
TRUE_WORDS = YES
FALSE_WORDS = NO
_SCORE_OF_AXIS = {"profile": "profile", "behavior": "behavior"}


@dataclass(frozen=True)
class Condition:
    """One line of the rules list.

    ``score``: profile, behavior, mql, auto-qualify or auto-disqualify; ``field``: the
    header as the user's export wrote it (for mql lines "profile score", "behavior score"
    or "total score"); ``value``: None, a text, a number, a ``(low, high)`` pair for
    ``between`` or a tuple of texts for ``is one of`` / ``is not one of``; ``kind``: how
    the field is read (categorical, numeric, flag, score, rule).
    """

    score: str
    field: str
    operator: str
    value: Any = None
    points: int | None = None
    level: str = ""
    segment: str = ""
    kind: str = ""
    attribute: str = ""


# ------------------------------------------------------------------ building the lines


def headers(columns: Any) -> dict[str, str]:
    """Stored column name -> header as written (identity when unknown)."""
    out: dict[str, str] = {}
    for c in columns or ():
        if isinstance(c, ColumnInfo):
            out[c.name] = c.source_name or c.name
    return out


def _finite(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and math.isfinite(
        float(x))


def plain_number(x: float) -> int | float:
    """A bound as the plainest number: 26, not 26.0; 1.35 as written."""
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


@dataclass(frozen=True)
class _Attribute:
    """What every line of one attribute shares (score, header, kind, points per level)."""

    score: str
    field: str
    name: str
    kind: str
    points: dict[str, int]

    def line(self, operator: str, value: Any, level: str, points: int | None = None
             ) -> Condition:
        return Condition(self.score, self.field, operator, value,
                         self.points.get(level, 0) if points is None else points, level, "",
                         self.kind, self.name)


def conditions(table: pd.DataFrame, columns: Any = None) -> list[Condition]:
    """Every level of the points table as conditions, zero points included, in table order.

    ``columns`` (the store's :class:`~calibrate.data.store.ColumnInfo` rows, optional) gives
    each attribute's header as written; without it the attribute name is used.
    """
    header = headers(columns)
    out: list[Condition] = []
    for attribute, rows in table.groupby("attribute", sort=False):
        rows = rows.sort_values("code")
        axis = str(rows["axis"].iloc[0])
        a = _Attribute(_SCORE_OF_AXIS.get(axis, axis), header.get(str(attribute),
                       str(attribute)), str(attribute), str(rows["kind"].iloc[0]),
                       {str(lv): int(p) for lv, p in zip(rows["level"], rows["points"],
                                                          strict=True)})
        if a.kind == "recency":
            out += _recency(rows, a)
        elif a.kind == "categorical":
            out += _categorical(rows, a)
        elif a.kind == "flag":
            out += [a.line(op, None, level) for level, op in (
                ("Yes", "is true"), ("No", "is false"), (MISSING, "is empty"))
                if level in a.points]
        else:
            out += _numeric(rows, a)
    return out


def _categorical(rows: pd.DataFrame, a: _Attribute) -> list[Condition]:
    named = [str(v) for v in rows["level"] if v not in (OTHER, MISSING)]
    out = [a.line("equals", v, v) for v in named]
    folded = {v.casefold() for v in named}
    words = tuple(w for w in MISSING_WORDS if w.casefold() not in folded)
    p = a.points
    # The words that mean missing need their own line when Missing and Other differ (and
    # when there is no named level, to keep "is not one of" a text operator).
    split = OTHER not in p or not named or p[OTHER] != p.get(MISSING, 0)
    if OTHER in p:
        out.append(a.line("is not one of", tuple(named) + (words if split else ()), OTHER))
    if MISSING in p:
        out.append(a.line("is empty", None, MISSING))
        if split:
            out.append(a.line("is one of", words, MISSING))
    return out


#: The operators of a binned attribute's lines: below a cut, from a cut, between two.
NUMBER_OPERATORS = ("less than", "at least", "between")
DAYS_OPERATORS = ("less than days ago", "at least days ago", "between days ago")


def _cut_points(rows: pd.DataFrame) -> tuple[list[str], list[float]]:
    """The bin levels of a binned attribute and its cuts (the lower bounds of bins 2..k)."""
    bins = rows[rows["level"] != MISSING]
    lowers = [float(v) for v in bins["lower"]]
    uppers = [float(v) for v in bins["upper"]]
    cuts = [lowers[i] if _finite(lowers[i]) else uppers[i - 1] for i in range(1, len(lowers))]
    return [str(v) for v in bins["level"]], cuts


def _binned(rows: pd.DataFrame, a: _Attribute, operators: tuple[str, str, str],
            floor: float | None = None) -> list[Condition]:
    """A line per bin (from ``floor`` up, when given), then the Missing line."""
    levels, cuts = _cut_points(rows)
    below, from_, between = operators
    out: list[Condition] = []
    for i, level in enumerate(levels):
        lo = cuts[i - 1] if i > 0 else None
        hi = cuts[i] if i < len(cuts) else None
        if floor is not None:
            if hi is not None and hi <= floor:
                continue  # no count falls here
            lo = floor if lo is None or lo < floor else lo
        if lo is None and hi is None:
            out.append(a.line("is not empty", None, level))
        elif lo is None:
            out.append(a.line(below, plain_number(hi), level))
        elif hi is None:
            out.append(a.line(from_, plain_number(lo), level))
        else:
            out.append(a.line(between, (plain_number(lo), plain_number(hi)), level))
    if MISSING in a.points:
        out.append(a.line("is empty", None, MISSING))
    return out


def _numeric(rows: pd.DataFrame, a: _Attribute) -> list[Condition]:
    if a.score != "behavior":
        return _binned(rows, a, NUMBER_OPERATORS)
    # The cleaning reads negative behavior counts as missing.
    return [a.line("less than", 0, MISSING)] + _binned(rows, a, NUMBER_OPERATORS, floor=0.0)


def _recency(rows: pd.DataFrame, a: _Attribute) -> list[Condition]:
    """A recency attribute's lines: relative date conditions on its date field."""
    return _binned(rows, a, DAYS_OPERATORS)


def _threshold_lines(t: Bar, segment: str, formula: str) -> list[Condition]:
    if t.mode == "total":
        return [Condition("mql", "total score", "at least", t.value("min_total"),
                          None, f"MQL ({formula})", segment, "score")]
    return [Condition("mql", "profile score", "at least", t.value("min_profile"),
                      None, "MQL (both lines)", segment, "score"),
            Condition("mql", "behavior score", "at least", t.value("min_behavior"),
                      None, "MQL (both lines)", segment, "score")]


def total_formula(table: pd.DataFrame) -> str:
    """How the total score is made from the two axes, in words with its weights."""
    r = axis_ranges(table)
    rp, rb = r.get("profile", 0.0), r.get("behavior", 0.0)
    wp, wb = (rp / (rp + rb), rb / (rp + rb)) if rp + rb > 0 else (0.5, 0.5)
    return (f"total = profile x {wp:.4f} + behavior x {wb:.4f}, rounded half up; exactly "
            f"(profile x {rp!r} + behavior x {rb!r}) / {rp + rb!r}")


def mql_conditions(thresholds: ThresholdsLike,
                   table: pd.DataFrame) -> list[Condition]:
    """The MQL definition as lines: profile and behavior score at least P and B (both lines
    hold), or total score at least T; repeated per segment when ``thresholds`` has
    ``segments`` ({segment: thresholds}); a ``segment`` key limits the main lines to it."""
    bars = Thresholds.of(thresholds)
    if not bars:
        return []
    formula = total_formula(table)
    out = []
    if bars.main is not None:
        out += _threshold_lines(bars.main, bars.only or "", formula)
    for segment, t in bars.segments.items():
        out += _threshold_lines(t, segment, formula)
    return out


def _rule_fields(label: str, rules: RuleSet, names: Iterable[str],
                 header: Mapping[str, str]) -> list[str]:
    """The columns (as headers) an auto-rule reads."""
    has = set(names)
    find = column_finder(has)
    kind = label.split(":", 1)[1]
    cols: list[str] = []
    if kind == "competitor":
        cols = [c for c in ("email", "company") if c in has]
    elif kind == "fake_name":
        cols = [c for c in ("full_name", "first_name", "last_name") if c in has]
    elif kind == "fake_phone":
        cols = ["phone"]
    elif kind in ("throwaway_email", "malformed_email"):
        cols = ["email"]
    elif kind == "student":
        cols = [c for k in rules.students if (c := find(k))]
    else:
        cols = [kind]
    return [header.get(c, c) for c in dict.fromkeys(cols)]


def column_types(table: pd.DataFrame, columns: Any) -> dict[str, str]:
    """Column name -> DuckDB type for the auto-rules: the store's columns when given (not
    the ignored ones, as calibrate's scoring), else the table's attributes (flags as
    BOOLEAN)."""
    if columns:
        out = {}
        for c in columns:
            if isinstance(c, ColumnInfo):
                if c.role != "ignore":
                    out[c.name] = "BOOLEAN" if c.type == "flag" else ""
            else:
                out[str(c)] = ""
        return out
    kinds = table.groupby("attribute", sort=False)["kind"].first()
    return {str(a): ("BOOLEAN" if k == "flag" else "") for a, k in kinds.items()}


def rule_conditions(rules: RuleSet | Mapping[str, Any] | None, table: pd.DataFrame,
                    columns: Any = None) -> list[Condition]:
    """One line per auto-rule in force (:func:`calibrate.decide.rules.active_rules`), in
    precedence order: disqualifiers first, then qualifiers. ``rules`` None: none."""
    if rules is None:
        return []
    rules = rules if isinstance(rules, RuleSet) else RuleSet.from_dict(rules)
    types = column_types(table, columns)
    header = headers(columns)
    find = column_finder(types)
    words = describe(rules, types)
    out: list[Condition] = []
    i = 0
    for label in active_rules(rules, types):
        if label.startswith("disqualified:"):
            text = words[i] if i < len(words) else label
            i += 1
            out.append(Condition("auto-disqualify", "; ".join(_rule_fields(
                label, rules, types, header)), "rule", text, None, label, "", "rule"))
            continue
        col = label.split(":", 1)[1]
        field = header.get(col, col)
        if any(find(k) == col for k in rules.qualify_flags):
            i += 1
            out.append(Condition("auto-qualify", field, "is true", None, None, label, "",
                                 "flag"))
        values = next((v for k, v in rules.qualify_values.items() if find(k) == col), [])
        values = [" ".join(str(v).lower().split()) for v in values if str(v).strip()]
        if values:
            i += 1
            out.append(Condition("auto-qualify", field, "is one of", tuple(dict.fromkeys(
                values)), None, label, "", "categorical"))
    return out


def all_conditions(table: pd.DataFrame, *, thresholds: Mapping[str, Any] | None = None,
                   rules: RuleSet | Mapping[str, Any] | None = None,
                   columns: Any = None) -> list[Condition]:
    """Scoring lines, then the MQL definition, then the auto-rules."""
    return (conditions(table, columns) + mql_conditions(thresholds, table)
            + rule_conditions(rules, table, columns))


def scoring_lines(lines: Sequence[Condition]) -> list[Condition]:
    """The scoring lines (profile and behavior) that give points: what vendor files key in."""
    return [c for c in lines if c.score in ("profile", "behavior") and c.points]

"""The agreed score as marketing-automation systems take it: rules, portable SQL, vendor files.

Why one module: every export here is the same list of conditions (:func:`conditions`), so
the generic rules list an admin keys in, the SQL a warehouse runs and the HubSpot, Marketo,
Account Engagement (Pardot) and Mautic files cannot drift apart. Each condition mirrors
how calibrate itself scores a lead (:mod:`calibrate.model.encode`,
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
  ``is empty`` for anything else.

A lead matches exactly one line per field, and the points of its lines add up to its
profile and behavior points. Lines for the MQL definition and the auto-rules in force
follow (:func:`mql_conditions`, :func:`rule_conditions`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from calibrate.cells import neutralise
from calibrate.data.store import ColumnInfo
from calibrate.decide.rules import RuleSet, active_rules, column_finder, describe
from calibrate.model.encode import MISSING, OTHER
from calibrate.model.points import axis_ranges
from calibrate.sql import literal, quote
from calibrate.vocabulary import NO, PLACEHOLDERS, YES

__all__ = [
    "COLUMNS",
    "DIALECTS",
    "OPERATORS",
    "Condition",
    "conditions",
    "hubspot_json",
    "marketo_csv",
    "mautic_json",
    "mql_conditions",
    "pardot_csv",
    "portable_sql",
    "rule_conditions",
    "rules_frame",
]

#: The generic rules list's columns, in order (documented in the README).
COLUMNS = ["score", "field", "operator", "value", "points", "level", "segment"]
#: The operators of the generic rules list and what each means.
OPERATORS = {
    "equals": "the text, trimmed and compared without case, is the value",
    "is one of": "the text is one of the values (separated by '; ')",
    "is not one of": "the field has a value and it is none of the values",
    "is empty": "text: blank; number: no number; flag: neither a yes nor a no word",
    "is not empty": "the field holds a number (an attribute with a single range)",
    "less than": "the number is below the value",
    "at least": "the number is the value or above",
    "between": "'a and b': the number is at least a and less than b",
    "is true": "a yes word: yes, y, true, 1, x, checked, on, ja, oui, si...",
    "is false": "a no word: no, n, false, 0, unchecked, off, nein, non...",
    "rule": "an auto-rule stated in words (the value); key it as your system allows",
}
DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery")
SEPARATOR = "; "
#: Values the cleaning reads as missing (blank excluded), plus the reserved level name.
MISSING_WORDS = tuple(p for p in PLACEHOLDERS if p) + (MISSING.lower(),)
TRUE_WORDS = YES
FALSE_WORDS = NO
_SCORE_OF_AXIS = {"profile": "profile", "behavior": "behavior"}
_SIGNED = re.compile(r"[+-]\d+")


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


def _headers(columns: Any) -> dict[str, str]:
    """Stored column name -> header as written (identity when unknown)."""
    out: dict[str, str] = {}
    for c in columns or ():
        if isinstance(c, ColumnInfo):
            out[c.name] = c.source_name or c.name
    return out


def _finite(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and math.isfinite(
        float(x))


def _number(x: float) -> int | float:
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
    header = _headers(columns)
    out: list[Condition] = []
    for attribute, rows in table.groupby("attribute", sort=False):
        rows = rows.sort_values("code")
        axis = str(rows["axis"].iloc[0])
        a = _Attribute(_SCORE_OF_AXIS.get(axis, axis), header.get(str(attribute),
                       str(attribute)), str(attribute), str(rows["kind"].iloc[0]),
                       {str(lv): int(p) for lv, p in zip(rows["level"], rows["points"],
                                                          strict=True)})
        if a.kind == "categorical":
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


def _numeric(rows: pd.DataFrame, a: _Attribute) -> list[Condition]:
    bins = rows[rows["level"] != MISSING]
    lowers = [float(v) for v in bins["lower"]]
    uppers = [float(v) for v in bins["upper"]]
    cuts: list[float] = []
    for i in range(1, len(lowers)):  # calibrate cuts at the lower bound of bins 2..k
        cuts.append(lowers[i] if _finite(lowers[i]) else uppers[i - 1])
    out: list[Condition] = []
    floor = None
    if a.score == "behavior":  # the cleaning reads negative behavior counts as missing
        floor = 0.0
        out.append(a.line("less than", 0, MISSING))
    for i, level in enumerate(str(v) for v in bins["level"]):
        lo = cuts[i - 1] if i > 0 else None
        hi = cuts[i] if i < len(cuts) else None
        if floor is not None:
            if hi is not None and hi <= floor:
                continue  # no count falls here
            lo = floor if lo is None or lo < floor else lo
        if lo is None and hi is None:
            out.append(a.line("is not empty", None, level))
        elif lo is None:
            out.append(a.line("less than", _number(hi), level))
        elif hi is None:
            out.append(a.line("at least", _number(lo), level))
        else:
            out.append(a.line("between", (_number(lo), _number(hi)), level))
    if MISSING in a.points:
        out.append(a.line("is empty", None, MISSING))
    return out


def _threshold_lines(t: Mapping[str, Any], segment: str, formula: str) -> list[Condition]:
    if t.get("mode") == "total":
        return [Condition("mql", "total score", "at least", int(t.get("min_total", 101)),
                          None, f"MQL ({formula})", segment, "score")]
    return [Condition("mql", "profile score", "at least", int(t.get("min_profile", 101)),
                      None, "MQL (both lines)", segment, "score"),
            Condition("mql", "behavior score", "at least", int(t.get("min_behavior", 101)),
                      None, "MQL (both lines)", segment, "score")]


def total_formula(table: pd.DataFrame) -> str:
    """How the total score is made from the two axes, in words with its weights."""
    r = axis_ranges(table)
    rp, rb = r.get("profile", 0.0), r.get("behavior", 0.0)
    wp, wb = (rp / (rp + rb), rb / (rp + rb)) if rp + rb > 0 else (0.5, 0.5)
    return (f"total = profile x {wp:.4f} + behavior x {wb:.4f}, rounded half up; exactly "
            f"(profile x {rp!r} + behavior x {rb!r}) / {rp + rb!r}")


def mql_conditions(thresholds: Mapping[str, Any] | None,
                   table: pd.DataFrame) -> list[Condition]:
    """The MQL definition as lines: profile and behavior score at least P and B (both lines
    hold), or total score at least T; repeated per segment when ``thresholds`` has
    ``segments`` ({segment: thresholds}); a ``segment`` key limits the main lines to it."""
    if not thresholds:
        return []
    formula = total_formula(table)
    out = []
    if any(k in thresholds for k in ("mode", "min_profile", "min_behavior", "min_total")):
        out += _threshold_lines(thresholds, str(thresholds.get("segment") or ""), formula)
    for segment, t in (thresholds.get("segments") or {}).items():
        out += _threshold_lines(t, str(segment), formula)
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


def _names_types(table: pd.DataFrame, columns: Any) -> dict[str, str]:
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
    types = _names_types(table, columns)
    header = _headers(columns)
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


# ------------------------------------------------------------------ the generic list


def join_values(values: Iterable[str]) -> str:
    """Values joined with '; '; one holding ';', a double quote or an outer space is
    written in double quotes with inner quotes doubled (as in CSV)."""
    parts = []
    for v in values:
        v = str(v)
        if ";" in v or '"' in v or v != v.strip():
            v = '"' + v.replace('"', '""') + '"'
        parts.append(v)
    return SEPARATOR.join(parts)


def _cell(c: Condition) -> Any:
    """The value column: numbers as numbers, texts neutralised only where they are level
    texts (or rule words) a spreadsheet could run."""
    v = c.value
    if c.operator in ("less than", "at least"):
        return v
    if c.operator == "between":
        return f"{v[0]} and {v[1]}"
    if c.operator in ("is one of", "is not one of"):
        return neutralise(join_values(v))
    if v is None:
        return ""
    return neutralise(str(v)) if isinstance(v, str) else v


def rules_frame(lines: Sequence[Condition], *, keep_zero: bool = True) -> pd.DataFrame:
    """The generic rules list: one row per line, columns :data:`COLUMNS`.

    Scoring lines worth 0 points are kept by default (every value then lands on exactly
    one line, which shows the coverage); ``keep_zero=False`` leaves them out.
    """
    rows = []
    for c in lines:
        if not keep_zero and c.points == 0:
            continue
        rows.append({"score": c.score, "field": neutralise(c.field), "operator": c.operator,
                     "value": _cell(c), "points": "" if c.points is None else int(c.points),
                     "level": neutralise(c.level), "segment": neutralise(c.segment)})
    return pd.DataFrame(rows, columns=COLUMNS)


# ------------------------------------------------------------------ portable SQL


def _table(name: str) -> str:
    """The table: bare when a plain (dotted) name, so each dialect folds its case as it
    does for names written bare (Snowflake: LEADS); else quoted."""
    return name if re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", name, re.ASCII) else quote(name)


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def _n(x: float) -> str:
    """A number literal that is exact in every dialect (decimals cast from text)."""
    v = _number(x)
    return str(v) if isinstance(v, int) else f"CAST({literal(repr(v))} AS DOUBLE)"


def _text(field: str) -> str:
    return f"LOWER(TRIM(CAST({quote(field)} AS VARCHAR)))"


def _sql_condition(c: Condition) -> str:
    """The SQL condition of one scoring or auto-qualify line."""
    if c.kind == "numeric":
        x = f"CAST({quote(c.field)} AS DOUBLE)"
        return {"less than": lambda: f"{x} < {_n(c.value)}",
                "at least": lambda: f"{x} >= {_n(c.value)}",
                "between": lambda: f"{x} >= {_n(c.value[0])} AND {x} < {_n(c.value[1])}",
                "is empty": lambda: f"{x} IS NULL",
                "is not empty": lambda: f"{x} IS NOT NULL"}[c.operator]()
    t = _text(c.field)
    if c.kind == "flag":
        return {"is true": lambda: f"{t} IN {_in(TRUE_WORDS)}",
                "is false": lambda: f"{t} IN {_in(FALSE_WORDS)}",
                "is empty": lambda: f"({t} IS NULL OR {t} NOT IN {_in(TRUE_WORDS + FALSE_WORDS)})"
                }[c.operator]()
    return {"equals": lambda: f"{t} = {literal(str(c.value).lower())}",
            "is one of": lambda: f"{t} IN {_in(v.lower() for v in c.value)}",
            "is not one of": lambda: f"{t} <> '' AND {t} NOT IN {_in(v.lower() for v in c.value)}",
            "is not empty": lambda: f"{t} <> ''",
            "is empty": lambda: f"({t} IS NULL OR {t} = '')"}[c.operator]()


def _axis_sql(lines: Sequence[Condition], axis: str) -> str:
    parts = []
    for attribute in dict.fromkeys(c.attribute for c in lines if c.score == axis):
        whens = " ".join(f"WHEN {_sql_condition(c)} THEN {int(c.points)}"
                         for c in lines if c.attribute == attribute and c.score == axis
                         and c.points)
        if whens:
            parts.append(f"(CASE {whens} ELSE 0 END)")
    return "\n    + ".join(parts) if parts else "0"


def _digits(col: str) -> str:
    """The digits of a phone, ignoring the usual separators (space - ( ) . + /)."""
    x = f"TRIM(CAST({quote(col)} AS VARCHAR))"
    for ch in (" ", "-", "(", ")", ".", "+", "/"):
        x = f"REPLACE({x}, {literal(ch)}, '')"
    return x


def _rule_sql(rules: RuleSet, names: Mapping[str, str], header: Mapping[str, str]
              ) -> tuple[list[tuple[str, str]], list[str]]:
    """(label, portable SQL condition) per auto-rule in force, and what could not be
    written portably. Mirrors :func:`calibrate.decide.rules._conditions` with plain string
    functions: no regular expressions, so fake-name patterns are left out."""
    has = set(names)
    find = column_finder(has)
    h = {c: header.get(c, c) for c in has}
    out: list[tuple[str, str]] = []
    left_out: list[str] = []

    def low(col: str) -> str:
        return f"LOWER(TRIM(CAST({quote(h[col])} AS VARCHAR)))"

    def norm(values: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(" ".join(str(v).lower().split()) for v in values
                                  if str(v).strip()))

    def email_at(domains: list[str]) -> str:
        # The domain or a subdomain of it (host names hold no LIKE wildcards).
        e = low("email")
        return " OR ".join(f"{e} LIKE {literal('%@' + d)} OR {e} LIKE {literal('%@%.' + d)}"
                           for d in domains)

    domains = norm(rules.competitor_domains)
    companies = norm(rules.competitor_companies)
    comp = []
    if "email" in has and domains:
        comp.append(f"({email_at(domains)})")
    if "company" in has and companies:
        comp.append(f"{low('company')} IN {_in(companies)}")
    if comp:
        out.append(("disqualified:competitor", " OR ".join(comp)))

    fakes = norm(rules.fake_names)
    parts = [c for c in ("first_name", "last_name") if c in has]
    if "full_name" in has or parts:
        joined = (" || ' ' || ".join(f"COALESCE(TRIM(CAST({quote(h[c])} AS VARCHAR)), '')"
                                     for c in parts))
        name = f"LOWER(TRIM({joined}))" if parts else ""
        if "full_name" in has:
            full = low("full_name")
            name = (f"CASE WHEN {full} IS NULL OR {full} = '' THEN {name} ELSE {full} END"
                    if name else full)
        if fakes:
            out.append(("disqualified:fake_name", f"({name}) IN {_in(fakes)}"))
        if [p for p in rules.fake_name_patterns if p]:
            left_out.append("fake-name patterns (names with no letters, keyboard mashes, one "
                            "letter repeated): they need regular expressions")

    if "phone" in has:
        d = _digits(h["phone"])
        tests = []
        fakes_d = sorted({"".join(ch for ch in p if ch.isdigit()) for p in rules.fake_phones}
                         - {""})
        if fakes_d:
            tests.append(f"{d} IN {_in(fakes_d)}")
        if rules.fake_phone_555:
            tests.append(f"(LENGTH({d}) >= 7 AND SUBSTR({d}, LENGTH({d}) - 6, 3) = '555')")
        if rules.fake_phone_same_digit:
            tests.append(f"(LENGTH({d}) >= 7 AND {d} = REPEAT(SUBSTR({d}, 1, 1), "
                         f"LENGTH({d})))")
        if rules.min_phone_digits > 0:
            tests.append(f"(TRIM(CAST({quote(h['phone'])} AS VARCHAR)) <> '' AND LENGTH({d}) < "
                         f"{int(rules.min_phone_digits)})")
        if tests:
            out.append(("disqualified:fake_phone", " OR ".join(tests)))

    throwaway = norm(rules.throwaway_domains)
    if "email" in has and throwaway:
        out.append(("disqualified:throwaway_email", email_at(throwaway)))
    if "email" in has and rules.check_email_format:
        e = low("email")
        well = (f"{e} LIKE '%_@_%._%' AND {e} NOT LIKE '%@%@%' AND {e} NOT LIKE '% %' AND "
                f"{e} NOT LIKE '%@.%' AND {e} NOT LIKE '%@%..%' AND {e} NOT LIKE '%.'")
        out.append(("disqualified:malformed_email", f"{e} <> '' AND NOT ({well})"))

    student = []
    for key, words in rules.students.items():
        col = find(key)
        for w in norm(words) if col else []:
            student.append(f"{low(col)} LIKE {literal('%' + w + '%')}")
    if student:
        out.append(("disqualified:student", " OR ".join(student)))

    for key in rules.qualify_flags:
        if col := find(key):
            out.append((f"qualified:{col}", f"{low(col)} IN {_in(YES)}"))
    for key, values in rules.qualify_values.items():
        col, values = find(key), norm(values)
        if col and values:
            out.append((f"qualified:{col}", f"{low(col)} IN {_in(values)}"))
    return [(label, f"COALESCE({cond}, FALSE)") for label, cond in out], left_out


def _pass_sql(t: Mapping[str, Any] | None, total: str) -> str:
    if not t:
        return "FALSE"
    if t.get("mode") == "total":
        return f"({total}) >= {int(t.get('min_total', 101))}"
    return (f"(profile >= {int(t.get('min_profile', 101))} AND behavior >= "
            f"{int(t.get('min_behavior', 101))})")


def portable_sql(table: pd.DataFrame, *, thresholds: Mapping[str, Any] | None = None,
                 rules: RuleSet | Mapping[str, Any] | None = None, columns: Any = None,
                 source: str = "leads", dialect: str = "duckdb") -> str:
    """One ``SELECT`` adding ``profile``, ``behavior``, ``auto_rule``, ``total`` and ``mql``
    to every row of table ``source``, from its original columns.

    Columns are quoted exactly as the headers; text is compared as ``LOWER(TRIM(...))``;
    numbers are ``CAST(... AS DOUBLE)``, so numeric columns must hold clean numbers (the
    header comment says so). Written once in a dialect-neutral subset and transpiled with
    sqlglot to ``dialect`` (one of :data:`DIALECTS`).
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    lines = conditions(table, columns)
    r = axis_ranges(table)
    rp, rb = r.get("profile", 0.0), r.get("behavior", 0.0)
    if rp + rb > 0:
        total = (f"FLOOR((profile * {_n_exact(rp)} + behavior * {_n_exact(rb)}) / "
                 f"{_n_exact(rp + rb)} + 0.5)")
    else:
        total = "FLOOR((profile + behavior) / 2.0 + 0.5)"
    ruleset = None if rules is None else (rules if isinstance(rules, RuleSet)
                                          else RuleSet.from_dict(rules))
    names = _names_types(table, columns)
    header = _headers(columns)
    conds, left_out = _rule_sql(ruleset, names, header) if ruleset else ([], [])
    rule_case = ("CASE " + " ".join(f"WHEN {c} THEN {literal(label)}" for label, c in conds)
                 + " ELSE NULL END") if conds else "CAST(NULL AS VARCHAR)"
    mql = _mql_sql(thresholds, total, columns, header)
    inner = (f"SELECT *,\n  ({_axis_sql(lines, 'profile')}) AS profile,\n  "
             f"({_axis_sql(lines, 'behavior')}) AS behavior,\n  {rule_case} AS auto_rule\n"
             f"FROM {_table(source)}")
    if dialect == "postgres":  # a fence: Postgres would inline the subquery and compute
        inner += "\nOFFSET 0"  # profile, behavior and auto_rule again per use (4x slower)
    sql = (f"SELECT *, CAST({total} AS INTEGER) AS total,\n  CASE WHEN auto_rule LIKE "
           f"'disqualified:%' THEN FALSE WHEN auto_rule LIKE 'qualified:%' THEN TRUE "
           f"ELSE {mql} END AS mql\nFROM (\n{inner}\n) AS scored")
    if dialect != "duckdb":
        import sqlglot

        sql = sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)[0]
    note = [f"-- calibrate lead score ({dialect}): adds profile, behavior, auto_rule, total "
            "and mql to every row.",
            "-- Columns are the headers as written. Numeric columns must hold clean numbers "
            "(1200, not '1,200'; 35 for '35%'),",
            "-- blanks and placeholders (Select, Unknown, N/A) must be empty, and negative "
            "behavior counts are read as missing.",
            "-- Text is compared trimmed and without case."]
    note += [f"-- Not included: {x}." for x in left_out]
    return "\n".join(note) + "\n" + sql + "\n"


def _n_exact(x: float) -> str:
    return f"CAST({literal(repr(float(x)))} AS DOUBLE)"


def _mql_sql(thresholds: Mapping[str, Any] | None, total: str, columns: Any,
             header: Mapping[str, str]) -> str:
    """The threshold test, per segment when the thresholds carry ``segments``."""
    if not thresholds:
        return "FALSE"
    base = thresholds if any(k in thresholds for k in (
        "mode", "min_profile", "min_behavior", "min_total")) else None
    segments = dict(thresholds.get("segments") or {})
    only = thresholds.get("segment")
    seg_col = next((c.name for c in columns or () if isinstance(c, ColumnInfo)
                    and c.role == "segment"), None)
    if (segments or only) and seg_col is None:
        raise ValueError("the thresholds are per segment but no segment column is known; "
                         "pass the store's columns")
    if seg_col is None:
        return _pass_sql(base, total)
    s = f"LOWER(TRIM(CAST({quote(header.get(seg_col, seg_col))} AS VARCHAR)))"
    whens = [f"WHEN {s} = {literal(str(k).lower())} THEN {_pass_sql(t, total)}"
             for k, t in segments.items()]
    if only:
        whens.append(f"WHEN {s} = {literal(str(only).lower())} THEN {_pass_sql(base, total)}")
        default = "FALSE"
    else:
        default = _pass_sql(base, total)
    return f"(CASE {' '.join(whens)} ELSE {default} END)" if whens else default


# ------------------------------------------------------------------ vendor formats


def _scoring(lines: Sequence[Condition]) -> list[Condition]:
    return [c for c in lines if c.score in ("profile", "behavior") and c.points]


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    """CSV text; text cells a spreadsheet could run are neutralised, signed whole numbers
    ("+12", a score change) are not (a spreadsheet reads them as numbers)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (neutralise(v) if isinstance(v, str) and not _SIGNED.fullmatch(v)
                             else v) for k, v in r.items()})
    return buf.getvalue().encode("utf-8")


def _describe(c: Condition) -> str:
    """A line in words ("seniority equals VP"; a list by the level it makes, "seniority is
    not one of (Other)"), for names of campaigns and rules."""
    if c.operator in ("is one of", "is not one of"):
        return f"{c.field} {c.operator} ({c.level})"
    v = _cell(c)
    return f"{c.field} {c.operator}" + (f" {v}" if v != "" else "")


def _hubspot_filters(c: Condition) -> list[dict[str, Any]]:
    """Lists-API style property filters (all must hold) for one line."""
    prop = c.field

    def f(operation: dict[str, Any]) -> dict[str, Any]:
        return {"filterType": "PROPERTY", "property": prop, "operation": operation}

    def num(op: str, v: Any) -> dict[str, Any]:
        return f({"operationType": "NUMBER", "operator": op, "value": v})

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


def hubspot_json(table: pd.DataFrame, *, thresholds: Mapping[str, Any] | None = None,
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
            own = [c for c in _scoring(lines) if c.attribute == attribute and c.score == axis]
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
                    "_calibrate": f"{c.level} ({_describe(c)})"} for c in own]})
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
                        "value": _cell(c)} for c in rule_conditions(rules, table, columns)],
        "notes": [
            "Replace each 'property' with the property's internal name in HubSpot.",
            "Keys starting with '_' are calibrate's notes: remove them before sending.",
            "Text compares without case; 'is not one of' also requires a known value.",
        ],
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


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
    return [(f, "see rule", c.value)]


def marketo_csv(table: pd.DataFrame, *, thresholds: Mapping[str, Any] | None = None,
                rules: RuleSet | Mapping[str, Any] | None = None,
                columns: Any = None) -> bytes:
    """Marketo smart campaigns, one row per trigger, filter or flow step.

    A rescore campaign (person created or a scored field changes) sets Demographic and
    Behavior Score to 0 and requests every scoring campaign; each scoring campaign
    ("Campaign is Requested" plus the line's filters) changes its score by the line's
    points, so a score is always the sum of the lines that hold now. Then the MQL and
    auto-rule campaigns.
    """
    lines = _scoring(conditions(table, columns))
    rows: list[dict[str, Any]] = []

    def row(campaign: str, step: str, type_: str, attribute: str = "", operator: str = "",
            value: Any = "", score: str = "", change: str = "") -> None:
        rows.append({"campaign": campaign, "step": step, "type": type_,
                     "attribute": attribute, "operator": operator, "value": value,
                     "score": score, "change": change})

    names = [f"calibrate {c.score} {i:03d}: {_describe(c)}" for i, c in enumerate(lines, 1)]
    rescore = "calibrate 000: rescore"
    row(rescore, "trigger", "Person is Created")
    for field in dict.fromkeys(c.field for c in lines):
        row(rescore, "trigger", "Data Value Changes", field)
    for score in ("Demographic Score", "Behavior Score"):
        row(rescore, "flow", "Change Score", score=score, change="=0")
    for n in names:
        row(rescore, "flow", "Request Campaign", value=n)
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
    return _csv(rows, MARKETO_COLUMNS)


PARDOT_COLUMNS = ["section", "rule", "match", "criterion", "field", "operator", "value",
                  "action", "amount"]
_PARDOT_OPS = {"equals": "is", "is one of": "is", "is not one of": "isn't",
               "is empty": "is empty", "is not empty": "isn't empty",
               "less than": "is less than", "at least": "is greater than or equal to",
               "is true": "is", "is false": "is"}


def _pardot_criteria(c: Condition) -> list[tuple[str, str, Any]]:
    f = f"Prospect custom field: {c.field}"
    if c.operator == "between":
        return [(f, "is greater than or equal to", c.value[0]),
                (f, "is less than", c.value[1])]
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


def pardot_csv(table: pd.DataFrame, *, thresholds: Mapping[str, Any] | None = None,
               rules: RuleSet | Mapping[str, Any] | None = None, columns: Any = None,
               cutoffs: Sequence[int] = (75, 50, 25)) -> bytes:
    """Account Engagement (Pardot) automation rules, one row per criterion.

    Behavior lines adjust the prospect score; profile lines adjust a "calibrate profile"
    scoring category; a grading profile turns the profile points into grades: criteria
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

    for i, c in enumerate(_scoring(conditions(table, columns)), 1):
        rule = f"calibrate {c.score} {i:03d}: {_describe(c)}"
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
    return _csv(rows, PARDOT_COLUMNS)


_MAUTIC_OPS = {"equals": "=", "is one of": "in", "is not one of": "!in",
               "is empty": "empty", "is not empty": "!empty", "less than": "lt",
               "at least": "gte", "is true": "=", "is false": "="}


def _mautic_filters(c: Condition) -> list[dict[str, Any]]:
    type_ = {"numeric": "number", "flag": "boolean"}.get(c.kind, "text")

    def one(op: str, value: Any) -> dict[str, Any]:
        return {"glue": "and", "field": c.field, "object": "lead", "type": type_,
                "operator": op, "properties": {"filter": value}}

    if c.operator == "between":
        return [one("gte", c.value[0]), one("lt", c.value[1])]
    if c.operator in ("is one of", "is not one of"):
        out = [one(_MAUTIC_OPS[c.operator], list(c.value))]
        return ([one("!empty", None)] + out) if c.operator == "is not one of" else out
    if c.operator in ("is true", "is false"):
        return [one("=", 1 if c.operator == "is true" else 0)]
    return [one(_MAUTIC_OPS[c.operator], c.value)]


def mautic_json(table: pd.DataFrame, *, thresholds: Mapping[str, Any] | None = None,
                rules: RuleSet | Mapping[str, Any] | None = None,
                columns: Any = None) -> bytes:
    """Mautic point groups, the segment and campaign action behind each line, the point
    triggers of the MQL thresholds (one per group, tagging the contact) and the MQL
    segments (the tags, no auto-disqualifier; or an auto-qualifier)."""
    groups = {"profile": "calibrate profile", "behavior": "calibrate behavior"}
    segments, campaigns = [], []
    for i, c in enumerate(_scoring(conditions(table, columns)), 1):
        name = f"calibrate {c.score} {i:03d}: {_describe(c)}"
        segments.append({"name": name, "isPublished": True, "filters": _mautic_filters(c)})
        campaigns.append({"name": name, "segment": name, "events": [{
            "type": "lead.changepoints", "name": f"{c.points:+d} {groups[c.score]}",
            "properties": {"points": c.points, "group": groups[c.score]}}]})
    header = _headers(columns)
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

"""The score as one portable SQL ``SELECT`` (``--format sql``), transpiled per dialect.

Written once in a dialect-neutral subset from the lines of
:mod:`calibrate.export.conditions` and the auto-rules in force, then transpiled with sqlglot
to DuckDB, Postgres, Snowflake, BigQuery or Spark (:data:`DIALECTS`). :func:`scoring` is
the ``SELECT`` before transpiling, which the count grid's query
(:mod:`calibrate.export.grid_sql`) wraps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from calibrate.data.store import ColumnInfo
from calibrate.decide.rules import column_finder
from calibrate.export.conditions import (
    FALSE_WORDS,
    TRUE_WORDS,
    Condition,
    column_types,
    conditions,
    headers,
    plain_number,
)
from calibrate.model.points import axis_ranges
from calibrate.model.rule_settings import RuleSet
from calibrate.sql import DIALECTS, literal, quote
from calibrate.thresholds import Bar, Thresholds, ThresholdsLike, segment_key
from calibrate.vocabulary import YES

__all__ = ["DIALECTS", "Scoring", "check_dialect", "column_notes", "portable_sql",
           "scoring", "transpile"]

# DIALECTS (calibrate.sql, sqlglot's names): DuckDB, Postgres and Spark run in the tests;
# Snowflake and BigQuery are transpiled and read back only.
#: Recency counts whole days to this date unless told otherwise (new leads: today).
TODAY = "CURRENT_DATE"


def _table(name: str) -> str:
    """The table: bare when a plain (dotted) name, so each dialect folds its case as it
    does for names written bare (Snowflake: LEADS); else quoted."""
    return name if re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", name, re.ASCII) else quote(name)


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def _n(x: float) -> str:
    """A number literal that is exact in every dialect (decimals cast from text)."""
    v = plain_number(x)
    return str(v) if isinstance(v, int) else f"CAST({literal(repr(v))} AS DOUBLE)"


class Inputs:
    """The per-row values the conditions test (a column's text lower-cased, its number,
    a phone's digits), written inline, or, ``shared``, each computed once per row in an
    inner ``SELECT`` and named there (:meth:`select`): repeated in every WHEN of every
    CASE, engines without common-subexpression elimination (PostgreSQL) compute them
    again each time, and text functions dominate the cost of a query over every lead."""

    def __init__(self, shared: bool = False) -> None:
        self.shared = shared
        self.named: dict[str, str] = {}

    def __call__(self, expr: str) -> str:
        """``expr`` itself, or the name of its once-computed value."""
        if not self.shared:
            return expr
        return self.named.setdefault(expr, f"calibrate_in_{len(self.named)}")

    def select(self, source: str) -> str:
        """The inner ``SELECT`` adding the named values to every row of ``source``."""
        names = "".join(f",\n  {e} AS {n}" for e, n in self.named.items())
        return f"SELECT *{names}\nFROM {source}"


def _text(field: str, x: Inputs) -> str:
    return x(f"LOWER(TRIM(CAST({quote(field)} AS VARCHAR)))")


def _sql_condition(c: Condition, x: Inputs, reference: str = TODAY) -> str:
    """The SQL condition of one scoring or auto-qualify line; recency counts whole days
    to ``reference`` (an SQL date)."""
    if c.kind == "recency":  # whole days before the reference; a later date is 0 days ago
        d = x(f"DATE_DIFF('day', CAST({quote(c.field)} AS DATE), {reference})")
        return {"less than days ago": lambda: f"{d} < {_n(c.value)}",
                "at least days ago": lambda: f"{d} >= {_n(c.value)}",
                "between days ago": lambda: f"{d} >= {_n(c.value[0])} AND {d} < "
                                            f"{_n(c.value[1])}",
                "is empty": lambda: f"{quote(c.field)} IS NULL",
                "is not empty": lambda: f"{quote(c.field)} IS NOT NULL"}[c.operator]()
    if c.kind == "numeric":
        v = x(f"CAST({quote(c.field)} AS DOUBLE)")
        return {"less than": lambda: f"{v} < {_n(c.value)}",
                "at least": lambda: f"{v} >= {_n(c.value)}",
                "between": lambda: f"{v} >= {_n(c.value[0])} AND {v} < {_n(c.value[1])}",
                "is empty": lambda: f"{v} IS NULL",
                "is not empty": lambda: f"{v} IS NOT NULL"}[c.operator]()
    t = _text(c.field, x)
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


def _axis_sql(lines: Sequence[Condition], axis: str, x: Inputs, reference: str = TODAY
              ) -> str:
    parts = []
    for attribute in dict.fromkeys(c.attribute for c in lines if c.score == axis):
        whens = " ".join(f"WHEN {_sql_condition(c, x, reference)} THEN {int(c.points)}"
                         for c in lines if c.attribute == attribute and c.score == axis
                         and c.points)
        if whens:
            parts.append(f"(CASE {whens} ELSE 0 END)")
    return "\n    + ".join(parts) if parts else "0"


def _trimmed(col: str) -> str:
    return f"TRIM(CAST({quote(col)} AS VARCHAR))"


def _digits(col: str) -> str:
    """The digits of a phone, ignoring the usual separators (space - ( ) . + /)."""
    x = _trimmed(col)
    for ch in (" ", "-", "(", ")", ".", "+", "/"):
        x = f"REPLACE({x}, {literal(ch)}, '')"
    return x


def _rule_sql(rules: RuleSet, names: Mapping[str, str], header: Mapping[str, str],
              x: Inputs) -> tuple[list[tuple[str, str]], list[str]]:
    """(label, portable SQL condition) per auto-rule in force, and what could not be
    written portably. Mirrors :func:`calibrate.decide.rules._conditions` with plain string
    functions: no regular expressions, so fake-name patterns are left out."""
    has = set(names)
    find = column_finder(has)
    h = {c: header.get(c, c) for c in has}
    out: list[tuple[str, str]] = []
    left_out: list[str] = []

    def low(col: str) -> str:
        return _text(h[col], x)

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
        name = x(name)
        if fakes:
            out.append(("disqualified:fake_name", f"({name}) IN {_in(fakes)}"))
        if [p for p in rules.fake_name_patterns if p]:
            left_out.append("fake-name patterns (names with no letters, keyboard mashes, one "
                            "letter repeated): they need regular expressions")

    if "phone" in has:
        d = x(_digits(h["phone"]))
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
            tests.append(f"({x(_trimmed(h['phone']))} <> '' AND LENGTH({d}) < "
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


def _pass_sql(t: Bar | None, total: str) -> str:
    if t is None:
        return "FALSE"
    if t.mode == "total":
        return f"({total}) >= {t.value('min_total')}"
    return f"(profile >= {t.value('min_profile')} AND behavior >= {t.value('min_behavior')})"


def check_dialect(dialect: str) -> None:
    """ValueError naming the dialects when ``dialect`` is not one of :data:`DIALECTS`."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; use one of {', '.join(DIALECTS)}")


def transpile(sql: str, dialect: str) -> str:
    """``sql``, written in the neutral subset of DuckDB's dialect, in ``dialect`` (sqlglot;
    DuckDB's as written)."""
    check_dialect(dialect)
    if dialect == "duckdb":
        return sql
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)[0]


@dataclass(frozen=True)
class Scoring:
    """The scoring ``SELECT`` in the neutral subset, not yet transpiled (:func:`scoring`).

    ``recency``: the activity dates scored by their days to a date (headers as written);
    ``left_out``: auto-rules that could not be written portably, in words.
    """

    sql: str
    recency: tuple[str, ...]
    left_out: tuple[str, ...]


def scoring(table: pd.DataFrame, *, thresholds: ThresholdsLike = None,
            rules: RuleSet | Mapping[str, Any] | None = None, columns: Any = None,
            source: str = "leads", fence: bool = False, reference: str = TODAY,
            shared: bool = False) -> Scoring:
    """One ``SELECT`` adding ``profile``, ``behavior``, ``auto_rule``, ``total`` and ``mql``
    to every row of table ``source``, in the neutral subset (see :func:`portable_sql`).

    ``fence``: end the inner queries with ``OFFSET 0`` (Postgres would otherwise inline
    them and compute profile, behavior and auto_rule again per use, 4x slower).
    ``reference``: the SQL date recency counts whole days to (default today). ``shared``:
    compute each tested value once per row in an inner query (:class:`Inputs`; its
    columns, named ``calibrate_in_N``, then come out too: for queries that aggregate).
    """
    x = Inputs(shared)
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
    names = column_types(table, columns)
    header = headers(columns)
    conds, left_out = _rule_sql(ruleset, names, header, x) if ruleset else ([], [])
    rule_case = ("CASE " + " ".join(f"WHEN {c} THEN {literal(label)}" for label, c in conds)
                 + " ELSE NULL END") if conds else "CAST(NULL AS VARCHAR)"
    mql = _mql_sql(thresholds, total, columns, header, x)
    profile, behavior = (_axis_sql(lines, "profile", x, reference),
                         _axis_sql(lines, "behavior", x, reference))
    fenced = "\nOFFSET 0" if fence else ""
    rows = (f"(\n{x.select(_table(source))}{fenced}\n) AS calibrate_inputs" if x.named
            else _table(source))
    inner = (f"SELECT *,\n  ({profile}) AS profile,\n  ({behavior}) AS behavior,\n  "
             f"{rule_case} AS auto_rule\nFROM {rows}{fenced}")
    sql = (f"SELECT *, CAST({total} AS INTEGER) AS total,\n  CASE WHEN auto_rule LIKE "
           f"'disqualified:%' THEN FALSE WHEN auto_rule LIKE 'qualified:%' THEN TRUE "
           f"ELSE {mql} END AS mql\nFROM (\n{inner}\n) AS scored")
    dates = tuple(dict.fromkeys(c.field for c in lines if c.kind == "recency"))
    return Scoring(sql, dates, tuple(left_out))


def column_notes() -> list[str]:
    """The header comment's lines on what the source columns must hold (any query over
    the original columns: the score, the count grid)."""
    return ["-- Columns are the headers as written. Numeric columns must hold clean numbers "
            "(1200, not '1,200'; 35 for '35%'),",
            "-- blanks and placeholders (Select, Unknown, N/A) must be empty, and negative "
            "behavior counts are read as missing.",
            "-- Text is compared trimmed and without case."]


def portable_sql(table: pd.DataFrame, *, thresholds: ThresholdsLike = None,
                 rules: RuleSet | Mapping[str, Any] | None = None, columns: Any = None,
                 source: str = "leads", dialect: str = "duckdb") -> str:
    """One ``SELECT`` adding ``profile``, ``behavior``, ``auto_rule``, ``total`` and ``mql``
    to every row of table ``source``, from its original columns.

    Columns are quoted exactly as the headers; text is compared as ``LOWER(TRIM(...))``;
    numbers are ``CAST(... AS DOUBLE)``, so numeric columns must hold clean numbers (the
    header comment says so). Written once in a dialect-neutral subset and transpiled with
    sqlglot to ``dialect`` (one of :data:`DIALECTS`).
    """
    check_dialect(dialect)
    s = scoring(table, thresholds=thresholds, rules=rules, columns=columns, source=source,
                fence=dialect == "postgres")
    note = [f"-- calibrate lead score ({dialect}): adds profile, behavior, auto_rule, total "
            "and mql to every row.", *column_notes()]
    if s.recency:
        note.append("-- Dates score by whole days before today (CURRENT_DATE); they must "
                    "hold dates (2025-06-30), a blank is no date.")
    note += [f"-- Not included: {x}." for x in s.left_out]
    return "\n".join(note) + "\n" + transpile(s.sql, dialect) + "\n"


def _n_exact(x: float) -> str:
    return f"CAST({literal(repr(float(x)))} AS DOUBLE)"


def _mql_sql(thresholds: ThresholdsLike, total: str, columns: Any,
             header: Mapping[str, str], x: Inputs) -> str:
    """The threshold test (:mod:`calibrate.decide.mql`), per segment when the thresholds
    give segments their own bar or limit the definition to one."""
    bars = Thresholds.of(thresholds)
    if not bars:
        return "FALSE"
    base, segments, only = bars.main, bars.segments, bars.only
    seg_col = next((c.name for c in columns or () if isinstance(c, ColumnInfo)
                    and c.role == "segment"), None)
    if (segments or only) and seg_col is None:
        raise ValueError("the thresholds are per segment but no segment column is known; "
                         "pass the store's columns")
    if seg_col is None:
        return _pass_sql(base, total)
    s = _text(header.get(seg_col, seg_col), x)
    whens = [f"WHEN {s} = {literal(segment_key(k))} THEN {_pass_sql(t, total)}"
             for k, t in segments.items()]
    if only:
        whens.append(f"WHEN {s} = {literal(segment_key(only))} THEN "
                     f"{_pass_sql(base, total)}")
        default = "FALSE"
    else:
        default = _pass_sql(base, total)
    return f"(CASE {' '.join(whens)} ELSE {default} END)" if whens else default

"""The cleaning SQL: how each raw column becomes a stored value and a code of what was done.

A column's guessed type gives its plan: expressions over the trimmed text (placeholders,
Yes/No, thousands separators, percent signs, dates in several formats, negative counts)
for the value, and for a small per-value code of what the cleaning did (each column's bits
side by side in 64-bit words). One pass over the file evaluates every expression once and
stages the rows, in file order, in a table; the issue counts and example rows come from the
codes. Numbers and ISO dates whose sample is clean are left to DuckDB's own parser, which is
much faster than parsing text in SQL.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from calibrate.data.readers import Source
from calibrate.data.roles import ColumnGuess, ColumnStats
from calibrate.data.store import STAGING, transaction
from calibrate.sql import literal, quote
from calibrate.vocabulary import NO as _FALSE
from calibrate.vocabulary import YES as _TRUE

# Regexes (RE2, as DuckDB string literals) that a value must match before a parse is tried.
_PLAIN_NUMBER = r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"
_DECORATED_NUMBER = r"[-+]?[$€£]?\s?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s?%?"
# Two forms of _DECORATED_NUMBER that need no regexp_replace: "35%" and "1,200.5".
_PERCENT = r"[-+]?\d+(\.\d+)?%"
_THOUSANDS = r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?"
# A decimal comma, as German, French or Spanish exports write it ("12.500,00 €", "0,75"):
# tried last, so "1,200" stays twelve hundred.
_DECIMAL_COMMA = r"[-+]?[$€£]?\s?\d{1,3}(\.\d{3})*,\d+\s?[€%]?"
_SLASH_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
_DOT_DATE = r"\d{1,2}\.\d{1,2}\.\d{4}"
_CLOCK = r"\d{1,2}:\d{2}"
_ISO_DATE = r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
EARLIEST = datetime(1990, 1, 1)
EXAMPLES = 5

# What the cleaning did to a value: bits of the per-column code stored next to it.
_PLACEHOLDER, _INVALID, _SEPARATORS, _NEGATIVE, _FUTURE, _EARLY, _FRACTION = (
    1, 2, 4, 8, 16, 32, 64)


@dataclass
class Issue:
    """One kind of problem found in one column, with how many rows and what was done."""

    column: str
    kind: str
    count: int
    rows: list[int]
    action: str

    def __str__(self) -> str:
        rows = ", ".join(str(r) for r in self.rows)
        return f"{self.column}: {self.count:,} {self.kind} ({self.action}; e.g. rows {rows})"


def _one_of(expr: str, values: tuple[str, ...] | list[str]) -> str:
    """SQL: whether ``expr`` is one of ``values``, ignoring case.

    A regex, not ``lower(expr) IN (...)``: DuckDB's optimizer turns an IN list (and a
    ``list_contains`` of constants) into a hash join, and a plan with a join writes its
    rows in parallel without keeping their order, while an ingest's row numbers are that
    order (on a million rows the table came out as each thread's share, one after the
    other). The regex is also cheaper: no lowered copy of every value.
    """
    alternatives = "|".join(re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", v) for v in values)
    return f"regexp_full_match({expr}, {literal('(?i)(' + alternatives + ')')})"


class Sql:
    """Cleaning expressions over an already trimmed value ``t`` (see :meth:`trimmed`)."""

    def __init__(self, placeholders: tuple[str, ...]) -> None:
        values = sorted({p.strip().lower() for p in placeholders})
        self.placeholders = tuple(values)
        self.longest = max(len(v.encode("utf-8")) for v in values)
        # Placeholders the typed parses would accept ("0", "no", "1990-01-01"): typed
        # columns then test for placeholders before parsing.
        self.typed_guard = any(_parses(v) for v in values)

    @staticmethod
    def trimmed(col: str) -> str:
        # trim() is costly: only call it when an end may be a (Unicode) space. "< '!'" is
        # the cheapest test of a leading space (or control character, or empty text).
        return (f"CASE WHEN {col} < '!' OR ends_with({col}, ' ') "
                f"OR strlen({col}) <> length({col}) THEN trim({col}) ELSE {col} END")

    def is_placeholder(self, t: str) -> str:
        return f"(strlen({t}) <= {self.longest} AND {_one_of(t, self.placeholders)})"

    def text(self, t: str) -> str:
        return f"CASE WHEN {self.is_placeholder(t)} THEN NULL ELSE {t} END"

    def guard(self, t: str, expr: str) -> str:
        """``expr``, but missing for placeholders that would otherwise parse."""
        if not self.typed_guard:
            return expr
        return f"(CASE WHEN {self.is_placeholder(t)} THEN NULL ELSE {expr} END)"

    @staticmethod
    def plain_number(t: str) -> str:
        # Guard each parse with a regex: a failed cast costs far more than a match.
        return f"(CASE WHEN regexp_full_match({t}, '{_PLAIN_NUMBER}') THEN CAST({t} AS DOUBLE) END)"

    @staticmethod
    def decorated_number(t: str) -> str:
        # regexp_replace is the costly part: the two common decorations, a percent sign
        # after the number and thousands separators, are stripped by cheaper means first.
        return (f"(CASE WHEN regexp_full_match({t}, '{_PERCENT}') "
                f"THEN CAST(left({t}, -1) AS DOUBLE) "
                f"WHEN regexp_full_match({t}, '{_THOUSANDS}') "
                f"THEN CAST(replace({t}, ',', '') AS DOUBLE) "
                f"WHEN regexp_full_match({t}, '{_DECORATED_NUMBER}') "
                f"THEN CAST(regexp_replace({t}, '[$€£%,\\s]', '', 'g') AS DOUBLE) "
                f"WHEN regexp_full_match({t}, '{_DECIMAL_COMMA}') "
                f"THEN CAST(replace(regexp_replace({t}, '[$€£%.\\s]', '', 'g'), ',', '.') "
                "AS DOUBLE) END)")

    def number(self, t: str) -> str:
        # A number never starts with a letter: a cheap test skips the regexes for words.
        return (f"(CASE WHEN {t} >= 'A' AND {t} < '{{' THEN NULL "
                f"ELSE coalesce({self.plain_number(t)}, {self.decorated_number(t)}) END)")

    @staticmethod
    def flag(t: str, spellings: tuple[str, ...] = ()) -> str:
        """Yes/No as a boolean. The ``spellings`` a column uses most ("Yes", "No") are
        tested first, by plain equality: a tenth of the cost of the regexes."""
        known = " ".join(f"WHEN {t} = {literal(v)} THEN {str(v.lower() in _TRUE).lower()}"
                         for v in spellings if v.lower() in _TRUE + _FALSE)
        return (f"(CASE {known} WHEN strlen({t}) > 9 THEN NULL WHEN {_one_of(t, _TRUE)} "
                f"THEN true WHEN {_one_of(t, _FALSE)} THEN false END)")

    @staticmethod
    def date(t: str, day_first: bool = False) -> str:
        slash = "%d/%m/%Y" if day_first else "%m/%d/%Y"
        return (
            # Every accepted form starts with a digit: a cheap test skips the regexes.
            f"(CASE WHEN NOT ({t} >= '0' AND {t} < ':') THEN NULL "
            f"WHEN regexp_full_match({t}, '{_ISO_DATE}') THEN TRY_CAST({t} AS TIMESTAMP) "
            f"WHEN regexp_full_match({t}, '\\d{{4}}/\\d{{1,2}}/\\d{{1,2}}') "
            f"THEN try_strptime({t}, '%Y/%m/%d') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') "
            f"THEN try_strptime({t}, '{slash}') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}} \\d{{1,2}}:\\d{{2}}') "
            f"THEN try_strptime({t}, '{slash} %H:%M') "
            f"WHEN regexp_full_match({t}, '{_SLASH_DATE} \\d{{1,2}}:\\d{{2}}:\\d{{2}}') "
            f"THEN try_strptime({t}, '{slash} %H:%M:%S') "
            f"WHEN regexp_full_match({t}, '{_SLASH_DATE} {_CLOCK} ?[AaPp][Mm]') "
            f"THEN try_strptime(regexp_replace(upper({t}), ' ?([AP]M)$', ' \\1'), "
            f"'{slash} %I:%M %p') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}\\.\\d{{1,2}}\\.\\d{{4}}') "
            f"THEN try_strptime({t}, '%d.%m.%Y') "
            f"WHEN regexp_full_match({t}, '{_DOT_DATE} {_CLOCK}') "
            f"THEN try_strptime({t}, '%d.%m.%Y %H:%M') END)"
        )


def _parses(value: str) -> bool:
    """Whether a placeholder would be read as a number, a yes/no or a date."""
    return bool(
        re.fullmatch(_PLAIN_NUMBER, value) or re.fullmatch(_DECORATED_NUMBER, value)
        or value in _TRUE or value in _FALSE or re.match(r"\d{1,4}[-/.]\d{1,2}[-/.]\d", value))


def profile_columns(cur: duckdb.DuckDBPyConnection, columns: list[str], sql: Sql,
                    rows: int) -> list[ColumnStats]:
    """Measure how each column's values look, from the distinct values of ``_sample``.

    Types are guessed from a fixed sample (as DuckDB's own sniffer does): the cost stays
    flat with file size; the checks that follow still see every row. Each parse runs once
    per distinct value of a column, in one short query whatever the number of columns,
    which also measures what the cleaning plan needs (counts, day-first dates, values
    the CSV reader could parse itself).
    """
    if not columns:
        return []
    names = ", ".join(quote(c) for c in columns)
    # CASE, not AND, where the second test is costly: only CASE skips it for most values.
    slash = ("CASE WHEN t >= '0' AND t < ':' AND contains(t, '/') "
             "THEN regexp_matches(t, '^\\d{1,2}/\\d{1,2}/\\d{2,4}') ELSE false END")
    found = cur.execute(
        "WITH v AS (SELECT col, val, count(*) AS n FROM (UNPIVOT (SELECT * FROM _sample) "
        f"ON {names} INTO NAME col VALUE val) GROUP BY ALL), "
        f"t AS (SELECT col, val, n, {sql.text('_s')} AS t FROM "
        f"(SELECT col, val, n, {sql.trimmed('val')} AS _s FROM v)), "
        f"p AS (SELECT *, {sql.number('t')} AS num, {sql.date('t')} AS dt, {slash} AS slash, "
        f"{sql.flag('t')} AS flag FROM t) "
        "SELECT col, sum(n) FILTER (WHERE t IS NOT NULL), count(DISTINCT lower(t)), "
        "sum(n) FILTER (WHERE num IS NOT NULL), "
        "sum(n) FILTER (WHERE flag IS NOT NULL), "
        "sum(n) FILTER (WHERE dt IS NOT NULL), "
        "sum(n) FILTER (WHERE num = trunc(num)), "
        "sum(n) FILTER (WHERE contains(t, '%')), "
        "sum(n) FILTER (WHERE CASE WHEN num IS NULL THEN true "
        f"ELSE NOT regexp_full_match(val, '{_PLAIN_NUMBER}') END), "
        "sum(n) FILTER (WHERE CASE WHEN dt IS NULL THEN true "
        f"ELSE NOT regexp_full_match(val, '{_ISO_DATE}') END), "
        "count(*) FILTER (WHERE slash AND TRY_CAST(split_part(t, '/', 1) AS INT) > 12), "
        "count(*) FILTER (WHERE slash AND TRY_CAST(split_part(t, '/', 2) AS INT) > 12), "
        "(list(t ORDER BY n DESC, t) FILTER (WHERE flag IS NOT NULL))[1:4], "
        f"(list([t, n::VARCHAR] ORDER BY n DESC, t) FILTER (WHERE t IS NOT NULL))[1:{TOP}] "
        "FROM p GROUP BY col"
    ).fetchall()
    by_col = {r[0]: [int(x or 0) for x in r[1:-2]] + [tuple(r[-2] or ()), r[-1] or []]
              for r in found}
    stats = []
    for c in columns:
        (p, d, n, f, t, whole, pct, not_plain, not_iso, over1, over2,
         spellings, top) = by_col.get(c, [0] * 11 + [(), []])
        stats.append(ColumnStats(c, rows, p, d, n, f, t, whole=whole, percent=pct,
                                 not_plain=not_plain, not_iso=not_iso,
                                 day_first=over1 > 0 and over2 == 0, flag_spellings=spellings,
                                 top=tuple((v, int(k)) for v, k in top)))
    return _with_changes(cur, stats)


#: How many of a column's commonest values the profile keeps (shown, and read by the
#: role guess: outcome labels, e-mail or phone shapes).
TOP = 60


def _with_changes(cur: duckdb.DuckDBPyConnection,
                  stats: list[ColumnStats]) -> list[ColumnStats]:
    """Count, for numeric columns, the rows whose value differs from the row before.

    A value that changes only a few times down a file sorted by time (an interest rate,
    a price index) describes the moment of contact, not the lead.
    """
    numeric = [i for i, s in enumerate(stats)
               if s.present and s.numeric >= 0.95 * s.present and s.distinct >= 2]
    if not numeric:
        return stats
    parts = ", ".join(
        f"count(*) FILTER (WHERE _c{j} IS DISTINCT FROM _l{j})" for j in range(len(numeric)))
    inner = ", ".join(
        f"CAST({quote(stats[i].name)} AS VARCHAR) AS _c{j}, "
        f"lag(CAST({quote(stats[i].name)} AS VARCHAR)) OVER (ORDER BY rowid) AS _l{j}"
        for j, i in enumerate(numeric))
    row = cur.execute(f"SELECT {parts} FROM (SELECT {inner} FROM _sample)").fetchone()
    out = list(stats)
    for j, i in enumerate(numeric):
        out[i] = dataclasses.replace(stats[i], changes=int(row[j]) - 1)
    return out


@dataclass
class Plan:
    """How one raw column becomes a column of ``leads``, in the stages of one query.

    Over the trimmed text ``_t{i}``: ``parse`` gives ``_p{i}``, ``refine`` (numbers) gives
    ``_v{i}``, then ``value`` is what is stored and ``state`` the bits of what was done,
    already shifted to the column's place in its state word (``slot``).
    """

    guess: ColumnGuess
    parse: str
    refine: str | None
    value: str
    state: str
    checks: list[tuple[str, int, str]]  # (kind, bit of the state, action)
    # When the column is read with a native type (see ``_fast_types``), ``_p{i}`` is that
    # value and ``native_state`` replaces ``state``.
    native_type: str | None = None
    native_state: str | None = None
    slot: tuple[int, int] = (0, 0)  # (word, shift): where the state's bits live


class _Slots:
    """Places for the columns' state bits, side by side in 64-bit words ``_w{j}``.

    Each column gets just the bits its checks use. DuckDB writes one mostly constant word
    per row far faster than one mostly NULL code column per file column (0.6 of 4.4 s on a
    million rows with 29 columns), and each state is a CASE giving its bits already
    shifted (UBIGINT, 0 for nothing): ``coalesce``, casts and shifts on top cost 3x more.
    """

    def __init__(self) -> None:
        self.word, self.used, self.shift = 0, 0, 0

    def take(self, checks: list[tuple[str, int, str]]) -> tuple[int, int]:
        width = max(bit for _, bit, _ in checks).bit_length()
        if self.used + width > 64:
            self.word, self.used = self.word + 1, 0
        self.shift = self.used
        self.used += width
        return self.word, self.shift

    def bits(self, bit: int) -> str:
        """``bit`` of the column just placed, as its word's UBIGINT literal."""
        return f"{bit << self.shift}::UBIGINT"


_NONE = "0::UBIGINT"


def plan_columns(guesses: list[ColumnGuess], stats: list[ColumnStats],
                 sql: Sql) -> list[Plan]:
    """The plan of every stored column (not the ignored ones, not the outcome), from the
    guesses and the sample's measures (:func:`profile_columns`)."""
    now = datetime.now()
    future = f"TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}' + INTERVAL 1 DAY"
    early = f"TIMESTAMP '{EARLIEST:%Y-%m-%d}'"
    by_name = {s.name: s for s in stats}
    nothing = ColumnStats("", 0, 0, 0, 0, 0, 0)
    slots = _Slots()
    k = slots.bits
    plans = []
    for i, g in enumerate(g for g in guesses if g.role not in ("ignore", "outcome")):
        t, p, v = f"_t{i}", f"_p{i}", f"_v{i}"
        seen = by_name.get(g.source_name, nothing)
        placeholder = ("placeholder values", _PLACEHOLDER, "treated as missing")
        type_ = g.type
        if g.role in ("created_at", "closed_at"):
            type_ = "date"
        if g.role in ("lead_id", "segment", "email", "phone", "company", "first_name",
                      "last_name", "full_name"):
            type_ = "text"
        if g.role == "amount":
            type_ = "numeric"
        g.type = type_
        refine = native_type = native_state = None
        if type_ == "numeric":
            checks = [placeholder,
                      ("non-numeric values", _INVALID,
                       "set to missing; fix the values or map the column as categorical"),
                      ("values with separators or symbols (1,200 / 35% / $)", _SEPARATORS,
                       "cleaned to plain numbers")]
            negative = g.role == "behavior"
            fraction = negative and seen.counts
            if negative:
                checks.append(("negative counts", _NEGATIVE, "set to missing"))
            if fraction:
                checks.append(("fractional counts (a count should be a whole number)",
                               _FRACTION, "kept as they are; check the export"))
            slot = slots.take(checks)
            parse = sql.guard(t, sql.plain_number(t))
            refine = f"coalesce({p}, {sql.guard(t, sql.decorated_number(t))})"
            good = f"isfinite({v})"
            bits = []  # what a number read as it is can still show
            if negative:
                bits.append(f"CASE WHEN {v} < 0 THEN {k(_NEGATIVE)} ELSE {_NONE} END")
                good += f" AND {v} >= 0"
            if fraction:
                bits.append(f"CASE WHEN {v} <> trunc({v}) THEN {k(_FRACTION)} ELSE {_NONE} END")
            separators = f"CASE WHEN {p} IS NULL THEN {k(_SEPARATORS)} ELSE {_NONE} END"
            value = f"CASE WHEN {good} THEN {v} END"
            state = (f"CASE WHEN {v} IS NULL OR NOT isfinite({v}) THEN {_missing(sql, t, k)} "
                     f"ELSE {' + '.join([separators, *bits])} END")
            # Read as DOUBLE, "nan" (a placeholder) and "inf" are the only odd values left.
            native_type = "DOUBLE"
            native_state = (f"CASE WHEN {v} IS NULL THEN {_NONE} "
                            f"WHEN isnan({v}) THEN {k(_PLACEHOLDER)} "
                            f"WHEN NOT isfinite({v}) THEN {k(_INVALID)} "
                            f"ELSE {' + '.join(bits) or _NONE} END")
        elif type_ == "flag":
            checks = [placeholder, ("values that are not yes/no", _INVALID, "set to missing")]
            slot = slots.take(checks)
            parse = sql.guard(t, sql.flag(t, seen.flag_spellings))
            value = p
            state = f"CASE WHEN {p} IS NULL THEN {_missing(sql, t, k)} ELSE {_NONE} END"
        elif type_ == "date":
            checks = [placeholder,
                      ("unreadable dates", _INVALID, "set to missing; use YYYY-MM-DD"),
                      ("dates in the future", _FUTURE, "set to missing"),
                      ("dates before 1990", _EARLY, "set to missing")]
            slot = slots.take(checks)
            parse = sql.guard(t, sql.date(t, seen.day_first))
            value = f"CASE WHEN {p} > {future} OR {p} < {early} THEN NULL ELSE {p} END"
            dated = (f"WHEN {p} > {future} THEN {k(_FUTURE)} WHEN {p} < {early} "
                     f"THEN {k(_EARLY)} ELSE {_NONE} END")
            state = f"CASE WHEN {p} IS NULL THEN {_missing(sql, t, k)} {dated}"
            native_type = "TIMESTAMP"
            native_state = f"CASE {dated}"
        else:
            checks = [placeholder]
            slot = slots.take(checks)
            parse = sql.text(t)
            value = p
            state = f"CASE WHEN {p} IS NULL AND {t} <> '' THEN {k(_PLACEHOLDER)} ELSE {_NONE} END"
        plans.append(Plan(g, parse, refine, value, state, checks, native_type, native_state,
                          slot))
    return plans


def _missing(sql: Sql, t: str, k: Callable[[int], str]) -> str:
    """The state of a value read as missing: nothing when blank, else a placeholder or
    a value that does not parse."""
    return (f"CASE WHEN {t} IS NULL OR {t} = '' THEN {_NONE} "
            f"WHEN {sql.is_placeholder(t)} THEN {k(_PLACEHOLDER)} ELSE {k(_INVALID)} END")


_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                  "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_TIME_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")


def _fast_types(source: Source, plans: list[Plan], stats: list[ColumnStats]) -> dict[int, str]:
    """The numeric and date columns that can be read with a native type, by plan index.

    Parsing text in SQL costs far more than the CSV reader's own typed parse (or a plain
    cast). A Parquet column qualifies when the file already stores numbers or timestamps;
    a text column when every value of the sample is a plain number or an ISO date (no
    placeholder, separator, symbol or padding). A value further on that does not parse
    makes the read fail, and the whole file is then read as text (see :func:`stage`).
    """
    wanted = {i: p.native_type for i, p in enumerate(plans) if p.native_type}
    fast = {}
    if source.fmt == "parquet":
        kinds = {"DOUBLE": _NUMERIC_TYPES, "TIMESTAMP": _TIME_TYPES}
        for i, t in list(wanted.items()):
            native = source.native.get(plans[i].guess.source_name, "").split("(")[0]
            if native in kinds[t]:
                fast[i] = t
            if native != "VARCHAR":
                del wanted[i]
    elif source.fmt != "csv":
        return {}
    by_name = {s.name: s for s in stats}
    for i, t in wanted.items():
        s = by_name.get(plans[i].guess.source_name)
        if s is not None and (s.not_plain if t == "DOUBLE" else s.not_iso) == 0:
            fast[i] = t
    return fast


def _typed_view(cur: duckdb.DuckDBPyConnection, source: Source, plans: list[Plan],
                fast: dict[int, str]) -> None:
    """The view ``_typed``: ``_file`` with the ``fast`` columns read as native types."""
    types = {plans[i].guess.source_name: t for i, t in fast.items()}
    if source.fmt == "parquet":
        def column(c: str) -> str:
            if c in types and source.native.get(c) != "VARCHAR":
                return quote(c)  # numbers and timestamps as stored
            return f"CAST({quote(c)} AS {types.get(c, 'VARCHAR')}) AS {quote(c)}"

        cols = ", ".join(column(c) for c in source.columns)
        cur.execute(f"CREATE OR REPLACE TEMP VIEW _typed AS SELECT {cols} FROM _parquet")
        return
    assert source.csv_read is not None
    cur.execute(f"CREATE OR REPLACE TEMP VIEW _typed AS SELECT * FROM {source.csv_read(types)}")


@dataclass(frozen=True)
class Labels:
    """The outcome column, and what each label of the sample stands for (won, lost ...).

    The labels are mapped in the pass; one the sample did not show is staged marked (with
    ``chr(1)`` in front), to be mapped or reported once the whole file is read.
    """

    column: str
    known: dict[str | None, str]

    def sql(self, label: str) -> str:
        cases = " ".join(f"WHEN {label} = {literal(k)} THEN {literal(v)}"
                         for k, v in self.known.items() if k is not None)
        null = literal(self.known.get(None, "open"))
        return f"CASE WHEN {label} IS NULL THEN {null} {cases} ELSE chr(1) || {label} END"


def stage(cur: duckdb.DuckDBPyConnection, source: Source, plans: list[Plan],
          stats: list[ColumnStats], outcome: Labels | None, generated_id: bool,
          sql: Sql) -> None:
    """Write and commit the cleaned rows to the staging table: with the fast columns read
    as native types, or, when a value the sample did not show breaks that, all as text."""
    fast = _fast_types(source, plans, stats)
    if fast:
        _typed_view(cur, source, plans, fast)
        try:
            with transaction(cur, own_cursor=False) as tx:
                _clean(tx, plans, outcome, generated_id, sql, fast)
            return
        except duckdb.ConversionException:
            pass
    with transaction(cur, own_cursor=False) as tx:
        _clean(tx, plans, outcome, generated_id, sql, {})


def _clean(cur: duckdb.DuckDBPyConnection, plans: list[Plan], outcome: Labels | None,
           generated_id: bool, sql: Sql, fast: dict[int, str]) -> None:
    """One pass over the file into the table ``_calibrate_new``: every cleaned value, the
    outcome (see :class:`Labels`) and the bits of what the cleaning did to each value,
    packed into the words ``_w{j}`` (see :class:`_Slots`).

    The stages are nested projections, so each expression is evaluated once per value.
    Rows are inserted in file order, so ``rowid`` gives the row number in the file (a
    ``row_number()`` window would serialise the parallel scan).
    """
    stage1 = []
    if outcome is not None:
        stage1.append(f"{sql.trimmed(quote(outcome.column))} AS _label")
    stage1 += [f"CAST({quote(p.guess.source_name)} AS {fast[i]}) AS _p{i}" if i in fast
               else f"{sql.trimmed(quote(p.guess.source_name))} AS _t{i}"
               for i, p in enumerate(plans)]
    stage2 = [f"{p.parse} AS _p{i}" for i, p in enumerate(plans) if i not in fast]
    stage3 = [f"{'_p' + str(i) if i in fast else p.refine} AS _v{i}"
              for i, p in enumerate(plans) if p.refine]
    final = [f"{outcome.sql('_label')} AS outcome" if outcome is not None
             else "'open' AS outcome"]
    if generated_id:
        final.append("CAST(NULL AS VARCHAR) AS lead_id")
    final += [f"{p.value} AS {quote(p.guess.name)}" for p in plans]
    words: list[list[str]] = []
    for i, p in enumerate(plans):
        if p.slot[0] == len(words):
            words.append([])
        words[p.slot[0]].append(p.native_state if i in fast else p.state)
    final += [f"{' + '.join(terms)} AS _w{j}" for j, terms in enumerate(words)]
    query = f"SELECT {', '.join(stage1)} FROM {'_typed' if fast else '_file'}"
    for step in (stage2, stage3):
        if step:
            query = f"SELECT *, {', '.join(step)} FROM ({query})"
    cur.execute(f"CREATE OR REPLACE TABLE {STAGING} AS SELECT {', '.join(final)} FROM ({query})")


def row_numbers(cur: duckdb.DuckDBPyConnection) -> str:
    """SQL for a row's number in the file: ``_calibrate_new`` holds the rows in file order,
    so it is the ``rowid`` less the first one's, plus one. Missing ids (all of them when
    the file has none) become that number."""
    first = cur.execute(f"SELECT min(rowid) FROM {STAGING}").fetchone()[0] or 0
    row = f"(rowid - {int(first) - 1})"
    cur.execute(f"UPDATE {STAGING} SET lead_id = 'row-' || CAST({row} AS VARCHAR) "
                "WHERE lead_id IS NULL")
    return row


def state_columns(plans: list[Plan]) -> list[str]:
    """The helper columns holding the state words (dropped once the checks are counted)."""
    return [f"_w{j}" for j in range(max((p.slot[0] for p in plans), default=-1) + 1)]


#: Above this many distinct combinations of state words, checks are counted in SQL.
MAX_STATE_COMBINATIONS = 10_000


def run_checks(cur: duckdb.DuckDBPyConnection, plans: list[Plan], row: str) -> list[Issue]:
    """Count every check, with its first example rows, from the state words of
    ``_calibrate_new``.

    Usually from one GROUP BY over the words: a file has few distinct combinations of
    issues, and each combination's count and first rows (``min(x, n)`` lists the n
    smallest) are summed up per check. A file with very many combinations is counted with
    one aggregate per check instead.
    """
    tests = [(plan, kind, plan.slot[0], bit << plan.slot[1], action)
             for plan in plans for kind, bit, action in plan.checks]
    if not tests:
        return []
    combos = cur.execute(
        f"SELECT {', '.join(state_columns(plans))}, count(*), min({row}, {EXAMPLES}) "
        f"FROM {STAGING} GROUP BY ALL LIMIT {MAX_STATE_COMBINATIONS + 1}").fetchall()
    if len(combos) > MAX_STATE_COMBINATIONS:
        return _checks_in_sql(cur, tests, row)
    issues = []
    for plan, kind, word, mask, action in tests:
        hits = [c for c in combos if c[word] & mask]
        if hits:
            rows = sorted(r for c in hits for r in c[-1])[:EXAMPLES]
            issues.append(Issue(plan.guess.label, kind, sum(int(c[-2]) for c in hits),
                                [int(r) for r in rows], action))
    return issues


def _checks_in_sql(cur: duckdb.DuckDBPyConnection, tests: list[tuple[Plan, str, int, int, str]],
                   row: str) -> list[Issue]:
    """The checks' counts and first rows as aggregates with FILTERs (two scans)."""
    where = [f"(_w{word} & {mask}::UBIGINT) <> 0" for _, _, word, mask, _ in tests]
    counts = cur.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {w})" for w in where)
                         + f" FROM {STAGING}").fetchone()
    found = [(test, w, int(n)) for test, w, n in zip(tests, where, counts, strict=True) if n]
    if not found:
        return []
    examples = cur.execute("SELECT " + ", ".join(
        f"min({row}, {EXAMPLES}) FILTER (WHERE {w})" for _, w, _ in found)
        + f" FROM {STAGING}").fetchone()
    return [Issue(plan.guess.label, kind, n, [int(r) for r in rows], action)
            for ((plan, kind, _, _, action), _, n), rows in zip(found, examples, strict=True)]

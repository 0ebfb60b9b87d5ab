"""Staging the cleaned rows: one pass over the file evaluates every column's plan once and
writes the rows, in file order, with the codes of what was done, to the staging table.

Numbers and ISO dates whose sample is clean are left to DuckDB's own parser, which is much
faster than parsing text in SQL. The expressions are :mod:`~calibrate.data.cleaning_sql`'s,
the plans :mod:`~calibrate.data.cleaning_plan`'s; the issues are counted from the codes by
:mod:`~calibrate.data.cleaning_checks`.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from calibrate.data.cleaning_plan import Plan
from calibrate.data.cleaning_sql import Sql
from calibrate.data.roles import ColumnStats
from calibrate.data.source import Source
from calibrate.data.store import STAGING, transaction
from calibrate.sql import literal, quote

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
    if source.columnar:
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
    if source.columnar:
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

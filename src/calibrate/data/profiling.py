"""Profiling the sample: how each column's values look (numbers, flags, dates, commonest
values, day-first dates), for the role and type guess and for the cleaning plan."""

from __future__ import annotations

import dataclasses

import duckdb

from calibrate.data.cleaning_sql import ISO_DATE, PLAIN_NUMBER, Sql
from calibrate.data.roles import ColumnStats
from calibrate.sql import quote


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
        f"ELSE NOT regexp_full_match(val, '{PLAIN_NUMBER}') END), "
        "sum(n) FILTER (WHERE CASE WHEN dt IS NULL THEN true "
        f"ELSE NOT regexp_full_match(val, '{ISO_DATE}') END), "
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

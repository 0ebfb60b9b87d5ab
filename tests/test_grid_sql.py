"""Proof: the count grid as one query (export.grid_sql), run where the leads are, gives
calibrate's own count grid, cell by cell: in DuckDB (the sample, the bank export, generated
leads with an activity date, so recency), on a real PostgreSQL server and on Apache Spark
(local), and for leads built on the boundaries (a cut point, a phone's digit count, a month's
last second, a label with an accent).

Each engine reads the ORIGINAL rows of the files as a warehouse would hold them, made here
with pandas and nothing of calibrate's cleaning (:func:`warehouse`): the file read as text,
one row per lead id (its last, as the load keeps), then as the query's header asks: numbers
plain (1,200 is 1200, 35% is 35, anything else empty), dates as timestamps, placeholders
empty; the outcome labels ("Closed - No Decision") and all other text as written.
calibrate's grid is :meth:`Workbench.grid` (or, for unsaved weights and for a few leads,
the same ``build_grid`` over ``scored_sql``), counted from the stored, cleaned leads.

Postgres gets the rows through ``COPY`` (tests/postgres.py), Spark through a Parquet file
DuckDB writes; all Spark tests are in this module, so that one worker starts one JVM, and
Spark counts a fixed eighth of the sample (it is slow to warm up).
"""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
import psycopg
import pytest
from test_recency import DATE, with_activity

from calibrate.cli import main
from calibrate.cli.sql_commands import RUN
from calibrate.data.outcomes import label_key
from calibrate.data.store import ColumnInfo, read_columns
from calibrate.decide.grid import GRID_COLUMNS, Grid, build_grid
from calibrate.decide.workshop import rules_of, scored_sql, workshop_grid
from calibrate.errors import CalibrateError
from calibrate.export.grid_sql import grid_from_rows, grid_sql, label_key_sql
from calibrate.export.score_sql import DIALECTS, portable_sql, transpile
from calibrate.model.recency import data_as_of
from calibrate.tools.sample import generate
from calibrate.vocabulary import PLACEHOLDERS
from calibrate.workbench import Workbench

from conftest import Fitted
from postgres import Server, copy_from_duckdb

if TYPE_CHECKING:  # pyspark loads with the spark fixture
    from pyspark.sql import SparkSession

KEYS = GRID_COLUMNS[:7]
_PLACEHOLDERS = {p.strip().lower() for p in PLACEHOLDERS}

# ------------------------------------------------------------------ the warehouse rows


def warehouse(raw: pd.DataFrame, columns: list[ColumnInfo]) -> pd.DataFrame:
    """The file's rows (text) as the query's header asks a table to hold them, by the
    stored columns' types: numbers plain, dates as timestamps, placeholders empty; the
    outcome labels and other text as written."""
    out = raw.reset_index(drop=raw.index.name is None).copy()
    for c in columns:
        name = c.source_name
        if not name or name not in out.columns:
            continue
        text = out[name].astype(object).where(out[name].notna(), "").astype(str)
        if c.type == "numeric":  # 1,200 is 1200 and 35% is 35, as the README says
            number = pd.to_numeric(text.str.replace(r"[$€£%,\s]", "", regex=True),
                                   errors="coerce")
            out[name] = number.where(np.isfinite(number))
        elif c.type == "date":
            out[name] = pd.to_datetime(text.where(text.str.strip() != "", None),
                                       format="mixed")
        elif c.role != "outcome":
            out[name] = text.where(~text.str.strip().str.lower().isin(_PLACEHOLDERS), None)
    return out


def load(duck: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame) -> str:
    """``rows`` as DuckDB table ``table`` (dropped first)."""
    duck.register("_rows", rows)
    duck.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _rows')
    duck.unregister("_rows")
    return table


# ------------------------------------------------------------------ comparing grids


def canonical(grid: Grid) -> pd.DataFrame:
    """A grid's rows in one order with plain types, missing month and segment marked."""
    f = grid.frame.copy()
    for c in ("rule_class", "outcome"):
        f[c] = f[c].astype(str)
    f["segment"] = f["segment"].astype(object).where(f["segment"].notna(), "<none>")
    f["month"] = pd.to_datetime(f["month"]).dt.strftime("%Y-%m-%d").fillna("<none>")
    for c in ("profile_points", "behavior_points", "total", "leads", "amount_n"):
        f[c] = f[c].astype("int64")
    return f.sort_values(KEYS).reset_index(drop=True)


def assert_same(got: Grid, want: Grid) -> None:
    """Every cell: the same keys, exactly the same counts, amounts to 1e-9."""
    a, b = canonical(got), canonical(want)
    assert a[KEYS].equals(b[KEYS]), a.merge(b, on=KEYS, how="outer", indicator=True).query(
        "_merge != 'both'").head(10)
    assert (a["leads"] == b["leads"]).all() and (a["amount_n"] == b["amount_n"]).all()
    np.testing.assert_allclose(a["amount_sum"], b["amount_sum"], rtol=1e-9, atol=1e-9)
    assert got.leads == want.leads


def in_duckdb(duck: duckdb.DuckDBPyConnection, sql: str) -> Grid:
    return grid_from_rows(duck.execute(sql).df())


def in_postgres(pg: psycopg.Connection, sql: str) -> Grid:
    cur = pg.execute(sql)
    return grid_from_rows(pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description]))


def in_spark(spark: SparkSession, sql: str) -> Grid:
    result = spark.sql(sql)
    rows = [r.asDict() for r in result.collect()]
    return grid_from_rows(pd.DataFrame(rows, columns=result.columns))


# ------------------------------------------------------------------ data


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse in DuckDB: the original rows of each data set, one table each."""
    con = duckdb.connect()
    yield con
    con.close()


@pytest.fixture(scope="module")
def sample_bench(sample_db_template: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[Workbench]:
    """The fitted sample (a copy of the session's), read only."""
    path = tmp_path_factory.mktemp("grid_sql") / "sample.duckdb"
    shutil.copy(sample_db_template, path)
    with Workbench(path, read_only=True, keep_backups=0) as wb:
        yield wb


@pytest.fixture(scope="module")
def sample_leads(sample: Fitted, sample_bench: Workbench,
                 duck: duckdb.DuckDBPyConnection) -> str:
    """The sample file's rows in the warehouse (table sample_leads)."""
    _, _, raw = sample
    return load(duck, "sample_leads", warehouse(raw, read_columns(sample_bench.con)))


@pytest.fixture(scope="module")
def activity(duck: duckdb.DuckDBPyConnection) -> Iterator[tuple[Workbench, str]]:
    """6,000 generated leads (open and closed, 24 months, segments, contacts) with a 'Last
    Activity Date', fitted so that recency is scored; and their rows in the warehouse."""
    raw = with_activity(generate(6_000, seed=11)[0])
    with Workbench(keep_backups=0) as wb:
        wb.ingest(raw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            wb.fit()
        assert DATE in set(wb.weights.table.query("kind == 'recency'")["attribute"])
        rows = warehouse(raw.drop_duplicates("lead_id", keep="last"), read_columns(wb.con))
        yield wb, load(duck, "activity_leads", rows)


@pytest.fixture(scope="module")
def pg(postgres_server: Server) -> Iterator[psycopg.Connection]:
    """A database of this module's own on the session's server."""
    name = postgres_server.create_database("grid_sql")
    with postgres_server.connect(name, autocommit=True) as con:
        yield con


# ------------------------------------------------------------------ DuckDB


def test_duckdb_counts_the_samples_original_rows_as_calibrate_does(
        sample_bench: Workbench, sample_leads: str, duck: duckdb.DuckDBPyConnection) -> None:
    sql = sample_bench.grid_sql("duckdb", source=sample_leads)
    assert "Not included" not in sql  # the fake-name patterns are written too
    got, want = in_duckdb(duck, sql), sample_bench.grid()
    assert_same(got, want)
    # Not vacuous: every rule class, outcome and segment, two years of months, amounts.
    f = want.frame
    assert set(f["rule_class"].astype(str)) == {"none", "qualified", "disqualified"}
    assert set(f["outcome"].astype(str)) == {"won", "lost", "no_decision", "open"}
    assert len(want.segments) == 3 and len(want.months) >= 20 and f["amount_n"].sum() > 0
    raw = duck.execute(f"SELECT DISTINCT status FROM {sample_leads}").fetchall()
    assert {"Closed - No Decision", "Closed Won", "In Progress"} <= {r[0] for r in raw}


def test_the_query_reads_labels_with_the_mapping_the_leads_were_loaded_with(
        sample: Fitted, duck: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Won deals written "Verbal Yes", a label only the load's mapping file knows: the
    query the store hands on reads it as won, as the load did (no choices remembered)."""
    _, _, raw = sample
    raw = raw.reset_index(drop=True) if "lead_id" in raw.columns else raw.reset_index()
    raw.loc[raw["status"] == "Closed Won", "status"] = "Verbal Yes"
    path = tmp_path / "verbal.csv"
    raw.to_csv(path, index=False)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[outcomes]\nwon = ["Verbal Yes"]\n', encoding="utf-8")
    with Workbench(keep_backups=0) as wb:
        wb.ingest(path, mapping=mapping)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            wb.fit()
        table = load(duck, "verbal_leads", warehouse(raw.drop_duplicates(
            "lead_id", keep="last"), read_columns(wb.con)))
        assert_same(in_duckdb(duck, wb.grid_sql("duckdb", source=table)), wb.grid())


def test_duckdb_counts_the_bank_exports_original_rows_as_calibrate_does(
        bank: Fitted, duck: duckdb.DuckDBPyConnection) -> None:
    con, weights, raw = bank  # unsaved weights: calibrate's grid is workshop_grid's
    columns = read_columns(con)
    table = load(duck, "bank_leads", warehouse(raw, columns))
    sql = grid_sql(weights.table, columns=columns, rules=rules_of(weights), source=table)
    want = workshop_grid(con, weights, rules_of(weights))
    assert_same(in_duckdb(duck, sql), want)
    assert set(want.frame["outcome"].astype(str)) == {"won", "lost"} and not want.months


def test_duckdb_counts_recency_to_each_leads_reference_date(
        activity: tuple[Workbench, str], duck: duckdb.DuckDBPyConnection) -> None:
    wb, table = activity
    sql = wb.grid_sql("duckdb", source=table)
    assert_same(in_duckdb(duck, sql), wb.grid())
    header = " ".join(line[3:] for line in sql.splitlines() if line.startswith("-- "))
    assert (f'Recency: "{DATE}" score by whole days before each lead\'s "closed_at", else '
            f"{data_as_of(wb.con):%Y-%m-%d} (the newest date loaded)") in header
    # Not vacuous: counted to today instead, open leads lose recency points.
    today = grid_sql(wb.weights.table, columns=read_columns(wb.con), source=table,
                     rules=rules_of(wb.weights))
    assert not canonical(in_duckdb(duck, today)).equals(canonical(wb.grid()))


# ------------------------------------------------------------------ PostgreSQL


def test_postgres_counts_the_same_grid_on_a_real_server(
        sample_bench: Workbench, sample_leads: str, activity: tuple[Workbench, str],
        duck: duckdb.DuckDBPyConnection, pg: psycopg.Connection) -> None:
    for wb, table in ((sample_bench, sample_leads), activity):
        types = copy_from_duckdb(pg, table, duck, table)
        assert {"text", "double precision", "timestamp"} <= set(types.values())
        sql = wb.grid_sql("postgres", source=table)
        assert sql.startswith("-- calibrate count grid (postgres")
        assert_same(in_postgres(pg, sql), wb.grid())


def test_postgres_may_count_the_grid_in_parallel_without_scoring_twice(
        sample_bench: Workbench, sample_leads: str, duck: duckdb.DuckDBPyConnection,
        pg: psycopg.Connection) -> None:
    """The plan PostgreSQL makes for the grid query: the leads scored once each, in an
    inner query it keeps (inlined, it would compute every score per use, 4x slower), and
    counted in parallel workers when the server would use them (as a big table makes it;
    here the planner's costs say so). OFFSET 0 kept the scoring in the leader alone."""
    copy_from_duckdb(pg, sample_leads, duck, sample_leads)
    sql = sample_bench.grid_sql("postgres", source=sample_leads)
    with pg.transaction():
        for setting in ("parallel_setup_cost = 0", "parallel_tuple_cost = 0",
                        "min_parallel_table_scan_size = 0", "max_parallel_workers_per_gather = 2"):
            pg.execute(f"SET LOCAL {setting}")
        plan = "\n".join(r[0] for r in pg.execute("EXPLAIN " + sql).fetchall())
    assert "Parallel Seq Scan" in plan and "Partial" in plan, plan
    assert "Subquery Scan on calibrate_inputs" in plan and "Subquery Scan on scored" in plan


# ------------------------------------------------------------------ Spark


def to_spark(spark: SparkSession, duck: duckdb.DuckDBPyConnection, table: str,
             folder: Path) -> str:
    """DuckDB's table as a Spark view of the same name, through a Parquet file."""
    path = folder / f"{table}.parquet"
    duck.execute(f"COPY \"{table}\" TO '{path}' (FORMAT parquet)")
    spark.read.parquet(str(path)).createOrReplaceTempView(table)
    return table


def test_spark_counts_the_same_grid(
        spark: SparkSession, sample: Fitted, sample_bench: Workbench, sample_leads: str,
        activity: tuple[Workbench, str], duck: duckdb.DuckDBPyConnection,
        tmp_path: Path) -> None:
    """Local Spark takes some 10 s over its first query (the JVM warming up), then about
    2 s per 6,000 leads: it counts one lead in 8 of the sample (a fixed hash sample, against
    calibrate's grid of the same stored leads) and every generated lead with recency."""
    con, weights, _ = sample
    con.execute("CREATE OR REPLACE TEMP VIEW leads_8 AS SELECT * FROM leads "
                "WHERE hash(lead_id) % 8 = 0")
    eighth = build_grid(con, scored_sql(con, weights, rules_of(weights), "leads_8"))
    assert 5_000 < eighth.leads < 7_500 and eighth.frame["rule_class"].nunique() == 3
    duck.execute(f"CREATE OR REPLACE TABLE sample_leads_8 AS SELECT * FROM {sample_leads} "
                 "WHERE hash(lead_id) % 8 = 0")
    con.execute("DROP VIEW leads_8")
    (wb, table), recency = activity, activity[0].grid()
    for bench, name, want in ((sample_bench, "sample_leads_8", eighth), (wb, table, recency)):
        to_spark(spark, duck, name, tmp_path)
        sql = bench.grid_sql("spark", source=name)
        assert sql.startswith("-- calibrate count grid (spark")
        assert_same(in_spark(spark, sql), want)
    # The score itself (--what score) in Spark: every lead as DuckDB's score of the same rows
    # (which tests/test_rules_export.py holds to calibrate's), a segment's own bar included.
    bars = {"mode": "both", "min_profile": 45, "min_behavior": 25,
            "segments": {"Enterprise": {"mode": "total", "min_total": 30}}}

    def score(dialect: str) -> str:
        sql = portable_sql(weights.table, thresholds=bars, rules=rules_of(weights),
                           columns=read_columns(con), source="sample_leads_8", dialect=dialect)
        return (f"SELECT lead_id, profile, behavior, total, auto_rule, mql FROM (\n{sql}) "
                "AS scored ORDER BY lead_id")

    result = spark.sql(score("spark"))
    got = pd.DataFrame([r.asDict() for r in result.collect()], columns=result.columns)
    want_scores = duck.execute(score("duckdb")).df()
    assert len(got) == len(want_scores) == eighth.leads and want_scores["mql"].any()
    for c in got.columns:
        assert got[c].fillna("").astype(str).tolist() == want_scores[c].fillna("").astype(
            str).tolist(), c


# ------------------------------------------------------------------ boundaries

#: Leads built on one real lead, each on a boundary: (lead id, what the stored lead holds,
#: what the file's row holds). Employees 26 and 5,001 and 12.5 minutes are cut points (each
#: lands in the bin above); a phone of 7 digits is real, of 6 fake; a malformed email
#: disqualifies a lead that asked for a demo; the last second of January is January; the
#: outcome labels are written with case, accents and punctuation.
BOUNDARY = [
    ("B1", {"employees": "26.0", "minutes_on_site": "12.5", "phone": "'123-4567'",
            "created_at": "TIMESTAMP '2025-01-31 23:59:59'", "outcome": "'won'",
            "segment": "'Enterprise'", "amount": "12500.0"},
     {"employees": "26", "minutes_on_site": "12.5", "phone": "123-4567",
      "created_at": "2025-01-31 23:59:59", "status": "GAGNÉ", "sales_team": " Enterprise ",
      "amount": "12,500"}),
    ("B2", {"employees": "5001.0", "phone": "'123-456'", "outcome": "'won'",
            "created_at": "TIMESTAMP '2025-02-01 00:00:00'", "segment": "NULL",
            "amount": "NULL"},
     {"employees": "5,001", "phone": "123-456", "created_at": "2025-02-01 00:00:00",
      "status": " closed - won ", "sales_team": "N/A", "amount": ""}),
    ("B3", {"email": "'ann@example'", "demo_request": "true", "outcome": "'lost'"},
     {"email": "ann@example", "demo_request": "Yes", "status": "Closed_Lost"}),
    ("B4", {"demo_request": "true", "minutes_on_site": "6.0", "outcome": "'open'"},
     {"demo_request": "yes", "minutes_on_site": "6", "status": ""}),
]


def built_on_one_lead(sample: Fitted, leads: list[tuple[str, dict[str, str], dict[str, str]]],
                      table: str, duck: duckdb.DuckDBPyConnection, pg: psycopg.Connection,
                      spark: SparkSession, folder: Path) -> Grid:
    """calibrate's grid of ``leads`` (as BOUNDARY: each one real lead changed), once the
    query of each engine (DuckDB, Postgres, Spark) over the file's rows, changed as text
    and held as warehouse table ``table``, counts the same grid."""
    con, weights, raw = sample
    rules = rules_of(weights)
    base = con.execute("SELECT lead_id FROM leads WHERE outcome = 'won' AND amount > 0 AND "
                       "segment = 'Field' AND NOT demo_request AND NOT contact_us ORDER BY "
                       "lead_id LIMIT 1").fetchone()[0]
    # calibrate's side: the stored lead, changed, through scored_sql and build_grid.
    stored = " UNION ALL ".join(
        f"SELECT * REPLACE ('{lead}' AS lead_id, "
        + ", ".join(f"{v} AS {k}" for k, v in changes.items())
        + f") FROM leads WHERE lead_id = '{base}'" for lead, changes, _ in leads)
    con.execute(f"CREATE OR REPLACE TEMP VIEW built AS {stored}")
    want = build_grid(con, scored_sql(con, weights, rules, "built"))
    con.execute("DROP VIEW built")
    # The query's side: the file's row, changed as its text.
    rows = pd.DataFrame([raw.loc[base].to_dict() | {"lead_id": lead} | text
                         for lead, _, text in leads])
    load(duck, table, warehouse(rows, read_columns(con)))
    copy_from_duckdb(pg, table, duck, table)
    to_spark(spark, duck, table, folder)
    for dialect, run in (("duckdb", lambda q: in_duckdb(duck, q)),
                         ("postgres", lambda q: in_postgres(pg, q)),
                         ("spark", lambda q: in_spark(spark, q))):
        sql = grid_sql(weights.table, columns=read_columns(con), rules=rules, source=table,
                       dialect=dialect)
        assert "Not included" not in sql, dialect  # every auto-rule is written
        assert_same(run(sql), want)
    return want


def test_a_lead_on_a_boundary_counts_alike_in_every_engine(
        sample: Fitted, duck: duckdb.DuckDBPyConnection, pg: psycopg.Connection,
        spark: SparkSession, tmp_path: Path) -> None:
    want = built_on_one_lead(sample, BOUNDARY, "boundary_leads", duck, pg, spark, tmp_path)
    frame = want.frame
    assert sorted(frame["rule_class"].astype(str)) == ["disqualified", "disqualified",
                                                       "none", "qualified"]
    assert sorted(frame["outcome"].astype(str)) == ["lost", "open", "won", "won"]
    assert {dt.date(2025, 1, 1), dt.date(2025, 2, 1)} <= set(want.months)


#: Leads only a fake-name pattern disqualifies (the default patterns: no letter at all, a
#: word starting with a keyboard row, a word of 3+ times one letter), or, on a boundary,
#: does not: (lead id, first name, last name, disqualified).
FAKE_NAMES = [
    ("F1", "1234", "!!", True),
    ("F2", "Asdf", "Smith", True),
    ("F3", "Mary", "Qwerty", True),
    ("F4", "Xxx", "Yyy", True),
    ("F5", "Aaa", "Lee", True),
    ("F6", "Aa", "Lee", False),  # two letters are a name
    ("F7", "Zoë", "Ångström", False),  # accented letters are letters
    ("F8", "José", "123", False),
]


def test_a_lead_only_a_fake_name_pattern_disqualifies_counts_alike_in_every_engine(
        sample: Fitted, duck: duckdb.DuckDBPyConnection, pg: psycopg.Connection,
        spark: SparkSession, tmp_path: Path) -> None:
    leads = [(lead, {"first_name": f"'{first}'", "last_name": f"'{last}'"},
              {"first_name": first, "last_name": last}) for lead, first, last, _ in FAKE_NAMES]
    want = built_on_one_lead(sample, leads, "fake_name_leads", duck, pg, spark, tmp_path)
    counts = want.frame.groupby("rule_class", observed=True)["leads"].sum()
    fake = sum(f[3] for f in FAKE_NAMES)
    assert counts.to_dict() == {"disqualified": fake, "none": len(FAKE_NAMES) - fake}
    # Not vacuous: without the patterns (only the listed fake names), none is fake.
    con, weights, _ = sample
    rules = rules_of(weights)
    rules.fake_name_patterns = []
    sql = grid_sql(weights.table, columns=read_columns(con), rules=rules,
                   source="fake_name_leads")
    assert set(in_duckdb(duck, sql).frame["rule_class"].astype(str)) == {"none"}
    # Postgres is told what a letter is there.
    sql = grid_sql(weights.table, columns=read_columns(con), rules=rules_of(weights),
                   source="fake_name_leads", dialect="postgres")
    assert "-- Note: A letter in the fake-name patterns is [[:alpha:]]" in sql


#: Emails on the edges of the throwaway-domain rule (a default domain: mailinator.com),
#: each with whether it is disqualified: (lead id, email, disqualified).
EMAILS = [
    ("E1", "ann@mailinator.com", True),
    ("E2", "ann@inbox.mailinator.com", True),  # a subdomain
    ("E3", "ann@a.b.mailinator.com", True),  # deeper
    ("E4", "ANN@MAILINATOR.COM ", True),  # case and spaces
    ("E5", "ann@notmailinator.com", False),  # another domain ending alike
    ("E6", "ann@mailinator.com.example.org", False),  # the domain inside another
    ("E7", "mailinator.com", False),  # no @: malformed, not throwaway (both disqualify)
    ("E8", "ann@example.com", False),
]


def test_an_email_on_the_edge_of_a_throwaway_domain_counts_alike_in_every_engine(
        sample: Fitted, duck: duckdb.DuckDBPyConnection, pg: psycopg.Connection,
        spark: SparkSession, tmp_path: Path) -> None:
    """The domain is tested on the text after the last @ (once per row): the same leads
    disqualified as calibrate's own rule on each engine, and the right ones."""
    leads = [(lead, {"email": f"'{email}'"}, {"email": email}) for lead, email, _ in EMAILS]
    want = built_on_one_lead(sample, leads, "email_leads", duck, pg, spark, tmp_path)
    counts = want.frame.groupby("rule_class", observed=True)["leads"].sum().to_dict()
    # E1-E4 throwaway, E7 malformed; E5, E6 and E8 are not disqualified.
    assert counts == {"disqualified": 5, "none": 3}


def test_spark_runs_other_patterns_as_re2_does(spark: SparkSession) -> None:
    """The patterns of tests/test_rules_export_postgres.py, in Java's regular expressions
    through sqlglot's Spark text (its string literals read backslashes as escapes)."""
    from test_rules_export_postgres import NAMES, PATTERNS

    from calibrate.export.score_sql import _regex
    from calibrate.sql import literal

    names = ", ".join(f"({i}, {literal(n)})" for i, n in enumerate(NAMES))
    with duckdb.connect() as con:
        for p in PATTERNS:
            t = _regex(p, "spark")
            assert t is not None, p
            query = (f"SELECT i, REGEXP_MATCHES(n, {literal('(?iu)' + t)}) AS m FROM (VALUES "
                     f"{names}) AS v(i, n) ORDER BY i")
            want = [m for _, m in con.execute(
                query.replace(literal("(?iu)" + t), literal("(?i)" + p))).fetchall()]
            got = [r["m"] for r in spark.sql(transpile(query, "spark")).collect()]
            assert got == want, (p, t)
    assert _regex(r"\bx", "spark") is None and _regex(r"[[:space:]]", "spark") is None


def test_a_label_key_folds_case_accents_and_punctuation_as_calibrate_does() -> None:
    labels = ["  Closed - Won ", "CLOSED_WON", "Gagné", "FERMÉE  GAGNÉE", "a.b/c:d",
              "Sem decisão", None, ""]
    # Its own connection: a result left open on duckdb's shared default connection stops
    # the next module of this worker that uses it.
    with duckdb.connect() as con:
        got = [con.execute(f"SELECT {label_key_sql('?')}", [v]).fetchone()[0]
               for v in labels]
    assert got == [label_key(v) if v is not None else None for v in labels]


def test_a_mappings_labels_come_first_and_unknown_ones_are_named(
        sample: Fitted, duck: duckdb.DuckDBPyConnection) -> None:
    con, weights, raw = sample
    rows = warehouse(raw.head(4), read_columns(con))
    rows["status"] = ["Booked", "booked ", "Test", "Maybe"]
    table = load(duck, "mapped_leads", rows)

    def run(outcomes: dict[str, list[str]]) -> Grid:
        return in_duckdb(duck, grid_sql(weights.table, columns=read_columns(con),
                                         source=table, outcomes=outcomes))

    grid = run({"won": ["BOOKED"], "ignore": ["test"], "lost": ["maybe"]})
    assert grid.leads == 3  # the row set to ignore is left out, as the load leaves it
    assert grid.frame.groupby("outcome", observed=True)["leads"].sum().to_dict() == {
        "won": 2, "lost": 1}
    with pytest.raises(ValueError, match="does not know: maybe, test; add each"):
        run({"won": ["booked"]})


# ------------------------------------------------------------------ messages and the CLI


def test_bad_input_is_a_message_naming_the_fix(sample_bench: Workbench) -> None:
    with pytest.raises(CalibrateError, match="Unknown SQL dialect 'mysql'") as e:
        sample_bench.grid_sql("mysql")
    assert "duckdb, postgres, snowflake, bigquery, spark" in str(e.value)
    with pytest.raises(CalibrateError, match="No table name"):
        sample_bench.grid_sql("duckdb", source=" ")
    with Workbench(keep_backups=0) as empty, pytest.raises(CalibrateError,
                                                            match="No leads are loaded"):
        empty.grid_sql()
    with pytest.raises(ValueError, match="outcome labels the query does not know: maybe"):
        grid_from_rows(pd.DataFrame([[1, 2, 2, "none", "maybe", None, None, 1, 0.0, 0]],
                                    columns=[c.upper() for c in GRID_COLUMNS]))
    assert set(RUN) == set(DIALECTS)


def test_without_weights_the_command_says_to_fit_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "new.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        wb.ingest(generate(300, seed=3)[0])
    assert main(["sql", "--db", str(db)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith(
        "error: No weights are fitted for the loaded leads")
    assert "How to fix: Fit them first: calibrate fit" in out.err
    assert main(["sql", "--db", str(db), "--dialect", "mysql"]) == 2
    assert "Unknown SQL dialect 'mysql'" in capsys.readouterr().err


def test_the_cli_prints_a_query_duckdb_runs(
        sample_bench: Workbench, sample_leads: str, duck: duckdb.DuckDBPyConnection,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = str(sample_bench.db)
    weights = f"weights #{sample_bench.weights.id}"
    for what in ("grid", "score"):
        assert main(["sql", "--db", db, "--what", what, "--table", sample_leads]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"-- calibrate sql --what {what} --dialect duckdb")
        assert weights in out.lower()
        rows = duck.execute(out).df()  # the text as printed, comments and all
        if what == "grid":
            assert list(rows.columns) == GRID_COLUMNS and rows["leads"].sum() == 50_000
        else:
            assert len(rows) == 50_000 and {"profile", "behavior", "total", "mql"} <= set(
                rows.columns)
    assert main(["sql", "--db", db, "--dialect", "spark"]) == 0
    out = capsys.readouterr().out
    assert "spark-sql -f" in out and "`sales_team`" in out and out.rstrip().endswith(";")


# ------------------------------------------------------------------ DuckDB's RE2 forms

#: Phones and emails on the edges of the auto-rules' plain tests (digits: the trimmed text
#: without space - ( ) . + /; an email's domain: the lower-cased trimmed text after its
#: last @; well formed: the LIKE tests), which DuckDB's query writes as RE2 matches.
EDGE_PHONES = [
    None, "", "   ", "---", "\u00a0", "12-34-56", "123-456", "123-4567", " 123-4567 ",
    "\u3000123456\u00a0", "12\u00a034567", "555-555-5555", "(555) 555-0100", "000-000-0000",
    "0000000", "000000", "1-111-111-1111", "777-7777", "xxxxxxx", "x-x-x-x-x-x-x", "xxxxxx",
    "\u0663\u0663\u0663\u0663\u0663\u0663\u0663", "+1 (212) 555-1234", "212-555-123",
    "5551234", "555123", "555123\u00a0", "55-51234", "212.555.12345", "1234567890",
    "12345678901", "+1-123-456-7890", "1\t234567", "abc555defg", "555-12x4",
]
EDGE_EMAILS = [
    None, "", "   ", "ann@mailinator.com", "ann@inbox.mailinator.com", "ANN@MAILINATOR.COM ",
    "\u3000ann@Mailinator.com\u00a0", "ann@notmailinator.com", "ann@mailinator.com.org",
    "mailinator.com", "@mailinator.com", "a@b@mailinator.com", "ann@.mailinator.com",
    "ann@mailinator.com.", "ann@mailinator..com", "ann@acme.com", "ann@x.acme.com",
    "ann@acmexcom", "ann@my_co.io", "ann@myxco.io", "ann@a.my_co.io", "ann@corp",
    "ann@a.corp", "ann@x@y.com", "ann@y.com", "a n@b.com", "a@b.c", "a@b.", "a@.b",
    "@b.com", "a@b", "a@b..c", "a..b@c.d", "a@b.c\n", "a\tb@c.d", "a@b\u00a0c.d",
    "İ@mailinator.com", "a@MAİLINATOR.COM", "a@\u212aaılınator.com",
]


def _rule_cases(dialect: str, rules: object, fast: bool) -> list[str]:
    from calibrate.export.score_sql import Inputs, _rule_sql

    names = dict.fromkeys(("email", "phone", "first_name", "last_name"), "")
    conds, _, _ = _rule_sql(rules, names, {k: k for k in names}, Inputs(fast),
                            dialect=dialect)
    return [f"CASE WHEN {c} THEN '{label}' END" for label, c in conds]


@pytest.mark.parametrize("min_digits", [0, 1, 7, 2000])
def test_duckdbs_re2_phone_and_email_tests_are_the_plain_ones(min_digits: int) -> None:
    """DuckDB's query tests phones and emails with RE2 (one search per lead instead of
    new strings per lead); every other dialect with the plain text functions. Run both in
    DuckDB (BigQuery's are plain and DuckDB reads them): the same leads fire each rule,
    on edge cases and on random text."""
    from calibrate.model.rule_settings import RuleSet

    rules = RuleSet()
    rules.competitor_domains = ["acme.com", "my_co.io", "x@y.com", "corp"]
    rules.min_phone_digits = min_digits
    rng = np.random.default_rng(min_digits)
    phone_chars = list("0123455555 -().+/x\u00a0\u3000\t\u0663")
    email_chars = list("aA@.. _%-\u00a0İ") + ["mailinator.com", "MAILINATOR.COM", "acme.com"]
    phones = EDGE_PHONES + ["".join(rng.choice(phone_chars, rng.integers(0, 16)))
                            for _ in range(3000)]
    emails = EDGE_EMAILS + ["".join(rng.choice(email_chars, rng.integers(0, 8)))
                            for _ in range(3000)]
    n = max(len(phones), len(emails))
    rows = pd.DataFrame({"phone": (phones * 2)[:n], "email": (emails * 2)[:n],
                         "first_name": "Ann", "last_name": "Lee"})
    fast, plain = _rule_cases("duckdb", rules, False), _rule_cases("bigquery", rules, False)
    assert fast != plain and any("REGEXP_MATCHES" in c and "phone" in c for c in fast)
    with duckdb.connect() as con:
        con.register("edge", rows)
        got = con.execute(f"SELECT {', '.join(fast)} FROM edge").fetchall()
        want = con.execute(f"SELECT {', '.join(plain)} FROM edge").fetchall()
    assert got == want
    fired = {label for row in want for label in row if label}
    assert {"disqualified:fake_phone", "disqualified:throwaway_email",
            "disqualified:malformed_email", "disqualified:competitor"} <= fired

"""Leads loaded in place from Apache Spark (issue 21), on the tests' local Spark: the same
points, AUC and count grid as the file path, no lead rows in the DuckDB file, a sample
picked in Spark above the cap (the same rows whatever the partitions), a refit that reads
Spark again, the command line on a Spark of its own, and clear messages for bad input. The
same on a live Spark Connect server (the ``spark_connect`` fixture, ``sc://127.0.0.1:PORT``),
read beside the local Spark: a table, a query through the token a second server asks for
(``spark_connect_token``; no byte of the store keeps it), a refit, and bad input. (A
standalone cluster: test_in_place_spark_cluster.)

The sample's rows reach Spark as test_grid_sql's do (typed by pandas, written to Parquet by
DuckDB, read by Spark as a view); Spark counts the whole sample once (the file path's
equal), the first 12,000 leads elsewhere, to be quicker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pytest
from test_grid_sql import assert_same, warehouse
from test_in_place import assert_no_lead_rows, points
from test_in_place_parquet import to_parquet

from calibrate import Workbench
from calibrate.data.spark_source import SparkSource, is_spark_master, redact_master
from calibrate.errors import APP, CalibrateError, InputError
from calibrate.in_place import InPlaceReport, Record, record_of, source_as_of, source_of

from conftest import CONNECT_TOKEN, SAMPLE_CSV

if TYPE_CHECKING:  # pyspark loads with the spark fixture
    from pyspark.sql import SparkSession

TABLE = "global_temp.sample_leads"  # a dotted name, as a catalog's crm.leads
TOKEN = "s3cret-T0ken"


@pytest.fixture(scope="module")
def made(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Workbench, pd.DataFrame, Path, str]]:
    """The file path's workbench (the sample loaded, fitted), the typed rows, their Parquet
    file, and the master of the tests' Spark, whose views hold them: ``sample_leads`` (and
    ``global_temp.sample_leads``), the first 12,000 as ``some_leads`` (quicker to count),
    ``no_outcome`` and ``text_rates``."""
    folder = tmp_path_factory.mktemp("spark_in_place")
    by_file = Workbench(folder / "file.duckdb", keep_backups=0)
    by_file.ingest(SAMPLE_CSV)
    by_file.fit()
    raw = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False)
    rows = warehouse(raw.drop_duplicates("lead_id", keep="last"), by_file.columns())
    path = to_parquet(rows, folder / "sample.parquet")
    some = to_parquet(rows.head(12_000), folder / "some.parquet")
    spark.read.parquet(str(some)).createOrReplaceTempView("some_leads")
    frame = spark.read.parquet(str(path))
    frame.createOrReplaceTempView("sample_leads")
    frame.createOrReplaceGlobalTempView("sample_leads")
    frame.select("lead_id", "seniority").createOrReplaceTempView("no_outcome")
    # The load cleans "29%"; the count grid query, run as it is, cannot.
    spark.sql("SELECT lead_id, created_at, closed_at, status, seniority, industry, "
              "concat(CAST(email_open_rate AS STRING), '%') AS email_open_rate "
              "FROM sample_leads ORDER BY lead_id LIMIT 4000").createOrReplaceTempView(
                  "text_rates")
    yield by_file, rows, path, spark.sparkContext.master
    by_file.close()


def test_a_spark_master_names_the_source_and_its_token_is_never_kept():
    assert all(is_spark_master(m) for m in ("local", "local[2]", "local[*]", " local[4] ",
                                            "spark://h:7077", "sc://h:15002", "SC://h"))
    assert not any(is_spark_master(m) for m in ("postgresql://h/db", "leads.parquet",
                                                "local[x]", "localhost", None))
    url = f"sc://spark.example:15002/;user_id=ana;token={TOKEN};x-api-key=k3y"
    assert redact_master(url) == "sc://spark.example:15002/;user_id=ana"
    source = source_of(url, "crm.leads")
    assert isinstance(source, SparkSource) and source.url == url  # used, in memory
    assert source.where() == {"url": "sc://spark.example:15002/;user_id=ana",
                              "table": "crm.leads", "query": None, "kind": "spark"}
    assert source.name == "Spark at sc://spark.example:15002/;user_id=ana (table crm.leads)"
    assert source.sql() == "SELECT * FROM crm.leads"
    assert source.sample_sql(10, 10) == source.sql()
    assert "md5(to_json(struct(s.*)))" in source.sample_sql(11, 10)
    assert source.sample_sql(11, 10).endswith(" LIMIT 10")
    record = Record(**source.where(), rows=1, rows_read=1, loaded_at="", cap=10)
    assert TOKEN not in record.to_json() and record.name == source.name
    assert record.picked == SparkSource.picked
    again = record.source(url)  # this session's URL, with its token
    assert isinstance(again, SparkSource) and again.url == url
    assert record.source().url == "sc://spark.example:15002/;user_id=ana"
    with pytest.raises(InputError, match="a table or a query, one of them"):
        source_of("local[2]")


def test_in_place_gives_the_file_paths_points_auc_and_grid_without_lead_rows(made,
                                                                             tmp_path):
    by_file, _, _, master = made
    db = tmp_path / "in-place.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        report = wb.ingest(master, table=TABLE, in_place=True)
        assert isinstance(report, InPlaceReport)
        assert report.record.rows == report.record.rows_read == by_file.leads == wb.leads
        assert points(wb).equals(points(by_file))
        assert wb.weights.metrics["auc"] == by_file.weights.metrics["auc"]
        assert_same(wb.grid(), by_file.grid())
        assert [c.source_name for c in wb.columns()] == [
            c.source_name for c in by_file.columns()]
        record = record_of(wb.con)
        assert (record.kind, record.url, record.table, record.query) == (
            "spark", master, TABLE, None)
        assert report.summary().startswith(
            f"Loaded in place from Spark at {master} (table {TABLE}): 50,000 leads stay")
        assert "50,000 rows read for the fit (all of them)" in report.summary()
        with pytest.raises(CalibrateError) as caught:  # a step that reads lead rows
            wb.drift()
        assert f"which stay in Spark at {master}" in caught.value.message
    assert_no_lead_rows(db, by_file.leads)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT sum(leads) FROM grid_cells").fetchone()[0] == by_file.leads


def test_above_the_cap_the_same_sample_is_read_and_a_refit_reads_spark_again(made,
                                                                            tmp_path):
    """The table, then a query giving the same rows: the same sample, the same points; a
    new session refits on the query, read in Spark again."""
    _, _, _, master = made
    got = []
    for run, (table, query) in enumerate((("some_leads", None),
                                          (None, "SELECT * FROM some_leads;"))):
        db = tmp_path / f"capped-{run}.duckdb"
        with Workbench(db, keep_backups=0) as wb:
            report = wb.ingest(master, table=table, query=query, in_place=True,
                               in_place_cap=3_000)
            assert (report.record.table, report.record.query) == (table, query)
            assert report.record.rows == 12_000 and report.record.rows_read == 3_000
            assert wb.leads == 12_000 and wb.grid().leads == 12_000
            assert ("sample picked in the source (md5 of each row's \"lead_id\", in Spark, "
                    "at most 3,000)") in report.summary()
            got.append(points(wb))
        assert_no_lead_rows(db, 12_000)
    assert got[0].equals(got[1])
    # A new session: the record reads Spark again, the same rows, the same points.
    with Workbench(tmp_path / "capped-1.duckdb", keep_backups=0) as wb:
        before = wb.weights.id
        again = wb.fit()
        assert again.id != before and wb.leads == 12_000 and points(wb).equals(got[1])
        assert record_of(wb.con).rows_read == 3_000


def test_the_sample_is_the_rows_with_the_smallest_md5_whatever_the_partitions(made, spark):
    _, _, _, master = made
    source = source_of(master, None, "SELECT * FROM some_leads")
    picked = []
    for parts in (1, 7):
        spark.table("some_leads").repartition(parts).createOrReplaceTempView("shuffled")
        shuffled = source_of(master, "shuffled")
        picked.append([r.lead_id for r in spark.sql(
            f"SELECT lead_id FROM ({shuffled.sample_sql(12_000, 300)}) AS p").collect()])
    every = [r.lead_id for r in spark.sql(
        "SELECT lead_id, md5(to_json(struct(*))) AS h FROM some_leads ORDER BY h"
    ).collect()[:300]]
    assert picked[0] == picked[1] == every and len(every) == 300
    assert source.count() == 12_000
    # By the lead id (what a load picks by when there is one): md5 of its text.
    by_id = [[r.lead_id for r in spark.sql(
        f"SELECT lead_id FROM ({source_of(master, view).sample_sql(12_000, 300, 'lead_id')}) "
        "AS p").collect()] for view in ("some_leads", "shuffled")]
    every = [r.lead_id for r in spark.sql(
        "SELECT lead_id, md5(CAST(lead_id AS STRING)) AS h FROM some_leads ORDER BY h"
    ).collect()[:300]]
    assert by_id[0] == by_id[1] == every


def test_the_as_of_date_is_asked_of_spark(made):
    """Above the cap the fit counts recency to the newest date in the whole source: the
    query for it, written for DuckDB, runs in Spark's dialect."""
    by_file, rows, _, master = made
    got = source_as_of(source_of(master, TABLE), by_file.con)
    dates = [c for c in ("created_at", "closed_at") if c in rows.columns]
    assert dates and got == max(pd.to_datetime(rows[c]).max() for c in dates).date()


# ------------------------------------------------------------------ Spark Connect, live

CONNECT_TABLE = "crm.leads"


@pytest.fixture(scope="module")
def connect(made, spark_connect: str) -> str:
    """The tests' Spark Connect server (``sc://127.0.0.1:PORT``), its catalog holding
    ``crm.leads``, the sample's rows written as a table of its warehouse by a Spark Connect
    session of the test's own (while the tests' local Spark runs in this process too)."""
    write_table(spark_connect, made[2])
    return spark_connect


def write_table(url: str, path: Path) -> None:
    """The rows of Parquet file ``path`` as the table :data:`CONNECT_TABLE` of the Spark
    Connect server at ``url``, written by a session of the test's own."""
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    session = ConnectSession.builder.remote(url).create()
    try:
        session.sql("CREATE DATABASE IF NOT EXISTS crm")
        session.read.parquet(str(path)).write.mode("overwrite").saveAsTable(CONNECT_TABLE)
    finally:
        session.stop()


def test_spark_connect_in_place_gives_the_file_paths_points_auc_and_grid(made, connect,
                                                                         spark, tmp_path):
    """A table on a live Spark Connect server, read while the process runs a local Spark
    too: the file path's points, AUC and count grid; the record keeps the URL."""
    by_file, _, _, _ = made
    db = tmp_path / "connect.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        report = wb.ingest(connect, table=CONNECT_TABLE, in_place=True)
        assert report.record.rows == report.record.rows_read == by_file.leads == wb.leads
        assert points(wb).equals(points(by_file))
        assert wb.weights.metrics["auc"] == by_file.weights.metrics["auc"]
        assert_same(wb.grid(), by_file.grid())
        record = record_of(wb.con)
        assert (record.kind, record.url, record.table, record.query) == (
            "spark", connect, CONNECT_TABLE, None)
        assert report.summary().startswith(
            f"Loaded in place from Spark at {connect} (table {CONNECT_TABLE}): 50,000 leads "
            "stay")
        assert "counted in the source" in report.summary()
    assert_no_lead_rows(db, by_file.leads)
    # The local Spark still runs classic, and the process is not switched to Spark Connect
    # (a command line started from it would be).
    assert "SPARK_CONNECT_MODE_ENABLED" not in os.environ
    assert spark.sql("SELECT count(*) AS n FROM sample_leads").collect()[0].n == 50_000


@pytest.fixture(scope="module")
def connect_token(made, spark_connect_token: str) -> str:
    """The tests' Spark Connect server that asks for :data:`CONNECT_TOKEN`
    (``sc://localhost:PORT/``, no token), its catalog holding ``crm.leads``."""
    write_table(f"{spark_connect_token};token={CONNECT_TOKEN}", made[2])
    return spark_connect_token


def test_spark_connect_with_a_token_reads_a_query_keeps_no_token_and_refits(
        made, connect_token, tmp_path, monkeypatch):
    """A query through a URL with the token a live server asks for (to localhost: PySpark's
    client sends a token without TLS there only): the file path's points, AUC and grid; the
    token in no byte of the store, the record or the summary. A new session without the
    token: the server refuses, said as such, nothing changed; with it in
    ``SPARK_CONNECT_AUTHENTICATE_TOKEN`` (as PySpark reads it) the refit reads the server
    again."""
    by_file, _, _, _ = made
    monkeypatch.delenv("SPARK_CONNECT_AUTHENTICATE_TOKEN", raising=False)
    given = f"{connect_token};token={CONNECT_TOKEN}"
    query = f"SELECT * FROM {CONNECT_TABLE}"
    db = tmp_path / "token.duckdb"

    def stored() -> dict[str, bytes]:
        return {f.name: f.read_bytes() for f in tmp_path.glob("token.duckdb*")}

    with Workbench(db, keep_backups=0) as wb:
        report = wb.ingest(given, query=query, in_place=True)
        assert points(wb).equals(points(by_file))
        assert wb.weights.metrics["auc"] == by_file.weights.metrics["auc"]
        assert_same(wb.grid(), by_file.grid())
        record = record_of(wb.con)
        assert (record.url, record.table, record.query) == (connect_token, None, query)
        assert report.summary().startswith(
            f"Loaded in place from Spark at {connect_token} (a query): 50,000 leads stay")
        assert CONNECT_TOKEN not in report.summary()
        assert CONNECT_TOKEN not in record.to_json()
    before = stored()
    assert before and not any(CONNECT_TOKEN.encode() in b for b in before.values())
    with Workbench(db, keep_backups=0) as wb, pytest.raises(InputError) as caught:
        wb.fit()
    message = caught.value.message
    assert f"Spark Connect at {connect_token} refused the connection" in message, message
    assert CONNECT_TOKEN not in message and "Traceback" not in message
    assert "SPARK_CONNECT_AUTHENTICATE_TOKEN" in caught.value.fix
    assert stored() == before
    monkeypatch.setenv("SPARK_CONNECT_AUTHENTICATE_TOKEN", CONNECT_TOKEN)
    with Workbench(db, keep_backups=0) as wb:
        first = wb.weights.id
        again = wb.fit()
        assert again.id != first and wb.leads == by_file.leads
        assert points(wb).equals(points(by_file))
        assert wb.weights.metrics["auc"] == by_file.weights.metrics["auc"]
        assert record_of(wb.con).url == connect_token
    assert not any(CONNECT_TOKEN.encode() in b for b in stored().values())

@pytest.fixture(scope="module")
def kept(made, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store loaded in place from Spark (capped, to be quick), for the bad inputs to
    leave unchanged."""
    _, _, _, master = made
    db = tmp_path_factory.mktemp("spark_kept") / "kept.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        wb.ingest(master, query="SELECT * FROM sample_leads LIMIT 3000", in_place=True)
    return db


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening() -> socket.socket:
    """A port on this machine that accepts connections and answers nothing."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    return listening


def refused(kept: Path, given: str, table: str | None, query: str | None, in_place: bool,
            listening: socket.socket | None, error: type[CalibrateError] = CalibrateError
            ) -> CalibrateError:
    """The error loading ``given`` into the store ``kept`` gives (closing ``listening``
    after), with the store's bytes unchanged and no JVM stack or token in the message."""
    before = kept.read_bytes()
    try:
        with Workbench(kept, keep_backups=0) as wb:
            with pytest.raises(error) as caught:
                wb.ingest(given, table=table, query=query, in_place=in_place)
    finally:
        if listening is not None:
            listening.close()
    assert kept.read_bytes() == before
    message = caught.value.message
    assert "Traceback" not in message and "\tat " not in message, message  # no JVM stack
    assert TOKEN not in message, message
    return caught.value


@pytest.mark.parametrize("case", ["no such table", "no outcome", "numbers as text",
                                  "no rows", "not in place", "no pyspark",
                                  "unreachable connect", "unreachable standalone",
                                  "another master", "no connect client"])
def test_bad_input_says_what_is_wrong_naming_spark_and_changes_nothing(
        made, kept, tmp_path, monkeypatch, case):
    _, _, _, master = made
    port = _closed_port()
    listening = None
    if case == "no connect client":  # grpcio is installed: hidden, as if it were not
        for module in ("grpc", "grpc_status"):
            monkeypatch.setitem(sys.modules, module, None)
        listening = _listening()  # a port that answers: the client is what is missing
        port = listening.getsockname()[1]
    connect = f"sc://127.0.0.1:{port}/;token={TOKEN}"
    given, table, query, in_place, expected = {
        "no such table": (master, "crm.leads", None, True,
                          f"The table crm.leads does not exist in Spark at {master}"),
        "no outcome": (master, None, "SELECT lead_id, seniority FROM no_outcome", True,
                       "outcome"),
        "numbers as text": (master, "text_rates", None, True,
                            f"Counting the grid in Spark at {master}"),
        "no rows": (master, None, "SELECT * FROM sample_leads WHERE 1 = 0", True,
                    f"The query in Spark at {master} gives no rows"),
        "not in place": (master, TABLE, None, False, "load in place only"),
        "no pyspark": (master, TABLE, None, True, "needs PySpark, which is not installed"),
        "unreachable connect": (connect, "crm.leads", None, True,
                                f"Spark cannot be reached at sc://127.0.0.1:{port}/"),
        "unreachable standalone": (f"spark://127.0.0.1:{port}", "crm.leads", None, True,
                                   f"Spark cannot be reached at spark://127.0.0.1:{port}"),
        "another master": ("local[3]", TABLE, None, True,
                           f"already runs Spark on {master}"),
        "no connect client": (connect, "crm.leads", None, True,
                              "needs Spark Connect's client, which is not installed"),
    }[case]
    if case == "no pyspark":
        for module in ("pyspark", "pyspark.sql"):
            monkeypatch.setitem(sys.modules, module, None)
    error = refused(kept, given, table, query, in_place, listening)
    message = error.message
    assert expected in message, message
    assert "Spark" in message
    in_app = error.shown_in(APP).message  # the app's words: no command-line flags
    assert "--in-place" not in in_app and "--table" not in in_app, in_app
    if case == "not in place":
        assert "on the Data page" in in_app


@pytest.mark.parametrize("case", ["no such table", "no outcome", "token without TLS",
                                  "not a connect server"])
def test_bad_input_on_spark_connect_says_what_is_wrong_and_changes_nothing(
        connect, kept, case):
    """The live server: a missing table, a query without the outcome column, a token to a
    host the client then speaks TLS to (the server has none), and a port that answers but
    is no Spark Connect server: an error naming the source, in seconds, the store
    unchanged."""
    port = connect.rsplit(":", 1)[1]
    listening = None
    if case == "not a connect server":
        listening = _listening()
        port = str(listening.getsockname()[1])
    given, table, query, expected = {
        "no such table": (connect, "crm.nope", None,
                          f"The table crm.nope does not exist in Spark at {connect}"),
        "no outcome": (connect, None, f"SELECT lead_id, seniority FROM {CONNECT_TABLE}",
                       "outcome"),
        "token without TLS": (f"sc://127.0.0.1:{port}/;token={TOKEN}", CONNECT_TABLE, None,
                              f"Spark Connect at sc://127.0.0.1:{port}/ did not answer over "
                              "TLS"),
        "not a connect server": (f"sc://127.0.0.1:{port}", CONNECT_TABLE, None,
                                 f"Spark Connect at sc://127.0.0.1:{port} did not answer"),
    }[case]
    message = refused(kept, given, table, query, True, listening, InputError).message
    assert expected in message, message
    assert f"127.0.0.1:{port}" in message, message


def test_the_command_line_loads_in_place_on_a_spark_of_its_own(made, tmp_path):
    """A new process: no Spark runs there, calibrate starts a local one (a JVM) and reads a
    Parquet file of 5,000 of the leads through Spark SQL. (A refit on a store's record, in
    a new Workbench session, is the capped test's.)"""
    _, rows, _, _ = made
    db = tmp_path / "cli.duckdb"
    parquet = to_parquet(rows.head(5_000), tmp_path / "part.parquet")
    query = f"SELECT * FROM parquet.`{parquet}`"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "calibrate.cli", *args, "--db", str(db)],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})

    done = run("ingest", "local[1]", "--query", query, "--in-place")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Loaded in place from Spark at local[1] (a query): "
                                  "5,000 leads stay"), done.stdout
    assert "counted in the source" in done.stdout
    assert_no_lead_rows(db, 5_000)
    done = run("drift")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "needs the lead rows, which stay in Spark at local[1] (a query)" in done.stderr
    done = run("ingest", "local[1]", "--table", "leads")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "load in place only" in done.stderr and "--in-place" in done.stderr


def test_the_data_page_loads_from_spark_in_place(made, tmp_path, monkeypatch):
    """The Spark section of the Data page: the tests' master and a table; the summary names
    Spark; a table that does not exist says so in the app's words and changes nothing."""
    from calibrate.data import store

    from apptest import assert_clean, page

    by_file, _, _, master = made
    db = tmp_path / "app.duckdb"
    monkeypatch.setenv(store.ENV_DB, str(db))
    at = page("data")
    assert at.button(key="load_spark").disabled  # no master typed yet
    wal = db.with_suffix(".duckdb.wal")

    def stored() -> tuple[bytes, bytes | None]:
        return db.read_bytes(), wal.read_bytes() if wal.exists() else None

    before = stored()
    at.text_input(key="spark_master").input(master).run()
    at.text_input(key="spark_table").input("no_such_leads").run()
    at.button(key="load_spark").click().run()
    assert_clean(at)
    shown = at.error[0].value
    assert "does not exist in Spark at" in shown and "no_such_leads" in shown
    assert "--" not in shown and "calibrate " not in shown
    assert stored() == before
    assert not at.success
    at.text_input(key="spark_table").input(TABLE).run()
    at.button(key="load_spark").click().run()
    assert_clean(at)
    assert not at.error
    assert at.success[0].value.replace("\\", "").startswith(  # Markdown's escapes as shown
        f"Loaded in place from Spark at {master} (table {TABLE}): 50,000 leads stay")
    grid = by_file.grid()
    assert (f"Count grid: {len(grid.frame):,} cells over {grid.leads:,} leads, counted in "
            "the source") in " ".join(c.value for c in at.caption)

"""Leads read from a real PostgreSQL server (the session's, on a private socket), and from a
folder of Parquet files: the same store as the file, clear messages with no password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from psycopg import sql

from calibrate import Workbench
from calibrate.data.database import DatabaseSource, redact
from calibrate.errors import CalibrateError, InputError

from postgres import Server, copy_from_duckdb

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "leads.csv"
SECRET = "s3cret-Pw"


@pytest.fixture(scope="module")
def pg(postgres_server: Server) -> Server:
    """A database holding the sample's leads as typed columns (table ``crm_leads``, and
    ``"Sales CRM"."Leads 2024"`` for quoting), and a user who signs in with a password."""
    name = postgres_server.create_database("calibrate_source")
    duck = duckdb.connect()
    duck.execute(f"CREATE VIEW raw AS SELECT * FROM read_csv('{SAMPLE}')")
    with postgres_server.connect(name, autocommit=True) as con:
        copy_from_duckdb(con, "crm_leads", duck, "raw")
        con.execute('CREATE SCHEMA "Sales CRM"')
        con.execute('CREATE TABLE "Sales CRM"."Leads 2024" AS SELECT * FROM crm_leads '
                    "WHERE sales_team = 'Enterprise'")
        con.execute("CREATE TABLE no_outcome AS SELECT lead_id, seniority, industry FROM crm_leads")
        con.execute(sql.SQL("CREATE ROLE analyst LOGIN PASSWORD {}").format(sql.Literal(SECRET)))
        con.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst")
    postgres_server.sign_in_with_password("analyst")
    return postgres_server


def url(server: Server, user: str = "postgres", password: str | None = None) -> str:
    who = f"{user}:{password}" if password else user
    return (f"postgresql://{who}@/calibrate_source"
            f"?host={server.socket_dir}&port={server.port}")


@pytest.fixture(scope="module")
def from_csv(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    wb = Workbench(tmp_path_factory.mktemp("csv") / "csv.duckdb", keep_backups=0)
    wb.ingest(SAMPLE)
    return wb


def _leads(wb: Workbench) -> list[tuple]:
    return wb.con.execute("SELECT outcome, count(*) FROM leads GROUP BY 1 ORDER BY 1").fetchall()


def test_a_table_loads_the_same_leads_as_the_export(pg, from_csv, tmp_path):
    with Workbench(tmp_path / "pg.duckdb", keep_backups=0) as wb:
        report = wb.ingest(url(pg), table="crm_leads")
        assert report.rows_loaded == from_csv.leads == 50_000
        assert _leads(wb) == _leads(from_csv)
        roles = {c.source_name: c.role for c in wb.columns()}
        assert roles == {c.source_name: c.role for c in from_csv.columns()}
        assert report.summary().startswith(
            f"Loaded 50,000 leads from {url(pg)} (table crm_leads) (postgresql)")
        assert wb.last_file == f"{url(pg)} (table crm_leads)"
        # The same fit, point for point, as from the file.
        mine = wb.fit().table[["attribute", "level", "points"]]
        theirs = from_csv.fit().table[["attribute", "level", "points"]]
        assert mine.reset_index(drop=True).equals(theirs.reset_index(drop=True))


def test_a_quoted_schema_and_table_name_and_a_query(pg, tmp_path):
    with Workbench(tmp_path / "pg.duckdb", keep_backups=0) as wb:
        report = wb.ingest(url(pg), table='"Sales CRM"."Leads 2024"')
        assert report.rows_loaded > 1000
        assert wb.con.execute("SELECT DISTINCT segment FROM leads").fetchall() == [
            ("Enterprise",)]
        report = wb.ingest(url(pg), query="SELECT * FROM crm_leads ORDER BY lead_id LIMIT 3000;")
        assert report.rows_read == 3000 and "(a query)" in report.file


def test_the_password_comes_from_the_url_or_pgpassword_and_is_never_kept(pg, tmp_path,
                                                                         monkeypatch):
    db = tmp_path / "pg.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        report = wb.ingest(url(pg, "analyst", SECRET), table="crm_leads")
        assert SECRET not in report.summary() and "analyst@" in report.file
    monkeypatch.setenv("PGPASSWORD", SECRET)
    with Workbench(db, keep_backups=0) as wb:
        assert wb.ingest(url(pg, "analyst"), table="crm_leads").rows_loaded == 50_000
    assert SECRET.encode() not in db.read_bytes()


@pytest.mark.parametrize("case", ["wrong password", "unreachable", "no such database",
                                  "no such table", "no outcome", "bad query",
                                  "fails on a late row"])
def test_bad_sources_say_what_is_wrong_name_the_source_and_change_nothing(pg, tmp_path, case,
                                                                          from_csv):
    where = {
        "wrong password": (url(pg, "analyst", "not-" + SECRET), "crm_leads", None),
        "unreachable": (f"postgresql://analyst:{SECRET}@/calibrate_source?host="
                        f"{tmp_path}/nowhere&port=5432", "crm_leads", None),
        "no such database": (url(pg).replace("/calibrate_source", "/crm"), "crm_leads", None),
        "no such table": (url(pg, "analyst", SECRET), "crm.leads", None),
        "no outcome": (url(pg), "no_outcome", None),
        "bad query": (url(pg, "analyst", SECRET), None, "SELEC * FROM crm_leads"),
        # An error met while the rows stream in, after the first ones were sent.
        "fails on a late row": (url(pg, "analyst", SECRET), None,
                                "SELECT *, 1 / (50000 - row_number() OVER ()) AS x "
                                "FROM crm_leads"),
    }[case]
    expected = {
        "wrong password": "refused the sign-in",
        "unreachable": "cannot be reached",
        "no such database": "The database 'crm' does not exist",
        "no such table": "The table crm.leads does not exist",
        "no outcome": "outcome",
        "bad query": "The query failed",
        "fails on a late row": "The query failed",
    }[case]
    db = tmp_path / "kept.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        wb.ingest(SAMPLE)
        before = _leads(wb)
        with pytest.raises(CalibrateError) as caught:
            wb.ingest(where[0], table=where[1], query=where[2])
        assert _leads(wb) == before
    message = caught.value.message
    assert expected in message, message
    assert "postgresql://" in message and "Traceback" not in message
    assert SECRET not in message and "not-" + SECRET not in message


def test_the_command_line_reads_a_table(pg, tmp_path):
    db = tmp_path / "cli.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "calibrate.cli", "ingest", url(pg, "analyst", SECRET),
         "--table", "crm_leads", "--db", str(db), "--replace"],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Loaded 50,000 leads from postgresql://analyst@/calibrate_source" in done.stdout
    assert SECRET not in done.stdout + done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "calibrate.cli", "ingest", url(pg), "--db", str(db)],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("error: Say what to read from postgresql://postgres@/")
    assert "--table schema.table" in done.stderr


def test_a_folder_of_parquet_files_loads_as_one_export(tmp_path, from_csv):
    folder = tmp_path / "leads"
    for part in ("2024", "2025-2026"):
        (folder / f"part={part}").mkdir(parents=True)
    duck = duckdb.connect()
    duck.execute(f"CREATE VIEW raw AS SELECT * FROM read_csv('{SAMPLE}', all_varchar = true)")
    duck.execute(f"COPY (SELECT * FROM raw WHERE created_at < '2025') TO "
                 f"'{folder}/part=2024/a.parquet'")
    duck.execute(f"COPY (SELECT * FROM raw WHERE created_at >= '2025') TO "
                 f"'{folder}/part=2025-2026/b.parquet'")
    with Workbench(tmp_path / "pq.duckdb", keep_backups=0) as wb:
        wb.ingest(folder)
        assert _leads(wb) == _leads(from_csv)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="This folder holds no Parquet files"):
        Workbench(tmp_path / "e.duckdb", keep_backups=0).ingest(tmp_path / "empty")


@pytest.mark.parametrize(("given", "shown"), [
    ("postgresql://ann:pw@db.example.com:5433/crm", "postgresql://ann@db.example.com:5433/crm"),
    ("postgres://ann@h/crm?password=pw&sslmode=require", "postgres://ann@h/crm?sslmode=require"),
    ("postgresql:///crm?host=/run/pg", "postgresql:///crm?host=/run/pg"),
])
def test_redact_drops_the_password_only(given, shown):
    assert redact(given) == shown


def test_a_source_needs_a_table_or_a_query_not_both():
    with pytest.raises(InputError, match="a table or a query, one of them"):
        DatabaseSource("postgresql://h/db", table="t", query="select 1")
    assert DatabaseSource("postgresql://h/db", table='crm."Leads"').sql() == (
        'SELECT * FROM crm."Leads"')


def _data_page(db: Path, monkeypatch):
    from calibrate.data import store

    from apptest import page

    monkeypatch.setenv(store.ENV_DB, str(db))
    return page("data")


def test_the_data_page_loads_a_table_with_a_typed_password(pg, tmp_path, monkeypatch):
    from apptest import assert_clean

    at = _data_page(tmp_path / "app.duckdb", monkeypatch)
    at.text_input(key="db_url").input(url(pg, "analyst")).run()
    at.text_input(key="db_password").input(SECRET).run()
    at.text_input(key="db_table").input("crm_leads").run()
    at.button(key="load_db").click().run()
    assert_clean(at)
    assert "Loaded 50,000 leads from postgresql://analyst@/calibrate_source" in (
        at.success[0].value)
    assert SECRET.encode() not in (tmp_path / "app.duckdb").read_bytes()


def test_the_data_page_says_why_a_database_load_failed_in_its_own_words(pg, tmp_path,
                                                                        monkeypatch):
    at = _data_page(tmp_path / "app.duckdb", monkeypatch)
    at.text_input(key="db_url").input(url(pg, "analyst")).run()
    at.text_input(key="db_password").input("not-" + SECRET).run()
    at.text_input(key="db_table").input("crm_leads").run()
    at.button(key="load_db").click().run()
    shown = " ".join(e.value for e in at.error)
    assert "refused the sign-in" in shown and "postgresql://analyst@/calibrate_source" in shown
    assert SECRET not in shown and "PGPASSWORD" not in shown  # the app's words, not the CLI's
    assert not at.exception
    at.text_input(key="db_password").input(SECRET).run()
    at.radio(key="db_how").set_value("A query").run()
    at.button(key="load_db").click().run()
    assert "Fill in the table name, or the query." in " ".join(e.value for e in at.error)

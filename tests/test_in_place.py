"""Leads loaded in place from a real PostgreSQL server (issue 21): the same points, AUC and
count grid as the file path, no lead rows in the DuckDB file, a sample read above the cap,
the workshop working on it, clear messages for what needs the rows and for bad sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from psycopg import sql
from test_grid_sql import assert_same, warehouse

from calibrate import Workbench
from calibrate.errors import CalibrateError, InputError
from calibrate.in_place import InPlaceReport, record_of

from conftest import BANK_CSV, SAMPLE_CSV
from postgres import Server, copy_from_duckdb

SECRET = "in-Pl4ce-pw"
USER = "in_place_reader"


@pytest.fixture(scope="module")
def pg(postgres_server: Server) -> Server:
    """A database (its tables come with :func:`pairs`) and a user who signs in with a
    password."""
    name = postgres_server.create_database("in_place_source")
    with postgres_server.connect(name, autocommit=True) as con:
        con.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(USER), sql.Literal(SECRET)))
        con.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON "
                            "TABLES TO {}").format(sql.Identifier(USER)))
    postgres_server.sign_in_with_password(USER)
    return postgres_server


def to_postgres(server: Server, table: str, rows: pd.DataFrame) -> None:
    """``rows`` as table ``table`` of the source database (typed as DuckDB reads them)."""
    duck = duckdb.connect()
    duck.register("_rows", rows)
    duck.execute("CREATE TABLE rows AS SELECT * FROM _rows")
    with server.connect("in_place_source", autocommit=True) as con:
        copy_from_duckdb(con, table, duck, "rows")
    duck.close()


def url(server: Server, user: str = "postgres", password: str | None = None) -> str:
    who = f"{user}:{password}" if password else user
    return (f"postgresql://{who}@/in_place_source"
            f"?host={server.socket_dir}&port={server.port}")


def points(wb: Workbench) -> pd.DataFrame:
    return wb.points[["attribute", "level", "points"]].reset_index(drop=True)


def tables(db: Path) -> dict[str, int]:
    """Every table of the file with its rows, read with plain DuckDB."""
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main'").fetchall()]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def assert_no_lead_rows(db: Path, source_rows: int) -> None:
    """No ``leads`` table, and no table but the grid's cells with anywhere near a row per
    lead (the grid's cells are counts, not leads)."""
    found = tables(db)
    assert "leads" not in found
    assert all(n < source_rows / 10 for t, n in found.items() if t != "grid_cells"), found


@pytest.fixture(scope="module")
def pairs(pg: Server, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[str, tuple[Workbench, Workbench, InPlaceReport]]]:
    """For the sample and the bank export: the file path's workbench (loaded, fitted),
    the in-place one and its report."""
    folder = tmp_path_factory.mktemp("in_place")
    out = {}
    for name, path, table in (("sample", SAMPLE_CSV, "sample_leads"),
                              ("bank", BANK_CSV, "bank_leads")):
        by_file = Workbench(folder / f"{name}-file.duckdb", keep_backups=0)
        by_file.ingest(path)
        by_file.fit()
        # The file's rows as the count grid query asks a table to hold them (clean
        # numbers and dates, placeholders empty, one row per lead), as test_grid_sql does.
        raw = pd.read_csv(path, dtype=str, keep_default_na=False,
                          sep=";" if path == BANK_CSV else ",")
        if "lead_id" in raw.columns:
            raw = raw.drop_duplicates("lead_id", keep="last")
        to_postgres(pg, table, warehouse(raw, by_file.columns()))
        if name == "sample":
            to_postgres(pg, "no_outcome", raw[["lead_id", "seniority"]])
        in_place = Workbench(folder / f"{name}-in-place.duckdb", keep_backups=0)
        report = in_place.ingest(url(pg), table=table, in_place=True)
        out[name] = (by_file, in_place, report)
    yield out
    for by_file, in_place, _ in out.values():
        by_file.close()
        in_place.close()


@pytest.mark.parametrize("name", ["sample", "bank"])
def test_in_place_gives_the_file_paths_points_auc_and_grid_without_lead_rows(pairs, name,
                                                                             tmp_path):
    by_file, in_place, report = pairs[name]
    assert isinstance(report, InPlaceReport)
    assert report.record.rows == report.record.rows_read == by_file.leads == in_place.leads
    assert points(in_place).equals(points(by_file))
    assert in_place.weights.metrics["auc"] == by_file.weights.metrics["auc"]
    assert in_place.grid().leads == by_file.grid().leads
    assert_same(in_place.grid(), by_file.grid())
    assert [c.source_name for c in in_place.columns()] == [
        c.source_name for c in by_file.columns()]
    # The file as another process reads it (a copy: this one holds it open).
    in_place.con.execute("CHECKPOINT")
    copy = tmp_path / "copy.duckdb"
    shutil.copy(in_place.db, copy)
    assert_no_lead_rows(copy, in_place.leads)
    with duckdb.connect(str(copy), read_only=True) as con:
        kept = con.execute("SELECT sum(leads) FROM grid_cells").fetchone()[0]
    assert kept == in_place.leads


def test_above_the_cap_a_sample_is_read_and_the_grid_counts_every_row(pg, pairs, tmp_path):
    with Workbench(tmp_path / "capped.duckdb", keep_backups=0) as wb:
        report = wb.ingest(url(pg), table="sample_leads", in_place=True, in_place_cap=5_000)
        assert report.record.rows == 50_000 and report.record.rows_read == 5_000
        assert wb.leads == 50_000 and wb.grid().leads == 50_000
        assert report.weights.data["rows_read"] == 5_000
        first = points(wb)
        assert ("sample picked in the source (md5 of each row's \"lead_id\", at most "
                "5,000)") in report.summary()
        assert record_of(wb.con).sample_key == "lead_id"
        # The sample is the same each time: a refit reads the same rows, same points.
        again = wb.fit()
        assert again.id != report.weights.id
        assert points(wb).equals(first)
        assert record_of(wb.con).rows_read == 5_000
    assert_no_lead_rows(tmp_path / "capped.duckdb", 50_000)


def test_the_workshop_works_in_place_and_row_steps_say_why_not(pg, pairs, tmp_path,
                                                               monkeypatch):
    db = tmp_path / "workshop.duckdb"
    source = url(pg, USER, SECRET)
    with Workbench(db, keep_backups=0) as wb:
        wb.ingest(source, query="SELECT * FROM sample_leads WHERE lead_id IS NOT NULL",
                  in_place=True)
        f = wb.figures(min_profile=50, min_behavior=40)
        assert 0 < f.mqls <= wb.leads == 50_000
        wb.save_scenario("Sales", min_profile=50, min_behavior=40)
        assert wb.agree("Sales", by="VP Sales").kind == "agreement"
        assert wb.export("rules").startswith("score,field,operator,value,points")
        assert "FROM crm.leads" in wb.score_sql("postgres", source="crm.leads")
        assert wb.export("markdown").startswith("# What a sales-ready lead is")
        scored = wb.score(SAMPLE_CSV)
        assert len(scored) == 50_000 and scored["mql"].sum() > 0
        # Edited points: their grid is counted in the source again (this session's URL).
        row = wb.points.iloc[0]
        wb.edit_points({(row.attribute, row.level): int(row.points) + 3})
        assert wb.grid().leads == 50_000
        for step in (wb.drift, wb.quality, wb.decay, wb.refresh, wb.leak_warnings,
                     wb.rule_hits, wb.evaluate, wb.backtest, wb.score):
            with pytest.raises(CalibrateError) as caught:
                step()
            message = caught.value.message
            assert "needs the lead rows, which stay in postgresql://" in message, message
            assert "(loaded in place)" in message and "without in place" in message
            assert SECRET not in message
    assert SECRET.encode() not in db.read_bytes()
    # A new session: the kept grid needs no source; a refit signs in from PGPASSWORD.
    with Workbench(db, keep_backups=0) as wb:
        assert wb.figures(min_profile=50, min_behavior=40).leads > 0
        with pytest.raises(InputError) as caught:
            wb.fit()
        assert "refused the sign-in" in caught.value.message
        monkeypatch.setenv("PGPASSWORD", SECRET)
        assert wb.fit().id is not None and wb.leads == 50_000


@pytest.mark.parametrize("case", ["wrong password", "no such table", "no outcome",
                                  "unreachable", "numbers as text"])
def test_bad_sources_say_what_is_wrong_without_the_password_and_change_nothing(
        pg, pairs, tmp_path, case):
    where = {
        "wrong password": (url(pg, USER, "not-" + SECRET), "sample_leads", None),
        "no such table": (url(pg, USER, SECRET), "crm.leads", None),
        "no outcome": (url(pg, USER, SECRET), None, "SELECT lead_id, seniority FROM "
                                                    "no_outcome"),
        "unreachable": (f"postgresql://{USER}:{SECRET}@/in_place_source?host="
                        f"{tmp_path}/nowhere&port=5432", "sample_leads", None),
        # The load cleans "29%"; the count grid query, run as it is, cannot.
        "numbers as text": (url(pg, USER, SECRET), None, (
            "SELECT lead_id, created_at, closed_at, status, seniority, industry, "
            "CAST(email_open_rate AS text) || '%' AS email_open_rate FROM sample_leads "
            "ORDER BY lead_id LIMIT 4000")),
    }[case]
    expected = {"wrong password": "refused the sign-in",
                "no such table": "The table crm.leads does not exist",
                "no outcome": "outcome", "unreachable": "cannot be reached",
                "numbers as text": "Counting the grid in postgresql://"}[case]
    db = tmp_path / "kept.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        wb.ingest(url(pg), table="bank_leads", in_place=True)
    before = db.read_bytes()
    with Workbench(db, keep_backups=0) as wb:
        with pytest.raises(CalibrateError) as caught:
            wb.ingest(where[0], table=where[1], query=where[2], in_place=True)
    assert db.read_bytes() == before
    message = caught.value.message
    assert expected in message, message
    assert "postgresql://" in message and SECRET not in message


def test_the_command_line_loads_in_place_and_keeps_the_grid(pg, pairs, tmp_path):
    db = tmp_path / "cli.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "calibrate.cli", "ingest", url(pg, USER, SECRET),
         "--table", "sample_leads", "--in-place", "--db", str(db)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert done.stdout.startswith(f"Loaded in place from postgresql://{USER}@/in_place_source")
    assert "50,000 leads stay in the source" in done.stdout
    assert "50,000 rows read for the fit (all of them)" in done.stdout
    assert "Count grid:" in done.stdout and "counted in the source" in done.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT sum(leads) FROM grid_cells").fetchone()[0] == 50_000
    assert_no_lead_rows(db, 50_000)
    assert SECRET.encode() not in db.read_bytes()

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "calibrate.cli", *args, "--db", str(db)],
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, **env})

    done = run("sql", "--what", "score", "--dialect", "postgres", "--table", "crm.leads")
    assert done.returncode == 0 and "FROM crm.leads" in done.stdout, done.stderr
    done = run("drift")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "needs the lead rows" in done.stderr and SECRET not in done.stderr
    done = run("fit", PGPASSWORD=SECRET)  # reads the source again, signing in from the env
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Fit on ")


def test_the_data_page_loads_in_place_and_says_what_stays_where(pg, pairs, tmp_path,
                                                               monkeypatch):
    from calibrate.data import store

    from apptest import assert_clean, page

    db = tmp_path / "app.duckdb"
    monkeypatch.setenv(store.ENV_DB, str(db))
    at = page("data")
    at.text_input(key="db_url").input(url(pg, USER)).run()
    at.text_input(key="db_password").input(SECRET).run()
    at.text_input(key="db_table").input("sample_leads").run()
    at.checkbox(key="db_in_place").check().run()
    at.button(key="load_db").click().run()
    assert_clean(at)
    assert at.success[0].value.startswith(
        f"Loaded in place from postgresql://{USER}@/in_place_source")
    assert "no lead rows are stored" in at.success[0].value
    assert "50,000 rows read for the fit (all of them)" in " ".join(c.value for c in at.caption)
    # What needs the rows says so in the app's words, not the command line's.
    shown = " ".join(i.value for i in at.info)
    assert "stay in postgresql://" in shown and "on the Data page" in shown
    assert "--table" not in shown and SECRET not in shown
    assert SECRET.encode() not in db.read_bytes()  # (no lead rows: the tests above)


@pytest.mark.parametrize("cap", [1, 100, 5_000, 49_999])
def test_the_sample_is_the_rows_with_the_smallest_md5_whatever_the_bound(pg, pairs, cap):
    """The bound that spares sorting the whole table loses none of the ``cap`` rows with
    the smallest md5 of their text: the same rows as sorting them all (read with psycopg)."""
    from calibrate.in_place import source_of

    source = source_of(url(pg), "sample_leads", None)
    picked = source.sample_sql(50_000, cap)
    assert (" WHERE " in picked) == (cap < 40_000)  # near all the rows: no bound
    with pg.connect("in_place_source") as con:
        got = con.execute(f"SELECT lead_id FROM ({picked}) AS p").fetchall()
        every = con.execute("SELECT lead_id FROM sample_leads AS s ORDER BY "
                            "md5(CAST(s AS TEXT)) COLLATE \"C\" LIMIT %s", [cap]).fetchall()
    assert got == every and len(got) == cap
    # By the lead id (what a load picks by when the source has one: the same as sorting
    # every row by the md5 of its lead id).
    by_id = source.sample_sql(50_000, cap, "lead_id")
    with pg.connect("in_place_source") as con:
        got = con.execute(f"SELECT lead_id FROM ({by_id}) AS p").fetchall()
        every = con.execute("SELECT lead_id FROM sample_leads ORDER BY "
                            "md5(lead_id::text) COLLATE \"C\" LIMIT %s", [cap]).fetchall()
    assert got == every and len(got) == cap

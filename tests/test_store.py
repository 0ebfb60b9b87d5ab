"""The store: where the file lives, its schema, one writer, clear messages when it cannot open."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calibrate import sql
from calibrate.data import store
from calibrate.errors import DatabaseError, DatabaseInUseError


def test_connect_creates_the_file_and_schema(db_path):
    con = store.connect(db_path)
    assert db_path.exists()
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"meta", "columns", "ingests", "fits", "scenarios"} <= tables
    assert store.data_version(con) == 0 and store.lead_count(con) == 0
    con.close()
    again = store.connect(db_path)  # reopening keeps the schema, no migration needed
    assert again.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(store.SCHEMA_VERSION),)
    again.close()


def test_path_comes_from_argument_then_environment_then_default(monkeypatch, tmp_path):
    monkeypatch.delenv(store.ENV_DB, raising=False)
    assert store.resolve_db() == store.DEFAULT_DB
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "env.duckdb"))
    assert store.resolve_db() == tmp_path / "env.duckdb"
    assert store.resolve_db(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"


def test_a_newer_database_is_refused_clearly(db_path):
    con = store.connect(db_path)
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(DatabaseError, match="newer calibrate") as err:
        store.connect(db_path)
    assert str(db_path) in str(err.value) and "Upgrade" in err.value.fix


def test_a_corrupt_file_is_reported_not_crashed(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a database" * 1000)
    with pytest.raises(DatabaseError) as err:
        store.connect(bad)
    assert str(bad) in str(err.value) and "restore" in err.value.fix


def test_a_file_held_by_another_process_is_in_use(db_path):
    store.connect(db_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
         " time.sleep(30)", str(db_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseInUseError, match="in use by another process") as err:
            store.connect(db_path)
        assert "--db" in err.value.fix
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    store.connect(db_path).close()  # free again once the other process is gone


def test_transaction_rolls_back_everything_on_error(con):
    with pytest.raises(RuntimeError):
        with store.transaction(con) as tx:
            tx.execute("INSERT INTO meta VALUES ('x', 'y')")
            raise RuntimeError("boom")
    assert con.execute("SELECT count(*) FROM meta WHERE key = 'x'").fetchone() == (0,)


def test_quote_makes_any_name_an_identifier(con):
    name = 'a"; DROP TABLE meta; --'
    con.execute(f"CREATE TABLE t ({sql.quote(name)} INTEGER)")
    assert con.execute("SELECT column_name FROM information_schema.columns "
                       "WHERE table_name = 't'").fetchone() == (name,)
    assert store.table_exists(con, "meta")


def test_an_older_database_is_copied_aside_before_migrating(db_path, monkeypatch):
    con = store.connect(db_path)
    con.execute("CREATE TABLE leads AS SELECT 1 AS lead_id")
    con.close()
    old = store.SCHEMA_VERSION
    monkeypatch.setattr(store, "SCHEMA_VERSION", old + 1)
    con = store.connect(db_path)
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(store.SCHEMA_VERSION),)
    con.close()
    copies = list((db_path.parent / "backups").glob(f"*-schema{old}-*.duckdb"))
    assert len(copies) == 1
    old = store.duckdb.connect(str(copies[0]))
    assert old.execute("SELECT count(*) FROM leads").fetchone() == (1,)
    old.close()


def test_last_load_names_the_latest_file_not_a_role_edit(con, write_csv):
    from calibrate.data.ingest import ingest
    from calibrate.data.quality import set_roles

    assert store.last_load(con) is None
    first = write_csv("id,outcome,visits,industry\nA,won,1,x\nB,lost,2,y\n", "first.csv")
    second = write_csv("id,outcome,visits,industry\nC,won,3,x\n", "second.csv")
    ingest(con, first)
    ingest(con, second)
    set_roles(con, {"industry": "ignore"})
    file, loaded_at, report = store.last_load(con)
    assert file == str(second) and loaded_at is not None and report is not None


def test_rows_staged_by_an_ingest_cut_off_are_dropped_on_the_next_open(db_path, write_csv):
    from calibrate.data.ingest import ingest

    con = store.connect(db_path)
    ingest(con, write_csv("id,outcome,visits\nA,won,1\nB,lost,2\n"))
    # An ingest killed between staging its rows and swapping them in leaves this behind.
    con.execute(f"CREATE TABLE {store.STAGING} AS SELECT * FROM leads")
    con.close()
    con = store.connect(db_path)
    assert not store.table_exists(con, store.STAGING)
    assert con.execute("SELECT count(*) FROM leads").fetchone() == (2,)
    con.close()


def as_schema_1(path) -> None:
    """Make a database what calibrate wrote before schema 2: no kept count grids."""
    con = store.connect(path)
    con.execute("DROP TABLE grid_cells")
    con.execute("DROP TABLE grids")
    con.execute("DROP SEQUENCE grid_id_seq")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()


def test_a_schema_1_database_still_opens_and_is_upgraded_when_written(db_path, write_csv):
    import hashlib

    from calibrate.data.ingest import ingest
    from calibrate.decide.grid import GridKey, stored_grid

    con = store.connect(db_path)
    ingest(con, write_csv("id,outcome,visits\nA,won,1\nB,lost,2\n"))
    con.close()
    as_schema_1(db_path)
    digest = hashlib.sha256(db_path.read_bytes()).hexdigest()

    reader = store.connect(db_path, read_only=True)  # read as it is: not upgraded
    assert store.lead_count(reader) == 2 and not store.table_exists(reader, "grids")
    assert stored_grid(reader, GridKey(1, 1, "x")) is None  # no kept grids: built instead
    reader.close()
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == digest

    con = store.connect(db_path)  # written: upgraded, the old file copied aside first
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(store.SCHEMA_VERSION),)
    assert store.table_exists(con, "grids") and store.table_exists(con, "grid_cells")
    assert store.lead_count(con) == 2 and store.data_version(con) == 1
    con.close()
    assert len(list((db_path.parent / "backups").glob("*-schema1-*.duckdb"))) == 1


def test_a_schema_0_database_is_still_refused_read_only(db_path):
    con = store.connect(db_path)
    con.execute("DELETE FROM meta WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(DatabaseError, match="older calibrate"):
        store.connect(db_path, read_only=True)


def test_writable_file_is_none_in_memory_and_read_only(db_path):
    con = store.connect(db_path)
    assert store.writable_file(con) == db_path.resolve() or \
        store.writable_file(con) == db_path
    con.close()
    reader = store.connect(db_path, read_only=True)
    assert store.writable_file(reader) is None
    reader.close()
    memory = store.connect_memory()
    assert store.writable_file(memory) is None
    memory.close()


def test_the_figures_basis_moves_on_with_new_weights_and_new_data(sample_db: Path,
                                                                  tmp_path: Path):
    """What cached figures (a room's, the backtest's) are keyed on: a refit without new data
    moves the weights' id on (the figures are computed again at the next read), a load the
    data's."""
    from calibrate.data.ingest import ingest
    from calibrate.workbench import Workbench

    from conftest import SAMPLE_CSV

    with Workbench(sample_db, keep_backups=0) as wb:
        version, weights_id = store.figures_basis(wb.con)
        assert (version, weights_id) == (wb.data_version, wb.weights.id)
        refit = wb.fit(exclude_no_decision=True)
        assert store.figures_basis(wb.con) == (version, refit.id) and refit.id != weights_id
        few = tmp_path / "few.csv"
        with open(SAMPLE_CSV, encoding="utf-8") as src:
            few.write_text("".join(itertools.islice(src, 2_001)), encoding="utf-8")
        ingest(wb.con, few, replace=True)
        assert store.figures_basis(wb.con) == (wb.data_version, None)  # not fitted yet
        assert wb.data_version > version
        fitted = wb.weights  # the first read of the new data fits it
        assert store.figures_basis(wb.con) == (wb.data_version, fitted.id)
    empty = store.connect_memory()
    try:
        assert store.figures_basis(empty) == (0, None)
    finally:
        empty.close()

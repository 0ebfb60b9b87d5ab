"""Delta Lake and Apache Iceberg table folders loaded in place (issue 21): the files of the
table's current version, named by its own log or metadata, read where they are by DuckDB.

Each table is written by the format's own library (deltalake, pyiceberg) with earlier
versions' files left in the folder. In place gives the same points, AUC and count grid as
loading the same folder without in place (its current version copied into the store), the
record names the version, a refit reads that version again after a newer one is written
and says so when its files are vacuumed; tables whose files are not their rows are
refused, the store left as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from test_grid_sql import assert_same
from test_in_place import assert_no_lead_rows, points
from test_in_place_parquet import typed
from test_table_formats import (
    add_delete_file,
    delete_rows,
    every_parquet_row,
    iceberg_table,
    lead_rows,
    table_path,
)

from calibrate import Workbench
from calibrate.data.parquet_source import open_parquet
from calibrate.errors import InputError
from calibrate.in_place import InPlaceReport, record_of

from conftest import SAMPLE_CSV


@pytest.fixture(scope="module")
def leads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pa.Table]:
    """The sample's leads typed as in place needs them (clean numbers and dates), as Arrow
    (timestamps in microseconds, as both formats store them)."""
    folder = tmp_path_factory.mktemp("table_leads")
    with Workbench(folder / "file.duckdb", keep_backups=0) as wb:
        wb.ingest(SAMPLE_CSV)
        rows = typed(SAMPLE_CSV, wb)
    duck = duckdb.connect()
    duck.register("_rows", rows)
    yield duck.sql("SELECT * FROM _rows").to_arrow_table()
    duck.close()


def delta_folder(root: Path, rows: pa.Table, partition_by: list[str] | None = None) -> Path:
    """``rows`` as a Delta table in three versions: two appends, then a delete that rewrites
    files (the earlier files stay in the folder)."""
    from deltalake import DeltaTable, write_deltalake

    folder = root / ("partitioned" if partition_by else "delta")
    half = rows.num_rows // 2
    write_deltalake(folder, rows.slice(0, half), partition_by=partition_by)
    write_deltalake(folder, rows.slice(half), mode="append", partition_by=partition_by)
    DeltaTable(folder).delete("lead_id < 'L0000100'")
    return folder


def iceberg_folder(root: Path, rows: pa.Table) -> Path:
    """``rows`` as an Iceberg table: two appends, then a delete that rewrites data files."""
    half = rows.num_rows // 2
    _, table = iceberg_table(root, rows.slice(0, half))
    table.append(rows.slice(half))
    table.delete("lead_id < 'L0000100'")
    return table_path(table)


def current_rows(folder: Path) -> int:
    """The rows of the table's current version, as its own library reads them."""
    from deltalake import DeltaTable
    from pyiceberg.table import StaticTable

    from calibrate.data.table_formats import newest_metadata

    if (folder / "_delta_log").is_dir():
        return DeltaTable(folder).to_pyarrow_table().num_rows
    return StaticTable.from_metadata(str(newest_metadata(folder))).scan().to_arrow().num_rows


@pytest.mark.parametrize("kind", ["delta", "partitioned", "iceberg"])
def test_in_place_gives_the_same_points_auc_and_grid_as_the_table_loaded(leads, tmp_path,
                                                                         kind):
    folder = {"delta": lambda: delta_folder(tmp_path, leads),
              "partitioned": lambda: delta_folder(tmp_path, leads, ["industry", "seniority"]),
              "iceberg": lambda: iceberg_folder(tmp_path, leads)}[kind]()
    rows = current_rows(folder)
    assert rows == leads.num_rows - 99 and every_parquet_row(folder) > rows  # old files stay
    with Workbench(tmp_path / "by-table.duckdb", keep_backups=0) as by_table:
        loaded = by_table.ingest(folder)
        by_table.fit()
        db = tmp_path / "in-place.duckdb"
        with Workbench(db, keep_backups=0) as in_place:
            report = in_place.ingest(folder, in_place=True)
            assert isinstance(report, InPlaceReport)
            assert report.record.rows == report.record.rows_read == rows == by_table.leads
            assert points(in_place).equals(points(by_table))
            assert in_place.weights.metrics["auc"] == by_table.weights.metrics["auc"]
            assert_same(in_place.grid(), by_table.grid())
            assert [c.source_name for c in in_place.columns()] == [
                c.source_name for c in by_table.columns()]
            record = record_of(in_place.con)
            version = next(iter(loaded.details.values()))  # {"version": 2}, {"snapshot": id}
            assert (record.kind, record.path) == ("parquet", str(folder))
            assert (record.table_format, record.version) == (loaded.format, version)
            label = f"{loaded.format}, {next(iter(loaded.details))} {version}"
            assert report.summary().startswith(
                f"Loaded in place from {folder} ({label}): {rows:,} leads stay")
    assert_no_lead_rows(db, rows)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT sum(leads) FROM grid_cells").fetchone()[0] == rows
        kept = json.loads(con.execute("SELECT value FROM meta WHERE key = "
                                      "'in_place_source'").fetchone()[0])
    # The stamped files are the version's own, none of the earlier versions' files.
    if kind == "iceberg":
        from pyiceberg.table import StaticTable

        from calibrate.data.table_formats import newest_metadata

        table = StaticTable.from_metadata(str(newest_metadata(folder)))
        named = {t.file.file_path.removeprefix("file://") for t in table.scan().plan_files()}
    else:
        from deltalake import DeltaTable

        named = set(DeltaTable(folder).file_uris())
    assert {f["path"] for f in kept["files"]} == named


def test_partition_values_come_back_from_the_log_with_their_types(tmp_path):
    """delta-rs keeps partition values in the log and in escaped folder names, not in the
    files: text with '&', '/' and non-ASCII letters, a NULL, integers and dates come back
    as the table reads them, typed as its schema says."""
    from deltalake import DeltaTable, write_deltalake

    rows = pa.table({
        "lead_id": ["L1", "L2", "L3", "L4", "L5"],
        "industry": ["Retail & Co", "Süd/Ost Software", None, "Banking", "Retail & Co"],
        "size": pa.array([10, 20, 30, 40, 10], pa.int32()),
        "week": pa.array([dt.date(2025, 1, 6), dt.date(2025, 1, 13), None,
                          dt.date(2025, 1, 6), dt.date(2025, 1, 13)], pa.date32()),
        "visits": pa.array([1.5, 2.0, 0.0, 4.25, 3.0]),
    })
    folder = tmp_path / "typed"
    write_deltalake(folder, rows, partition_by=["industry", "size", "week"])
    source = open_parquet(folder)
    with duckdb.connect() as duck:  # the source's query, run by plain DuckDB
        got = duck.sql(f"SELECT * FROM ({source.sql()}) ORDER BY lead_id").to_arrow_table()
    want = DeltaTable(folder).to_pyarrow_table().sort_by("lead_id")
    assert got.column_names == want.column_names == rows.column_names
    assert got.to_pylist() == want.to_pylist() == rows.sort_by("lead_id").to_pylist()
    assert got.schema.types == want.schema.types
    types = dict(source.fetch_frame(f"DESCRIBE {source.sql()}")[
        ["column_name", "column_type"]].values.tolist())
    assert types == {"lead_id": "VARCHAR", "industry": "VARCHAR", "size": "INTEGER",
                     "week": "DATE", "visits": "DOUBLE"}


def test_a_refit_reads_the_version_loaded_and_says_when_its_files_are_vacuumed(leads,
                                                                              tmp_path):
    """A refit reads the version the record names, not one written since: the weights and
    the grid stay those of the rows the load counted (the record says which). Once VACUUM
    removes that version's files, the refit says so and asks for a new load."""
    from deltalake import DeltaTable, write_deltalake

    folder = delta_folder(tmp_path, leads)
    rows = current_rows(folder)
    db = tmp_path / "refit.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        first = wb.ingest(folder, in_place=True)
        loaded = points(wb)
    write_deltalake(folder, leads.slice(0, 1000), mode="overwrite")  # version 3
    assert current_rows(folder) == 1000
    with Workbench(db, keep_backups=0) as wb:  # a new session: the record reopens it
        again = wb.fit()
        assert again.id != first.weights.id and points(wb).equals(loaded)
        assert wb.leads == rows and wb.grid().leads == rows
        record = record_of(wb.con)
        assert (record.version, record.rows) == (2, rows)
    DeltaTable(folder).vacuum(retention_hours=0, enforce_retention_duration=False,
                              dry_run=False)
    gone = next(f["path"] for f in record.files if not Path(f["path"]).exists())
    before = db.read_bytes()
    with Workbench(db, keep_backups=0) as wb:
        with pytest.raises(InputError) as caught:
            wb.fit()
    assert db.read_bytes() == before
    message = caught.value.message
    assert "is gone" in message and gone in message and "--in-place" in message, message


def test_an_iceberg_refit_reads_the_snapshot_loaded(leads, tmp_path):
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.table import StaticTable

    from calibrate.data.table_formats import newest_metadata

    folder = iceberg_folder(tmp_path, leads)
    db = tmp_path / "refit.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        report = wb.ingest(folder, in_place=True)
        loaded = points(wb)
    table = StaticTable.from_metadata(str(newest_metadata(folder)))
    assert report.record.version == table.current_snapshot().snapshot_id
    catalog = SqlCatalog("crm", uri=f"sqlite:///{tmp_path / 'catalog.db'}",
                         warehouse=(tmp_path / "warehouse").as_uri())
    catalog.load_table("crm.leads").append(leads.slice(0, 1000))
    assert current_rows(folder) == report.record.rows + 1000
    with Workbench(db, keep_backups=0) as wb:
        wb.fit()
        assert points(wb).equals(loaded) and wb.grid().leads == report.record.rows
        assert record_of(wb.con).version == report.record.version


# ------------------------------------------------------------------ refused


def deletion_vector_table(folder: Path) -> Path:
    """A Delta table with a deletion vector on its one file (delta-rs writes none itself:
    the commit is written as the protocol describes it, as tests/test_table_formats.py
    does; delta-rs reads it)."""
    from deltalake import write_deltalake

    write_deltalake(folder, lead_rows(0, 40),
                    configuration={"delta.enableDeletionVectors": "true"})
    delete_rows(folder, [1, 4, 30])
    return folder


def column_mapping_table(folder: Path) -> Path:
    """A Delta table with column mapping: its files name the columns col-<uuid>."""
    from deltalake import write_deltalake

    write_deltalake(folder, lead_rows(0, 40),
                    configuration={"delta.columnMapping.mode": "name"})
    return folder


def iceberg_with_deletes(folder: Path) -> Path:
    """An Iceberg table with a position delete file (committed by pyiceberg)."""
    folder.mkdir()
    _, table = iceberg_table(folder, lead_rows(0, 40))
    data_file = next(iter(table.scan().plan_files())).file.file_path
    add_delete_file(table, "position", pa.table({
        "file_path": [data_file] * 2, "pos": pa.array([0, 7], pa.int64())}))
    return table_path(table)


def iceberg_renamed(folder: Path) -> Path:
    """An Iceberg table whose column was renamed after its files were written."""
    folder.mkdir()
    _, table = iceberg_table(folder, lead_rows(0, 40))
    with table.update_schema() as update:
        update.rename_column("industry", "sector")
    return table_path(table)


@pytest.mark.parametrize("case", ["deletion vectors", "column mapping", "iceberg deletes",
                                  "iceberg renamed"])
def test_a_table_whose_files_are_not_its_rows_is_refused_and_changes_nothing(
        leads, tmp_path, case):
    make, expected = {
        "deletion vectors": (deletion_vector_table, "has deletion vectors"),
        "column mapping": (column_mapping_table, "uses column mapping"),
        "iceberg deletes": (iceberg_with_deletes, "has delete files"),
        "iceberg renamed": (iceberg_renamed, "column industry of data/"),
    }[case]
    folder = make(tmp_path / "table")
    db = tmp_path / "kept.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        wb.ingest(delta_folder(tmp_path, leads.slice(0, 5000)), in_place=True)
    before = db.read_bytes()
    with Workbench(db, keep_backups=0) as wb:
        with pytest.raises(InputError) as caught:
            wb.ingest(folder, in_place=True)
    assert db.read_bytes() == before
    error = caught.value
    assert expected in error.message and "cannot be read in place" in error.message
    assert str(folder) in error.message, error.message
    assert f"calibrate ingest {folder}" in error.fix and "--in-place" in error.fix
    assert error.app_fix and "calibrate " not in error.app_fix
    if case == "iceberg renamed":
        assert "is now named sector" in error.message
    # Without in place the table still loads (its current version, read by its library),
    # except where that library cannot apply what the table holds.
    copied = tmp_path / "copied.duckdb"
    with Workbench(copied, keep_backups=0) as wb:
        wb.ingest(folder)
    with duckdb.connect(str(copied), read_only=True) as con:
        ids = con.execute("SELECT count(DISTINCT lead_id) FROM leads").fetchone()[0]
    assert ids == {"deletion vectors": 37, "column mapping": 40, "iceberg deletes": 38,
                   "iceberg renamed": 40}[case]


def test_the_data_page_loads_a_table_folder_in_place(leads, tmp_path, monkeypatch):
    """"Parquet files on this server (in place)" takes a table folder too: its current
    version, named as typed with the table's format and version, no lead rows stored."""
    from calibrate.data import store
    from calibrate.data.parquet_source import ROOTS_ENV

    from apptest import assert_clean, page

    (tmp_path / "lake").mkdir()
    folder = delta_folder(tmp_path / "lake", leads.slice(0, 5000))
    db = tmp_path / "app.duckdb"
    monkeypatch.setenv(store.ENV_DB, str(db))
    monkeypatch.setenv(ROOTS_ENV, str(tmp_path / "lake"))
    at = page("data")
    at.text_input(key="pq_path").input(folder.name).run()
    at.button(key="load_parquet").click().run()
    assert_clean(at)
    assert not at.error
    shown = at.success[0].value
    assert shown.startswith(f"Loaded in place from {folder.name} (Delta table, version 2): "
                            f"{current_rows(folder):,} leads"), shown
    assert str(tmp_path) not in shown and "no lead rows are stored" in shown

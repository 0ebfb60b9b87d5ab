"""Delta Lake and Iceberg table folders load their current version only.

Each table is written with the format's own library (deltalake, pyiceberg) in several
versions, so Parquet files of earlier versions and deleted rows stay in the folder; the
stored leads are read back with plain DuckDB SQL and compared with the rows the table holds
now. Damaged or moved tables give a message naming the folder and a fix, and leave the
stored leads as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from calibrate import Workbench
from calibrate.cli import main
from calibrate.data import store
from calibrate.data.ingest import ingest
from calibrate.data.table_formats import newest_metadata

from dbstate import expect_error

START = datetime(2025, 1, 1, tzinfo=UTC)
INDUSTRIES = ("Retail", "Software", "Banking")


def lead_rows(first: int, count: int) -> pa.Table:
    """Leads ``L<first>``.. with an outcome, a profile, a behavior and a creation instant
    (UTC, as Delta and Iceberg store timestamps)."""
    ids = range(first, first + count)
    return pa.table({
        "lead_id": [f"L{i:03d}" for i in ids],
        "created_at": pa.array([START + timedelta(days=i) for i in ids],
                               pa.timestamp("us", tz="UTC")),
        "status": ["won" if i % 3 == 0 else "lost" for i in ids],
        "industry": [INDUSTRIES[i % 3] for i in ids],
        "visits": pa.array([i % 7 for i in ids], pa.int64()),
    })


def expected(table: pa.Table) -> list[tuple]:
    """The rows as the store should hold them: by id, the date in UTC."""
    rows = table.to_pylist()
    return sorted((r["lead_id"], r["status"], r["industry"], float(r["visits"]),
                   r["created_at"].replace(tzinfo=None)) for r in rows)


def stored(db: Path) -> list[tuple]:
    """The stored leads, read with plain DuckDB (not the code that wrote them)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT lead_id, outcome, industry, CAST(visits AS DOUBLE), "
                           "created_at FROM leads ORDER BY lead_id").fetchall()


def every_parquet_row(folder: Path) -> int:
    """Rows of all the Parquet files in a folder: what reading it as plain Parquet gives."""
    sql = f"SELECT count(*) FROM read_parquet('{folder}/**/*.parquet', union_by_name = true)"
    return duckdb.connect().execute(sql).fetchone()[0]


def without(table: pa.Table, ids: set[str]) -> pa.Table:
    return table.filter(pa.array([i not in ids for i in table["lead_id"].to_pylist()]))


def not_banking(table: pa.Table) -> pa.Table:
    """The rows a delete of ``industry = 'Banking'`` leaves."""
    return table.filter(pc.not_equal(table["industry"], "Banking"))


def test_a_delta_table_loads_its_current_version_only(tmp_path, capsys):
    from deltalake import DeltaTable, write_deltalake

    folder = tmp_path / "leads_delta"
    first, second = lead_rows(0, 60), lead_rows(60, 30)
    write_deltalake(folder, first)                     # version 0
    write_deltalake(folder, second, mode="append")     # version 1
    DeltaTable(folder).delete("industry = 'Banking'")  # version 2: files rewritten
    now = not_banking(pa.concat_tables([first, second]))
    assert now.num_rows == 60 and every_parquet_row(folder) == 150  # old files stay
    db = tmp_path / "delta.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        report = wb.ingest(folder)
    assert (report.format, report.details, report.rows_loaded) == (
        "Delta table", {"version": 2}, 60)
    assert report.summary().startswith(f"Loaded 60 leads from {folder} (Delta table, "
                                       "version 2)")
    assert stored(db) == expected(now)
    # The command line reads the folder the same way.
    assert main(["ingest", str(folder), "--replace", "--db", str(tmp_path / "cli.duckdb")]) == 0
    assert "(Delta table, version 2)" in capsys.readouterr().out
    assert stored(tmp_path / "cli.duckdb") == expected(now)


def test_an_overwritten_partitioned_delta_table_loads_the_new_rows(tmp_path, con):
    """Partition values live in the log, not in the files (and in folder names escaped as
    the writer chose): they come back as written."""
    from deltalake import write_deltalake

    folder = tmp_path / "partitioned"
    old, new = lead_rows(0, 45), lead_rows(100, 45)
    names = {"Retail": "Retail & Co", "Software": "Süd/Ost Software", "Banking": "Banking"}
    new = new.set_column(new.schema.get_field_index("industry"), "industry",
                         pa.array([names[i] for i in new["industry"].to_pylist()]))
    write_deltalake(folder, old, partition_by=["industry"])
    write_deltalake(folder, new, mode="overwrite", partition_by=["industry"])
    assert every_parquet_row(folder) == 90
    report = ingest(con, folder)
    assert report.details == {"version": 1} and report.rows_loaded == 45
    con.close()
    assert stored(tmp_path / "calibrate.duckdb") == expected(new)


def delete_rows(folder: Path, gone: list[int]) -> None:
    """Delete the rows at positions ``gone`` of the one file of version 0 of the Delta table
    ``folder`` with a deletion vector, in version 1. delta-rs writes none itself, so the
    commit is written as the protocol describes it: the file removed and added again with an
    inline vector of the deleted row positions."""
    from pyroaring import BitMap

    log = folder / "_delta_log"
    add = next(json.loads(line)["add"] for line in
               (log / "00000000000000000000.json").read_text().splitlines() if '"add"' in line)
    # Magic number, then a 64-bit roaring bitmap: one 32-bit bitmap, its key 0.
    raw = ((1681511377).to_bytes(4, "little") + (1).to_bytes(8, "little")
           + (0).to_bytes(4, "little") + BitMap(gone).serialize())
    vector = {"storageType": "i", "pathOrInlineDv": z85(raw), "sizeInBytes": len(raw),
              "cardinality": len(gone)}
    now = int(time.time() * 1000)
    (log / "00000000000000000001.json").write_text(
        json.dumps({"remove": {"path": add["path"], "deletionTimestamp": now,
                               "dataChange": True, "extendedFileMetadata": True,
                               "partitionValues": {}, "size": add["size"]}}) + "\n"
        + json.dumps({"add": {**add, "modificationTime": now, "deletionVector": vector}})
        + "\n")


def test_a_delta_table_with_deletion_vectors_loads_without_the_deleted_rows(tmp_path, con):
    """Rows deleted by a deletion vector (Databricks' default) stay in their Parquet file;
    delta-rs writes none itself, so the commit is written as the protocol describes it: the
    file removed and added again with an inline vector of the deleted row positions."""
    from deltalake import write_deltalake

    folder = tmp_path / "dv"
    rows = lead_rows(0, 40)
    write_deltalake(folder, rows, configuration={"delta.enableDeletionVectors": "true"})
    gone = [1, 4, 30]
    delete_rows(folder, gone)
    report = ingest(con, folder)
    assert report.details == {"version": 1} and report.rows_loaded == 37
    con.close()
    ids = rows["lead_id"].to_pylist()
    assert stored(tmp_path / "calibrate.duckdb") == expected(
        without(rows, {ids[i] for i in gone}))


def z85(data: bytes) -> str:
    """ZeroMQ's Base85 (Z85), as Delta writes an inline deletion vector (zero-padded to
    whole 4-byte groups; the reader stops at the bitmap's end)."""
    alphabet = ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                ".-:+=^!/*?&<>()[]{}@%$#")
    data += b"\0" * (-len(data) % 4)
    out = []
    for i in range(0, len(data), 4):
        n = int.from_bytes(data[i:i + 4], "big")
        out += [alphabet[n // 85 ** k % 85] for k in range(4, -1, -1)]
    return "".join(out)


def iceberg_table(tmp_path: Path, rows: pa.Table):
    """An Iceberg table in a local warehouse, its catalog a SQLite file; ``rows`` appended."""
    from pyiceberg.catalog.sql import SqlCatalog

    catalog = SqlCatalog("crm", uri=f"sqlite:///{tmp_path / 'catalog.db'}",
                         warehouse=(tmp_path / "warehouse").as_uri())
    catalog.create_namespace("crm")
    table = catalog.create_table("crm.leads", schema=rows.schema)
    table.append(rows)
    return catalog, table


def table_path(table) -> Path:
    return Path(table.location().removeprefix("file://"))


def test_an_iceberg_table_loads_its_current_snapshot_only(tmp_path):
    first, second = lead_rows(0, 60), lead_rows(60, 30)
    catalog, table = iceberg_table(tmp_path, first)
    table.append(second)
    table.delete("industry == 'Banking'")  # data files rewritten; the old ones stay
    table = catalog.load_table("crm.leads")
    folder = table_path(table)
    now = table.scan().to_arrow()
    assert now.num_rows == 60 and every_parquet_row(folder) > 90
    assert len(list((folder / "metadata").glob("*.metadata.json"))) >= 4
    db = tmp_path / "iceberg.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        report = wb.ingest(folder)
    snapshot = table.current_snapshot().snapshot_id
    assert (report.format, report.details, report.rows_loaded) == (
        "Iceberg table", {"snapshot": snapshot}, 60)
    assert f"(Iceberg table, snapshot {snapshot})" in report.summary()
    assert stored(db) == expected(not_banking(pa.concat_tables([first, second])))


def add_delete_file(table, kind: str, rows: pa.Table, **fields) -> None:
    """Commit a delete file (position or equality deletes) to an Iceberg table.

    pyiceberg reads delete files but writes none (its deletes rewrite data files, as
    Spark's and Flink's merge-on-read writers would not), so the file is written with
    pyarrow and committed with pyiceberg's own snapshot producer, as a new file whose
    entry says what it holds."""
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.typedef import Record

    path = table_path(table) / "data" / f"{kind}-deletes.parquet"
    pq.write_table(rows, path)
    content = {"position": DataFileContent.POSITION_DELETES,
               "equality": DataFileContent.EQUALITY_DELETES}[kind]
    entry = DataFile.from_args(content=content, file_path=path.as_uri(),
                               file_format=FileFormat.PARQUET, partition=Record(),
                               record_count=rows.num_rows,
                               file_size_in_bytes=os.path.getsize(path), **fields)
    entry.spec_id = 0
    with table.transaction() as tx, tx.update_snapshot().fast_append() as append:
        append.append_data_file(entry)


def test_iceberg_position_deletes_are_applied(tmp_path, con):
    rows = lead_rows(0, 40)
    catalog, table = iceberg_table(tmp_path, rows)
    data_file = next(iter(table.scan().plan_files())).file.file_path
    gone = [0, 7, 39]
    add_delete_file(table, "position", pa.table({
        "file_path": [data_file] * len(gone), "pos": pa.array(gone, pa.int64())}))
    report = ingest(con, table_path(table))
    assert report.rows_loaded == 37
    con.close()
    ids = rows["lead_id"].to_pylist()
    assert stored(tmp_path / "calibrate.duckdb") == expected(
        without(rows, {ids[i] for i in gone}))


def test_iceberg_equality_deletes_are_refused_not_loaded(tmp_path, con):
    ingest(con, lead_rows_csv(tmp_path))
    catalog, table = iceberg_table(tmp_path, lead_rows(0, 40))
    add_delete_file(table, "equality", pa.table({"lead_id": ["L003"]}), equality_ids=[1])
    err = expect_error(con, table_path(table), "equality delete files")
    assert "rewrite_data_files" in err.fix


def lead_rows_csv(tmp_path: Path) -> Path:
    """Leads already stored, that a failed load must leave as they are."""
    path = tmp_path / "earlier.csv"
    lead_rows(500, 30).to_pandas().to_csv(path, index=False)
    return path


def test_a_plain_parquet_folder_reads_as_before_and_a_table_part_is_refused(tmp_path, con):
    from deltalake import write_deltalake

    folder = tmp_path / "export"
    for part, rows in (("2024", lead_rows(0, 30)), ("2025", lead_rows(30, 30))):
        (folder / f"year={part}").mkdir(parents=True)
        pq.write_table(rows, folder / f"year={part}" / "leads.parquet")
    report = ingest(con, folder)
    assert (report.format, report.details, report.rows_loaded) == ("parquet", {}, 60)
    con.close()
    assert stored(tmp_path / "calibrate.duckdb") == expected(lead_rows(0, 60))
    con = store.connect(tmp_path / "calibrate.duckdb")
    # A warehouse folder holding a table, and a partition inside one: not one data set.
    write_deltalake(folder / "crm" / "leads", lead_rows(0, 30), partition_by=["industry"])
    err = expect_error(con, folder, "holds Delta or Iceberg tables")
    assert str(folder / "crm" / "leads") in err.fix
    part = next((folder / "crm" / "leads").glob("industry=*"))
    err = expect_error(con, part, "is a part of the Delta table at")
    assert str(folder / "crm" / "leads") in err.fix
    con.close()


def delta_copy(tmp_path: Path, name: str) -> Path:
    from deltalake import write_deltalake

    folder = tmp_path / name
    write_deltalake(folder, lead_rows(0, 30))
    write_deltalake(folder, lead_rows(30, 30), mode="append")
    return folder


def test_a_damaged_delta_table_is_a_clear_message(tmp_path, con, capsys):
    from deltalake import DeltaTable

    ingest(con, lead_rows_csv(tmp_path))
    cut = delta_copy(tmp_path, "cut")
    commit = cut / "_delta_log" / "00000000000000000001.json"
    commit.write_bytes(commit.read_bytes()[:80])  # a copy cut short
    expect_error(con, cut, r"log is damaged: _delta_log/00000000000000000001\.json is not "
                           r"valid JSON \(line 1\)")
    lost = delta_copy(tmp_path, "lost")
    gone = Path(DeltaTable(lost).file_uris()[0])
    gone.unlink()
    err = expect_error(con, lost, f"names data files that are missing: {gone.name}")
    assert "FSCK REPAIR TABLE" in err.fix
    empty = delta_copy(tmp_path, "empty")
    for commit in (empty / "_delta_log").iterdir():
        commit.unlink()
    expect_error(con, empty, "_delta_log holds no commits")
    # On the command line: the message and its fix, no traceback.
    con.close()
    assert main(["ingest", str(cut), "--db", str(tmp_path / "calibrate.duckdb")]) == 2
    printed = capsys.readouterr().err
    assert printed.startswith("error: The Delta table's log is damaged") and "How to fix" in printed
    assert "Traceback" not in printed


def test_a_moved_or_incomplete_iceberg_table_is_a_clear_message(tmp_path, con):
    ingest(con, lead_rows_csv(tmp_path))
    _, table = iceberg_table(tmp_path, lead_rows(0, 30))
    folder = table_path(table)
    moved = shutil.copytree(folder, tmp_path / "copied")
    err = expect_error(con, moved, f"places it at {table.location()}, not in this folder")
    assert "rewrite_table_path" in err.fix
    data = next((folder / "data").glob("*.parquet"))
    data.rename(data.with_suffix(".bak"))
    expect_error(con, folder, f"names data files that are missing: data/{data.name}")
    data.with_suffix(".bak").rename(data)
    manifest_list = next((folder / "metadata").glob("snap-*.avro"))
    manifest_list.unlink()
    expect_error(con, folder, f"names a file that is missing: metadata/{manifest_list.name}")
    (folder / "metadata" / "version-hint.text").write_text("7")
    expect_error(con, folder, r"version-hint\.text names v7\.metadata\.json")


def test_the_newest_iceberg_metadata_is_chosen(tmp_path):
    """Hadoop tables number their metadata v1, v2 ... (v10 after v9, not after v1); catalogs
    00000-<uuid>, 00001-<uuid> ...; a version hint may lag behind the newest."""
    meta = tmp_path / "hadoop" / "metadata"
    meta.mkdir(parents=True)
    for n in (1, 2, 9, 10):
        (meta / f"v{n}.metadata.json").write_text(json.dumps({"last-updated-ms": n}))
    (meta / "version-hint.text").write_text("9\n")
    assert newest_metadata(meta.parent).name == "v10.metadata.json"
    meta = tmp_path / "catalog" / "metadata"
    meta.mkdir(parents=True)
    for n, uuid, written in ((0, "b", 1), (1, "a", 2), (1, "c", 3), (2, "d", 9)):
        (meta / f"{n:05d}-{uuid}.metadata.json").write_text(
            json.dumps({"last-updated-ms": written}))
    assert newest_metadata(meta.parent).name == "00002-d.metadata.json"
    (meta / "00002-d.metadata.json").unlink()  # two of number 1: the later written
    assert newest_metadata(meta.parent).name == "00001-c.metadata.json"


@pytest.mark.parametrize("kind", ["delta", "iceberg"])
def test_the_preview_reads_the_current_version_too(tmp_path, kind):
    from deltalake import DeltaTable, write_deltalake

    from calibrate.data.file_preview import inspect_file

    rows = lead_rows(0, 60)
    if kind == "delta":
        folder = tmp_path / "d"
        write_deltalake(folder, rows)
        DeltaTable(folder).delete("industry = 'Banking'")
    else:
        catalog, table = iceberg_table(tmp_path, rows)
        table.delete("industry == 'Banking'")
        folder = table_path(table)
    seen = inspect_file(folder)
    assert seen.whole and seen.sample_rows == 40
    assert seen.outcome == "status" and seen.stats["industry"].distinct == 2

"""Opening a CRM export (CSV, Parquet, XLSX) for DuckDB: the file checked, then read by the
reader of its real format.

The file becomes the view ``_file`` (every column as text), read by DuckDB, streaming:
Python never holds a CSV or Parquet file. A Parquet file or folder is read here (a Delta
or Iceberg table folder as its current version: :mod:`~calibrate.data.table_formats`), a
CSV by :mod:`~calibrate.data.csv_reader`, a workbook by :mod:`~calibrate.data.xlsx_reader`;
each draws the profile sample (:mod:`~calibrate.data.sampling`). Broken files (binary, empty,
ragged, unterminated quotes, another encoding) get a message naming the file, the row and
the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from calibrate.data.csv_reader import read_csv
from calibrate.data.file_format import check_format, sniff_format
from calibrate.data.sampling import make_sample
from calibrate.data.source import Source
from calibrate.data.table_formats import (
    SNAPSHOT,
    TableFolder,
    check_plain_folder,
    open_table,
    table_folder,
)
from calibrate.data.xlsx_reader import read_xlsx
from calibrate.errors import InputError
from calibrate.sql import literal, quote


def parquet_files(folder: Path) -> list[Path]:
    """The Parquet files in a folder and its subfolders (a partitioned data set)."""
    return sorted(f for f in folder.rglob("*.parquet") if f.is_file())


def _read_parquet(cur: duckdb.DuckDBPyConnection, path: Path) -> Source:
    # A folder is read as one data set: every Parquet file under it (hive partitions too).
    where = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    options = ", hive_partitioning = true, union_by_name = true" if path.is_dir() else ""
    return _read_columnar(cur, path, f"read_parquet({literal(where)}{options})", "parquet",
                          {}, what="Parquet file", fix="Write the file again.")


def _read_table(cur: duckdb.DuckDBPyConnection, table: TableFolder) -> Source:
    """A Delta or Iceberg table folder: its current version only (see table_formats)."""
    details = open_table(cur, table)
    return _read_columnar(cur, table.path, SNAPSHOT, table.kind, details, what=table.kind,
                          fix="Copy the whole table folder again, or write the table again.")


def _read_columnar(cur: duckdb.DuckDBPyConnection, path: Path, relation: str, fmt: str,
                   details: dict[str, Any], what: str, fix: str) -> Source:
    """Rows with their own column types (``relation``) as the views ``_parquet`` (as
    stored) and ``_file`` (as text), and the profile sample.

    An instant (``TIMESTAMP WITH TIME ZONE``, as Delta and Iceberg store every timestamp)
    is read as its UTC date and time: as text its offset ("+00") would make it unreadable.
    """
    try:
        stored = cur.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        cur.execute("CREATE OR REPLACE TEMP VIEW _parquet AS SELECT " + ", ".join(
            f"timezone('UTC', {quote(c)}) AS {quote(c)}" if t == "TIMESTAMP WITH TIME ZONE"
            else quote(c) for c, t, *_ in stored) + f" FROM {relation}")
        native = {r[0]: r[1] for r in cur.execute("DESCRIBE _parquet").fetchall()}
        cur.execute("CREATE OR REPLACE TEMP VIEW _file AS SELECT "
                    + ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in native)
                    + " FROM _parquet")
        columns = list(native)
        rows = int(cur.execute("SELECT count(*) FROM _parquet").fetchone()[0])
        n, whole = make_sample(cur, rows)
    except duckdb.Error as exc:
        raise InputError(f"The {what} cannot be read: {str(exc).splitlines()[0]}",
                         file=str(path), fix=fix) from None
    return Source(fmt, details, columns, n, whole, native=native)


def open_source(cur: duckdb.DuckDBPyConnection, p: Path, read: dict[str, Any]) -> Source:
    if not p.exists():
        raise InputError("The file does not exist.", file=str(p), fix="Check the path.",
                         app_fix="Upload the file again.")
    if p.is_dir():
        table = table_folder(p)
        if table is not None:
            return _read_table(cur, table)
        check_plain_folder(p)
        if parquet_files(p):
            return _read_parquet(cur, p)
        raise InputError("This folder holds no Parquet files.", file=str(p),
                         fix="Give the path of a CSV, Parquet or XLSX file, or of a folder of "
                             "Parquet files (a Delta or Iceberg table folder too).")
    if p.stat().st_size == 0:
        raise InputError("The file is empty (0 bytes).", file=str(p),
                         fix="Export the leads again; the file should have a header row "
                             "and one row per lead.")
    fmt = sniff_format(p)
    check_format(p, fmt)
    if fmt == "parquet":
        return _read_parquet(cur, p)
    if fmt == "xlsx":
        return read_xlsx(cur, p, read)
    return read_csv(cur, p, read)

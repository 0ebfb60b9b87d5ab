"""Delta Lake and Apache Iceberg table folders: told from a plain folder of Parquet files,
and their current version copied into DuckDB.

Why: a table folder also holds the Parquet files of earlier versions and of deleted rows,
so reading every file in it (as a folder of Parquet files is read) would load rows the
table no longer has. The table's own log (Delta) or metadata (Iceberg) names the files of
its current version; :mod:`~calibrate.data.delta_table` and
:mod:`~calibrate.data.iceberg_table` read them with the maintained libraries (DuckDB's own
extensions for these formats are downloaded at run time, which a server may not allow).
The rows are copied once to the temporary table ``_snapshot``: a damaged table fails
there, before anything is guessed or stored, and the later passes read DuckDB's copy.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb

from calibrate.errors import InputError

DELTA = "Delta table"
ICEBERG = "Iceberg table"
#: The temporary table holding the current version's rows.
SNAPSHOT = "_snapshot"

_VERSION = re.compile(r"^v?(\d+)[-.]")


@dataclass(frozen=True)
class TableFolder:
    """A table folder: its format, and for Iceberg the metadata file of its newest version."""

    kind: str  # DELTA or ICEBERG
    path: Path
    metadata: Path | None = None


def table_kind(folder: Path) -> str | None:
    """``DELTA`` (a ``_delta_log`` folder), ``ICEBERG`` (a ``metadata`` folder with
    ``*.metadata.json`` files or a ``version-hint.text``), or None (plain Parquet)."""
    if (folder / "_delta_log").is_dir():
        return DELTA
    meta = folder / "metadata"
    if meta.is_dir() and (any(meta.glob("*.metadata.json"))
                          or (meta / "version-hint.text").is_file()):
        return ICEBERG
    return None


def table_folder(folder: Path) -> TableFolder | None:
    """``folder`` as a table (for Iceberg, with its newest metadata file), or None."""
    kind = table_kind(folder)
    if kind is None:
        return None
    return TableFolder(kind, folder, newest_metadata(folder) if kind == ICEBERG else None)


def newest_metadata(folder: Path) -> Path:
    """The metadata file of an Iceberg table's newest version: the highest version number
    (``v3.metadata.json``, ``00003-<uuid>.metadata.json``), the one ``version-hint.text``
    names counting too (a hint may lag behind; it may not name a missing file); equal
    numbers are told apart by the time each says it was written."""
    meta = folder / "metadata"
    files = sorted(f for f in meta.glob("*.metadata.json") if f.is_file())
    hint = meta / "version-hint.text"
    if hint.is_file():
        text = hint.read_text(encoding="utf-8", errors="replace").strip()
        named = meta / (f"v{text}.metadata.json" if text.isdigit() else
                        text if text.endswith(".metadata.json") else f"{text}.metadata.json")
        if not named.is_file():
            raise InputError(
                f"The Iceberg table's metadata/version-hint.text names {named.name}, which "
                "is not in the metadata folder.", file=str(folder),
                fix="Copy the whole table folder again (metadata folder included), or load it "
                    "from where it was written.")
    if not files:
        raise InputError("The Iceberg table's metadata folder holds no *.metadata.json file.",
                         file=str(folder),
                         fix="Copy the whole table folder again (metadata folder included).")

    def number(f: Path) -> int:
        m = _VERSION.match(f.name)
        return int(m.group(1)) if m else -1

    top = max(number(f) for f in files)
    newest = [f for f in files if number(f) == top]
    return max(newest, key=_written_ms) if len(newest) > 1 else newest[0]


def _written_ms(metadata: Path) -> int:
    """When a metadata file says it was written (``last-updated-ms``); 0 if unreadable."""
    try:
        return int(json.loads(metadata.read_text(encoding="utf-8")).get("last-updated-ms", 0))
    except (OSError, ValueError, AttributeError):
        return 0


def table_around(folder: Path) -> TableFolder | None:
    """The table ``folder`` is a part of (a partition or the data folder of one)."""
    for parent in folder.resolve().parents:
        kind = table_kind(parent)
        if kind is not None:
            return TableFolder(kind, parent)
    return None


def tables_within(folder: Path) -> list[Path]:
    """The table folders under ``folder`` (a warehouse of tables, not one data set)."""
    found = []
    for root, dirs, _files in os.walk(folder):
        if root != str(folder) and table_kind(Path(root)) is not None:
            found.append(Path(root))
            dirs.clear()
    return sorted(found)


def check_plain_folder(folder: Path) -> None:
    """Refuse a folder of Parquet files that is a part of a table, or holds tables: reading
    all its files would load earlier versions and deleted rows."""
    around = table_around(folder)
    if around is not None:
        raise InputError(
            f"This folder is a part of the {around.kind} at {around.path}: its Parquet files "
            "include earlier versions and deleted rows.", file=str(folder),
            fix=f"Give the table's folder ({around.path}) to read its current version.")
    inside = tables_within(folder)
    if inside:
        names = ", ".join(str(p.relative_to(folder)) for p in inside[:3]) + more(inside)
        raise InputError(
            f"This folder holds Delta or Iceberg tables ({names}), not one data set: "
            "their Parquet files include earlier versions and deleted rows.", file=str(folder),
            fix=f"Give the path of one table's folder, e.g. {inside[0]}.")


def open_table(cur: duckdb.DuckDBPyConnection, table: TableFolder) -> dict[str, Any]:
    """Copy the current version of ``table`` to the temporary table ``_snapshot`` and say
    which version it is (``{"version": 3}``, ``{"snapshot": 1234...}``)."""
    import pyarrow as pa

    if table.kind == DELTA:
        from calibrate.data.delta_table import delta_snapshot

        data, details = delta_snapshot(table.path)
    else:
        from calibrate.data.iceberg_table import iceberg_snapshot

        assert table.metadata is not None
        data, details = iceberg_snapshot(table.path, table.metadata)
    cur.register("_snapshot_arrow", data)
    try:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {SNAPSHOT} AS SELECT * FROM _snapshot_arrow")
    except (duckdb.Error, OSError, ValueError, pa.ArrowException) as exc:
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise
        raise InputError(f"The {table.kind} cannot be read: {first_line(exc)}",
                         file=str(table.path),
                         fix="Copy the whole table folder again, or write the table again "
                             "from where it came.") from None
    finally:
        cur.unregister("_snapshot_arrow")
    return details


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (library errors append backtraces)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def local_path(uri: str) -> Path | None:
    """The local path of a file URI or a plain path; None for another place (s3://...)."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if len(parts.scheme) > 1:  # a scheme, not a Windows drive letter
        return None
    return Path(uri)


def more(items: list[Any], shown: int = 3) -> str:
    """" and N more" after the first ``shown`` of ``items`` named in a message."""
    return f" and {len(items) - shown} more" if len(items) > shown else ""


def sort_files(folder: Path, uris: list[str], *,
               inside_only: bool) -> tuple[list[str], list[str]]:
    """The files a table's log or snapshot names that it cannot read here: (kept elsewhere:
    remote, or outside ``folder`` when ``inside_only``; missing, shown relative to
    ``folder``). Paths may be percent-encoded (as Delta writes partition values)."""
    elsewhere: list[str] = []
    missing: list[str] = []
    root = folder.resolve()
    for uri in uris:
        path = local_path(uri)
        if path is None or (inside_only and not path.resolve().is_relative_to(root)):
            elsewhere.append(uri)
        elif not (path.is_file() or Path(unquote(str(path))).is_file()):
            try:
                missing.append(str(path.resolve().relative_to(root)))
            except ValueError:
                missing.append(str(path))
    return elsewhere, missing


# ------------------------------------------------------------------ read in place

#: DuckDB's type for a Delta or Iceberg primitive type's name (a partition value is cast
#: to it, a column in none of the files is a NULL of it).
_DUCK_TYPES = {"string": "VARCHAR", "long": "BIGINT", "integer": "INTEGER", "int": "INTEGER",
               "short": "SMALLINT", "byte": "TINYINT", "float": "FLOAT", "double": "DOUBLE",
               "boolean": "BOOLEAN", "binary": "BLOB", "date": "DATE",
               "timestamp_ntz": "TIMESTAMP", "uuid": "UUID", "time": "TIME"}
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


def duck_type(kind: str, name: str) -> str | None:
    """DuckDB's type for the primitive type ``name`` of a ``kind`` table (Delta's
    ``timestamp`` is an instant, Iceberg's a local time: ``timestamptz`` is its instant);
    None for a type without one (nested, fixed...)."""
    name = name.strip().lower()
    if name == "timestamp":
        return "TIMESTAMPTZ" if kind == DELTA else "TIMESTAMP"
    if name == "timestamptz":
        return "TIMESTAMPTZ"
    decimal = _DECIMAL.match(name)
    if decimal:
        return f"DECIMAL({decimal.group(1)}, {decimal.group(2)})"
    return _DUCK_TYPES.get(name)


def version_label(kind: str, version: int) -> str:
    """A table version as summaries name it: ``Delta table, version 2``,
    ``Iceberg table, snapshot 1234``."""
    return f"{kind}, {'snapshot' if kind == ICEBERG else 'version'} {version}"


@dataclass(frozen=True)
class TableFiles:
    """The data files of one version of a table whose rows are exactly those files' rows (no
    deletion vectors, no delete files, no column mapping): what reading it in place needs.

    ``columns`` are the table's columns in its schema's order with DuckDB's type (None when
    it has none); ``partitions`` the value of each partition column kept in the log and not
    in the files (Delta), one a file, as text DuckDB casts (None: NULL)."""

    kind: str
    version: int
    files: tuple[Path, ...]
    columns: tuple[tuple[str, str | None], ...]
    partitions: dict[str, tuple[str | None, ...]]

    @property
    def label(self) -> str:
        return version_label(self.kind, self.version)


def read_in_place_fix(kind: str, folder: Path) -> tuple[str, str]:
    """The fix (command line, app) when a table cannot be read from its files alone."""
    return (f"Load it without --in-place (calibrate ingest {folder}: its current version is "
            "read and stored), or write its current version as plain Parquet files and load "
            "those in place.",
            f"Write the {kind}'s current version as plain Parquet files and load those here "
            "in place.")


#: The fix in the app's words when files loaded in place are gone or changed.
AGAIN_IN_APP = ("Load the files again on the Data page (Parquet files or a Delta or "
                "Iceberg table on this server, in place), or load other leads there.")


def again_in_place(given: str | Path) -> str:
    """The fix when what was loaded in place is gone or changed: load it again."""
    return (f"Load it again: calibrate ingest {given} --in-place "
            "(wb.ingest(path, in_place=True)).")

"""An Apache Iceberg table folder's current snapshot, as Arrow, read with ``pyiceberg``
from its newest metadata file (no catalog needed): only the data files the snapshot names,
position deletes and deletion vectors applied.

Equality deletes (rows deleted by value, as Flink and other streaming writers do) cannot
be applied by pyiceberg: such a table is refused with a message, never loaded with its
deleted rows. So is a table whose metadata places it elsewhere (a copy not rewritten) or
names missing files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from calibrate.data.table_formats import first_line, local_path, more, sort_files
from calibrate.errors import InputError

_COPY_AGAIN = ("Copy the whole table folder again from where it was written (a copy cut "
               "short leaves its metadata or files incomplete), or write the table again.")


def iceberg_snapshot(folder: Path, metadata: Path) -> tuple[Any, dict[str, Any]]:
    """The rows of the table's current snapshot (a record batch reader) and
    ``{"snapshot": id}``."""
    from pyiceberg.exceptions import ResolveError, ValidationError
    from pyiceberg.table import StaticTable

    try:
        table = StaticTable.from_metadata(str(metadata))
    except (OSError, ValueError, ValidationError) as exc:
        raise InputError(f"The Iceberg table's metadata file metadata/{metadata.name} cannot "
                         f"be read: {first_line(exc)}", file=str(folder),
                         fix=_COPY_AGAIN) from None
    _check_location(folder, table.metadata.location)
    current = table.current_snapshot()
    if current is None:
        raise InputError("The Iceberg table has no snapshot: no rows were ever written to it.",
                         file=str(folder),
                         fix="Load the folder once the table has rows.")
    scan = table.scan()
    try:
        tasks = list(scan.plan_files())
    except FileNotFoundError as exc:
        raise InputError(f"The Iceberg table's metadata names a file that is missing: "
                         f"{_missing(exc, folder)}.", file=str(folder), fix=_COPY_AGAIN,
                         ) from None
    except ValueError as exc:
        if "equality delete" in str(exc).lower():
            raise InputError(
                "The Iceberg table has equality delete files (rows deleted by value, as "
                "streaming writers such as Flink do), which cannot be applied here: loading "
                "it would bring back deleted rows.", file=str(folder),
                fix="Rewrite the table's data files with the deletes applied (in Spark: "
                    "CALL <catalog>.system.rewrite_data_files(table => '<table>', options "
                    "=> map('delete-file-threshold', '1'))), then load the folder again.",
            ) from None
        raise InputError(f"The Iceberg table's manifests cannot be read: {first_line(exc)}",
                         file=str(folder), fix=_COPY_AGAIN) from None
    except Exception as exc:  # a damaged manifest: whatever the Avro reader meets
        raise InputError(f"The Iceberg table's manifests cannot be read: {first_line(exc)}",
                         file=str(folder), fix=_COPY_AGAIN) from None
    _check_files(folder, [t.file.file_path for t in tasks]
                 + sorted({d.file_path for t in tasks for d in t.delete_files}))
    try:
        reader = scan.to_arrow_batch_reader()
    except (OSError, ValueError, ResolveError) as exc:
        raise InputError(f"The Iceberg table cannot be read: {first_line(exc)}",
                         file=str(folder), fix=_COPY_AGAIN) from None
    return reader, {"snapshot": current.snapshot_id}


def _missing(exc: FileNotFoundError, folder: Path) -> str:
    """The missing file an error names, relative to the table's folder when inside it."""
    found = exc.filename or next(iter(re.findall(r"'([^']+)'", str(exc))), None)
    path = local_path(str(found)) if found else None
    if path is None:
        return first_line(exc)
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)


def _check_location(folder: Path, location: str) -> None:
    """The metadata places the table in ``folder``: a copy elsewhere still names the
    original's files, and would read them (or fail on them) instead of its own."""
    place = local_path(location)
    if place is not None and _same(place, folder):
        return
    raise InputError(
        f"The Iceberg table's metadata places it at {location}, not in this folder: its "
        "files would be read from there.", file=str(folder),
        fix="Load the table from where it was written, or copy it with its paths rewritten "
            "(Iceberg's rewrite_table_path procedure) and load the copy.")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _check_files(folder: Path, uris: list[str]) -> None:
    """Every data and delete file of the snapshot is in the folder, present."""
    outside, missing = sort_files(folder, uris, inside_only=True)
    if outside:
        raise InputError(f"The Iceberg table's snapshot names files outside this folder "
                         f"({outside[0]}{more(outside, 1)}).", file=str(folder),
                         fix="Load the table from where its files are, or copy it with its "
                             "paths rewritten (Iceberg's rewrite_table_path procedure).")
    if missing:
        raise InputError(f"The Iceberg table's snapshot names data files that are missing: "
                         f"{', '.join(missing[:3])}{more(missing)}.", file=str(folder),
                         fix=_COPY_AGAIN)

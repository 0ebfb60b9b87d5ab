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

from calibrate.data.table_formats import (
    AGAIN_IN_APP,
    ICEBERG,
    TableFiles,
    again_in_place,
    duck_type,
    first_line,
    local_path,
    more,
    read_in_place_fix,
    sort_files,
)
from calibrate.errors import InputError

_COPY_AGAIN = ("Copy the whole table folder again from where it was written (a copy cut "
               "short leaves its metadata or files incomplete), or write the table again.")


def iceberg_snapshot(folder: Path, metadata: Path) -> tuple[Any, dict[str, Any]]:
    """The rows of the table's current snapshot (a record batch reader) and
    ``{"snapshot": id}``."""
    from pyiceberg.exceptions import ResolveError

    table = _static_table(folder, metadata)
    current = _snapshot(folder, table, None)
    scan = table.scan()
    tasks = _plan(folder, scan)
    _check_files(folder, [t.file.file_path for t in tasks]
                 + sorted({d.file_path for t in tasks for d in t.delete_files}))
    try:
        reader = scan.to_arrow_batch_reader()
    except (OSError, ValueError, ResolveError) as exc:
        raise InputError(f"The Iceberg table cannot be read: {first_line(exc)}",
                         file=str(folder), fix=_COPY_AGAIN) from None
    return reader, {"snapshot": current.snapshot_id}


def iceberg_files(folder: Path, metadata: Path, snapshot: int | None = None) -> TableFiles:
    """The data files of the table's current snapshot (or of ``snapshot``, one read before),
    for reading them in place; an :class:`InputError` when its rows are not those files'
    rows (delete files), a file names its columns otherwise than the table's schema (a
    column renamed or dropped since it was written), or a snapshot read before is gone."""
    table = _static_table(folder, metadata)
    current = _snapshot(folder, table, snapshot)
    tasks = _plan(folder, table.scan(snapshot_id=current.snapshot_id))
    _check_files(folder, [t.file.file_path for t in tasks]
                 + sorted({d.file_path for t in tasks for d in t.delete_files}))
    fix, app_fix = read_in_place_fix(ICEBERG, folder)
    deletes = sorted({d.file_path for t in tasks for d in t.delete_files})
    if deletes:
        raise InputError(
            f"The Iceberg table has delete files ({len(deletes)}: rows deleted but left in "
            "their data files), so it cannot be read in place: its data files would bring "
            "the deleted rows back.", file=str(folder),
            fix=_REWRITE + ", then load it in place again; or " + fix[0].lower() + fix[1:],
            app_fix=app_fix)
    schema = table.schema()
    files = tuple(Path(str(local_path(t.file.file_path))) for t in tasks)
    for task, path in zip(tasks, files, strict=True):
        _check_columns(folder, path, schema, table.specs().get(task.file.spec_id))
    columns = tuple((f.name, duck_type(ICEBERG, str(f.field_type))) for f in schema.fields)
    return TableFiles(ICEBERG, current.snapshot_id, files, columns, {})


_REWRITE = ("Rewrite the table's data files with the deletes applied (in Spark: CALL "
            "<catalog>.system.rewrite_data_files(table => '<table>', options => "
            "map('delete-file-threshold', '1')))")


def _static_table(folder: Path, metadata: Path) -> Any:
    """The table its metadata file describes, placed in ``folder``."""
    from pyiceberg.exceptions import ValidationError
    from pyiceberg.table import StaticTable

    try:
        table = StaticTable.from_metadata(str(metadata))
    except (OSError, ValueError, ValidationError) as exc:
        raise InputError(f"The Iceberg table's metadata file metadata/{metadata.name} cannot "
                         f"be read: {first_line(exc)}", file=str(folder),
                         fix=_COPY_AGAIN) from None
    _check_location(folder, table.metadata.location)
    return table


def _snapshot(folder: Path, table: Any, snapshot: int | None) -> Any:
    """The current snapshot, or ``snapshot`` (read in place before) if still kept."""
    if snapshot is not None:
        found = table.snapshot_by_id(snapshot)
        if found is None:
            raise InputError(
                f"Snapshot {snapshot} of the Iceberg table, loaded in place, is no longer in "
                "its metadata (expired since).", file=str(folder),
                fix=again_in_place(folder), app_fix=AGAIN_IN_APP)
        return found
    current = table.current_snapshot()
    if current is None:
        raise InputError("The Iceberg table has no snapshot: no rows were ever written to it.",
                         file=str(folder),
                         fix="Load the folder once the table has rows.")
    return current


def _plan(folder: Path, scan: Any) -> list[Any]:
    """The scan's file tasks; missing files, equality deletes and damaged manifests as
    messages."""
    try:
        return list(scan.plan_files())
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
                fix=_REWRITE + ", then load the folder again.") from None
        raise InputError(f"The Iceberg table's manifests cannot be read: {first_line(exc)}",
                         file=str(folder), fix=_COPY_AGAIN) from None
    except Exception as exc:  # a damaged manifest: whatever the Avro reader meets
        raise InputError(f"The Iceberg table's manifests cannot be read: {first_line(exc)}",
                         file=str(folder), fix=_COPY_AGAIN) from None


def _check_columns(folder: Path, path: Path, schema: Any, spec: Any) -> None:
    """The data file names each column it holds as the table's schema does now (matched
    by field id: a column renamed or dropped since the file was written is refused, DuckDB
    reads by name), and lacks no column whose value it does not hold (an identity partition
    kept in the metadata, a column with a default)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fix, app_fix = read_in_place_fix(ICEBERG, folder)
    try:
        fields = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"The Iceberg table's data file {_inside(path, folder)} cannot be "
                         f"read: {first_line(exc)}", file=str(folder), fix=_COPY_AGAIN) from None
    by_id = {f.field_id: f.name for f in schema.fields}
    names = set(by_id.values())
    held = set()
    for field in fields:
        raw = (field.metadata or {}).get(b"PARQUET:field_id")
        now = by_id.get(int(raw)) if raw is not None else (
            field.name if field.name in names else None)
        if now != field.name:
            was = (f"is now named {now}" if now is not None else
                   "is no longer in the table")
            raise InputError(
                f"The Iceberg table's columns changed after some of its files were written: "
                f"column {field.name} of {_inside(path, folder)} {was}, so it cannot be read "
                "in place (its files' column names are not the table's).", file=str(folder),
                fix=fix, app_fix=app_fix)
        held.add(field.name)
    identity = {schema.find_field(f.source_id).name for f in (spec.fields if spec else [])
                if str(f.transform) == "identity"}
    for field in schema.fields:
        if field.name in held:
            continue
        if field.name in identity or getattr(field, "initial_default", None) is not None:
            raise InputError(
                f"The Iceberg table's data file {_inside(path, folder)} lacks column "
                f"{field.name}, whose values are kept in the metadata, so it cannot be read "
                "in place.", file=str(folder), fix=fix, app_fix=app_fix)


def _inside(path: Path, folder: Path) -> str:
    """``path`` relative to the table's folder when inside it."""
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)


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

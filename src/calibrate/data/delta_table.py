"""A Delta Lake table folder's current version, as Arrow, read with ``deltalake``
(delta-rs): only the files its log names now, deletion vectors applied.

A damaged log, a log naming missing files or a table needing reader features the library
lacks is a message naming the folder, what is wrong and the fix.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from calibrate.data.table_formats import (
    AGAIN_IN_APP,
    DELTA,
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
               "short leaves its log or files incomplete), or write the table again.")


def delta_snapshot(folder: Path) -> tuple[Any, dict[str, Any]]:
    """The rows of the table's current version (a pyarrow dataset, or a record batch
    reader when deletion vectors or column mapping need delta-rs's own engine), and
    ``{"version": N}``."""
    import pyarrow as pa
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError, DeltaProtocolError, TableNotFoundError

    try:
        table = DeltaTable(folder)
    except TableNotFoundError:
        raise InputError("The folder's _delta_log holds no commits: it is not a complete "
                         "Delta table.", file=str(folder), fix=_COPY_AGAIN) from None
    except (DeltaError, OSError, ValueError) as exc:
        raise _log_error(folder, exc) from None
    _check_files(folder, table.file_uris())
    try:
        if _column_mapping(table):  # the dataset would read the logical names: all NULL
            raise DeltaProtocolError("column mapping")
        data = table.to_pyarrow_dataset()  # files in log order: the same rows, same order
    except DeltaProtocolError:
        # Deletion vectors, column mapping or a newer reader feature: delta-rs's own engine
        # applies them (as a stream, in no set order).
        try:
            data = pa.RecordBatchReader.from_stream(table.scan())
        except DeltaProtocolError as exc:
            raise InputError(f"The Delta table needs a reader feature this version of "
                             f"calibrate cannot read: {first_line(exc)}", file=str(folder),
                             fix="Upgrade the deltalake package, or write the table again "
                                 "without that feature.") from None
        except (DeltaError, OSError, ValueError) as exc:
            raise _log_error(folder, exc) from None
    except (DeltaError, OSError, ValueError) as exc:
        raise _log_error(folder, exc) from None
    return data, {"version": table.version()}


def _log_error(folder: Path, exc: BaseException) -> InputError:
    """A log that cannot be read: the damaged commit file named when one is found."""
    bad = damaged_commit(folder / "_delta_log")
    if bad is not None:
        name, line = bad
        return InputError(f"The Delta table's log is damaged: _delta_log/{name} is not valid "
                          f"JSON (line {line}).", file=str(folder), fix=_COPY_AGAIN)
    return InputError(f"The Delta table's log cannot be read: {first_line(exc)}",
                      file=str(folder), fix=_COPY_AGAIN)


def damaged_commit(log: Path) -> tuple[str, int] | None:
    """The first commit file of a Delta log that is not one JSON action a line, and the
    line: a log cut short by a copy, or overwritten."""
    for commit in sorted(log.glob("*.json")):
        try:
            lines = commit.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeError):
            return commit.name, 1
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                if not isinstance(json.loads(line), dict):
                    return commit.name, number
            except ValueError:
                return commit.name, number
    return None


def _check_files(folder: Path, uris: list[str]) -> None:
    """Every file the log names is in the folder (a missing one would fail the read half
    way, a remote one would be read from elsewhere)."""
    remote, missing = sort_files(folder, uris, inside_only=False)
    if remote:
        raise InputError(f"The Delta table's log names files kept elsewhere ({remote[0]}"
                         f"{more(remote, 1)}).", file=str(folder),
                         fix="Copy the table with its files (a deep clone), or load it where "
                             "its files are.")
    if missing:
        shown = ", ".join(missing[:3])
        raise InputError(f"The Delta table's log names data files that are missing: {shown}"
                         f"{more(missing)}.", file=str(folder),
                         fix=_COPY_AGAIN + " If the files are truly lost, repair the log "
                             "(FSCK REPAIR TABLE in Spark, DeltaTable.repair() in deltalake); "
                             "their rows are then gone from the table.")


#: Reader features whose tables' current rows are still their files' rows (deletion
#: vectors are checked file by file; ``variantType`` only refused with a variant column).
_FILES_ALONE = frozenset({"deletionVectors", "timestampNtz", "v2Checkpoint",
                          "vacuumProtocolCheck", "variantType", "appendOnly", "invariants",
                          "checkConstraints", "generatedColumns", "identityColumns",
                          "domainMetadata", "rowTracking", "inCommitTimestamp"})


def delta_files(folder: Path, version: int | None = None) -> TableFiles:
    """The data files of the table's current version (or of ``version``, a version read
    before), for reading them in place; an :class:`InputError` when its rows are not those
    files' rows (deletion vectors, column mapping, another reader feature) or a version
    read before can no longer be read."""
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError, TableNotFoundError

    try:
        table = DeltaTable(folder, version=version)
    except (DeltaError, OSError, ValueError) as exc:
        if version is not None:  # TableNotFoundError too: the log is gone since
            raise InputError(
                f"Version {version} of the Delta table, loaded in place, can no longer be "
                f"read: its log has been cleaned up or damaged since ({first_line(exc)}).",
                file=str(folder), fix=again_in_place(folder), app_fix=AGAIN_IN_APP) from None
        if isinstance(exc, TableNotFoundError):
            raise InputError("The folder's _delta_log holds no commits: it is not a complete "
                             "Delta table.", file=str(folder), fix=_COPY_AGAIN) from None
        raise _log_error(folder, exc) from None
    fix, app_fix = read_in_place_fix(DELTA, folder)
    protocol = table.protocol()
    if _column_mapping(table):
        raise InputError("The Delta table uses column mapping: its Parquet files name the "
                         "columns otherwise, so it cannot be read in place.",
                         file=str(folder), fix=fix, app_fix=app_fix)
    other = sorted(set(protocol.reader_features or []) - _FILES_ALONE)
    if other:
        raise InputError(f"The Delta table uses the reader feature {', '.join(other)}: its "
                         "Parquet files alone are not its rows, so it cannot be read in "
                         "place.", file=str(folder), fix=fix, app_fix=app_fix)
    if "deletionVectors" in (protocol.reader_features or []) and _has_deletion_vectors(table):
        raise InputError(
            "The Delta table has deletion vectors (rows deleted but left in their Parquet "
            "files), so it cannot be read in place: its files would bring the deleted rows "
            "back.", file=str(folder),
            fix="Rewrite its files without them (REORG TABLE <table> APPLY (PURGE) in Spark "
                "or Databricks), then load it in place again; or " + fix[0].lower() + fix[1:],
            app_fix=app_fix)
    fields = table.schema().fields
    variant = [f.name for f in fields if "variant" in str(f.type).lower()]
    if variant:
        raise InputError(f"The Delta table's column {variant[0]} is a variant, which cannot "
                         "be read in place.", file=str(folder), fix=fix, app_fix=app_fix)
    uris = table.file_uris()
    _check_files(folder, uris)
    files, columns, values = _files_and_values(folder, table)
    if {p.resolve() for p in files} != {Path(str(local_path(u))).resolve() for u in uris}:
        raise InputError("The Delta table's log lists its files in two ways that differ, so "
                         "it cannot be read in place.", file=str(folder),
                         fix=fix, app_fix=app_fix)
    return TableFiles(DELTA, table.version(), files, columns, values)


def _column_mapping(table: Any) -> bool:
    """Whether the table maps its columns to other names in its files (by a reader feature,
    or by the table property alone, as reader version 2 does)."""
    mode = table.metadata().configuration.get("delta.columnMapping.mode", "none")
    return ("columnMapping" in (table.protocol().reader_features or [])
            or mode.strip().lower() != "none")


def _has_deletion_vectors(table: Any) -> bool:
    """Whether a file of the version has a deletion vector (the table allowing them is not
    enough: a purged table has none)."""
    import pyarrow as pa

    reader = pa.RecordBatchReader.from_stream(table.deletion_vectors())
    return any(batch.num_rows for batch in reader)


def _files_and_values(folder: Path, table: Any
                      ) -> tuple[tuple[Path, ...], tuple[tuple[str, str | None], ...],
                                 dict[str, tuple[str | None, ...]]]:
    """The version's files (as the log lists them), its columns with DuckDB's types and each
    file's partition values (kept in the log, not in the files) as text DuckDB casts."""
    import pyarrow as pa

    fix, app_fix = read_in_place_fix(DELTA, folder)
    fields = table.schema().fields
    columns = tuple((f.name, duck_type(DELTA, str(getattr(f.type, "type", "")))) for f in fields)
    types = dict(columns)
    partitioned = list(table.metadata().partition_columns)
    for name in partitioned:
        if types.get(name) in (None, "BLOB"):
            raise InputError(f"The Delta table is partitioned by {name}, a column of a type "
                             "in place cannot read from its log.", file=str(folder), fix=fix,
                             app_fix=app_fix)
    actions = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    files = tuple(_local(folder, a["path"]) for a in actions)
    values = {name: tuple(_text(a.get(f"partition.{name}")) for a in actions)
              for name in partitioned}
    return files, columns, values


def _local(folder: Path, path: str) -> Path:
    """The local file an add action's path (relative and percent-encoded, or a URI) names."""
    local = local_path(path)
    if local is None or not local.is_absolute():
        return folder / unquote(path)
    return Path(unquote(str(local)))


def _text(value: Any) -> str | None:
    """A partition value as text DuckDB casts to the column's type."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):  # a date, or a datetime with its offset if it has one
        return value.isoformat()
    return str(value)

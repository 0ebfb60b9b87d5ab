"""A Delta Lake table folder's current version, as Arrow, read with ``deltalake``
(delta-rs): only the files its log names now, deletion vectors applied.

A damaged log, a log naming missing files or a table needing reader features the library
lacks is a message naming the folder, what is wrong and the fix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from calibrate.data.table_formats import first_line, more, sort_files
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


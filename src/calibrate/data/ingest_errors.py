"""Any other error while a file is read or loaded, as a message and never a traceback: a
full disk is said as such, with what it did to the database file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from calibrate.data.csv_failures import csv_error
from calibrate.data.store import db_file
from calibrate.errors import (
    CalibrateError,
    DiskFullError,
    InputError,
    disk_full_error,
    is_disk_full,
    size_text,
)


@contextmanager
def duckdb_errors(path: Path, con: duckdb.DuckDBPyConnection | None = None
                   ) -> Iterator[None]:
    """Any other DuckDB error while reading a file becomes a message, never a traceback.

    With ``con`` (an ingest into the store), a full disk is said as such, with what it
    did to the database file."""
    db = db_file(con) if con is not None else None
    before = _stored_size(db)
    try:
        yield
    except DiskFullError as exc:
        raise _disk_full(exc, path, db, before) from None
    except CalibrateError:
        raise
    except (duckdb.Error, UnicodeError, OSError) as exc:
        if is_disk_full(exc):
            raise _disk_full(exc, path, db, before) from None
        raise _read_error(path, exc) from None


def _stored_size(db: Path | None) -> int:
    """Bytes of the database file and its journal (``.wal``)."""
    if db is None:
        return 0
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + ".wal")) if p.exists())


def _disk_full(exc: BaseException, path: Path, db: Path | None, before: int) -> DiskFullError:
    """A full disk during an ingest: nothing was loaded; say if the file grew meanwhile."""
    outcome = f"Nothing was loaded from {path.name}: the stored leads are as they were."
    after = _stored_size(db)
    if db is not None and after > before:
        outcome += (f" The database file and its journal grew from {size_text(before)} to "
                    f"{size_text(after)} during the attempt (DuckDB reuses that space for "
                    "the next load).")
    err = disk_full_error(exc, db or path, outcome=outcome,
                          where=getattr(exc, "written", None),
                          fix="Free space on that disk (or point --db / CALIBRATE_DB at a "
                              "disk with room), then load the file again.",
                          app_fix="Ask whoever runs calibrate to free space on that disk, "
                                  "then load the file again.")
    if err.invalidated:
        err.fix += " Open the database again (restart the app) once there is room."
        err.app_fix += " The app opens the database again once there is room."
    return err


def _read_error(path: Path, exc: BaseException) -> CalibrateError:
    if isinstance(exc, duckdb.OutOfMemoryException):
        return InputError("The file is too large to load with the memory available.",
                          file=str(path),
                          fix="Free memory (close other programs), or split the file and "
                              "load the parts one after another (without --replace).",
                          app_fix="Split the file and load the parts one after another "
                                  "(the second and later with 'Append to the leads already "
                                  "loaded (same columns)' ticked), or ask whoever runs "
                                  "calibrate to free memory on the server.")
    if isinstance(exc, duckdb.Error):
        return csv_error(path, exc)
    return InputError(f"The file could not be read: {exc}", file=str(path),
                      fix="Check that it is a CSV, Parquet or XLSX export of leads.")

"""Backups of the store: a consistent copy made by DuckDB, and a safe way back.

``backup`` copies every table and sequence into a new DuckDB file with ``COPY FROM
DATABASE`` (consistent even while the app is open in this process), written under a
temporary name and renamed into place once complete: a full disk leaves no half backup.

``restore`` checks that the backup is a calibrate database that reads to its last block,
copies it to a temporary file beside the database, checks the copy, and only then renames
it over the database. The replaced file is kept beside it (``*.before-restore-<time>``,
never deleted); until the rename the database is exactly as it was, so a full disk or an
interruption cannot leave half a database in its place. A database that cannot be opened
(damaged) can be replaced; one that another process holds cannot.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from calibrate.data import store
from calibrate.errors import (
    CalibrateError,
    DatabaseError,
    DatabaseInUseError,
    disk_full_error,
    free_space,
    is_disk_full,
    is_read_only,
    size_text,
)
from calibrate.sql import literal, quote


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _remove(*paths: Path) -> None:
    for p in paths:
        for f in (p, _wal(p)):
            try:
                f.unlink(missing_ok=True)
            except OSError:
                pass


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temporary(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{kind}-{os.getpid()}")


def backup(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str]) -> Path:
    """Write a consistent copy of the open database to ``out`` (a new file).

    ``con`` may be read-only. The copy is written to a temporary file beside ``out`` and
    renamed once complete; on any failure nothing is left at ``out``, so a retry works.
    """
    target = Path(out)
    if target.exists():
        raise DatabaseError("The backup file already exists.", file=str(target),
                            fix="Choose a new file name; backups never overwrite.")
    part = _temporary(target, "partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove(part)
    except OSError as exc:
        raise _write_error(exc, target, "No backup was written.") from None
    name = con.execute("SELECT current_database()").fetchone()[0]
    target_sql = literal(str(part))
    detached: duckdb.Error | None = None
    try:
        with store.WRITE_LOCK:  # the copy starts between in-process writes, never inside one
            con.execute(f"ATTACH {target_sql} AS calibrate_backup (READ_WRITE)")
            try:
                con.execute(f"COPY FROM DATABASE {quote(name)} TO calibrate_backup")
            finally:
                try:
                    con.execute("DETACH calibrate_backup")  # writes the copy out in full
                except duckdb.Error as exc:
                    detached = exc
        if _wal(part).exists():  # the copy was not written out in full (DETACH failed)
            if detached is not None and is_disk_full(detached):
                raise detached
            raise OSError(f"the backup's journal {_wal(part)} was left behind")
        with open(part, "rb+") as f:
            os.fsync(f.fileno())
        _install_new(part, target)
    except (duckdb.Error, OSError) as exc:
        _remove(part)
        raise _write_error(exc, target, "No backup was written (nothing is left at that "
                                        "path, so the same command can be run again).") \
            from None
    except BaseException:
        _remove(part)
        raise
    _sync_folder(target.parent)
    return target


def _install_new(part: Path, target: Path) -> None:
    """Put a complete file at ``target``, which must not exist (a hard link refuses to
    replace a file; a plain rename is the fallback where links are not supported)."""
    try:
        os.link(part, target)
    except FileExistsError:
        raise DatabaseError("The backup file already exists.", file=str(target),
                            fix="Choose a new file name; backups never overwrite.") from None
    except OSError:
        if target.exists():
            raise DatabaseError("The backup file already exists.", file=str(target),
                                fix="Choose a new file name; backups never overwrite.") \
                from None
        os.rename(part, target)
    else:
        part.unlink()


def _write_error(exc: BaseException, target: Path, outcome: str) -> CalibrateError:
    if is_disk_full(exc):
        return disk_full_error(exc, target, outcome=outcome, where=str(target),
                               fix="Free space on that disk, or write the backup to another "
                                   "disk with --out, then run the command again.")
    if is_read_only(exc):
        return DatabaseError(f"The backup cannot be written there: the folder is read-only. "
                             f"{outcome}", file=str(target),
                             fix="Write it to a folder you may write to: calibrate backup "
                                 "--out FILE.")
    if isinstance(exc, CalibrateError):
        return exc
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return DatabaseError(f"The backup could not be written: {first}. {outcome}",
                         file=str(target), fix="Check the path given to --out.")


@dataclass(frozen=True)
class Restored:
    """What a restore did: the database now in place, and where the replaced file is."""

    target: Path
    kept: Path | None  # the replaced database, beside it (None when there was none)
    leads: int
    scenarios: int
    replaced_damaged: bool = False

    def summary(self, source: str | os.PathLike[str]) -> str:
        text = (f"Restored {source} into {self.target} ({self.leads:,} leads, "
                f"{self.scenarios:,} scenario rows).")
        if self.kept is not None:
            what = "damaged database" if self.replaced_damaged else "database"
            text += (f"\nThe {what} it replaced is kept as {self.kept}; to go back to it: "
                     f"calibrate restore {store.shell_quote(str(self.kept))} --db "
                     f"{store.shell_quote(str(self.target))}")
        return text


def check_backup(path: Path) -> tuple[int, int]:
    """Check that ``path`` is a calibrate database this calibrate reads, to its last block:
    (leads, scenario rows), or a :class:`DatabaseError` saying what it is instead."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        text = str(exc)
        if store.is_lock_error(exc):
            raise DatabaseInUseError(
                "The backup file is in use by another process.", file=str(path),
                fix="Close the program holding it, or restore another copy.") from None
        raise DatabaseError(
            f"The backup file is not a readable DuckDB database: {text.splitlines()[0]}",
            file=str(path), fix="Choose another backup (calibrate backup writes them to "
                                "backups/ beside the database).") from None
    try:
        try:
            found = store.schema_version(con, path)  # refuses other programs' databases
        except DatabaseError as exc:
            if "newer calibrate" in exc.what:
                raise
            raise DatabaseError(exc.what, file=str(path),
                                fix="Choose a backup written by calibrate backup (in "
                                    "backups/ beside the database by default).") from None
        if found < store.SCHEMA_VERSION:
            tables = set(store._tables(con))
            missing = sorted({"meta", "ingests", "columns", "fits", "scenarios"} - tables)
            if missing:
                raise DatabaseError(
                    "The file is not a calibrate database (it lacks "
                    f"{', '.join(missing)}).", file=str(path),
                    fix="Choose a backup written by calibrate backup.")
        # Every block of every table is read (and checksummed): a truncated or damaged
        # copy opens and counts its rows, and fails only here.
        for table in store._tables(con):
            con.execute(f"SELECT max(hash(COLUMNS(*))) FROM {quote(table)}").fetchall()
        leads = int(con.execute("SELECT count(*) FROM leads").fetchone()[0]) \
            if store.table_exists(con, "leads") else 0
        scenarios = int(con.execute("SELECT count(*) FROM scenarios").fetchone()[0])
    except duckdb.Error as exc:
        raise DatabaseError(
            f"The backup file is damaged: {str(exc).splitlines()[0]}", file=str(path),
            fix="Choose another backup; this one cannot be read to its end (a copy cut "
                "short, or a damaged disk).") from None
    finally:
        con.close()
    return leads, scenarios


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _probe_target(target: Path) -> bool:
    """Whether the current database opens (``False``: damaged, which restore may replace).
    Raises :class:`DatabaseInUseError` when another process (or this one) holds it."""
    try:
        con = duckdb.connect(str(target), read_only=True)
    except duckdb.Error as exc:
        if store.is_lock_error(exc):
            raise DatabaseInUseError(
                "The database is in use by another process: it cannot be replaced now.",
                file=str(target),
                fix="Close the calibrate app or command using it, then restore again.") \
                from None
        return False
    try:
        con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
        return True
    except duckdb.Error:
        return False
    finally:
        try:
            con.close()
        except duckdb.Error:
            pass


def restore(backup_file: str | os.PathLike[str], db: str | os.PathLike[str] | None = None
            ) -> Restored:
    """Replace the database with a backup, atomically; the current file is kept beside
    it as ``*.before-restore-<time>``."""
    source = Path(backup_file)
    target = store.resolve_db(db)
    if not source.is_file():
        raise DatabaseError(
            "The backup file does not exist." if not source.exists() else
            "The backup path is a folder, not a file.", file=str(source),
            fix="Check the path; backups are in data/backups/ by default.")
    if _same_file(source, target):
        raise DatabaseError(
            "The backup file is the database itself: there is nothing to restore, and "
            "nothing was changed.", file=str(target),
            fix="Name a backup (data/backups/ by default), or the database to replace with "
                "--db.")
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _restore_error(exc, target) from None
    if not os.access(folder, os.W_OK):
        raise store.read_only_error(target, f"The database's folder is read-only: {folder}")
    leads, scenarios = check_backup(source)
    healthy = _probe_target(target) if target.exists() else True

    needed = source.stat().st_size + (_wal(source).stat().st_size
                                      if _wal(source).exists() else 0)
    free = free_space(folder)
    if free is not None and free < needed:
        raise disk_full_error(
            None, target, outcome=f"The restore needs {size_text(needed)} for the copy; "
                                  "nothing was changed: the database is as it was.",
            fix="Free space on that disk, then restore again.")
    part = _temporary(target, "restoring")
    try:
        _remove(part)
        shutil.copyfile(source, part)
        if _wal(source).exists():  # a journal not yet written into the file: merge it
            shutil.copyfile(_wal(source), _wal(part))
            merged = duckdb.connect(str(part))
            merged.execute("CHECKPOINT")
            merged.close()
        with open(part, "rb+") as f:
            os.fsync(f.fileno())
        check_backup(part)  # what goes in place is what was checked
        kept = _swap(part, target)
    except (OSError, duckdb.Error) as exc:
        _remove(part)
        raise _restore_error(exc, target) from None
    except BaseException:
        _remove(part)
        raise
    _sync_folder(folder)
    return Restored(target, kept, leads, scenarios, replaced_damaged=not healthy)


def _swap(part: Path, target: Path) -> Path | None:
    """Rename ``part`` over ``target``, keeping the current file (and its journal) beside
    as ``*.before-restore-<time>``. Until the last rename, ``target`` is the old file."""
    if not target.exists():
        if _wal(target).exists():  # a journal without its database belongs to no one
            os.rename(_wal(target), target.with_name(
                f"{target.name}.wal.before-restore-{datetime.now():%Y%m%d-%H%M%S}"))
        os.replace(part, target)
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = target.with_name(f"{target.name}.before-restore-{stamp}")
    n = 1
    while kept.exists() or _wal(kept).exists():
        n += 1
        kept = target.with_name(f"{target.name}.before-restore-{stamp}-{n}")
    try:
        os.link(target, kept)  # a second name: the database stays in place meanwhile
        linked = True
    except OSError:
        linked = False
    if _wal(target).exists():  # the old journal must not be applied to the new file
        os.rename(_wal(target), _wal(kept))
    if linked:
        os.replace(part, target)
        return kept
    os.rename(target, kept)
    try:
        os.rename(part, target)
    except OSError:
        os.rename(kept, target)  # put it back
        if _wal(kept).exists():
            os.rename(_wal(kept), _wal(target))
        raise
    return kept


def _restore_error(exc: BaseException, target: Path) -> CalibrateError:
    outcome = "Nothing was changed: the database is as it was."
    if is_disk_full(exc):
        return disk_full_error(exc, target, outcome=outcome, where=str(target),
                               fix="Free space on that disk, then restore again.")
    if is_read_only(exc):
        return store.read_only_error(target, f"The database's folder cannot be written: "
                                             f"{target.parent}")
    if isinstance(exc, CalibrateError):
        return exc
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return DatabaseError(f"The restore failed: {first}. {outcome}", file=str(target),
                         fix="Check the paths and try again.")

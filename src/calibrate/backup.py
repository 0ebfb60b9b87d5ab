"""Backups of the store: a consistent copy made by DuckDB, and a safe way back.

``backup`` copies every table and sequence into a new DuckDB file with ``COPY FROM
DATABASE`` (consistent even while the app is open in this process); ``restore`` checks the
backup opens as a calibrate database, moves the current file aside (never deleting it),
and puts the backup in its place.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from calibrate import store
from calibrate.errors import DatabaseError


def default_backup_path(db: Path) -> Path:
    """``data/backups/<name>-YYYYmmdd-HHMMSS.duckdb`` beside the database."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return db.parent / "backups" / f"{db.stem}-{stamp}.duckdb"


def backup(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str]) -> Path:
    """Write a consistent copy of the open database to ``out`` (a new file)."""
    target = Path(out)
    if target.exists():
        raise DatabaseError("The backup file already exists.", file=str(target),
                            fix="Choose a new file name; backups never overwrite.")
    target.parent.mkdir(parents=True, exist_ok=True)
    name = con.execute("SELECT current_database()").fetchone()[0]
    literal = "'" + str(target).replace("'", "''") + "'"
    with store.WRITE_LOCK:  # the copy starts between in-process writes, never inside one
        con.execute(f"ATTACH {literal} AS calibrate_backup")
        try:
            con.execute(f"COPY FROM DATABASE {store.quote(name)} TO calibrate_backup")
        finally:
            con.execute("DETACH calibrate_backup")
    return target


def restore(backup_file: str | os.PathLike[str], db: str | os.PathLike[str] | None = None
            ) -> Path:
    """Replace the database with a backup; the current file is kept as ``*.before-restore``."""
    source = Path(backup_file)
    target = store.resolve_db(db)
    if not source.exists():
        raise DatabaseError("The backup file does not exist.", file=str(source),
                            fix="Check the path; backups are in data/backups/ by default.")
    check = store.connect(source)  # raises a clear DatabaseError if it is not usable
    check.close()
    if target.exists():
        probe = store.connect(target)  # raises DatabaseInUseError if another process has it
        probe.close()
        aside = target.with_name(
            f"{target.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}")
        shutil.move(target, aside)
        wal = target.with_name(target.name + ".wal")
        if wal.exists():
            shutil.move(wal, aside.with_name(aside.name + ".wal"))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return target

"""The embedded DuckDB store: where the file lives, its schema, and safe writes.

One DuckDB file holds everything calibrate remembers: the leads, the role of each column,
the fits, and the append-only scenarios. DuckDB allows one writer process per file, so a
process opens one connection and serialises its writes behind :data:`WRITE_LOCK`; another
process holding the file is reported as :class:`DatabaseInUseError`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from calibrate.errors import DatabaseError, DatabaseInUseError

DEFAULT_DB = Path("data/calibrate.duckdb")
ENV_DB = "CALIBRATE_DB"
SCHEMA_VERSION = 1

#: Serialises writes from the threads of one process (Streamlit sessions share a process).
WRITE_LOCK = threading.RLock()
#: The table an ingest stages its cleaned rows in (see :mod:`calibrate.ingest`).
STAGING = "_calibrate_new"

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE SEQUENCE IF NOT EXISTS ingest_id_seq START 1",
    """CREATE TABLE IF NOT EXISTS ingests (
        id BIGINT PRIMARY KEY, loaded_at TIMESTAMP, file VARCHAR, rows BIGINT,
        mode VARCHAR, report JSON)""",
    """CREATE TABLE IF NOT EXISTS columns (
        name VARCHAR PRIMARY KEY, source_name VARCHAR, role VARCHAR, type VARCHAR,
        position INTEGER, reason VARCHAR)""",
    "CREATE SEQUENCE IF NOT EXISTS fit_id_seq START 1",
    """CREATE TABLE IF NOT EXISTS fits (
        id BIGINT PRIMARY KEY, created_at TIMESTAMP, data_version BIGINT,
        options JSON, weights JSON)""",
    "CREATE SEQUENCE IF NOT EXISTS scenario_id_seq START 1",
    """CREATE TABLE IF NOT EXISTS scenarios (
        id BIGINT PRIMARY KEY, created_at TIMESTAMP, name VARCHAR, author VARCHAR,
        note VARCHAR, kind VARCHAR, payload JSON)""",
]


def resolve_db(path: str | os.PathLike[str] | None = None) -> Path:
    """The database path: the argument, else ``$CALIBRATE_DB``, else ``data/calibrate.duckdb``."""
    if path:
        return Path(path)
    env = os.environ.get(ENV_DB)
    return Path(env) if env else DEFAULT_DB


def connect(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store and make sure its schema is current."""
    db = resolve_db(path)
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db))
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise DatabaseInUseError(
                "The database is in use by another process.",
                file=str(db),
                fix="Close the other calibrate app or command using this file, or point this "
                "one at another file with --db / CALIBRATE_DB.",
            ) from None
        raise DatabaseError(
            f"The database file cannot be opened: {text.splitlines()[0]}",
            file=str(db),
            fix="Restore it from a backup (calibrate restore) or move it aside to start fresh.",
        ) from None
    except duckdb.Error as exc:
        raise DatabaseError(
            f"The file is not a readable calibrate database: {str(exc).splitlines()[0]}",
            file=str(db),
            fix="Check the path; restore from a backup (calibrate restore) or move it aside.",
        ) from None
    _migrate(con, db)
    _drop_staging(con)
    return con


def _drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the rows of an ingest cut off between staging and swapping them in."""
    if table_exists(con, STAGING):
        with WRITE_LOCK:
            con.execute(f"DROP TABLE IF EXISTS {STAGING}")


def _migrate(con: duckdb.DuckDBPyConnection, db: Path) -> None:
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()[0]
    if has_meta:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        found = int(row[0]) if row else 0
        if found > SCHEMA_VERSION:
            con.close()
            raise DatabaseError(
                f"The database was written by a newer calibrate (schema {found}, this one "
                f"understands up to {SCHEMA_VERSION}).",
                file=str(db),
                fix="Upgrade calibrate (pip install -U calibrate), or use another --db file.",
            )
        if found == SCHEMA_VERSION:
            return
        if found:
            backup_before_migration(con, db, found)
    with WRITE_LOCK:
        con.execute("BEGIN")
        try:
            for stmt in _SCHEMA:
                con.execute(stmt)
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def backup_before_migration(con: duckdb.DuckDBPyConnection, db: Path, found: int) -> Path:
    """Copy the file aside before changing its schema, so there is always a way back."""
    import shutil
    from datetime import datetime

    con.execute("CHECKPOINT")
    target = db.parent / "backups" / (
        f"{db.stem}-schema{found}-{datetime.now():%Y%m%d-%H%M%S}{db.suffix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(db, target)
    return target


@contextmanager
def transaction(
    con: duckdb.DuckDBPyConnection, *, own_cursor: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write transaction, serialised within the process.

    Everything inside commits together or not at all, so a failed ingest or save leaves
    the database exactly as it was. By default it runs on a fresh cursor (thread-safe);
    ``own_cursor=False`` runs on ``con`` itself, to see its temporary tables.
    """
    with WRITE_LOCK:
        cur = con.cursor() if own_cursor else con
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            if own_cursor:
                cur.close()


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table of that name exists in the main schema."""
    # fetchall, not fetchone: a result left open blocks con.register() on the connection.
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_name = ?",
            [name],
        ).fetchall()[0][0]
    )


def quote(name: str) -> str:
    """A DuckDB identifier, safely quoted (user column names never reach SQL raw)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class ColumnInfo:
    """What one column of the ``leads`` table is: its role and its type."""

    name: str
    source_name: str
    role: str
    type: str
    reason: str = ""


def read_columns(con: duckdb.DuckDBPyConnection) -> list[ColumnInfo]:
    """The column-role mapping of the loaded leads, in file order."""
    rows = con.execute(
        "SELECT name, source_name, role, type, reason FROM columns ORDER BY position"
    ).fetchall()
    return [ColumnInfo(*r) for r in rows]


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """The id of the latest successful ingest (0 when empty): the key for every cache."""
    row = con.execute("SELECT coalesce(max(id), 0) FROM ingests").fetchone()
    return int(row[0])


def last_load(con: duckdb.DuckDBPyConnection) -> tuple[str, Any, str | None] | None:
    """(file, loaded_at, issues report JSON) of the latest file load; role edits are not
    loads. ``None`` before the first load."""
    row = con.execute("SELECT file, loaded_at, report FROM ingests WHERE mode <> 'roles' "
                      "ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else (row[0], row[1], row[2])


def lead_count(con: duckdb.DuckDBPyConnection) -> int:
    """Number of leads stored (0 when nothing is loaded)."""
    if not table_exists(con, "leads"):
        return 0
    return int(con.execute("SELECT count(*) FROM leads").fetchone()[0])


def to_json(value: Any) -> str:
    """JSON text for the store's JSON columns (dates and numpy numbers included)."""
    return json.dumps(value, default=_json_default)


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def store_columns(con: duckdb.DuckDBPyConnection, columns: list[Any]) -> None:
    """Replace the column-role mapping (inside the caller's transaction)."""
    con.execute("DELETE FROM columns")
    for i, c in enumerate(columns):
        con.execute(
            "INSERT INTO columns VALUES (?, ?, ?, ?, ?, ?)",
            [c.name, c.source_name, c.role, c.type, i, c.reason],
        )

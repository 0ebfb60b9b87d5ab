"""The embedded DuckDB store: where the file lives, its schema, and safe writes.

One DuckDB file holds everything calibrate remembers: the leads, the role of each column,
the fits, and the append-only scenarios; and, so that a restart need not count them again,
the count grid of the weights in force (a cache, rebuilt whenever it is missing). DuckDB
allows one writer process per file, so a process opens one connection and serialises its
writes behind :data:`WRITE_LOCK`; another process holding the file is reported as
:class:`DatabaseInUseError`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from calibrate.errors import (
    CalibrateError,
    DatabaseError,
    DatabaseInUseError,
    DatabaseReadOnlyError,
    disk_full_error,
    is_disk_full,
    is_read_only,
)
from calibrate.sql import quote

DEFAULT_DB = Path("data/calibrate.duckdb")
ENV_DB = "CALIBRATE_DB"
SCHEMA_VERSION = 2
#: Schemas this calibrate reads without upgrading them (a read-only store is not upgraded):
#: schema 1 lacks only the kept count grids of schema 2, which are a cache.
READABLE_SCHEMAS = frozenset({1, 2})

#: Serialises writes from the threads of one process (Streamlit sessions share a process).
WRITE_LOCK = threading.RLock()
#: The table an ingest stages its cleaned rows in (see :mod:`calibrate.data.ingest`).
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
    # Schema 2: the count grid of the weights in force, kept so that a restart reads it
    # instead of scoring every lead (calibrate.decide.grid.store_grid); one row in grids
    # per grid, its counts in grid_cells.
    "CREATE SEQUENCE IF NOT EXISTS grid_id_seq START 1",
    """CREATE TABLE IF NOT EXISTS grids (
        id BIGINT PRIMARY KEY, created_at TIMESTAMP, data_version BIGINT, weights_id BIGINT,
        fingerprint VARCHAR, format INTEGER, rows BIGINT)""",
    """CREATE TABLE IF NOT EXISTS grid_cells (
        grid_id BIGINT, profile_points INTEGER, behavior_points INTEGER, total INTEGER,
        rule_class VARCHAR, outcome VARCHAR, month DATE, segment VARCHAR, leads BIGINT,
        amount_sum DOUBLE, amount_n BIGINT)""",
]


def resolve_db(path: str | os.PathLike[str] | None = None) -> Path:
    """The database path: the argument, else ``$CALIBRATE_DB``, else ``data/calibrate.duckdb``."""
    if path:
        return Path(path)
    env = os.environ.get(ENV_DB)
    return Path(env) if env else DEFAULT_DB


def connect(path: str | os.PathLike[str] | None = None, *, read_only: bool = False
            ) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store and make sure its schema is current.

    ``read_only=True`` is for commands that only read (export, backup, scenario list and
    compare): the file is opened with DuckDB's ``read_only`` (it works on a read-only file
    or folder, and changes nothing); a database that does not exist yet reads as an empty
    one, held in memory, and no file is created.
    """
    db = resolve_db(path)
    if read_only:
        return _connect_read_only(db)
    _check_writable(db)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, db) or exc from None
    try:
        con = duckdb.connect(str(db))
    except duckdb.Error as exc:
        raise _open_error(exc, db) from None
    try:
        _migrate(con, db)
        _drop_staging(con)
    except duckdb.Error as exc:
        con.close()
        raise storage_error(exc, db) or _open_error(exc, db) from None
    return con


def connect_memory() -> duckdb.DuckDBPyConnection:
    """An empty store held in memory (a notebook's workbench, scoring a file of new
    leads): the same schema as a file, gone when closed."""
    con = duckdb.connect(":memory:")
    for stmt in _SCHEMA:
        con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    return con


def leads_in_memory(con: duckdb.DuckDBPyConnection, where: str,
                    roles: tuple[str, ...] | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory store holding the leads that ``where`` (trusted SQL) selects, streamed
    as Arrow batches, with their column roles; only the columns of ``roles`` when given.
    The fit reads the table ``leads``, so a fit on some leads (a recent period, the months
    before a cut) runs on this store unchanged."""
    cols = [c.name for c in read_columns(con) if roles is None or c.role in roles]
    mem = connect_memory()
    src = con.cursor()
    try:
        chosen = ", ".join(quote(c) for c in cols) if roles is not None else "*"
        mem.register("_some", src.sql(f"SELECT {chosen} FROM leads WHERE {where}")
                     .to_arrow_reader())
        mem.execute("CREATE TABLE leads AS SELECT * FROM _some")
        mem.unregister("_some")
        mem.register("_roles", src.sql("SELECT * FROM columns").to_arrow_table())
        mem.execute("INSERT INTO columns SELECT * FROM _roles WHERE name IN "
                    "(SELECT unnest(?::VARCHAR[]))", [cols])
        mem.unregister("_roles")
    except BaseException:
        mem.close()
        raise
    finally:
        src.close()
    return mem


def _connect_read_only(db: Path) -> duckdb.DuckDBPyConnection:
    if not db.exists():
        return connect_memory()
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise _open_error(exc, db) from None
    try:
        found = schema_version(con, db)
    except BaseException:
        con.close()
        raise
    if found not in READABLE_SCHEMAS:  # older: migrating writes, which this command does not
        con.close()
        raise DatabaseError(
            f"The database was written by an older calibrate (schema {found}; this one reads "
            f"schema {SCHEMA_VERSION}), and upgrading it needs to write to it.",
            file=str(db),
            fix="Run a command that saves (calibrate fit --db FILE) once where the file is "
                "writable; calibrate copies it to backups/ before upgrading it.")
    return con


def _check_writable(db: Path) -> None:
    """A database calibrate must write to, in a folder it must write to (DuckDB keeps its
    journal, ``<file>.wal``, beside the file): say so before DuckDB fails halfway."""
    folder = next((p for p in (db.parent, *db.parent.parents) if p.exists()), None)
    if db.exists() and not os.access(db, os.W_OK):
        raise read_only_error(db, f"The database file is read-only: {db}")
    if folder is not None and folder.is_dir() and not os.access(folder, os.W_OK):
        raise read_only_error(
            db, f"The database's folder is read-only: {folder} (DuckDB writes its journal, "
                f"{db.name}.wal, beside the file)")


def read_only_error(db: Path, what: str) -> DatabaseReadOnlyError:
    return DatabaseReadOnlyError(
        f"{what}. calibrate can read it but cannot save anything to it.",
        file=str(db),
        fix="Make it writable (chmod u+w on the file and its folder, or ask its owner), or "
            "copy it to a folder you may write to and pass --db. Commands that only read "
            "work on it as it is: calibrate export, backup --out FILE, scenario list, "
            "scenario compare.")


def newest_backup(db: Path) -> Path | None:
    """The newest file in the database's ``backups/`` folder, if any."""
    folder = db.parent / "backups"
    try:
        files = [p for p in folder.glob("*.duckdb") if p.is_file()]
    except OSError:
        return None
    return max(files, key=lambda p: p.stat().st_mtime, default=None)


def restore_fix(db: Path) -> str:
    """How to put a backup in place of a damaged database, as a command that works."""
    newest = newest_backup(db)
    source = str(newest) if newest else "BACKUP.duckdb"
    where = (f" (the newest backup is {newest})" if newest else
             " (backups are in backups/ beside the database)")
    return (f"Restore a backup over it: calibrate restore {shell_quote(source)} --db "
            f"{shell_quote(str(db))}{where}; the damaged file is kept beside it as "
            f"{db.name}.before-restore-<time>. Or move the damaged file aside to start with "
            "an empty database.")


def shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def is_lock_error(exc: BaseException) -> bool:
    """Whether DuckDB refused a file because another process (or this one, with another
    configuration) holds it. ("lock" as a word: a damaged file's "block" is not one.)"""
    text = str(exc)
    return bool(re.search(r"\block\b", text, re.IGNORECASE)) or \
        "different configuration" in text


def _open_error(exc: duckdb.Error, db: Path) -> DatabaseError:
    """Why DuckDB could not open the file, as a message with what to do."""
    text = str(exc)
    if is_lock_error(exc):
        return DatabaseInUseError(
            "The database is in use by another process.",
            file=str(db),
            fix="Close the other calibrate app or command using this file, or point this "
                "one at another file with --db / CALIBRATE_DB.")
    if is_read_only(exc):
        return read_only_error(db, f"The database file cannot be written: {db}")
    if "does not exist" in text.lower() and not db.exists():
        return DatabaseError("There is no database at this path.", file=str(db),
                             fix="Check the path given to --db or CALIBRATE_DB.")
    first = text.splitlines()[0] if text else type(exc).__name__
    return DatabaseError(
        f"The database file is damaged or is not a DuckDB database: {first}",
        file=str(db), fix=restore_fix(db))


def storage_error(exc: BaseException, db: Path | str | None, *,
                  outcome: str = "Nothing was saved: the database is as it was.",
                  ) -> CalibrateError | None:
    """A full disk, a read-only file or a damaged file, as a message; ``None`` for any
    other error."""
    db = Path(db) if db else None
    if is_disk_full(exc):
        return disk_full_error(exc, db or "the database", outcome=outcome)
    text = str(exc)
    if "read-only mode" in text or (db is not None and is_read_only(exc)):
        return read_only_error(db or Path("the database"), "The database is open read-only")
    if db is not None and any(t in text for t in _DAMAGED_TEXTS):
        first = text.splitlines()[0]
        return DatabaseError(f"The database file is damaged: {first}", file=str(db),
                             fix=restore_fix(db))
    return None


#: What DuckDB says when a file's blocks are missing or do not match their checksums.
_DAMAGED_TEXTS = ("Could not read enough bytes", "Corrupt database file", "checksum",
                  "not a valid DuckDB database file")


def db_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file behind a connection (``None`` in memory, or when it cannot be asked)."""
    try:
        row = con.execute("SELECT path FROM duckdb_databases() "
                          "WHERE database_name = current_database()").fetchall()
    except duckdb.Error:
        return None
    return Path(row[0][0]) if row and row[0][0] else None


def writable_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file behind a connection that may write to it (``None`` in memory, read-only,
    or when it cannot be asked)."""
    try:
        row = con.execute("SELECT path, readonly FROM duckdb_databases() "
                          "WHERE database_name = current_database()").fetchall()
    except duckdb.Error:
        return None
    if not row or not row[0][0] or row[0][1]:
        return None
    return Path(row[0][0])


def _drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the rows of an ingest cut off between staging and swapping them in."""
    if table_exists(con, STAGING):
        with WRITE_LOCK:
            con.execute(f"DROP TABLE IF EXISTS {STAGING}")


#: The tables of calibrate's schema and the columns each must have; ``leads`` exists once
#: leads are loaded (its columns are the file's, listed in ``columns``).
TABLES = {
    "meta": ("key", "value"),
    "ingests": ("id", "loaded_at", "file", "rows", "mode", "report"),
    "columns": ("name", "source_name", "role", "type", "position", "reason"),
    "fits": ("id", "created_at", "data_version", "options", "weights"),
    "scenarios": ("id", "created_at", "name", "author", "note", "kind", "payload"),
    "grids": ("id", "created_at", "data_version", "weights_id", "fingerprint", "format",
              "rows"),
    "grid_cells": ("grid_id", "profile_points", "behavior_points", "total", "rule_class",
                   "outcome", "month", "segment", "leads", "amount_sum", "amount_n"),
}


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_catalog = current_database() "
        "ORDER BY table_name, ordinal_position").fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def schema_version(con: duckdb.DuckDBPyConnection, db: Path) -> int:
    """The schema version of a calibrate database, or a :class:`DatabaseError` saying why
    the file is not one (another program's tables, a missing table or column) or is
    newer than this calibrate."""
    tables = _tables(con)
    if "meta" not in tables:
        others = ", ".join(sorted(tables)[:5]) or "no tables"
        raise DatabaseError(
            f"The file is a DuckDB database but not a calibrate database (it holds "
            f"{others}).", file=str(db),
            fix="Check the path: calibrate's databases and backups hold the tables meta, "
                "ingests, columns, fits and scenarios (and leads once leads are loaded).")
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    try:
        found = int(row[0][0]) if row else 0
    except ValueError:
        found = 0
    if found > SCHEMA_VERSION:
        raise DatabaseError(
            f"The database was written by a newer calibrate (schema {found}, this one "
            f"understands up to {SCHEMA_VERSION}).",
            file=str(db),
            fix="Upgrade calibrate (pip install -U calibrate), or use another --db file.")
    if found == SCHEMA_VERSION:
        missing = []
        for table, columns in TABLES.items():
            if table not in tables:
                missing.append(table)
            else:
                missing += [f"{table}.{c}" for c in columns if c not in tables[table]]
        if missing:
            raise DatabaseError(
                "The file has calibrate's meta table but not the rest of its schema "
                f"(missing: {', '.join(missing[:6])}).", file=str(db), fix=restore_fix(db))
    return found


def _migrate(con: duckdb.DuckDBPyConnection, db: Path) -> None:
    tables = _tables(con)
    if tables:  # an existing database: calibrate's, or refused untouched
        try:
            found = schema_version(con, db)
        except DatabaseError:
            con.close()
            raise
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
            _rollback(con)
            raise


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back, keeping the error that caused it (a database DuckDB gave up on after a
    failed write refuses the rollback too)."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


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
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                _rollback(cur)
                raise
            else:
                cur.execute("COMMIT")
        except duckdb.Error as exc:  # a full disk or a read-only file, said as such
            mapped = storage_error(exc, db_file(cur))
            if mapped is None:
                raise
            raise mapped from None
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


def figures_basis(con: duckdb.DuckDBPyConnection) -> tuple[int, int | None]:
    """What every figure is computed on now, in one cheap read: the data version and the id
    of the newest weights saved for it (None before the first fit). A refit, an edit of the
    points or of the rules saves new weights, so the id moves on with each; caches of
    figures key on it."""
    version = data_version(con)
    row = con.execute("SELECT max(id) FROM fits WHERE data_version = ?", [version]).fetchone()
    return version, (int(row[0]) if row[0] is not None else None)


def last_load(con: duckdb.DuckDBPyConnection) -> tuple[str, Any, str | None] | None:
    """(file, loaded_at, issues report JSON) of the latest file load; role edits are not
    loads. ``None`` before the first load."""
    row = con.execute("SELECT file, loaded_at, report FROM ingests WHERE mode <> 'roles' "
                      "ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else (row[0], row[1], row[2])


def lead_count(con: duckdb.DuckDBPyConnection) -> int:
    """Number of leads stored (0 when nothing is loaded); loaded in place, the leads in
    the source (:func:`in_place`)."""
    if not table_exists(con, "leads"):
        record = in_place(con)
        return int(record["rows"]) if record else 0
    return int(con.execute("SELECT count(*) FROM leads").fetchone()[0])


#: The ``meta`` key of the record of leads loaded in place (:mod:`calibrate.in_place`).
IN_PLACE_KEY = "in_place_source"
#: Meta key of the as-of date when it is not the newest date of the stored leads: a store
#: of rows read in place from a bigger source takes the source's (:func:`set_as_of`).
AS_OF_KEY = "data_as_of"


def set_as_of(con: duckdb.DuckDBPyConnection, day: dt.date | None) -> None:
    """Keep ``day`` as the data's as-of date (None: forget it, the leads' newest date again),
    which :func:`calibrate.model.recency.data_as_of` then gives."""
    con.execute("DELETE FROM meta WHERE key = ?", [AS_OF_KEY])
    if day is not None:
        con.execute("INSERT INTO meta VALUES (?, ?)", [AS_OF_KEY, day.isoformat()])


def stored_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The as-of date :func:`set_as_of` kept; None when none is."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [AS_OF_KEY]).fetchall()
    return dt.date.fromisoformat(row[0][0]) if row else None


#: Meta key of the mapping (TOML) the stored leads were read with (:func:`set_load_mapping`).
LOAD_MAPPING_KEY = "load_mapping"


def set_load_mapping(con: duckdb.DuckDBPyConnection, toml: str) -> None:
    """Keep the mapping file text the leads were loaded with: what the queries handed on
    (calibrate sql) must read their labels and placeholders with."""
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [LOAD_MAPPING_KEY, toml])


def load_mapping_text(con: duckdb.DuckDBPyConnection) -> str | None:
    """The mapping text :func:`set_load_mapping` kept; None for leads loaded before it was
    kept."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [LOAD_MAPPING_KEY]).fetchall()
    return row[0][0] if row else None


def in_place(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The record of the source whose leads were loaded in place (they stay there: no
    ``leads`` table), as :mod:`calibrate.in_place` keeps it; None when rows are stored."""
    if table_exists(con, "leads"):
        return None
    row = con.execute("SELECT value FROM meta WHERE key = ?", [IN_PLACE_KEY]).fetchall()
    return json.loads(row[0][0]) if row else None


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

"""Workshop rooms kept in the store, so a reload or a restarted server loses nothing.

A room is kept as JSON in a ``meta`` row ``room:<code>`` (the form
:meth:`calibrate.decide.room.Room.to_dict` gives; this layer reads and writes the mapping
and knows nothing of its fields but ``code``). :func:`update_room` reads, changes and writes
a room in one transaction under the process's write lock, so two sessions changing the same
room at once both land, one after the other. :func:`figures_basis` says, in one read, what
the rooms' shared figures are computed on, so a screen re-reading a room every second knows
when they must be computed again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import duckdb

from calibrate.data.store import to_json, transaction

_PREFIX = "room:"

Change = Callable[[dict[str, Any] | None], Mapping[str, Any]]


def save_room(con: duckdb.DuckDBPyConnection, room: Mapping[str, Any]) -> None:
    """Keep a room (its stored mapping, with a ``code``), replacing what was kept under its
    code."""
    with transaction(con) as tx:
        _write(tx, room)


def load_room(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, Any] | None:
    """The room kept under ``code`` as its stored mapping, or None."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [_PREFIX + code]).fetchall()
    return json.loads(row[0][0]) if row else None


def update_room(con: duckdb.DuckDBPyConnection, code: str, change: Change) -> dict[str, Any]:
    """Read the room kept under ``code`` (None when there is none), apply ``change`` and
    keep what it returns, all in one transaction: concurrent changes never overwrite each
    other. An exception from ``change`` leaves the room as it was. Returns the kept room."""
    with transaction(con) as tx:
        row = tx.execute("SELECT value FROM meta WHERE key = ?", [_PREFIX + code]).fetchall()
        room = change(json.loads(row[0][0]) if row else None)
        _write(tx, room)
    return json.loads(to_json(room))


def load_rooms(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every room kept, as its stored mapping, in the order of their codes."""
    rows = con.execute("SELECT value FROM meta WHERE key LIKE 'room:%' ORDER BY key").fetchall()
    return [json.loads(r[0]) for r in rows]


def room_codes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The codes of every room kept, in order."""
    rows = con.execute("SELECT key FROM meta WHERE key LIKE 'room:%' ORDER BY key").fetchall()
    return [r[0].removeprefix(_PREFIX) for r in rows]


def _write(tx: duckdb.DuckDBPyConnection, room: Mapping[str, Any]) -> None:
    tx.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
               [_PREFIX + str(room["code"]), to_json(room)])

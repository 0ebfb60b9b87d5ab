"""Workshop rooms in the store: kept in ``meta``, found again after a restart, and changed
by concurrent sessions without losing a change."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from calibrate.data import store
from calibrate.data.rooms import (
    load_room,
    load_rooms,
    room_codes,
    save_room,
    update_room,
)
from calibrate.decide import room as core
from calibrate.decide.room import Room
from calibrate.thresholds import Bar, Thresholds

SALES = Thresholds(Bar(min_profile=70, min_behavior=40))


def test_a_room_saved_loads_as_it_was(con: duckdb.DuckDBPyConnection):
    room = core.propose(core.open_room(), "Sales view", "Ann", SALES)
    save_room(con, room.to_dict())
    assert Room.from_dict(load_room(con, room.code)) == room
    assert load_room(con, "NOROOM") is None
    key = con.execute("SELECT key FROM meta WHERE key LIKE 'room:%'").fetchall()
    assert key == [(f"room:{room.code}",)]
    assert room_codes(con) == [room.code]


def test_another_cursor_and_a_restart_see_the_room(db_path: Path):
    con = store.connect(db_path)
    room = core.open_room()
    save_room(con, room.to_dict())
    other = con.cursor()  # another session of the same process
    assert Room.from_dict(load_room(other, room.code)) == room
    moved = core.move(room, room.key, SALES, "Field")
    save_room(other, moved.to_dict())
    assert Room.from_dict(load_room(con, room.code)).version == 2
    other.close()
    con.close()
    again = store.connect(db_path)  # the server restarted
    try:
        assert Room.from_dict(load_room(again, room.code)) == moved
    finally:
        again.close()


def test_a_failed_change_leaves_the_room_as_it_was(con: duckdb.DuckDBPyConnection):
    room = core.open_room()
    save_room(con, room.to_dict())

    def refuse(data):
        raise ValueError("no")

    with pytest.raises(ValueError):
        update_room(con, room.code, refuse)
    assert Room.from_dict(load_room(con, room.code)) == room


def test_two_threads_proposing_at_once_both_land(con: duckdb.DuckDBPyConnection):
    room = core.open_room()
    save_room(con, room.to_dict())
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def session(author: str) -> None:
        cursor = con.cursor()  # each Streamlit session's thread has its own cursor
        try:
            start.wait()
            for i in range(20):
                update_room(cursor, room.code, lambda data, i=i: core.propose(
                    Room.from_dict(data), f"{author} {i}", author, SALES).to_dict())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            cursor.close()

    threads = [threading.Thread(target=session, args=(a,)) for a in ("Ann", "Bo")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    kept = Room.from_dict(load_room(con, room.code))
    assert len(kept.proposals) == 40 and kept.version == 41
    assert {p.author for p in kept.proposals} == {"Ann", "Bo"}


def test_every_room_kept_loads_closed_ones_too(con: duckdb.DuckDBPyConnection):
    rooms = [core.open_room(code=c) for c in ("BBBBBB", "AAAAAA")]
    rooms[0] = core.close(rooms[0], rooms[0].key)
    for r in rooms:
        save_room(con, r.to_dict())
    assert [Room.from_dict(d) for d in load_rooms(con)] == [rooms[1], rooms[0]]

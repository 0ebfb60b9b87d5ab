"""A workshop room (issue 19): the pure core (open, move, propose, withdraw, the checks and
the stored form), then the Workbench's room methods on the fitted sample."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from calibrate.decide import room as core
from calibrate.decide.room import ALPHABET, Room, definition, figure_arguments
from calibrate.errors import APP, CalibrateError
from calibrate.thresholds import Bar, Thresholds
from calibrate.workbench import Workbench

SALES = Thresholds(Bar(min_profile=70, min_behavior=40))
WHEN = datetime(2026, 11, 23, 10, 15)


# ------------------------------------------------------------------ the pure core


def test_a_room_opens_with_a_readable_code_and_a_secret_key():
    room = core.open_room()
    assert len(room.code) == 6 and set(room.code) <= set(ALPHABET)
    assert not set("ILO01") & set(ALPHABET)
    assert len(room.key) >= 20 and room.key != core.open_room().key
    assert room.thresholds == Thresholds(Bar(min_profile=50, min_behavior=50))
    assert (room.segment, room.scenario, room.version, room.proposals) == (None, None, 1, ())


def test_the_facilitator_moves_the_room_and_the_version_moves_on():
    room = core.open_room(SALES)
    moved = core.move(room, room.key, Thresholds(Bar(min_profile=61, min_behavior=45)),
                      " Enterprise ", "Sales")
    assert moved.thresholds.main == Bar(min_profile=61, min_behavior=45)
    assert (moved.segment, moved.scenario, moved.version) == ("Enterprise", "Sales", 2)
    assert room.version == 1  # a room is a value: the old one is untouched
    back = core.move(moved, room.key, SALES)
    assert (back.segment, back.scenario, back.version) == (None, None, 3)


@pytest.mark.parametrize("key", [None, "", "a guess"])
def test_a_wrong_host_key_is_refused_in_the_apps_words(key):
    room = core.open_room()
    with pytest.raises(CalibrateError) as info:
        core.move(room, key, SALES)
    shown = info.value.shown_in(APP).message
    assert f"Only the facilitator of room {room.code}" in shown
    assert "facilitator's link (the one with key= in it)" in shown
    assert "propose these thresholds" in shown
    assert "room.key" in info.value.message  # the API says what to pass


def test_thresholds_outside_0_to_100_or_without_a_bar_are_refused():
    room = core.open_room()
    for bad in (Thresholds(Bar(min_profile=101, min_behavior=40)),
                Thresholds(Bar(min_profile=60)), Thresholds()):
        with pytest.raises(CalibrateError):
            core.move(room, room.key, bad)
    with pytest.raises(CalibrateError, match="outside 0 to 100"):
        core.propose(room, "x", "Ann", Thresholds(Bar("total", min_total=-1)))


def test_proposals_are_named_and_a_reproposal_replaces_its_name():
    room = core.open_room()
    room = core.propose(room, "  Sales   view ", " Ann ", SALES, now=WHEN)
    room = core.propose(room, "Marketing view", "Bo", Thresholds(Bar(min_profile=40,
                                                                     min_behavior=30)))
    assert [(p.name, p.author) for p in room.proposals] == [("Sales view", "Ann"),
                                                           ("Marketing view", "Bo")]
    assert room.proposals[0].created_at == WHEN
    again = core.propose(room, "SALES VIEW", "Cy", Thresholds(Bar(min_profile=75,
                                                                  min_behavior=40)))
    assert [p.name for p in again.proposals] == ["Marketing view", "SALES VIEW"]
    assert again.proposal("sales view").thresholds.main.min_profile == 75
    assert again.version == room.version + 1


@pytest.mark.parametrize(("name", "author", "words"), [
    ("", "Ann", "The proposal name is empty."),
    ("   ", "Ann", "The proposal name is empty."),
    ("Sales", "", "The name is empty."),
    ("x" * 61, "Ann", "The proposal name is 61 characters long."),
    ("Sales", "y" * 61, "The name is 61 characters long."),
])
def test_names_are_trimmed_limited_and_required(name, author, words):
    with pytest.raises(CalibrateError) as info:
        core.propose(core.open_room(), name, author, SALES)
    assert info.value.what == words and info.value.fix


def test_a_room_holds_a_limited_number_of_proposals():
    room = core.open_room()
    for i in range(core.MAX_PROPOSALS):
        room = core.propose(room, f"P{i}", "Ann", SALES)
    with pytest.raises(CalibrateError, match="already holds 50 proposals"):
        core.propose(room, "One more", "Ann", SALES)
    assert len(core.propose(room, "p0", "Ann", SALES).proposals) == 50  # a replacement


def test_the_facilitator_withdraws_any_proposal_an_author_their_own():
    room = core.propose(core.propose(core.open_room(), "Sales view", "Ann", SALES),
                        "Other", "Bo", SALES)
    assert [p.name for p in core.withdraw(room, "sales view", author=" ann ").proposals] == [
        "Other"]
    assert [p.name for p in core.withdraw(room, "Sales view", room.key).proposals] == ["Other"]
    with pytest.raises(CalibrateError, match="Only Ann or the facilitator"):
        core.withdraw(room, "Sales view", author="Bo")
    with pytest.raises(CalibrateError, match="has no proposal 'Nope'") as info:
        core.withdraw(room, " Nope ", room.key)
    assert "'Sales view', 'Other'" in info.value.message
    # the screen offers Withdraw by the same rule
    ann = room.proposal("Sales view")
    assert room.may_withdraw(ann, None, " ANN ") and room.may_withdraw(ann, room.key, None)
    assert not room.may_withdraw(ann, None, "Bo") and not room.may_withdraw(ann, "x", "")


def test_a_room_round_trips_through_its_stored_form():
    room = core.open_room()
    room = core.move(room, room.key, Thresholds(Bar("total", min_total=55),
                                                {"Enterprise": Bar("total", min_total=60)}),
                     "Field", "One score")
    room = core.propose(room, "Sales view", "Ann", SALES, now=WHEN)
    stored = json.loads(json.dumps(room.to_dict()))
    again = Room.from_dict(stored)
    assert again == room
    assert stored["proposals"][0] == {"name": "Sales view", "author": "Ann",
                                      "thresholds": SALES.to_dict(),
                                      "created_at": "2026-11-23T10:15:00"}


def test_codes_read_in_any_case_and_spacing():
    assert core.normal_code(" abc def ") == "ABCDEF"
    assert core.normal_code(None) == ""


def test_the_definition_keeps_a_loaded_scenarios_segment_bars_of_the_same_mode():
    scenario = Thresholds(Bar(min_profile=60, min_behavior=45),
                          {"Enterprise": Bar(min_profile=70, min_behavior=40),
                           "Field": Bar(min_profile=60, min_behavior=45)})
    got = definition(Bar(min_profile=55, min_behavior=45), scenario)
    assert got.describe() == ("profile ≥ 55 and behavior ≥ 45; Enterprise: profile ≥ 70 "
                              "and behavior ≥ 40; Field: profile ≥ 60 and behavior ≥ 45")
    assert definition(Bar("total", min_total=50), scenario).segments == {}
    assert definition(Bar(min_profile=1, min_behavior=2)).segments == {}


def test_figure_arguments_read_a_definition_as_workbench_figures_takes_it():
    t = Thresholds(Bar(min_profile=60, min_behavior=45),
                   {"Enterprise": Bar(min_profile=70, min_behavior=40)})
    assert figure_arguments(t) == {
        "min_profile": 60, "min_behavior": 45, "min_total": None, "segment": None,
        "segment_thresholds": {"Enterprise": (70, 40)}}
    assert figure_arguments(t, "enterprise") == {
        "min_profile": 70, "min_behavior": 40, "min_total": None, "segment": "enterprise"}
    assert figure_arguments(Thresholds(Bar("total", min_total=55)), "Field") == {
        "min_profile": None, "min_behavior": None, "min_total": 55, "segment": "Field"}


# ------------------------------------------------------------------ the Workbench


@pytest.fixture
def wb(sample_db: Path):
    with Workbench(sample_db, keep_backups=0) as bench:
        yield bench


def test_a_room_opened_is_kept_and_found_by_its_code(wb, sample_db):
    room = wb.open_room(min_profile=60, min_behavior=45)
    assert wb.room(room.code.lower()) == room
    wb.close()
    with Workbench(sample_db, keep_backups=0) as again:  # a restarted server finds it
        assert again.room(room.code).key == room.key


def test_an_unknown_room_says_what_to_do(wb):
    with pytest.raises(CalibrateError) as info:
        wb.room("zzzzzz")
    assert info.value.what == "There is no room ZZZZZZ."
    assert "open a new room" in info.value.shown_in(APP).message
    for change in (lambda: wb.propose("ZZZZZZ", "x", "Ann", min_profile=1, min_behavior=1),
                   lambda: wb.move_room("ZZZZZZ", "k", min_profile=1, min_behavior=1),
                   lambda: wb.withdraw("ZZZZZZ", "x", key="k")):
        with pytest.raises(CalibrateError, match="There is no room ZZZZZZ"):
            change()


def test_the_facilitator_moves_the_room_and_everyone_reads_the_figures(wb):
    room = wb.open_room()
    moved = wb.move_room(room.code, room.key, min_profile=65, min_behavior=40,
                         segment=" enterprise")
    assert (moved.segment, moved.version) == ("Enterprise", 2)
    shown = wb.figures(**figure_arguments(wb.room(room.code).thresholds, moved.segment))
    direct = wb.figures(min_profile=65, min_behavior=40, segment="Enterprise")
    assert (shown.mqls, shown.wins) == (direct.mqls, direct.wins)
    with pytest.raises(CalibrateError, match="Only the facilitator"):
        wb.move_room(room.code, "a guess", min_profile=0, min_behavior=0)
    with pytest.raises(CalibrateError, match="No segment 'Nowhere'"):
        wb.move_room(room.code, room.key, min_profile=1, min_behavior=1, segment="Nowhere")
    assert wb.room(room.code) == moved  # refused moves change nothing


def test_a_scenario_moves_the_room_to_its_thresholds(wb):
    wb.save_scenario("Per team", min_profile=60, min_behavior=45,
                     segment_thresholds={"Enterprise": (70, 40)})
    room = wb.open_room()
    moved = wb.move_room(room.code, room.key, scenario="per team")
    assert moved.scenario == "Per team"
    assert moved.thresholds.describe() == ("profile ≥ 60 and behavior ≥ 45; Enterprise: "
                                           "profile ≥ 70 and behavior ≥ 40")
    assert wb.figures(**figure_arguments(moved.thresholds)).mqls == wb.figures(
        min_profile=60, min_behavior=45, segment_thresholds={"Enterprise": (70, 40)}).mqls
    kept = wb.move_room(room.code, room.key, min_total=50, scenario="Per team")
    assert kept.thresholds.describe() == "total ≥ 50" and kept.scenario == "Per team"
    with pytest.raises(CalibrateError, match="No thresholds were given"):
        wb.move_room(room.code, room.key)


def test_proposals_through_the_workbench(wb):
    code = wb.open_room().code
    room = wb.propose(code, "Sales view", "Ann", min_profile=70, min_behavior=40)
    assert [(p.name, p.author, p.thresholds) for p in room.proposals] == [
        ("Sales view", "Ann", SALES)]
    room = wb.propose(code, "One score", "Bo", thresholds={"mode": "total", "min_total": 55})
    assert room.proposal("one score").thresholds.describe() == "total ≥ 55"
    with pytest.raises(CalibrateError, match="outside 0 to 100"):
        wb.propose(code, "Bad", "Bo", min_profile=120, min_behavior=40)
    with pytest.raises(CalibrateError, match="No thresholds were proposed"):
        wb.propose(code, "Bad", "Bo")
    assert [p.name for p in wb.withdraw(code, "SALES VIEW", author="ann").proposals] == [
        "One score"]


def test_two_sessions_proposing_at_once_both_land(wb):
    code = wb.open_room().code
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def session(i: int) -> None:
        bench = wb.cursor()  # one cursor per thread, as the app gives each page run
        try:
            start.wait()
            for j in range(5):
                bench.propose(code, f"P{i}-{j}", f"Author {i}", min_profile=i, min_behavior=j)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            bench.close()

    threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    room = wb.room(code)
    assert len(room.proposals) == 40 and room.version == 41


# ------------------------------------------------------------------ closing rooms


def test_only_the_facilitator_closes_a_room_and_a_closed_room_refuses_every_change():
    room = core.propose(core.open_room(SALES), "Sales view", "Ann", SALES)
    with pytest.raises(CalibrateError) as info:
        core.close(room, "a guess")
    assert f"Only the facilitator of room {room.code} can close it." in info.value.message
    assert "key= in it" in info.value.shown_in(APP).message
    closed = core.close(room, room.key, now=WHEN)
    assert (closed.closed, closed.closed_at, closed.closed_by) == (True, WHEN, "facilitator")
    assert closed.version == room.version + 1 and not room.closed
    # nothing else is lost
    assert (closed.thresholds, closed.proposals, closed.created_at) == (
        room.thresholds, room.proposals, room.created_at)
    assert core.close(closed, room.key) is closed  # closing again changes nothing
    for change in (lambda: core.move(closed, room.key, SALES),
                   lambda: core.propose(closed, "Late", "Bo", SALES),
                   lambda: core.withdraw(closed, "Sales view", room.key)):
        with pytest.raises(CalibrateError) as info:
            change()
        assert info.value.what == (f"Room {room.code} was closed by its facilitator on "
                                   "23 Nov 2026 at 10:15.")
        assert "new room" in info.value.shown_in(APP).message
        assert "open_room()" not in info.value.shown_in(APP).message
    assert core.closed_words(closed) == ("This room was closed by its facilitator on "
                                         "23 Nov 2026 at 10:15.")


def test_a_closed_room_round_trips_and_a_room_kept_before_rooms_closed_reads_open():
    room = core.open_room()
    closed = core.close(room, room.key, now=WHEN)
    stored = json.loads(json.dumps(closed.to_dict()))
    assert (stored["closed_at"], stored["closed_by"]) == ("2026-11-23T10:15:00", "facilitator")
    assert Room.from_dict(stored) == closed
    older = {k: v for k, v in room.to_dict().items() if k not in ("closed_at", "closed_by")}
    assert Room.from_dict(older) == room and not Room.from_dict(older).closed


def test_rooms_older_than_the_limit_expire_and_ages_read_as_people_say_them():
    room = core.open_room()
    opened = room.created_at
    day = timedelta(days=1)
    assert not core.expired(room, opened + core.MAX_AGE_DAYS * day)
    assert core.expired(room, opened + core.MAX_AGE_DAYS * day + timedelta(minutes=1))
    later = opened + 31 * day
    gone = core.expire(room, later)
    assert (gone.closed_by, gone.closed_at, gone.version) == ("age", later, 2)
    assert core.expire(gone, later + day) is gone and not core.expired(gone, later + day)
    assert core.expire(room, opened + day) is room
    assert core.closed_words(gone).startswith(f"This room was closed on {later:%-d %b %Y}")
    assert "30 days" in core.closed_words(gone)
    assert [core.age_words(room, opened + d) for d in (
        timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=59, seconds=59),
        timedelta(hours=2), 1 * day, 45 * day)] == [
        "just now", "1 minute ago", "59 minutes ago", "2 hours ago", "1 day ago",
        "45 days ago"]


def test_the_facilitator_closes_a_room_and_nothing_else_is_lost(wb, sample_db):
    room = wb.open_room(min_profile=60, min_behavior=45)
    wb.propose(room.code, "Sales view", "Ann", min_profile=70, min_behavior=40)
    with pytest.raises(CalibrateError, match="Only the facilitator"):
        wb.close_room(room.code, "a guess")
    assert not wb.room(room.code).closed  # a refused close changes nothing
    closed = wb.close_room(room.code.lower(), room.key)
    assert closed.closed and closed.closed_by == "facilitator"
    with pytest.raises(CalibrateError, match="was closed by its facilitator"):
        wb.move_room(room.code, room.key, min_profile=1, min_behavior=1)
    with pytest.raises(CalibrateError, match="was closed by its facilitator"):
        wb.withdraw(room.code, "Sales view", key=room.key)
    with pytest.raises(CalibrateError, match="There is no room ZZZZZZ"):
        wb.close_room("ZZZZZZ", room.key)
    wb.close()
    with Workbench(sample_db, keep_backups=0) as again:  # a restart finds it closed, whole
        kept = again.room(room.code)
        assert kept == closed
        assert kept.thresholds.describe() == "profile ≥ 60 and behavior ≥ 45"
        assert [p.name for p in kept.proposals] == ["Sales view"]
        assert room.code not in [r.code for r in again.rooms()]


def test_the_open_rooms_are_listed_oldest_first_and_old_ones_close_when_one_opens(wb):
    from calibrate.data.rooms import save_room

    now = datetime.now().replace(microsecond=0)
    old = core.propose(core.open_room(code="OLDONE"), "Kept", "Ann", SALES)
    old = dataclasses.replace(old, created_at=now - timedelta(days=31))
    recent = dataclasses.replace(core.open_room(code="RECENT"),
                                 created_at=now - timedelta(days=29))
    done = core.open_room(code="CLOSED")
    for r in (old, recent, core.close(done, done.key)):
        save_room(wb.con, r.to_dict())
    assert [r.code for r in wb.rooms()] == ["OLDONE", "RECENT"]  # closed rooms are not
    assert core.age_words(wb.rooms()[0]) == "31 days ago"
    new = wb.open_room()
    assert [r.code for r in wb.rooms()] == ["RECENT", new.code]
    gone = wb.room("OLDONE")
    assert gone.closed_by == "age" and [p.name for p in gone.proposals] == ["Kept"]

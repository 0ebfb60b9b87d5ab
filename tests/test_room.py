"""A workshop room (issue 19): the pure core (open, move, propose, withdraw, the checks and
the stored form), then the Workbench's room methods on the fitted sample."""

from __future__ import annotations

import json
import threading
from datetime import datetime
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

"""Scenarios: append-only, versioned by name, survive a reopen, compare side by side."""

from __future__ import annotations

import threading

import pytest

from calibrate.data import store
from calibrate.decide.comparison import compare_rows
from calibrate.decide.scenarios import (
    current_agreement,
    latest_versions,
    list_scenarios,
    mark_agreement,
    save_scenario,
)
from calibrate.errors import CalibrateError

MARKETING = {"thresholds": {"min_profile": 40, "min_behavior": 30},
             "figures": {"mqls_per_month": 900.0, "conversion": 0.05}}
SALES = {"thresholds": {"min_profile": 60, "min_behavior": 50},
         "figures": {"mqls_per_month": 300.0, "conversion": 0.11}}


def test_saves_are_appended_and_survive_a_restart(db_path):
    con = store.connect(db_path)
    first = save_scenario(con, "Marketing proposal", MARKETING, author="Mia", note="volume")
    save_scenario(con, "Sales proposal", SALES, author="Sam")
    second = save_scenario(con, "Marketing proposal", SALES, author="Mia", note="revised")
    con.close()
    con = store.connect(db_path)
    rows = list_scenarios(con)
    assert [r.id for r in rows] == [second.id, second.id - 1, first.id]
    assert rows[-1].thresholds.to_dict() == {"mode": "both", "min_profile": 40,  # old version
                                             "min_behavior": 30}
    latest = latest_versions(con)
    assert [(s.name, s.note) for s in latest] == [("Marketing proposal", "revised"),
                                                  ("Sales proposal", "")]
    con.close()


def test_agreement_is_a_new_row_pointing_at_the_scenario(con):
    sales = save_scenario(con, "Sales proposal", SALES, author="Sam")
    assert current_agreement(con) is None
    agreed = mark_agreement(con, sales, author="Both", note="signed in the workshop")
    assert current_agreement(con).id == agreed.id
    assert agreed.payload["agreed_scenario_id"] == sales.id
    assert len(list_scenarios(con)) == 2


def test_stored_scenarios_compare_with_their_differences(con):
    a = save_scenario(con, "Marketing proposal", MARKETING)
    b = save_scenario(con, "Sales proposal", SALES)
    rows = {r["key"]: r for r in compare_rows(a, b)}
    assert rows["min_profile"]["difference"] == 20
    assert rows["mqls_per_month"]["difference"] == pytest.approx(-600.0)


def test_names_are_required_and_bounded(con):
    with pytest.raises(CalibrateError, match="needs a name"):
        save_scenario(con, "  ", MARKETING)
    with pytest.raises(CalibrateError, match="characters long"):
        save_scenario(con, "x" * 500, MARKETING)


def test_concurrent_saves_from_threads_all_land(con):
    errors = []

    def save(i: int) -> None:
        try:
            save_scenario(con, f"Proposal {i}", MARKETING, author=f"user {i}")
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(list_scenarios(con)) == 8


def test_hostile_text_is_stored_verbatim(con):
    name = "'); DROP TABLE scenarios; --"
    save_scenario(con, name, MARKETING, note='=HYPERLINK("x")')
    assert list_scenarios(con)[0].name == name


def test_a_scenario_compared_with_itself_differs_nowhere(con):
    a = save_scenario(con, "Only one", MARKETING)
    rows = compare_rows(a, a)
    assert all(r["difference"] in (0, None) for r in rows)
    assert all(r["difference_text"] in ("0", "same", "–") for r in rows)

"""Scenarios: append-only, versioned by name, survive a reopen, compare side by side."""

from __future__ import annotations

import json
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


def test_a_row_without_month_ranges_reads_as_saved(con):
    """A row as an earlier version wrote it, straight into the table: its figures hold no
    ranges, and it lists and compares without one, beside a row that has them."""
    con.execute("INSERT INTO scenarios VALUES (nextval('scenario_id_seq'), now(), "
                "'Long ago', '', '', 'scenario', ?)", [json.dumps(MARKETING)])
    now = save_scenario(con, "Now", {**SALES, "figures": {
        **SALES["figures"], "mqls_per_month_low": 250.0, "mqls_per_month_high": 340.0}})
    old = latest_versions(con)[-1]
    assert old.name == "Long ago" and "mqls_per_month_low" not in old.figures
    raw = con.execute("SELECT payload FROM scenarios WHERE id = ?", [now.id]).fetchone()[0]
    assert json.loads(raw)["figures"]["mqls_per_month_high"] == 340.0
    rows = {r["key"]: r for r in compare_rows(old, now)}
    assert (rows["mqls_per_month"]["a_text"], rows["mqls_per_month"]["b_text"]) == (
        "900", "300 (range 250–340)")

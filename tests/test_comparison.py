"""Two scenarios side by side: labels, formats, idle thresholds, segments, the basis note."""

from __future__ import annotations

import json
from datetime import datetime

from calibrate.decide.comparison import compare, compare_rows
from calibrate.decide.scenarios import Scenario


def scenario(i: int, thresholds: dict, figures: dict | None = None, weights_id: int = 1
             ) -> Scenario:
    return Scenario(i, datetime(2026, 1, 1), f"S{i}", "", "", "scenario",
                    {"thresholds": thresholds, "figures": figures or {},
                     "weights_id": weights_id, "data_version": 1})


def test_rows_read_as_a_person_reads_them():
    a = scenario(1, {"mode": "both", "min_profile": 40, "min_behavior": 30, "min_total": 50},
                 {"conversion": 0.1, "mqls_per_month": 1200.0, "capacity_used": None,
                  "win_share": float("nan")})
    b = scenario(2, {"mode": "total", "min_profile": 50, "min_behavior": 50, "min_total": 55},
                 {"conversion": 0.125, "mqls_per_month": 900.0, "capacity_used": None,
                  "win_share": 0.5})
    rows = {r["key"]: r for r in compare_rows(a, b)}
    assert rows["mode"]["difference_text"] == "differs"
    # Thresholds a mode does not use are shown as such, not as the idle slider's value.
    assert (rows["min_profile"]["a_text"], rows["min_profile"]["b_text"]) == ("40", "–")
    assert (rows["min_total"]["a_text"], rows["min_total"]["b_text"]) == ("–", "55")
    assert rows["conversion"]["difference_text"] == "+2.5 pts"
    assert rows["mqls_per_month"]["difference_text"] == "-300"
    assert rows["mqls_per_month"]["b_text"] == "900"
    assert rows["win_share"]["a_text"] == "–" and rows["win_share"]["a"] is None  # no NaN
    assert "capacity_used" not in rows  # not computed on either side
    json.dumps(list(rows.values()), allow_nan=False)


def test_each_segments_own_thresholds_have_a_row():
    base = {"mode": "both", "min_profile": 40, "min_behavior": 30}
    own = {**base, "segments": {"Enterprise": {"mode": "total", "min_total": 55}}}
    rows = {r["key"]: r for r in compare_rows(scenario(1, own), scenario(2, base))}
    got = rows["segment:Enterprise"]
    assert (got["item"], got["a_text"], got["b_text"], got["difference_text"]) == (
        "Enterprise's own thresholds", "total ≥ 55", "the main ones", "differs")


def test_the_table_is_text_only_and_the_note_says_when_bases_differ():
    """The Scenarios page draws ``table()``: every cell text (an Arrow column of mixed
    numbers and words fails to draw), under human labels."""
    t = {"mode": "both", "min_profile": 40, "min_behavior": 30}
    same = compare(scenario(1, t, {"mqls_per_month": 10.0}), scenario(2, t, {"mqls_per_month":
                                                                             12.5}))
    assert same.same_basis and same.note.startswith("Both computed on weights #1")
    table = same.table()
    assert all(isinstance(v, str) for row in table for v in row.values())
    assert {"": "MQLs per month", "A": "10", "B": "12.5", "B - A": "+2.5"} in table
    apart = compare(scenario(1, t), scenario(2, t, weights_id=2))
    assert not apart.same_basis and "not comparable as they stand" in apart.note

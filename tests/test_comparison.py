"""Two scenarios side by side: labels, formats, idle thresholds, segments, the basis note."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from calibrate.decide.comparison import compare, compare_rows, headline, sentence
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
    assert {"": "MQLs per month", "A": "10", "B": "13", "B - A": "+2.5"} in table
    apart = compare(scenario(1, t), scenario(2, t, weights_id=2))
    assert not apart.same_basis and "not comparable as they stand" in apart.note


def named(i: int, name: str, figures: dict, version: int = 1, weights_id: int = 1
          ) -> Scenario:
    return Scenario(i, datetime(2026, 1, 1), name, "", "", "scenario",
                    {"thresholds": {"mode": "both", "min_profile": 40, "min_behavior": 30},
                     "figures": figures, "weights_id": weights_id, "data_version": 1},
                    version)


MARKETING = {"months": 12.0, "mqls_per_month": 524.3, "wins_per_month": 44.6,
             "conversion": 0.085, "conversion_low": 0.07, "conversion_high": 0.1,
             "win_share": 0.8}
SALES = {"months": 12.0, "mqls_per_month": 300.1, "wins_per_month": 22.4,
         "conversion": 0.173, "conversion_low": 0.15, "conversion_high": 0.2,
         "win_share": 0.4}


def test_the_sentence_says_what_b_changes_against_a_in_whole_leads_and_points():
    c = compare(named(1, "Marketing proposal", MARKETING), named(2, "Sales proposal", SALES))
    assert c.sentence() == (
        "Sales proposal, against Marketing proposal, sends 224 fewer leads a month and wins "
        "22 fewer deals, at 8.8 points higher conversion.")
    back = compare(named(2, "Sales proposal", SALES), named(1, "Marketing proposal", MARKETING))
    assert back.sentence() == (
        "Marketing proposal, against Sales proposal, sends 224 more leads a month and wins "
        "22 more deals, at 8.8 points lower conversion.")


def test_equal_figures_are_the_same_number_and_near_ones_about_the_same():
    assert sentence("A", SALES, "B", dict(SALES)) == (
        "B, against A, sends the same number of leads a month and wins the same number of "
        "deals, at the same conversion.")
    near = {**SALES, "mqls_per_month": SALES["mqls_per_month"] + 0.49,
            "wins_per_month": SALES["wins_per_month"] - 0.2, "conversion": 0.17304}
    assert sentence("A", SALES, "B", near) == (
        "B, against A, sends about the same number of leads a month and wins about the same "
        "number of deals, at about the same conversion.")


def test_one_lead_or_deal_is_singular_and_halves_round_away_from_zero():
    one = {**SALES, "mqls_per_month": 301.1, "wins_per_month": 21.4}
    assert sentence("A", SALES, "B", one).startswith(
        "B, against A, sends 1 more lead a month and wins 1 fewer deal, at the same")
    exact = {"months": 12.0, "mqls_per_month": 300.0, "wins_per_month": 22.5}
    half = {**exact, "mqls_per_month": 300.5, "wins_per_month": 25.0}
    # +0.5 is 1 lead and +2.5 is 3 deals, not Python's round-half-even 0 and 2.
    assert sentence("A", exact, "B", half).startswith(
        "B, against A, sends 1 more lead a month and wins 3 more deals.")
    big = {**SALES, "mqls_per_month": 1534.1}
    assert "sends 1,234 more leads" in sentence("A", SALES, "B", big)


def test_a_missing_figure_is_left_out_and_named():
    a = {**SALES, "conversion": float("nan")}
    b = {**MARKETING, "wins_per_month": None}
    assert sentence("Sales", a, "Marketing", b) == (
        "Marketing, against Sales, sends 224 more leads a month. Marketing has no figure for "
        "wins. Sales has no figure for conversion.")
    only_rate = {"months": 12.0, "conversion": 0.1}
    assert sentence("A", only_rate, "B", {"months": 12.0, "conversion": 0.125}) == (
        "B, against A, has 2.5 points higher conversion. Neither scenario has a figure for "
        "MQLs or wins.")
    assert sentence("A", {}, "B", {"mqls_per_month": 3.0}) == (
        "There are no figures to compare B against A. A has no figure for MQLs. Neither "
        "scenario has a figure for wins or conversion.")


def test_without_months_the_counts_are_totals():
    undated = {k: v for k, v in SALES.items() if k != "months"}
    more = {**undated, "mqls_per_month": 310.1, "wins_per_month": 24.4}
    assert sentence("A", undated, "B", more).startswith(
        "B, against A, sends 10 more leads in all and wins 2 more deals, at")
    assert "in all" in sentence("A", {**SALES, "months": None}, "B", SALES)
    assert [h.label for h in headline(undated, more)] == [
        "MQLs in all", "Conversion", "Wins in all", "Share of all wins"]
    # Undated leads are saved with the whole history as one month: their counts are totals.
    saved = {**SALES, "months": 1.0}
    c = compare(named(1, "A", saved), named(2, "B", {**saved, "mqls_per_month": 310.1}))
    assert c.sentence().startswith("B, against A, sends 10 more leads in all and")
    assert c.headline()[0].label == "MQLs in all"
    def window(s: Scenario) -> Scenario:  # the same, projected from a window of one month
        return dataclasses.replace(s, payload={**s.payload, "months": ["2026-01-01"]})

    assert compare(window(c.a), window(c.b)).sentence().startswith(
        "B, against A, sends 10 more leads a month and")
    # Figures saved now say whether their leads had dates: one dated month reads "a month"
    # even without a window, and undated figures read "in all" whatever their months.
    dated = {**saved, "dated": True}
    assert compare(named(1, "A", dated), named(2, "B", {**dated, "mqls_per_month": 310.1})
                   ).sentence().startswith("B, against A, sends 10 more leads a month and")
    undated = {**SALES, "dated": False}
    assert compare(named(1, "A", undated), named(2, "B", {**undated, "mqls_per_month": 310.1})
                   ).sentence().startswith("B, against A, sends 10 more leads in all and")


def test_different_bases_say_the_figures_are_not_comparable():
    c = compare(named(1, "A", MARKETING), named(2, "B", SALES, weights_id=2))
    assert c.sentence().startswith("B, against A, sends 224 fewer leads a month")
    assert c.sentence().endswith("so these figures are not comparable as they stand.")


def test_two_versions_of_one_name_say_which_is_which():
    c = compare(named(1, "Sales", MARKETING, version=1), named(3, "Sales", SALES, version=2))
    assert c.labels() == ("Sales (version 1)", "Sales (version 2)")
    assert c.sentence().startswith("Sales (version 2), against Sales (version 1), sends")
    assert compare(named(1, "Sales", SALES), named(1, "Sales", SALES)).labels() == (
        "Sales", "Sales")


def test_headline_figures_with_sign_arrow_word_and_verdict():
    rows = {h.key: h for h in compare(named(1, "A", MARKETING),
                                      named(2, "B", SALES)).headline()}
    assert list(rows) == ["mqls_per_month", "conversion", "wins_per_month", "win_share"]
    mqls, conv, wins, share = rows.values()
    assert (mqls.label, mqls.a_text, mqls.b_text, mqls.difference_text) == (
        "MQLs a month", "524.3", "300.1", "-224.2")
    # Fewer MQLs is neither better nor worse: that is what the room argues about.
    assert (mqls.arrow, mqls.word, mqls.verdict) == ("↓", "fewer", "")
    assert (conv.difference_text, conv.arrow, conv.word, conv.verdict) == (
        "+8.8 pts", "↑", "higher", "better")
    assert (conv.a_interval, conv.b_interval) == ("95% interval 7.0% to 10.0%",
                                                  "95% interval 15.0% to 20.0%")
    assert (wins.difference_text, wins.arrow, wins.word, wins.verdict) == (
        "-22.2", "↓", "fewer", "worse")
    assert (share.difference_text, share.verdict) == ("-40.0 pts", "worse")
    assert mqls.a_interval is None


def test_headline_same_as_shown_and_missing():
    near = {**SALES, "conversion": SALES["conversion"] + 0.0001, "win_share": None}
    rows = {h.key: h for h in headline(SALES, near)}
    same = rows["conversion"]  # +0.01 pts shows as +0.0 pts: the same, no arrow either way
    assert (same.difference_text, same.direction, same.arrow, same.word, same.verdict) == (
        "0", 0, "=", "the same", "")
    gone = rows["win_share"]
    assert (gone.b_text, gone.difference_text, gone.direction, gone.arrow, gone.verdict) == (
        "–", "–", None, "", "")
    assert headline({}, {})[1].a_interval is None


RANGED = {**SALES, "mqls_per_month_low": 250.4, "mqls_per_month_high": 351.6,
          "wins_per_month_low": 15.5, "wins_per_month_high": 30.2}


def test_saved_ranges_read_beside_mqls_and_wins_and_old_saves_read_without():
    """A scenario saved with its month ranges shows them in the table, the headline and
    the JSON rows; one saved before ranges were kept (no range keys) reads as before."""
    c = compare(named(1, "Saved long ago", MARKETING), named(2, "Saved now", RANGED))
    rows = {r["key"]: r for r in c.rows}
    mqls, wins = rows["mqls_per_month"], rows["wins_per_month"]
    assert (mqls["a_text"], mqls["b_text"]) == ("524", "300 (range 250–352)")
    assert (wins["a_text"], wins["b_text"]) == ("45", "22 (range 16–30)")
    assert mqls["difference_text"] == "-224" and mqls["b"] == 300.1  # raw values untouched
    assert (mqls["a_range"], mqls["b_range"]) == (None, [250.4, 351.6])
    assert "a_range" not in rows["conversion"]
    assert {"": "MQLs per month", "A": "524", "B": "300 (range 250–352)",
            "B - A": "-224"} in c.table()
    json.dumps(c.rows, allow_nan=False)
    top = {h.key: h for h in c.headline()}
    assert (top["mqls_per_month"].a_range, top["mqls_per_month"].b_range) == (
        None, "range 250–352 a month")
    assert top["wins_per_month"].b_note == "range 16–30 a month"
    assert top["conversion"].b_note == "95% interval 15.0% to 20.0%"
    assert top["mqls_per_month"].a_note is None and top["win_share"].b_note is None
    # both old: nothing about ranges anywhere
    old = compare(named(1, "A", MARKETING), named(2, "B", SALES))
    assert all("range" not in v for row in old.table() for v in row.values())
    assert all(h.a_range is None and h.b_range is None for h in old.headline())

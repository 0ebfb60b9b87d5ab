"""How good the points are, in words: the headline names the right comparison."""

from __future__ import annotations

import math

from calibrate.model.quality_text import (
    counts_sentence,
    edits_sentence,
    fit_settings,
    headline,
    held_out_sentence,
    rank_share,
)


def test_the_headline_says_the_auc_against_leads_that_were_not_won():
    assert headline(0.876) == ("Ranks a random won lead above a random lead that was not won "
                               "88% of the time")


def test_with_no_decisions_left_out_the_comparison_is_with_lost_leads():
    assert headline(0.876, True) == "Ranks a random won lead above a random lost lead 88% of " \
                                    "the time"


def test_edited_points_in_force_are_set_against_the_suggestion():
    assert headline(0.861, suggested_auc=0.88).endswith(
        "86% of the time, against 88% for the suggested points")


def test_a_missing_auc_is_said_plainly():
    for missing in (None, math.nan):
        assert headline(missing).startswith("Cannot say yet how well the points rank leads")
    assert edits_sentence(None, 0.8).startswith("With your edits: cannot say")


def test_two_figures_that_round_alike_get_a_decimal():
    assert rank_share(0.864, 0.861) == "86.4%"
    assert rank_share(0.864, 0.864) == "86%"
    assert rank_share(0.864, 0.80) == "86%"
    assert rank_share(0.864) == "86%"
    assert edits_sentence(0.864, 0.861) == (
        "With your edits: ranks a random won lead above a random lead that was not won 86.4% "
        "of the time, against 86.1% suggested.")


def test_the_edits_sentence_names_the_comparison_of_the_fit():
    assert edits_sentence(0.86, 0.88, True) == (
        "With your edits: ranks a random won lead above a random lost lead 86% of the time, "
        "against 88% suggested.")
    assert edits_sentence(0.86, None).endswith("86% of the time.")
    assert edits_sentence(0.85, 0.88, what="the constraints").startswith(
        "With the constraints: ranks a random won lead above")


def test_the_held_out_sentence_counts_leads_and_wins():
    line = held_out_sentence({"leads": 10_030.0, "wins": 912.0})
    assert line.startswith("Measured on 10k closed leads (912 won) held out of the fit")
    assert "won or lost leads" in held_out_sentence({"leads": 600, "wins": 54}, True)
    assert held_out_sentence({}) == "No held-out leads to measure the points on."


def test_fit_settings_read_as_words_not_json():
    options = {"exclude_no_decision": False, "min_count": None, "cv_folds": 3,
               "Cs": [0.01, 0.1, 1.0], "class_weight": "balanced", "leakage": "warn",
               "include": None, "exclude": ["notes"], "random_state": 0, "test_size": 0.2,
               "max_bins": 5, "min_share": 0.03, "refit": False, "cv_max_rows": 30_000,
               "tol": 1e-6, "max_iter": 100, "max_fit_rows": 2_000_000,
               "constraints": {"locks": [["seniority", "Student", 0]], "orders": [],
                               "caps": {"industry": 30, "region": 10}}}
    lines = fit_settings(options, {"C": 0.316227})
    assert lines[0] == "No-decision leads counted as not won"
    assert "20% of the closed leads held out to measure the points (the newest, when " \
           "leads are dated)" in lines
    assert "Penalty strength chosen by 3-fold cross-validation (C = 0.316)" in lines
    assert "Attributes left out by choice: notes" in lines
    assert "Numbers cut into at most 5 ranges, each with at least 3% of leads" in lines
    assert "Workshop constraints applied: 1 lock, 2 caps" in lines
    assert not any("{" in line or "}" in line for line in lines)
    assert fit_settings({"exclude_no_decision": True, "Cs": [0.5], "odd": 1})[:3] == [
        "No-decision leads left out of the fit", "Penalty strength fixed", "odd: 1"]


def test_per_level_counts_of_a_sample_read_in_place_say_so_and_loaded_ones_say_nothing():
    line = counts_sentence({"rows": 100_000_000, "rows_read": 250_000})
    assert line is not None
    assert "250k" in line and "100M" in line and "sample" in line
    assert counts_sentence({"rows": 50_000, "rows_read": 50_000}) is None  # all read
    assert counts_sentence({}) is None  # loaded leads: the weights say nothing of rows
    grid = "the count grid behind the thresholds"
    cli = counts_sentence({"rows": 9, "rows_read": 3}, every=grid)
    assert cli is not None and cli.endswith(f"; {grid} counts every lead.")

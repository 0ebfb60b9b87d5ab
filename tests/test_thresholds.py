"""The thresholds type: stored form, edges, segments, wording."""

from __future__ import annotations

import pytest

from calibrate.thresholds import NOBODY, Bar, Thresholds

BOTH = {"mode": "both", "min_profile": 60, "min_behavior": 45}


def test_a_bar_lets_through_scores_equal_to_its_minimums_and_nothing_below() -> None:
    bar = Bar.from_dict(BOTH)
    assert bar.passes([60, 59, 60], [45, 45, 44], [0, 0, 0]).tolist() == [True, False, False]
    total = Bar("total", min_total=55)
    assert total.passes([100, 0], [100, 0], [54, 55]).tolist() == [False, True]


def test_a_minimum_left_out_lets_nobody_through() -> None:
    bar = Bar(min_profile=0)
    assert bar.value("min_behavior") == NOBODY
    assert not bar.passes([100], [100], [100]).any()


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be"):
        Bar("either")


def test_stored_thresholds_round_trip_exactly() -> None:
    stored = {**BOTH, "min_total": 50,
              "segments": {"Enterprise": {"mode": "total", "min_total": 55}},
              "segment": "EMEA"}
    t = Thresholds.of(stored)
    assert t.to_dict() == stored
    assert Thresholds.of(t) is t
    assert t.main == Bar("both", 60, 45, 50) and t.only == "EMEA"
    assert Thresholds.of(None).to_dict() == {} and not Thresholds.of({})
    # A bar saved without its mode is read as two minimums (files written by hand).
    assert Thresholds.of({"min_profile": 1, "min_behavior": 2}).main == Bar("both", 1, 2)


def test_build_leaves_out_segments_at_the_main_bar() -> None:
    main = Bar.from_dict(BOTH)
    t = Thresholds.build(main, {"Enterprise": Bar(min_profile=70, min_behavior=45),
                                "SMB": Bar(min_profile=60, min_behavior=45, min_total=10)})
    assert list(t.segments) == ["Enterprise"]
    # The same scores pass: an idle minimum (min_total in mode both) does not count.
    assert Bar(min_profile=60, min_behavior=45, min_total=10).same_as(main)
    assert not Bar("total", min_total=60).same_as(Bar("total", min_total=61))


def test_each_segment_meets_its_own_bar_matched_trimmed_and_without_case() -> None:
    t = Thresholds.of({**BOTH, "segments": {"Enterprise": {"mode": "total", "min_total": 30}}})
    got = t.reaches([10, 10, 60, 60], [10, 10, 45, 45], [30, 29, 0, 0],
                    [" enterprise", "ENTERPRISE", "SMB", None])
    assert got.tolist() == [True, False, True, True]
    assert t.bar_for("ENTERPRISE ") == Bar("total", min_total=30)
    assert t.bar_for("SMB") == t.main


def test_per_segment_thresholds_need_the_segments() -> None:
    t = Thresholds.of({**BOTH, "segments": {"Enterprise": BOTH}})
    with pytest.raises(ValueError, match="segments are unknown"):
        t.reaches([60], [45], [0])


def test_the_definition_in_words() -> None:
    t = Thresholds.of({**BOTH, "segments": {"Enterprise": {"mode": "total", "min_total": 55}}})
    assert t.describe() == "profile ≥ 60 and behavior ≥ 45; Enterprise: total ≥ 55"
    assert Thresholds.of({"mode": "total", "min_total": 40, "segment": "SMB"}).describe() \
        == "SMB: total ≥ 40"
    assert Thresholds().describe() == "no thresholds"
    assert t.sentences() == [
        "A lead is an MQL when its profile score is at least 60 and its behavior score is "
        "at least 45.",
        "In segment Enterprise, instead, a lead is an MQL when its total score is at least "
        "55."]
    only = Thresholds.of({**BOTH, "segment": "SMB"}).sentences(name=lambda s: f"*{s}*",
                                                               both="**and**")
    assert only[0].startswith("In segment *SMB*, a lead is an MQL when its profile score "
                              "is at least 60 **and**")
    assert "not MQLs unless an auto-rule qualifies them" in only[1]

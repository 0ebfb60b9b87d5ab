"""The MQL rule: at a bar's edge, per segment, limited to a segment, and as worded."""

from __future__ import annotations

import pandas as pd
import pytest

from calibrate.decide.mql import bars, describe, is_mql, reaches_bar, sentences, thresholds_of

BOTH = {"mode": "both", "min_profile": 60, "min_behavior": 45}


def leads(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["profile_points", "behavior_points", "total", "rule",
                                       "Sales Team"])


def test_a_score_equal_to_the_bar_passes_and_one_below_does_not() -> None:
    f = leads((60, 45, 0, None, None), (59, 45, 0, None, None), (60, 44, 0, None, None),
              (100, 100, 0, None, None))
    assert is_mql(f, BOTH).tolist() == [True, False, False, True]
    total = {"mode": "total", "min_total": 55}
    f = leads((0, 0, 55, None, None), (100, 100, 54, None, None))
    assert is_mql(f, total).tolist() == [True, False]


def test_auto_rules_apply_on_top_of_the_bar() -> None:
    f = leads((0, 0, 0, "qualified:demo request", None),
              (100, 100, 100, "disqualified:competitor", None), (100, 100, 100, "", None))
    assert is_mql(f, BOTH).tolist() == [True, False, True]
    assert is_mql(f, None).tolist() == [True, False, False]  # no thresholds: rules alone


def test_a_segment_with_its_own_bar_is_matched_trimmed_and_without_case() -> None:
    t = {**BOTH, "segments": {"Enterprise": {"mode": "total", "min_total": 30}}}
    f = leads((10, 10, 30, None, " enterprise"), (10, 10, 29, None, "ENTERPRISE"),
              (60, 45, 0, None, "SMB"), (60, 45, 0, None, None), (10, 10, 30, None, "SMB"))
    assert is_mql(f, t, "Sales Team").tolist() == [True, False, True, True, False]


def test_a_definition_limited_to_one_segment_leaves_others_to_the_rules() -> None:
    t = {**BOTH, "segment": "Enterprise"}
    f = leads((60, 45, 0, None, "Enterprise"), (60, 45, 0, None, "SMB"),
              (0, 0, 0, "qualified:demo", "SMB"), (60, 45, 0, None, None))
    assert is_mql(f, t, "Sales Team").tolist() == [True, False, True, False]


def test_per_segment_thresholds_need_the_segments() -> None:
    t = {**BOTH, "segments": {"Enterprise": BOTH}}
    with pytest.raises(ValueError, match="segments are unknown"):
        reaches_bar(t, [60], [45], [0])


def test_thresholds_round_trip_and_drop_segments_at_the_main_bar() -> None:
    t = thresholds_of(BOTH, {"Enterprise": {"mode": "both", "min_profile": 70,
                                            "min_behavior": 45},
                             "SMB": dict(BOTH)})
    assert t == {**BOTH, "segments": {"Enterprise": {"mode": "both", "min_profile": 70,
                                                     "min_behavior": 45}}}
    b = bars(t)
    assert b.main == BOTH and list(b.segments) == ["Enterprise"] and b.only is None
    assert bars({**BOTH, "segment": "SMB"}).only == "SMB"


def test_the_definition_in_words() -> None:
    t = {**BOTH, "segments": {"Enterprise": {"mode": "total", "min_total": 55}}}
    assert describe(t) == "profile ≥ 60 and behavior ≥ 45; Enterprise: total ≥ 55"
    assert describe({"mode": "total", "min_total": 40, "segment": "SMB"}) == "SMB: total ≥ 40"
    assert sentences(t) == [
        "A lead is an MQL when its profile score is at least 60 and its behavior score is "
        "at least 45.",
        "In segment Enterprise, instead, a lead is an MQL when its total score is at least "
        "55."]
    only = sentences({**BOTH, "segment": "SMB"}, name=lambda s: f"*{s}*", both="**and**")
    assert only[0].startswith("In segment *SMB*, a lead is an MQL when its profile score "
                              "is at least 60 **and**")
    assert "not MQLs unless an auto-rule qualifies them" in only[1]

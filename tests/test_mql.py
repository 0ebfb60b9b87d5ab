"""The MQL rule: at a bar's edge, with the auto-rules, per segment, limited to a segment."""

from __future__ import annotations

import pandas as pd

from calibrate.decide.mql import is_mql
from calibrate.thresholds import Bar, Thresholds

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


def test_the_typed_thresholds_and_their_stored_form_score_alike() -> None:
    t = Thresholds(Bar(min_profile=60, min_behavior=45),
                   {"Enterprise": Bar("total", min_total=30)})
    f = leads((10, 10, 30, None, "Enterprise"), (60, 45, 0, None, "SMB"),
              (59, 45, 0, None, "SMB"))
    assert is_mql(f, t, "Sales Team").tolist() == is_mql(f, t.to_dict(), "Sales Team"
                                                          ).tolist() == [True, True, False]

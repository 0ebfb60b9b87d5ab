"""The MQL rule on scored leads: a lead is an MQL when it reaches its segment's bar and no
auto-rule disqualifies it, or when an auto-rule qualifies it whatever its score.

The bars are :class:`calibrate.thresholds.Thresholds` (one definition for scoring, the
agreement and its wording); the count grid applies the same rule to counts
(:mod:`calibrate.decide.tradeoff`).
"""

from __future__ import annotations

import pandas as pd

from calibrate.thresholds import Thresholds, ThresholdsLike


def is_mql(frame: pd.DataFrame, thresholds: ThresholdsLike,
           segment: str | None = None) -> pd.Series:
    """Whether each scored lead (``profile_points``, ``behavior_points``, ``total``,
    ``rule``) is an MQL: its segment's bar (``segment``: the frame's column holding it)
    after the auto-rules."""
    rule = frame["rule"].fillna("").astype(str)
    seg = frame[segment] if segment is not None and segment in frame else None
    passed = Thresholds.of(thresholds).reaches(frame["profile_points"],
                                               frame["behavior_points"], frame["total"], seg)
    qualified = rule.str.startswith("qualified")
    disqualified = rule.str.startswith("disqualified")
    return (pd.Series(passed, index=frame.index) | qualified) & ~disqualified

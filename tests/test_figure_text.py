"""The capacity bar in words (the Thresholds and Present screens): never the colour alone."""

from __future__ import annotations

import math

from calibrate.decide.figure_text import NEAR_CAPACITY, capacity_status


def test_capacity_status_says_over_near_or_within_in_words() -> None:
    over = capacity_status(2.07, 400.0, 828.0)
    assert over is not None and (over.state, over.fill) == ("over", 1.0)
    assert over.label == "Over capacity: 207%"
    assert over.detail == "828 MQLs a month; sales can work 400"
    near = capacity_status(0.95, 400.0, 380.0)
    assert near is not None and (near.state, near.fill) == ("near", 0.95)
    assert (near.label, near.detail) == ("Near capacity: 95%", "380 of 400 MQLs a month")
    ok = capacity_status(0.62, 400.0, 248.0)
    assert ok is not None and (ok.state, ok.fill) == ("ok", 0.62)
    assert (ok.label, ok.detail) == ("Within capacity: 62%", "248 of 400 MQLs a month")


def test_capacity_status_edges() -> None:
    assert capacity_status(None, None, 10.0) is None  # no capacity set (or no dates)
    assert capacity_status(NEAR_CAPACITY, 100.0, 90.0).state == "near"  # type: ignore[union-attr]
    assert capacity_status(1.0, 100.0, 100.0).state == "near"  # type: ignore[union-attr]
    assert capacity_status(1.01, 100.0, 101.0).state == "over"  # type: ignore[union-attr]
    assert capacity_status(0.5, 10.0, 5.0, near=0.4).state == "near"  # type: ignore[union-attr]
    none = capacity_status(math.inf, 0.0, 3.0)
    assert none is not None and (none.state, none.fill) == ("over", 1.0)
    assert none.label == "Over capacity" and none.detail == "3 MQLs a month; sales can work none"
    assert capacity_status(0.0, 0.0, 0.0).state == "ok"  # type: ignore[union-attr]

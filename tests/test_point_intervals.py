"""Each level's 95% interval in points: the points' own map, clipped, rounded half up."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate.model.point_intervals import interval_points, interval_text, with_intervals
from calibrate.model.points import points_table

from model_fixtures import sample_fit


def _table() -> pd.DataFrame:
    """seniority runs from -1 to 1 in log-odds and gets 40 points at most; industry is flat
    (every level the same coefficient) and gets none; one level has no interval."""
    return pd.DataFrame({
        "axis": ["profile"] * 6,
        "attribute": ["seniority"] * 4 + ["industry"] * 2,
        "level": ["Student", "Manager", "VP", "Missing", "Retail", "Missing"],
        "coefficient": [-1.0, 0.0, 1.0, -0.375, 0.0, 0.0],
        "ci_low": [-1.5, -0.3, 0.6, np.nan, -0.4, -0.2],
        "ci_high": [-0.5, 0.3, 1.6, np.nan, 0.4, 0.2],
        "points": [0, 20, 40, 13, 0, 0],
        "suggested_points": [0, 20, 40, 13, 0, 0],
    })


def test_the_ends_map_like_the_points_and_clip_to_the_attribute_range():
    got = interval_points(_table())
    assert got["points_low"].tolist()[:3] == [0, 14, 32]
    assert got["points_high"].tolist()[:3] == [10, 26, 40]


def test_a_level_at_the_attribute_minimum_starts_at_zero():
    got = interval_points(_table())
    assert (got.loc[0, "points_low"], got.loc[0, "points_high"]) == (0, 10)


def test_a_flat_attribute_gives_zero_to_zero():
    got = interval_points(_table())
    assert got.loc[4:5, "points_low"].tolist() == [0, 0]
    assert got.loc[4:5, "points_high"].tolist() == [0, 0]


def test_rounding_is_half_up_as_the_points():
    table = _table()
    table.loc[1, "ci_low"] = -0.375  # (−0.375 + 1) / 2 * 40 = 12.5 exactly
    assert interval_points(table).loc[1, "points_low"] == 13


def test_a_level_without_an_interval_is_missing_and_reads_as_a_dash():
    got = interval_points(_table())
    assert got.loc[3, "points_low"] is pd.NA and got.loc[3, "points_high"] is pd.NA
    assert interval_text(got.loc[3, "points_low"], got.loc[3, "points_high"]) == "–"
    assert interval_text(14, 26) == "14 and 26 points"
    assert interval_text(None, 3) == "–"


def test_with_intervals_adds_two_columns_and_keeps_the_rows():
    table = _table()
    out = with_intervals(table)
    assert list(out.columns) == list(table.columns) + ["points_low", "points_high"]
    pd.testing.assert_frame_equal(out[table.columns], table)


def test_a_coefficient_taken_as_its_own_interval_maps_to_the_suggested_points():
    table = points_table(sample_fit())
    exact = table.assign(ci_low=table["coefficient"], ci_high=table["coefficient"])
    got = interval_points(exact)
    assert got["points_low"].tolist() == table["suggested_points"].tolist()
    real = interval_points(table)
    assert (real["points_low"] <= table["suggested_points"]).all()
    assert (table["suggested_points"] <= real["points_high"]).all()
    tops = table.groupby("attribute")["suggested_points"].transform("max")
    assert (real["points_high"] <= tops).all() and (real["points_low"] >= 0).all()

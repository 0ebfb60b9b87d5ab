"""Chart builders: the thresholds are drawn where they are, outcome colours never change."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate import fmt
from calibrate.decide.grid import grid_from_frame
from calibrate.decide.tradeoff import Settings, figures, heatmap, score_distribution, tradeoff_curve
from calibrate.ui import charts


def cube():
    rng = np.random.default_rng(3)
    n = 2_000
    leads = pd.DataFrame({
        "profile_points": rng.integers(0, 101, n), "behavior_points": rng.integers(0, 101, n),
        "outcome": rng.choice(["won", "lost", "no_decision", "open"], n, p=[.1, .5, .3, .1]),
        "rule": None, "month": pd.Timestamp("2025-01-01"), "segment": None})
    leads["total"] = (leads.profile_points + leads.behavior_points) // 2
    return grid_from_frame(leads).cube()


def test_threshold_charts_mark_the_current_setting():
    c = cube()
    s = Settings(min_profile=60, min_behavior=40, reps=5, leads_per_rep_per_month=30)
    f = figures(c, s)
    trade = charts.tradeoff_chart(tradeoff_curve(c, s), f.to_dict(), s.capacity)
    current = [sh for sh in trade.layout.shapes if sh.name == "Current thresholds"][0]
    assert (current.xanchor, current.yanchor) == (f.mqls_per_month, f.conversion)
    assert current.showlegend
    assert trade.layout.shapes[0].x0 == s.capacity == 150
    heat = charts.heatmap_chart(heatmap(c), 60, 40)
    box = heat.layout.shapes[0]
    assert (box.x0, box.y0, box.x1, box.y1) == (40, 60, 100, 100)
    assert "A1" in heat.data[0].text[0][-1] or "A1" in str(heat.data[0].text)
    dist = charts.distribution_chart(score_distribution(c, "profile"), "profile", 60)
    assert dist.layout.shapes[0].x0 == 60
    assert [t.line.color for t in dist.data] == [fmt.OUTCOME_COLOURS[o] for o in
                                                 ("won", "lost", "no_decision")]
    for t in dist.data:  # each outcome's curve is a share of its own leads
        assert abs(sum(t.y) - 1) < 1e-9


def test_moving_a_threshold_keeps_the_data_revision():
    """plotly.js reuses its computed traces only while ``datarevision`` stays the same, so
    it must stay put when only a threshold moves and change whenever the data does."""
    c = cube()
    low, high = Settings(min_profile=40, min_behavior=40), Settings(min_profile=70,
                                                                     min_behavior=40)
    curve = tradeoff_curve(c, low)
    a = charts.tradeoff_chart(curve, figures(c, low).to_dict())
    b = charts.tradeoff_chart(curve, figures(c, high).to_dict())
    assert a.layout.datarevision == b.layout.datarevision
    assert a.layout.shapes != b.layout.shapes
    dist = score_distribution(c, "profile")
    assert (charts.distribution_chart(dist, "profile", 40).layout.datarevision
            == charts.distribution_chart(dist, "profile", 70).layout.datarevision)
    cells = heatmap(c)
    assert (charts.heatmap_chart(cells, 40, 40).layout.datarevision
            == charts.heatmap_chart(cells, 70, 40).layout.datarevision)
    other = tradeoff_curve(c, low, "total")
    assert charts.tradeoff_chart(other, figures(c, low).to_dict()).layout.datarevision != (
        a.layout.datarevision)
    changed = dist.copy()
    changed.loc[changed.index[0], "won"] += 1
    assert (charts.distribution_chart(changed, "profile", 40).layout.datarevision
            != charts.distribution_chart(dist, "profile", 40).layout.datarevision)


def test_data_revision_sees_every_value():
    base = [{"type": "scatter", "x": np.arange(5), "y": [0.1, 0.2], "text": ["a", "b"]}]
    same = [{"type": "scatter", "x": np.arange(5), "y": [0.1, 0.2], "text": ["a", "b"]}]
    assert charts.data_revision(base) == charts.data_revision(same)
    for change in ({"x": np.arange(1, 6)}, {"x": np.arange(5, dtype=float)}, {"y": [0.1, 0.3]},
                   {"text": ["a", "c"]}, {"name": "new"},
                   {"x": np.array(["a", "b", "c", "d", "e"], dtype=object)}):
        assert charts.data_revision([{**base[0], **change}]) != charts.data_revision(base)


def test_model_charts():
    table = pd.DataFrame({"axis": ["profile"] * 2, "attribute": ["seniority"] * 2,
                          "level": ["VP", "Student"], "coefficient": [0.8, -2.0],
                          "ci_low": [0.6, -2.9], "ci_high": [1.0, -1.1], "points": [30, 0],
                          "leads": [900, 40], "wins": [80, 0]})
    w = charts.weights_chart(table, "profile")
    assert list(w.data[0].y) == ["seniority: Student", "seniority: VP"]
    assert list(w.data[0].error_x.arrayminus) == [0.9, 0.2] or np.allclose(
        w.data[0].error_x.arrayminus, [0.9, 0.2])
    lift = charts.lift_chart(pd.DataFrame({"bin": [1, 2], "win_rate": [0.3, 0.01]}), 0.05)
    assert lift.layout.shapes[0].y0 == 0.05
    cal = charts.calibration_chart(pd.DataFrame({"predicted": [0.01, 0.2],
                                                 "observed": [0.02, 0.18]}))
    assert cal.data[1].name == "model"

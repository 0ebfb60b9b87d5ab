"""Chart builders: the thresholds are drawn where they are, outcome colours never change."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate import charts, fmt
from calibrate.grid import grid_from_frame
from calibrate.tradeoff import Settings, figures, heatmap, score_distribution, tradeoff_curve


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
    current = [t for t in trade.data if t.name == "Current thresholds"][0]
    assert current.x[0] == f.mqls_per_month and current.y[0] == f.conversion
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

"""Chart builders: the thresholds are drawn where they are, outcome colours never change."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibrate import fmt
from calibrate.decide.grid import grid_from_frame
from calibrate.decide.grid_views import heatmap, score_distribution
from calibrate.decide.sweep import tradeoff_curve
from calibrate.decide.tradeoff import Settings, figures
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
    assert w.data[0].type == "bar" and list(w.data[0].x) == [0, 30]
    assert list(w.data[1].error_x.arrayminus) == [0, 0]  # no range in the table: none drawn


def test_weights_chart_draws_points_as_bars_and_the_suggestions_range_in_points():
    table = pd.DataFrame({"axis": ["profile"] * 3 + ["behavior"], "attribute": ["seniority"] * 3
                          + ["visits"], "level": ["VP", "Manager", "Student", "10+"],
                          "points": [25, 12, 0, 40], "suggested_points": [30, 12, 0, 40],
                          "points_low": pd.array([22, 6, 0, 30], dtype="Int64"),
                          "points_high": pd.array([30, 18, None, 40], dtype="Int64"),
                          "leads": [900, 300, 40, 50], "wins": [80, 20, 0, 9]})
    w = charts.weights_chart(table, "profile")
    bars, suggested, numbers = w.data
    assert list(bars.y) == ["seniority: Student", "seniority: Manager", "seniority: VP"]
    assert list(bars.x) == [0, 12, 25]  # the points in force, edits included
    assert list(suggested.x) == [0, 12, 30]
    assert list(suggested.error_x.arrayminus) == [0, 6, 8]
    assert list(suggested.error_x.array) == [0, 6, 0]  # a missing end draws no line
    assert "could be 6 to 18" in bars.hovertext[1]
    assert [t.strip("\u00a0") for t in numbers.text] == ["0", "12", "25"]
    assert list(numbers.x) == [0, 18, 30]  # clear of the bar, the diamond and the line
    assert "points" in w.layout.xaxis.title.text and "log-odds" not in w.layout.xaxis.title.text
    assert w.layout.font.size >= 16
    lift = charts.lift_chart(pd.DataFrame({"bin": [1, 2], "win_rate": [0.3, 0.01]}), 0.05)
    assert lift.layout.shapes[0].y0 == 0.05
    cal = charts.calibration_chart(pd.DataFrame({"predicted": [0.01, 0.2],
                                                 "observed": [0.02, 0.18]}))
    assert cal.data[1].name == "model"


def _hue(colour: str) -> tuple[float, float]:
    import colorsys

    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    h, _, sat = colorsys.rgb_to_hls(r, g, b)
    return 360 * h, sat


def test_the_thresholds_never_share_a_colour_with_an_outcome():
    """Issue 19: the threshold lines were the orange of the No-decision curve."""
    hue, sat = _hue(charts.THRESHOLD_COLOUR)
    for outcome, colour in fmt.OUTCOME_COLOURS.items():
        other, other_sat = _hue(colour)
        if other_sat < 0.3:  # a grey is told apart by saturation
            assert sat - other_sat > 0.3, outcome
            continue
        apart = min(abs(hue - other), 360 - abs(hue - other))
        assert apart >= 60, (outcome, apart)
    c = cube()
    dist = charts.distribution_chart(score_distribution(c, "profile"), "profile", 60)
    line = dist.layout.shapes[0].line
    assert line.color == charts.THRESHOLD_COLOUR and line.dash not in (None, "solid")
    assert all(t.line.dash in (None, "solid") for t in dist.data)  # outcomes stay solid
    box = charts.heatmap_chart(heatmap(c), 60, 40).layout.shapes[0].line
    assert box.color == charts.THRESHOLD_COLOUR and box.dash == charts.THRESHOLD_DASH


def test_the_grid_counts_a_month_and_its_words_sit_above_the_outline():
    """Issue 19: the grid showed the window's totals under a per-month headline, and the
    thresholds' outline was drawn over the cells' text."""
    c = cube()  # one month of 2,000 leads
    cells = heatmap(c, months=4)  # as if the window were four months
    heat = charts.heatmap_chart(cells, 37, 40)
    trace = heat.data[0]
    assert trace.texttemplate is None  # no text inside the trace, under the outline
    notes = heat.layout.annotations
    assert len(notes) == 16 and all(n.bgcolor for n in notes)
    a1 = cells.set_index("cell").loc["A1"]
    first = next(n for n in notes if n.text.startswith("<b>A1</b>"))
    assert f"{fmt.per_month(a1['leads'] / 4)} leads" in first.text
    assert f"{fmt.per_month(a1['leads'])} leads" not in first.text
    assert heat.layout.title.text.startswith("Leads per month")
    undated = charts.heatmap_chart(cells, 37, 40, per="in all")
    assert undated.layout.title.text.startswith("Leads in all")
    s = Settings(min_profile=60, min_behavior=40)
    trade = charts.tradeoff_chart(tradeoff_curve(c, s), figures(c, s).to_dict(), per="in all")
    assert trade.layout.xaxis.title.text == "MQLs in all"

"""Plotly figure builders: data in, figure out, no Streamlit (so notebooks can use them).

Won, lost and no-decision keep the same colours in every chart (:data:`fmt.OUTCOME_COLOURS`),
and fonts are large enough to read from the back of a meeting room.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from calibrate import fmt

FONT = {"size": 16}
_LAYOUT = {"font": FONT, "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
           "plot_bgcolor": "white", "height": 420}


def _finish(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 20}}, **_LAYOUT)
    fig.update_xaxes(gridcolor="#eee", zeroline=False)
    fig.update_yaxes(gridcolor="#eee", zeroline=False)
    return fig


def tradeoff_chart(curve: pd.DataFrame, current: dict[str, float],
                   capacity: float | None = None) -> go.Figure:
    """Volume (MQLs a month) against conversion along the frontier, the current point and
    the capacity line."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=curve["mqls_per_month"], y=curve["conversion"], mode="lines+markers",
        name="Best thresholds for each volume", line={"color": "#1565c0", "width": 3},
        marker={"size": 6},
        customdata=curve[["min_profile", "min_behavior"]].to_numpy(),
        hovertemplate="%{x:.0f} MQLs/month, %{y:.1%} conversion<br>"
                      "profile ≥ %{customdata[0]}, behavior ≥ %{customdata[1]}<extra></extra>"))
    if not math.isnan(current.get("conversion", math.nan)):
        fig.add_trace(go.Scatter(
            x=[current["mqls_per_month"]], y=[current["conversion"]], mode="markers",
            name="Current thresholds", marker={"size": 18, "color": "#ef6c00",
                                               "line": {"width": 2, "color": "black"}}))
    if capacity:
        fig.add_vline(x=capacity, line={"dash": "dash", "color": "#455a64", "width": 2},
                      annotation_text=f"sales capacity {fmt.number(capacity)}/month",
                      annotation_position="top left")
    fig.update_xaxes(title="MQLs per month", rangemode="tozero")
    fig.update_yaxes(title="Conversion (win rate)", tickformat=".0%")
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return _finish(fig, "Quantity against quality")


def heatmap_chart(cells: pd.DataFrame, min_profile: int, min_behavior: int,
                  bands: int = 4) -> go.Figure:
    """Win rate per cell (profile grade by behavior level), with volume, and the thresholds."""
    size = 100 / bands
    grades = sorted(cells["grade"].unique())
    levels = sorted(cells["level"].unique())
    z, text = [], []
    for g in grades:
        row_z, row_t = [], []
        for lv in levels:
            c = cells[(cells["grade"] == g) & (cells["level"] == lv)].iloc[0]
            rate = c["win_rate"]
            row_z.append(None if pd.isna(rate) else rate)
            row_t.append(f"<b>{g}{lv}</b><br>{fmt.number(c['leads'])} leads<br>"
                         f"{fmt.percent(rate)} won")
        z.append(row_z)
        text.append(row_t)
    # Cells are placed on the points scale so the thresholds can be drawn where they are.
    ys = [100 - size * (i + 0.5) for i in range(len(grades))]
    xs = [100 - size * (i + 0.5) for i in range(len(levels))]
    fig = go.Figure(go.Heatmap(
        z=z, x=xs, y=ys, text=text, texttemplate="%{text}", textfont={"size": 15},
        colorscale="Greens", colorbar={"title": "win rate", "tickformat": ".0%"},
        hoverinfo="text", xgap=3, ygap=3))
    fig.add_shape(type="rect", x0=min_behavior, x1=100, y0=min_profile, y1=100,
                  line={"color": "#ef6c00", "width": 4})
    fig.update_xaxes(title="Behavior score (level 4 → 1)", range=[0, 100],
                     tickvals=[0, 25, 50, 75, 100])
    fig.update_yaxes(title="Profile score (grade D → A)", range=[0, 100],
                     tickvals=[0, 25, 50, 75, 100])
    return _finish(fig, "Profile grade by behavior level (MQL area outlined)")


def distribution_chart(dist: pd.DataFrame, axis: str, threshold: int | None) -> go.Figure:
    """Share of won, lost and no-decision leads at each score, and the threshold."""
    fig = go.Figure()
    for outcome in ("won", "lost", "no_decision"):
        total = dist[outcome].sum()
        share = dist[outcome] / total if total else dist[outcome] * 0
        fig.add_trace(go.Scatter(
            x=dist["points"], y=share, name=fmt.OUTCOME_LABELS[outcome], mode="lines",
            line={"color": fmt.OUTCOME_COLOURS[outcome], "width": 3, "shape": "hvh"}))
    if threshold is not None:
        fig.add_vline(x=threshold, line={"color": "#ef6c00", "width": 3},
                      annotation_text=f"threshold {threshold}")
    fig.update_xaxes(title=f"{axis.capitalize()} score", range=[0, 100])
    fig.update_yaxes(title="Share of the outcome's leads", tickformat=".0%")
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return _finish(fig, f"{axis.capitalize()} scores of won, lost and no-decision leads")


def weights_chart(table: pd.DataFrame, axis: str) -> go.Figure:
    """Each level's effect with its 95% interval, so nobody over-reads a thin level."""
    part = table[table["axis"] == axis].iloc[::-1]
    labels = [f"{a}: {lv}" for a, lv in zip(part["attribute"], part["level"], strict=True)]
    fig = go.Figure(go.Scatter(
        x=part["coefficient"], y=labels, mode="markers",
        marker={"size": 10, "color": "#1565c0"},
        error_x={"type": "data", "symmetric": False,
                 "array": (part["ci_high"] - part["coefficient"]).clip(lower=0),
                 "arrayminus": (part["coefficient"] - part["ci_low"]).clip(lower=0),
                 "color": "#90a4ae", "thickness": 3},
        customdata=part[["points", "leads", "wins"]].to_numpy(),
        hovertemplate="%{y}<br>effect %{x:.2f} (log-odds)<br>%{customdata[0]} points · "
                      "%{customdata[1]} leads · %{customdata[2]} wins<extra></extra>"))
    fig.add_vline(x=0, line={"color": "#bbb"})
    fig.update_xaxes(title="Effect on the odds of winning (log-odds, 95% interval)")
    fig.update_layout(height=max(300, 26 * len(part) + 120))
    fig = _finish(fig, f"{axis.capitalize()} weights and how sure we are")
    fig.update_layout(height=max(300, 26 * len(part) + 120))
    return fig


def calibration_chart(table: pd.DataFrame) -> go.Figure:
    """Predicted against observed win rate by bin (on the held-out leads)."""
    top = float(max(table["predicted"].max(), table["observed"].max(), 0.01))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="perfect",
                             line={"dash": "dot", "color": "#999"}))
    fig.add_trace(go.Scatter(x=table["predicted"], y=table["observed"], mode="lines+markers",
                             name="model", line={"color": "#1565c0", "width": 3}))
    fig.update_xaxes(title="Predicted win rate", tickformat=".0%")
    fig.update_yaxes(title="Observed win rate", tickformat=".0%")
    return _finish(fig, "Calibration (held-out leads)")


def lift_chart(deciles: pd.DataFrame, base_rate: float | None = None) -> go.Figure:
    """Win rate by score decile (1 = highest scores) on held-out leads, against the average."""
    fig = go.Figure(go.Bar(x=deciles["bin"], y=deciles["win_rate"],
                           marker={"color": fmt.OUTCOME_COLOURS["won"]},
                           text=[fmt.percent(v) for v in deciles["win_rate"]],
                           textposition="outside"))
    if base_rate is not None and not math.isnan(base_rate):
        fig.add_hline(y=base_rate, line={"dash": "dash"}, annotation_text="average")
    fig.update_xaxes(title="Score decile (1 = highest scores)", dtick=1)
    fig.update_yaxes(title="Win rate", tickformat=".0%")
    return _finish(fig, "Win rate by score decile (held-out leads)")

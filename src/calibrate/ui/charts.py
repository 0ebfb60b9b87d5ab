"""Plotly figure builders: data in, figure out, no Streamlit (so notebooks can use them).

Won, lost and no-decision keep the same colours in every chart (:data:`fmt.OUTCOME_COLOURS`),
and fonts are large enough to read from the back of a meeting room. Figures are built from
plain dicts in one ``go.Figure(data, layout)`` call: the threshold charts are redrawn on
every slider move, and plotly's incremental helpers (``add_vline``, ``update_xaxes``) cost
several times more. Two more things keep a slider move cheap in the browser: each figure
carries a ``datarevision`` (a hash of its data), so plotly.js skips recomputing traces
whose data did not change; and the threshold charts have fixed margins, so plotly.js does
not lay a chart out twice to fit its legend or colour bar.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from calibrate import fmt

#: The thresholds (lines, the heatmap's outline, the current point): a purple far in hue
#: from every outcome colour (fmt.OUTCOME_COLOURS) and the blue curve, and dashed, so they
#: never read as an outcome's line.
THRESHOLD_COLOUR = "#6a1b9a"
THRESHOLD_DASH = "dash"
LINE_COLOUR = "#1565c0"
# Fixed margins of the charts redrawn on every slider move (room for axis titles, and for
# the legend below the plot or the colour bar on the right).
LEGEND_BELOW = {"l": 90, "r": 30, "t": 60, "b": 105}
COLOUR_BAR = {"l": 90, "r": 120, "t": 60, "b": 80}


def _feed(h: Any, value: Any) -> None:
    """Feed a trace value into a hash: arrays by their bytes, containers item by item."""
    if isinstance(value, np.ndarray) and value.dtype.kind != "O":
        h.update(f"{value.dtype.str}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.ndarray):
        _feed(h, value.tolist())
    elif isinstance(value, dict):
        for key in sorted(value):
            h.update(f"<{key}>".encode())
            _feed(h, value[key])
    elif isinstance(value, list | tuple):
        h.update(b"[")
        for item in value:
            _feed(h, item)
            h.update(b",")
        h.update(b"]")
    else:
        h.update(repr(value).encode())


def data_revision(data: list[dict[str, Any]]) -> str:
    """A hash of the traces: it changes whenever any trace value does.

    Given as ``layout.datarevision``, it lets plotly.js keep its computed traces when a
    redraw only moves a threshold line (without it, every new array counts as new data).
    """
    h = hashlib.blake2b(digest_size=12)
    _feed(h, data)
    return h.hexdigest()


def _figure(data: list[dict[str, Any]], title: str, x: dict[str, Any], y: dict[str, Any],
            margin: dict[str, int] | None = None, **layout: Any) -> go.Figure:
    """A figure in the house style. ``margin`` fixes the margins (no automatic growth to fit
    legends and colour bars, which costs plotly.js a second layout on every redraw)."""
    axis = {"gridcolor": "#eee", "zeroline": False}
    base = {
        "title": {"text": title, "font": {"size": 20}}, "font": {"size": 16},
        "margin": ({**margin, "autoexpand": False} if margin
                   else {"l": 60, "r": 20, "t": 50, "b": 50}),
        "plot_bgcolor": "white", "height": 420, "xaxis": {**axis, **x},
        "yaxis": {**axis, **y}, "datarevision": data_revision(data),
    }
    return go.Figure(data=data, layout={**base, **layout})


def _vline(x: float, colour: str, text: str, dash: str = "solid") -> tuple[dict, dict]:
    shape = {"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "yref": "paper",
             "line": {"color": colour, "width": 3, "dash": dash}}
    note = {"x": x, "y": 1, "yref": "paper", "text": text, "showarrow": False,
            "xanchor": "left", "yanchor": "bottom", "font": {"size": 14}}
    return shape, note


def _marker(x: float, y: float, name: str, size: int = 18) -> dict[str, Any]:
    """A round marker at data point (x, y), ``size`` pixels across, drawn as a layout shape:
    moving it leaves the traces alone, so plotly.js only redraws the shape."""
    r = size / 2
    return {"type": "circle", "xref": "x", "yref": "y", "xsizemode": "pixel",
            "ysizemode": "pixel", "xanchor": x, "yanchor": y, "x0": -r, "x1": r, "y0": -r,
            "y1": r, "fillcolor": THRESHOLD_COLOUR, "line": {"color": "black", "width": 2},
            "name": name, "showlegend": True, "layer": "above"}


def tradeoff_chart(curve: pd.DataFrame, current: dict[str, float],
                   capacity: float | None = None, per: str = "per month") -> go.Figure:
    """Volume (MQLs a month, or ``per`` "in all" for leads without dates) against
    conversion along the frontier, the current point and the capacity line."""
    data: list[dict[str, Any]] = [{
        "type": "scatter", "x": curve["mqls_per_month"].to_numpy(),
        "y": curve["conversion"].to_numpy(), "mode": "lines+markers",
        "name": "Best thresholds for each volume", "line": {"color": LINE_COLOUR, "width": 3},
        "marker": {"size": 6}, "customdata": curve[["min_profile", "min_behavior"]].to_numpy(),
        "hovertemplate": f"%{{x:.0f}} MQLs {per}, %{{y:.1%}} conversion<br>profile ≥ "
                         "%{customdata[0]}, behavior ≥ %{customdata[1]}<extra></extra>"}]
    shapes, notes = [], []
    if capacity:
        shape, note = _vline(capacity, "#455a64",
                             f"sales capacity {fmt.per_month(capacity)} {per}", "dash")
        shapes.append(shape)
        notes.append(note)
    if not math.isnan(current.get("conversion", math.nan)):
        shapes.append(_marker(current["mqls_per_month"], current["conversion"],
                              "Current thresholds"))
    return _figure(data, "Quantity against quality",
                   {"title": {"text": f"MQLs {per}"}, "rangemode": "tozero"},
                   {"title": {"text": "Conversion (win rate)"}, "tickformat": ".0%"},
                   margin=LEGEND_BELOW, shapes=shapes, annotations=notes,
                   legend={"orientation": "h", "y": -0.2})


def big_screen(fig: go.Figure, height: int, size: int = 20) -> go.Figure:
    """A chart for the projector (the Present page): ``height`` pixels tall, every text
    ``size`` pixels (the title more), margins to fit them and the legend at the bottom.
    Changes ``fig`` and returns it."""
    big = {"size": size}
    fig.update_layout(
        height=height, font=big, title_font_size=size + 6, legend_font=big,
        xaxis_title_font=big, xaxis_tickfont=big, yaxis_title_font=big, yaxis_tickfont=big,
        margin={"l": 5 * size, "r": 2 * size, "t": 3 * size + 10, "b": 6 * size + 10,
                "autoexpand": False},
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"})
    fig.update_annotations(font_size=size)
    return fig


def heatmap_chart(cells: pd.DataFrame, min_profile: int, min_behavior: int,
                  bands: int = 4, per: str = "per month") -> go.Figure:
    """Win rate per cell (profile grade by behavior level), with its leads ``per`` month
    (the ``leads_per_month`` column, as the headline figures count them; ``per`` "in all"
    for leads without dates), and the thresholds outlined.

    The cells' words are annotations on a light box: plotly.js draws annotations above
    every shape, so the outline never covers them wherever the thresholds cut a cell."""
    size = 100 / bands
    grades = sorted(cells["grade"].unique())
    levels = sorted(cells["level"].unique())
    by_cell = cells.set_index(["grade", "level"])
    count = "leads_per_month" if "leads_per_month" in cells else "leads"
    # Cells sit on the points scale so the thresholds can be drawn where they are.
    ys = [100 - size * (i + 0.5) for i in range(len(grades))]
    xs = [100 - size * (i + 0.5) for i in range(len(levels))]
    z, hover, notes = [], [], []
    for g, y in zip(grades, ys, strict=True):
        row_z, row_h = [], []
        for lv, x in zip(levels, xs, strict=True):
            c = by_cell.loc[(g, lv)]
            rate, leads = c["win_rate"], fmt.per_month(c[count])
            row_z.append(None if pd.isna(rate) else float(rate))
            row_h.append(f"{g}{lv}: {leads} leads {per}, {fmt.percent(rate)} of them won")
            notes.append({"x": x, "y": y, "showarrow": False,
                          "text": f"<b>{g}{lv}</b><br>{leads} leads<br>{fmt.percent(rate)} won",
                          "font": {"size": 15, "color": "#212121"},
                          "bgcolor": "rgba(255,255,255,0.8)", "borderpad": 2})
        z.append(row_z)
        hover.append(row_h)
    data = [{"type": "heatmap", "z": z, "x": xs, "y": ys, "text": hover,
             "colorscale": "Greens",
             "colorbar": {"title": {"text": "win rate"}, "tickformat": ".0%"},
             "hoverinfo": "text", "xgap": 3, "ygap": 3}]
    box = {"type": "rect", "x0": min_behavior, "x1": 100, "y0": min_profile, "y1": 100,
           "line": {"color": THRESHOLD_COLOUR, "width": 4, "dash": THRESHOLD_DASH}}
    ticks = [0, 25, 50, 75, 100]
    return _figure(data, f"Leads {per} and win rate (MQLs outlined)",
                   {"title": {"text": "Behavior score (level 4 → 1)"}, "range": [0, 100],
                    "tickvals": ticks},
                   {"title": {"text": "Profile score (grade D → A)"}, "range": [0, 100],
                    "tickvals": ticks},
                   margin=COLOUR_BAR, shapes=[box], annotations=notes)


def distribution_chart(dist: pd.DataFrame, axis: str, threshold: int | None) -> go.Figure:
    """Share of won, lost and no-decision leads at each score, and the threshold."""
    data = []
    for outcome in ("won", "lost", "no_decision"):
        counts = dist[outcome].to_numpy(dtype=float)
        total = counts.sum()
        data.append({"type": "scatter", "x": dist["points"].to_numpy(),
                     "y": counts / total if total else counts, "mode": "lines",
                     "name": fmt.OUTCOME_LABELS[outcome],
                     "line": {"color": fmt.OUTCOME_COLOURS[outcome], "width": 3,
                              "shape": "hvh"}})
    shapes, notes = [], []
    if threshold is not None:
        shape, note = _vline(threshold, THRESHOLD_COLOUR, f"threshold {threshold}",
                             THRESHOLD_DASH)
        shapes.append(shape)
        notes.append(note)
    name = axis.capitalize()
    return _figure(data, f"{name} scores of won, lost and no-decision leads",
                   {"title": {"text": f"{name} score"}, "range": [0, 100]},
                   {"title": {"text": "Share of the outcome's leads"}, "tickformat": ".0%"},
                   margin=LEGEND_BELOW, shapes=shapes, annotations=notes,
                   legend={"orientation": "h", "y": -0.2})


def weights_chart(table: pd.DataFrame, axis: str) -> go.Figure:
    """Each level's points as a bar, with the suggestion as a diamond and, when the table
    has ``points_low`` and ``points_high`` (:mod:`calibrate.model.point_intervals`), the range
    the suggestion could lie in as a line through it, so nobody over-reads a thin level.

    Blue bars and a black diamond on a grey line: told apart without colour vision."""
    part = table[table["axis"] == axis].iloc[::-1]
    labels = [f"{a}: {lv}" for a, lv in zip(part["attribute"], part["level"], strict=True)]
    points = part["points"].to_numpy(dtype=float)
    suggested = (part["suggested_points"] if "suggested_points" in part
                 else part["points"]).to_numpy(dtype=float)
    ranged = {"points_low", "points_high"} <= set(part.columns)
    low = part["points_low"].astype(float).to_numpy() if ranged else suggested
    high = part["points_high"].astype(float).to_numpy() if ranged else suggested
    ranges = [f"could be {lo:.0f} to {hi:.0f}" if ranged and not (math.isnan(lo)
              or math.isnan(hi)) else "no range" for lo, hi in zip(low, high, strict=True)]
    hover = [f"suggested {s:.0f} · {r}<br>{fmt.number(n)} leads · {fmt.number(w)} wins"
             for s, r, n, w in zip(suggested, ranges, part["leads"], part["wins"], strict=True)]
    data: list[dict[str, Any]] = [{
        "type": "bar", "orientation": "h", "x": points, "y": labels, "name": "Points",
        "marker": {"color": "#90caf9", "line": {"color": LINE_COLOUR, "width": 1}},
        "hovertext": hover,
        "hovertemplate": "%{y}: %{x} points<br>%{hovertext}<extra></extra>"}, {
        "type": "scatter", "x": suggested, "y": labels, "mode": "markers",
        "name": "Suggested, with its 95% range" if ranged else "Suggested",
        "marker": {"symbol": "diamond", "size": 13, "color": "#212121"},
        "error_x": {"type": "data", "symmetric": False,
                    "array": np.nan_to_num(np.clip(high - suggested, 0, None)),
                    "arrayminus": np.nan_to_num(np.clip(suggested - low, 0, None)),
                    "color": "#546e7a", "thickness": 3, "width": 6},
        "hoverinfo": "skip"}, {
        # each level's points, written clear of its bar, diamond and line
        "type": "scatter", "mode": "text", "y": labels, "hoverinfo": "skip",
        "x": np.fmax(np.fmax(points, suggested), high),
        "text": [f"\u00a0\u00a0{p:.0f}" for p in points], "textposition": "middle right",
        "textfont": {"size": 16, "color": "#212121"}, "cliponaxis": False}]
    top = float(np.nanmax(np.concatenate([points, high, [1.0]])))
    key = "Bars: points · diamond: suggested" + (" · line: where it could lie (95%)"
                                                    if ranged else "")
    big = {"size": 16}  # the app's chart theme sets smaller axis fonts: say it per axis
    return _figure(data, f"{axis.capitalize()} points per level",
                   {"title": {"text": key, "font": big}, "range": [0, top * 1.1 + 4],
                    "tickfont": big},
                   # a fixed range: the text trace would otherwise pad the rows' axis
                   {"automargin": True, "tickfont": big, "range": [-0.6, len(part) - 0.4]},
                   height=max(320, 30 * len(part) + 150), showlegend=False, bargap=0.3)


def calibration_chart(table: pd.DataFrame) -> go.Figure:
    """Predicted against observed win rate by bin (on the held-out leads)."""
    top = float(max(table["predicted"].max(), table["observed"].max(), 0.01))
    data = [
        {"type": "scatter", "x": [0, top], "y": [0, top], "mode": "lines", "name": "perfect",
         "line": {"dash": "dot", "color": "#999"}},
        {"type": "scatter", "x": table["predicted"].to_numpy(),
         "y": table["observed"].to_numpy(), "mode": "lines+markers", "name": "model",
         "line": {"color": LINE_COLOUR, "width": 3}},
    ]
    big = {"size": 16}  # the app's chart theme sets smaller axis fonts: say it per axis
    return _figure(data, "Calibration (held-out leads)",
                   {"title": {"text": "Predicted win rate", "font": big}, "tickformat": ".0%",
                    "tickfont": big},
                   {"title": {"text": "Observed win rate", "font": big}, "tickformat": ".0%",
                    "tickfont": big}, legend={"font": big})


def lift_chart(deciles: pd.DataFrame, base_rate: float | None = None) -> go.Figure:
    """Win rate by score decile (1 = highest scores) on held-out leads, against the average."""
    data = [{"type": "bar", "x": deciles["bin"].to_numpy(), "y": deciles["win_rate"].to_numpy(),
             "marker": {"color": fmt.OUTCOME_COLOURS["won"]},
             "text": [fmt.percent(v) for v in deciles["win_rate"]], "textposition": "outside"}]
    shapes, notes = [], []
    if base_rate is not None and not math.isnan(base_rate):
        shapes.append({"type": "line", "x0": 0, "x1": 1, "xref": "paper", "y0": base_rate,
                       "y1": base_rate, "line": {"dash": "dash", "color": "#455a64"}})
        notes.append({"x": 1, "xref": "paper", "y": base_rate, "text": "average",
                      "showarrow": False, "xanchor": "right", "yanchor": "bottom"})
    big = {"size": 16}  # the app's chart theme sets smaller axis fonts: say it per axis
    return _figure(data, "Win rate by score decile (held-out leads)",
                   {"title": {"text": "Score decile (1 = highest scores)", "font": big},
                    "dtick": 1, "tickfont": big},
                   {"title": {"text": "Win rate", "font": big}, "tickformat": ".0%",
                    "tickfont": big}, shapes=shapes, annotations=notes)

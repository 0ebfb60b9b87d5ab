"""The Thresholds page's backtest: what these thresholds would have done in the last months
(a fit on the leads before the cut, its projection against each month after it)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from calibrate import fmt
from calibrate.errors import CalibrateError
from calibrate.model.periods import NoDatesError
from calibrate.ui import state
from calibrate.ui.charts import LINE_COLOUR, data_revision

TOGGLE_KEY = "backtest_on"
MONTHS_KEY = "backtest_months"
#: The cuts offered: the last 3, 6 or 12 months.
SPLITS = (3, 6, 12)
#: The projection's band and the months' markers: light blue against dark grey, told apart
#: by shape as well as colour; a hollow marker is a month whose MQLs are mostly still open.
BAND_COLOUR = "rgba(21, 101, 192, 0.18)"
ACTUAL_COLOUR = "#37474f"


def bar_of(settings: Any) -> tuple[str, int | None, int | None, int | None]:
    """The thresholds the backtest applies, from the panel's settings (hashable)."""
    if settings.mode == "total":
        return ("total", None, None, int(settings.min_total))
    return ("both", int(settings.min_profile), int(settings.min_behavior), None)


@st.cache_data(show_spinner=False, max_entries=16)
def measured_backtest(db: str, on: str, months: int,
                      bar: tuple[str, int | None, int | None, int | None]) -> dict[str, Any]:
    """The backtest of these thresholds on the last ``months`` months, JSON-safe (kept per
    data version and weights: moving back to a setting does not fit again)."""
    mode, profile, behavior, total = bar
    wb = state.workbench()
    if mode == "total":
        return wb.backtest(months, min_total=total).to_dict()
    return wb.backtest(months, min_profile=profile, min_behavior=behavior).to_dict()


def chart(result: dict[str, Any]) -> go.Figure:
    """MQLs each month after the cut against the projection's 90% range for one month."""
    months = result["months"]
    x = [m["month"] for m in months]
    low = [m["mqls_low"] for m in months]
    high = [m["mqls_high"] for m in months]
    symbols = ["circle-open" if m["still_open"] else "circle" for m in months]
    data: list[dict[str, Any]] = [
        {"type": "scatter", "x": x, "y": high, "mode": "lines", "line": {"width": 0},
         "showlegend": False, "hoverinfo": "skip"},
        {"type": "scatter", "x": x, "y": low, "mode": "lines", "line": {"width": 0},
         "fill": "tonexty", "fillcolor": BAND_COLOUR, "name": "projected: 90% range a month",
         "hoverinfo": "skip"},
        {"type": "scatter", "x": x,
         "y": [result["projected"]["mqls_per_month"]] * len(x), "mode": "lines",
         "name": "projected: mean a month", "line": {"color": LINE_COLOUR, "width": 3,
                                                    "dash": "dash"}},
        {"type": "scatter", "x": x, "y": [m["mqls"] for m in months],
         "mode": "lines+markers", "name": "what happened",
         "line": {"color": ACTUAL_COLOUR, "width": 3},
         "marker": {"symbol": symbols, "size": 14, "color": ACTUAL_COLOUR,
                    "line": {"color": ACTUAL_COLOUR, "width": 2}},
         "hovertemplate": "%{x}: %{y:,} MQLs<extra></extra>"},
    ]
    if any(m["still_open"] for m in months):
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                     "name": "hollow: most MQLs still open",
                     "marker": {"symbol": "circle-open", "size": 14, "color": ACTUAL_COLOUR}})
    axis = {"gridcolor": "#eee", "zeroline": False}
    layout = {
        "title": {"text": f"MQLs a month after {result['cut']}: what happened against the "
                          "projection", "font": {"size": 20}},
        "font": {"size": 16}, "plot_bgcolor": "white", "height": 420,
        "margin": {"l": 80, "r": 20, "t": 60, "b": 110},
        "xaxis": {**axis, "title": "month", "type": "category"},
        "yaxis": {**axis, "title": "MQLs", "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.3}, "datarevision": data_revision(data)}
    return go.Figure(data=data, layout=layout)


def _range(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "–"
    return f"{int(fmt.round_half_up(low)):,}–{int(fmt.round_half_up(high)):,}"


def table(result: dict[str, Any]) -> pd.DataFrame:
    """A row per month after the cut, in the room's words and formats."""
    return pd.DataFrame([{
        "month": m["month"] + (" (still open)" if m["still_open"] else ""),
        "MQLs": f"{int(fmt.round_half_up(m['mqls'])):,}",
        "projected MQLs": _range(m["mqls_low"], m["mqls_high"]),
        "wins": f"{int(fmt.round_half_up(m['wins_per_month'])):,}",
        "projected wins": _range(m["wins_low"], m["wins_high"]),
        "conversion": fmt.percent(m["conversion"]),
        "share of wins": fmt.percent(m["win_share"]),
        "MQLs still open": f"{m['open']:,}"} for m in result["months"]])


def render(settings: Any) -> None:
    """The toggle, and when on: the cut, the headline, the chart and the months' table
    (cached per data version, weights in force, cut and thresholds)."""
    if not st.toggle("What would these thresholds have done in the last months? (backtest)",
                     key=TOGGLE_KEY):
        return
    version, weights_id = state.workbench().figures_basis()
    on = f"{version}:{weights_id}"
    months = st.radio("Cut the history", SPLITS, index=1, horizontal=True, key=MONTHS_KEY,
                      format_func=lambda n: f"the last {n} months")
    try:
        with st.spinner(f"Fitting on the leads before the last {months} months, then "
                        "counting each month after the cut..."):
            result = measured_backtest(state.db_path(), on, int(months), bar_of(settings))
    except NoDatesError:
        st.info("A backtest needs lead dates: the loaded leads have no creation date. Load "
                "leads with the date each was created on the Data page.")
        return
    except CalibrateError as exc:
        state.show_error(exc)
        return
    st.markdown(f"**{fmt.md(result['headline'])}**")
    st.plotly_chart(chart(result), width="stretch", key="backtest_chart")
    st.dataframe(table(result), hide_index=True, width="stretch")
    fit = result["fit_period"]
    st.caption(f"Thresholds: {result['thresholds']}. "
               f"Fitted on {result['fitted_leads']:,} closed leads created {fit['start']} to "
               f"{fit['end']}" + (" (a sample of them)" if result["sampled"] else "")
               + f"; projected from {result['window']['start']} to {result['window']['end']}, "
               "all segments. The range of a month holds 9 months in 10 when nothing changed; "
               "wins count still-open MQLs at the closed ones' conversion.")

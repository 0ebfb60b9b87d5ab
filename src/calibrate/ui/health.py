"""The Health screen: whether this month's leads still look like the ones the points were
agreed on (drift), whether the agreed points still rank them well (refit or not), and how
fast behavior's worth fades without activity (decay)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from calibrate import fmt
from calibrate.errors import CalibrateError
from calibrate.model.half_life import LR_DROP
from calibrate.model.periods import NoDatesError
from calibrate.model.psi import SHIFTED, WATCH
from calibrate.ui import state
from calibrate.ui.charts import LINE_COLOUR, THRESHOLD_COLOUR, THRESHOLD_DASH, data_revision

#: The reference period picked (not a widget's key: the slider is drawn from the drift).
REFERENCE_KEY = "health_reference"
MONTHS_KEY = "health_refresh_months"
DECAY_KEY = "decay_chart"
#: The lowest fit a decay chart shows, below the best (log-likelihood).
FLOOR = 30.0
#: The tools whose decay settings are shown, as the app names them.
TOOL_NAMES = {"any": "Any tool", "hubspot": "HubSpot", "marketo": "Marketo",
              "pardot": "Account Engagement (Pardot)"}
#: Each score's colour, marker and dash: blue, orange and dark grey, told apart by shape and
#: line as well as colour (never red against green); a hollow marker is a month with too few
#: leads for its PSI to mean much.
SCORE_STYLE = {
    "total": (LINE_COLOUR, "circle", "solid"),
    "profile": ("#e65100", "square", "dash"),
    "behavior": ("#37474f", "diamond", "dot"),
}


def psi_chart(months: list[dict[str, Any]], min_leads: int) -> go.Figure:
    """PSI per month of the three scores, with the 0.1 and 0.25 lines labelled in words."""
    x = [m["month"] for m in months]
    data: list[dict[str, Any]] = []
    for score, (colour, symbol, dash) in SCORE_STYLE.items():
        symbols = [symbol if m["enough"] else f"{symbol}-open" for m in months]
        data.append({
            "type": "scatter", "x": x, "y": [m[f"{score}_psi"] for m in months],
            "mode": "lines+markers", "name": f"{score} score",
            "line": {"color": colour, "width": 3, "dash": dash},
            "marker": {"symbol": symbols, "size": 11, "color": colour,
                       "line": {"color": colour, "width": 2}},
            "customdata": [[m[f"{score}_flag"], m["leads"]] for m in months],
            "hovertemplate": f"{score}: PSI %{{y:.3f}} (%{{customdata[0]}})<br>%{{x}}, "
                             "%{customdata[1]:,} leads<extra></extra>"})
    if any(not m["enough"] for m in months):
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                     "name": f"hollow: fewer than {min_leads:,} leads that month",
                     "marker": {"symbol": "circle-open", "size": 11, "color": "#555"}})
    shapes, notes = [], []
    for level, words in ((WATCH, "watch"), (SHIFTED, "shifted")):
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": level,
                       "y1": level, "line": {"color": THRESHOLD_COLOUR, "width": 2,
                                             "dash": THRESHOLD_DASH}})
        notes.append({"xref": "paper", "x": 1, "y": level, "text": f"{words} from {level:g}",
                      "showarrow": False, "xanchor": "right", "yanchor": "bottom",
                      "font": {"size": 14, "color": THRESHOLD_COLOUR}})
    top = max([SHIFTED * 1.3] + [m[f"{s}_psi"] * 1.1 for m in months for s in SCORE_STYLE])
    axis = {"gridcolor": "#eee", "zeroline": False}
    layout = {
        "title": {"text": "How far each month's scores moved from the reference (PSI)",
                  "font": {"size": 20}},
        "font": {"size": 16}, "plot_bgcolor": "white", "height": 440,
        "margin": {"l": 70, "r": 20, "t": 60, "b": 110},
        "xaxis": {**axis, "title": "month", "type": "category"},
        "yaxis": {**axis, "title": "PSI", "range": [0, top]},
        "legend": {"orientation": "h", "y": -0.3}, "shapes": shapes, "annotations": notes,
        "datarevision": data_revision(data)}
    return go.Figure(data=data, layout=layout)


def decay_chart(group: dict[str, Any]) -> go.Figure:
    """A group's profile likelihood: how well each half-life fits against the best, the
    95% interval's cut (a dashed line) and no decay (a dotted line), in words."""
    curve = [c for c in group["curve"] if c["half_life_days"] is not None]
    none = next((c["loglik"] for c in group["curve"] if c["half_life_days"] is None), None)
    best = max([c["loglik"] for c in curve] + ([none] if none is not None else []))
    x = [c["half_life_days"] for c in curve]
    y = [c["loglik"] - best for c in curve]
    data: list[dict[str, Any]] = [{
        "type": "scatter", "x": x, "y": y, "mode": "lines", "name": "fit of each half-life",
        "line": {"color": LINE_COLOUR, "width": 4},
        "hovertemplate": "half-life %{x:.0f} days: %{y:.2f} below the best<extra></extra>"}]
    if group.get("half_life_days") is not None:
        h = group["half_life_days"]
        top = max(range(len(x)), key=lambda i: y[i])
        data.append({"type": "scatter", "x": [h], "y": [y[top]], "mode": "markers",
                     "name": f"estimate: {h:.0f} days",
                     "marker": {"symbol": "diamond", "size": 16, "color": "#37474f"}})
    cut = -LR_DROP
    shapes = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": cut, "y1": cut,
               "line": {"color": THRESHOLD_COLOUR, "width": 2, "dash": THRESHOLD_DASH}}]
    notes = [{"xref": "paper", "x": 0, "y": cut, "text": "95% interval: above this line",
              "showarrow": False, "xanchor": "left", "yanchor": "bottom",
              "font": {"size": 15, "color": THRESHOLD_COLOUR}}]
    floor = max(min(y + [cut]) * 1.1, -FLOOR)  # steep ends are cut: the top is what matters
    if none is not None:
        level = max(none - best, floor)
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": level,
                       "y1": level, "line": {"color": "#37474f", "width": 2, "dash": "dot"}})
        notes.append({"xref": "paper", "x": 1, "y": level, "showarrow": False,
                      "text": "no decay" if level == none - best else
                      f"no decay: {best - none:.0f} below the best",
                      "xanchor": "right", "yanchor": "bottom",
                      "font": {"size": 15, "color": "#37474f"}})
    axis = {"gridcolor": "#eee", "zeroline": False}
    layout = {
        "title": {"text": f"{group['group']}: how well each half-life fits the outcomes",
                  "font": {"size": 20}},
        "font": {"size": 16}, "plot_bgcolor": "white", "height": 420,
        "margin": {"l": 80, "r": 20, "t": 60, "b": 110},
        "xaxis": {**axis, "title": "half-life (days without activity that halve the points)",
                  "type": "log"},
        "yaxis": {**axis, "title": "fit below the best (log-likelihood)",
                  "range": [floor, 0.5]},
        "legend": {"orientation": "h", "y": -0.3}, "shapes": shapes, "annotations": notes,
        "datarevision": data_revision(data)}
    return go.Figure(data=data, layout=layout)


def basis(wb: Any) -> str:
    """What drift and refresh are measured on: the data version, the agreement (else the
    newest scenario) and the weights in force; their caches key on it."""
    agreed = wb.agreed()
    version, weights_id = wb.figures_basis()  # one cheap read, not the weights themselves
    return f"{version}:{agreed.id if agreed else ''}:{weights_id}"


@st.cache_data(show_spinner=False, max_entries=16)
def measured_drift(db: str, on: str, reference: tuple[str, str] | None) -> Any:
    """The drift of the database's leads (kept per basis and reference: a rerun of the
    page, such as a change of the refit months, does not count the leads again)."""
    return state.workbench().drift(reference)


@st.cache_data(show_spinner=False, max_entries=16)
def measured_refresh(db: str, on: str, months: int) -> Any:
    """The refit on the last ``months`` months against the agreed points (kept per basis)."""
    return state.workbench().refresh(months)


@st.cache_data(show_spinner=False, max_entries=16)
def measured_decay(db: str, on: str) -> dict[str, Any]:
    """How fast behavior fades, from the weights in force (kept per basis), JSON-safe."""
    return state.workbench().decay().to_dict()


def _drift(wb: Any) -> Any:
    """The drift against the reference picked (the default one first); None after saying
    why there is none. A reference that does not fit the data is said, then forgotten."""
    picked = st.session_state.get(REFERENCE_KEY)
    on = basis(wb)
    try:
        with st.spinner("Measuring drift..."):
            return measured_drift(state.db_path(), on, picked)
    except NoDatesError:
        st.info("Drift cannot be computed without lead dates: the loaded leads have no "
                "creation date. Load leads with the date each was created (a column such as "
                "created_at) on the Data page.")
        return None
    except CalibrateError as exc:
        state.show_error(exc)
        if picked is None:
            return None
    st.session_state.pop(REFERENCE_KEY, None)
    try:
        return measured_drift(state.db_path(), on, None)
    except CalibrateError as exc:
        state.show_error(exc)
        return None


def _scores_table(drift: Any) -> pd.DataFrame:
    rows = []
    for m in drift.months:
        rows.append({
            "month": m["month"], "leads": f"{m['leads']:,}",
            "enough leads": "yes" if m["enough"] else f"no: fewer than {drift.min_leads:,}",
            **{f"{s} score": f"{m[f'{s}_psi']:.2f} {m[f'{s}_flag']}" for s in SCORE_STYLE},
            "moved most": f"{m['moved_most']} {m['moved_psi']:.2f}"
                          + (f" ({m['moved_levels']})" if m["moved_levels"] else "")})
    return pd.DataFrame(rows)


def _attributes_table(drift: Any) -> pd.DataFrame:
    return pd.DataFrame([{
        "attribute": r["attribute"], "axis": r["axis"],
        "month": r["month"] + ("" if r["enough"] else " (few leads)"),
        "PSI": f"{r['psi']:.2f}", "stability": r["flag"],
        "highest PSI": f"{r['max_psi']:.2f} in {r['max_month']}",
        "levels that moved most": r["moved"]} for r in drift.summary])


def refresh_section(wb: Any) -> None:
    """The refit advice in one line (kept for this data, agreement, weights and months),
    and the points that would move."""
    st.subheader("Refit or not")
    months = int(st.number_input("Recent months to refit on", min_value=1, max_value=36,
                                 value=3, step=1, key=MONTHS_KEY))
    try:
        with st.spinner(f"Refitting on the last {months} months..."):
            result = measured_refresh(state.db_path(), basis(wb), months)
    except CalibrateError as exc:
        state.show_error(exc)
        return
    show = st.warning if result.status == "refit" else st.info
    show(fmt.md(result.advice))
    if result.attributes:
        with st.expander("Points a recent lead gets, agreed and refit"):
            st.dataframe(pd.DataFrame([{
                "attribute": r["attribute"], "axis": r["axis"],
                "agreed": f"{r['agreed_points']:.1f}", "refit": f"{r['refit_points']:.1f}",
                "moved": f"{r['moved']:.1f}"} for r in result.attributes]),
                hide_index=True, width="stretch")


def _groups_table(groups: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for g in groups:
        half = g["half_life_days"]
        rows.append({
            "group": g["group"], "activity date": g["date_column"],
            "behavior": ", ".join(g["columns"]) or "–",
            "half-life": f"{half:.0f} days" if half is not None else "–",
            "95% interval": g["interval"], "leads": f"{g['leads']:,}",
            "with a date": f"{g['dated']:,}",
            "status": g["status"] + (" (check for leakage)" if g["leak"] else "")})
    return pd.DataFrame(rows)


def decay_section(wb: Any, charts: bool = True) -> None:
    """The half-life of behavior per group with its interval, each group's likelihood
    curve, and the decay settings per tool; without activity dates, why there is none."""
    st.subheader("Decay of behavior")
    try:
        with st.spinner("Estimating how fast behavior fades..."):
            result = measured_decay(state.db_path(), basis(wb))
    except CalibrateError as exc:
        state.show_error(exc)
        return
    groups = result["groups"]
    if not groups:
        st.info(fmt.md(result["message"]))
        return
    show = st.success if result["status"] == "estimated" else st.info
    show(fmt.md(result["headline"]))
    st.caption(fmt.md(f"Days without activity are counted to {result['reference']}."))
    st.dataframe(_groups_table(groups), hide_index=True, width="stretch")
    for i, g in enumerate(groups):
        if g["curve"]:
            if charts:
                st.plotly_chart(decay_chart(g), key=f"{DECAY_KEY}_{i}")
        else:
            st.caption(fmt.md(f"{g['group']}: {g['message']}"))
    if result["skipped"]:
        st.caption(fmt.md("Not used: " + "; ".join(f"'{k}' ({v})"
                                                    for k, v in result["skipped"].items())
                          + "."))
    st.markdown("**Decay settings to key in**")
    tools = [t for t in TOOL_NAMES if result["settings"].get(t)]
    for tab, tool in zip(st.tabs([TOOL_NAMES[t] for t in tools]), tools, strict=True):
        with tab:
            st.code("\n".join(result["settings"][tool]), language=None, wrap_lines=True)


def render() -> None:
    st.title("Health")
    st.caption("Whether this month's leads still look like the leads the points were agreed "
               "on, and whether the agreed points still rank them well.")
    wb = state.workbench()
    if state.page_weights(wb) is None:
        return
    # A session's first view draws the figures and tables first: plotly.js comes a moment
    # later (state.charts_ready).
    charts = state.charts_ready()
    drift = _drift(wb)
    if drift is not None:
        drift_section(wb, drift, charts)
        refresh_section(wb)
    decay_section(wb, charts)


def drift_section(wb: Any, drift: Any, charts: bool = True) -> None:
    """The drift by month against the reference picked, and the attributes that moved."""
    picked = st.select_slider("Reference period (first and last month)",
                              options=drift.data_months, value=drift.reference)
    if tuple(picked) != drift.reference:  # measured again against the months picked
        st.session_state[REFERENCE_KEY] = tuple(picked)
        st.rerun()
    st.markdown(fmt.md(drift.headline()))
    if drift.undated:
        st.caption(f"{drift.undated:,} leads without a creation date are left out.")
    st.caption(f"PSI below {WATCH:g} is stable, from {WATCH:g} worth watching, from "
               f"{SHIFTED:g} shifted. A month needs {drift.min_leads:,} leads for its PSI to "
               "mean something.")
    if drift.months and charts:
        st.plotly_chart(psi_chart(drift.months, drift.min_leads), key="psi_chart")
    few = [m for m in drift.months if not m["enough"]]
    if few:
        st.caption(f"Fewer than {drift.min_leads:,} leads (hollow markers; their PSI may be "
                   "chance): " + ", ".join(f"{m['month']} ({m['leads']:,})" for m in few)
                   + ".")
    st.subheader("Attributes, most moved first")
    attributes = _attributes_table(drift)
    st.dataframe(attributes, hide_index=True, width="stretch",
                 height=state.table_height(len(attributes)))
    with st.expander("Every month"):
        st.dataframe(_scores_table(drift), hide_index=True, width="stretch")

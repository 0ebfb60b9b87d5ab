"""The workshop screen: move the profile and behavior thresholds, watch volume and quality.

The grid of counts is built once (cached); the threshold panel is an ``st.fragment``, so a
slider move reruns only the panel, and every figure in it is a lookup in the grid.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from calibrate import fmt
from calibrate.data import store
from calibrate.decide.rules import summary as rule_summary
from calibrate.decide.tradeoff import (
    Settings,
    figures,
    figures_for,
    heatmap,
    own_bars,
    score_distribution,
    suggest,
)
from calibrate.decide.tradeoff import tradeoff_curve as curve_of
from calibrate.decide.workshop import last_months, rules_of
from calibrate.errors import CalibrateError
from calibrate.thresholds import Thresholds
from calibrate.ui import charts, state

ALL = "All segments"
WINDOWS = {"Last 3 months": 3, "Last 6 months": 6, "Last 12 months": 12, "All history": 0}


def slider_key(name: str, segment: str | None) -> str:
    """Each segment keeps its own thresholds."""
    return f"{name}::{segment or ALL}"


def settings_row(grid) -> tuple[str | None, list | None, Settings]:
    """Projection inputs: segment, window, capacity, money."""
    c = st.columns([1.3, 1.2, 0.8, 0.9, 0.9, 0.9])
    segments = [ALL] + [s for s in grid.segments if s is not None]
    seg = c[0].selectbox("Segment", segments, key="segment",
                         help="Each segment can have its own thresholds.")
    window = c[1].selectbox("Project from", list(WINDOWS), index=2, key="window")
    reps = c[2].number_input("Sales reps", min_value=0, value=10, step=1, key="reps")
    per_rep = c[3].number_input("Leads a rep works / month", min_value=0, value=40, step=5,
                                key="per_rep")
    cost = c[4].number_input("Cost per lead worked", min_value=0.0, value=0.0, step=10.0,
                             key="cost")
    value = c[5].number_input("Value per win (0 = average deal)", min_value=0.0, value=0.0,
                              step=1000.0, key="value")
    segment = None if seg == ALL else seg
    months = last_months(grid, WINDOWS[window])
    settings = Settings(reps=reps or None, leads_per_rep_per_month=per_rep or None,
                        cost_per_lead_worked=cost or None, value_per_win=value or None,
                        months_in_window=len(months) if months else None)
    return segment, months, settings


def _apply_suggestion(cube, settings: Settings, segment: str | None, objective: str) -> None:
    floor = st.session_state.get("floor", 10.0) / 100
    result = suggest(cube, settings, objective, floor=floor)
    if not result.found:
        st.session_state["suggest_message"] = result.reason
        return
    st.session_state["suggest_message"] = result.reason
    _mark_own(segment)
    if result.min_total is not None:
        st.session_state[slider_key("min_total", segment)] = int(result.min_total)
    else:
        st.session_state[slider_key("min_profile", segment)] = int(result.min_profile)
        st.session_state[slider_key("min_behavior", segment)] = int(result.min_behavior)


OWN = "own_segments"
THRESHOLDS = ("min_profile", "min_behavior", "min_total")
INPUTS = ("total_mode", "segment", "window", "reps", "per_rep", "cost", "value", "floor")


def keep_state() -> None:
    """Keep the workshop's sliders and inputs while they are not drawn (another segment,
    another page): Streamlit drops a widget's state in a run that does not draw it, unless
    the key is assigned again, as its docs on widget state across pages show."""
    for key in list(st.session_state):
        if key in INPUTS or str(key).startswith(tuple(f"{n}::" for n in THRESHOLDS)):
            st.session_state[key] = st.session_state[key]


def own_segments() -> set[str]:
    """The segments the workshop gave thresholds of their own (moved their sliders)."""
    return st.session_state.setdefault(OWN, set())


def _mark_own(segment: str | None) -> None:
    if segment is not None:
        own_segments().add(segment)


def _follow_main(segment: str) -> None:
    own_segments().discard(segment)


@st.fragment
def threshold_panel(grid, months: list | None, segment: str | None, base: Settings) -> None:
    cube = grid.cube(months, segment)
    total_mode = st.toggle("Use one total score instead of two thresholds", key="total_mode")
    left, right = st.columns(2)
    owned = segment is not None and segment in own_segments()
    for name in ("min_profile", "min_behavior", "min_total"):
        main = st.session_state.setdefault(slider_key(name, None), 50)
        if segment is not None and not owned:  # a segment follows the main bar until moved
            st.session_state[slider_key(name, segment)] = main
    mark = {"on_change": _mark_own, "args": (segment,)}
    if total_mode:
        left.slider("Minimum total score", 0, 100, key=slider_key("min_total", segment), **mark)
    else:
        left.slider("Minimum profile score", 0, 100, key=slider_key("min_profile", segment),
                    help="Who they are: title, department, industry, region, size.", **mark)
        right.slider("Minimum behavior score", 0, 100, key=slider_key("min_behavior", segment),
                     help="What they did: visits, pricing pages, webinars, email clicks.",
                     **mark)
    if owned:
        st.button(f"Use the main thresholds for {segment}", key="follow_main",
                  on_click=_follow_main, args=(segment,),
                  help="This segment has thresholds of its own; this drops them.")
    settings = bar_settings(base, segment)
    main, own = whole_definition(grid, base)
    if segment is None and own:
        f = figures_for(grid, months, settings, own)
        st.caption("Segments with their own thresholds count at their own bar in these "
                   "figures: " + fmt.md("; ".join(f"{k}: {v.bar().describe()}"
                                                 for k, v in own.items())) + ".")
    else:
        f = figures(cube, settings)
    show_figures(f)
    suggestion_row(cube, settings, segment)
    charts_row(cube, settings, f)
    save_form(main, own)


def bar_settings(base: Settings, segment: str | None) -> Settings:
    """The settings with one segment's sliders (or the main ones, for all segments)."""
    def value(name: str) -> int:
        return int(st.session_state.get(slider_key(name, segment), 50))
    return replace(base, mode="total" if st.session_state.get("total_mode") else "both",
                   min_profile=value("min_profile"), min_behavior=value("min_behavior"),
                   min_total=value("min_total"))


def whole_definition(grid, base: Settings) -> tuple[Settings, dict[str, Settings]]:
    """The main thresholds and the segments the workshop gave thresholds of their own."""
    main = bar_settings(base, None)
    own = {seg: bar_settings(base, seg) for seg in grid.segments if seg in own_segments()}
    return main, own_bars(main, own)


def show_figures(f) -> None:
    row1 = st.columns(4)
    row1[0].metric("MQLs per month", fmt.number(f.mqls_per_month),
                   help=f"{f.mqls:,} MQLs over {f.months:g} months, "
                        f"{f.auto_qualified:,} of them auto-qualified")
    row1[1].metric("Conversion", fmt.percent(f.conversion),
                   help="Win rate of closed MQLs, 95% interval "
                        + fmt.interval(f.conversion_low, f.conversion_high))
    row1[2].metric("Wins per month", fmt.number(f.wins_per_month))
    row1[3].metric("Share of all wins", fmt.percent(f.win_share),
                   help="Wins among MQLs over all wins in the window")
    row2 = st.columns(4)
    row2[0].metric("No-decision rate", fmt.percent(f.no_decision_rate))
    row2[1].metric("Nurture pool per month", fmt.number(f.nurture_per_month),
                   help=f"Leads below the bar; they won at {fmt.percent(f.nurture_win_rate)}")
    row2[2].metric("Sales capacity used",
                   fmt.percent(f.capacity_used) if f.capacity_used is not None else "–",
                   help=f"Capacity {fmt.number(f.capacity)} leads a month"
                   if f.capacity else "Set reps and leads per rep")
    row2[3].metric("Expected value per month", fmt.money(f.expected_value_per_month))
    st.caption(f"Conversion interval {fmt.interval(f.conversion_low, f.conversion_high)} · "
               f"nurture win rate {fmt.percent(f.nurture_win_rate)} · "
               f"{fmt.number(f.disqualified)} auto-disqualified"
               + (f" · threshold corner {f.cell}" if f.cell else ""))


def suggestion_row(cube, settings: Settings, segment: str | None) -> None:
    c = st.columns([1.4, 1, 1.4])
    c[0].button("Suggest: most wins within capacity", key="suggest_capacity",
                on_click=_apply_suggestion,
                args=(cube, settings, segment, "max_wins_within_capacity"),
                disabled=settings.capacity is None)
    c[1].number_input("Conversion floor (%)", min_value=0.0, max_value=100.0, value=10.0,
                      step=0.5, key="floor", label_visibility="collapsed")
    c[2].button("Suggest: most volume at this conversion floor", key="suggest_floor",
                on_click=_apply_suggestion,
                args=(cube, settings, segment, "conversion_floor"))
    message = st.session_state.pop("suggest_message", None)
    if message:
        st.info(message)


def charts_row(cube, settings: Settings, f) -> None:
    left, right = st.columns(2)
    curve = curve_of(cube, settings, "total" if settings.mode == "total" else "both")
    left.plotly_chart(charts.tradeoff_chart(curve, f.to_dict(), settings.capacity),
                      key="tradeoff_chart")
    if settings.mode == "both":
        right.plotly_chart(charts.heatmap_chart(heatmap(cube), settings.min_profile,
                                                settings.min_behavior), key="heatmap_chart")
        a, b = st.columns(2)
        a.plotly_chart(charts.distribution_chart(score_distribution(cube, "profile"), "profile",
                                                 settings.min_profile), key="dist_profile")
        b.plotly_chart(charts.distribution_chart(score_distribution(cube, "behavior"),
                                                 "behavior", settings.min_behavior),
                       key="dist_behavior")
    else:
        right.plotly_chart(charts.distribution_chart(score_distribution(cube, "total"), "total",
                                                     settings.min_total), key="dist_total")


def save_form(main: Settings, own: dict[str, Settings]) -> None:
    with st.form("save_scenario", clear_on_submit=False, border=True):
        st.markdown("**Save these thresholds as a scenario**")
        c = st.columns([1.2, 1, 2])
        name = c[0].text_input("Scenario name", placeholder="Sales proposal", key="sc_name")
        author = c[1].text_input("Author", key="sc_author")
        note = c[2].text_input("Note", key="sc_note")
        submitted = st.form_submit_button("Save scenario", type="primary")
        st.caption("A scenario keeps the whole definition: "
                   + fmt.md(Thresholds.build(main.bar(), {k: v.bar() for k, v in
                                                       own.items()}).describe())
                   + " (figures over all segments).")
    if submitted:
        try:
            saved = state.workbench().save_scenario(name, author=author, note=note,
                                                    **scenario_arguments(main, own))
        except CalibrateError as exc:
            state.show_error(exc)
        else:
            st.session_state["active_scenario"] = saved.name
            if saved.version > 1:
                st.success(f"Saved '{fmt.md(saved.name)}' as version {saved.version} "
                           f"(#{saved.id}); the earlier versions are kept.")
            else:
                st.success(f"Saved scenario '{fmt.md(saved.name)}' (#{saved.id}).")


def scenario_arguments(main: Settings, own: dict[str, Settings]) -> dict:
    """The screen's definition and inputs as :meth:`Workbench.save_scenario` takes them."""
    def bar(s: Settings) -> tuple[int, ...]:
        return (s.min_total,) if s.mode == "total" else (s.min_profile, s.min_behavior)

    first = bar(main)
    return {"min_profile": first[0] if len(first) == 2 else None,
            "min_behavior": first[1] if len(first) == 2 else None,
            "min_total": first[0] if len(first) == 1 else None,
            "segment_thresholds": {seg: bar(s) for seg, s in own.items()},
            "months": WINDOWS[st.session_state.get("window", "Last 12 months")],
            "reps": main.reps, "leads_per_rep": main.leads_per_rep_per_month,
            "cost_per_lead": main.cost_per_lead_worked, "value_per_win": main.value_per_win}


def render() -> None:
    keep_state()
    st.title("Thresholds: what is a sales-ready lead?")
    wb = state.workbench()
    if not wb.leads:
        st.info("No leads loaded yet: open the **Data** page to load the sample or your own "
                "export.")
        return
    try:
        with st.spinner("Scoring every lead once..."):
            weights = wb.weights
            grid = wb.grid()
    except CalibrateError as exc:
        state.show_error(exc)
        return
    rules = rules_of(weights)
    segment, months, base = settings_row(grid)
    threshold_panel(grid, months, segment, base)
    st.caption(f"Weights #{weights.id} · {len(weights.table)} levels · auto-rules: "
               f"{fmt.md(rule_summary(rules, store.read_columns(wb.con)))}")

"""The workshop screen: move the profile and behavior thresholds, watch volume and quality.

The grid of counts is built once (cached); the threshold panel is an ``st.fragment``, so a
slider move reruns only the panel, and every figure in it is a lookup in the grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import plotly.graph_objects as go
import streamlit as st

from calibrate import fmt
from calibrate.decide.figure_text import capacity_status
from calibrate.decide.grid_views import heatmap, score_distribution
from calibrate.decide.month_ranges import DRAWS, LEVEL
from calibrate.decide.rules import summary as rule_summary
from calibrate.decide.suggestion import suggest
from calibrate.decide.sweep import tradeoff_curve as curve_of
from calibrate.decide.tradeoff import Figures, Settings, figures_for, own_bars, period
from calibrate.decide.workshop import last_months, rules_of
from calibrate.errors import CalibrateError
from calibrate.thresholds import Thresholds
from calibrate.ui import backtest, charts, state

ALL = "All segments"
WINDOWS = {"Last 3 months": 3, "Last 6 months": 6, "Last 12 months": 12, "All history": 0}
#: Sales capacity is kept per segment like the thresholds (inside sales and field reps
#: differ): all segments start at 10 reps working 40 leads a month, a segment unset.
CAPACITY = {"reps": 10, "per_rep": 40}
#: Conversion floors offered for the volume suggestion, in percent.
FLOORS = (0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50)
OVER_COLOUR = "#b71c1c"
#: Pixels the panel's charts take, kept empty while they load: two rows of 420 px charts
#: 16 px apart, or one row (one total score).
CHARTS_SPACE = {"both": 856, "total": 420}


def slider_key(name: str, segment: str | None) -> str:
    """Each segment keeps its own thresholds."""
    return f"{name}::{segment or ALL}"


def settings_row(grid) -> tuple[str | None, list | None, Settings]:
    """Projection inputs: segment, window, the segment's capacity, money. Leads without
    dates have no window to choose and no monthly capacity to compare with."""
    c = st.columns([1.3, 1.2, 0.8, 0.9, 0.9, 0.9])
    segments = [ALL] + [s for s in grid.segments if s is not None]
    seg = c[0].selectbox("Segment", segments, key="segment",
                         help="Each segment can have its own thresholds and sales capacity.")
    segment = None if seg == ALL else seg
    # Defaults go in the session state, not the widgets: keep_state assigns these keys on
    # every run, and a widget with a default too would make Streamlit warn.
    for key, default in (("window", "Last 12 months"), ("cost", 0.0), ("value", 0.0)):
        st.session_state.setdefault(key, default)
    if grid.months:
        c[1].selectbox("Project from", list(WINDOWS), key="window")
        capacity_inputs(c[2], c[3], segment)
    else:
        c[1].caption("These leads have no dates: every figure counts all of them (in all), "
                     "not a month's, and sales capacity (a month's) does not apply.")
    c[4].number_input("Cost per lead worked", min_value=0.0, step=10.0, key="cost")
    c[5].number_input("Value per win (0 = average deal)", min_value=0.0, step=1000.0,
                      key="value")
    return current_inputs(grid)


def current_inputs(grid) -> tuple[str | None, list | None, Settings]:
    """The segment, window and money the settings row holds (its defaults before it was
    drawn), read without drawing it: the Present page shows what this page set."""
    seg = st.session_state.get("segment", ALL)
    segment = seg if seg in grid.segments and seg is not None else None
    window = st.session_state.get("window", "Last 12 months")
    months = last_months(grid, WINDOWS.get(window, 12)) if grid.months else None
    cost = st.session_state.get("cost", 0.0)
    value = st.session_state.get("value", 0.0)
    settings = Settings(cost_per_lead_worked=cost or None, value_per_win=value or None,
                        months_in_window=len(months) if months else None)
    return segment, months, settings


def capacity_inputs(reps_col, per_rep_col, segment: str | None) -> None:
    """The selected segment's reps and leads per rep (its own: all segments have theirs)."""
    for name, default in CAPACITY.items():
        st.session_state.setdefault(slider_key(name, segment), default if segment is None
                                    else 0)
    who = "" if segment is None else f" for {fmt.md(segment)}"
    reps_col.number_input("Sales reps" + who, min_value=0, step=1,
                          key=slider_key("reps", segment),
                          help="The reps who work these MQLs" + who + " (0: not set).")
    per_rep_col.number_input("Leads a rep works / month", min_value=0, step=5,
                             key=slider_key("per_rep", segment))


def capacity_of(segment: str | None) -> tuple[int | None, int | None]:
    """A segment's reps and leads per rep a month (None when not set)."""
    def value(name: str) -> int | None:
        default = CAPACITY[name] if segment is None else 0
        return int(st.session_state.get(slider_key(name, segment), default)) or None
    return value("reps"), value("per_rep")


def _apply_suggestion(cube, settings: Settings, segment: str | None, objective: str) -> None:
    floor = float(st.session_state.get("floor", 10)) / 100
    result = suggest(cube, settings, objective, floor=floor)
    st.session_state["suggest_message"] = (result.reason, result.over_capacity)
    if not result.found:
        return
    _mark_own(segment)
    if result.min_total is not None:
        st.session_state[slider_key("min_total", segment)] = int(result.min_total)
    else:
        st.session_state[slider_key("min_profile", segment)] = int(result.min_profile)
        st.session_state[slider_key("min_behavior", segment)] = int(result.min_behavior)


OWN = "own_segments"
SAVED = "save_message"
THRESHOLDS = ("min_profile", "min_behavior", "min_total")
INPUTS = ("total_mode", "segment", "window", "cost", "value", "floor")
PER_SEGMENT = tuple(f"{n}::" for n in (*THRESHOLDS, *CAPACITY))


def keep_state() -> None:
    """Keep the workshop's sliders and inputs while they are not drawn (another segment,
    another page): Streamlit drops a widget's state in a run that does not draw it, unless
    the key is assigned again, as its docs on widget state across pages show."""
    for key in list(st.session_state):
        if key in INPUTS or str(key).startswith(PER_SEGMENT):
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
    per = period(cube)
    st.toggle("Use one total score instead of two thresholds", key="total_mode",
              persist_state="session")  # as the sliders (see sliders)
    left, right = st.columns(2)
    sliders(left, right, segment)
    if segment is not None and segment in own_segments():
        st.button(f"Use the main thresholds for {segment}", key="follow_main",
                  on_click=_follow_main, args=(segment,),
                  help="This segment has thresholds of its own; this drops them.")
    settings, f = panel_figures(grid, months, segment, base)
    main, own = whole_definition(grid, base)
    if segment is None and own:
        st.caption("Segments with their own thresholds count at their own bar in these "
                   "figures: " + fmt.md("; ".join(f"{k}: {v.bar().describe()}"
                                                 for k, v in own.items())) + ".")
    show_figures(f, per, segment)
    suggestion_row(cube, settings, segment)
    # A session's first view draws the figures first: plotly.js comes a moment later.
    if state.charts_ready(space=CHARTS_SPACE[settings.mode]):
        state.send_figures_first()
        charts_row(cube, settings, f, per)
    save_form(main, own, [s for s in grid.segments if s is not None] if grid.months else [])
    backtest.render(settings)  # off until asked: a backtest fits again


def sliders(left, right, segment: str | None) -> None:
    """The segment's threshold sliders in two columns: profile and behavior, or one total
    score (``total_mode``); a segment not moved yet follows the main bar."""
    owned = segment is not None and segment in own_segments()
    for name in THRESHOLDS:
        main = st.session_state.setdefault(slider_key(name, None), 50)
        if segment is not None and not owned:  # a segment follows the main bar until moved
            st.session_state[slider_key(name, segment)] = main
    # "session": a slider moved in this fragment keeps its value on another page (keep_state
    # re-assigns values in full runs only; a page switch drops what a fragment run set).
    mark = {"on_change": _mark_own, "args": (segment,), "persist_state": "session"}
    if st.session_state.get("total_mode"):
        left.slider("Minimum total score", 0, 100, key=slider_key("min_total", segment), **mark)
    else:
        left.slider("Minimum profile score", 0, 100, key=slider_key("min_profile", segment),
                    help="Who they are: title, department, industry, region, size.", **mark)
        right.slider("Minimum behavior score", 0, 100, key=slider_key("min_behavior", segment),
                     help="What they did: visits, pricing pages, webinars, email clicks.",
                     **mark)


def panel_figures(grid, months: list | None, segment: str | None,
                  base: Settings) -> tuple[Settings, Figures]:
    """The sliders' settings and their figures: one segment's leads at its bar, or every
    lead with the segments that have thresholds of their own counted at their own bar."""
    settings = bar_settings(base, segment, bool(grid.months))
    own = whole_definition(grid, base)[1]
    if segment is None and own:
        return settings, figures_for(grid, months, settings, own)
    # figures_for, not figures: with the month ranges, which figures() leaves out
    return settings, figures_for(grid, months, settings, only=segment)


def bar_settings(base: Settings, segment: str | None, dated: bool = True) -> Settings:
    """The settings with one segment's sliders and sales capacity (or the main ones, for
    all segments); no capacity for leads without dates (capacity is a month's)."""
    def value(name: str) -> int:
        return int(st.session_state.get(slider_key(name, segment), 50))
    reps, per_rep = capacity_of(segment) if dated else (None, None)
    return replace(base, mode="total" if st.session_state.get("total_mode") else "both",
                   min_profile=value("min_profile"), min_behavior=value("min_behavior"),
                   min_total=value("min_total"), reps=reps, leads_per_rep_per_month=per_rep)


def whole_definition(grid, base: Settings) -> tuple[Settings, dict[str, Settings]]:
    """The main thresholds and the segments the workshop gave thresholds of their own."""
    dated = bool(grid.months)
    main = bar_settings(base, None, dated)
    own = {seg: bar_settings(base, seg, dated) for seg in grid.segments
           if seg in own_segments()}
    return main, own_bars(main, own)


def show_figures(f: Figures, per: str = "per month", segment: str | None = None) -> None:
    """The headline figures, counted ``per`` month (or "in all" for leads without dates),
    and sales capacity as a bar."""
    over = (f"over {f.months:g} months" if per == "per month"
            else "in all (the leads have no dates)")
    row1 = st.columns(4)
    row1[0].metric(f"MQLs {per}", fmt.per_month(f.mqls_per_month),
                   help=f"{f.mqls:,} MQLs {over}, {f.auto_qualified:,} of them auto-qualified")
    row1[1].metric("Conversion", fmt.percent(f.conversion),
                   help="Win rate of closed MQLs, 95% interval "
                        + fmt.interval(f.conversion_low, f.conversion_high))
    row1[2].metric(f"Wins {per}", fmt.per_month(f.wins_per_month))
    for column, low, high in ((row1[0], f.mqls_per_month_low, f.mqls_per_month_high),
                              (row1[2], f.wins_per_month_low, f.wins_per_month_high)):
        words = range_words(low, high)
        if words:
            column.caption(words, help=f"Month-to-month variation: {LEVEL:.0%} of "
                                       f"{DRAWS:,} resamples of the window's {f.months:g} "
                                       "months fall in this range.")
    row1[3].metric("Share of all wins", fmt.percent(f.win_share),
                   help="Wins among MQLs over all wins in the window")
    row2 = st.columns(4)
    row2[0].metric("No-decision rate", fmt.percent(f.no_decision_rate))
    row2[1].metric(f"Nurture pool {per}", fmt.per_month(f.nurture_per_month),
                   help=f"Leads below the bar; they won at {fmt.percent(f.nurture_win_rate)}")
    who = "" if segment is None else f" for {fmt.md(segment)}"
    if f.capacity:
        capacity_help = f"Sales{who} can work {fmt.per_month(f.capacity)} MQLs a month"
    elif per == "per month":
        capacity_help = f"Set the reps{who} and the leads a rep works a month"
    else:
        capacity_help = "Needs lead dates: sales capacity is a month's"
    row2[2].metric("Sales capacity used",
                   fmt.percent(f.capacity_used, 0) if f.capacity_used is not None else "–",
                   help=capacity_help)
    row2[3].metric(f"Expected value {per}", fmt.money(f.expected_value_per_month))
    capacity_bar(f)
    st.caption(f"Conversion interval {fmt.interval(f.conversion_low, f.conversion_high)} · "
               f"nurture win rate {fmt.percent(f.nurture_win_rate)} · "
               f"{fmt.number(f.disqualified)} auto-disqualified")


def range_words(low: float | None, high: float | None) -> str | None:
    """A range a month in plain words, formatted as the figure beside it ("range 140–175
    a month"); None when there is no range (undated leads, too few months)."""
    return fmt.span(low, high, fmt.per_month, " a month")


def capacity_bar(f: Figures) -> None:
    """Capacity used as a bar: blue within capacity; red past 100%, with a warning sign and
    the words "over capacity", so it never relies on the colour."""
    status = capacity_status(f.capacity_used, f.capacity, f.mqls_per_month)
    if status is None:
        return
    colour = OVER_COLOUR if status.over else charts.LINE_COLOUR
    words = (f'<span style="color:{OVER_COLOUR};font-weight:700">⚠ {status.text}</span>'
             if status.over else status.text)
    st.markdown(
        f'<div role="progressbar" aria-label="Sales capacity used" aria-valuemin="0" '
        f'aria-valuemax="100" aria-valuenow="{status.fill * 100:.0f}" '
        f'style="height:16px;background:#e0e0e0;border-radius:8px;overflow:hidden">'
        f'<div style="width:{status.fill * 100:.1f}%;height:100%;background:{colour}">'
        f'</div></div><p style="margin:6px 0 0;font-size:1.05rem">{words}</p>',
        unsafe_allow_html=True)


def suggestion_row(cube, settings: Settings, segment: str | None) -> None:
    c = st.columns([1.2, 0.6, 1.5, 0.7], vertical_alignment="bottom")  # the floor by its button
    c[0].button("Suggest: most wins within capacity", key="suggest_capacity",
                on_click=_apply_suggestion,
                args=(cube, settings, segment, "max_wins_within_capacity"),
                disabled=settings.capacity is None,
                help=None if settings.capacity else "Set the reps and the leads a rep works")
    st.session_state.setdefault("floor", 10)
    # "session": a floor chosen in this fragment keeps its value on another page, as the
    # sliders do (keep_state re-assigns values in full runs only).
    c[1].selectbox("Conversion floor", FLOORS, key="floor",
                   format_func=lambda v: fmt.percent_plain(v / 100),
                   help="The lowest conversion the volume suggestion may give.",
                   persist_state="session")
    c[2].button("Suggest: most volume at this conversion floor", key="suggest_floor",
                on_click=_apply_suggestion,
                args=(cube, settings, segment, "conversion_floor"))
    message = st.session_state.pop("suggest_message", None)
    if message:
        text, over = message
        if over:
            st.warning(text, icon=":material/warning:")
        else:
            st.info(text)


def charts_row(cube, settings: Settings, f: Figures, per: str = "per month") -> None:
    """The panel's charts, each drawn as soon as it is built: a key press that comes
    meanwhile stops the run at the next one instead of after all four."""
    left, right = st.columns(2)
    left.plotly_chart(tradeoff_figure(cube, settings, f, per), key="tradeoff_chart")
    if settings.mode == "both":
        right.plotly_chart(charts.heatmap_chart(heatmap(cube, months=f.months),
                                                settings.min_profile, settings.min_behavior,
                                                per=per), key="heatmap_chart")
        a, b = st.columns(2)
        a.plotly_chart(charts.distribution_chart(score_distribution(cube, "profile"), "profile",
                                                 settings.min_profile), key="dist_profile")
        b.plotly_chart(charts.distribution_chart(score_distribution(cube, "behavior"),
                                                 "behavior", settings.min_behavior),
                       key="dist_behavior")
    else:
        right.plotly_chart(charts.distribution_chart(score_distribution(cube, "total"), "total",
                                                     settings.min_total), key="dist_total")


def tradeoff_figure(cube, settings: Settings, f: Figures, per: str = "per month") -> go.Figure:
    """The trade-off chart: the best thresholds for each volume, these figures' point on
    it and the sales capacity line."""
    curve = curve_of(cube, settings, "total" if settings.mode == "total" else "both")
    return charts.tradeoff_chart(curve, f.to_dict(), settings.capacity, per)


def save_form(main: Settings, own: dict[str, Settings], segments: Sequence[str] = ()) -> None:
    """The save form; what a save did shows beside its button. A save reruns the whole
    app, so the sidebar (drawn before the page) names the saved scenario at once."""
    with st.form("save_scenario", clear_on_submit=False, border=True):
        st.markdown("**Save these thresholds as a scenario**")
        c = st.columns([1.2, 1, 2])
        name = c[0].text_input("Scenario name", placeholder="Sales proposal", key="sc_name")
        author = c[1].text_input("Author", key="sc_author")
        note = c[2].text_input("Note", key="sc_note")
        button, beside = st.columns([1, 4], vertical_alignment="center")
        submitted = button.form_submit_button("Save scenario", type="primary")
        slot = beside.empty()
        saved_message = st.session_state.pop(SAVED, None)
        if saved_message:
            slot.success(saved_message, icon=":material/check_circle:")
        st.caption("A scenario keeps the whole definition: "
                   + fmt.md(Thresholds.build(main.bar(), {k: v.bar() for k, v in
                                                       own.items()}).describe())
                   + " (figures over all segments).")
    if submitted:
        try:
            saved = state.workbench().save_scenario(name, author=author, note=note,
                                                    **scenario_arguments(main, own, segments))
        except CalibrateError as exc:
            with slot:
                state.show_error(exc)
        else:
            st.session_state["active_scenario"] = saved.name
            st.session_state[SAVED] = (
                f"Saved '{fmt.md(saved.name)}' as version {saved.version} (#{saved.id}); "
                f"the earlier versions are kept." if saved.version > 1 else
                f"Saved scenario '{fmt.md(saved.name)}' (#{saved.id}).")
            st.rerun()  # the whole app: the sidebar is drawn before this page


def scenario_arguments(main: Settings, own: dict[str, Settings],
                       segments: Sequence[str] = ()) -> dict:
    """The screen's definition and inputs as :meth:`Workbench.save_scenario` takes them,
    with the sales capacity of each of ``segments`` whose reps were set."""
    def bar(s: Settings) -> tuple[int, ...]:
        return (s.min_total,) if s.mode == "total" else (s.min_profile, s.min_behavior)

    first = bar(main)
    return {"min_profile": first[0] if len(first) == 2 else None,
            "min_behavior": first[1] if len(first) == 2 else None,
            "min_total": first[0] if len(first) == 1 else None,
            "segment_thresholds": {seg: bar(s) for seg, s in own.items()},
            "months": WINDOWS[st.session_state.get("window", "Last 12 months")],
            "reps": main.reps, "leads_per_rep": main.leads_per_rep_per_month,
            "cost_per_lead": main.cost_per_lead_worked, "value_per_win": main.value_per_win,
            "segment_capacity": {seg: capacity_of(seg) for seg in segments
                                 if all(capacity_of(seg))}}


def page() -> st.Page:
    """This page as app.py registers it (the default page, at the root URL): a page is
    known by its url_path, so a link to this one opens the app's."""
    return st.Page(render, title="Thresholds", icon=":material/tune:", url_path="workshop",
                   default=True)


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
               f"{fmt.md(rule_summary(rules, wb.columns()))}")

"""The big screen: the thresholds, the four figures a VP reads, sales capacity and the
trade-off chart, all above the fold at 1920x1080 and large enough to read from the back of
the room; everything else is one click away, on the Thresholds page.

The sliders are the Thresholds page's own (the same keys, segment and window), so moving
one here moves it there; every figure comes from the same functions as that page's.
"""

from __future__ import annotations

from html import escape

import streamlit as st

from calibrate import fmt
from calibrate.decide.figure_text import capacity_status
from calibrate.decide.tradeoff import Figures, Settings, period
from calibrate.errors import CalibrateError
from calibrate.ui import charts, state, thresholds

TITLE = "What is a sales-ready lead?"
CHART_HEIGHT = 560
#: The capacity bar's colour by state: blue within capacity, orange near it, red (with
#: stripes and a warning sign) past it; the words always say which, so no one needs the
#: colour (blue and orange are told apart with every colour vision).
GAUGE_COLOURS = {"ok": charts.LINE_COLOUR, "near": "#ef6c00", "over": thresholds.OVER_COLOUR}
WORD_COLOURS = {"ok": "#212121", "near": "#bf360c", "over": thresholds.OVER_COLOUR}
STRIPES = ("repeating-linear-gradient(135deg, rgba(255,255,255,.45) 0 10px, transparent 10px "
           "20px)")
# Large type for a projector, on this page only (its elements go when the page changes).
STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 4rem; padding-bottom: 1rem; }
.st-key-present h1 { font-size: 2.4rem; padding: 0; }
.st-key-present [data-testid="stCaptionContainer"],
.st-key-present [data-testid="stCaptionContainer"] p { font-size: 1.35rem; color: #424242; }
.st-key-present [data-testid="stPageLink"] p { font-size: 1.35rem; font-weight: 600; }
.st-key-present [data-testid="stWidgetLabel"] p { font-size: 1.4rem; }
.st-key-present [data-testid="stSliderThumbValue"],
.st-key-present [data-testid="stSliderTickBar"] { font-size: 1.25rem; }
.st-key-present [data-testid="stMetricLabel"] p { font-size: 1.5rem; }
.st-key-present [data-testid="stMetricValue"] { font-size: 4rem; line-height: 1.1; }
.st-key-present .present-range { font-size: 1.35rem; color: #424242; margin: 0; }
.st-key-present .present-capacity { display: flex; align-items: center; gap: 1.25rem;
  font-size: 1.45rem; }
.st-key-present .present-track { flex: 1 1 40%; height: 30px; background: #e0e0e0;
  border-radius: 6px; overflow: hidden; }
.st-key-present .present-fill { height: 100%; }
</style>"""


def render() -> None:
    """The Present page: what to do when there is nothing to show yet, else the screen."""
    thresholds.keep_state()
    wb = state.workbench()
    if not wb.leads:
        st.title(TITLE)
        st.info("No leads loaded yet: open the **Data** page to load the sample or your own "
                "export.")
        return
    try:
        with st.spinner("Scoring every lead once..."):
            grid = wb.grid()
    except CalibrateError as exc:
        st.title(TITLE)
        state.show_error(exc)
        st.info("The figures need weights: open the **Weights** page to fit them, or the "
                "**Data** page to load other leads.")
        return
    segment, months, base = thresholds.current_inputs(grid)
    st.html(STYLE)
    with st.container(key="present"):
        header(segment, bool(grid.months))
        screen(grid, months, segment, base)


def header(segment: str | None, dated: bool) -> None:
    """The title, what the figures cover, and the way to every other figure."""
    left, middle, right = st.columns([2.2, 2, 1.3], vertical_alignment="center")
    left.title(TITLE)
    window = (st.session_state.get("window", "Last 12 months") if dated
              else "leads without dates: counts in all")
    middle.caption(f"{fmt.md(segment or thresholds.ALL)} · {window}")
    right.page_link(thresholds.page(), label="All the figures: Thresholds",
                    icon=":material/open_in_full:")


@st.fragment
def screen(grid, months: list | None, segment: str | None, base: Settings) -> None:
    """Sliders, figures, capacity and chart: a fragment, so a slider move reruns only it."""
    left, right = st.columns(2, gap="large")
    thresholds.sliders(left, right, segment)
    settings, f = thresholds.panel_figures(grid, months, segment, base)
    numbers(f)
    capacity(f)
    if not state.charts_ready(space=CHART_HEIGHT):  # the figures first, the chart after
        return
    state.send_figures_first()
    cube = grid.cube(months, segment)
    chart = thresholds.tradeoff_figure(cube, settings, f, period(cube))
    st.plotly_chart(charts.big_screen(chart, CHART_HEIGHT), key="present_chart",
                    config={"displayModeBar": False})


def numbers(f: Figures) -> None:
    """The four figures a VP reads, each with its range when there is one."""
    per = "a month" if f.dated else "in all"
    over = f"over {f.months:g} months" if f.dated else "in all (the leads have no dates)"
    c = st.columns(4)
    big_number(c[0], f"MQLs {per}", fmt.per_month(f.mqls_per_month),
               fmt.span(f.mqls_per_month_low, f.mqls_per_month_high, fmt.per_month),
               f"{f.mqls:,} MQLs {over}, {f.auto_qualified:,} of them auto-qualified")
    big_number(c[1], "Win rate", fmt.percent(f.conversion),
               fmt.span(f.conversion_low, f.conversion_high, fmt.percent),
               "Conversion: the share of closed MQLs that were won, with its 95% range")
    big_number(c[2], f"Wins {per}", fmt.per_month(f.wins_per_month),
               fmt.span(f.wins_per_month_low, f.wins_per_month_high, fmt.per_month),
               "Projected: MQLs times the win rate (open MQLs win like closed ones)")
    big_number(c[3], "Share of all wins", fmt.percent(f.win_share), "of every win, MQL or not",
               "Wins among MQLs over all wins in the window")


def big_number(column, label: str, value: str, under: str | None, help: str) -> None:
    """One figure, large, with a line under it (kept when empty, so the row lines up)."""
    column.metric(label, value, help=help)
    column.markdown(f'<p class="present-range">{escape(under) if under else "&nbsp;"}</p>',
                    unsafe_allow_html=True)


def capacity(f: Figures) -> None:
    """Sales capacity used as a bar that says in words whether sales can work the MQLs."""
    gauge = capacity_status(f.capacity_used, f.capacity, f.mqls_per_month)
    if gauge is None:
        st.caption("Sales capacity: set the reps and the leads a rep works a month on the "
                   "**Thresholds** page." if f.dated else
                   "Sales capacity does not apply: these leads have no dates, and capacity is "
                   "a month's.")
        return
    colour, words = GAUGE_COLOURS[gauge.state], WORD_COLOURS[gauge.state]
    fill = f"{STRIPES}, {colour}" if gauge.state == "over" else colour
    sign = "⚠ " if gauge.state == "over" else ""
    st.markdown(
        f'<div class="present-capacity" role="progressbar" aria-label="Sales capacity used" '
        f'aria-valuemin="0" aria-valuemax="100" aria-valuenow="{gauge.fill * 100:.0f}" '
        f'aria-valuetext="{escape(gauge.label)}" data-state="{gauge.state}">'
        f'<span>Sales capacity</span><div class="present-track">'
        f'<div class="present-fill" style="width:{gauge.fill * 100:.1f}%;background:{fill}">'
        f'</div></div><span style="color:{words}"><b>{sign}{escape(gauge.label)}</b> · '
        f'{escape(gauge.detail)}</span></div>', unsafe_allow_html=True)

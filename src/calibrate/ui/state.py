"""Shared app state: one :class:`~calibrate.workbench.Workbench` per process, a cursor of it
per page run.

Streamlit runs each session in its own thread; every script run takes its own cursor
(:meth:`Workbench.cursor`, which shares the process-wide caches: the count grid, the
held-out fits), and writes go through ``store.transaction`` (which holds the process's
write lock), so concurrent sessions never trip over each other.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from calibrate.data import store
from calibrate.errors import APP, CalibrateError
from calibrate.workbench import Workbench


@st.cache_resource(show_spinner=False)
def _shared(path: str) -> Workbench:
    return Workbench(path)


def db_path() -> str:
    """The database this app serves: ``$CALIBRATE_DB`` or ``data/calibrate.duckdb``."""
    return str(Path(store.resolve_db()).resolve())


def shared() -> Workbench:
    """The process-wide workbench on the app's database (opened on the first call; the
    server's start-up makes that call, :mod:`calibrate.ui.serve`)."""
    return _shared(db_path())


def workbench() -> Workbench:
    """This page run's workbench; a locked or bad file stops the page politely."""
    try:
        return shared().cursor()
    except CalibrateError as exc:
        st.error(exc.message)
        st.stop()
        raise  # unreachable: st.stop() ends the run


def show_error(exc: CalibrateError) -> None:
    """A user error as a readable message box (never a traceback). After a full disk that
    made DuckDB give up on the database, the next run opens it afresh. In the app's words:
    its fix for the app, files by their names, not the server's folders."""
    st.error(exc.shown_in(APP).message)
    if getattr(exc, "invalidated", False):
        _shared.clear()


def page_weights(wb: Workbench):
    """The weights in force for a page (a first fit happens once per data version, then
    it is saved), or None after telling the user why there are none."""
    if not wb.leads:
        st.info("No leads loaded yet: open the Data page first.")
        return None
    try:
        with st.spinner("Fitting suggested weights on the closed leads..."):
            return wb.weights
    except CalibrateError as exc:
        show_error(exc)
        return None


def table_height(rows: int, cap: int = 1600) -> int:
    """Pixels for a table to show all its rows (up to a cap) instead of a tiny scroller."""
    return min(cap, 35 * (rows + 1) + 3)


#: Seconds a run pauses between its figures and its charts (:func:`send_figures_first`).
FIGURES_FIRST = 0.02


def send_figures_first() -> None:
    """Pause a moment between drawing the figures and building the charts.

    Building plotly figures is pure Python, so it holds the interpreter lock; Streamlit's
    event loop, which sends each element to the browser as it is drawn, gets the lock back
    once per switch interval (5 ms) for each message it sends, and the figures of a slider
    move waited for the charts. A short sleep hands it the lock to send them first (issue
    19, on the Thresholds page at 100,000 leads: key press to new MQL figure on screen, p50
    of four runs of 30 presses, about 255 ms without the pause and 190 ms with it)."""
    time.sleep(FIGURES_FIRST)


#: Session state: this session's browser tab has plotly.js (it drew a chart), so a run
#: draws its charts at once.
CHARTS = "charts_loaded"
_ASKED = "held_back_asked"  # {flag: when a first view held that part back (monotonic s)}
_TIMER_INLINE = "held_back_timer_inline"  # the page is calling the timer, not its timer
#: Seconds between what a first view draws and what it holds back.
CHARTS_DELAY = 0.5


def charts_ready(space: int = 0) -> bool:
    """Whether this run may draw plotly charts.

    A session's first view holds them back: the browser fetches and runs plotly.js (4.7 MB)
    for the first chart, seconds on a busy machine, and draws the figures and tables beside
    it only after that. So the first view draws those and leaves the charts' place empty
    (``space`` pixels high, so nothing below jumps); :data:`CHARTS_DELAY` seconds later a
    timer (a fragment's ``run_every``) reruns the app with its charts. Any run of the
    session from then on draws them at once. Call it once per run, where the charts go."""
    return _held_back(CHARTS, space)


def view_flag(page: str) -> str:
    """The session-state flag :func:`rest_ready` sets once ``page`` has drawn everything."""
    return f"view_complete_{page}"


def rest_ready(page: str) -> bool:
    """Whether this run of ``page`` may draw all of it, charts included, or only what its
    user came for (the Weights page's points tables).

    The session's first view of a page holds the rest back: each kind of element (a text
    area, a multiselect, a chart) brings its own code for the browser to fetch and run
    before anything beside it is drawn, about 1.5 s for the Weights page's sections on this
    2-core machine. :data:`CHARTS_DELAY` seconds later the timer reruns the app with the
    rest; later views of the page draw everything at once. Call it once per run, instead of
    :func:`charts_ready`."""
    ready = _held_back(view_flag(page))
    if ready:
        st.session_state[CHARTS] = True  # the rest includes the charts
    return ready


def _held_back(flag: str, space: int = 0) -> bool:
    """Whether ``flag``'s part may be drawn in this run; if not, keep ``space`` pixels for
    it and start the timer that reruns the app with it."""
    if st.session_state.get(flag):
        return True
    asked = st.session_state.setdefault(_ASKED, {})
    since = asked.setdefault(flag, time.monotonic())
    if time.monotonic() - since >= CHARTS_DELAY:  # a run after the delay: the part now
        st.session_state[flag] = True
        return True
    if space:
        st.container(height=space, border=False)
    st.session_state[_TIMER_INLINE] = True
    try:
        _timer()
    finally:
        st.session_state[_TIMER_INLINE] = False
    return False


@st.fragment(run_every=CHARTS_DELAY)
def _timer() -> None:
    """Drawn (empty) by a first view; its timer's rerun turns on what was held back and
    reruns the app, which ends the timer (a run that draws no timer fragment drops it)."""
    if not st.session_state.get(_TIMER_INLINE):
        for flag in st.session_state.get(_ASKED, {}):
            st.session_state[flag] = True
        st.rerun()

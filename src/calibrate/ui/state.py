"""Shared app state: one :class:`~calibrate.workbench.Workbench` per process, a cursor of it
per page run.

Streamlit runs each session in its own thread; every script run takes its own cursor
(:meth:`Workbench.cursor`, which shares the process-wide caches: the count grid, the
held-out fits), and writes go through ``store.transaction`` (which holds the process's
write lock), so concurrent sessions never trip over each other.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from calibrate.data import store
from calibrate.errors import CalibrateError
from calibrate.workbench import Workbench


@st.cache_resource(show_spinner=False)
def _shared(path: str) -> Workbench:
    return Workbench(path)


def db_path() -> str:
    """The database this app serves: ``$CALIBRATE_DB`` or ``data/calibrate.duckdb``."""
    return str(Path(store.resolve_db()).resolve())


def workbench() -> Workbench:
    """This page run's workbench; a locked or bad file stops the page politely."""
    try:
        return _shared(db_path()).cursor()
    except CalibrateError as exc:
        st.error(exc.message)
        st.stop()
        raise  # unreachable: st.stop() ends the run


def show_error(exc: CalibrateError) -> None:
    """A user error as a readable message box (never a traceback). After a full disk that
    made DuckDB give up on the database, the next run opens it afresh."""
    st.error(exc.message)
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

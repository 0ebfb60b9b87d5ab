"""Shared app state: one DuckDB connection per process, caches keyed by data version.

Streamlit runs each session in its own thread; every script run takes its own cursor
from the process-wide connection, and writes go through ``store.transaction`` (which holds
the process's write lock), so concurrent sessions never trip over each other.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import streamlit as st

from calibrate import store
from calibrate.errors import CalibrateError


@st.cache_resource(show_spinner=False)
def _connect(path: str) -> duckdb.DuckDBPyConnection:
    return store.connect(path)


def db_path() -> str:
    """The database this app serves: ``$CALIBRATE_DB`` or ``data/calibrate.duckdb``."""
    return str(Path(store.resolve_db()).resolve())


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the process-wide connection; a locked or bad file stops the page politely."""
    try:
        return _connect(db_path()).cursor()
    except CalibrateError as exc:
        st.error(exc.message)
        st.stop()
        raise  # unreachable: st.stop() ends the run


def show_error(exc: CalibrateError) -> None:
    """A user error as a readable message box (never a traceback)."""
    st.error(exc.message)

"""Shared app state: one DuckDB connection per process, caches keyed by data version.

Streamlit runs each session in its own thread; every script run takes its own cursor
from the process-wide connection, and writes go through ``store.transaction`` (which holds
the process's write lock), so concurrent sessions never trip over each other.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import streamlit as st

from calibrate.data import store
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
    """A user error as a readable message box (never a traceback). After a full disk that
    made DuckDB give up on the database, the next run opens it afresh."""
    st.error(exc.message)
    if getattr(exc, "invalidated", False):
        _connect.clear()


def active_weights(con: duckdb.DuckDBPyConnection):
    """The weights in force (a first fit happens once per data version, then it is saved)."""
    from calibrate.decide import workshop

    with st.spinner("Fitting suggested weights on the closed leads..."):
        return workshop.active_weights(con)


def page_weights(con: duckdb.DuckDBPyConnection):
    """The weights for a page, or None after telling the user why there are none."""
    if not store.lead_count(con):
        st.info("No leads loaded yet: open the Data page first.")
        return None
    try:
        return active_weights(con)
    except CalibrateError as exc:
        show_error(exc)
        return None


@st.cache_resource(show_spinner="Scoring every lead once...", max_entries=16)
def _grid(path: str, version: int, weights_id: int, rules_key: str):
    import json

    from calibrate.decide import workshop
    from calibrate.model.rule_settings import RuleSet
    from calibrate.model.weights import load_weights

    con = _connect(path).cursor()
    try:
        weights = load_weights(con, weights_id)
        return workshop.workshop_grid(con, weights, RuleSet.from_dict(json.loads(rules_key)))
    finally:
        con.close()


def workshop_grid(con: duckdb.DuckDBPyConnection, weights):
    """The count grid for the weights in force (cached per data version, weights, rules)."""
    import json

    from calibrate.decide.workshop import rules_of

    rules = rules_of(weights)
    return _grid(db_path(), store.data_version(con), int(weights.id),
                 json.dumps(rules.to_dict(), sort_keys=True))


def table_height(rows: int, cap: int = 1600) -> int:
    """Pixels for a table to show all its rows (up to a cap) instead of a tiny scroller."""
    return min(cap, 35 * (rows + 1) + 3)

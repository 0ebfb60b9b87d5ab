"""The sidebar: which data, which weights and which scenario are active; backups."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from calibrate import fmt
from calibrate.data import store
from calibrate.decide.scenarios import current_agreement
from calibrate.ui import backups, state


def render() -> None:
    con = state.connection()
    with st.sidebar:
        st.markdown("### calibrate")
        rows = store.lead_count(con)
        if rows:
            last = store.last_load(con)
            st.markdown(f"**Data:** {fmt.md(fmt.file_name(last[0])) if last else '?'}  \n"
                        f"{fmt.number(rows)} leads · version {store.data_version(con)}")
        else:
            st.markdown("**Data:** none loaded")
        active = st.session_state.get("active_scenario")
        st.markdown(f"**Scenario:** {fmt.md(active) if active else 'unsaved'}")
        agreement = current_agreement(con)
        if agreement is not None:
            st.markdown(f"**Agreement:** {fmt.md(agreement.name)} "
                        f"({agreement.created_at:%Y-%m-%d})")
        st.caption(f"Database: {Path(state.db_path()).name}")
        backups.section()

"""The sidebar: which data, which weights and which scenario are active; backups."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from calibrate import fmt
from calibrate.ui import backups, state


def render() -> None:
    wb = state.workbench()
    with st.sidebar:
        st.markdown("### calibrate")
        rows = wb.leads
        if rows:
            last = wb.last_file
            st.markdown(f"**Data:** {fmt.md(fmt.file_name(last)) if last else '?'}  \n"
                        f"{fmt.number(rows)} leads · version {wb.data_version}")
        else:
            st.markdown("**Data:** none loaded")
        active = st.session_state.get("active_scenario")
        st.markdown(f"**Scenario:** {fmt.md(active) if active else 'unsaved'}")
        agreement = wb.agreed()  # the agreement in force, else the newest scenario
        if agreement is not None and agreement.kind == "agreement":
            st.markdown(f"**Agreement:** {fmt.md(agreement.name)} "
                        f"({agreement.created_at:%Y-%m-%d})")
        st.caption(f"Database: {Path(state.db_path()).name}")
        backups.section()

"""The Scenarios screen: saved proposals side by side, and marking the agreement."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from calibrate import fmt
from calibrate.data.autobackup import backup_at_agreement
from calibrate.decide.agreement import basis_now, basis_of, drift_line, same_basis
from calibrate.decide.scenarios import (
    Scenario,
    compare,
    current_agreement,
    latest_versions,
    list_scenarios,
    mark_agreement,
)
from calibrate.errors import CalibrateError
from calibrate.thresholds import Bar
from calibrate.ui import backups, state
from calibrate.ui.thresholds import OWN, slider_key


def overview(rows: list[Scenario]) -> pd.DataFrame:
    """One line per scenario with its headline figures, formatted for the room."""
    return pd.DataFrame([{
        "#": s.id, "name": s.name, "author": s.author, "saved": f"{s.created_at:%Y-%m-%d %H:%M}",
        "thresholds": _thresholds(s), "MQLs / month": fmt.number(s.figures.get("mqls_per_month")),
        "conversion": fmt.percent(s.figures.get("conversion")),
        "wins / month": fmt.number(s.figures.get("wins_per_month")), "note": s.note,
    } for s in rows])


def _thresholds(s: Scenario) -> str:
    return s.thresholds.describe()


def load_into_workshop(s: Scenario) -> None:
    """Put a scenario's thresholds on the workshop sliders (for its segment)."""
    b = s.thresholds
    main = b.main or Bar()
    st.session_state["total_mode"] = main.mode == "total"
    only = b.only or s.payload.get("segment")
    st.session_state[OWN] = set(b.segments) | ({only} if only else set())
    for segment, bar in [(only, main), *b.segments.items()]:
        for name in ("min_profile", "min_behavior", "min_total"):
            if getattr(bar, name) is not None:
                st.session_state[slider_key(name, segment)] = int(getattr(bar, name))
    st.session_state["active_scenario"] = s.name


def render() -> None:
    st.title("Scenarios")
    backups.show_remembered()
    con = state.connection()
    latest = latest_versions(con)
    if not latest:
        st.info("No scenarios yet: save one from the Thresholds page.")
        return
    agreement = current_agreement(con)
    if agreement is not None:
        st.success(f"Agreement: **{fmt.md(agreement.name)}** "
                   f"({fmt.md(_thresholds(agreement))}), recorded "
                   f"{agreement.created_at:%Y-%m-%d %H:%M}"
                   + (f" by {fmt.md(agreement.author)}" if agreement.author else ""))
        weights = state.page_weights(con)
        line = drift_line(agreement, basis_now(con, weights)) if weights is not None else None
        if line:
            st.warning(f"{line} The Export page can recompute these thresholds on what is "
                       "in force now.")
    st.dataframe(overview(latest), hide_index=True, width="stretch")

    labels = {f"{s.name} (#{s.id})": s for s in latest}
    names = list(labels)
    st.subheader("Compare two scenarios")
    if len(names) < 2:
        st.caption("Save a second scenario to compare two side by side.")
    c = st.columns(2)
    a = c[0].selectbox("Scenario A", names, index=0, key="cmp_a")
    b = c[1].selectbox("Scenario B", names, index=min(1, len(names) - 1), key="cmp_b")
    if not same_basis(labels[a], labels[b]):
        st.warning(f"These two were computed on different weights or data (A: "
                   f"{basis_of(labels[a]).describe()}; B: {basis_of(labels[b]).describe()}): "
                   "their figures are not comparable as they stand. Load one into the "
                   "workshop and save it again to compute it on what is in force.")
    table = compare(labels[a], labels[b])
    st.dataframe(table, hide_index=True, width="stretch")

    st.subheader("Use or agree")
    chosen = st.selectbox("Scenario", names, key="chosen")
    c = st.columns(3)
    if c[0].button("Load into the workshop", key="load_scenario"):
        load_into_workshop(labels[chosen])
        st.success(f"Loaded '{fmt.md(labels[chosen].name)}': open the Thresholds page.")
    with st.form("agree"):
        who = st.text_input("Agreed by", placeholder="VP Sales and VP Marketing", key="agree_by")
        note = st.text_input("Note", key="agree_note")
        if st.form_submit_button("Mark as the agreement", type="primary"):
            try:
                mark_agreement(con, labels[chosen], author=who, note=note)
            except CalibrateError as exc:
                state.show_error(exc)
            else:
                with st.spinner("Backing up the agreement..."):
                    backups.remember(backup_at_agreement(con, Path(state.db_path())))
                st.rerun()
    with st.expander("Every save, oldest versions included (nothing is ever overwritten)"):
        st.dataframe(overview(list_scenarios(con)).assign(
            kind=[s.kind for s in list_scenarios(con)]), hide_index=True, width="stretch")

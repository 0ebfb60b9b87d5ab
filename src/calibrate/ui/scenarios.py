"""The Scenarios screen: saved proposals side by side, and marking the agreement."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from calibrate import fmt
from calibrate.decide.comparison import Comparison, Headline
from calibrate.decide.figure_text import RANGE_NOTE, dated, has_range, range_text
from calibrate.decide.scenarios import Scenario
from calibrate.errors import CalibrateError
from calibrate.thresholds import Bar
from calibrate.ui import backups, state
from calibrate.ui.thresholds import OWN, slider_key


def overview(rows: list[Scenario]) -> pd.DataFrame:
    """One line per scenario with its headline figures, formatted for the room. Counts
    are "a month", or "in all" for leads without dates; with both kinds, each cell says.
    MQLs and wins a month carry the range the scenario saved ("182 (range 150–190)")."""
    kinds = {dated(s.figures) for s in rows}
    per = "" if len(kinds) > 1 else " a month" if kinds == {True} else " in all"

    def count(s: Scenario, key: str) -> str:
        text = fmt.per_month(s.figures.get(key))
        if not per:
            text += f" {'a month' if dated(s.figures) else 'in all'}"
        span = None if fmt.is_missing(s.figures.get(key)) else range_text(s.figures, key)
        return f"{text} ({span})" if span else text

    return pd.DataFrame([{
        "#": s.id, "name": s.name, "author": s.author, "saved": f"{s.created_at:%Y-%m-%d %H:%M}",
        "thresholds": s.thresholds.describe(),
        f"MQLs{per}": count(s, "mqls_per_month"),
        "conversion": fmt.percent(s.figures.get("conversion")),
        f"wins{per}": count(s, "wins_per_month"), "note": s.note,
    } for s in rows])


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


#: A difference's colour by its verdict: blue better, orange worse (never red against green),
#: grey when neither; the arrow and the word always say it too.
VERDICT_COLOURS = {"better": "blue", "worse": "orange", "": "gray"}
ARROWS = {1: "up", -1: "down"}


def _difference(column: DeltaGenerator, h: Headline) -> None:
    """B - A for one figure: the signed difference, an arrow, the word and a colour."""
    word = ", ".join(w for w in (h.word, h.verdict) if w)
    column.metric(f"{h.label}, B − A", h.difference_text,
                  delta=word if h.direction is not None else None,
                  delta_color=VERDICT_COLOURS[h.verdict],
                  delta_arrow=ARROWS.get(h.direction, "off"))


def side_by_side(comparison: Comparison) -> None:
    """The sentence, then A and B under their names and thresholds with the four headline
    figures each (MQLs and wins with the range each saved, conversion with its interval)
    and the difference B - A beside them."""
    st.subheader(fmt.md(comparison.sentence()), anchor=False)
    head = st.columns(3)
    for column, tag, name, scenario in zip(head[:2], "AB", comparison.labels(),
                                           (comparison.a, comparison.b), strict=True):
        column.markdown(f"**{tag} · {fmt.md(name)}**  \n"
                        f"{fmt.md(scenario.thresholds.describe())}")
    head[2].markdown("**B − A**  \nwhat B changes")
    for h in comparison.headline():
        row = st.columns(3)
        for column, text, note in ((row[0], h.a_text, h.a_note), (row[1], h.b_text, h.b_note)):
            column.metric(h.label, text)
            if note:
                column.caption(note)
        _difference(row[2], h)
    if has_range(comparison.a.figures) or has_range(comparison.b.figures):
        st.caption(RANGE_NOTE)


def render() -> None:
    st.title("Scenarios")
    backups.show_remembered()
    wb = state.workbench()
    view = wb.overview()
    latest = [wb.scenario(f"#{row['id']}") for row in view["scenarios"]]
    if not latest:
        st.info("No scenarios yet: save one from the Thresholds page.")
        return
    agreed = view["agreement"]
    if agreed is not None:
        st.success(f"Agreement: **{fmt.md(agreed['name'])}** "
                   f"({fmt.md(agreed['thresholds_text'])}), recorded "
                   f"{agreed['agreed_at'].replace('T', ' ')[:16]}"
                   + (f" by {fmt.md(agreed['agreed_by'])}" if agreed["agreed_by"] else ""))
        if agreed["drift"]:
            st.warning(f"{agreed['drift']} The Export page can recompute these thresholds on "
                       "what is in force now.")
    st.dataframe(overview(latest), hide_index=True, width="stretch")

    labels = {f"{s.name} (#{s.id})": s for s in latest}
    names = list(labels)
    st.subheader("Compare two scenarios")
    if len(names) < 2:
        st.caption("Save a second scenario to compare two side by side.")
    c = st.columns(2)
    a = c[0].selectbox("Scenario A", names, index=0, key="cmp_a")
    b = c[1].selectbox("Scenario B", names, index=min(1, len(names) - 1), key="cmp_b")
    comparison = wb.compare(f"#{labels[a].id}", f"#{labels[b].id}")
    if not comparison.same_basis:
        st.warning(comparison.note)
    side_by_side(comparison)
    with st.expander("Every threshold and figure, side by side"):
        st.dataframe(pd.DataFrame(comparison.table()), hide_index=True, width="stretch",
                     height=state.table_height(len(comparison.rows)))

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
                with st.spinner("Recording the agreement and backing it up..."):
                    wb.agree(f"#{labels[chosen].id}", by=who, note=note)
            except CalibrateError as exc:
                state.show_error(exc)
            else:
                if wb.last_backup is not None:
                    backups.remember(wb.last_backup)
                st.rerun()
    with st.expander("Every save, oldest versions included (nothing is ever overwritten)"):
        history = wb.history()
        st.dataframe(overview(history).assign(kind=[s.kind for s in history]),
                     hide_index=True, width="stretch")

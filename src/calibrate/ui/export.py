"""The Export screen: the weight table, scored leads and the one-page agreement."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from calibrate import fmt
from calibrate.decide.agreement import figures_side_by_side
from calibrate.errors import CalibrateError
from calibrate.export.agreement_page import agreement_html
from calibrate.export.files import safe_frame
from calibrate.ui import state
from calibrate.workbench import Workbench


@st.cache_data(show_spinner=False, max_entries=16)
def grid_query(db: str, basis: tuple[int, int | None], dialect: str) -> str:
    """The count grid's query for the weights in force (kept per data version and weights:
    writing it reads the points and the columns, a third of a second)."""
    return state.workbench().grid_sql(dialect)


def drift_section(wb: Workbench, source) -> None:
    """When the weights or data in force differ from the scenario's, say so in one line and
    offer the same thresholds recomputed on what is in force, beside the saved figures."""
    line = wb.changed_since(source)
    if line is None:
        return
    st.warning(f"{line} Everything below is the {source.kind} as it was saved.")
    if st.toggle("Recompute these thresholds on what is in force now", key="recompute"):
        try:
            now = wb.recompute(source)
        except CalibrateError as exc:
            state.show_error(exc)
            return
        st.dataframe(pd.DataFrame(figures_side_by_side(source.figures, now)),
                     hide_index=True, width="stretch")


def render() -> None:
    st.title("Export")
    wb = state.workbench()
    if state.page_weights(wb) is None:
        return
    try:
        source = wb.agreed()
        weights = wb.agreed_weights()
    except CalibrateError as exc:
        state.show_error(exc)
        return
    if source is not None:
        kind = "the agreement" if source.kind == "agreement" else "scenario"
        st.caption(f"Points, thresholds and rules of {kind} '{fmt.md(source.name)}' "
                   f"(#{source.id}), saved {source.created_at:%Y-%m-%d %H:%M} on weights "
                   f"#{weights.id}.")
        drift_section(wb, source)
    else:
        st.caption("No scenario saved yet: the weights in force are exported without "
                   "thresholds.")
    stamp = dt.date.today().isoformat()

    st.subheader("Weight table")
    from calibrate.export.files import DIALECTS, FILE_TYPES

    def download(col, fmt_: str, label: str, name: str, **options) -> None:
        ext, mime = FILE_TYPES[fmt_]
        data = wb.export(fmt_, **options)
        col.download_button(label, data if isinstance(data, bytes) else data.encode("utf-8"),
                            file_name=f"calibrate-{name}-{stamp}.{ext}", mime=mime,
                            key=f"dl_{fmt_}", on_click="ignore")

    c = st.columns(4)
    for col, (fmt_, label, name) in zip(c, [
            ("csv", "Points table (CSV)", "weights"), ("xlsx", "Points table (Excel)", "weights"),
            ("json", "Weights (JSON, for scoring)", "weights"),
            ("rules", "Rules list for marketing automation", "rules")], strict=True):
        download(col, fmt_, label, name)
    st.caption("For your systems (how to import each file: see the README, \"Exports for "
               "marketing automation\").")
    c = st.columns(3)
    dialect = c[0].selectbox("SQL dialect", DIALECTS, key="sql_dialect")
    download(c[1], "sql", "Score in SQL (profile, behavior, total, MQL)", f"score-{dialect}",
             dialect=dialect)
    c[2].download_button(
        "Lead counts in SQL (the count grid)",
        grid_query(state.db_path(), wb.figures_basis(), dialect).encode("utf-8"),
        file_name=f"calibrate-grid-{dialect}-{stamp}.sql", mime="application/sql",
        key="dl_grid_sql", on_click="ignore",
        help="The counts the Thresholds page reads, as one query for a data team to run "
             "where the leads are (DuckDB, PostgreSQL, Snowflake, BigQuery, Spark). Both "
             "queries read a table named leads with the columns as your file names them: "
             "change the name after FROM.")
    c = st.columns(4)
    for col, (fmt_, label) in zip(c, [
            ("hubspot", "HubSpot lead score (JSON)"), ("marketo", "Marketo campaigns (CSV)"),
            ("pardot", "Account Engagement rules and grading (CSV)"),
            ("mautic", "Mautic points (JSON)")], strict=True):
        download(col, fmt_, label, fmt_)

    st.subheader("Scored leads")
    contacts = st.radio("Contact fields (email, phone, name)", ["hash", "drop", "plain"],
                        horizontal=True, key="contacts",
                        format_func={"hash": "hashed", "drop": "left out",
                                     "plain": "as they are"}.get)
    if st.button("Prepare scored leads", key="prepare_scored"):
        frame = safe_frame(wb.score(contacts=contacts))
        st.session_state["scored_csv"] = frame.to_csv(index=False).encode("utf-8")
        st.session_state["scored_rows"] = len(frame)
    if "scored_csv" in st.session_state:
        st.download_button(f"Scored leads ({st.session_state['scored_rows']:,} rows, CSV)",
                           st.session_state["scored_csv"],
                           file_name=f"calibrate-scored-leads-{stamp}.csv", mime="text/csv",
                           key="dl_scored", on_click="ignore")

    st.subheader("The agreement")
    if source is None:
        st.info("Save a scenario (and mark it as the agreement) to write the agreement page.")
        return
    md = str(wb.export("markdown"))
    with st.expander("Preview", expanded=False):
        st.markdown(md)
    c = st.columns(2)
    c[0].download_button("Agreement (Markdown)", md.encode("utf-8"),
                         file_name=f"mql-agreement-{stamp}.md", mime="text/markdown",
                         key="dl_agreement_md", on_click="ignore")
    c[1].download_button("Agreement (HTML)", agreement_html(md).encode("utf-8"),
                         file_name=f"mql-agreement-{stamp}.html", mime="text/html",
                         key="dl_agreement_html", on_click="ignore")

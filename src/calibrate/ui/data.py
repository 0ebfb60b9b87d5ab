"""The Data screen: load the sample or a file, check the column roles, see data quality."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import streamlit as st

from calibrate import fmt, store
from calibrate.errors import CalibrateError
from calibrate.ingest import IngestReport, ingest, preview
from calibrate.outcomes import fit_warnings
from calibrate.quality import quality, set_roles
from calibrate.roles import ROLES, TYPES, mapping_from_choices
from calibrate.rules import RuleSet
from calibrate.ui import state

SAMPLE = Path("data/sample/leads.csv")


def sample_path() -> Path:
    """The bundled sample, generated on first use (deterministic)."""
    if not SAMPLE.exists():
        from calibrate import sample

        with st.spinner("Generating the sample leads..."):
            sample.write(SAMPLE)
            sample.write_truth(SAMPLE.with_name("truth.json"))
    return SAMPLE


def uploads_dir() -> Path:
    """Uploaded files are kept beside the database, so nothing a user gave is lost."""
    folder = Path(state.db_path()).parent / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def max_upload_mb() -> int:
    """The upload limit the server enforces (``server.maxUploadSize``, .streamlit/config.toml)."""
    return int(st.get_option("server.maxUploadSize"))


def keep_upload(name: str, data: BinaryIO) -> Path:
    """Copy an upload to ``data/uploads/`` in chunks (never a second copy in memory)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name)[-100:] or "upload"
    path = uploads_dir() / f"{time.strftime('%Y%m%d-%H%M%S')}-{safe}"
    data.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(data, out, 1 << 20)
    return path


def show_report(report: IngestReport) -> None:
    st.success(f"Loaded {report.rows_loaded:,} leads from {Path(report.file).name}.")
    shown_below = fit_warnings(report.outcome_counts)  # the summary repeats these
    for w in report.warnings:
        if w not in shown_below:
            st.warning(w)
    if report.issues:
        st.caption("What was cleaned")
        st.dataframe(pd.DataFrame([{
            "column": i.column, "what": i.kind, "rows": i.count, "done": i.action,
            "e.g. rows": ", ".join(map(str, i.rows))} for i in report.issues]),
            hide_index=True, width="stretch")


def load_section() -> None:
    st.subheader("Load leads")
    sample_tab, upload_tab = st.tabs(["Bundled sample", "Upload a file"])
    with sample_tab:
        st.write("50,000 B2B leads over 24 months, with won, lost, no-decision and open "
                 "outcomes (deliberately messy, like a real CRM export).")
        if st.button("Load the sample data", key="load_sample"):
            run_ingest(sample_path(), None, replace=True)
    with upload_tab:
        upload_section()


def run_ingest(path: Path, choices: list[dict[str, str]] | None, replace: bool) -> None:
    con = state.connection()
    try:
        mapping = mapping_from_choices(choices) if choices else None
        with st.spinner(f"Loading {path.name}..."):
            report = ingest(con, path, mapping=mapping, replace=replace)
    except CalibrateError as exc:
        state.show_error(exc)
        return
    st.session_state["last_report"] = report
    st.rerun()


def upload_section() -> None:
    limit = max_upload_mb()
    upload = st.file_uploader(
        f"CSV, Parquet or XLSX export of leads with their outcomes (up to {limit:,} MB)",
        type=["csv", "txt", "tsv", "parquet", "xlsx"], key="upload")
    if upload is None:
        return
    key = f"{upload.name}:{upload.size}"
    if st.session_state.get("upload_key") != key:
        if upload.size > limit * 1024 * 1024:
            st.error(f"{upload.name} is larger than {limit:,} MB, the upload limit. Load it "
                     f"with `calibrate ingest {upload.name}` instead.")
            return
        st.session_state["upload_key"] = key
        st.session_state["upload_path"] = str(keep_upload(upload.name, upload))
    path = Path(st.session_state["upload_path"])
    try:
        guesses = preview(path)
    except CalibrateError as exc:
        state.show_error(exc)
        return
    st.write("Check each column's role and type, then load. The outcome column must say won, "
             "lost, no decision or open.")
    frame = pd.DataFrame([{"source_name": g.source_name, "role": g.role, "type": g.type,
                           "why": g.reason} for g in guesses])
    edited = st.data_editor(
        frame, hide_index=True, width="stretch", key=f"roles_{key}",
        disabled=["source_name", "why"],
        column_config={
            "source_name": st.column_config.TextColumn("column"),
            "role": st.column_config.SelectboxColumn("role", options=list(ROLES),
                                                     required=True),
            "type": st.column_config.SelectboxColumn("type", options=list(TYPES),
                                                     required=True),
        })
    replace = not st.checkbox("Append to the leads already loaded (same columns)",
                              key="append")
    if st.button("Load this file", key="load_upload", type="primary"):
        run_ingest(path, edited[["source_name", "role", "type"]].to_dict("records"), replace)


def summary_section() -> None:
    con = state.connection()
    q = quality(con)
    if q is None:
        st.info("No leads loaded yet: load the sample or upload a file below.")
        return
    st.subheader("Loaded leads")
    cols = st.columns(5)
    cols[0].metric("Leads", fmt.number(q.rows))
    cols[1].metric("Closed", fmt.number(q.closed))
    cols[2].metric("Won", fmt.number(q.outcomes["won"]))
    cols[3].metric("Win rate", fmt.percent(q.win_rate))
    cols[4].metric("Open (scored, not fitted)", fmt.number(q.outcomes["open"]))
    if q.created_from is not None:
        st.caption(f"Created {q.created_from:%Y-%m-%d} to {q.created_to:%Y-%m-%d} · "
                   f"from {Path(q.last_file or '').name}")
    st.caption("Outcomes: " + " · ".join(
        f"{fmt.OUTCOME_LABELS[k]} {fmt.number(v)}" for k, v in q.outcomes.items()))
    for warning in fit_warnings(q.outcomes):
        st.warning(warning)

    attrs = q.columns[q.columns["role"].isin(["profile", "behavior", "ignore"])].copy()
    st.markdown("**Scored attributes**: move a column between profile, behavior and ignore.")
    attrs["missing"] = attrs["missing_share"].map(fmt.percent)
    edited = st.data_editor(
        attrs[["name", "role", "type", "missing", "distinct"]], hide_index=True,
        width="stretch", height=state.table_height(len(attrs)),
        key=f"attr_roles_{store.data_version(con)}",
        disabled=["name", "type", "missing", "distinct"],
        column_config={"role": st.column_config.SelectboxColumn(
            "role", options=["profile", "behavior", "ignore"], required=True)})
    changes = {r["name"]: r["role"] for r in edited.to_dict("records")
               if r["role"] != attrs.set_index("name").loc[r["name"], "role"]}
    if changes and st.button(f"Apply {len(changes)} role change(s)", key="apply_roles"):
        try:
            set_roles(con, changes)
        except CalibrateError as exc:
            state.show_error(exc)
        else:
            st.rerun()
    other = q.columns[~q.columns["role"].isin(["profile", "behavior", "ignore"])]
    with st.expander("Other columns (ids, dates, outcome, segment, contact fields)"):
        st.dataframe(other[["name", "source_name", "role", "type", "missing"]],
                     hide_index=True, width="stretch")
    if q.issues:
        with st.expander(f"Cleaning report of the last load ({len(q.issues)} items)"):
            st.dataframe(pd.DataFrame(q.issues), hide_index=True, width="stretch")
    rules_section(con)


def rules_section(con) -> None:
    """How many leads each auto-rule hits, and how they converted."""
    from calibrate.rules import rule_hits

    hits = rule_hits(con, rules_in_force(con))
    if hits.empty:
        return
    st.markdown("**Auto-rules** (applied before the score)")
    view = hits.assign(
        rule=hits["rule"].fillna("no rule"), share=hits["share"].map(fmt.percent),
        win_rate=hits["win_rate"].map(fmt.percent))
    st.dataframe(view.rename(columns={"win_rate": "win rate"}), hide_index=True,
                 width="stretch")


def rules_in_force(con) -> RuleSet:
    """The rules saved with the newest weights (the defaults before any fit)."""
    from calibrate.weights import latest_weights
    from calibrate.workshop import rules_of

    weights = latest_weights(con, store.data_version(con))
    return rules_of(weights) if weights is not None else RuleSet()


def render() -> None:
    st.title("Data")
    report = st.session_state.pop("last_report", None)
    if report is not None:
        show_report(report)
    summary_section()
    load_section()

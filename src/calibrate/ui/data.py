"""The Data screen: load the sample or a file, check the column roles, see data quality."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import pandas as pd
import streamlit as st

from calibrate import fmt
from calibrate.access import UploadUse, budget_refusal
from calibrate.data.database import redact, with_password
from calibrate.data.file_preview import FilePreview
from calibrate.data.ingest import IngestReport
from calibrate.data.mappings import changed_roles, mapping_from_choices
from calibrate.data.outcomes import (
    describe_candidates,
    fit_warnings,
    label_overrides,
    normalise,
    shown_counts,
)
from calibrate.data.quality import not_scored
from calibrate.data.roles import (
    IGNORED,
    ROLES,
    TYPES,
    Mapping,
    mapping_from_dict,
    mapping_to_toml,
)
from calibrate.errors import APP, CalibrateError
from calibrate.ui import access, backups, state

if TYPE_CHECKING:
    from calibrate.in_place import InPlaceReport
    from calibrate.workbench import Workbench

SAMPLE = Path("data/sample/leads.csv")
#: The Data page's tables show every row (each column, each label), scrolling with the page.
EVERY_ROW = 1 << 24
#: The controls the app's fixes name (``app_fix`` in the data modules says these words).
OUTCOME_LABEL = "Outcome column"
APPEND_LABEL = "Append to the leads already loaded (same columns)"


def sample_path() -> Path:
    """The bundled sample, generated on first use (deterministic)."""
    if not SAMPLE.exists():
        from calibrate.tools import sample

        with st.spinner("Generating the sample leads..."):
            sample.write(SAMPLE)
            sample.write_truth(SAMPLE.with_name("truth.json"))
    return SAMPLE


def uploads_dir() -> Path:
    """Where uploads wait to be loaded: beside the database. Created with a ``.gitignore``
    of ``*``, so that it is git-ignored wherever the database is."""
    folder = Path(state.db_path()).parent / "uploads"
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        return folder
    ignore = folder / ".gitignore"
    try:
        ignore.write_text("# uploads waiting to be loaded (calibrate removes them)\n*\n",
                          encoding="utf-8")
    except OSError:  # made again, with its .gitignore, by the next upload
        with contextlib.suppress(OSError):
            ignore.unlink(missing_ok=True)
            folder.rmdir()
        raise
    return folder


def show_error(exc: CalibrateError, names: dict[str, str] | None = None) -> None:
    """An error in the app's words: its fix for the app, files by the names the user knows
    (``names``: a kept upload's path to the name it was uploaded as)."""
    state.show_error(exc.shown_in(APP, names))


def max_upload_mb() -> int:
    """The upload limit the server enforces (``server.maxUploadSize``, .streamlit/config.toml)."""
    return int(st.get_option("server.maxUploadSize"))


def keep_upload(name: str, data: BinaryIO) -> Path:
    """Copy an upload to ``data/uploads/<time>/<its name>`` in chunks (never a second copy
    in memory) until it is loaded; the name is kept as the user's file had it.

    The copy is written under a temporary name and renamed once complete: a full disk
    (or any failed write) leaves nothing behind in ``data/uploads/``, and is a
    :class:`CalibrateError` saying so."""
    from calibrate.errors import disk_full_error, is_disk_full

    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(name.replace("\x00", "")).name.strip()[-150:] or "upload"
    path = Path(base)
    made: Path | None = None
    try:
        root = uploads_dir()
        folder = root / stamp
        n = 1
        while folder.exists():
            n += 1
            folder = root / f"{stamp}-{n}"
        path = folder / base
        folder.mkdir(parents=True)
        made = folder
        part = folder / f".{base}.part"
        data.seek(0)
        with open(part, "wb") as out:
            shutil.copyfileobj(data, out, 1 << 20)
        os.replace(part, path)
    except OSError as exc:
        if made is not None:
            (made / f".{base}.part").unlink(missing_ok=True)
            try:
                made.rmdir()
            except OSError:
                pass
        if is_disk_full(exc):
            raise disk_full_error(exc, path, where=str(path),
                                  outcome=f"The upload of {base} was not kept (nothing "
                                          "partial is left behind).",
                                  fix="Free space on that disk, then upload the file "
                                      "again.") from None
        raise CalibrateError(f"The upload could not be kept: {exc.strerror or exc}.",
                             file=str(path),
                             fix="Check that the data folder beside the database is "
                                 "writable, then upload the file again.") from None
    return path


def discard_upload(path: str | None) -> None:
    """Remove a kept upload and its folder (best effort: a file still open stays)."""
    if not path:
        return
    kept = Path(path)
    try:
        kept.unlink(missing_ok=True)
        kept.parent.rmdir()
    except OSError:
        pass


def forget_upload() -> None:
    """The session moves on from its upload (loaded, removed or replaced): its copy goes."""
    discard_upload(st.session_state.pop("upload_path", None))
    st.session_state.pop("upload_key", None)


def show_report(report: IngestReport | InPlaceReport, name: str) -> None:
    """What a load read, guessed and cleaned (an IngestReport), or what a load in place
    read, fitted and counted (an InPlaceReport: its summary, then its rows' cleaning)."""
    if hasattr(report, "record"):  # in place: the source by the name the user gave
        head, *lines = report.summary().replace(report.record.name, name).splitlines()
        st.success(fmt.md(head))
        st.caption(fmt.md("  \n".join(line.strip() for line in lines[:3])))
        report = report.sample
        if report.issues:
            show_issues(report)
        return
    st.success(f"Loaded {report.rows_loaded:,} leads from {fmt.md(name)}.")
    skipped = report.details.get("skipped title lines")
    if skipped:
        st.info(f"The {skipped} line{'s' if skipped > 1 else ''} above the header (a report "
                "title) were skipped.")
    renamed = report.details.get("headers renamed")
    if renamed:
        st.info(f"Headers renamed so that each column has its own name: {fmt.md(renamed)}.")
    shown_below = fit_warnings(report.outcome_counts)  # the summary repeats these
    for w in report.warnings:
        if w not in shown_below:
            st.warning(w)
    if report.issues:
        show_issues(report)


def show_issues(report: IngestReport) -> None:
    """What the load cleaned, a row per column and kind."""
    if report.issues:
        st.caption("What was cleaned")
        st.dataframe(pd.DataFrame([{
            "column": i.column, "what": i.kind, "rows": i.count, "done": i.action,
            "e.g. rows": ", ".join(map(str, i.rows))} for i in report.issues]),
            hide_index=True, width="stretch")


def load_section() -> None:
    st.subheader("Load leads")
    # No tabs: a tab resets to the first when the page above it changes (after a load),
    # hiding the upload a user was working on.
    upload_section()
    with st.expander("Or load from a database (PostgreSQL)"):
        database_section()
    with st.expander("Or leave Parquet files or a Delta or Iceberg table on this server where "
                     "they are (in place)"):
        parquet_section()
    with st.expander("Or leave the leads in Apache Spark (in place)"):
        spark_section()
    with st.expander("Or load the bundled sample"):
        st.write("50,000 B2B leads over 24 months, with won, lost, no-decision and open "
                 "outcomes (deliberately messy, like a real CRM export).")
        if st.button("Load the sample data", key="load_sample") and run_ingest(
                sample_path(), None, replace=True):
            st.rerun()


def _secret(section: str, key: str) -> str:
    """A value kept in Streamlit's secrets (``[database] url = "..."``, ``[spark] master``),
    if any."""
    try:
        return str(st.secrets.get(section, {}).get(key, ""))
    except (FileNotFoundError, KeyError, AttributeError, ValueError):
        return ""


def table_or_query(prefix: str) -> tuple[str | None, str | None]:
    """What to read from a database or Spark: a table, or a query (the other is None)."""
    how = st.radio("Read", ["A table", "A query"], horizontal=True, key=f"{prefix}_how")
    if how == "A table":
        return st.text_input("Table", key=f"{prefix}_table", placeholder="crm.leads") or None, None
    return None, st.text_area("Query", key=f"{prefix}_query",
                              placeholder="select * from crm.leads where ...") or None


def load_source(doing: str, load: Callable[[Workbench], Any], shown_as: Callable[[Any], str],
                names: dict[str, str] | None = None) -> None:
    """Run ``load`` on the workbench under a spinner saying ``doing``; keep its report
    (named ``shown_as(report)``) and the backup before it for the next run, and rerun; or
    say why it did not load (files by ``names``, else the source as the error names it)."""
    wb = state.workbench()
    try:
        with st.spinner(doing):
            report = load(wb)
    except CalibrateError as exc:
        show_error(exc, names if names is not None else
                   ({exc.file: exc.file} if exc.file else None))
        backups.show(wb.last_backup)
        return
    st.session_state["last_report"] = (report, shown_as(report))
    if wb.last_backup is not None:
        backups.remember(wb.last_backup)
    st.rerun()


def database_section() -> None:
    """Load leads from a PostgreSQL table or query: the same cleaning as a file. The
    password stays in this session's memory; it is never stored."""
    url = st.text_input("Server", value=_secret("database", "url"), key="db_url",
                        placeholder="postgresql://user@host:5432/database")
    password = st.text_input("Password (if the URL or the server's settings do not give "
                             "it)", type="password", key="db_password")
    table, query = table_or_query("db")
    in_place = st.checkbox(
        "Leave the leads in the database (in place)", key="db_in_place",
        help="No lead rows are copied here: the fit reads at most 250,000 of them (a sample "
             "picked in the database above that) and the lead counts behind the sliders are "
             "counted in the database over every row. Drift, the backtest, the data "
             "quality summary and the other checks of single leads then need the leads "
             "loaded without this.")
    replace = in_place or not st.checkbox(APPEND_LABEL, key="db_append", disabled=in_place)
    if not st.button("Load from the database", key="load_db", disabled=not url.strip()):
        return
    load_source(
        f"Reading from {redact(url)}" + (", fitting on the rows read and counting every "
                                         "lead there..." if in_place else "..."),
        lambda wb: wb.ingest(with_password(url, password), table=table, query=query,
                             replace=replace, in_place=in_place),
        lambda report: report.record.name if in_place else report.file)


def parquet_section() -> None:
    """Load Parquet files on the app's server in place: a file, a folder, a pattern or a
    Delta or Iceberg table folder under the folders whoever runs the app allows
    (:func:`parquet_roots`)."""
    from calibrate.data.parquet_source import parquet_roots, served_path

    roots = parquet_roots()
    st.caption("The files stay where they are: the fit reads at most 250,000 rows and the "
               "lead counts behind the sliders are counted over every row in the files. "
               "The columns must hold clean numbers and dates, one row per lead. A Delta "
               "or Iceberg table folder is read at its current version, and a refit reads "
               "that version again. Folders "
               "this app reads from: " + ", ".join(f"`{r}`" for r in roots)
               + " (a path without a leading / starts in the first).")
    given = st.text_input("File, folder, pattern or table folder", key="pq_path",
                          placeholder="lake/leads/, lake/leads/*.parquet or "
                                      "lake/leads_delta/").strip()
    if not st.button("Load in place", key="load_parquet", disabled=not given):
        return
    try:
        path = served_path(given, roots)
    except CalibrateError as exc:
        show_error(exc, {given: given})
        return
    load_source(f"Reading {given}, fitting on the rows read and counting every lead "
                "there...", lambda wb: wb.ingest(path, in_place=True), lambda _: given,
                {path: given})  # files by the name typed, not the server's full path


def spark_section() -> None:
    """Load leads in Apache Spark in place: a table of its catalog or a Spark SQL query, on
    the Spark a master URL names. A Spark Connect token is best left to the server's
    ``SPARK_CONNECT_AUTHENTICATE_TOKEN`` (PySpark reads it), not typed in the URL."""
    from calibrate.data.spark_source import redact_master

    st.caption("The leads stay in Spark: it counts them, picks at most 250,000 rows for the "
               "fit and counts the leads behind the sliders over every row. The columns must "
               "hold clean numbers and dates, one row per lead.")
    master = st.text_input("Spark master", key="spark_master",
                           placeholder="sc://spark-connect:15002, spark://host:7077 or "
                                       "local[*]").strip()
    table, query = table_or_query("spark")
    if not st.button("Load from Spark", key="load_spark", disabled=not master):
        return
    load_source(f"Reading from Spark at {redact_master(master)}, fitting on the rows read "
                "and counting every lead there...",
                lambda wb: wb.ingest(master, table=table, query=query, in_place=True),
                lambda report: report.record.name)


def run_ingest(path: Path, mapping: Mapping | None, replace: bool,
               headers: list[str] | None = None, name: str | None = None) -> bool:
    """Load a file (``name``: as the user knows it); on success remember the user's choices
    for files with these columns and keep the report for the next run. False after
    saying why it was not loaded."""
    wb = state.workbench()
    name = name or path.name
    try:
        with st.spinner(f"Backing up the leads it replaces, then loading {name}..."
                        if replace and wb.leads else f"Loading {name}..."):
            report = wb.ingest(path, mapping=mapping, replace=replace)
    except CalibrateError as exc:
        show_error(exc, {str(path): name})
        backups.show(wb.last_backup)
        return False
    if mapping is not None and headers:
        wb.remember_choices(headers, mapping)
    st.session_state["last_report"] = (report, name)
    if wb.last_backup is not None:
        backups.remember(wb.last_backup)
    return True


@st.cache_data(show_spinner=False, max_entries=8)
def _inspect(path: str, toml: str, outcome: str | None) -> FilePreview:
    """The file's preview under a mapping (given as its TOML text, which hashes)."""
    return state.workbench().preview(
        path, mapping=mapping_from_dict(tomllib.loads(toml), "choices"), outcome=outcome)


#: What a user picks for an outcome label, and what each means to ingest.
BECOMES = {"won": "won", "lost": "lost", "no decision": "no_decision", "open": "open",
           "ignore (not loaded)": IGNORED}
_BECOMES_LABEL = {v: k for k, v in BECOMES.items()}


def _outcome_options(preview: FilePreview) -> list[str]:
    """Columns to offer as the outcome: the likeliest by values first, then the rest."""
    likely = [c.column for c in preview.candidates]
    return likely + [h for h in preview.headers if h not in likely]


def outcome_choice(preview: FilePreview, key: str) -> str | None:
    """Step 1: the outcome column, guessed by its values, which the user can change."""
    st.markdown("**1. Outcome**: the column that says won, lost, no decision or open.")
    options = _outcome_options(preview)
    counts = {c.column: c for c in preview.candidates}

    def label(h: str) -> str:
        c = counts.get(h)
        return f"{h} ({shown_counts(c.counts)})" if c else h

    index = options.index(preview.outcome) if preview.outcome in options else None
    choice = st.selectbox(OUTCOME_LABEL, options, index=index, format_func=label,
                          placeholder="Choose the outcome column", key=f"outcome_{key}")
    if preview.outcome is None and choice is None:
        if preview.candidates:
            st.warning("Which column is the outcome is not clear. The likeliest by values: "
                       f"{describe_candidates(preview.candidates)}. Choose it above.")
        else:
            st.warning("No column looks like an outcome (won / lost values such as Closed "
                       "Won, Lost, converted, yes / no). Choose it above.")
    return choice


def label_choices(preview: FilePreview, column: str, mapping: Mapping,
                  key: str) -> dict[str, list[str]] | None:
    """Step 2: what each label of the outcome column means; ``None`` until all are known.

    Returns the labels whose meaning differs from the built-in vocabulary, by outcome
    (the ``[outcomes]`` of a mapping file).
    """
    stats = preview.stats[column]
    rows = [{"label": v, "rows": n,
             "becomes": _BECOMES_LABEL.get(normalise(v, mapping.outcomes) or "", None)}
            for v, n in stats.top]
    exact = preview.whole or column in preview.exact
    sample = "" if exact else f" (in a sample of {preview.sample_rows:,} rows)"
    st.markdown(f"**2. What each label of {fmt.md(column)} means**{sample}")
    edited = st.data_editor(
        pd.DataFrame(rows, columns=["label", "rows", "becomes"]), hide_index=True,
        width="stretch", key=f"labels_{key}_{column}", disabled=["label", "rows"],
        height=state.table_height(len(rows), cap=EVERY_ROW),
        column_config={
            "rows": st.column_config.NumberColumn("rows", format="localized"),
            "becomes": st.column_config.SelectboxColumn(
                "becomes", options=list(BECOMES), required=True)})
    records = [{**r, "becomes": r["becomes"] if isinstance(r["becomes"], str) else None}
               for r in edited.to_dict("records")]
    unknown = [r["label"] for r in records if not r["becomes"]]
    if unknown:
        shown = ", ".join(f"'{fmt.md(u)}'" for u in unknown[:8])
        st.warning(f"Choose what {len(unknown)} label{'s' if len(unknown) > 1 else ''} "
                   f"mean{'' if len(unknown) > 1 else 's'}: " + shown
                   + (" ..." if len(unknown) > 8 else ""))
        return None
    return label_overrides((r["label"], BECOMES[r["becomes"]]) for r in records)


def _values(preview: FilePreview, header: str, n: int = 3) -> str:
    """A few of a column's commonest values, as the file wrote them."""
    top = preview.stats[header].top if header in preview.stats else ()
    return " · ".join(v for v, _ in top[:n])


def upload_section() -> None:
    limit = max_upload_mb()
    # A new key after each load empties the uploader: the loaded file's copy is gone.
    upload = st.file_uploader(
        f"CSV, Parquet or XLSX export of leads with their outcomes (up to {limit:,} MB)",
        type=["csv", "txt", "tsv", "parquet", "xlsx"],
        key=f"upload_{st.session_state.get('uploads_loaded', 0)}")
    if upload is None:
        forget_upload()
        return
    key = f"{upload.name}:{upload.size}"
    if st.session_state.get("upload_key") != key:
        forget_upload()
        if upload.size > limit * 1024 * 1024:
            st.error(f"{fmt.md(upload.name)} is larger than {limit:,} MB, the upload limit. Split "
                     "the export into smaller files and load them one after another "
                     "(append), or ask whoever runs calibrate to load it from the command "
                     "line.")
            return
        used = st.session_state.get("uploads_used", UploadUse())
        refusal = budget_refusal(used, upload.size, access.upload_budget())
        if refusal is not None:  # the per-session budget (README, "Access and hosting")
            st.error(refusal)
            return
        try:
            kept = keep_upload(upload.name, upload)
        except CalibrateError as exc:  # a full disk: a message, nothing half-written
            show_error(exc, {exc.file: upload.name} if exc.file else None)
            return
        st.session_state["uploads_used"] = used.plus(upload.size)
        st.session_state["upload_key"] = key
        st.session_state["upload_path"] = str(kept)
    path = Path(st.session_state["upload_path"])
    shown = {str(path): upload.name}
    try:
        with st.spinner(f"Reading {upload.name}..."):
            preview = _inspect(str(path), mapping_to_toml(Mapping()), None)
            base = Mapping()
            saved = state.workbench().saved_choices(preview.headers)
            if saved is not None:
                base = saved[0]
                preview = _inspect(str(path), mapping_to_toml(base), None)
                st.info(f"Using the choices saved on {saved[1].replace('T', ' ')} for a file "
                        "with these columns; change any of them below.")
            if preview.details:
                st.caption("Read as " + preview.format.upper() + "; " + ", ".join(
                    f"{k} {v}" for k, v in preview.details.items()))
            outcome = outcome_choice(preview, key)
            if outcome is not None and outcome != preview.outcome:
                preview = _inspect(str(path), mapping_to_toml(base), outcome)
    except CalibrateError as exc:
        show_error(exc, shown)
        return
    labels = label_choices(preview, outcome, base, key) if outcome else None
    st.markdown("**3. Each column's role and type**: what is scored (profile, behavior), "
                "what describes the lead otherwise, and what is ignored.")
    frame = pd.DataFrame([{"column": g.source_name, "role": g.role, "type": g.type,
                           "values": _values(preview, g.source_name), "why": g.reason}
                          for g in preview.columns if g.source_name != outcome])
    edited = st.data_editor(
        frame, hide_index=True, width="stretch", key=f"roles_{key}_{outcome}",
        disabled=["column", "values", "why"],
        height=state.table_height(len(frame), cap=EVERY_ROW),
        column_config={
            "role": st.column_config.SelectboxColumn(
                "role", options=[r for r in ROLES if r != "outcome"], required=True),
            "type": st.column_config.SelectboxColumn("type", options=list(TYPES),
                                                     required=True)})
    replace = not st.checkbox(APPEND_LABEL, key="append")
    mapping = None
    if outcome is not None and labels is not None:
        mapping = mapping_from_choices(edited.to_dict("records"), outcome, labels, base)
    cols = st.columns([1, 2])
    if cols[0].button("Load this file", key="load_upload", type="primary",
                      disabled=mapping is None) and run_ingest(
            path, mapping, replace, preview.headers, upload.name):
        forget_upload()  # loaded: the copy goes, and the uploader starts empty
        st.session_state["uploads_loaded"] = st.session_state.get("uploads_loaded", 0) + 1
        st.rerun()
    if mapping is not None:
        cols[1].download_button(
            "Download these choices (mapping file)", mapping_to_toml(mapping),
            file_name=f"{Path(upload.name).stem}-mapping.toml", mime="application/toml",
            key="download_mapping", on_click="ignore")
    elif outcome is None:
        st.caption("Choose the outcome column to load the file.")


def summary_section() -> None:
    wb = state.workbench()
    try:
        q = wb.quality()
    except CalibrateError as exc:  # loaded in place: the rows stay in the source
        st.info(exc.shown_in(APP).message)
        return
    if q is None:
        st.info("No leads loaded yet: upload a file or load the sample above.")
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
                   f"from {fmt.file_name(q.last_file or '')}")
    st.caption("Outcomes: " + " · ".join(
        f"{fmt.OUTCOME_LABELS[k]} {fmt.number(v)}" for k, v in q.outcomes.items()))
    for warning in fit_warnings(q.outcomes):
        st.warning(warning)

    attrs = q.columns[q.columns["role"].isin(["profile", "behavior", "ignore"])].copy()
    st.markdown("**Scored attributes**: move a column between profile, behavior and ignore.")
    attrs["missing"] = attrs["missing_share"].map(fmt.percent)
    leaks = leak_warnings(state.db_path(), wb.data_version)
    attrs["leak warning"] = attrs["name"].map(lambda n: leaks.get(n, ""))
    infos = {c.name: c for c in wb.columns()}
    attrs["why"] = attrs["name"].map(lambda n: infos[n].reason if n in infos else "")
    for name, message in leaks.items():
        st.warning(f"Possible leak: {fmt.md(name)}: {message}. The fit will leave it out; set its "
                   "role to ignore if it is only known after the outcome.")
    edited = st.data_editor(
        attrs[["name", "role", "type", "missing", "distinct", "leak warning", "why"]],
        hide_index=True, width="stretch", height=state.table_height(len(attrs), cap=EVERY_ROW),
        key=f"attr_roles_{wb.data_version}",
        disabled=["name", "type", "missing", "distinct", "leak warning", "why"],
        column_config={
            "name": st.column_config.TextColumn("column"),
            "role": st.column_config.SelectboxColumn(
                "role", options=["profile", "behavior", "ignore"], required=True)})
    changes = changed_roles(attrs.to_dict("records"), edited.to_dict("records"))
    if changes and st.button(f"Apply {len(changes)} role change(s)", key="apply_roles"):
        try:
            wb.set_roles(changes)
        except CalibrateError as exc:
            show_error(exc)
        else:
            st.rerun()
    other = q.columns[~q.columns["role"].isin(["profile", "behavior", "ignore"])
                      & (q.columns["source_name"] != "")]
    with st.expander("Other columns (ids, dates, outcome, segment, contact fields)"):
        st.dataframe(other[["source_name", "role", "type", "missing"]].rename(
            columns={"source_name": "column"}), hide_index=True, width="stretch",
            height=state.table_height(len(other), cap=EVERY_ROW))
    ignored = not_scored(list(infos.values()))
    if ignored:
        total = sum(len(v) for v in ignored.values())
        with st.expander(f"Not scored ({total:,} columns)"):
            st.dataframe(pd.DataFrame([
                {"why": why, "columns": len(names), "which": ", ".join(names)}
                for why, names in ignored.items()]), hide_index=True, width="stretch")
    if q.issues:
        with st.expander(f"Cleaning report of the last load ({len(q.issues)} items)"):
            st.dataframe(pd.DataFrame(q.issues), hide_index=True, width="stretch")
    rules_section(wb)


@st.cache_data(show_spinner=False, max_entries=4)
def leak_warnings(db: str, version: int) -> dict[str, str]:
    """The leak screen of the loaded leads (cached per database and data version)."""
    return state.workbench().leak_warnings()


def rules_section(wb) -> None:
    """How many leads each auto-rule hits, and how they converted."""
    hits = wb.rule_hits()
    if hits.empty:
        return
    st.markdown("**Auto-rules** (applied before the score)")
    view = hits.assign(
        rule=hits["rule"].fillna("no rule"), share=hits["share"].map(fmt.percent),
        win_rate=hits["win_rate"].map(fmt.percent))
    st.dataframe(view.rename(columns={"win_rate": "win rate"}), hide_index=True,
                 width="stretch")


def render() -> None:
    st.title("Data")
    load_section()  # first: what a user comes to this page for
    loaded = st.session_state.pop("last_report", None)
    if loaded is not None:
        show_report(*loaded)
    backups.show_remembered()
    summary_section()

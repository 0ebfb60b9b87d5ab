"""The bad-input gallery (tests/data/bad/) through the library, the command line and the app.

Each file either loads correctly (rows, outcome counts, the issues and warnings a user reads)
or fails with an :class:`InputError` naming what, where and how to fix, leaving the database
as it was. Never a traceback, never a partial load. tests/data/bad/README.md lists the cases.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from calibrate.cli import main
from calibrate.data import ingest as ingest_module
from calibrate.data import store
from calibrate.data.ingest import IngestReport, ingest
from calibrate.data.roles import mapping_from_dict
from calibrate.errors import InputError, ModelError

from apptest import assert_clean, page
from conftest import ROOT, SAMPLE_CSV
from dbstate import snapshot

BAD = Path(__file__).resolve().parent / "data" / "bad"
PREVIOUS = BAD / "enough_wins.csv"  # a good load already in the database
CLI = ROOT / ".venv" / "bin" / "calibrate"


@dataclass
class Case:
    """One gallery file and what a user must see for it.

    An error case lists substrings of the message's ``what`` and ``fix`` and the column and
    rows it must name. A load lists the rows, outcome counts, issues ``(column, kind start,
    example rows)`` and warning substrings.
    """

    file: str
    what: tuple[str, ...] = ()
    fix: tuple[str, ...] = ()
    column: str | None = None
    rows: list[int] | None = None
    loaded: int | None = None
    read: int | None = None
    outcomes: dict[str, int] = field(default_factory=dict)
    issues: list[tuple[str, str, list[int]]] = field(default_factory=list)
    warnings: tuple[str, ...] = ()
    details: dict[str, object] = field(default_factory=dict)

    @property
    def loads(self) -> bool:
        return self.loaded is not None

    def __str__(self) -> str:
        return self.file


def lost_won(won: int, total: int) -> dict[str, int]:
    return {"won": won, "lost": total - won, "no_decision": 0, "open": 0}


def few(won: int) -> tuple[str, ...]:
    """The warning of a small file whose wins are too few for reliable weights."""
    return (f"Only {won} won leads: suggested weights will be unreliable",)


CASES = [
    Case("empty.csv", what=("The file is empty (0 bytes)",), fix=("Export the leads again",)),
    Case("header_only.csv", what=("has a header but no rows of data",),
         fix=("Export the leads again",)),
    Case("no_outcome.csv", what=("No outcome column found",),
         fix=("--outcome COLUMN", "lead_id, created_at, industry, employees, page_views")),
    Case("unknown_labels.csv",
         what=("Outcome labels not recognised", "'Verbal Yes' (13 rows)", "'Parked' (6 rows)"),
         fix=("[outcomes]", 'won = ["Verbal Yes"]'), column="status", rows=[3, 6, 9, 12, 15]),
    Case("one_outcome.csv", loaded=40, outcomes=lost_won(0, 40),
         warnings=("No won leads among the 40 closed ones", "weights cannot be suggested")),
    Case("few_wins.csv", loaded=200, outcomes=lost_won(20, 200),
         warnings=("Only 20 won leads: suggested weights will be unreliable",
                   "30 or more are needed")),
    Case("enough_wins.csv", loaded=200, outcomes=lost_won(40, 200)),
    Case("bom.csv", loaded=40, outcomes=lost_won(10, 40), warnings=few(10)),
    Case("latin1.csv", loaded=40, outcomes=lost_won(10, 40), warnings=few(10),
         details={"encoding": "latin-1"}),
    Case("semicolon.csv", loaded=40, outcomes=lost_won(10, 40), warnings=few(10)),
    Case("tab.tsv", loaded=40, outcomes=lost_won(10, 40), warnings=few(10)),
    Case("quoted_newlines.csv", loaded=40, outcomes=lost_won(10, 40), warnings=few(10)),
    Case("ragged.csv", what=("Row 7 has 9 fields but the header has 7 (a ragged row)",),
         fix=("stray delimiter", "[read] delimiter"), rows=[7]),
    Case("duplicate_ids.csv", loaded=30, read=32, outcomes=lost_won(7, 30), warnings=few(7),
         issues=[("lead_id", "duplicated lead ids with the same outcome", [4, 32]),
                 ("lead_id", "duplicated lead ids with different outcomes", [3, 31])]),
    Case("negative_fractional_counts.csv", loaded=120, outcomes=lost_won(30, 120),
         issues=[("page_views", "negative counts", [5, 10]),
                 ("page_views", "fractional counts", [15])]),
    Case("text_in_numeric.csv", loaded=60, outcomes=lost_won(15, 60), warnings=few(15),
         issues=[("employees", "non-numeric values", [11, 21]),
                 ("employees", "placeholder values", [31])]),
    Case("dates_out_of_range.csv", loaded=40, outcomes=lost_won(10, 40), warnings=few(10),
         issues=[("created_at", "dates in the future", [2, 6]),
                 ("created_at", "dates before 1990", [4, 9])]),
    Case("many_distinct.csv", loaded=5000, outcomes=lost_won(1250, 5000)),
    Case("hostile_names.csv", loaded=40, outcomes=lost_won(9, 40), warnings=few(9)),
    Case("formula_cells.csv", loaded=40, outcomes=lost_won(9, 40), warnings=few(9)),
    Case("multi_sheet.xlsx", loaded=40, outcomes=lost_won(9, 40), warnings=few(9),
         details={"sheet": "Leads", "sheets": "Cover, Leads, Notes"}),
    Case("merged_header.xlsx",
         what=("The sheet 'Leads' has merged cells in its header (A1:C1, D1:E1, F1:G1)",),
         fix=("Unmerge the header cells", "one header row"), column="Lead"),
    Case("csv_named.xlsx", what=("The file name ends in .xlsx but its content is CSV",),
         fix=("Rename it to .csv",)),
    Case("xlsx_named.csv", what=("The file name ends in .csv but its content is XLSX",),
         fix=("Rename it to .xlsx",)),
    Case("binary.csv", what=("The file is binary, not a CSV, Parquet or XLSX export",),
         fix=("Export the leads as CSV",)),
    Case("random_bytes.csv", what=("The file is binary, not a CSV, Parquet or XLSX export",),
         fix=("Export the leads as CSV",)),
    Case("zip_archive.csv",
         what=("The file is a ZIP archive (holding leads.csv, opportunities.csv)",),
         fix=("Unzip it and load the CSV inside (leads.csv, opportunities.csv)",)),
    Case("title_lines.csv", loaded=40, outcomes=lost_won(9, 40), warnings=few(9),
         details={"skipped title lines": 3}),
]


def test_the_gallery_and_the_table_agree():
    files = {p.name for p in BAD.iterdir() if p.is_file() and p.suffix not in (".py", ".md")}
    assert files == {c.file for c in CASES}
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    assert all(f"`{c.file}`" in readme for c in CASES)
    assert sum(p.stat().st_size for p in BAD.iterdir() if p.is_file()) < 1_000_000


@pytest.fixture(scope="module")
def previous_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database already holding a good load, copied by each test."""
    path = tmp_path_factory.mktemp("previous") / "previous.duckdb"
    con = store.connect(path)
    ingest(con, PREVIOUS, replace=True)
    con.close()
    return path


@pytest.fixture
def loaded_db(previous_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "c.duckdb"
    shutil.copy(previous_db, path)
    return path


def check_error(case: Case, err: InputError, path: Path) -> None:
    for text in case.what:
        assert text in err.what
    for text in case.fix:
        assert text in (err.fix or "")
    assert err.fix, "every failure says how to fix it"
    assert err.file == str(path)
    if case.column is not None:
        assert err.column == case.column
    if case.rows is not None:
        assert err.rows == case.rows


def check_report(case: Case, report: IngestReport) -> None:
    assert report.rows_loaded == case.loaded
    assert report.rows_read == (case.read or case.loaded)
    assert report.outcome_counts == case.outcomes
    found = {(i.column, i.kind): i.rows for i in report.issues}
    for column, kind, rows in case.issues:
        match = [r for (c, k), r in found.items() if c == column and k.startswith(kind)]
        assert match == [rows], (column, kind, found)
    text = "\n".join(report.warnings)
    for warning in case.warnings:
        assert warning in text
    if not case.warnings:
        assert not report.warnings
    for key, value in case.details.items():
        assert report.details[key] == value


# ----------------------------------------------------------------------------- library


@pytest.mark.parametrize("case", CASES, ids=str)
def test_library(case: Case, loaded_db: Path):
    path = BAD / case.file
    con = store.connect(loaded_db)
    try:
        before = snapshot(con)
        if not case.loads:
            with pytest.raises(InputError) as err:
                ingest(con, path, replace=True)
            check_error(case, err.value, path)
            assert snapshot(con) == before, "a failed ingest must leave the database as it was"
            return
        report = ingest(con, path, replace=True)
        check_report(case, report)
        assert store.lead_count(con) == case.loaded
        counts = dict(con.execute("SELECT outcome, count(*) FROM leads GROUP BY 1").fetchall())
        assert {k: counts.get(k, 0) for k in case.outcomes} == case.outcomes
        ingests = snapshot(con)[3]
        assert len(ingests) == len(before[3]) + 1 and ingests[-1][1:4] == (
            str(path), case.read or case.loaded, "replace")
    finally:
        con.close()


def leads_of(con: duckdb.DuckDBPyConnection, *columns: str) -> list[tuple]:
    return con.execute(f"SELECT {', '.join(columns)} FROM leads ORDER BY "
                       "CAST(substr(lead_id, 2) AS INT)").fetchall()


def test_bom_latin1_and_quoted_newlines_keep_their_text(con):
    ingest(con, BAD / "bom.csv")
    assert store.read_columns(con)[0].source_name == "lead_id"
    ingest(con, BAD / "latin1.csv", replace=True)
    assert {r[0] for r in leads_of(con, "industry")} == {
        "Café", "Métallurgie", "Société Générale", "Zürich AG"}
    # Notes are free text (not scored, so not stored): kept here to see them intact.
    keep = mapping_from_dict({"columns": {"notes": {"role": "profile"}}})
    ingest(con, BAD / "quoted_newlines.csv", replace=True, mapping=keep)
    notes = [r[0] for r in leads_of(con, "notes")]
    assert notes[0] == 'Called twice,\nleft a message\n"call back" in 1 weeks'
    assert notes[1] == "no notes"


def test_cleaned_values_are_what_the_report_says(con):
    ingest(con, BAD / "duplicate_ids.csv")
    outcome = dict(con.execute("SELECT lead_id, outcome FROM leads").fetchall())
    assert outcome["L3"] == "won" and outcome["L4"] == "lost"  # the last row wins
    ingest(con, BAD / "negative_fractional_counts.csv", replace=True)
    views = [r[0] for r in leads_of(con, "page_views")]
    assert views[4] is None and views[9] is None and views[14] == 2.5
    ingest(con, BAD / "dates_out_of_range.csv", replace=True)
    created = [r[0] for r in leads_of(con, "created_at")]
    assert [created[i] is None for i in (1, 3, 5, 8)] == [True] * 4
    assert created[0] is not None


def test_hostile_names_and_formula_cells_are_inert(con):
    from calibrate.export.files import safe_frame

    ingest(con, BAD / "hostile_names.csv")
    names = [c.name for c in store.read_columns(con)]
    assert names == ["lead_id", "outcome", 'x";DROP TABLE leads;--', "a'b",
                     "Robert'); DROP TABLE ingests;--", "semi;colon;name;here",
                     "Ünïcödé ⚡ column", "page_views"]  # as the file wrote them
    assert con.execute("SELECT count(*) FROM ingests").fetchone()[0] == 1
    row = con.execute('SELECT "x"";DROP TABLE leads;--", "a\'b", "semi;colon;name;here" '
                      "FROM leads WHERE lead_id = 'L1'").fetchone()
    assert row == ("'); DROP TABLE leads; --", "O'Brien", "a;b")

    ingest(con, BAD / "formula_cells.csv", replace=True)
    values = [r[0] for r in leads_of(con, "industry")][:5]
    assert values == ['=HYPERLINK("http://x","click")', "+1 555 0100", "-2+3", "@SUM(A1:A9)",
                      "Retail"]
    exported = safe_frame(con.execute("SELECT industry FROM leads").df())["industry"]
    assert not exported.str.match(r"^[=+\-@]").any()


def test_a_column_with_a_different_value_in_every_row_is_not_scored(con):
    report = ingest(con, BAD / "many_distinct.csv")
    city = next(c for c in report.columns if c.source_name == "city")
    assert city.role == "ignore" and "identifier" in city.reason
    assert "  not scored, an identifier: city" in report.summary().splitlines()


def test_one_outcome_cannot_be_fitted_and_says_so(loaded_db: Path, capsys):
    from calibrate.decide import workshop

    con = store.connect(loaded_db)
    ingest(con, BAD / "one_outcome.csv", replace=True)
    with pytest.raises(ModelError, match="A fit needs at least 10 won") as err:
        workshop.suggested_weights(con)
    assert "there are 0 won and 40 not won" in err.value.what and err.value.fix
    con.close()
    assert main(["fit", "--db", str(loaded_db)]) == 2
    out = capsys.readouterr()
    assert "error: A fit needs at least 10 won" in out.err and "Traceback" not in out.err


# ------------------------------------------------------------------------- command line


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cli(case: Case, loaded_db: Path, capsys):
    code = main(["ingest", str(BAD / case.file), "--db", str(loaded_db), "--replace"])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    if not case.loads:
        assert code == 2
        assert out.err.startswith("error: ") and "How to fix: " in out.err
        for text in case.what + case.fix + ((f"column '{case.column}'",) if case.column
                                            else ()):
            assert text in out.err
        assert str(BAD / case.file) in out.err
        if case.rows:
            assert "row" in out.err and str(case.rows[0]) in out.err
        return
    assert code == 0, out.err
    assert f"Loaded {case.loaded:,} leads" in out.out
    for warning in case.warnings:
        assert warning in out.out
    for column, kind, _rows in case.issues:
        assert f"{column}: " in out.out and kind in out.out


def test_cli_as_a_real_process(loaded_db: Path):
    """The installed console script: messages and exit code 2, no traceback, nothing changed."""
    con = store.connect(loaded_db)
    before = snapshot(con)
    con.close()
    for name in ("ragged.csv", "unknown_labels.csv", "merged_header.xlsx"):
        done = subprocess.run([str(CLI), "ingest", str(BAD / name), "--db", str(loaded_db),
                               "--replace"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        assert "How to fix" in done.stderr and name in done.stderr
    con = store.connect(loaded_db)
    assert snapshot(con) == before
    con.close()


# --------------------------------------------------------------------------------- app


def upload(at, path: Path):
    at.file_uploader[0].upload(path.name, path.read_bytes(), "application/octet-stream").run()
    assert_clean(at)
    if not at.error and not at.button(key="load_upload").disabled:
        # the file could be read and all is chosen: its columns are shown, now load it
        at.button(key="load_upload").click().run()
        assert_clean(at)
    return at


#: Files the app does not refuse: it asks for what it could not guess, in its own words.
APP_ASKS = {
    "no_outcome.csv": ("Which column is the outcome is not clear", "demo_request",
                       "Choose it above"),
    "unknown_labels.csv": ("Choose what 2 labels mean", "'Verbal Yes'", "'Parked'"),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_app(case: Case, loaded_db: Path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(loaded_db))
    at = upload(page("data"), BAD / case.file)
    errors = [e.value for e in at.error]
    if case.file in APP_ASKS:  # the app asks rather than fails
        assert not errors, errors
        shown = "\n".join(w.value for w in at.warning)
        for text in APP_ASKS[case.file]:
            assert text in shown
        assert at.button(key="load_upload").disabled and not at.success
        con = store.connect(loaded_db)
        assert store.lead_count(con) == 200  # the previous load is untouched
        con.close()
        return
    if not case.loads:
        assert len(errors) == 1, errors
        for text in case.what + case.fix:
            assert text in errors[0]
        assert "How to fix" in errors[0] and case.file in errors[0]
        assert not at.success
        con = store.connect(loaded_db)
        assert store.lead_count(con) == 200  # the previous load is untouched
        con.close()
        return
    assert not errors, errors
    assert f"Loaded {case.loaded:,} leads from" in at.success[0].value
    shown = "\n".join(w.value for w in at.warning)
    for warning in case.warnings:
        assert warning in shown
    for warning in shown.splitlines():  # each warning once, not after the load and again below
        assert shown.count(warning) == 1
    con = store.connect(loaded_db)
    assert store.lead_count(con) == case.loaded
    con.close()


def test_app_warns_on_the_data_page_and_fails_politely_on_thresholds(loaded_db, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(loaded_db))
    con = store.connect(loaded_db)
    ingest(con, BAD / "one_outcome.csv", replace=True)
    con.close()
    at = page("data")  # a later visit: the summary still says why nothing can be fitted
    assert any("No won leads among the 40 closed ones" in w.value for w in at.warning)
    at = page("thresholds")
    assert "A fit needs at least 10 won" in at.error[0].value


def test_app_upload_limit_message_quotes_the_server_setting():
    import tomllib

    from calibrate.ui.data import max_upload_mb

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert max_upload_mb() == config["server"]["maxUploadSize"]


# ------------------------------------------------------------------------ a large file


def write_large_csv(path: Path, target: int) -> tuple[int, int]:
    """Copies of the sample's rows (ids made unique per copy) up to ``target`` bytes.

    Returns the rows written and the distinct lead ids among them (the sample repeats a
    few ids on purpose; ingest keeps the last row of each).
    """
    lines = SAMPLE_CSV.read_bytes().splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    assert header.startswith(b"lead_id,")  # every row starts with its id: "L0000001,..."
    ids = len({line.split(b",", 1)[0] for line in body})
    block = b"".join(body)
    copies = 0
    with open(path, "wb") as out:
        out.write(header)
        while out.tell() < target:
            prefix = b"B%d-" % copies
            out.write(prefix + block.replace(b"\n", b"\n" + prefix)[: -len(prefix)])
            copies += 1
    return copies * len(body), copies * ids


def run_measured(args: list[str], cwd: Path) -> tuple[int, str, str, int]:
    """Run a command; its exit code, output, and its own peak RSS in bytes (``wait4``
    reports that child alone, unlike ``RUSAGE_CHILDREN``, which is the largest child yet)."""
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    with open(out, "w") as fo, open(err, "w") as fe:
        proc = subprocess.Popen(args, stdout=fo, stderr=fe)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out.read_text(), err.read_text(), usage.ru_maxrss * 1024


def test_a_200_mb_file_streams_through_the_cli(tmp_path: Path):
    big = tmp_path / "big.csv"
    rows, ids = write_large_csv(big, 200 << 20)
    size = big.stat().st_size
    db = tmp_path / "big.duckdb"
    code, stdout, stderr, peak = run_measured(
        [str(CLI), "ingest", str(big), "--db", str(db)], tmp_path)
    assert code == 0, stderr
    assert f"Loaded {ids:,} leads" in stdout and f"{rows:,} rows read" in stdout
    # DuckDB streams the file; what the process holds is DuckDB's buffer pool (the cleaned
    # table before its commit, read buffers), capped by ingest.memory_cap, plus what DuckDB
    # allocates outside its pool and Python's own (pandas, Arrow): about 300 MiB here, more
    # on a machine with more cores (813 MiB seen for this file in a full run).
    assert peak < ingest_module.memory_cap(size) + (512 << 20), \
        f"peak RSS {peak / 2**20:.0f} MiB for a {size / 2**20:.0f} MiB file"
    con = store.connect(db)
    assert store.lead_count(con) == ids
    con.close()


def test_python_never_holds_a_large_file(tmp_path: Path):
    """The Python side of an ingest allocates a small fraction of the file (DuckDB reads
    it), so a file is never held in memory twice."""
    big = tmp_path / "big.csv"
    write_large_csv(big, 50 << 20)
    con = store.connect(tmp_path / "big.duckdb")
    tracemalloc.start()
    try:
        ingest(con, big)
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        con.close()
    assert python_peak < big.stat().st_size / 4, f"{python_peak / 2**20:.1f} MiB"


def test_uploads_are_copied_to_disk_in_chunks(tmp_path: Path, monkeypatch):
    """keep_upload streams Streamlit's UploadedFile to disk: no second copy in memory."""
    import tracemalloc

    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

    from calibrate.ui import data

    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    payload = bytes(range(256)) * (80 << 10)  # 20 MiB
    upload = UploadedFile(UploadedFileRec("f1", "../../etc/leads 2024.csv", "text/csv",
                                          payload), None)
    upload.read(10)  # a reader left mid-file is rewound
    tracemalloc.start()
    try:
        path = data.keep_upload(upload.name, upload)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"{peak / 2**20:.1f} MiB allocated to store a 20 MiB upload"
    # kept under its own name (no folders from it) in a folder of its own
    assert path.parent.parent == tmp_path / "uploads" and path.name == "leads 2024.csv"
    assert path.read_bytes() == payload

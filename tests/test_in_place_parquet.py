"""Leads loaded in place from Parquet files (issue 21), read where they are by DuckDB: the
same points, AUC and count grid as the file path, no lead rows in the DuckDB file, a folder
and a glob, a deterministic sample above the cap, the as-of date of the whole source, a
refit that notices changed files, the command line, and clear messages for bad input."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_grid_sql import assert_same, warehouse
from test_in_place import assert_no_lead_rows, points

from calibrate import Workbench
from calibrate.data.parquet_source import open_parquet
from calibrate.errors import CalibrateError, InputError
from calibrate.in_place import InPlaceReport, record_of

from conftest import BANK_CSV, SAMPLE_CSV


def to_parquet(rows: pd.DataFrame, path: Path) -> Path:
    """``rows`` as a Parquet file written by plain DuckDB (typed as DuckDB reads them)."""
    duck = duckdb.connect()
    duck.register("_rows", rows)
    duck.execute(f"COPY (SELECT * FROM _rows) TO '{path}' (FORMAT parquet)")
    duck.close()
    return path


def typed(path: Path, by_file: Workbench) -> pd.DataFrame:
    """The file's rows as in place needs them: clean numbers and dates, one row per lead."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False,
                      sep=";" if path == BANK_CSV else ",")
    if "lead_id" in raw.columns:
        raw = raw.drop_duplicates("lead_id", keep="last")
    return warehouse(raw, by_file.columns())


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, tuple[Workbench, pd.DataFrame, Path]]]:
    """For the sample and the bank export: the file path's workbench (loaded, fitted), the
    typed rows and their Parquet file."""
    folder = tmp_path_factory.mktemp("parquet_in_place")
    out = {}
    for name, path in (("sample", SAMPLE_CSV), ("bank", BANK_CSV)):
        by_file = Workbench(folder / f"{name}-file.duckdb", keep_backups=0)
        by_file.ingest(path)
        by_file.fit()
        rows = typed(path, by_file)
        out[name] = (by_file, rows, to_parquet(rows, folder / f"{name}.parquet"))
    yield out
    for by_file, _, _ in out.values():
        by_file.close()


def same_as_file_path(report: InPlaceReport, in_place: Workbench, by_file: Workbench) -> None:
    assert report.record.rows == report.record.rows_read == by_file.leads == in_place.leads
    assert points(in_place).equals(points(by_file))
    assert in_place.weights.metrics["auc"] == by_file.weights.metrics["auc"]
    assert_same(in_place.grid(), by_file.grid())
    assert [c.source_name for c in in_place.columns()] == [
        c.source_name for c in by_file.columns()]


@pytest.mark.parametrize("name", ["sample", "bank"])
def test_in_place_gives_the_file_paths_points_auc_and_grid_without_lead_rows(made, name,
                                                                             tmp_path):
    by_file, _, parquet = made[name]
    db = tmp_path / "in-place.duckdb"
    with Workbench(db, keep_backups=0) as in_place:
        report = in_place.ingest(parquet, in_place=True)
        assert isinstance(report, InPlaceReport)
        same_as_file_path(report, in_place, by_file)
        record = record_of(in_place.con)
        assert record.kind == "parquet" and record.path == str(parquet)
        assert [f["path"] for f in record.files] == [str(parquet)]
        assert record.files[0]["size"] == parquet.stat().st_size
        assert report.summary().startswith(f"Loaded in place from {parquet}: ")
    assert_no_lead_rows(db, by_file.leads)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT sum(leads) FROM grid_cells").fetchone()[0] == by_file.leads


def test_a_folder_and_a_glob_of_parquet_files_read_as_one_source(made, tmp_path):
    by_file, rows, _ = made["sample"]
    folder = tmp_path / "leads"
    folder.mkdir()
    half = len(rows) // 2
    to_parquet(rows.iloc[:half], folder / "part-0.parquet")
    to_parquet(rows.iloc[half:], folder / "part-1.parquet")
    for given in (folder, f"{folder}/*.parquet"):
        with Workbench(tmp_path / "folder.duckdb", keep_backups=0) as wb:
            report = wb.ingest(given, in_place=True)
            same_as_file_path(report, wb, by_file)
            assert len(record_of(wb.con).files) == 2
            assert record_of(wb.con).folder == (given == folder)


def test_above_the_cap_the_same_sample_is_read_on_every_run(made, tmp_path):
    _, _, parquet = made["sample"]
    got = []
    for run in range(2):
        with Workbench(tmp_path / f"capped-{run}.duckdb", keep_backups=0) as wb:
            report = wb.ingest(parquet, in_place=True, in_place_cap=5_000)
            assert report.record.rows == 50_000 and report.record.rows_read == 5_000
            assert wb.leads == 50_000 and wb.grid().leads == 50_000
            assert ("sample picked in the source (DuckDB's hash of each row's \"lead_id\", "
                    "at most 5,000)") in report.summary()
            assert record_of(wb.con).sample_key == "lead_id"
            got.append(points(wb))
            again = wb.fit()  # a refit reads the same rows: the same points
            assert again.id != report.weights.id and points(wb).equals(got[-1])
        assert_no_lead_rows(tmp_path / f"capped-{run}.duckdb", 50_000)
    assert got[0].equals(got[1])
    # The rows themselves, whatever the thread count.
    source = open_parquet(parquet)
    picked = []
    for threads in (1, 7):
        con = source.connect()
        con.execute(f"SET threads = {threads}")
        picked.append(con.execute(source.sample_sql(50_000, 5_000)).df())
        con.close()
    assert len(picked[0]) == 5_000 and picked[0].equals(picked[1])
    # By the lead id: the 5,000 leads of smallest hash(lead_id), read by plain DuckDB.
    with duckdb.connect() as duck:
        want = sorted(r[0] for r in duck.execute(
            f"SELECT lead_id FROM read_parquet('{parquet}') ORDER BY hash(lead_id) "
            "LIMIT 5000").fetchall())
    assert sorted(picked_rows(tmp_path / "capped-0.duckdb")) == want


def picked_rows(db: Path) -> list[str]:
    """The lead ids a store loaded in place fitted on, from its weights' sample report."""
    from calibrate.in_place import record_of as record

    with Workbench(db, keep_backups=0) as wb:
        rec = record(wb.con)
        source = open_parquet(rec.path)
        con = source.connect()
        try:
            return [r[0] for r in con.execute(
                f"SELECT lead_id FROM ({source.sample_sql(rec.rows, rec.cap, rec.sample_key)})"
                ).fetchall()]
        finally:
            con.close()


def test_the_sample_is_picked_by_the_lead_id_only_when_it_is_one(made, tmp_path):
    """The column a sample is picked by: the mapping's lead id, else a column named like
    one; not one that repeats (a company id: it would pick whole companies) or has blanks,
    and then the whole row."""
    from calibrate.data.roles import mapping_from_dict
    from calibrate.in_place import sample_key

    _, rows, _ = made["sample"]
    rows = rows.iloc[:2_000].copy()
    rows["company_id"] = [f"C{i % 40}" for i in range(len(rows))]
    rows["crm_key"] = [f"K{i}" for i in range(len(rows))]

    def key(frame: pd.DataFrame, mapping: dict | None = None) -> str | None:
        path = to_parquet(frame, tmp_path / "keyed.parquet")
        return sample_key(open_parquet(path),
                          mapping_from_dict(mapping or {}, "test") if mapping else None)

    assert key(rows) == "lead_id"
    assert key(rows[["company_id", *[c for c in rows.columns if c != "lead_id"]]]) is None
    assert key(rows, {"columns": {"crm_key": {"role": "lead_id"}}}) == "crm_key"
    blank = rows.copy()
    blank.loc[blank.index[7], "lead_id"] = None
    assert key(blank) is None


def test_above_the_cap_recency_counts_to_the_newest_date_in_the_whole_source(made, tmp_path):
    """One lead's last activity is far newer than any other date and not among the rows
    read: the as-of date is still that day (asked of the source), not the sample's."""
    _, rows, _ = made["sample"]
    rows = rows.copy()
    dates = ["created_at", "closed_at", "last_activity_date"]
    created = pd.to_datetime(rows["created_at"])
    rows["last_activity_date"] = created + pd.to_timedelta(
        pd.Series(range(len(rows)), index=rows.index) % 40, unit="D")
    # All dates 90 days earlier, so that the planted one is newer and still in the past
    # (the load clears dates after its day, and so does the as-of date asked of the source).
    for c in dates:
        rows[c] = pd.to_datetime(rows[c]) - pd.Timedelta(days=90)
    newest = rows[dates].max().max()
    late = pd.Timestamp(newest) + pd.Timedelta(days=2)
    path = tmp_path / "recency.parquet"
    for i in range(len(rows) - 1, 0, -97):  # a row that is not in the sample once changed
        changed = rows.copy()
        changed.iloc[i, changed.columns.get_loc("last_activity_date")] = late
        to_parquet(changed, path)
        source = open_parquet(path)
        sample = source.fetch_frame(source.sample_sql(len(rows), 5_000))
        if changed.iloc[i]["lead_id"] not in set(sample["lead_id"]):
            break
    with Workbench(tmp_path / "recency.duckdb", keep_backups=0) as wb:
        report = wb.ingest(path, in_place=True, in_place_cap=5_000)
        assert (wb.weights.table["kind"] == "recency").any()
        assert report.record.as_of == late.date().isoformat()
        # The query handed on counts to the same day (the store has no rows to ask).
        assert f"'{late.date().isoformat()}'" in wb.grid_sql("postgres")
        assert dt.date.fromisoformat(report.record.as_of) > max(
            pd.to_datetime(sample[c]).max().date()
            for c in ("created_at", "closed_at", "last_activity_date"))


def test_a_refit_reads_the_same_files_and_says_when_they_changed(made, tmp_path):
    _, rows, _ = made["sample"]
    folder = tmp_path / "leads"
    folder.mkdir()
    half = len(rows) // 2
    first = to_parquet(rows.iloc[:half], folder / "part-0.parquet")
    second = to_parquet(rows.iloc[half:], folder / "part-1.parquet")
    db = tmp_path / "refit.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        wb.ingest(folder, in_place=True)
    with Workbench(db, keep_backups=0) as wb:  # a new session: the record reopens the files
        assert wb.fit().id is not None and wb.leads == 50_000

    def refit_says(*expected: str) -> None:
        before = db.read_bytes()
        with Workbench(db, keep_backups=0) as wb:
            with pytest.raises(InputError) as caught:
                wb.fit()
        assert db.read_bytes() == before
        message = caught.value.message
        assert all(e in message for e in expected), message
        assert "--in-place" in message and "Traceback" not in message

    extra = to_parquet(rows.iloc[:10], folder / "part-2.parquet")
    refit_says("have changed since", str(extra), str(folder))
    extra.unlink()
    to_parquet(rows.iloc[half:-1], second)
    os.utime(second, ns=(1, 1))
    refit_says("has changed since", str(second))
    first.unlink()
    refit_says("is gone", str(first))


def test_the_command_line_loads_parquet_in_place(made, tmp_path):
    _, _, parquet = made["sample"]
    db = tmp_path / "cli.duckdb"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "calibrate.cli", *args, "--db", str(db)],
                              capture_output=True, text=True, timeout=300)

    done = run("ingest", str(parquet), "--in-place")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Loaded in place from {parquet}: 50,000 leads stay")
    assert "50,000 rows read for the fit (all of them)" in done.stdout
    assert "counted in the source" in done.stdout
    assert_no_lead_rows(db, 50_000)
    done = run("drift")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"needs the lead rows, which stay in {parquet}" in done.stderr
    done = run("fit")
    assert done.returncode == 0 and done.stdout.startswith("Fit on "), done.stderr
    done = run("ingest", str(tmp_path / "nowhere.parquet"), "--in-place")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "does not exist" in done.stderr and "nowhere.parquet" in done.stderr


@pytest.mark.parametrize("case", ["missing file", "not parquet", "empty folder",
                                  "no match", "no outcome", "numbers as text"])
def test_bad_input_says_what_is_wrong_naming_the_file_and_changes_nothing(made, tmp_path,
                                                                          case):
    _, rows, parquet = made["sample"]
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no leads here")
    text = rows.head(4000).copy()  # the load cleans "29%"; the grid query, as it is, cannot
    text["email_open_rate"] = text["email_open_rate"].map(
        lambda v: "" if pd.isna(v) else f"{v:g}%")
    given, expected = {
        "missing file": (tmp_path / "nowhere.parquet", "The file does not exist"),
        "not parquet": (SAMPLE_CSV, "In place reads Parquet files only; this file is CSV"),
        "empty folder": (empty, "This folder holds no Parquet files"),
        "no match": (f"{empty}/*.parquet", "No file matches this pattern"),
        "no outcome": (to_parquet(rows[["lead_id", "seniority"]], tmp_path / "no.parquet"),
                       "outcome"),
        "numbers as text": (to_parquet(text, tmp_path / "text.parquet"),
                            "Counting the grid in "),
    }[case]
    db = tmp_path / "kept.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        wb.ingest(parquet, in_place=True)
    before = db.read_bytes()
    with Workbench(db, keep_backups=0) as wb:
        with pytest.raises(CalibrateError) as caught:
            wb.ingest(given, in_place=True)
    assert db.read_bytes() == before
    message = caught.value.message
    assert expected in message, message
    assert os.path.basename(str(given)) in message, message


def test_the_weights_page_says_its_level_counts_are_the_sampled_leads(made, tmp_path,
                                                                     monkeypatch):
    """Above the cap, a level's leads and wins count the rows read, not the source's: the
    Weights page says so, with both numbers."""
    from calibrate.data import store

    from apptest import page

    _, _, parquet = made["sample"]
    db = tmp_path / "sampled.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        wb.ingest(parquet, in_place=True, in_place_cap=5_000)
    monkeypatch.setenv(store.ENV_DB, str(db))
    at = page("weights")
    shown = " ".join(c.value for c in at.caption)
    assert "a sample of the 50k left in place" in shown and "the 5k leads read" in shown


def test_a_mapping_s_outcome_labels_count_in_place_and_in_the_query_handed_on(made, tmp_path):
    """Won deals written "Verbal Yes" (a label only the mapping knows): the grid counted in
    place counts them won, and the grid query the store hands on (calibrate sql) reads the
    label the same way, from the load's mapping."""
    by_file, rows, _ = made["sample"]
    outcome = next(c.source_name for c in by_file.columns() if c.role == "outcome")
    rows = rows.copy()
    won = rows[outcome].astype(str).str.strip().str.lower() == "won"
    assert won.sum() > 0
    rows.loc[won, outcome] = "Verbal Yes"
    path = to_parquet(rows, tmp_path / "labels.parquet")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[outcomes]\nwon = ["Verbal Yes"]\n', encoding="utf-8")
    def won_leads(frame: pd.DataFrame) -> int:
        return int(frame.loc[frame["outcome"] == "won", "leads"].sum())

    every_won = won_leads(by_file.grid().frame)  # the same leads won, whatever the label
    with Workbench(tmp_path / "labels.duckdb", keep_backups=0) as wb:
        wb.ingest(path, in_place=True, mapping=mapping)
        assert won_leads(wb.grid().frame) == every_won
        sql = wb.grid_sql("duckdb", source="labelled")
    duck = duckdb.connect()
    duck.execute(f"CREATE VIEW labelled AS SELECT * FROM read_parquet('{path}')")
    assert won_leads(duck.execute(sql).df()) == every_won


# ------------------------------------------------------------------ the Data page, in place


def test_a_path_is_read_under_the_folders_the_app_allows(tmp_path):
    from calibrate.data.parquet_source import ROOTS_ENV, parquet_roots, served_path

    lake, other = tmp_path / "lake", tmp_path / "other"
    (lake / "leads").mkdir(parents=True)
    other.mkdir()
    (lake / "out").symlink_to(other)
    roots = parquet_roots({ROOTS_ENV: f"{lake}{os.pathsep}{tmp_path / 'more'}"})
    assert roots == (lake.resolve(), (tmp_path / "more").resolve())
    assert parquet_roots({}) == (Path.cwd().resolve(),)
    assert served_path("leads", roots) == str(lake.resolve() / "leads")  # the first root
    assert served_path(f" {lake} ", roots) == str(lake.resolve())  # a root itself
    assert served_path("leads/*.parquet", roots) == str(lake.resolve() / "leads/*.parquet")
    assert served_path(str(tmp_path / "more" / "x.parquet"), roots).endswith("more/x.parquet")
    for outside in ("../other/x.parquet", str(other / "x.parquet"), "out/x.parquet",
                    "out/*.parquet", str(tmp_path / "lake2")):  # .., elsewhere, a link
        with pytest.raises(InputError, match="outside the folders") as caught:
            served_path(outside, roots)
        assert ROOTS_ENV in caught.value.fix
    with pytest.raises(InputError, match="No path given"):
        served_path("  ", roots)


def test_the_data_page_loads_parquet_files_in_place(made, tmp_path, monkeypatch):
    """Typed relative to the folder the app reads from: the same grid as the file path, the
    source named as typed (not the server's folders), no lead rows stored."""
    from calibrate.data import store
    from calibrate.data.parquet_source import ROOTS_ENV

    from apptest import assert_clean, page

    by_file, _, parquet = made["sample"]
    db = tmp_path / "app.duckdb"
    monkeypatch.setenv(store.ENV_DB, str(db))
    monkeypatch.setenv(ROOTS_ENV, str(parquet.parent))
    at = page("data")
    assert at.button(key="load_parquet").disabled  # nothing typed yet
    at.text_input(key="pq_path").input(parquet.name).run()
    at.button(key="load_parquet").click().run()
    assert_clean(at)
    assert not at.error
    assert at.success[0].value.startswith(f"Loaded in place from {parquet.name}: 50,000 leads")
    assert str(parquet.parent) not in at.success[0].value
    grid, shown = by_file.grid(), " ".join(c.value for c in at.caption)
    assert (f"Count grid: {len(grid.frame):,} cells over {grid.leads:,} leads, counted in "
            "the source") in shown
    assert f"held-out AUC {by_file.weights.metrics['auc']:.3f}" in shown
    assert "no lead rows are stored" in at.success[0].value


@pytest.mark.parametrize("typed", ["outside", "csv", "missing", "numbers as text"])
def test_the_data_page_says_why_parquet_files_cannot_load_and_changes_nothing(
        made, tmp_path, monkeypatch, typed):
    from calibrate.data import store
    from calibrate.data.parquet_source import ROOTS_ENV

    from apptest import assert_clean, page

    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "leads.csv").write_bytes(SAMPLE_CSV.read_bytes()[:5000])
    text = made["sample"][1].head(4000).copy()  # "29%": the grid query cannot read it
    text["email_open_rate"] = text["email_open_rate"].map(
        lambda v: "" if pd.isna(v) else f"{v:g}%")
    to_parquet(text, lake / "text.parquet")
    db = tmp_path / "app.duckdb"
    with Workbench(db, keep_backups=0) as wb:  # a store with leads already
        wb.ingest(made["sample"][2], in_place=True)
    before = db.read_bytes()
    monkeypatch.setenv(store.ENV_DB, str(db))
    monkeypatch.setenv(ROOTS_ENV, str(lake))
    given = {"outside": "../elsewhere/leads.parquet", "csv": "leads.csv",
             "missing": "no-such-folder/", "numbers as text": "text.parquet"}[typed]
    at = page("data")
    at.text_input(key="pq_path").input(given).run()
    at.button(key="load_parquet").click().run()
    assert_clean(at)
    shown = at.error[0].value
    assert given.rstrip("/") in shown
    want = {"outside": f"add its folder to {ROOTS_ENV}", "csv": "Upload it as a file",
            "missing": "does not exist",
            "numbers as text": '"Lead counts in SQL" on the Export page'}[typed]
    assert want in shown
    assert "--in-place" not in shown and "calibrate " not in shown
    assert str(tmp_path) not in shown.replace(str(lake), "")  # only the allowed folder
    assert db.read_bytes() == before

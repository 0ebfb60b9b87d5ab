"""Cleaning: rows staged in file order, numbers and dates read by DuckDB's own parser."""

from __future__ import annotations

import datetime as dt

from calibrate.data import cleaning, store
from calibrate.data.ingest import ingest

from conftest import BANK_CSV, SAMPLE_CSV
from dbstate import large_csv, leads


def test_row_numbers_follow_the_file_on_a_file_read_in_parallel(con, tmp_path):
    """Example rows and the duplicate that wins rest on the rows being stored in file
    order; a file this size is read and written by both threads in parallel."""
    rows = 1_000_000  # 30 MB: at 400,000 rows the bug this guards against did not show
    path = tmp_path / "many.csv"
    with open(path, "w") as fh:
        fh.write("lead_id,status,industry,visits,demo_request\n")
        for i in range(1, rows + 1):
            industry = "Select" if i % 50_000 == 7 else ("Retail", "Software")[i % 2]
            fh.write(f"L{i:07d},{('won', 'lost')[i % 2]},{industry},{i % 9},"
                     f"{('Yes', 'No')[i % 3 == 0]}\n")
        fh.write("L0000003,lost,Retail,5,No\n")  # a later duplicate of row 3
    report = ingest(con, path)
    placeholders = next(i for i in report.issues if i.column == "industry")
    assert placeholders.count == 20 and placeholders.rows == [7, 50_007, 100_007, 150_007,
                                                              200_007]
    duplicate = next(i for i in report.issues if i.column == "lead_id")
    assert duplicate.rows == [3, rows + 1]
    stored = [r[0] for r in con.execute("SELECT lead_id FROM leads ORDER BY rowid").fetchall()]
    assert stored[:3] == ["L0000001", "L0000002", "L0000004"] and stored[-1] == "L0000003"
    assert stored[2:-1] == sorted(stored[2:-1]), "stored in file order"
    assert leads(con).loc["L0000003", "visits"] == 5, "the last row of a duplicate wins"


def _load(con, path, outcome, monkeypatch=None, text_only=False):
    """Ingest, optionally with every column read as text (no native-type fast path)."""
    if text_only:
        monkeypatch.setattr(cleaning, "_fast_types", lambda *args: {})
    report = ingest(con, path, outcome=outcome, replace=True)
    rows = con.execute("SELECT * FROM leads ORDER BY lead_id").fetchall()
    return [str(i) for i in report.issues], rows


def test_native_types_give_the_same_leads_and_issues_as_text(tmp_path, monkeypatch):
    for source, outcome in ((SAMPLE_CSV, None), (BANK_CSV, "y")):
        fast = _load(store.connect(tmp_path / f"fast-{source.name}.duckdb"), source, outcome)
        text = _load(store.connect(tmp_path / f"text-{source.name}.duckdb"), source, outcome,
                     monkeypatch, text_only=True)
        assert fast == text, source.name
        monkeypatch.undo()


def test_a_value_the_sample_missed_falls_back_to_text(con, write_csv, small_sample):
    late = {3990: "L3990,won,Retail,N/A,ok", 3995: 'L3995,lost,Software,"1,200",ok'}
    report = ingest(con, write_csv(large_csv(4000, late)))
    found = {(i.column, i.kind): i for i in report.issues}
    assert found["visits", "placeholder values"].rows == [3990]
    assert found["visits", "values with separators or symbols (1,200 / 35% / $)"].rows == [3995]
    assert leads(con).loc["L3995", "visits"] == 1200 and report.rows_loaded == 4000


def test_parquet_numbers_and_timestamps_are_checked_as_read(con, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "lead_id": ["a", "b", "c", "d"], "status": ["won", "lost", "lost", "open"],
        "created_at": pa.array([dt.datetime(2025, 1, 2), dt.datetime(1980, 5, 5),
                                dt.datetime(2099, 1, 1), None]),
        "visits": pa.array([3.0, float("nan"), -2.0, None]),  # NaN as written by numpy
        "employees": pa.array([10, 20, 30, 40], pa.int32())})
    pq.write_table(table, tmp_path / "typed.parquet")
    report = ingest(con, tmp_path / "typed.parquet")
    found = {(i.column, i.kind): i.rows for i in report.issues}
    assert found == {("created_at", "dates before 1990"): [2],
                     ("created_at", "dates in the future"): [3],
                     ("visits", "placeholder values"): [2], ("visits", "negative counts"): [3]}
    stored = leads(con)
    assert stored["employees"].tolist() == [10, 20, 30, 40]
    assert stored["created_at"].isna().tolist() == [False, True, True, True]
    assert stored["visits"].isna().tolist() == [False, True, True, True]

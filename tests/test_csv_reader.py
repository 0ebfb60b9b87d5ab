"""CSV reader: a cell of several megabytes read with a raised row limit, or named with its
row, column and size past the limit."""

from __future__ import annotations

from pathlib import Path

from calibrate.data import csv_reader
from calibrate.data.ingest import ingest

from dbstate import KEEP_NOTES, expect_error


def notes_of(size: int) -> str:
    """Call notes of ``size`` characters, with commas, quotes and line breaks."""
    line = 'Called back, left a "voicemail"; she asked for pricing.\n'
    return (line * (size // len(line) + 1))[:size]


def huge_cell_csv(path: Path, cell: str, at: int = 30, rows: int = 60) -> Path:
    """``rows`` leads whose notes are short but on row ``at``, which holds ``cell``."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("lead_id,status,notes,visits\n")
        for i in range(1, rows + 1):
            notes = (cell if i == at else "ok").replace('"', '""')
            out.write(f'L{i},{("won", "lost")[i % 2]},"{notes}",{i % 5}\n')
    return path


def test_a_cell_of_5_mb_loads_intact(con, tmp_path: Path):
    cell = notes_of(5_000_000)
    report = ingest(con, huge_cell_csv(tmp_path / "leads.csv", cell), mapping=KEEP_NOTES)
    assert report.rows_loaded == 60 and report.outcome_counts["won"] == 30
    stored = con.execute("SELECT notes FROM leads WHERE lead_id = 'L30'").fetchone()[0]
    assert stored == cell
    assert con.execute("SELECT sum(visits) FROM leads").fetchone()[0] == sum(
        i % 5 for i in range(1, 61))


def test_a_cell_over_the_limit_names_its_row_column_and_size(con, tmp_path: Path,
                                                           monkeypatch):
    monkeypatch.setattr(csv_reader, "MAX_LINE_SIZE", 3_000_000)
    path = huge_cell_csv(tmp_path / "leads.csv", notes_of(5_000_000))
    err = expect_error(con, path, "more than the 3.0 MB a row may take")
    assert err.what.startswith("Row 30 is 5.0 MB long") and "'notes' holds 5.0 MB" in err.what
    assert err.rows == [30] and err.column == "notes"
    assert "[read] max_line_size = 10485760" in err.fix
    mapping = tmp_path / "mapping.toml"  # what the fix says to do
    mapping.write_text("[read]\nmax_line_size = 10485760\n")
    assert ingest(con, path, mapping=mapping).rows_loaded == 60

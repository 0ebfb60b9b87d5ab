"""Readers: large CSVs profiled from chunks, late breakage and encodings, the pinned dialect;
title lines above the header, ZIP archives and random bytes, a cell of several megabytes."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import duckdb
import pytest

from calibrate.data import readers, store
from calibrate.data.ingest import ingest
from calibrate.data.roles import mapping_from_dict

from dbstate import expect_error, large_csv, leads


def test_a_large_csv_is_profiled_from_all_over_the_file(con, write_csv, small_sample):
    report = ingest(con, write_csv(large_csv(4000)), mapping=KEEP_NOTES)
    visits = next(c for c in report.columns if c.name == "visits")
    assert (visits.role, visits.type) == ("behavior", "numeric"), \
        "a column blank at the start of the file is still seen"
    assert report.rows_loaded == 4000
    stored = leads(con)
    assert stored.loc["L3950", "notes"] == "called twice,\nno answer"
    assert stored.loc["L3999", "visits"] == 3999 % 7


def test_a_large_csv_breaking_late_names_the_row(con, write_csv, small_sample):
    path = write_csv(large_csv(4000, {3990: "L3990,won,Retail,1,ok,extra"}))
    err = expect_error(con, path, "ragged")
    # Row numbers count records, and 79 notes above it span two lines.
    assert "Row 3990" in err.what and "6 fields but the header has 5" in err.what


def test_a_large_csv_with_latin1_late_is_read_as_latin1(con, write_csv, small_sample):
    from calibrate.data.readers import _encoding

    text = large_csv(60_000, {59_990: "L59990,won,Métallurgie,1,ok"})
    path = write_csv(text, encoding="latin-1")
    assert _encoding(path) == "utf-8", "the first megabyte alone reads as UTF-8"
    report = ingest(con, path)
    assert report.details["encoding"] == "latin-1" and report.rows_loaded == 60_000
    assert leads(con).loc["L59990", "industry"] == "Métallurgie"


#: Notes are free text, not stored unless a user keeps them: these tests keep them.
KEEP_NOTES = mapping_from_dict({"columns": {"notes": {"role": "profile"}}})
KEEP_NOTE = mapping_from_dict({"columns": {"note": {"role": "profile"}}})


def test_a_row_whose_first_cell_starts_with_a_hash_is_a_row(con, write_csv):
    report = ingest(con, write_csv("note,lead_id,outcome,visits\n,A,won,1\n#1,B,lost,2\n"),
                    mapping=KEEP_NOTE)
    assert report.rows_loaded == 2 and leads(con).loc["B", "note"] == "#1"
    assert store.lead_count(con) == 2


# ------------------------------------------------------------------- title lines


TITLES = "Leads report\nGenerated 2026-11-02 by Jane Doe\n\n"


def body(rows: int = 40, delim: str = ",", newline: str = "\n") -> str:
    """A header and ``rows`` leads, half of them won."""
    lines = [delim.join(["lead_id", "status", "industry", "visits"])]
    lines += [delim.join([f"L{i}", ("won", "lost")[i % 2], ("Retail", "Software")[i % 3 > 0],
                          str(i % 7)]) for i in range(1, rows + 1)]
    return newline.join(lines) + newline


def check_titled(con: duckdb.DuckDBPyConnection, report, skipped: int) -> None:
    """The leads loaded under the real header, and the report says what was skipped."""
    assert report.rows_loaded == 40 and report.outcome_counts["won"] == 20
    assert [c.source_name for c in report.columns] == ["lead_id", "status", "industry",
                                                       "visits"]
    assert report.details["skipped title lines"] == skipped
    assert f", skipped title lines {skipped})" in report.summary().splitlines()[0]
    stored = leads(con)
    assert stored.loc["L7", "industry"] == "Software" and stored.loc["L7", "visits"] == 0


@pytest.mark.parametrize(("text", "skipped"), [
    (TITLES + body(), 3),
    # Excel pads each line to the table's width, with Windows line ends
    ("Leads report,,,\r\nGenerated 2026-11-02 by Jane Doe,,,\r\n,,,\r\n"
     + body(newline="\r\n"), 3),
    # quoted single cells holding commas
    ('"Leads report, Q3"\n"Generated 2026-11-02, 09:14"\nFiltered by: Owner is Jane Doe\n'
     + body(), 3),
    ("\ufeffLeads report\n\n" + body(delim=";"), 2),  # a BOM, semicolons
    ("\n\n" + body(delim="\t"), 2),  # blank lines only, tabs
], ids=["plain", "excel-padded-crlf", "quoted-commas", "bom-semicolon", "blank-tab"])
def test_title_lines_above_the_header_are_skipped_and_reported(con, write_csv, text, skipped):
    check_titled(con, ingest(con, write_csv(text)), skipped)


def test_a_header_that_comes_first_is_not_looked_past(con, write_csv):
    """Unusual headers (numbers for names, blank names, one-cell rows below) stay the header."""
    text = "lead_id,status,2024,2025,\n" + "".join(
        f"L{i},{('won', 'lost')[i % 2]},{i},{i % 3},\n" for i in range(1, 41))
    report = ingest(con, write_csv(text))
    assert report.rows_loaded == 40 and "skipped title lines" not in report.details
    assert [c.source_name for c in report.columns][:4] == ["lead_id", "status", "2024", "2025"]
    report = ingest(con, write_csv(body(), name="plain.csv"), replace=True)
    assert "skipped title lines" not in report.details


def test_normal_files_are_read_as_before(tmp_path: Path):
    """A file without title lines or long rows is read with DuckDB's defaults (skip 0, no
    raised row limit: DuckDB sizes its buffers from that limit)."""
    path = tmp_path / "leads.csv"
    path.write_text(body())
    cur = duckdb.connect()
    source = readers.open_source(cur, path, {})
    call = source.csv_read({})
    assert "skip = 0," in call and "max_line_size" not in call
    assert source.details == {"encoding": "utf-8"}


def test_a_ragged_row_below_title_lines_is_named_by_its_data_row(con, write_csv):
    lines = body().splitlines(keepends=True)
    lines[7] = lines[7].rstrip("\n") + ",extra\n"  # data row 7
    err = expect_error(con, write_csv(TITLES + "".join(lines)), "ragged")
    assert "Row 7 has 5 fields but the header has 4" in err.what and err.rows == [7]


def test_a_large_csv_with_title_lines_is_sampled_below_them(con, write_csv, small_sample):
    report = ingest(con, write_csv(TITLES + large_csv(4000)))
    assert report.rows_loaded == 4000 and report.details["skipped title lines"] == 3
    visits = next(c for c in report.columns if c.name == "visits")
    assert (visits.role, visits.type) == ("behavior", "numeric")
    stored = leads(con)
    assert stored.loc["L3999", "visits"] == 3999 % 7 and stored.loc["L1", "industry"] == "Software"


def test_title_rows_above_an_xlsx_table_are_skipped(con, tmp_path: Path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Leads"
    sheet.append(["Leads report"])
    sheet.merge_cells("A1:D1")  # a title centred over the table is not a merged header
    sheet.append(["Generated 2026-11-02 by Jane Doe"])
    sheet.append([])
    for line in body().splitlines():
        sheet.append(line.split(","))
    path = tmp_path / "report.xlsx"
    book.save(path)
    report = ingest(con, path)
    check_titled(con, report, 3)
    assert report.details["sheet"] == "Leads"


# --------------------------------------------------------- archives and random bytes


@pytest.mark.parametrize("name", ["leads.csv", "leads.zip", "leads.xlsx"])
def test_a_zip_of_csv_exports_is_refused_as_a_zip_archive(con, tmp_path: Path, name: str):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("export/leads.csv", body())
    err = expect_error(con, path, "is a ZIP archive")
    assert err.what.startswith("The file is a ZIP archive (holding export/leads.csv)")
    assert "XLSX" not in err.what.split(",")[0] and "workbook" not in err.what
    assert err.fix == "Unzip it and load the CSV inside (export/leads.csv) instead."


@pytest.mark.parametrize("size", [64, 1000, 100_000])
@pytest.mark.parametrize("kind", ["any", "no-nul", "high"])
def test_random_bytes_are_called_binary(con, tmp_path: Path, kind: str, size: int):
    data = random.Random(size).randbytes(size)
    if kind == "no-nul":
        data = data.replace(b"\0", b"\1")
    elif kind == "high":  # no control bytes at all, and not UTF-8
        data = bytes(0x80 | b for b in data)
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    err = expect_error(con, path, "The file is binary")
    assert "header" not in err.what


# ------------------------------------------------------------------- a huge cell


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
    monkeypatch.setattr(readers, "MAX_LINE_SIZE", 3_000_000)
    path = huge_cell_csv(tmp_path / "leads.csv", notes_of(5_000_000))
    err = expect_error(con, path, "more than the 3.0 MB a row may take")
    assert err.what.startswith("Row 30 is 5.0 MB long") and "'notes' holds 5.0 MB" in err.what
    assert err.rows == [30] and err.column == "notes"
    assert "[read] max_line_size = 10485760" in err.fix
    mapping = tmp_path / "mapping.toml"  # what the fix says to do
    mapping.write_text("[read]\nmax_line_size = 10485760\n")
    assert ingest(con, path, mapping=mapping).rows_loaded == 60


def test_blank_and_repeated_headers_get_clear_stable_names_in_csv_and_xlsx(tmp_path):
    import pandas as pd

    from calibrate.data.ingest import inspect_file

    rows = [[i, "Web", "Direct", "Won" if i % 3 else "Lost", i % 5] for i in range(60)]
    header = ["", "Source", "Source", "Status", "Visits"]
    pd.DataFrame(rows, columns=header).to_excel(tmp_path / "dup.xlsx", index=False)
    (tmp_path / "dup.csv").write_text(
        ",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    for name in ("dup.csv", "dup.xlsx"):
        seen = inspect_file(tmp_path / name)
        assert seen.headers == ["Column 1", "Source", "Source (2)", "Status", "Visits"], name
    assert inspect_file(tmp_path / "dup.csv").details["headers renamed"] == (
        "a blank header in column 1 named 'Column 1'; 'Source' again in column 3 named "
        "'Source (2)'")

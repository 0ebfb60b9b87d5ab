"""Readers: large CSVs profiled from chunks, late breakage and encodings, the pinned dialect."""

from __future__ import annotations

from calibrate import store
from calibrate.ingest import ingest

from dbstate import expect_error, large_csv, leads


def test_a_large_csv_is_profiled_from_all_over_the_file(con, write_csv, small_sample):
    report = ingest(con, write_csv(large_csv(4000)))
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
    from calibrate.readers import _encoding

    text = large_csv(60_000, {59_990: "L59990,won,Métallurgie,1,ok"})
    path = write_csv(text, encoding="latin-1")
    assert _encoding(path) == "utf-8", "the first megabyte alone reads as UTF-8"
    report = ingest(con, path)
    assert report.details["encoding"] == "latin-1" and report.rows_loaded == 60_000
    assert leads(con).loc["L59990", "industry"] == "Métallurgie"


def test_a_row_whose_first_cell_starts_with_a_hash_is_a_row(con, write_csv):
    report = ingest(con, write_csv("note,lead_id,outcome,visits\n,A,won,1\n#1,B,lost,2\n"))
    assert report.rows_loaded == 2 and leads(con).loc["B", "note"] == "#1"
    assert store.lead_count(con) == 2

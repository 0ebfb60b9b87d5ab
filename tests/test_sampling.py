"""Sampling: a large CSV profiled from chunks spread over it, below any title lines."""

from __future__ import annotations

from calibrate.data.ingest import ingest

from dbstate import KEEP_NOTES, TITLES, large_csv, leads


def test_a_large_csv_is_profiled_from_all_over_the_file(con, write_csv, small_sample):
    report = ingest(con, write_csv(large_csv(4000)), mapping=KEEP_NOTES)
    visits = next(c for c in report.columns if c.name == "visits")
    assert (visits.role, visits.type) == ("behavior", "numeric"), \
        "a column blank at the start of the file is still seen"
    assert report.rows_loaded == 4000
    stored = leads(con)
    assert stored.loc["L3950", "notes"] == "called twice,\nno answer"
    assert stored.loc["L3999", "visits"] == 3999 % 7


def test_a_large_csv_with_title_lines_is_sampled_below_them(con, write_csv, small_sample):
    report = ingest(con, write_csv(TITLES + large_csv(4000)))
    assert report.rows_loaded == 4000 and report.details["skipped title lines"] == 3
    visits = next(c for c in report.columns if c.name == "visits")
    assert (visits.role, visits.type) == ("behavior", "numeric")
    stored = leads(con)
    assert stored.loc["L3999", "visits"] == 3999 % 7 and stored.loc["L1", "industry"] == "Software"

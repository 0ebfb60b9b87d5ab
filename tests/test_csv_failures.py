"""CSV failures: a ragged row found late in a large CSV is named by its row."""

from __future__ import annotations

from dbstate import expect_error, large_csv


def test_a_large_csv_breaking_late_names_the_row(con, write_csv, small_sample):
    path = write_csv(large_csv(4000, {3990: "L3990,won,Retail,1,ok,extra"}))
    err = expect_error(con, path, "ragged")
    # Row numbers count records, and 79 notes above it span two lines.
    assert "Row 3990" in err.what and "6 fields but the header has 5" in err.what

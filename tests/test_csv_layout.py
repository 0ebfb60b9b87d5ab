"""CSV layout: title lines above the header skipped and reported, a header that comes first
kept, and rows below title lines numbered from the header."""

from __future__ import annotations

import pytest

from calibrate.data.ingest import ingest

from dbstate import TITLES, body, check_titled, expect_error


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


def test_a_ragged_row_below_title_lines_is_named_by_its_data_row(con, write_csv):
    lines = body().splitlines(keepends=True)
    lines[7] = lines[7].rstrip("\n") + ",extra\n"  # data row 7
    err = expect_error(con, write_csv(TITLES + "".join(lines)), "ragged")
    assert "Row 7 has 5 fields but the header has 4" in err.what and err.rows == [7]

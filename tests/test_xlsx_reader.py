"""XLSX reader: title rows above a sheet's table skipped."""

from __future__ import annotations

from pathlib import Path

from calibrate.data.ingest import ingest

from dbstate import body, check_titled


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

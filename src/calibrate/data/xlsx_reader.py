"""Opening an XLSX workbook as ``_file``: the sheet holding the table (or the mapping's),
title rows above its header skipped, blank or merged header cells named or refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from calibrate.data.csv_layout import MAX_TITLE_LINES, filled_cells
from calibrate.data.sampling import make_sample
from calibrate.data.source import Source
from calibrate.errors import InputError
from calibrate.sql import quote


def _file_columns(cur: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in cur.execute("DESCRIBE _file").fetchall()]


def _blank_name(name: Any) -> bool:
    text = str(name)
    return text.startswith("Unnamed:") or not text.strip() or text == "nan"


def _check_merged_header(book: Any, path: Path, sheet: str, skip: int = 0) -> None:
    """Refuse a header row with merged cells (a group or title row above the real header):
    its columns would get made-up names and the real header would become a lead.
    ``skip``: the title rows above the header (their merged cells do not count)."""
    import zipfile

    inner = getattr(book.book[sheet], "_worksheet_path", None)
    if not inner:
        return
    found: list[str] = []
    pattern = re.compile(rb'<mergeCell ref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"')
    try:
        with zipfile.ZipFile(path) as archive, archive.open(inner) as fh:
            tail = b""
            while chunk := fh.read(1 << 20):
                text = tail + chunk
                for m in pattern.finditer(text):
                    if m.group(1) != m.group(3) and skip < int(m.group(2)) <= skip + 2:
                        found.append(m.group(0)[len(b'<mergeCell ref="'):-1].decode())
                tail = text[-200:]
    except (KeyError, OSError, zipfile.BadZipFile):
        return  # an unusual layout: the generated names stand
    found = list(dict.fromkeys(found))
    if found:
        raise InputError(
            f"The sheet '{sheet}' has merged cells in its header ({', '.join(found[:5])}), "
            "so some columns have no name of their own.",
            file=str(path),
            column=str(book.book[sheet].cell(skip + 1, 1).value or "") or None,
            fix="Unmerge the header cells and keep one header row with one name per column "
                "(delete group or title rows above it), then save again, or export CSV.")


def _table_row(cells: Any, width: int) -> bool | None:
    """Whether a sheet row is a table's (two or more cells, most of the width filled),
    None when it could be a title row above one (one cell or none)."""
    filled = filled_cells(cells)
    if filled >= 2 and filled * 2 > width:
        return True
    return None if filled <= 1 else False


def _xlsx_title_rows(frame: Any) -> int:
    """The title rows above a sheet's header (``frame`` read with the first row as its
    header): 0 unless that row and those below it, down to the first row of the table,
    hold one cell or none ("Leads report", "Generated 2026-11-02", blank rows)."""
    width = len(frame.columns)
    if width < 2 or sum(1 for c in frame.columns if not _blank_name(c)) > 1:
        return 0
    for i, cells in enumerate(frame.head(MAX_TITLE_LINES).itertuples(index=False)):
        table = _table_row(cells, width)
        if table is not None:
            return i + 1 if table else 0
    return 0


def _titled_table(head: Any) -> bool:
    """Whether the first rows of a sheet (read without a header) are a table below title
    rows: a table's row after rows of one cell or none, and a row below it."""
    rows = list(head.itertuples(index=False))
    for i, cells in enumerate(rows):
        table = _table_row(cells, head.shape[1])
        if table is not None:
            return bool(table) and any(filled_cells(r) for r in rows[i + 1:])
    return False


def _xlsx_header(frame: Any, path: Path) -> list[str]:
    """Column names of a sheet; blank header cells get generated names."""
    from calibrate.data.roles import unique_names

    raw = []
    blanks = []
    for i, c in enumerate(frame.columns):
        name = str(c)
        if _blank_name(name):
            blanks.append(i + 1)
            name = ""
        else:  # pandas writes a repeated header "Source" as "Source.1": undo it
            m = re.fullmatch(r"(.*)\.(\d+)", name)
            if m and m.group(1) in raw:
                name = m.group(1)
        raw.append(name)
    names = unique_names(raw)  # "Column 3", "Source (2)", as for a CSV
    if blanks and len(blanks) == len(names):
        raise InputError("The sheet's first row is empty: it has no header row.",
                         file=str(path),
                         fix="Put the column names in the first row of the sheet (no title "
                             "rows above the table, no merged header cells).")
    return names


def read_xlsx(cur: duckdb.DuckDBPyConnection, path: Path, read: dict[str, Any]) -> Source:
    import zipfile

    import pandas as pd

    try:
        book = pd.ExcelFile(path, engine="openpyxl")
        sheets = [str(s) for s in book.sheet_names]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise InputError(f"The workbook cannot be opened: {exc}", file=str(path),
                         fix="Open it in Excel and save it again as .xlsx, or export CSV.") \
            from None
    except Exception as exc:  # openpyxl raises many kinds for a broken zip
        raise InputError(f"The workbook cannot be opened: {type(exc).__name__}: {exc}",
                         file=str(path),
                         fix="Open it in Excel and save it again as .xlsx, or export CSV.") \
            from None
    sheet = read.get("sheet")
    if sheet is not None and str(sheet) not in sheets:
        raise InputError(f"The workbook has no sheet named '{sheet}'.", file=str(path),
                         fix=f"Choose one of: {', '.join(sheets)}.")
    try:
        if sheet is None:
            sheet = sheets[0]
            for name in sheets:  # the first sheet that holds a table
                head = pd.read_excel(book, sheet_name=name, nrows=MAX_TITLE_LINES + 2,
                                     header=None)
                # a header and at least one row, maybe below title rows
                if len(head.iloc[:2].dropna(how="all")) >= 2 or _titled_table(head):
                    sheet = name
                    break
        frame = pd.read_excel(book, sheet_name=sheet, dtype=str, header=0)
        skip = _xlsx_title_rows(frame)
        if skip:
            frame = pd.read_excel(book, sheet_name=sheet, dtype=str, header=skip)
    except Exception as exc:  # a damaged sheet: openpyxl raises many kinds
        raise InputError(f"The sheet '{sheet}' cannot be read: {type(exc).__name__}: {exc}",
                         file=str(path),
                         fix="Open it in Excel and save it again as .xlsx, or export CSV.") \
            from None
    if any(_blank_name(c) for c in frame.columns):
        _check_merged_header(book, path, str(sheet), skip)
    frame.columns = _xlsx_header(frame, path)
    frame = frame.dropna(how="all")  # rows left empty (formatting, merged cells below)
    cur.register("_xlsx_frame", frame)
    try:
        cur.execute("CREATE OR REPLACE TEMP TABLE _file AS SELECT "
                    + ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}"
                                for c in frame.columns)
                    + " FROM _xlsx_frame")
    finally:
        cur.unregister("_xlsx_frame")
    columns = _file_columns(cur)
    n, whole = make_sample(cur, len(frame))
    details: dict[str, Any] = {"sheet": sheet}
    if len(sheets) > 1:
        details["sheets"] = ", ".join(sheets)
    if skip:
        details["skipped title lines"] = skip
    return Source("xlsx", details, columns, n, whole)

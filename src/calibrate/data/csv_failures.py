"""A failed read of a CSV as a message a person can act on: the ragged row, the row too
long to read (its number, column and size, and the setting that reads it), or the reason."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from calibrate.data.csv_layout import Layout, find_layout
from calibrate.errors import InputError


def _find_ragged(path: Path, encoding: str, delim: str | None,
                 skip: int = 0) -> tuple[int, int, int] | None:
    """On a failed read, find the first data row whose field count differs from the header."""
    import csv

    if not delim:
        return None
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        for _ in range(skip):
            fh.readline()
        reader = csv.reader(fh, delimiter=delim)
        try:
            header = next(reader, None)
            if header is None:
                return None
            for i, row in enumerate(reader, start=1):
                if row and len(row) != len(header):
                    return i, len(row), len(header)
        except csv.Error:
            return None
    return None


_LINE_TOO_LONG = re.compile(r"Maximum line size of (\d+) bytes exceeded\.\s*Actual Size:\s*(\d+)")


def line_sizes(exc: Exception) -> tuple[int, int] | None:
    """The limit and the size of a row DuckDB found too long, from its error."""
    m = _LINE_TOO_LONG.search(str(exc))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def long_row(path: Path, encoding: str, layout: Layout, quote_char: str,
              limit: int) -> tuple[int, str, int, int] | None:
    """The first data row over ``limit`` bytes (else the longest): its number, its longest
    column, that cell's size and the row's, in bytes. Streams the file (an error path)."""
    import csv

    def size(cells: list[str]) -> int:
        return sum(len(c.encode(encoding, errors="replace")) for c in cells) + len(cells) - 1

    old = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        with open(path, encoding=encoding, errors="replace", newline="") as fh:
            for _ in range(layout.skip):
                fh.readline()
            reader = csv.reader(fh, delimiter=layout.delim or ",", quotechar=quote_char)
            header = next(reader, [])
            found: tuple[int, list[str]] | None = None
            most = -1
            for i, row in enumerate(reader, start=1):
                chars = sum(map(len, row)) + len(row)
                if chars > most:
                    found, most = (i, row), chars
                if chars * 4 > limit and size(row) > limit:
                    found = (i, row)
                    break
    except (csv.Error, OSError):
        return None
    finally:
        csv.field_size_limit(old)
    if found is None or not found[1]:
        return None
    row_number, cells = found
    j = max(range(len(cells)), key=lambda k: len(cells[k]))
    name = header[j] if j < len(header) and header[j].strip() else f"field {j + 1}"
    return row_number, name, size([cells[j]]), size(cells)


def long_row_error(path: Path, read: dict[str, Any], encoding: str, layout: Layout,
                    limit: int, actual: int,
                    found: tuple[int, str, int, int] | None = None) -> InputError:
    """A row longer than DuckDB may read (``actual`` bytes, ``found`` by ``long_row`` if
    already looked for): its number, column and size, and the setting that reads it."""
    found = found or long_row(path, encoding, layout, read.get("quote") or '"', limit)
    need = max(actual, found[3] if found else 0)
    room = -(-max(2 * need, 8 << 20) // (1 << 20)) << 20  # whole MiB
    setting = (f"Load it again with a mapping file (--mapping) that sets [read] "
               f"max_line_size = {room}, or shorten that cell in the export.")
    in_app = ("Shorten that cell in the export and upload it again, or ask whoever runs "
              f"calibrate to load it with [read] max_line_size = {room} in a mapping file.")
    if found is None:
        return InputError(f"A row is {_mb(actual)} long, more than the {_mb(limit)} a row "
                          "may take.", file=str(path), fix=setting, app_fix=in_app)
    row, column, cell, _ = found
    return InputError(f"Row {row} is {_mb(need)} long, more than the "
                      f"{_mb(limit)} a row may take: its column '{column}' holds "
                      f"{_mb(cell)}.", file=str(path), column=column, rows=[row], fix=setting,
                      app_fix=in_app)


def csv_error(path: Path, exc: Exception, skip: int = 0) -> InputError:
    """A DuckDB reader error as a message a person can act on (``skip``: title lines above
    the header, which DuckDB's line numbers count)."""
    text = str(exc)
    line = None
    for part in text.splitlines():
        if "Line:" in part:
            try:
                line = int(part.split("Line:")[1].split()[0].strip(",")) - skip
            except (ValueError, IndexError):
                pass
    first = text.splitlines()[0] if text else "unreadable"
    for marker in ("Error:", "Exception:"):
        if marker in first:
            first = first.split(marker, 1)[1].strip()
    app_fix = None  # the app reads no mapping file: it says what to do with the export
    if "Expected Number of Columns" in text or "too many columns" in text.lower():
        what = "A row has a different number of fields than the header (a ragged row)."
        fix = ("Check the row for a stray delimiter or an unclosed quote, or set "
               "[read] delimiter in a mapping file if the delimiter was guessed wrong.")
        app_fix = _RAGGED_IN_APP
    elif "unicode" in text.lower():
        what = "The file's text encoding could not be read."
        fix = 'Save it as UTF-8, or set [read] encoding = "latin-1" in a mapping file.'
        app_fix = 'Save it as UTF-8 ("CSV UTF-8" in Excel) and upload it again.'
    elif re.search(r"is not [\w-]+ encoded", text):
        what = ("The file's text is neither UTF-8 nor Latin-1 (Windows curly quotes or € "
                "signs, or another encoding).")
        fix = 'Save it as UTF-8 ("CSV UTF-8" in Excel) and load it again.'
    elif "unterminated quote" in text.lower() or "quote" in first.lower():
        what = "A quoted field is never closed (an unterminated quote)."
        fix = "Check the row for a stray double quote, or export the file again."
    else:
        what = f"The file could not be read as CSV: {first}"
        fix = "Check that it is a delimited text export with a header row."
    return InputError(what, file=str(path), rows=[line - 1] if line and line > 1 else None,
                      fix=fix, app_fix=app_fix)


#: A ragged row's fix in the app, which reads no mapping file.
_RAGGED_IN_APP = ("Check that row for a stray delimiter or an unclosed quote, then upload the "
                  "file again. If the delimiter was guessed wrong, export the file again "
                  "with commas, or ask whoever runs calibrate to load it with [read] "
                  "delimiter set in a mapping file.")


def csv_failure(path: Path, read: dict[str, Any], encoding: str,
                exc: duckdb.Error) -> InputError:
    """A failed read of a CSV as a message: the ragged row by number when there is one, or
    the row too long to read, with its column and size."""
    layout = find_layout(path, read, encoding)
    sizes = line_sizes(exc)
    if sizes:
        return long_row_error(path, read, encoding, layout, *sizes)
    ragged = _find_ragged(path, encoding, layout.delim, layout.skip)
    if ragged:
        row, found, expected = ragged
        return InputError(
            f"Row {row} has {found} fields but the header has {expected} (a ragged row).",
            file=str(path), rows=[row],
            fix="Check that row for a stray delimiter or an unclosed quote; if the "
                "delimiter was guessed wrong, set [read] delimiter in a mapping file.",
            app_fix=_RAGGED_IN_APP)
    return csv_error(path, exc, layout.skip)

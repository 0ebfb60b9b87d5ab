"""Where a CSV's table starts: its delimiter and the title lines above its header row,
found from the start of the file (quote-aware) or set by the mapping's ``[read]`` options."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calibrate.errors import InputError

#: The start of a CSV read to find its delimiter and header row (see ``find_layout``).
HEAD_BYTES = 1 << 16
#: Title lines (report name, date, blank lines) looked past for the header row.
MAX_TITLE_LINES = 20
#: Rows below a header compared with it; the share of them with its field count must
#: reach ``CONSISTENT`` for title lines to be skipped.
ROWS_COMPARED = 50
CONSISTENT = 0.8


@dataclass(frozen=True)
class Layout:
    """Where a CSV's table starts: its delimiter (None: left to DuckDB's sniffer) and the
    number of lines above its header (a report's title lines; 0 for most files)."""

    delim: str | None
    skip: int = 0


def count_option(path: Path, read: dict[str, Any], key: str) -> int | None:
    """A whole-number ``[read]`` option of the mapping (``skip``, ``max_line_size``)."""
    value = read.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"The mapping's [read] {key} must be a whole number, not {value!r}.",
                         file=str(path), fix=f"Write it as, e.g., {key} = 3.")
    return value


def _head(path: Path, encoding: str) -> tuple[str, bool]:
    """The first ``HEAD_BYTES`` of a text file, ending at a line end, and whether it was cut."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        head = fh.read(HEAD_BYTES)
    cut = len(head) == HEAD_BYTES
    if cut and "\n" in head:
        head = head[: head.rfind("\n") + 1]  # no partial last row
    return head, cut


def _records(head: str, delim: str, cut: bool,
             most: int = ROWS_COMPARED) -> list[tuple[int, list[str]]] | None:
    """The first ``most`` records of ``head`` split by ``delim`` (quote-aware), each with
    the line it starts on; None when the csv module cannot split the first rows."""
    import csv
    import io

    reader = csv.reader(io.StringIO(head), delimiter=delim)
    out: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for row in reader:
            out.append((line, row))
            line = reader.line_num
            if len(out) == most:
                return out
    except csv.Error:
        if not cut and len(out) < ROWS_COMPARED:
            return None
    if cut and len(out) > 1:
        out.pop()  # the head may end inside a quoted field that spans lines
    return out


def filled_cells(cells: Any) -> int:
    """How many cells hold something (not blank, not missing: None or NaN)."""
    return sum(1 for c in cells if (c.strip() if isinstance(c, str)
                                    else c is not None and c == c))


_NUMBER = re.compile(r"[\s$€£%+\-.,:/()]*\d[\d\s$€£%+\-.,:/()]*")


def _header_like(row: list[str]) -> bool:
    """Two or more cells, mostly filled, mostly not numbers or dates: column names."""
    filled = filled_cells(row)
    numbers = sum(1 for c in row if _NUMBER.fullmatch(c))
    return len(row) >= 2 and filled * 2 > len(row) and numbers * 2 < filled


def _title_like(row: list[str], width: int) -> bool:
    """A line a report writes above its table: blank, or one cell (two in a wide table)."""
    return filled_cells(row) <= (2 if width >= 6 else 1)


def _consistency(records: list[tuple[int, list[str]]], at: int) -> float:
    """The share of the non-blank rows below record ``at`` that have its field count."""
    width = len(records[at][1])
    body = [r for _, r in records[at + 1: at + ROWS_COMPARED] if r]
    return sum(len(r) == width for r in body) / len(body) if body else 1.0


def _title_records(records: list[tuple[int, list[str]]]) -> int | None:
    """The index of the header below a report's title lines, or None when the first
    record is the header (or the first rows do not look like titles over a table)."""
    at = next((i for i, (_, row) in enumerate(records[: MAX_TITLE_LINES + 1])
               if _header_like(row)), 0)
    width = len(records[at][1]) if records else 0
    if at == 0 or not all(_title_like(r, width) for _, r in records[:at]):
        return None
    if not any(r for _, r in records[at + 1: at + ROWS_COMPARED]):
        return None
    return at


def find_layout(path: Path, read: dict[str, Any], encoding: str) -> Layout:
    """A CSV's delimiter and header line, from its first ``HEAD_BYTES`` (quote-aware).

    The widest header wins among delimiters giving the same field count on most of the
    first 50 rows: a ragged row does not mislead it (as it can DuckDB's sniffer), nor do
    delimiters inside quoted cells or unquoted in a column name ('id,"a;b",x' or 'id,a;b').
    The header is the first line, unless that line does not look like one and it and the
    lines below it, down to a line that does and has rows of its width below it, are
    title lines ("Leads report", "Generated 2026-11-02 by Jane Doe", blank lines) as a
    report export writes above its table. A mapping's ``[read] skip`` sets the lines.
    """
    head, cut = _head(path, encoding)
    skip = count_option(path, read, "skip")
    if skip:
        head = "\n".join(head.split("\n")[skip:])
    delims = [read["delimiter"]] if read.get("delimiter") else [",", ";", "\t", "|"]
    parsed = {d: _records(head, d, cut) for d in delims}
    best, best_score = None, (-1.0, 0)
    for delim, records in parsed.items():
        width = len(records[0][1]) if records else 0
        if width < 2:
            continue
        score = (_consistency(records, 0), width)
        if score > best_score:
            best, best_score = delim, score
    delim = read.get("delimiter") or best
    records = parsed.get(best) if best else None
    first = records[0][1] if records else []
    if skip is not None or (best_score[0] >= CONSISTENT and _header_like(first)):
        return Layout(delim, skip or 0)  # the usual file: the header comes first
    titled, titled_score = None, (CONSISTENT, 0)
    for candidate in delims:  # the rows below title lines too
        records = _records(head, candidate, cut, MAX_TITLE_LINES + ROWS_COMPARED)
        at = _title_records(records) if records else None
        if records is None or at is None:
            continue
        score = (_consistency(records, at), len(records[at][1]))
        if score >= titled_score:
            titled = Layout(read.get("delimiter") or candidate, records[at][0])
            titled_score = score
    return titled or Layout(delim, 0)

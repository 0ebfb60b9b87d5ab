"""Loading a CRM export (CSV, Parquet, XLSX) into the ``leads`` table, cleaned and checked.

DuckDB reads the file, streaming (Python never holds a CSV or Parquet file): a fixed-size,
deterministic sample is profiled to guess each column's role and type, then one pass over
the file evaluates every cleaning expression once (placeholders, Yes/No, thousands
separators, percent signs, dates in several formats, negative counts) and records, per
value, a small code saying what was cleaned. The issue counts and example rows come from
those codes, duplicate ids are merged, and the result is swapped into ``leads`` in one
transaction: a failed ingest changes nothing.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from calibrate.errors import CalibrateError, InputError
from calibrate.outcomes import OUTCOMES, fit_warnings, normalise_all
from calibrate.roles import (
    ATTRIBUTE_ROLES,
    ColumnGuess,
    ColumnStats,
    Mapping,
    guess_columns,
    load_mapping,
)
from calibrate.store import STAGING, WRITE_LOCK, quote, store_columns, transaction

PLACEHOLDERS = (
    "", "select", "-- select --", "--select--", "please select", "unknown", "n/a", "na", "n.a.",
    "-", "--", "---", "?", "null", "nan", "#n/a", "(blank)", "blank", "undefined",
    "not provided", "not specified", "not available", "--none--", "tbd", "unk",
)
_TRUE = ("yes", "y", "true", "t", "1", "1.0", "x", "checked", "on")
_FALSE = ("no", "n", "false", "f", "0", "0.0", "unchecked", "off")
# Regexes (RE2, as DuckDB string literals) that a value must match before a parse is tried.
_PLAIN_NUMBER = r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"
_DECORATED_NUMBER = r"[-+]?[$€£]?\s?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s?%?"
_SLASH_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
_ISO_DATE = r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
EARLIEST = datetime(1990, 1, 1)
MAX_OUTCOME_LABELS = 50
PROFILE_SAMPLE = 20_000
#: A large CSV is profiled from this many chunks spread over it (see ``_spread_sample``).
SAMPLE_CHUNKS = 16
#: DuckDB may use at most this much memory during an ingest; beyond it, it spills to disk.
MEMORY_CAP = 2 << 30
_EXAMPLES = 5

# What the cleaning did to a value: bits of the per-column code stored next to it.
_PLACEHOLDER, _INVALID, _SEPARATORS, _NEGATIVE, _FUTURE, _EARLY, _FRACTION = (
    1, 2, 4, 8, 16, 32, 64)


@dataclass
class Issue:
    """One kind of problem found in one column, with how many rows and what was done."""

    column: str
    kind: str
    count: int
    rows: list[int]
    action: str

    def __str__(self) -> str:
        rows = ", ".join(str(r) for r in self.rows)
        return f"{self.column}: {self.count:,} {self.kind} ({self.action}; e.g. rows {rows})"


@dataclass
class IngestReport:
    """What an ingest read, guessed, cleaned and stored: printed by the CLI, shown by the app."""

    file: str
    format: str
    rows_read: int
    rows_loaded: int
    columns: list[ColumnGuess]
    outcome_counts: dict[str, int] = field(default_factory=dict)
    date_range: tuple[datetime | None, datetime | None] = (None, None)
    issues: list[Issue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    mode: str = "replace"

    def by_role(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in self.columns:
            out.setdefault(c.role, []).append(c.name)
        return out

    def summary(self) -> str:
        """A plain-text summary: rows, dates, outcomes, columns by role, cleaning."""
        lines = [f"Loaded {self.rows_loaded:,} leads from {self.file} ({self.format}"
                 + "".join(f", {k} {v!r}" for k, v in self.details.items()) + ")"]
        if self.rows_read != self.rows_loaded:
            lines.append(f"  {self.rows_read:,} rows read; "
                         f"{self.rows_read - self.rows_loaded:,} duplicate lead ids merged")
        lo, hi = self.date_range
        if lo is not None:
            lines.append(f"  created {lo:%Y-%m-%d} to {hi:%Y-%m-%d}")
        lines.append("  outcomes: " + ", ".join(
            f"{k} {self.outcome_counts.get(k, 0):,}" for k in OUTCOMES))
        for role, names in self.by_role().items():
            lines.append(f"  {role}: {', '.join(names)}")
        if self.issues:
            lines.append("Cleaning:")
            lines.extend(f"  {i}" for i in self.issues)
        if self.warnings:
            lines.append("Warnings:")
            lines.extend(f"  {w}" for w in self.warnings)
        return "\n".join(lines)


def lit(text: str) -> str:
    """A SQL string literal (single quotes doubled), for fixed vocabularies only."""
    return "'" + str(text).replace("'", "''") + "'"


def _one_of(expr: str, values: tuple[str, ...] | list[str]) -> str:
    """SQL: whether ``expr`` is one of ``values``, ignoring case.

    A regex, not ``lower(expr) IN (...)``: DuckDB's optimizer turns an IN list (and a
    ``list_contains`` of constants) into a hash join, and a plan with a join writes its
    rows in parallel without keeping their order, while an ingest's row numbers are that
    order (on a million rows the table came out as each thread's share, one after the
    other). The regex is also cheaper: no lowered copy of every value.
    """
    alternatives = "|".join(re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", v) for v in values)
    return f"regexp_full_match({expr}, {lit('(?i)(' + alternatives + ')')})"


# ---------------------------------------------------------------------------- reading


def sniff_format(path: Path) -> str:
    """The file's real format from its first bytes: parquet, xlsx, xls or text."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


def _check_format(path: Path, real: str) -> None:
    ext = path.suffix.lower().lstrip(".")
    expected = {"csv": "csv", "txt": "csv", "tsv": "csv", "parquet": "parquet", "pq": "parquet",
                "xlsx": "xlsx", "xlsm": "xlsx", "xls": "xls"}.get(ext)
    if real == "xls":
        raise InputError("This is an old Excel 97-2003 (.xls) workbook, which is not supported.",
                         file=str(path), fix="Open it in Excel and save as .xlsx or .csv.")
    if expected and expected != real:
        raise InputError(f"The file name ends in .{ext} but its content is {real.upper()}.",
                         file=str(path),
                         fix=f"Rename it to .{'csv' if real == 'csv' else real} or export "
                             f"it again as {expected.upper()}.")
    if real == "csv":
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if _looks_binary(head):
            raise InputError("The file is binary, not a CSV, Parquet or XLSX export.",
                             file=str(path), fix="Export the leads as CSV, Parquet or XLSX.")


def _looks_binary(head: bytes) -> bool:
    """NUL bytes (outside UTF-16) or mostly control bytes: not a text export."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return control > max(8, len(head) // 20)


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes, else Latin-1."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "latin-1"


def _header_delimiter(path: Path, encoding: str) -> str | None:
    """The delimiter that splits the first rows like the header (quote-aware).

    The widest header wins among delimiters giving the same field count on most of the
    first 50 rows: a ragged row does not mislead it (as it can DuckDB's sniffer), nor do
    delimiters inside quoted cells or unquoted in a column name ('id,"a;b",x' or 'id,a;b').
    """
    import csv
    import io
    from itertools import islice

    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        head = fh.read(1 << 16)
    if len(head) == 1 << 16 and "\n" in head:
        head = head[: head.rfind("\n") + 1]  # no partial last row
    best, best_score = None, (-1.0, 0)
    for delim in (",", ";", "\t", "|"):
        try:
            rows = list(islice(csv.reader(io.StringIO(head), delimiter=delim), 50))
        except csv.Error:
            continue
        width = len(rows[0]) if rows else 0
        if width < 2:
            continue
        body = [r for r in rows[1:] if r]
        score = (sum(len(r) == width for r in body) / len(body) if body else 1.0, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _find_ragged(path: Path, encoding: str, delim: str | None) -> tuple[int, int, int] | None:
    """On a failed read, find the first data row whose field count differs from the header."""
    import csv

    if not delim:
        return None
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
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


def _csv_error(path: Path, exc: Exception) -> InputError:
    """A DuckDB reader error as a message a person can act on."""
    text = str(exc)
    line = None
    for part in text.splitlines():
        if "Line:" in part:
            try:
                line = int(part.split("Line:")[1].split()[0].strip(","))
            except (ValueError, IndexError):
                pass
    first = text.splitlines()[0] if text else "unreadable"
    for marker in ("Error:", "Exception:"):
        if marker in first:
            first = first.split(marker, 1)[1].strip()
    if "Expected Number of Columns" in text or "too many columns" in text.lower():
        what = "A row has a different number of fields than the header (a ragged row)."
        fix = ("Check the row for a stray delimiter or an unclosed quote, or set "
               "[read] delimiter in a mapping file if the delimiter was guessed wrong.")
    elif "unicode" in text.lower():
        what = "The file's text encoding could not be read."
        fix = 'Save it as UTF-8, or set [read] encoding = "latin-1" in a mapping file.'
    elif "unterminated quote" in text.lower() or "quote" in first.lower():
        what = "A quoted field is never closed (an unterminated quote)."
        fix = "Check the row for a stray double quote, or export the file again."
    else:
        what = f"The file could not be read as CSV: {first}"
        fix = "Check that it is a delimited text export with a header row."
    return InputError(what, file=str(path), rows=[line - 1] if line and line > 1 else None,
                      fix=fix)


@dataclass
class _Source:
    """The file as DuckDB sees it: the view ``_file`` (text columns) and ``_sample``."""

    fmt: str
    details: dict[str, Any]
    columns: list[str]
    sample_rows: int
    whole: bool  # whether ``_sample`` holds every row of the file
    # How to read the file with native types for some columns (see ``_typed_view``): the
    # CSV reader's call, or the Parquet file's own column types.
    csv_read: Callable[[dict[str, str]], str] | None = None
    native: dict[str, str] = field(default_factory=dict)


def _csv_options(path: Path, read: dict[str, Any], encoding: str) -> tuple[str, str | None]:
    # skip = 0: the sniffer would otherwise skip leading rows to dodge a ragged one;
    # comment = '': it would otherwise drop rows whose first cell starts with "#".
    opts = ["header = true", "all_varchar = true", "auto_detect = true", "skip = 0",
            "comment = ''", f"encoding = {lit(encoding)}"]
    delim = read.get("delimiter") or _header_delimiter(path, encoding)
    if delim:
        opts.append(f"delim = {lit(delim)}")
    quote_char = read.get("quote")
    if quote_char:
        opts.append(f"quote = {lit(quote_char)}")
    return ", ".join(opts), delim


@dataclass(frozen=True)
class _Dialect:
    """A CSV's dialect as DuckDB's sniffer found it once, pinned for every later read, so
    that a read with other column types cannot sniff the file differently."""

    delim: str
    quote: str
    escape: str
    new_line: str
    encoding: str
    columns: tuple[str, ...]

    @classmethod
    def sniff(cls, cur: duckdb.DuckDBPyConnection, path: Path, opts: str,
              encoding: str) -> _Dialect:
        row = cur.execute("SELECT Delimiter, Quote, Escape, NewLineDelimiter, Columns FROM "
                          f"sniff_csv({lit(str(path))}, {opts})").fetchone()
        plain = ["" if v == "(empty)" else str(v) for v in row[:4]]
        return cls(*plain, encoding, tuple(c["name"] for c in row[4]))

    def read(self, path: Path, types: dict[str, str] | None = None) -> str:
        """``read_csv(...)`` of ``path`` in this dialect, text but for ``types``."""
        spec = ", ".join(f"{lit(c)}: {lit((types or {}).get(c, 'VARCHAR'))}"
                         for c in self.columns)
        return (f"read_csv({lit(str(path))}, header = true, auto_detect = false, skip = 0, "
                f"comment = '', delim = {lit(self.delim)}, quote = {lit(self.quote)}, "
                f"escape = {lit(self.escape)}, new_line = {lit(self.new_line)}, "
                f"encoding = {lit(self.encoding)}, columns = {{{spec}}})")


def _estimate_rows(path: Path) -> int:
    """Rows of a text file, estimated from the line lengths of its first megabyte."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    lines = head.count(b"\n")
    if len(head) >= size:
        return lines
    return int(size / max(1, len(head)) * max(1, lines))


def _make_sample(cur: duckdb.DuckDBPyConnection, rows: int) -> tuple[int, bool]:
    """Copy a deterministic sample of about ``PROFILE_SAMPLE`` rows of ``_file`` to ``_sample``.

    Rows are picked by a hash of their values, so the same file always gives the same
    sample (a reservoir sample over a parallel scan would not). This is the first full
    pass over the file, so it is also where a broken file shows itself.
    """
    cols = [quote(r[0]) for r in cur.execute("DESCRIBE _file").fetchall()]
    whole = rows <= 2 * PROFILE_SAMPLE
    # The first and last columns (usually an id, and a value) pick rows as well as all
    # columns would, at half the cost of hashing every column.
    keys = ", ".join(dict.fromkeys([cols[0], cols[-1]]))
    where = "" if whole else f" WHERE hash({keys}) % {int(rows)} < {PROFILE_SAMPLE}"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE _sample AS SELECT * FROM _file{where}")
    n = int(cur.execute("SELECT count(*) FROM _sample").fetchone()[0])
    if n == 0 and not whole:  # the estimate was wrong: look at the start of the file
        cur.execute("CREATE OR REPLACE TEMP TABLE _sample AS SELECT * FROM _file "
                    f"LIMIT {2 * PROFILE_SAMPLE}")
        n = int(cur.execute("SELECT count(*) FROM _sample").fetchone()[0])
    return n, whole


def _spread_sample(cur: duckdb.DuckDBPyConnection, path: Path, dialect: _Dialect,
                   est: int) -> int:
    """Copy about ``PROFILE_SAMPLE`` rows, from ``SAMPLE_CHUNKS`` places spread over a large
    CSV, to ``_sample``; 0 when the file does not allow it (then a full pass samples).

    Reading a few megabytes in place of the whole file: each chunk starts at the line
    after a fixed byte offset. A chunk whose rows do not all have the header's field count
    (it began or ended inside a quoted field that spans lines) is left out; the rest, with
    the header put back, are parsed in the file's dialect. Offsets are fixed, so the
    sample is the same on every run; the checks that follow see every row.
    """
    import csv
    import io
    import tempfile

    encoding, delim, quote_char = dialect.encoding, dialect.delim, dialect.quote or '"'
    if (encoding not in ("utf-8", "latin-1") or len(delim) != 1 or len(quote_char) != 1
            or est <= 4 * PROFILE_SAMPLE):
        return 0
    names = dialect.columns
    size = path.stat().st_size
    per_chunk = int(size / max(1, est) * PROFILE_SAMPLE / SAMPLE_CHUNKS * 1.1) + 1
    with tempfile.TemporaryDirectory(prefix="calibrate-sample-") as tmp, \
            open(path, "rb") as fh, open(Path(tmp) / "sample.csv", "wb") as out:
        header = fh.readline()
        out.write(header)
        width = len(next(csv.reader(io.StringIO(header.decode(encoding, errors="replace")),
                                    delimiter=delim, quotechar=quote_char), []))
        if width != len(names):
            return 0
        kept = 0
        for j in range(SAMPLE_CHUNKS):  # one chunk in memory at a time
            fh.seek(max(len(header), size * j // SAMPLE_CHUNKS))
            block = fh.read(per_chunk)
            start = 0 if j == 0 else block.find(b"\n") + 1
            end = block.rfind(b"\n") + 1
            if not (0 < start < end or (j == 0 and end)):
                continue
            rows = csv.reader(io.StringIO(block[start:end].decode(encoding, errors="replace")),
                              delimiter=delim, quotechar=quote_char, strict=True)
            try:
                if all(len(r) == width for r in rows):
                    out.write(block[start:end])
                    kept += 1
            except csv.Error:  # ends inside a quoted field
                continue
        out.close()
        if kept < SAMPLE_CHUNKS // 2:
            return 0
        try:
            cur.execute("CREATE OR REPLACE TEMP TABLE _sample AS SELECT * FROM "
                        + dialect.read(Path(out.name)))
        except duckdb.Error:
            return 0
        return int(cur.execute("SELECT count(*) FROM _sample").fetchone()[0])


def _file_columns(cur: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in cur.execute("DESCRIBE _file").fetchall()]


def _read_csv(cur: duckdb.DuckDBPyConnection, path: Path, read: dict[str, Any]) -> _Source:
    encoding = read.get("encoding") or _encoding(path)
    est = _estimate_rows(path)

    def attempt(enc: str) -> tuple[_Dialect, int, bool]:
        opts, _ = _csv_options(path, read, enc)
        dialect = _Dialect.sniff(cur, path, opts, enc)
        cur.execute(f"CREATE OR REPLACE TEMP VIEW _file AS SELECT * FROM {dialect.read(path)}")
        n = _spread_sample(cur, path, dialect, est)
        if n >= PROFILE_SAMPLE // 2:
            return dialect, n, False
        n, whole = _make_sample(cur, est)
        return dialect, n, whole

    try:
        try:
            dialect, n, whole = attempt(encoding)
        except duckdb.InvalidInputException as exc:
            if "unicode" in str(exc).lower() and encoding == "utf-8" and "encoding" not in read:
                encoding = "latin-1"
                dialect, n, whole = attempt(encoding)
            else:
                raise
    except duckdb.Error as exc:
        raise _csv_failure(path, read, encoding, exc) from None
    return _Source("csv", {"encoding": encoding}, list(dialect.columns), n, whole,
                   csv_read=lambda types: dialect.read(path, types))


def _csv_failure(path: Path, read: dict[str, Any], encoding: str,
                 exc: duckdb.Error) -> InputError:
    """A failed read of a CSV as a message: the ragged row by number when there is one."""
    _, delim = _csv_options(path, read, encoding)
    ragged = _find_ragged(path, encoding, delim)
    if ragged:
        row, found, expected = ragged
        return InputError(
            f"Row {row} has {found} fields but the header has {expected} (a ragged row).",
            file=str(path), rows=[row],
            fix="Check that row for a stray delimiter or an unclosed quote; if the "
                "delimiter was guessed wrong, set [read] delimiter in a mapping file.")
    return _csv_error(path, exc)


class _NotUtf8(Exception):
    """A file read as UTF-8 (its start decoded) holds other bytes further on."""


def _read_parquet(cur: duckdb.DuckDBPyConnection, path: Path) -> _Source:
    try:
        cur.execute(f"CREATE OR REPLACE TEMP VIEW _parquet AS SELECT * FROM read_parquet("
                    f"{lit(str(path))})")
        cols = [r[0] for r in cur.execute("DESCRIBE _parquet").fetchall()]
        cur.execute("CREATE OR REPLACE TEMP VIEW _file AS SELECT "
                    + ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in cols)
                    + " FROM _parquet")
        columns = _file_columns(cur)
        native = {r[0]: r[1] for r in cur.execute("DESCRIBE _parquet").fetchall()}
        rows = int(cur.execute("SELECT count(*) FROM _parquet").fetchone()[0])
        n, whole = _make_sample(cur, rows)
    except duckdb.Error as exc:
        raise InputError(f"The Parquet file cannot be read: {str(exc).splitlines()[0]}",
                         file=str(path), fix="Write the file again.") from None
    return _Source("parquet", {}, columns, n, whole, native=native)


def _blank_name(name: Any) -> bool:
    text = str(name)
    return text.startswith("Unnamed:") or not text.strip() or text == "nan"


def _check_merged_header(book: Any, path: Path, sheet: str) -> None:
    """Refuse a header row with merged cells (a group or title row above the real header):
    its columns would get made-up names and the real header would become a lead."""
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
                    if m.group(1) != m.group(3) and int(m.group(2)) <= 2:
                        found.append(m.group(0)[len(b'<mergeCell ref="'):-1].decode())
                tail = text[-200:]
    except (KeyError, OSError, zipfile.BadZipFile):
        return  # an unusual layout: the generated names stand
    found = list(dict.fromkeys(found))
    if found:
        raise InputError(
            f"The sheet '{sheet}' has merged cells in its header ({', '.join(found[:5])}), "
            "so some columns have no name of their own.",
            file=str(path), column=str(book.book[sheet].cell(1, 1).value or "") or None,
            fix="Unmerge the header cells and keep one header row with one name per column "
                "(delete group or title rows above it), then save again, or export CSV.")


def _xlsx_header(frame: Any, path: Path) -> list[str]:
    """Column names of a sheet; blank header cells get generated names."""
    names = []
    blanks = []
    for i, c in enumerate(frame.columns):
        name = str(c)
        if _blank_name(name):
            blanks.append(i + 1)
            name = f"column_{i + 1}"
        names.append(name)
    if blanks and len(blanks) == len(names):
        raise InputError("The sheet's first row is empty: it has no header row.",
                         file=str(path),
                         fix="Put the column names in the first row of the sheet (no title "
                             "rows above the table, no merged header cells).")
    return names


def _read_xlsx(cur: duckdb.DuckDBPyConnection, path: Path, read: dict[str, Any]) -> _Source:
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
                head = pd.read_excel(book, sheet_name=name, nrows=2, header=None)
                if len(head.dropna(how="all")) >= 2:  # a header and at least one row
                    sheet = name
                    break
        frame = pd.read_excel(book, sheet_name=sheet, dtype=str, header=0)
    except Exception as exc:  # a damaged sheet: openpyxl raises many kinds
        raise InputError(f"The sheet '{sheet}' cannot be read: {type(exc).__name__}: {exc}",
                         file=str(path),
                         fix="Open it in Excel and save it again as .xlsx, or export CSV.") \
            from None
    if any(_blank_name(c) for c in frame.columns):
        _check_merged_header(book, path, str(sheet))
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
    n, whole = _make_sample(cur, len(frame))
    details: dict[str, Any] = {"sheet": sheet}
    if len(sheets) > 1:
        details["sheets"] = ", ".join(sheets)
    return _Source("xlsx", details, columns, n, whole)


def read_raw(cur: duckdb.DuckDBPyConnection, path: str | os.PathLike[str],
             read: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Open a file as the view ``_file`` (text columns); return its format and details."""
    source = _open(cur, Path(path), read or {})
    return source.fmt, source.details


def _open(cur: duckdb.DuckDBPyConnection, p: Path, read: dict[str, Any]) -> _Source:
    if not p.exists():
        raise InputError("The file does not exist.", file=str(p), fix="Check the path.")
    if p.is_dir():
        raise InputError("This is a folder, not a file.", file=str(p),
                         fix="Give the path of a CSV, Parquet or XLSX file.")
    if p.stat().st_size == 0:
        raise InputError("The file is empty (0 bytes).", file=str(p),
                         fix="Export the leads again; the file should have a header row "
                             "and one row per lead.")
    fmt = sniff_format(p)
    _check_format(p, fmt)
    if fmt == "parquet":
        return _read_parquet(cur, p)
    if fmt == "xlsx":
        return _read_xlsx(cur, p, read)
    return _read_csv(cur, p, read)


# ---------------------------------------------------------------------- cleaning SQL


class _Sql:
    """Cleaning expressions over an already trimmed value ``t`` (see :meth:`trimmed`)."""

    def __init__(self, placeholders: tuple[str, ...]) -> None:
        values = sorted({p.strip().lower() for p in placeholders})
        self.placeholders = tuple(values)
        self.longest = max(len(v.encode("utf-8")) for v in values)
        # Placeholders the typed parses would accept ("0", "no", "1990-01-01"): typed
        # columns then test for placeholders before parsing.
        self.typed_guard = any(_parses(v) for v in values)

    @staticmethod
    def trimmed(col: str) -> str:
        # trim() is costly: only call it when an end may be a (Unicode) space.
        return (f"CASE WHEN starts_with({col}, ' ') OR ends_with({col}, ' ') "
                f"OR strlen({col}) <> length({col}) THEN trim({col}) ELSE {col} END")

    def is_placeholder(self, t: str) -> str:
        return f"(strlen({t}) <= {self.longest} AND {_one_of(t, self.placeholders)})"

    def text(self, t: str) -> str:
        return f"CASE WHEN {self.is_placeholder(t)} THEN NULL ELSE {t} END"

    def guard(self, t: str, expr: str) -> str:
        """``expr``, but missing for placeholders that would otherwise parse."""
        if not self.typed_guard:
            return expr
        return f"(CASE WHEN {self.is_placeholder(t)} THEN NULL ELSE {expr} END)"

    @staticmethod
    def plain_number(t: str) -> str:
        # Guard each parse with a regex: a failed cast costs far more than a match.
        return f"(CASE WHEN regexp_full_match({t}, '{_PLAIN_NUMBER}') THEN CAST({t} AS DOUBLE) END)"

    @staticmethod
    def decorated_number(t: str) -> str:
        return (f"(CASE WHEN regexp_full_match({t}, '{_DECORATED_NUMBER}') "
                f"THEN CAST(regexp_replace({t}, '[$€£%,\\s]', '', 'g') AS DOUBLE) END)")

    def number(self, t: str) -> str:
        # A number never starts with a letter: a cheap test skips the regexes for words.
        return (f"(CASE WHEN {t} >= 'A' AND {t} < '{{' THEN NULL "
                f"ELSE coalesce({self.plain_number(t)}, {self.decorated_number(t)}) END)")

    @staticmethod
    def flag(t: str) -> str:
        return (f"(CASE WHEN strlen({t}) > 9 THEN NULL WHEN {_one_of(t, _TRUE)} THEN true "
                f"WHEN {_one_of(t, _FALSE)} THEN false END)")

    @staticmethod
    def date(t: str, day_first: bool = False) -> str:
        slash = "%d/%m/%Y" if day_first else "%m/%d/%Y"
        return (
            # Every accepted form starts with a digit: a cheap test skips the regexes.
            f"(CASE WHEN NOT ({t} >= '0' AND {t} < ':') THEN NULL "
            f"WHEN regexp_full_match({t}, '{_ISO_DATE}') THEN TRY_CAST({t} AS TIMESTAMP) "
            f"WHEN regexp_full_match({t}, '\\d{{4}}/\\d{{1,2}}/\\d{{1,2}}') "
            f"THEN try_strptime({t}, '%Y/%m/%d') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') "
            f"THEN try_strptime({t}, '{slash}') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}} \\d{{1,2}}:\\d{{2}}') "
            f"THEN try_strptime({t}, '{slash} %H:%M') "
            f"WHEN regexp_full_match({t}, '{_SLASH_DATE} \\d{{1,2}}:\\d{{2}}:\\d{{2}}') "
            f"THEN try_strptime({t}, '{slash} %H:%M:%S') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}\\.\\d{{1,2}}\\.\\d{{4}}') "
            f"THEN try_strptime({t}, '%d.%m.%Y') END)"
        )


def _parses(value: str) -> bool:
    """Whether a placeholder would be read as a number, a yes/no or a date."""
    return bool(
        re.fullmatch(_PLAIN_NUMBER, value) or re.fullmatch(_DECORATED_NUMBER, value)
        or value in _TRUE or value in _FALSE or re.match(r"\d{1,4}[-/.]\d{1,2}[-/.]\d", value))


def _profile(cur: duckdb.DuckDBPyConnection, columns: list[str], sql: _Sql,
             rows: int) -> list[ColumnStats]:
    """Measure how each column's values look, from the distinct values of ``_sample``.

    Types are guessed from a fixed sample (as DuckDB's own sniffer does): the cost stays
    flat with file size; the checks that follow still see every row. Each parse runs once
    per distinct value of a column, in one short query whatever the number of columns.
    """
    if not columns:
        return []
    names = ", ".join(quote(c) for c in columns)
    found = cur.execute(
        "WITH v AS (SELECT col, val, count(*) AS n FROM (UNPIVOT (SELECT * FROM _sample) "
        f"ON {names} INTO NAME col VALUE val) GROUP BY ALL), "
        f"t AS (SELECT col, n, {sql.text('_s')} AS t FROM "
        f"(SELECT col, n, {sql.trimmed('val')} AS _s FROM v)) "
        f"SELECT col, sum(n), count(DISTINCT lower(t)), "
        f"coalesce(sum(n) FILTER (WHERE {sql.number('t')} IS NOT NULL), 0), "
        f"coalesce(sum(n) FILTER (WHERE {sql.flag('t')} IS NOT NULL), 0), "
        f"coalesce(sum(n) FILTER (WHERE {sql.date('t')} IS NOT NULL), 0) "
        "FROM t WHERE t IS NOT NULL GROUP BY col"
    ).fetchall()
    by_col = {r[0]: r[1:] for r in found}
    stats = []
    for c in columns:
        p, d, n, f, t = by_col.get(c, (0, 0, 0, 0, 0))
        stats.append(ColumnStats(c, rows, int(p), int(d), int(n), int(f), int(t)))
    return stats


def _day_first(cur: duckdb.DuckDBPyConnection, col: str, sql: _Sql) -> bool:
    """Whether slash dates in a column are day-first: some first part above 12 (sampled)."""
    t = sql.text(sql.trimmed(quote(col)))
    row = cur.execute(
        f"SELECT count(*) FILTER (WHERE TRY_CAST(split_part({t}, '/', 1) AS INT) > 12), "
        f"count(*) FILTER (WHERE TRY_CAST(split_part({t}, '/', 2) AS INT) > 12) "
        f"FROM _sample WHERE regexp_matches({t}, '^\\d{{1,2}}/\\d{{1,2}}/\\d{{2,4}}')"
    ).fetchone()
    return row[0] > 0 and row[1] == 0


def _counts_column(cur: duckdb.DuckDBPyConnection, col: str, sql: _Sql) -> bool:
    """Whether a behavior column holds counts: whole numbers, no percentages (sampled)."""
    t = sql.trimmed(quote(col))
    n, whole, pct = cur.execute(
        f"SELECT count(v), count(v) FILTER (WHERE v = trunc(v)), "
        f"count(*) FILTER (WHERE contains(t, '%')) "
        f"FROM (SELECT {t} AS t, {sql.number(t)} AS v FROM _sample)"
    ).fetchone()
    return n > 0 and pct == 0 and whole >= 0.99 * n


@dataclass
class _Plan:
    """How one raw column becomes a column of ``leads``, in the stages of one query.

    Over the trimmed text ``_t{i}``: ``parse`` gives ``_p{i}``, ``refine`` (numbers) gives
    ``_v{i}``, then ``value`` is what is stored and ``state`` the bits of what was done.
    """

    guess: ColumnGuess
    parse: str
    refine: str | None
    value: str
    state: str
    checks: list[tuple[str, int, str]]  # (kind, bit of the state, action)
    # When the column is read with a native type (see ``_fast_types``), ``_p{i}`` is that
    # value and ``native_state`` replaces ``state``.
    native_type: str | None = None
    native_state: str | None = None


def _plan(cur: duckdb.DuckDBPyConnection, guesses: list[ColumnGuess], sql: _Sql) -> list[_Plan]:
    now = datetime.now()
    future = f"TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}' + INTERVAL 1 DAY"
    early = f"TIMESTAMP '{EARLIEST:%Y-%m-%d}'"
    plans = []
    for i, g in enumerate(g for g in guesses if g.role not in ("ignore", "outcome")):
        t, p, v = f"_t{i}", f"_p{i}", f"_v{i}"
        blank = f"{t} IS NULL OR {t} = ''"
        missing = f"CASE WHEN {blank} THEN NULL WHEN {sql.is_placeholder(t)} THEN 1 ELSE 2 END"
        placeholder = ("placeholder values", _PLACEHOLDER, "treated as missing")
        type_ = g.type
        if g.role in ("created_at", "closed_at"):
            type_ = "date"
        if g.role in ("lead_id", "segment", "email", "phone", "company", "first_name",
                      "last_name", "full_name"):
            type_ = "text"
        if g.role == "amount":
            type_ = "numeric"
        g.type = type_
        refine = native_type = native_state = None
        if type_ == "numeric":
            parse = sql.guard(t, sql.plain_number(t))
            refine = f"coalesce({p}, {sql.guard(t, sql.decorated_number(t))})"
            good = f"isfinite({v})"
            bits = [f"CASE WHEN {p} IS NULL THEN {_SEPARATORS} ELSE 0 END"]
            checks = [placeholder,
                      ("non-numeric values", _INVALID,
                       "set to missing; fix the values or map the column as categorical"),
                      ("values with separators or symbols (1,200 / 35% / $)", _SEPARATORS,
                       "cleaned to plain numbers")]
            if g.role == "behavior":
                bits.append(f"CASE WHEN {v} < 0 THEN {_NEGATIVE} ELSE 0 END")
                checks.append(("negative counts", _NEGATIVE, "set to missing"))
                good += f" AND {v} >= 0"
                if _counts_column(cur, g.source_name, sql):
                    bits.append(f"CASE WHEN {v} <> trunc({v}) THEN {_FRACTION} ELSE 0 END")
                    checks.append(("fractional counts (a count should be a whole number)",
                                   _FRACTION, "kept as they are; check the export"))
            value = f"CASE WHEN {good} THEN {v} END"
            state = (f"CASE WHEN {v} IS NULL OR NOT isfinite({v}) THEN {missing} "
                     f"ELSE nullif({' + '.join(bits)}, 0) END")
            # Read as DOUBLE, "nan" (a placeholder) and "inf" are the only odd values left.
            native_type = "DOUBLE"
            native_state = (f"CASE WHEN {v} IS NULL THEN NULL WHEN isnan({v}) THEN {_PLACEHOLDER} "
                            f"WHEN NOT isfinite({v}) THEN {_INVALID} "
                            f"ELSE nullif({' + '.join(bits[1:]) or '0'}, 0) END")
        elif type_ == "flag":
            parse = sql.guard(t, sql.flag(t))
            value = p
            state = f"CASE WHEN {p} IS NULL THEN {missing} END"
            checks = [placeholder, ("values that are not yes/no", _INVALID, "set to missing")]
        elif type_ == "date":
            parse = sql.guard(t, sql.date(t, _day_first(cur, g.source_name, sql)))
            value = f"CASE WHEN {p} > {future} OR {p} < {early} THEN NULL ELSE {p} END"
            state = (f"CASE WHEN {p} IS NULL THEN {missing} WHEN {p} > {future} THEN {_FUTURE} "
                     f"WHEN {p} < {early} THEN {_EARLY} END")
            native_type = "TIMESTAMP"
            native_state = (f"CASE WHEN {p} > {future} THEN {_FUTURE} "
                            f"WHEN {p} < {early} THEN {_EARLY} END")
            checks = [placeholder,
                      ("unreadable dates", _INVALID, "set to missing; use YYYY-MM-DD"),
                      ("dates in the future", _FUTURE, "set to missing"),
                      ("dates before 1990", _EARLY, "set to missing")]
        else:
            parse = sql.text(t)
            value = p
            state = f"CASE WHEN {p} IS NULL AND {t} <> '' THEN 1 END"
            checks = [placeholder]
        plans.append(_Plan(g, parse, refine, value, state, checks, native_type, native_state))
    return plans


_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                  "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_TIME_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")


def _fast_types(cur: duckdb.DuckDBPyConnection, source: _Source,
                plans: list[_Plan]) -> dict[int, str]:
    """The numeric and date columns that can be read with a native type, by plan index.

    Parsing text in SQL costs far more than the CSV reader's own typed parse (or a plain
    cast). A Parquet column qualifies when the file already stores numbers or timestamps;
    a text column when every value of the sample is a plain number or an ISO date (no
    placeholder, separator, symbol or padding). A value further on that does not parse
    makes the read fail, and the whole file is then read as text (see ``_stage``).
    """
    wanted = {i: p.native_type for i, p in enumerate(plans) if p.native_type}
    fast = {}
    if source.fmt == "parquet":
        kinds = {"DOUBLE": _NUMERIC_TYPES, "TIMESTAMP": _TIME_TYPES}
        for i, t in list(wanted.items()):
            native = source.native.get(plans[i].guess.source_name, "").split("(")[0]
            if native in kinds[t]:
                fast[i] = t
            if native != "VARCHAR":
                del wanted[i]
    elif source.fmt != "csv":
        return {}
    if not wanted:
        return fast
    shapes = {"DOUBLE": _PLAIN_NUMBER, "TIMESTAMP": _ISO_DATE}
    odd = cur.execute("SELECT " + ", ".join(
        f"count(*) FILTER (WHERE {quote(plans[i].guess.source_name)} IS NOT NULL AND NOT "
        f"regexp_full_match({quote(plans[i].guess.source_name)}, '{shapes[t]}'))"
        for i, t in wanted.items()) + " FROM _sample").fetchone()
    return fast | {i: t for (i, t), n in zip(wanted.items(), odd, strict=True) if n == 0}


def _typed_view(cur: duckdb.DuckDBPyConnection, source: _Source, plans: list[_Plan],
                fast: dict[int, str]) -> None:
    """The view ``_typed``: ``_file`` with the ``fast`` columns read as native types."""
    types = {plans[i].guess.source_name: t for i, t in fast.items()}
    if source.fmt == "parquet":
        def column(c: str) -> str:
            if c in types and source.native.get(c) != "VARCHAR":
                return quote(c)  # numbers and timestamps as stored
            return f"CAST({quote(c)} AS {types.get(c, 'VARCHAR')}) AS {quote(c)}"

        cols = ", ".join(column(c) for c in source.columns)
        cur.execute(f"CREATE OR REPLACE TEMP VIEW _typed AS SELECT {cols} FROM _parquet")
        return
    assert source.csv_read is not None
    cur.execute(f"CREATE OR REPLACE TEMP VIEW _typed AS SELECT * FROM {source.csv_read(types)}")


def _stage(cur: duckdb.DuckDBPyConnection, source: _Source, plans: list[_Plan],
           outcome: ColumnGuess | None, generated_id: bool, sql: _Sql) -> None:
    """Write and commit the cleaned rows to the staging table: with the fast columns read
    as native types, or, when a value the sample did not show breaks that, all as text."""
    fast = _fast_types(cur, source, plans)
    if fast:
        _typed_view(cur, source, plans, fast)
        try:
            with transaction(cur, own_cursor=False) as tx:
                _clean(tx, plans, outcome, generated_id, sql, fast)
            return
        except duckdb.ConversionException:
            pass
    with transaction(cur, own_cursor=False) as tx:
        _clean(tx, plans, outcome, generated_id, sql, {})



_NEW = STAGING  # the cleaned rows, staged before they are checked and swapped in


def _clean(cur: duckdb.DuckDBPyConnection, plans: list[_Plan], outcome: ColumnGuess | None,
           generated_id: bool, sql: _Sql, fast: dict[int, str]) -> None:
    """One pass over the file into the table ``_calibrate_new``: every cleaned value, the
    outcome label ``outcome`` (mapped later) and per column a code ``_s{i}`` of what the
    cleaning did.

    The stages are nested projections, so each expression is evaluated once per value.
    Rows are inserted in file order, so ``rowid`` gives the row number in the file (a
    ``row_number()`` window would serialise the parallel scan).
    """
    stage1 = []
    if outcome is not None:
        stage1.append(f"{sql.trimmed(quote(outcome.source_name))} AS _label")
    stage1 += [f"CAST({quote(p.guess.source_name)} AS {fast[i]}) AS _p{i}" if i in fast
               else f"{sql.trimmed(quote(p.guess.source_name))} AS _t{i}"
               for i, p in enumerate(plans)]
    stage2 = [f"{p.parse} AS _p{i}" for i, p in enumerate(plans) if i not in fast]
    stage3 = [f"{'_p' + str(i) if i in fast else p.refine} AS _v{i}"
              for i, p in enumerate(plans) if p.refine]
    final = ["_label AS outcome" if outcome is not None else "'open' AS outcome"]
    if generated_id:
        final.append("CAST(NULL AS VARCHAR) AS lead_id")
    final += [f"{p.value} AS {quote(p.guess.name)}" for p in plans]
    final += [f"CAST({p.native_state if i in fast else p.state} AS UTINYINT) AS _s{i}"
              for i, p in enumerate(plans)]
    query = f"SELECT {', '.join(stage1)} FROM {'_typed' if fast else '_file'}"
    for stage in (stage2, stage3):
        if stage:
            query = f"SELECT *, {', '.join(stage)} FROM ({query})"
    cur.execute(f"CREATE OR REPLACE TABLE {_NEW} AS SELECT {', '.join(final)} FROM ({query})")


def _row_numbers(cur: duckdb.DuckDBPyConnection) -> str:
    """SQL for a row's number in the file: ``_calibrate_new`` holds the rows in file order,
    so it is the ``rowid`` less the first one's, plus one. Missing ids (all of them when
    the file has none) become that number."""
    first = cur.execute(f"SELECT min(rowid) FROM {_NEW}").fetchone()[0] or 0
    row = f"(rowid - {int(first) - 1})"
    cur.execute(f"UPDATE {_NEW} SET lead_id = 'row-' || CAST({row} AS VARCHAR) "
                "WHERE lead_id IS NULL")
    return row


def _run_checks(cur: duckdb.DuckDBPyConnection, plans: list[_Plan], row: str) -> list[Issue]:
    """Count every check, with its first example rows, from the codes of ``_calibrate_new``."""
    if not plans:
        return []
    hits = cur.execute(
        "SELECT " + ", ".join(f"count(_s{i})" for i in range(len(plans))) + f" FROM {_NEW}"
    ).fetchone()
    issues = []
    for i, plan in enumerate(plans):
        if not hits[i]:
            continue
        codes = cur.execute(f"SELECT _s{i}, count(*) FROM {_NEW} WHERE _s{i} IS NOT NULL "
                            "GROUP BY 1").fetchall()
        for kind, bit, action in plan.checks:
            n = sum(count for code, count in codes if code & bit)
            if n:
                rows = [int(r[0]) for r in cur.execute(
                    f"SELECT {row} FROM {_NEW} WHERE (_s{i} & {bit}) <> 0 ORDER BY rowid "
                    f"LIMIT {_EXAMPLES}").fetchall()]
                issues.append(Issue(plan.guess.name, kind, int(n), rows, action))
    return issues


def _outcome_expr(cur: duckdb.DuckDBPyConnection, path: Path, guess: ColumnGuess,
                  mapping: Mapping, row: str) -> str:
    """SQL mapping the outcome labels (still raw in ``_calibrate_new``) to won/lost/....

    Unknown labels fail, naming them with their counts and rows.
    """
    labels = cur.execute(
        f"SELECT outcome, count(*) FROM {_NEW} GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall()
    if len(labels) > MAX_OUTCOME_LABELS:
        raise InputError(
            f"The outcome column has {len(labels):,} different values; it does not look like "
            "an outcome (won / lost / no decision / open).",
            file=str(path), column=guess.source_name,
            fix="Pass the right column with --outcome COLUMN (or choose it in the app).")
    mapping_, unknown = normalise_all([lab for lab, _ in labels], mapping.outcomes)
    if unknown:
        counts = dict(labels)
        shown = ", ".join(f"'{u}' ({counts[u]:,} rows)" for u in unknown[:10])
        if len(unknown) > 10:
            shown += f" and {len(unknown) - 10:,} more"
        first = unknown[0]
        rows = [int(r[0]) for r in cur.execute(
            f"SELECT {row} FROM {_NEW} WHERE outcome = ? ORDER BY rowid LIMIT {_EXAMPLES}",
            [first]).fetchall()]
        raise InputError(
            f"Outcome labels not recognised: {shown}.",
            file=str(path), column=guess.source_name, rows=rows,
            fix="Say what each label means in a mapping file passed with --mapping, e.g.\n"
                f'  [outcomes]\n  won = ["{first}"]   # or lost / no_decision / open\n'
                "Known labels include: won / closed won / converted / yes / 1; lost / closed "
                "lost / no / 0; no decision / stalled; open / in progress / blank.")
    cases = " ".join(
        f"WHEN outcome = {lit(label)} THEN {lit(out)}"
        for label, out in mapping_.items() if label is not None
    )
    null_case = lit(mapping_.get(None, "open"))
    return f"CASE WHEN outcome IS NULL THEN {null_case} {cases} ELSE 'open' END"


def _analyse(cur: duckdb.DuckDBPyConnection, p: Path, mapping: Mapping,
             outcome: str | None) -> tuple[_Source, list[ColumnStats], list[ColumnGuess]]:
    source = _open(cur, p, mapping.read)
    columns = source.columns
    if source.sample_rows == 0:
        raise InputError("The file has a header but no rows of data.", file=str(p),
                         fix="Export the leads again with their rows.")
    for name in list(mapping.columns) + ([outcome] if outcome else []):
        if name not in columns:
            raise InputError(f"The column '{name}' named in the mapping is not in the file.",
                             file=str(p), column=name,
                             fix=f"Use one of the file's columns: {', '.join(columns)}.")
    sql = _Sql(PLACEHOLDERS + tuple(mapping.placeholders))
    stats = _profile(cur, columns, sql, source.sample_rows)
    guesses = guess_columns(stats, mapping, outcome)
    return source, stats, guesses


def analyse(cur: duckdb.DuckDBPyConnection, path: str | os.PathLike[str],
            mapping: Mapping | None = None, outcome: str | None = None,
            ) -> tuple[str, dict[str, Any], int, list[ColumnStats], list[ColumnGuess]]:
    """Open a file as ``_file`` and guess every column: the first half of an ingest."""
    with _duckdb_errors(Path(path)):
        source, stats, guesses = _analyse(cur, Path(path), mapping or Mapping(), outcome)
        rows = source.sample_rows if source.whole else int(
            cur.execute("SELECT count(*) FROM _file").fetchone()[0])
    return source.fmt, source.details, rows, stats, guesses


def preview(path: str | os.PathLike[str], mapping: Mapping | None = None,
            outcome: str | None = None) -> list[ColumnGuess]:
    """The guessed roles and types of a file's columns, without storing anything."""
    cur = duckdb.connect()
    try:
        with _duckdb_errors(Path(path)):
            return _analyse(cur, Path(path), mapping or Mapping(), outcome)[2]
    finally:
        cur.close()


@contextmanager
def _duckdb_errors(path: Path) -> Iterator[None]:
    """Any other DuckDB error while reading a file becomes a message, never a traceback."""
    try:
        yield
    except CalibrateError:
        raise
    except duckdb.OutOfMemoryException:
        raise InputError("The file is too large to load with the memory available.",
                         file=str(path),
                         fix="Free memory (close other programs), or split the file and "
                             "load the parts one after another (without --replace).") from None
    except duckdb.Error as exc:
        raise _csv_error(path, exc) from None
    except (UnicodeError, OSError) as exc:
        raise InputError(f"The file could not be read: {exc}", file=str(path),
                         fix="Check that it is a CSV, Parquet or XLSX export of leads.") \
            from None


def _bytes(setting: str) -> float:
    """A DuckDB memory setting ("18.8 GiB", "512.0 MiB") in bytes."""
    m = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?i?B|bytes)?\s*", setting or "")
    if not m:
        return float("inf")
    unit = (m.group(2) or "B").replace("bytes", "B")
    scale = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
             "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}.get(unit, 1)
    return float(m.group(1)) * scale


@contextmanager
def _memory_cap(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Cap DuckDB's memory during an ingest (it spills to disk beyond), then restore it."""
    old = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    capped = _bytes(old) > MEMORY_CAP
    if capped:
        con.execute(f"SET memory_limit = '{MEMORY_CAP >> 20}MiB'")
    try:
        yield
    finally:
        if capped:
            con.execute(f"SET memory_limit = {lit(old)}")


def ingest(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    *,
    outcome: str | None = None,
    mapping: Mapping | str | os.PathLike[str] | None = None,
    replace: bool = False,
    require_outcome: bool = True,
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Load a file into ``leads`` (replacing, or appending to, what is there).

    With ``require_outcome=False`` a file without an outcome column loads as open leads
    (new leads to score with agreed weights).

    Appending requires the same columns; rows whose ``lead_id`` is already stored replace
    the stored ones (a newer export wins). Raises :class:`InputError` with the file,
    column, rows and a fix; the database is then left exactly as it was.
    """
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    p = Path(path)
    say = progress or (lambda _msg: None)
    cur = con.cursor()
    try:
        with _memory_cap(cur), _duckdb_errors(p):
            try:
                return _ingest(cur, con, p, outcome, mapping, replace, require_outcome, say)
            except _NotUtf8:
                latin1 = dataclasses.replace(mapping, read={**mapping.read,
                                                            "encoding": "latin-1"})
                return _ingest(cur, con, p, outcome, latin1, replace, require_outcome, say)
    finally:
        for name in ("_sample", "_dup", "_file"):
            try:
                cur.execute(f"DROP TABLE IF EXISTS {name}")
            except duckdb.Error:
                pass
        for name in ("_file", "_typed", "_parquet"):
            try:
                cur.execute(f"DROP VIEW IF EXISTS {name}")
            except duckdb.Error:
                pass
        cur.close()


def _ingest(cur: duckdb.DuckDBPyConnection, con: duckdb.DuckDBPyConnection, p: Path,
            outcome: str | None, mapping: Mapping, replace: bool, require_outcome: bool,
            say: Callable[[str], None]) -> IngestReport:
    say("reading")
    source, stats, guesses = _analyse(cur, p, mapping, outcome)
    by_role = {g.role: g for g in guesses}
    if "outcome" not in by_role and require_outcome:
        raise InputError(
            "No outcome column found (looked for names like outcome, status, stage, "
            "converted, won).", file=str(p),
            fix="Name it with --outcome COLUMN. The file's columns are: "
                + ", ".join(g.source_name for g in guesses) + ".")
    if not any(g.role in ATTRIBUTE_ROLES for g in guesses):
        raise InputError("No profile or behavior columns to score.", file=str(p),
                         fix="Map at least one column as profile or behavior.")
    sql = _Sql(PLACEHOLDERS + tuple(mapping.placeholders))
    say("checking")
    plans = _plan(cur, guesses, sql)
    columns = list(guesses)
    generated_id = "lead_id" not in by_role
    for role, type_, reason in (("outcome", "categorical", "no outcome column: all open"),
                                ("lead_id", "text", "row number")):
        if role not in by_role:
            for g in columns:  # an attribute named like the generated column steps aside
                if g.name == role:
                    g.name += "_attr"
            columns.insert(0, ColumnGuess("", role, role, type_, reason))
    # Two transactions, under the process's write lock throughout: the first only writes
    # the cleaned rows to a staging table; the second checks them, merges duplicates and
    # swaps them in. Rows deleted from a table in the transaction that wrote it make
    # DuckDB copy the whole table again at commit (3 s of 12 on a million rows); deleted
    # after its commit, they cost nothing. ``leads`` changes only in the second, so a
    # failure anywhere still leaves it as it was, and the staging table is dropped.
    with WRITE_LOCK:
        mode = _check_append(cur, p, columns, replace)
        try:
            try:
                _stage(cur, source, plans, by_role.get("outcome"), generated_id, sql)
            except duckdb.Error as exc:
                # A large CSV is sampled without reading all of it: a broken row or a
                # byte that is not UTF-8 further on shows itself here.
                if source.fmt != "csv":
                    raise
                encoding = source.details["encoding"]
                if ("unicode" in str(exc).lower() and encoding == "utf-8"
                        and "encoding" not in mapping.read):
                    raise _NotUtf8() from None
                raise _csv_failure(p, mapping.read, encoding, exc) from None
            with transaction(cur, own_cursor=False) as tx:
                row = _row_numbers(tx)
                rows = int(tx.execute(f"SELECT count(*) FROM {_NEW}").fetchone()[0])
                outcome_sql = (_outcome_expr(tx, p, by_role["outcome"], mapping, row)
                               if "outcome" in by_role else "outcome")
                issues = _run_checks(tx, plans, row)
                if not generated_id:
                    issues += _duplicates(tx, outcome_sql, row)
                say("storing")
                _store(tx, plans, columns, outcome_sql, mode)
                store_columns(tx, columns)
                tx.execute(
                    "INSERT INTO ingests VALUES (nextval('ingest_id_seq'), now(), ?, ?, ?, ?)",
                    [str(p), rows, mode, _issues_json(issues)],
                )
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {_NEW}")
    report = _report(con, p, source.fmt, source.details, rows, columns, issues, mode)
    report.warnings.extend(_free_text_warnings(guesses, stats))
    return report


def _free_text_warnings(guesses: list[ColumnGuess], stats: list[ColumnStats]) -> list[str]:
    """Scored columns with a different value in (nearly) every row cannot be scored."""
    by_name = {s.name: s for s in stats}
    out = []
    for g in guesses:
        s = by_name.get(g.source_name)
        if g.role in ATTRIBUTE_ROLES and g.type == "text" and s is not None:
            out.append(
                f"Column '{g.source_name}' has {s.distinct:,} different values in "
                f"{s.present:,} rows (free text or identifiers): as a {g.role} attribute "
                "almost every value is pooled into 'Other', so it scores nothing. Set its "
                "role to ignore, or group its values (cities into regions) before loading.")
    return out


def _check_append(tx: duckdb.DuckDBPyConnection, path: Path, columns: list[ColumnGuess],
                  replace: bool) -> str:
    """``append`` when leads are stored and not replaced: then the columns must match."""
    from calibrate.store import read_columns, table_exists

    if replace or not table_exists(tx, "leads"):
        return "replace"
    old = {(c.name, c.type) for c in read_columns(tx) if c.role != "ignore"}
    new = {(c.name, c.type) for c in columns if c.role != "ignore"}
    if old != new:
        missing = sorted(n for n, _ in old - new)
        added = sorted(n for n, _ in new - old)
        raise InputError(
            "The file's columns differ from the leads already loaded "
            f"(missing or changed: {', '.join(missing) or 'none'}; new or changed: "
            f"{', '.join(added) or 'none'}).",
            file=str(path),
            fix="Pass --replace to replace the stored leads with this file, or "
                "export the same columns as before.")
    return "append"


def _duplicates(cur: duckdb.DuckDBPyConnection, outcome_sql: str,
                row_sql: str) -> list[Issue]:
    """Report duplicated lead ids and drop all but the last row of each (file order kept)."""
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE _dup AS SELECT {row_sql} AS _row, lead_id, "
        f"{outcome_sql} AS outcome "
        f"FROM {_NEW} WHERE lead_id IN "
        f"(SELECT lead_id FROM {_NEW} GROUP BY lead_id HAVING count(*) > 1)")
    row = cur.execute(
        "SELECT count(*) FILTER (WHERE n_outcomes = 1), count(*) FILTER (WHERE n_outcomes > 1),"
        " sum(n - 1) FILTER (WHERE n_outcomes = 1), sum(n - 1) FILTER (WHERE n_outcomes > 1) "
        "FROM (SELECT lead_id, count(*) AS n, count(DISTINCT outcome) AS n_outcomes "
        "FROM _dup GROUP BY lead_id)"
    ).fetchone()
    issues = []
    same, conflicting = int(row[0]), int(row[1])
    if same:
        rows = [int(r[0]) for r in cur.execute(
            "SELECT _row FROM _dup QUALIFY count(DISTINCT outcome) OVER (PARTITION BY lead_id) "
            "= 1 ORDER BY _row LIMIT 5").fetchall()]
        issues.append(Issue("lead_id", "duplicated lead ids with the same outcome", int(row[2]),
                            rows, f"{same:,} ids kept once (the last row)"))
    if conflicting:
        rows = [int(r[0]) for r in cur.execute(
            "SELECT _row FROM _dup QUALIFY count(DISTINCT outcome) OVER "
            "(PARTITION BY lead_id) > 1 ORDER BY _row LIMIT 5").fetchall()]
        issues.append(Issue("lead_id", "duplicated lead ids with different outcomes",
                            int(row[3]), rows,
                            f"{conflicting:,} ids kept once, the last row in the file wins"))
    if same or conflicting:
        cur.execute(f"DELETE FROM {_NEW} WHERE {row_sql} IN (SELECT _row FROM _dup "
                    "QUALIFY _row < max(_row) OVER (PARTITION BY lead_id))")
    cur.execute("DROP TABLE _dup")
    return issues


def _store(tx: duckdb.DuckDBPyConnection, plans: list[_Plan], columns: list[ColumnGuess],
           outcome_sql: str, mode: str) -> None:
    """Turn ``_calibrate_new`` into the leads: map the outcome labels, drop the helper
    columns, then replace ``leads`` by it or append it (rows with a stored id replace it)."""
    if outcome_sql != "outcome":
        tx.execute(f"ALTER TABLE {_NEW} ALTER outcome SET DATA TYPE VARCHAR USING ({outcome_sql})")
    for helper in [f"_s{i}" for i in range(len(plans))]:
        tx.execute(f"ALTER TABLE {_NEW} DROP COLUMN {helper}")
    if mode == "append":
        names = ", ".join(quote(c.name) for c in columns if c.role != "ignore")
        tx.execute(f"DELETE FROM leads WHERE lead_id IN (SELECT lead_id FROM {_NEW})")
        tx.execute(f"INSERT INTO leads ({names}) SELECT {names} FROM {_NEW}")
        tx.execute(f"DROP TABLE {_NEW}")
    else:
        tx.execute("DROP TABLE IF EXISTS leads")
        tx.execute(f"ALTER TABLE {_NEW} RENAME TO leads")


def _issues_json(issues: list[Issue]) -> str:
    from calibrate.store import to_json

    return to_json([i.__dict__ for i in issues])


def _report(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, details: dict[str, Any],
            rows: int, columns: list[ColumnGuess], issues: list[Issue],
            mode: str) -> IngestReport:
    has_created = any(c.role == "created_at" for c in columns)
    counts = dict(con.execute("SELECT outcome, count(*) FROM leads GROUP BY 1").fetchall())
    loaded = int(sum(counts.values()))
    dates: tuple[Any, Any] = (None, None)
    if has_created:
        dates = tuple(con.execute("SELECT min(created_at), max(created_at) FROM leads")
                      .fetchone())  # type: ignore[assignment]
    report = IngestReport(str(path), fmt, rows, loaded, columns,
                          {k: int(counts.get(k, 0)) for k in OUTCOMES}, dates, issues,
                          details=details, mode=mode)
    report.warnings.extend(fit_warnings(report.outcome_counts))
    if mode == "append":
        report.rows_loaded = loaded
    return report

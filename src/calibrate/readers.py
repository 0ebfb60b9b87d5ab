"""Opening a CRM export (CSV, Parquet, XLSX) for DuckDB, and drawing its profile sample.

The file becomes the view ``_file`` (every column as text), read by DuckDB, streaming:
Python never holds a CSV or Parquet file. A CSV's dialect is sniffed once and pinned, so
that every later read sees the same rows. A fixed-size, deterministic sample of rows goes
to ``_sample`` for profiling; a large CSV is sampled from chunks spread over it instead of
by a full pass. Broken files (binary, empty, ragged, unterminated quotes, another
encoding) get a message naming the file, the row and the fix.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from calibrate.errors import InputError
from calibrate.store import quote

PROFILE_SAMPLE = 20_000
#: A large CSV is profiled from this many chunks spread over it (see ``_spread_sample``).
SAMPLE_CHUNKS = 16


def lit(text: str) -> str:
    """A SQL string literal (single quotes doubled), for fixed vocabularies only."""
    return "'" + str(text).replace("'", "''") + "'"


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


def csv_error(path: Path, exc: Exception) -> InputError:
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
class Source:
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
            if _whole_rows(block[start:end], width, encoding, delim, quote_char):
                out.write(block[start:end])
                kept += 1
        out.close()
        if kept < SAMPLE_CHUNKS // 2:
            return 0
        try:
            cur.execute("CREATE OR REPLACE TEMP TABLE _sample AS SELECT * FROM "
                        + dialect.read(Path(out.name)))
        except duckdb.Error:
            return 0
        return int(cur.execute("SELECT count(*) FROM _sample").fetchone()[0])


def _whole_rows(chunk: bytes, width: int, encoding: str, delim: str, quote_char: str) -> bool:
    """Whether a chunk of lines holds whole rows of ``width`` fields.

    When every line has an even number of quotes, no field spans lines and the chunk,
    cut at line ends, holds whole rows: a ragged one fails the sample's read, and the
    sample is then drawn by a full pass that reports it. Else the csv module finds where
    quoted fields end (ten times slower).
    """
    import csv
    import io

    q = quote_char.encode(encoding)
    if all(line.count(q) % 2 == 0 for line in chunk.split(b"\n")):
        return True
    rows = csv.reader(io.StringIO(chunk.decode(encoding, errors="replace")),
                      delimiter=delim, quotechar=quote_char, strict=True)
    try:
        return all(len(r) == width for r in rows)
    except csv.Error:  # ends inside a quoted field
        return False


def _file_columns(cur: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in cur.execute("DESCRIBE _file").fetchall()]


def _read_csv(cur: duckdb.DuckDBPyConnection, path: Path, read: dict[str, Any]) -> Source:
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
            if not_utf8(exc, encoding, read):
                encoding = "latin-1"
                dialect, n, whole = attempt(encoding)
            else:
                raise
    except duckdb.Error as exc:
        raise csv_failure(path, read, encoding, exc) from None
    return Source("csv", {"encoding": encoding}, list(dialect.columns), n, whole,
                  csv_read=lambda types: dialect.read(path, types))


def csv_failure(path: Path, read: dict[str, Any], encoding: str,
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
    return csv_error(path, exc)


class NotUtf8(Exception):
    """A file read as UTF-8 (its start decoded) holds other bytes further on."""


def not_utf8(exc: duckdb.Error, encoding: str, read: dict[str, Any]) -> bool:
    """Whether a read failed on bytes that are not UTF-8 while UTF-8 was only a guess (no
    encoding set in the mapping): then the file is read again as Latin-1."""
    return "unicode" in str(exc).lower() and encoding == "utf-8" and "encoding" not in read


def _read_parquet(cur: duckdb.DuckDBPyConnection, path: Path) -> Source:
    try:
        cur.execute(f"CREATE OR REPLACE TEMP VIEW _parquet AS SELECT * FROM read_parquet("
                    f"{lit(str(path))})")
        native = {r[0]: r[1] for r in cur.execute("DESCRIBE _parquet").fetchall()}
        cur.execute("CREATE OR REPLACE TEMP VIEW _file AS SELECT "
                    + ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in native)
                    + " FROM _parquet")
        columns = list(native)
        rows = int(cur.execute("SELECT count(*) FROM _parquet").fetchone()[0])
        n, whole = _make_sample(cur, rows)
    except duckdb.Error as exc:
        raise InputError(f"The Parquet file cannot be read: {str(exc).splitlines()[0]}",
                         file=str(path), fix="Write the file again.") from None
    return Source("parquet", {}, columns, n, whole, native=native)


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


def _read_xlsx(cur: duckdb.DuckDBPyConnection, path: Path, read: dict[str, Any]) -> Source:
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
    return Source("xlsx", details, columns, n, whole)


def open_source(cur: duckdb.DuckDBPyConnection, p: Path, read: dict[str, Any]) -> Source:
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

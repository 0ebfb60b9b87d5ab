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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from calibrate.errors import InputError
from calibrate.sql import literal, quote

PROFILE_SAMPLE = 20_000
#: A large CSV is profiled from this many chunks spread over it (see ``_spread_sample``).
SAMPLE_CHUNKS = 16
#: The start of a CSV read to find its delimiter and header row (see ``_layout``).
HEAD_BYTES = 1 << 16
#: Title lines (report name, date, blank lines) looked past for the header row.
MAX_TITLE_LINES = 20
#: Rows below a header compared with it; the share of them with its field count must
#: reach ``CONSISTENT`` for title lines to be skipped.
ROWS_COMPARED = 50
CONSISTENT = 0.8
#: The longest row (bytes) a CSV may have unless the mapping says otherwise. DuckDB's own
#: limit is 2 MB; it is raised only for a file that needs it (see ``_read_csv``).
MAX_LINE_SIZE = 64 << 20
DUCKDB_LINE_SIZE = 2_000_000


def sniff_format(path: Path) -> str:
    """The file's real format from its first bytes: parquet, xlsx, xls, zip, ods or csv.

    A ZIP archive is an XLSX workbook only when it holds one; one that cannot be listed
    (a damaged workbook) is still taken for the workbook its first bytes announce.
    """
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


def _zip_members(path: Path) -> list[str] | None:
    """The names in a ZIP archive (read from its directory at the end), or None."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def _zip_kind(path: Path) -> str:
    """What a ZIP archive is: an XLSX workbook, an OpenDocument spreadsheet or a plain zip."""
    names = _zip_members(path)
    if names is None:
        return "xlsx"
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "mimetype" in names and "content.xml" in names:
        return "ods"
    return "zip"


def _some(names: list[str], shown: int = 3) -> str:
    """A few names, then how many more."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _zip_error(path: Path) -> InputError:
    """A ZIP archive that is not a workbook (a zip of CSV exports): say so, and what is in it."""
    names = [n for n in _zip_members(path) or []
             if not n.endswith("/") and not n.startswith("__MACOSX/")]
    tables = [n for n in names if Path(n).suffix.lower() in (".csv", ".tsv", ".txt")]
    others = [n for n in names if Path(n).suffix.lower() in (".xlsx", ".xlsm", ".parquet")]
    what = (f"The file is a ZIP archive (holding {_some(names)}), not a CSV, Parquet or "
            "XLSX export." if names else
            "The file is an empty ZIP archive, not a CSV, Parquet or XLSX export.")
    if tables:
        fix = f"Unzip it and load the CSV inside ({_some(tables)}) instead."
    elif others:
        fix = f"Unzip it and load the file inside ({_some(others)}) instead."
    else:
        fix = "Unzip it and load the CSV inside, or export the leads again as CSV or XLSX."
    return InputError(what, file=str(path), fix=fix)


def _check_format(path: Path, real: str) -> None:
    ext = path.suffix.lower().lstrip(".")
    expected = {"csv": "csv", "txt": "csv", "tsv": "csv", "parquet": "parquet", "pq": "parquet",
                "xlsx": "xlsx", "xlsm": "xlsx", "xls": "xls"}.get(ext)
    if real == "zip":
        raise _zip_error(path)
    if real == "ods":
        raise InputError("This is an OpenDocument (.ods) spreadsheet, which is not supported.",
                         file=str(path), fix="Open it and save it as .xlsx or .csv.")
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


#: Control bytes no text export holds (tab, line feed and carriage return are text).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13))
#: C1 control bytes: no encoding DuckDB reads as text (UTF-8 aside) has characters there.
_C1 = bytes(range(0x80, 0xA0))


def _looks_binary(head: bytes) -> bool:
    """NUL bytes (outside UTF-16), many control bytes, or, when the bytes are not UTF-8,
    more than a tenth of control or C1 bytes (random bytes): not a text export."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, _CONTROL))
    if control > max(8, len(head) // 20):
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return False
    except UnicodeDecodeError:
        odd = control + len(head) - len(head.translate(None, _C1))
        return odd * 10 >= len(head)


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


@dataclass(frozen=True)
class _Layout:
    """Where a CSV's table starts: its delimiter (None: left to DuckDB's sniffer) and the
    number of lines above its header (a report's title lines; 0 for most files)."""

    delim: str | None
    skip: int = 0


def _count_option(path: Path, read: dict[str, Any], key: str) -> int | None:
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


def _filled(cells: Any) -> int:
    """How many cells hold something (not blank, not missing: None or NaN)."""
    return sum(1 for c in cells if (c.strip() if isinstance(c, str)
                                    else c is not None and c == c))


_NUMBER = re.compile(r"[\s$€£%+\-.,:/()]*\d[\d\s$€£%+\-.,:/()]*")


def _header_like(row: list[str]) -> bool:
    """Two or more cells, mostly filled, mostly not numbers or dates: column names."""
    filled = _filled(row)
    numbers = sum(1 for c in row if _NUMBER.fullmatch(c))
    return len(row) >= 2 and filled * 2 > len(row) and numbers * 2 < filled


def _title_like(row: list[str], width: int) -> bool:
    """A line a report writes above its table: blank, or one cell (two in a wide table)."""
    return _filled(row) <= (2 if width >= 6 else 1)


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


def _layout(path: Path, read: dict[str, Any], encoding: str) -> _Layout:
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
    skip = _count_option(path, read, "skip")
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
        return _Layout(delim, skip or 0)  # the usual file: the header comes first
    titled, titled_score = None, (CONSISTENT, 0)
    for candidate in delims:  # the rows below title lines too
        records = _records(head, candidate, cut, MAX_TITLE_LINES + ROWS_COMPARED)
        at = _title_records(records) if records else None
        if records is None or at is None:
            continue
        score = (_consistency(records, at), len(records[at][1]))
        if score >= titled_score:
            titled = _Layout(read.get("delimiter") or candidate, records[at][0])
            titled_score = score
    return titled or _Layout(delim, 0)


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


def _line_sizes(exc: Exception) -> tuple[int, int] | None:
    """The limit and the size of a row DuckDB found too long, from its error."""
    m = _LINE_TOO_LONG.search(str(exc))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _roomy(size: int) -> int:
    """A row-size limit with room for a row of ``size`` bytes (and a longer one later)."""
    return min(MAX_LINE_SIZE, max(2 * size, 8 << 20))


def _sniff_failed(exc: Exception) -> bool:
    """Whether DuckDB's sniffer found no dialect (it says no more when a row is too long)."""
    return "Error when sniffing file" in str(exc)


def _bigger_line_size(path: Path, exc: Exception, sizes: tuple[int, int] | None,
                      current: int | None) -> int | None:
    """The row-size limit to read the file again with after ``exc``, or None.

    A row DuckDB measured gets room for itself (up to ``MAX_LINE_SIZE``); a failed sniff
    of a file larger than the limit tries 8 MB, then ``MAX_LINE_SIZE``.
    """
    now = current or DUCKDB_LINE_SIZE
    if sizes:
        want = _roomy(sizes[1]) if sizes[1] <= MAX_LINE_SIZE else 0
    elif _sniff_failed(exc) and path.stat().st_size > now:
        want = MAX_LINE_SIZE if now >= 8 << 20 else min(8 << 20, MAX_LINE_SIZE)
    else:
        return None
    return want if want > now else None


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _long_row(path: Path, encoding: str, layout: _Layout, quote_char: str,
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


def _long_row_error(path: Path, read: dict[str, Any], encoding: str, layout: _Layout,
                    limit: int, actual: int,
                    found: tuple[int, str, int, int] | None = None) -> InputError:
    """A row longer than DuckDB may read (``actual`` bytes, ``found`` by ``_long_row`` if
    already looked for): its number, column and size, and the setting that reads it."""
    found = found or _long_row(path, encoding, layout, read.get("quote") or '"', limit)
    need = max(actual, found[3] if found else 0)
    room = -(-max(2 * need, 8 << 20) // (1 << 20)) << 20  # whole MiB
    setting = (f"Load it again with a mapping file (--mapping) that sets [read] "
               f"max_line_size = {room}, or shorten that cell in the export.")
    if found is None:
        return InputError(f"A row is {_mb(actual)} long, more than the {_mb(limit)} a row "
                          "may take.", file=str(path), fix=setting)
    row, column, cell, _ = found
    return InputError(f"Row {row} is {_mb(need)} long, more than the "
                      f"{_mb(limit)} a row may take: its column '{column}' holds "
                      f"{_mb(cell)}.", file=str(path), column=column, rows=[row], fix=setting)


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
    if "Expected Number of Columns" in text or "too many columns" in text.lower():
        what = "A row has a different number of fields than the header (a ragged row)."
        fix = ("Check the row for a stray delimiter or an unclosed quote, or set "
               "[read] delimiter in a mapping file if the delimiter was guessed wrong.")
    elif "unicode" in text.lower():
        what = "The file's text encoding could not be read."
        fix = 'Save it as UTF-8, or set [read] encoding = "latin-1" in a mapping file.'
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


def _csv_options(read: dict[str, Any], encoding: str, layout: _Layout,
                 line_size: int | None) -> str:
    """The sniffer's options: the layout found, the mapping's quote, a raised row size."""
    # skip: the title lines found (usually 0): the sniffer would otherwise skip leading
    # rows to dodge a ragged one; comment = '': it would otherwise drop rows whose first
    # cell starts with "#".
    opts = ["header = true", "all_varchar = true", "auto_detect = true",
            f"skip = {int(layout.skip)}", "comment = ''", f"encoding = {literal(encoding)}"]
    if layout.delim:
        opts.append(f"delim = {literal(layout.delim)}")
    quote_char = read.get("quote")
    if quote_char:
        opts.append(f"quote = {literal(quote_char)}")
    if line_size:
        opts.append(f"max_line_size = {int(line_size)}")
    return ", ".join(opts)


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
    skip: int = 0  # title lines above the header
    max_line_size: int | None = None  # None: DuckDB's default (2 MB)

    @classmethod
    def sniff(cls, cur: duckdb.DuckDBPyConnection, path: Path, opts: str, encoding: str,
              skip: int = 0, max_line_size: int | None = None) -> _Dialect:
        row = cur.execute("SELECT Delimiter, Quote, Escape, NewLineDelimiter, Columns FROM "
                          f"sniff_csv({literal(str(path))}, {opts})").fetchone()
        plain = ["" if v == "(empty)" else str(v) for v in row[:4]]
        return cls(*plain, encoding, tuple(c["name"] for c in row[4]), skip, max_line_size)

    def read(self, path: Path, types: dict[str, str] | None = None) -> str:
        """``read_csv(...)`` of ``path`` in this dialect, text but for ``types``."""
        spec = ", ".join(f"{literal(c)}: {literal((types or {}).get(c, 'VARCHAR'))}"
                         for c in self.columns)
        size = f"max_line_size = {int(self.max_line_size)}, " if self.max_line_size else ""
        return (f"read_csv({literal(str(path))}, header = true, auto_detect = false, "
                f"skip = {int(self.skip)}, {size}"
                f"comment = '', delim = {literal(self.delim)}, quote = {literal(self.quote)}, "
                f"escape = {literal(self.escape)}, new_line = {literal(self.new_line)}, "
                f"encoding = {literal(self.encoding)}, columns = {{{spec}}})")


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
        for _ in range(dialect.skip):  # title lines above the header
            fh.readline()
        header = fh.readline()
        body = fh.tell()
        out.write(header)
        width = len(next(csv.reader(io.StringIO(header.decode(encoding, errors="replace")),
                                    delimiter=delim, quotechar=quote_char), []))
        if width != len(names):
            return 0
        kept = 0
        for j in range(SAMPLE_CHUNKS):  # one chunk in memory at a time
            fh.seek(max(body, size * j // SAMPLE_CHUNKS))
            block = fh.read(per_chunk)
            if len(block) == per_chunk and b"\n" not in block:
                return 0  # a row longer than a chunk: a full pass samples (and measures) it
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
                        + replace(dialect, skip=0).read(Path(out.name)))
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
    """Open a CSV as ``_file`` and sample it. A row longer than DuckDB's default limit
    (2 MB: a long e-mail body in a cell) makes it read again with a limit that holds it,
    up to ``MAX_LINE_SIZE`` or the mapping's ``[read] max_line_size``; other files are
    read with DuckDB's default, whose buffers (16 times the limit) are smaller."""
    encoding = read.get("encoding") or _encoding(path)
    est = _estimate_rows(path)
    chosen = _count_option(path, read, "max_line_size")
    line_size = chosen
    layout = _Layout(None)
    renamed: list[str] = []

    def attempt(enc: str) -> tuple[_Dialect, int, bool]:
        nonlocal layout
        layout = _layout(path, read, enc)
        opts = _csv_options(read, enc, layout, line_size)
        dialect = _Dialect.sniff(cur, path, opts, enc, layout.skip, line_size)
        dialect = replace(dialect, columns=tuple(_header_names(path, dialect, renamed)))
        cur.execute(f"CREATE OR REPLACE TEMP VIEW _file AS SELECT * FROM {dialect.read(path)}")
        n = _spread_sample(cur, path, dialect, est)
        if n >= PROFILE_SAMPLE // 2:
            return dialect, n, False
        n, whole = _make_sample(cur, est)
        return dialect, n, whole

    while True:
        try:
            try:
                dialect, n, whole = attempt(encoding)
            except duckdb.InvalidInputException as exc:
                if not_utf8(exc, encoding, read):
                    encoding = "latin-1"
                    dialect, n, whole = attempt(encoding)
                else:
                    raise
            break
        except duckdb.Error as exc:
            sizes = _line_sizes(exc)
            bigger = None if chosen else _bigger_line_size(path, exc, sizes, line_size)
            if bigger:
                line_size = bigger
                continue
            layout, limit = _layout(path, read, encoding), line_size or DUCKDB_LINE_SIZE
            found = None
            if sizes is None and _sniff_failed(exc) and path.stat().st_size > limit:
                found = _long_row(path, encoding, layout, read.get("quote") or '"', limit)
                if found and found[3] > limit:  # a row too long for the sniffer
                    sizes = (limit, found[3])
            if sizes is None:
                raise csv_failure(path, read, encoding, exc) from None
            raise _long_row_error(path, read, encoding, layout, chosen or MAX_LINE_SIZE,
                                  sizes[1], found) from None
    details: dict[str, Any] = {"encoding": encoding}
    if layout.skip:
        details["skipped title lines"] = layout.skip
    if renamed:
        details["headers renamed"] = "; ".join(dict.fromkeys(renamed))
    return Source("csv", details, list(dialect.columns), n, whole,
                  csv_read=lambda types: dialect.read(path, types))


def _header_names(path: Path, dialect: _Dialect, renamed: list[str]) -> list[str]:
    """The header as the file wrote it, blank and repeated names made clear and stable
    ("Column 3", "Source (2)") and noted in ``renamed``; DuckDB's own names ("column2",
    "Source_1") when the header line cannot be read back as the sniffer saw it."""
    import csv
    import io

    from calibrate.data.roles import unique_names

    with open(path, "rb") as fh:
        head = fh.read(1 << 16).decode(dialect.encoding if dialect.encoding != "utf-8"
                                       else "utf-8-sig", errors="replace")
    lines = head.splitlines()[dialect.skip:dialect.skip + 1]
    if not lines or len(dialect.delim) != 1:
        return list(dialect.columns)
    raw = next(csv.reader(io.StringIO(lines[0]), delimiter=dialect.delim,
                          quotechar=dialect.quote or '"'), [])
    if len(raw) != len(dialect.columns):
        return list(dialect.columns)
    names = unique_names(raw)
    for i, (was, now) in enumerate(zip(raw, names, strict=True), start=1):
        if was.strip() != now:
            what = f"'{was.strip()}' again" if was.strip() else "a blank header"
            renamed.append(f"{what} in column {i} named '{now}'")
    return names


def csv_failure(path: Path, read: dict[str, Any], encoding: str,
                exc: duckdb.Error) -> InputError:
    """A failed read of a CSV as a message: the ragged row by number when there is one, or
    the row too long to read, with its column and size."""
    layout = _layout(path, read, encoding)
    sizes = _line_sizes(exc)
    if sizes:
        return _long_row_error(path, read, encoding, layout, *sizes)
    ragged = _find_ragged(path, encoding, layout.delim, layout.skip)
    if ragged:
        row, found, expected = ragged
        return InputError(
            f"Row {row} has {found} fields but the header has {expected} (a ragged row).",
            file=str(path), rows=[row],
            fix="Check that row for a stray delimiter or an unclosed quote; if the "
                "delimiter was guessed wrong, set [read] delimiter in a mapping file.")
    return csv_error(path, exc, layout.skip)


class NotUtf8(Exception):
    """A file read as UTF-8 (its start decoded) holds other bytes further on."""


def not_utf8(exc: duckdb.Error, encoding: str, read: dict[str, Any]) -> bool:
    """Whether a read failed on bytes that are not UTF-8 while UTF-8 was only a guess (no
    encoding set in the mapping): then the file is read again as Latin-1."""
    return "unicode" in str(exc).lower() and encoding == "utf-8" and "encoding" not in read


def _read_parquet(cur: duckdb.DuckDBPyConnection, path: Path) -> Source:
    try:
        cur.execute(f"CREATE OR REPLACE TEMP VIEW _parquet AS SELECT * FROM read_parquet("
                    f"{literal(str(path))})")
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
    filled = _filled(cells)
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
            return bool(table) and any(_filled(r) for r in rows[i + 1:])
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
    n, whole = _make_sample(cur, len(frame))
    details: dict[str, Any] = {"sheet": sheet}
    if len(sheets) > 1:
        details["sheets"] = ", ".join(sheets)
    if skip:
        details["skipped title lines"] = skip
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

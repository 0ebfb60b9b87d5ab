"""Opening a CSV as ``_file``: encoding, layout and dialect found once, the sample drawn,
and a row too long for DuckDB's default limit read again with a raised one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from calibrate.data.csv_dialect import Dialect, csv_options
from calibrate.data.csv_failures import csv_failure, line_sizes, long_row, long_row_error
from calibrate.data.csv_layout import Layout, count_option, find_layout
from calibrate.data.file_format import not_utf8, sniff_encoding
from calibrate.data.sampling import PROFILE_SAMPLE, estimate_rows, make_sample, spread_sample
from calibrate.data.source import Source

#: The longest row (bytes) a CSV may have unless the mapping says otherwise. DuckDB's own
#: limit is 2 MB; it is raised only for a file that needs it (see ``read_csv``).
MAX_LINE_SIZE = 64 << 20
DUCKDB_LINE_SIZE = 2_000_000


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


def read_csv(cur: duckdb.DuckDBPyConnection, path: Path, read: dict[str, Any]) -> Source:
    """Open a CSV as ``_file`` and sample it. A row longer than DuckDB's default limit
    (2 MB: a long e-mail body in a cell) makes it read again with a limit that holds it,
    up to ``MAX_LINE_SIZE`` or the mapping's ``[read] max_line_size``; other files are
    read with DuckDB's default, whose buffers (16 times the limit) are smaller."""
    encoding = read.get("encoding") or sniff_encoding(path)
    est = estimate_rows(path)
    chosen = count_option(path, read, "max_line_size")
    line_size = chosen
    layout = Layout(None)
    renamed: list[str] = []

    def attempt(enc: str) -> tuple[Dialect, int, bool]:
        nonlocal layout
        layout = find_layout(path, read, enc)
        opts = csv_options(read, enc, layout, line_size)
        dialect = Dialect.sniff(cur, path, opts, enc, layout.skip, line_size)
        dialect = replace(dialect, columns=tuple(_header_names(path, dialect, renamed)))
        cur.execute(f"CREATE OR REPLACE TEMP VIEW _file AS SELECT * FROM {dialect.read(path)}")
        n = spread_sample(cur, path, dialect, est)
        if n >= PROFILE_SAMPLE // 2:
            return dialect, n, False
        n, whole = make_sample(cur, est)
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
            sizes = line_sizes(exc)
            bigger = None if chosen else _bigger_line_size(path, exc, sizes, line_size)
            if bigger:
                line_size = bigger
                continue
            layout, limit = find_layout(path, read, encoding), line_size or DUCKDB_LINE_SIZE
            found = None
            if sizes is None and _sniff_failed(exc) and path.stat().st_size > limit:
                found = long_row(path, encoding, layout, read.get("quote") or '"', limit)
                if found and found[3] > limit:  # a row too long for the sniffer
                    sizes = (limit, found[3])
            if sizes is None:
                raise csv_failure(path, read, encoding, exc) from None
            raise long_row_error(path, read, encoding, layout, chosen or MAX_LINE_SIZE,
                                  sizes[1], found) from None
    details: dict[str, Any] = {"encoding": encoding}
    if layout.skip:
        details["skipped title lines"] = layout.skip
    if renamed:
        details["headers renamed"] = "; ".join(dict.fromkeys(renamed))
    return Source("csv", details, list(dialect.columns), n, whole,
                  csv_read=lambda types: dialect.read(path, types))


def _header_names(path: Path, dialect: Dialect, renamed: list[str]) -> list[str]:
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

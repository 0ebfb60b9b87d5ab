"""The profile sample ``_sample``: a fixed-size, deterministic sample of an opened file's
rows, drawn by a full pass, or for a large CSV from chunks spread over the file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb

from calibrate.data.csv_dialect import Dialect
from calibrate.sql import quote

PROFILE_SAMPLE = 20_000
#: A large CSV is profiled from this many chunks spread over it (see ``spread_sample``).
SAMPLE_CHUNKS = 16


def estimate_rows(path: Path) -> int:
    """Rows of a text file, estimated from the line lengths of its first megabyte."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    lines = head.count(b"\n")
    if len(head) >= size:
        return lines
    return int(size / max(1, len(head)) * max(1, lines))


def make_sample(cur: duckdb.DuckDBPyConnection, rows: int) -> tuple[int, bool]:
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


def spread_sample(cur: duckdb.DuckDBPyConnection, path: Path, dialect: Dialect,
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

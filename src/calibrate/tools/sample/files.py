"""Writing the export to disk, chunk by chunk so 10M rows stream: CSV quoted only where needed
(pyarrow's CSVWriter quotes every string), or Parquet."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from calibrate.tools.sample.columns import COLUMNS, DEFAULT_CHUNK, DEFAULT_END, SCHEMA
from calibrate.tools.sample.leads import lead_chunks
from calibrate.tools.sample.rates import STATUS_LABELS


def _csv_field(col: pa.Array, kind: pa.DataType) -> pa.Array:
    """Quote a string column only where needed (RFC 4180: commas, quotes, line breaks)."""
    col = pc.cast(col, kind)
    data = col.buffers()[2]
    raw = data.to_pybytes() if data is not None else b""
    if not any(ch in raw for ch in (b",", b'"', b"\n", b"\r")):  # fast path: memchr
        return col
    needs = pc.match_substring_regex(col, r'[",\r\n]')
    quote, empty = pa.scalar('"', kind), pa.scalar("", kind)
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(col, '"', '""'), quote, empty)
    return pc.if_else(needs, quoted, col)


def _csv_bytes(table: pa.Table, idx: np.ndarray) -> memoryview:
    """Encode ``table.take(idx)`` as CSV lines (no header) with arrow compute, into one buffer.

    pyarrow's CSVWriter quotes every string value; exports should only quote where needed.
    """
    if len(idx) == 0:
        return memoryview(b"")
    table = table.combine_chunks()
    cols = [table.column(i).chunk(0) for i in range(table.num_columns)]
    size = sum(c.buffers()[2].size for c in cols if c.buffers()[2] is not None)
    kind = pa.string() if size + 40 * len(table) < 2**31 - 1 else pa.large_string()
    fields = [_csv_field(c, kind) for c in cols]
    fields[-1] = pc.binary_join_element_wise(fields[-1], pa.scalar("\n", kind), pa.scalar("", kind))
    lines = pc.binary_join_element_wise(*fields, pa.scalar(",", kind)).take(pa.array(idx))
    width = np.int32 if kind == pa.string() else np.int64
    offsets = np.frombuffer(lines.buffers()[1], dtype=width)
    lo, hi = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return memoryview(lines.buffers()[2])[lo:hi]


def write_and_count(
    path: Path,
    n: int,
    seed: int,
    fmt: str,
    chunk: int,
    months: int = 24,
    end: date = DEFAULT_END,
) -> dict[str, int]:
    """Stream chunks to ``path``; return row and outcome counts for the summary."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stats = {"rows": 0, "won": 0, "closed": 0}
    chunks = lead_chunks(n, seed, months, end, chunk)

    def count(table: pa.Table, idx: np.ndarray) -> None:
        status = table.column("status").take(pa.array(idx))
        stats["rows"] += len(idx)
        stats["won"] += pc.sum(pc.is_in(status, pa.array(STATUS_LABELS["won"][0]))).as_py() or 0
        open_ = pc.sum(pc.is_in(status, pa.array(STATUS_LABELS["open"][0]))).as_py() or 0
        stats["closed"] += len(idx) - open_

    if fmt == "csv":
        with open(path, "wb") as fh:
            fh.write((",".join(COLUMNS) + "\n").encode("utf-8"))
            for table, _, idx in chunks:
                fh.write(_csv_bytes(table, idx))
                count(table, idx)
    else:
        with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
            for table, _, idx in chunks:
                writer.write_table(table.take(pa.array(idx)))
                count(table, idx)
    return stats


def write(
    path: Path, n: int = 50_000, seed: int = 7, fmt: str = "csv", chunk: int = DEFAULT_CHUNK
) -> Path:
    """Write the export (CSV: UTF-8, header, minimal quoting; or Parquet), chunk by chunk.

    At most ``chunk`` leads are in memory at once, so 10M rows stream fine.
    """
    write_and_count(Path(path), n, seed, fmt, chunk)
    return Path(path)

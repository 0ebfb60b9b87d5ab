"""A CSV's dialect as DuckDB's sniffer finds it once, pinned for every later read (text or
with native column types), so that every read of the file sees the same rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from calibrate.data.csv_layout import Layout
from calibrate.sql import literal


def csv_options(read: dict[str, Any], encoding: str, layout: Layout,
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
class Dialect:
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
              skip: int = 0, max_line_size: int | None = None) -> Dialect:
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

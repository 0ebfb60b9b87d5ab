"""What a reader gives back: the opened file as DuckDB sees it (the view ``_file`` and the
sample ``_sample``), and how to read it again with native column types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: The formats read as typed columns through the view ``_parquet``.
COLUMNAR = ("parquet", "Delta table", "Iceberg table")


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

    @property
    def columnar(self) -> bool:
        """Whether the rows come with their own column types from the view ``_parquet``
        (a Parquet file or folder, a Delta or Iceberg table), not as text."""
        return self.fmt in COLUMNAR

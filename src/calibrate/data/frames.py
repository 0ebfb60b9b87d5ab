"""Leads from a pandas DataFrame or an Arrow table, through the same ingest as a file.

A frame is written to a temporary CSV and read back exactly as an export would be: the
same cleaning, role and type guessing, outcome labels and report. So a notebook user and a
CLI user who load the same leads get the same store, and the report names the frame
("data frame") instead of the temporary file.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from calibrate.data.database import DatabaseSource, is_database_url, read_to_parquet
from calibrate.data.ingest import IngestReport, ingest
from calibrate.data.roles import Mapping
from calibrate.errors import CalibrateError, InputError

FRAME = "data frame"


def as_pandas(data: Any) -> Any:
    """A pandas DataFrame from pandas or anything with ``to_pandas()`` (Arrow, Polars)."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas"):
        return data.to_pandas()
    raise InputError(f"Cannot read leads from a {type(data).__name__}.",
                     fix="Pass a pandas DataFrame, an Arrow table or the path of an export "
                         "(CSV, Excel, Parquet, JSON).")


def ingest_any(con: duckdb.DuckDBPyConnection, data: Any, *, outcome: str | None = None,
               mapping: Mapping | str | os.PathLike[str] | None = None, replace: bool = True,
               require_outcome: bool = True, name: str = FRAME, table: str | None = None,
               query: str | None = None,
               progress: Callable[[str], None] | None = None) -> IngestReport:
    """Load leads from a path, a database (a ``postgresql://`` URL with ``table`` or
    ``query``), a DataFrame or an Arrow table (see :func:`ingest`)."""
    if is_database_url(data) or table or query:
        return ingest_database(con, DatabaseSource(str(data), table, query), outcome=outcome,
                               mapping=mapping, replace=replace,
                               require_outcome=require_outcome, progress=progress)
    if isinstance(data, str | os.PathLike):
        return ingest(con, data, outcome=outcome, mapping=mapping, replace=replace,
                      require_outcome=require_outcome)
    frame = as_pandas(data)
    if frame.columns.duplicated().any() or any(not isinstance(c, str) for c in frame.columns):
        frame = frame.copy()
        frame.columns = [str(c) for c in frame.columns]
    with tempfile.TemporaryDirectory(prefix="calibrate-frame-") as folder:
        path = Path(folder) / "leads.csv"
        frame.to_csv(path, index=False)
        try:
            report = ingest(con, path, outcome=outcome, mapping=mapping, replace=replace,
                            require_outcome=require_outcome)
        except CalibrateError as exc:  # name the frame, not the temporary file
            exc.file = name if exc.file else None
            exc.what = exc.what.replace(str(path), name)
            exc.args = (exc.message,)
            raise
    return dataclasses.replace(report, file=name)


def ingest_database(con: duckdb.DuckDBPyConnection, source: DatabaseSource, *,
                    progress: Callable[[str], None] | None = None, sql: str | None = None,
                    **options: Any) -> IngestReport:
    """Read ``source`` (or ``sql`` run on its server: a sample of it) to a temporary
    Parquet file, then ingest it under the source's name (:mod:`calibrate.data.database`)."""
    with read_to_parquet(source, progress, sql=sql) as path:
        try:
            report = ingest(con, path, name=source.name, progress=progress, **options)
        except CalibrateError as exc:  # name the source, not the temporary file
            exc.file = source.name if exc.file else None
            exc.what = source.scrub(exc.what.replace(str(path), source.name))
            exc.args = (exc.message,)
            raise
    return dataclasses.replace(report, format="postgresql", details={})

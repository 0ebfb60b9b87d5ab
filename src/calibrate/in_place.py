"""Leads loaded in place (issue 21): the rows stay where they are, calibrate keeps the rest.

Why: some lead tables are too big, or too sensitive, to copy into a DuckDB file. Loaded in
place, calibrate reads from the source only what the fit needs, a bounded set of rows
(every row up to :data:`~calibrate.decide.backtest.MAX_FIT_LEADS`; above, a deterministic
sample of that many, picked IN the source), loads them with the file path's own ingest
into a temporary in-memory store (same cleaning, role guessing, outcome labels and checks)
and fits there. The user's store then keeps the column roles, the weights, the count grid
counted IN the source over every row (:func:`~calibrate.export.grid_sql.grid_sql`) and a
:class:`Record` of the source: no lead rows, no ``leads`` table. Everything is read and
computed before the first write, so a failure changes nothing.

Three kinds of :class:`Source`: a PostgreSQL table or query (:class:`PostgresSource`; the
sample is ``ORDER BY md5(row as text) LIMIT cap`` on the server), Parquet files, a file,
a folder, a glob or a Delta or Iceberg table folder's current version
(:class:`~calibrate.data.parquet_source.ParquetSource`; read by an
in-memory DuckDB, the sample the ``cap`` rows of smallest ``hash(row)``) and a Spark table
or Spark SQL query (:class:`~calibrate.data.spark_source.SparkSource`, on ``local[N]``,
``spark://`` or Spark Connect's ``sc://``; the sample ``ORDER BY md5(to_json(struct(*)))
LIMIT cap``, counted and sampled by Spark). Above the cap
the as-of date recency counts to is the newest date in the whole source, asked of it.

A refit reads the source again the same way; a count grid for edited points is counted in
the source again. For a database the password comes from the URL given in this session
(kept in memory only), ``PGPASSWORD`` or ``~/.pgpass``: never from, nor into, the store.
Parquet files are kept by absolute path, size and modification time: changed or gone, a
refit says so and asks for a new load; a Delta or Iceberg table is kept with the version
read, which a refit reads again. Spark is kept by its master URL without a Spark
Connect token (the token comes from the URL given in this session, else
``SPARK_CONNECT_AUTHENTICATE_TOKEN``) and the table or query.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import duckdb

from calibrate.data import store
from calibrate.data.cleaning_plan import EARLIEST
from calibrate.data.database import DatabaseSource, fetch_frame, is_database_url, no_rows, redact
from calibrate.data.parquet_source import ParquetSource, open_parquet
from calibrate.data.spark_source import SparkSource, is_spark_master
from calibrate.decide.grid import Grid, GridKey, store_grid, stored_grid
from calibrate.errors import CalibrateError, InputError
from calibrate.model.weights import Weights
from calibrate.sql import literal, quote

if TYPE_CHECKING:
    import pandas as pd

    from calibrate.data.ingest import IngestReport

__all__ = ["InPlaceReport", "PostgresSource", "Prepared", "Record", "Source", "count_rows",
           "kept_grid", "mapping_of", "needs_rows", "prepare", "record_of", "sample_sql",
           "source_as_of", "source_grid", "source_of"]

#: The name the count grid query reads the source under (a CTE around the table or query).
SOURCE_CTE = "calibrate_source"

Compute = Callable[[duckdb.DuckDBPyConnection], Weights]

#: What the fix says when the source's columns are not what the count grid query reads.
CLEAN_FIX = ("In place, the columns must hold what the count grid query's header asks "
             "(calibrate sql --what grid): clean numbers and dates, one row per lead. "
             "Clean them in a view or a query, or load the leads without in place.")
#: The same in the app's words.
CLEAN_FIX_APP = ("In place, the columns must hold what the count grid query's header asks "
                 "(\"Lead counts in SQL\" on the Export page): clean numbers and dates, one "
                 "row per lead. Clean them in a view or a query, or load the leads without "
                 "in place.")


class Source(Protocol):
    """A source read in place: what it is called, its rows as a query in its own
    ``dialect``, and how to count, sample, read a small answer and load rows from it."""

    kind: str  # what the record calls it: "postgresql", "parquet", "spark"
    dialect: str  # the count grid query's dialect
    picked: str  # how a sample above the cap is picked, as the summary says it

    @property
    def name(self) -> str: ...  # as messages name it (no password)

    def where(self) -> dict[str, Any]: ...  # the record's fields naming it

    def sql(self) -> str: ...

    def count(self) -> int: ...

    def sample_sql(self, rows: int, cap: int, key: str | None = None) -> str: ...

    def fetch_frame(self, sql: str) -> pd.DataFrame: ...

    def no_rows(self) -> InputError: ...

    def ingest_rows(self, con: duckdb.DuckDBPyConnection, sql: str, *,
                    progress: Callable[[str], None] | None = None,
                    **options: Any) -> IngestReport: ...


@dataclass(frozen=True)
class PostgresSource:
    """A PostgreSQL table or query as a :class:`Source` (read with ADBC,
    :mod:`calibrate.data.database`)."""

    db: DatabaseSource

    kind = "postgresql"
    dialect = "postgres"
    picked = "md5 of each row"
    #: The same when a sample is picked by its lead id column ``{key}``.
    picked_by = "md5 of each row's {key}"

    @property
    def name(self) -> str:
        return self.db.name

    @property
    def url(self) -> str:
        """The URL as given (with its password: kept in memory only)."""
        return self.db.url.strip()

    def where(self) -> dict[str, Any]:
        return {"url": redact(self.db.url), "table": self.db.table, "query": self.db.query}

    def sql(self) -> str:
        return self.db.sql()

    def count(self) -> int:
        """How many rows the table or query holds (counted on the server)."""
        frame = fetch_frame(self.db, f"SELECT count(*) AS n FROM ({self.sql()}) AS s")
        return int(frame.iloc[0, 0])

    def sample_sql(self, rows: int, cap: int, key: str | None = None) -> str:
        """All the rows up to ``cap``; above, the ``cap`` rows with the smallest md5 of
        their column ``key`` (the lead id: :func:`sample_key`), else of their whole text,
        a deterministic uniform sample computed in the source.

        Only the rows under a bound that a few more than ``cap`` rows pass (six standard
        deviations above) are sorted: PostgreSQL sorts a LIMIT in memory only when its
        rows fit in ``work_mem``, else the whole table on disk."""
        if rows <= cap:
            return self.sql()
        of = "s" if key is None else f"s.{quote(key)}"
        h = f'md5(CAST({of} AS TEXT)) COLLATE "C"'
        share = (cap + 6 * math.sqrt(cap) + 50) / rows
        where = (f" WHERE {h} < {literal(f'{int(share * 16**32):032x}')}"
                 if share < 1 else "")
        return f"SELECT * FROM ({self.sql()}) AS s{where} ORDER BY {h} LIMIT {int(cap)}"

    def fetch_frame(self, sql: str) -> pd.DataFrame:
        return fetch_frame(self.db, sql)

    def no_rows(self) -> InputError:
        return no_rows(self.db)

    def ingest_rows(self, con: duckdb.DuckDBPyConnection, sql: str, *,
                    progress: Callable[[str], None] | None = None,
                    **options: Any) -> IngestReport:
        from calibrate.data.frames import ingest_database

        return ingest_database(con, self.db, sql=sql, progress=progress, **options)


SOURCES = (PostgresSource, ParquetSource, SparkSource)


def source_of(data: Any, table: str | None = None, query: str | None = None) -> Source:
    """What ``data`` names as a source read in place: a database URL (with ``table`` or
    ``query``), a Spark master URL (``local[*]``, ``spark://host:7077``,
    ``sc://host:15002``, with ``table`` or ``query``), Parquet files (a file, a folder, a
    glob, a Delta or Iceberg table folder), or a source already."""
    if isinstance(data, SOURCES):
        return data
    if is_spark_master(data):
        return SparkSource(str(data).strip(), table, query)
    if is_database_url(data) or table or query:
        return PostgresSource(DatabaseSource(str(data), table, query))
    if isinstance(data, str | os.PathLike):
        return open_parquet(data)
    raise CalibrateError("Only a database, Spark or Parquet files load in place.",
                         fix="Give a postgresql:// URL or a Spark master (local[*], "
                             "spark://host:7077, sc://host:15002) with a table or a query, "
                             "or Parquet files (a file, a folder, data/*.parquet, a Delta or "
                             "Iceberg table folder); load a frame without in place.")


def default_cap() -> int:
    """Rows read at most: the fit's own sampling bound (one definition)."""
    from calibrate.decide.backtest import MAX_FIT_LEADS

    return MAX_FIT_LEADS


@dataclass(frozen=True)
class Record:
    """What the store keeps of a source loaded in place: where (a database: ``url``
    without password, ``table`` or ``query``; Spark: ``url`` the master without token,
    ``table`` or ``query``; Parquet files: ``path`` as given and each
    file's stamp; a Delta or Iceberg table folder: also its ``table_format`` and the
    ``version`` read, Delta's version or Iceberg's snapshot id), its rows and those read,
    when, and the load's options (so a refit reads it the same way)."""

    url: str
    table: str | None
    query: str | None
    rows: int
    rows_read: int
    loaded_at: str
    cap: int
    outcome: str | None = None
    mapping: str = ""  # the mapping file's TOML
    as_of: str | None = None  # the date recency counts to (the newest date in the source)
    kind: str = "postgresql"
    path: str | None = None  # Parquet: the file, folder or glob, absolute
    folder: bool = False  # Parquet: a folder (read with its hive partitions)
    files: list[dict[str, Any]] = field(default_factory=list)  # Parquet: FileStamp's
    table_format: str | None = None  # a table folder: "Delta table", "Iceberg table"
    version: int | None = None  # a table folder: the version (Delta), snapshot id (Iceberg)
    sample_key: str | None = None  # the column a sample above the cap was picked by

    @property
    def name(self) -> str:
        """The source as messages name it (no password)."""
        if self.kind == ParquetSource.kind:
            return str(self.path)
        if self.kind == SparkSource.kind:
            return SparkSource(self.url, self.table, self.query).name
        return DatabaseSource(self.url, self.table, self.query).name

    @property
    def picked(self) -> str:
        """How a sample above the cap was picked, as the summary says it."""
        kind = {ParquetSource.kind: ParquetSource, SparkSource.kind: SparkSource
                }.get(self.kind, PostgresSource)
        if self.sample_key is None:
            return kind.picked
        return kind.picked_by.format(key=f'"{self.sample_key}"')

    @property
    def label(self) -> str:
        """`` (Delta table, version 2)`` after the name of a table folder; else empty."""
        from calibrate.data.table_formats import version_label

        if self.table_format is None or self.version is None:
            return ""
        return f" ({version_label(self.table_format, self.version)})"

    def source(self, url: str | None = None) -> Source:
        """The source to read again. A database: with ``url`` (the same server, signing
        in), else the kept URL (the password then comes from ``PGPASSWORD`` or
        ``~/.pgpass``). Parquet files: the same files, unchanged since (else a message).
        Spark: the same master (``url``: as given in this session, with its token), the
        same table or query. A table folder: the version loaded, read again."""
        if self.kind == ParquetSource.kind:
            return ParquetSource.reopen(str(self.path), self.files, self.folder,
                                        self.table_format, self.version)
        if self.kind == SparkSource.kind:
            return SparkSource(url or self.url, self.table, self.query)
        return PostgresSource(DatabaseSource(url or self.url, self.table, self.query))

    def to_json(self) -> str:
        """The record as the store's ``meta`` keeps it."""
        return json.dumps(dataclasses.asdict(self))


def record_of(con: duckdb.DuckDBPyConnection) -> Record | None:
    """The store's in-place record (None when its leads are stored as rows)."""
    data = store.in_place(con)
    return Record(**data) if data else None


def needs_rows(con: duckdb.DuckDBPyConnection, what: str) -> None:
    """Stop ``what`` (a step that reads lead rows) on a store loaded in place, saying why."""
    record = record_of(con)
    if record is not None:
        again = {ParquetSource.kind: "calibrate ingest PATH (wb.ingest(path))",
                 SparkSource.kind: "export them from Spark (to Parquet files, say), then "
                                   "calibrate ingest PATH (wb.ingest(path))",
                 }.get(record.kind, "calibrate ingest URL --table T (wb.ingest(url, table=...))")
        raise CalibrateError(
            f"{what} needs the lead rows, which stay in {record.name} (loaded in place).",
            fix=f"Load them without in place to use it: {again}.",
            app_fix="Load the leads without in place on the Data page to use it.")


# ------------------------------------------------------------------ reading the source


def count_rows(source: Source) -> int:
    """How many rows the source holds (counted in the source)."""
    return source.count()


def sample_sql(source: Source, rows: int, cap: int, key: str | None = None) -> str:
    """The rows to read: all of them up to ``cap``; above, a deterministic sample of
    ``cap`` of them, picked in the source by the hash of column ``key`` (the lead id), else
    of the whole row (:attr:`Source.picked`)."""
    return source.sample_sql(rows, cap, key)


#: The first rows read to choose the column a sample is picked by (:func:`sample_key`).
PEEK_ROWS = 10_000


def sample_key(source: Source, mapping: Any) -> str | None:
    """The column a sample above the cap is picked by: the lead id (the mapping's, else
    the first column named like one, "Lead ID") when it holds a different value in each
    of the first :data:`PEEK_ROWS` rows; None (the whole row) when no column does.

    Why: hashing one column costs a fraction of hashing every column of every row (the
    whole text of a row in PostgreSQL, 4x), and a lead's rows are then all in the sample
    or all out of it, so the load keeps the same last row of a duplicated id as over the
    whole source. A column named like an id that repeats (a company id) is not taken: it
    would pick whole companies."""
    from calibrate.data.roles import guess_role

    peek = _in_source(source, f"SELECT * FROM ({source.sql()}) AS s LIMIT {PEEK_ROWS}",
                      "Reading the first rows")
    names = [str(c) for c in peek.columns]
    named = [n for n in names if mapping is not None and mapping.role_for(n) == "lead_id"]
    if not named:
        named = [n for n in names if guess_role(n)[0] == "lead_id"
                 and (mapping is None or mapping.role_for(n) is None)]
    for n in named:
        values = peek[n]
        if len(values) and values.notna().all() and values.nunique() == len(values):
            return n
    return None


@contextmanager
def sample_store(source: Source, *, cap: int, outcome: str | None, mapping: Any,
                 progress: Callable[[str], None] | None = None
                 ) -> Iterator[tuple[duckdb.DuckDBPyConnection, int, Any, str | None]]:
    """A temporary in-memory store of the rows read (the file path's ingest), with the
    rows in the source, the ingest's report and the column the sample was picked by (None:
    all rows read, or picked by the whole row); closed afterwards."""
    rows = count_rows(source)
    if rows == 0:
        raise source.no_rows()
    key = sample_key(source, mapping) if rows > cap else None
    con = store.connect_memory()
    try:
        report = source.ingest_rows(con, sample_sql(source, rows, cap, key), outcome=outcome,
                                    mapping=mapping, replace=True, progress=progress)
        yield con, rows, report, key
    finally:
        con.close()


def _in_source(source: Source, sql: str, doing: str) -> pd.DataFrame:
    """The answer of ``sql`` run in the source; a query the source cannot run on these
    columns (text in a number column...) says ``doing`` failed and how to clean them."""
    try:
        return source.fetch_frame(sql)
    except InputError as exc:
        if "failed" not in exc.what:  # the server, the sign-in or the table: as said
            raise
        raise InputError(f"{doing} in {source.name} failed: {exc.what.split(': ', 1)[-1]}",
                         fix=CLEAN_FIX, app_fix=CLEAN_FIX_APP) from None


def source_as_of(source: Source, con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The newest date in the whole source of the columns
    :func:`~calibrate.model.recency.data_as_of` reads in the store ``con`` of the rows read
    (created, closed and behavior dates), asked of the source: the as-of date when only a
    sample was read."""
    import pandas as pd

    from calibrate.model.recency import as_of_columns

    names = [c.source_name for c in as_of_columns(con) if c.source_name]
    if not names:
        return None
    # Only the dates the load keeps: it clears those after the day of the load or before 1990.
    last = literal(f"{dt.datetime.now() + dt.timedelta(days=1):%Y-%m-%d %H:%M:%S}")
    first = literal(f"{EARLIEST:%Y-%m-%d %H:%M:%S}")

    def kept(n: str) -> str:
        t = f"CAST({quote(n)} AS TIMESTAMP)"
        return (f"max(CASE WHEN {t} <= CAST({last} AS TIMESTAMP) AND {t} >= "
                f"CAST({first} AS TIMESTAMP) THEN CAST({quote(n)} AS DATE) END)")

    select = "SELECT " + ", ".join(f"{kept(n)} AS d{i}" for i, n in enumerate(names))
    if source.dialect in ("duckdb", "postgres"):
        sql = f"{select} FROM ({source.sql()}) AS s"
    else:  # written in DuckDB's, over the source's own query spliced in as it is
        from calibrate.export.score_sql import transpile

        sql = (f"WITH {SOURCE_CTE} AS (\n{source.sql()}\n)\n"
               + transpile(f"{select} FROM {SOURCE_CTE}", source.dialect))
    row = _in_source(source, sql, "Finding the newest date").iloc[0]
    days = [pd.Timestamp(v).date() for v in row if v is not None and not pd.isna(v)]
    return max(days) if days else None


def source_grid(source: Source, weights: Weights, columns: list[Any], *,
                as_of: dt.date | None, mapping: Any) -> Grid:
    """The count grid of every row of ``source``, counted in the source by the portable
    query (:func:`~calibrate.export.grid_sql.grid_sql`, in the source's dialect)."""
    from calibrate.decide.workshop import rules_of
    from calibrate.export.grid_sql import grid_from_rows, grid_sql

    sql = grid_sql(weights.table, columns=columns, rules=rules_of(weights),
                   source=SOURCE_CTE, dialect=source.dialect, as_of=as_of,
                   outcomes=mapping.outcomes if mapping else None,
                   placeholders=mapping.placeholders if mapping else (),
                   weights_id=weights.id, source_query=source.sql())
    rows = _in_source(source, sql, "Counting the grid")
    try:
        return grid_from_rows(rows)
    except ValueError as exc:
        raise InputError(f"The count grid of {source.name} cannot be read: {exc}.",
                         fix="Map those labels in a mapping file's [outcomes] and load "
                             "again.") from None


# ------------------------------------------------------------------ the load


@dataclass
class InPlaceReport:
    """What a load in place read, fitted and counted; ``summary()`` is what the CLI prints."""

    record: Record
    weights: Weights
    grid: Grid
    sample: Any  # the IngestReport of the rows read

    def summary(self) -> str:
        """Where, the rows in the source and read, the fit, the grid, then the cleaning of
        the rows read (the ingest report's lines)."""
        r = self.record
        read = ("all of them" if r.rows_read >= r.rows else
                f"a sample picked in the source ({r.picked}, at most {r.cap:,})")
        m = self.weights.metrics
        lines = [f"Loaded in place from {r.name}{r.label}: {r.rows:,} leads stay in the "
                 "source; no lead rows are stored.",
                 f"  {r.rows_read:,} rows read for the fit ({read})",
                 f"  Fit: weights #{self.weights.id}, held-out AUC "
                 f"{m.get('auc', float('nan')):.3f}",
                 f"  Count grid: {len(self.grid.frame):,} cells over {self.grid.leads:,} "
                 "leads, counted in the source"]
        lines += ["  " + line for line in self.sample.summary().splitlines()[1:]]
        return "\n".join(lines)


@dataclass
class Prepared:
    """A load in place read and computed, not yet written (:meth:`save` writes it)."""

    record: Record
    columns: list[Any]
    weights: Weights
    grid: Grid
    sample: Any
    issues: str

    def save(self, con: duckdb.DuckDBPyConnection) -> InPlaceReport:
        """Write it to the store: a new data version, the columns, the record, no leads
        table; then the weights and the grid under the key :meth:`Workbench.grid` reads."""
        from calibrate.decide.workshop import fingerprint, rules_of
        from calibrate.model.weights import save_weights

        with store.transaction(con) as tx:
            tx.execute("DROP TABLE IF EXISTS leads")
            store.store_columns(tx, self.columns)
            store.set_load_mapping(tx, self.record.mapping)
            tx.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                       [store.IN_PLACE_KEY, self.record.to_json()])
            tx.execute("INSERT INTO ingests VALUES (nextval('ingest_id_seq'), now(), ?, ?, "
                       "'in_place', ?)", [self.record.name, self.record.rows, self.issues])
        version = store.data_version(con)
        self.weights.data = {**self.weights.data, "data_version": version,
                             "rows": self.record.rows, "rows_read": self.record.rows_read}
        save_weights(con, self.weights, version)
        key = GridKey(version, int(self.weights.id or 0),
                      fingerprint(self.weights, rules_of(self.weights)))
        store_grid(con, key, self.grid)
        return InPlaceReport(self.record, self.weights, self.grid, self.sample)


def prepare(source: Source, compute: Compute, *, cap: int | None = None,
            outcome: str | None = None, mapping: Any = None, rules: Any = None,
            progress: Callable[[str], None] | None = None) -> Prepared:
    """Read ``source`` in place (a bounded sample, see the module docs), fit with
    ``compute`` on it, give the weights ``rules`` and count the grid in the source."""
    from calibrate.data.ingest import issues_json
    from calibrate.data.roles import Mapping, load_mapping, mapping_to_toml
    from calibrate.model.recency import data_as_of

    cap = default_cap() if cap is None else int(cap)
    if cap < 1:
        raise CalibrateError(f"The cap of {cap} rows read in place is below 1.",
                             fix="Give a positive number of rows.")
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    with sample_store(source, cap=cap, outcome=outcome, mapping=mapping,
                      progress=progress) as (con, rows, sample, key):
        if rows > cap:  # the fit counts days to the whole source's newest date, as the grid
            store.set_as_of(con, source_as_of(source, con))
        weights = compute(con)
        weights.rules = rules
        columns = store.read_columns(con)
        as_of = data_as_of(con) if (weights.table["kind"] == "recency").any() else None
    record = Record(**source.where(), rows=rows, rows_read=sample.rows_read,
                    loaded_at=dt.datetime.now().isoformat(timespec="seconds"), cap=cap,
                    outcome=outcome, mapping=mapping_to_toml(mapping),
                    as_of=as_of.isoformat() if as_of else None, sample_key=key)
    grid = source_grid(source, weights, columns, as_of=as_of, mapping=mapping)
    return Prepared(record, columns, weights, grid, sample, issues_json(sample.issues))


def mapping_of(record: Record) -> Any:
    """The mapping the source was loaded with."""
    from calibrate.data.roles import mapping_from_dict

    return mapping_from_dict(tomllib.loads(record.mapping or ""), "the in-place load")


def kept_grid(con: duckdb.DuckDBPyConnection, weights: Weights, rules: Any,
              data_version: int, url: str | None = None) -> Grid:
    """The count grid of these weights and ``rules`` (the weights' own, a RuleSet) on a
    store loaded in place: kept in the store, else counted in the source again (and kept).
    """
    from calibrate.decide.workshop import fingerprint

    key = GridKey(data_version, int(weights.id or 0), fingerprint(weights, rules))
    grid = stored_grid(con, key)
    if grid is not None:
        return grid
    from calibrate.model.recency import data_as_of

    record = record_of(con)
    assert record is not None
    grid = source_grid(record.source(url), weights, store.read_columns(con),
                       as_of=data_as_of(con), mapping=mapping_of(record))
    store_grid(con, key, grid)
    return grid

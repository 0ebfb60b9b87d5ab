"""Leads loaded in place (issue 21): the rows stay in the database, calibrate keeps the rest.

Why: some lead tables are too big, or too sensitive, to copy into a DuckDB file. Loaded in
place, calibrate reads from the source only what the fit needs, a bounded set of rows
(every row up to :data:`~calibrate.decide.backtest.MAX_FIT_LEADS`; above, a deterministic
sample of that many, picked IN the source by ``ORDER BY md5(row as text) LIMIT cap``),
loads them with the file path's own ingest into a temporary in-memory store (same
cleaning, role guessing, outcome labels and checks) and fits there. The user's store then
keeps the column roles, the weights, the count grid counted IN the source over every row
(:func:`~calibrate.export.grid_sql.grid_sql`) and a :class:`Record` of the source (its URL
without password): no lead rows, no ``leads`` table. Everything is read and computed before
the first write, so a failure changes nothing.

A refit reads the source again the same way; a count grid for edited points is counted in
the source again. The password comes from the URL given in this session (kept in memory
only), ``PGPASSWORD`` or ``~/.pgpass``: never from, nor into, the store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb

from calibrate.data import store
from calibrate.data.database import DatabaseSource, fetch_frame, no_rows, redact
from calibrate.decide.grid import Grid, GridKey, store_grid, stored_grid
from calibrate.errors import CalibrateError, InputError
from calibrate.model.weights import Weights

__all__ = ["InPlaceReport", "Prepared", "Record", "count_rows", "kept_grid", "mapping_of",
           "needs_rows", "prepare", "record_of", "sample_sql", "source_grid"]

#: The name the count grid query reads the source under (a CTE around the table or query).
SOURCE_CTE = "calibrate_source"

Compute = Callable[[duckdb.DuckDBPyConnection], Weights]


def default_cap() -> int:
    """Rows read at most: the fit's own sampling bound (one definition)."""
    from calibrate.decide.backtest import MAX_FIT_LEADS

    return MAX_FIT_LEADS


@dataclass(frozen=True)
class Record:
    """What the store keeps of a source loaded in place: where (``url`` without password,
    ``table`` or ``query``), its rows and those read, when, and the load's options (so a
    refit reads it the same way)."""

    url: str
    table: str | None
    query: str | None
    rows: int
    rows_read: int
    loaded_at: str
    cap: int
    outcome: str | None = None
    mapping: str = ""  # the mapping file's TOML
    as_of: str | None = None  # the date recency counts to (the newest date read)

    @property
    def name(self) -> str:
        """The source as messages name it (no password)."""
        return DatabaseSource(self.url, self.table, self.query).name

    def source(self, url: str | None = None) -> DatabaseSource:
        """The source to read again: with ``url`` (the same server, signing in), else the
        kept URL (the password then comes from ``PGPASSWORD`` or ``~/.pgpass``)."""
        return DatabaseSource(url or self.url, self.table, self.query)

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
        raise CalibrateError(
            f"{what} needs the lead rows, which stay in {record.name} (loaded in place).",
            fix="Load them without in place to use it: calibrate ingest URL --table T "
                "(wb.ingest(url, table=...)).",
            app_fix="Load the leads without in place on the Data page to use it.")


# ------------------------------------------------------------------ reading the source


def count_rows(source: DatabaseSource) -> int:
    """How many rows the table or query holds (counted on the server)."""
    frame = fetch_frame(source, f"SELECT count(*) AS n FROM ({source.sql()}) AS s")
    return int(frame.iloc[0, 0])


def sample_sql(source: DatabaseSource, rows: int, cap: int) -> str:
    """The rows to read: all of them up to ``cap``; above, ``cap`` of them picked by the
    md5 of each row's text, a deterministic uniform sample computed in the source."""
    if rows <= cap:
        return source.sql()
    return (f"SELECT * FROM ({source.sql()}) AS s ORDER BY md5(CAST(s AS TEXT)) "
            f"LIMIT {int(cap)}")


@contextmanager
def sample_store(source: DatabaseSource, *, cap: int, outcome: str | None, mapping: Any,
                 progress: Callable[[str], None] | None = None
                 ) -> Iterator[tuple[duckdb.DuckDBPyConnection, int, Any]]:
    """A temporary in-memory store of the rows read (the file path's ingest), with the
    rows in the source and the ingest's report; closed afterwards."""
    from calibrate.data.frames import ingest_database

    rows = count_rows(source)
    if rows == 0:
        raise no_rows(source)
    con = store.connect_memory()
    try:
        report = ingest_database(con, source, sql=sample_sql(source, rows, cap),
                                 outcome=outcome, mapping=mapping, replace=True,
                                 progress=progress)
        yield con, rows, report
    finally:
        con.close()


def source_grid(source: DatabaseSource, weights: Weights, columns: list[Any], *,
                as_of: dt.date | None, mapping: Any) -> Grid:
    """The count grid of every row of ``source``, counted on its server by the portable
    query (:func:`~calibrate.export.grid_sql.grid_sql`, postgres dialect)."""
    from calibrate.decide.workshop import rules_of
    from calibrate.export.grid_sql import grid_from_rows, grid_sql

    sql = grid_sql(weights.table, columns=columns, rules=rules_of(weights),
                   source=SOURCE_CTE, dialect="postgres", as_of=as_of,
                   outcomes=mapping.outcomes if mapping else None,
                   placeholders=mapping.placeholders if mapping else (),
                   weights_id=weights.id)
    try:
        rows = fetch_frame(source, f"WITH {SOURCE_CTE} AS (\n{source.sql()}\n)\n{sql}")
    except InputError as exc:
        if "failed" not in exc.what:  # the server, the sign-in or the table: as said
            raise
        raise InputError(
            f"Counting the grid in {source.name} failed: {exc.what.split(': ', 1)[-1]}",
            fix="In place, the columns must hold what the count grid query's header asks "
                "(calibrate sql --what grid): clean numbers and dates, one row per lead. "
                "Clean them in a view or a query, or load the leads without in place."
        ) from None
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
                f"a sample picked in the source (md5 of each row, at most {r.cap:,})")
        m = self.weights.metrics
        lines = [f"Loaded in place from {r.name}: {r.rows:,} leads stay in the source; "
                 "no lead rows are stored.",
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


def prepare(source: DatabaseSource, compute: Compute, *, cap: int | None = None,
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
                      progress=progress) as (con, rows, sample):
        weights = compute(con)
        weights.rules = rules
        columns = store.read_columns(con)
        as_of = (data_as_of(con) if (weights.table["kind"] == "recency").any() else None)
    record = Record(redact(source.url), source.table, source.query, rows, sample.rows_read,
                    dt.datetime.now().isoformat(timespec="seconds"), cap, outcome,
                    mapping_to_toml(mapping), as_of.isoformat() if as_of else None)
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
    record = record_of(con)
    assert record is not None
    as_of = dt.date.fromisoformat(record.as_of) if record.as_of else None
    grid = source_grid(record.source(url), weights, store.read_columns(con), as_of=as_of,
                       mapping=mapping_of(record))
    store_grid(con, key, grid)
    return grid

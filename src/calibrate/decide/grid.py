"""The precomputed count grid that makes a threshold move a lookup, not a query.

Why: the workshop moves two sliders (min profile, min behavior) and expects every figure to
follow at once. Leads are counted ONCE in DuckDB by (profile points, behavior points, total,
rule class, outcome, month, segment): one row per combination that occurs (about 350,000
rows for a million leads over 24 months and 4 segments, counted in well under a second).
:meth:`Grid.cube` turns the rows for a window of months and a segment into dense numpy
arrays with 2-D suffix sums, so "leads with profile >= p and behavior >= b, by outcome"
is ``cube.above[p, b]``.

Layout of a :class:`Cube` (``O = len(OUTCOMES) = 4``: won, lost, no_decision, open):

- ``cells[k, p, b, o]`` (3, 101, 101, O) int64: leads at exactly profile ``p``, behavior
  ``b``, outcome ``o``, for rule class ``k`` (0 none: scored normally, 1 auto-qualified,
  2 auto-disqualified).
- ``above[p, b, o]`` (102, 102, O): suffix sums of ``cells[0]`` over ``p' >= p, b' >= b``;
  row and column 101 are zero so a threshold of 101 means "nobody".
- ``totals[k, t, o]`` (3, 101, O): leads by total score; ``total_above[t, o]`` (102, O)
  the suffix sums for class 0.
- ``qualified[o]``, ``disqualified[o]``, ``scored[o]`` (O,): per-outcome totals by class.
- ``won_amount``, ``won_with_amount``: sum and count of the known amounts of won leads
  (all classes), for the default value of a win.

Arrays are read-only, and :meth:`Grid.cube` caches cubes by (months, segment), so a cube
can be shared between reruns and threads.

A grid is kept in the store (tables ``grids`` and ``grid_cells``, see
:mod:`calibrate.data.store`) under a :class:`GridKey`, so that a new process (the app after a
restart) reads it back instead of scoring every lead again: :func:`store_grid` and
:func:`stored_grid`. Reading it is a scan of its rows; building it scores every lead.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from calibrate.data import store
from calibrate.data.outcomes import OUTCOMES
from calibrate.errors import CalibrateError
from calibrate.sql import literal, quote

log = logging.getLogger(__name__)

WON, LOST, NO_DECISION, OPEN = range(4)
CLOSED_IDX: tuple[int, ...] = (WON, LOST, NO_DECISION)
RULE_CLASSES: tuple[str, ...] = ("none", "qualified", "disqualified")
NONE, QUALIFIED, DISQUALIFIED = range(3)
POINTS = 101  # points run 0..100
_CACHE_SIZE = 64

#: The columns of :attr:`Grid.frame`, in order (the portable query returns them too).
GRID_COLUMNS = [
    "profile_points", "behavior_points", "total", "rule_class", "outcome", "month", "segment",
    "leads", "amount_sum", "amount_n",
]
#: What the counts mean (:func:`build_grid`'s query: clipping, rounding, rule classes,
#: outcomes). A stored grid of another format is not read: raise this when that changes.
GRID_FORMAT = 1


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def suffix_sums_2(a: np.ndarray) -> np.ndarray:
    """Suffix sums over the first two axes, padded with a zero row and column at 101."""
    out = np.zeros((a.shape[0] + 1, a.shape[1] + 1) + a.shape[2:], dtype=a.dtype)
    out[:-1, :-1] = a[::-1, ::-1].cumsum(0).cumsum(1)[::-1, ::-1]
    return out


def suffix_sums_1(a: np.ndarray) -> np.ndarray:
    """Suffix sums over the first axis, padded with a zero row at 101."""
    out = np.zeros((a.shape[0] + 1,) + a.shape[1:], dtype=a.dtype)
    out[:-1] = a[::-1].cumsum(0)[::-1]
    return out


def as_month(value: Any) -> dt.date:
    """The first day of the month of a date, datetime, Timestamp or 'YYYY-MM[-DD]' text."""
    if isinstance(value, str):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        return dt.date(value.year, value.month, 1)
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1)
    if isinstance(value, np.datetime64):
        return as_month(pd.Timestamp(value))
    raise TypeError(f"not a month: {value!r}")


def months_between(first: dt.date, last: dt.date) -> int:
    """Calendar months from ``first`` to ``last``, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


@dataclass(frozen=True, eq=False)
class Cube:
    """Dense counts for one window of months and one segment (layout in the module doc).

    ``months`` is the window's month count (the months selected, or the span from the first
    to the last month with leads; at least 1), the default divisor for per-month figures.
    """

    cells: np.ndarray
    above: np.ndarray
    totals: np.ndarray
    total_above: np.ndarray
    won_amount: float
    won_with_amount: int
    months: int
    month_list: tuple[dt.date, ...] = ()
    segment: str | None = None
    qualified: np.ndarray = field(init=False)
    disqualified: np.ndarray = field(init=False)
    scored: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        by_class = self.cells.sum(axis=(1, 2))
        for name, k in (("scored", NONE), ("qualified", QUALIFIED),
                        ("disqualified", DISQUALIFIED)):
            object.__setattr__(self, name, _readonly(by_class[k].copy()))

    @property
    def leads(self) -> int:
        """All leads in the cube, whatever their rule."""
        return int(self.cells.sum())

    @property
    def mean_won_amount(self) -> float | None:
        """Mean known amount of the won leads (None without amounts)."""
        return self.won_amount / self.won_with_amount if self.won_with_amount else None

    @classmethod
    def empty(cls, months: int = 1) -> Cube:
        """A cube with no leads (an empty segment or window)."""
        return _make_cube(np.zeros((3, POINTS, POINTS, 4), np.int64),
                          np.zeros((3, POINTS, 4), np.int64), 0.0, 0, months)


def _make_cube(cells: np.ndarray, totals: np.ndarray, won_amount: float, won_n: int,
               months: int, month_list: tuple[dt.date, ...] = (),
               segment: str | None = None) -> Cube:
    return Cube(
        cells=_readonly(cells), above=_readonly(suffix_sums_2(cells[NONE])),
        totals=_readonly(totals), total_above=_readonly(suffix_sums_1(totals[NONE])),
        won_amount=float(won_amount), won_with_amount=int(won_n), months=max(int(months), 1),
        month_list=month_list, segment=segment,
    )


@dataclass(eq=False)
class Grid:
    """Lead counts by (profile, behavior, total, rule class, outcome, month, segment).

    ``frame`` columns: profile_points, behavior_points, total (int 0..100), rule_class
    ('none' / 'qualified' / 'disqualified'), outcome, month (datetime64, NaT when unknown),
    segment (NaN when unknown), leads, amount_sum, amount_n (count of known amounts).
    ``months`` and ``segments`` list the distinct known values, sorted.
    """

    frame: pd.DataFrame
    months: list[dt.date]
    segments: list[str]
    #: "built" (counted from the leads) or "stored" (read back from the store)
    origin: str = "built"
    _codes: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _cache: dict[tuple[Any, ...], Cube] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        f = self.frame
        month_pos = {m: i for i, m in enumerate(self.months)}
        month_codes, month_values = pd.factorize(f["month"], sort=True)
        month_map = np.array([month_pos.get(as_month(m), -1) for m in month_values] + [-1],
                             dtype=np.int64)
        seg_pos = {s: i for i, s in enumerate(self.segments)}
        seg_codes, seg_values = pd.factorize(f["segment"], sort=True)
        seg_map = np.array([seg_pos.get(str(s), -1) for s in seg_values] + [-1], np.int64)
        self._codes = {
            "p": f["profile_points"].to_numpy(np.int64),
            "b": f["behavior_points"].to_numpy(np.int64),
            "t": f["total"].to_numpy(np.int64),
            "k": _category_codes(f["rule_class"], RULE_CLASSES),
            "o": _category_codes(f["outcome"], OUTCOMES),
            "m": month_map[month_codes],  # factorize's -1 (missing) picks the trailing -1
            "s": seg_map[seg_codes],
            "n": f["leads"].to_numpy(np.int64),
            "amount": f["amount_sum"].to_numpy(np.float64),
            "amount_n": f["amount_n"].to_numpy(np.int64),
        }

    @property
    def codes(self) -> dict[str, np.ndarray]:
        """The grid's rows as codes (``p``, ``b``, ``t`` points; ``k`` rule class; ``o``
        outcome; ``m`` month, ``s`` segment, -1 when missing; ``n`` leads), not to be changed, for
        counts the cube does not keep (the month by month ranges)."""
        return self._codes

    @property
    def leads(self) -> int:
        """Number of leads counted."""
        return int(self._codes["n"].sum())

    def cube(self, months: Iterable[Any] | None = None, segment: str | None = None) -> Cube:
        """Dense counts for the selected months (None: all, undated leads included) and
        segment (None: all segments). Months not in the data count toward the window's
        length but add no leads; an unknown segment gives an empty cube. Cached.
        """
        month_key = None if months is None else tuple(sorted({as_month(m) for m in months}))
        key = (month_key, segment)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        c = self._codes
        mask = np.ones(len(c["n"]), dtype=bool)
        if month_key is not None:
            wanted = [self.months.index(m) for m in month_key if m in self.months]
            mask &= np.isin(c["m"], wanted)
            span = len(month_key)
        elif self.months:
            span = months_between(self.months[0], self.months[-1])
        else:
            span = 1
        if segment is not None:
            code = self.segments.index(segment) if segment in self.segments else -2
            mask &= c["s"] == code
        n = c["n"][mask]
        k, p, b, t, o = (c[x][mask] for x in ("k", "p", "b", "t", "o"))
        flat = ((k * POINTS + p) * POINTS + b) * 4 + o
        cells = np.bincount(flat, weights=n, minlength=3 * POINTS * POINTS * 4)
        cells = cells.astype(np.int64).reshape(3, POINTS, POINTS, 4)
        totals = np.bincount((k * POINTS + t) * 4 + o, weights=n, minlength=3 * POINTS * 4)
        totals = totals.astype(np.int64).reshape(3, POINTS, 4)
        won = o == WON
        cube = _make_cube(cells, totals, float(c["amount"][mask][won].sum()),
                          int(c["amount_n"][mask][won].sum()), span,
                          month_key if month_key is not None else tuple(self.months), segment)
        if len(self._cache) >= _CACHE_SIZE:
            try:  # oldest first; another thread may be evicting too
                self._cache.pop(next(iter(self._cache)), None)
            except (StopIteration, RuntimeError):
                pass
        self._cache[key] = cube
        return cube


def _category_codes(values: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    """Integer codes of text or categorical values (-1 for anything else)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        if list(values.cat.categories) == list(categories):
            return values.cat.codes.to_numpy(np.int64)
        values = values.astype(object)
    return pd.Categorical(values, categories=list(categories)).codes.astype(np.int64)


def points_sql(expr: str) -> str:
    """SQL: points as the grid counts them: rounded to a whole number, NULL as 0, clipped
    to 0..100. Plain SQL that sqlglot transpiles (the grid's portable query uses it too:
    :mod:`calibrate.export.grid_sql`)."""
    return f"least(greatest(coalesce(CAST(round({expr}) AS INTEGER), 0), 0), 100)"


def rule_class_sql(rule: str) -> str:
    """SQL: the rule class (:data:`RULE_CLASSES`) of a rule label ``rule`` (NULL,
    'qualified:...' or 'disqualified:...'), in plain SQL as :func:`points_sql`."""
    return (f"CASE WHEN starts_with({rule}, {literal(RULE_CLASSES[DISQUALIFIED])}) "
            f"THEN {literal(RULE_CLASSES[DISQUALIFIED])} "
            f"WHEN starts_with({rule}, {literal(RULE_CLASSES[QUALIFIED])}) "
            f"THEN {literal(RULE_CLASSES[QUALIFIED])} ELSE {literal(RULE_CLASSES[NONE])} END")


def _output_columns(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [str(r[0]) for r in con.execute(f"DESCRIBE {sql}").fetchall()]


def build_grid(con: duckdb.DuckDBPyConnection, scored_sql: str) -> Grid:
    """Count the scored leads once, in DuckDB.

    ``scored_sql`` returns one row per lead with profile_points, behavior_points, total
    (integers; NULL counts as 0, values are clipped to 0..100), outcome (NULL counts as
    'open'), rule (NULL, 'qualified:...' or 'disqualified:...'), month (first of the month;
    may be NULL), segment (may be NULL) and optionally amount. Raises ValueError for an
    outcome outside won / lost / no_decision / open or a missing column.
    """
    sql = scored_sql.strip().rstrip(";")
    cols = _output_columns(con, sql)
    needed = ["profile_points", "behavior_points", "total", "outcome", "rule", "month",
              "segment"]
    missing = [c for c in needed if c not in cols]
    if missing:
        raise ValueError(f"the scored query lacks column(s): {', '.join(missing)}")

    def points(col: str) -> str:
        return points_sql(quote(col))

    has_amount = "amount" in cols
    amount_sum = "coalesce(sum(amount), 0)" if has_amount else "0.0"
    amount_n = "count(amount)" if has_amount else "0"
    amount_col = ", CAST(amount AS DOUBLE) AS amount" if has_amount else ""
    outcomes = "ENUM(" + ", ".join(f"'{o}'" for o in OUTCOMES) + ")"
    classes = "ENUM(" + ", ".join(f"'{c}'" for c in RULE_CLASSES) + ")"
    query = f"""
        SELECT profile_points, behavior_points, total, rule_class, outcome, month, segment,
               count(*) AS leads, CAST({amount_sum} AS DOUBLE) AS amount_sum,
               CAST({amount_n} AS BIGINT) AS amount_n
        FROM (
            SELECT {points('profile_points')} AS profile_points,
                   {points('behavior_points')} AS behavior_points,
                   {points('total')} AS total,
                   CAST({rule_class_sql('rule')} AS {classes}) AS rule_class,
                   CAST(coalesce(CAST(outcome AS VARCHAR), 'open') AS {outcomes}) AS outcome,
                   CAST(date_trunc('month', month) AS DATE) AS month,
                   CAST(segment AS VARCHAR) AS segment{amount_col}
            FROM ({sql}) AS scored
        ) AS s
        GROUP BY ALL
        ORDER BY ALL
    """
    try:
        frame = con.execute(query).df()
    except duckdb.ConversionException:
        bad = con.execute(
            f"SELECT DISTINCT CAST(outcome AS VARCHAR) FROM ({sql}) AS scored "
            f"WHERE outcome IS NOT NULL AND CAST(outcome AS VARCHAR) NOT IN "
            f"({', '.join(repr(o) for o in OUTCOMES)}) LIMIT 10"
        ).fetchall()
        if not bad:
            raise
        shown = ", ".join(repr(r[0]) for r in bad)
        raise ValueError(f"unknown outcome(s) in the scored query: {shown}; expected "
                         f"{', '.join(OUTCOMES)}") from None
    frame.columns = GRID_COLUMNS
    return grid_of(frame)


def grid_of(frame: pd.DataFrame, origin: str = "built") -> Grid:
    """A grid over a frame of counts (``Grid.frame``'s columns), its months and segments
    read from the frame."""
    months = [as_month(m) for m in pd.unique(frame["month"].dropna())]
    segments = [str(s) for s in pd.unique(frame["segment"].dropna())]
    return Grid(frame=frame, months=sorted(set(months)), segments=sorted(set(segments)),
                origin=origin)


def grid_from_frame(leads: pd.DataFrame) -> Grid:
    """A grid from a pandas frame of scored leads (same columns as ``build_grid``'s query).

    For tests and notebooks; it routes through DuckDB so both paths share one definition.
    """
    con = duckdb.connect()
    try:
        con.register("scored_frame", leads)
        return build_grid(con, "SELECT * FROM scored_frame")
    finally:
        con.close()


# ------------------------------------------------------------------ kept in the store


@dataclass(frozen=True)
class GridKey:
    """What a count grid was counted from: the leads (``data_version``), the points
    (``weights_id``) and a fingerprint of the points and auto-rules (see
    :func:`calibrate.decide.workshop.fingerprint`)."""

    data_version: int
    weights_id: int
    fingerprint: str


def _enum(values: tuple[str, ...]) -> str:
    return "ENUM(" + ", ".join(literal(v) for v in values) + ")"


def stored_grid(con: duckdb.DuckDBPyConnection, key: GridKey) -> Grid | None:
    """The grid kept in the store under ``key`` (None when there is none, or the store's
    schema predates kept grids, as an old file opened read-only does)."""
    cur = con.cursor()
    try:
        row = cur.execute(
            "SELECT id, rows FROM grids WHERE data_version = ? AND weights_id = ? AND "
            "fingerprint = ? AND format = ? ORDER BY id DESC LIMIT 1",
            [key.data_version, key.weights_id, key.fingerprint, GRID_FORMAT]).fetchall()
        if not row:
            return None
        grid_id, rows = row[0]
        # Segments come back as a categorical (an ENUM of the grid's own segments): text
        # would take most of the read.
        names = [r[0] for r in cur.execute(
            "SELECT DISTINCT segment FROM grid_cells WHERE grid_id = ? AND segment IS NOT "
            "NULL ORDER BY 1", [grid_id]).fetchall()]
        try:
            segment = f"CAST(segment AS {_enum(tuple(names))})" if names else "segment"
        except ValueError:  # a NUL in a segment's name (the ingest removes them)
            segment = "segment"
        frame = cur.execute(
            "SELECT profile_points, behavior_points, total, "
            f"CAST(rule_class AS {_enum(RULE_CLASSES)}) AS rule_class, "
            f"CAST(outcome AS {_enum(OUTCOMES)}) AS outcome, month, {segment} AS segment, "
            "leads, amount_sum, amount_n FROM grid_cells WHERE grid_id = ?", [grid_id]).df()
    except duckdb.CatalogException:  # an older schema, read as it is: no kept grids
        return None
    finally:
        cur.close()
    if len(frame) != rows:  # cannot happen (written in one transaction); rebuild if it does
        return None
    return grid_of(frame, origin="stored")


def _room_for(path: Path, grid: Grid) -> bool:
    """Whether the disk has ample room for the grid (a cache must not be what fills it)."""
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return False
    return free > (64 << 20) + 4 * int(grid.frame.memory_usage(deep=False).sum())


def store_grid(con: duckdb.DuckDBPyConnection, key: GridKey, grid: Grid) -> bool:
    """Keep ``grid`` in the store under ``key`` (one transaction), pruning the grids of
    other data or of older weights, which are never read again. Returns whether it was
    written. It never stands in the way of the screen: a read-only or in-memory store,
    another thread busy writing, or a failed write (a full disk) leave the store as it was
    and return False; the grid is then simply counted again by the next process."""
    path = store.writable_file(con)
    if path is None or not _room_for(path, grid):
        return False
    if not store.WRITE_LOCK.acquire(blocking=False):  # an ingest or a save in progress
        return False
    name = f"_grid_frame_{id(grid):x}"
    try:
        with store.transaction(con) as tx:
            stale = ("data_version <> ? OR weights_id < ? OR (weights_id = ? AND "
                     "(fingerprint <> ? OR format <> ?))")
            args = [key.data_version, key.weights_id, key.weights_id, key.fingerprint,
                    GRID_FORMAT]
            tx.execute(f"DELETE FROM grid_cells WHERE grid_id IN (SELECT id FROM grids "
                       f"WHERE {stale})", args)
            tx.execute(f"DELETE FROM grids WHERE {stale}", args)
            if tx.execute("SELECT count(*) FROM grids WHERE data_version = ? AND "
                          "weights_id = ? AND fingerprint = ?",
                          [key.data_version, key.weights_id, key.fingerprint]
                          ).fetchall()[0][0]:
                return False  # kept already (another thread of this process)
            grid_id = tx.execute("SELECT nextval('grid_id_seq')").fetchall()[0][0]
            tx.register(name, grid.frame)
            try:
                tx.execute(
                    "INSERT INTO grid_cells SELECT ?, profile_points, behavior_points, total, "
                    "CAST(rule_class AS VARCHAR), CAST(outcome AS VARCHAR), "
                    "CAST(month AS DATE), CAST(segment AS VARCHAR), leads, amount_sum, "
                    f"amount_n FROM {name}", [grid_id])
            finally:
                tx.unregister(name)
            tx.execute("INSERT INTO grids VALUES (?, now(), ?, ?, ?, ?, ?)",
                       [grid_id, key.data_version, key.weights_id, key.fingerprint,
                        GRID_FORMAT, len(grid.frame)])
        return True
    except (CalibrateError, duckdb.Error) as exc:
        log.warning("The count grid was not kept in the store (it is counted again on the "
                    "next start): %s", exc)
        return False
    finally:
        store.WRITE_LOCK.release()

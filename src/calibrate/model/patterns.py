"""Closed leads compressed in SQL, and counted per level.

Every closed lead is encoded in SQL (:mod:`calibrate.model.encode`) and DuckDB collapses
leads with the same codes (and the same split side and CV fold) into one row with its
numbers of wins and non-wins, grouping on one packed integer key (:func:`group`). The
weighted logistic likelihood of those rows equals the likelihood of the leads exactly.

**Case-control sampling** when there are more than ``max_fit_rows`` closed training leads
(with 19 attributes almost every lead is its own pattern, so grouping no longer compresses):
every closed lead, training or test, is kept with its class's rate, decided in SQL by a hash
of ``lead_id`` before grouping (:func:`sample_rates`, :func:`sample_sql`). Wins (the rare
class) are usually all kept and non-wins sampled so that about ``max_fit_rows`` training
leads remain. Each kept lead weighs (leads of its class / kept leads of its class), so the
weighted likelihood, the class totals, the class weights and the test metrics estimate the
full data's without bias: the standard importance-weighted case-control subsampling for
rare-event logistic regression (King and Zeng, 2001; Fithian and Hastie, 2014), whose loss
of precision is small while the kept non-wins far outnumber the wins. Counts stay exact:
the per-level leads and wins reported (and behind the leakage guard) come from SQL
aggregates over all leads (:func:`side_counts`, :func:`encoding_counts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from calibrate.model.encode import Encoding, encode_sql
from calibrate.model.split import Split
from calibrate.sql import literal, quote

__all__ = [
    "PACK_LIMIT",
    "Counts",
    "Patterns",
    "encoding_counts",
    "group",
    "level_counts",
    "sample_rates",
    "sample_sql",
    "side_counts",
]

#: Largest packed GROUP BY key; above it :func:`group` groups on the codes themselves.
PACK_LIMIT = 2**62

Counts = list[tuple[np.ndarray, np.ndarray]]  # per attribute: (leads, wins) per level


def _code_dtype(size: int) -> type[np.unsignedinteger]:
    """The smallest unsigned integer type holding codes ``0 .. size - 1``."""
    return np.uint8 if size <= 2**8 else np.uint16 if size <= 2**16 else np.uint32


@dataclass
class Patterns:
    """Compressed leads: one row per distinct (codes, test, fold) with wins and leads.

    ``codes`` holds one column per attribute in the smallest unsigned type that fits (a list
    of contiguous columns: the fit reads codes attribute by attribute). ``wins`` and
    ``leads`` are lead counts, or weighted counts when the leads were sampled.
    """

    codes: list[np.ndarray]  # per attribute, (rows,) uint8/uint16/uint32
    test: np.ndarray  # bool
    fold: np.ndarray  # int8, -1 for test rows
    wins: np.ndarray  # float
    leads: np.ndarray  # float

    def take(self, mask: np.ndarray) -> Patterns:
        """The rows where ``mask`` holds."""
        return Patterns([c[mask] for c in self.codes], self.test[mask], self.fold[mask],
                        self.wins[mask], self.leads[mask])

    def sides(self) -> tuple[Patterns, Patterns]:
        """(training rows, test rows): slices, without copying, when the test rows come
        last (as :func:`group` orders them), else copies."""
        n_train = int(len(self.test) - np.count_nonzero(self.test))
        if self.test[:n_train].any():
            return self.take(~self.test), self.take(self.test)
        return self.rows(slice(0, n_train)), self.rows(slice(n_train, None))

    def rows(self, part: slice) -> Patterns:
        """A slice of the rows (views, not copies)."""
        return Patterns([c[part] for c in self.codes], self.test[part], self.fold[part],
                        self.wins[part], self.leads[part])

    def select(self, cols: Sequence[int]) -> Patterns:
        """The same rows with only the attributes at positions ``cols``."""
        return Patterns([self.codes[j] for j in cols], self.test, self.fold, self.wins,
                        self.leads)


def group(cur: duckdb.DuckDBPyConnection, enc: Encoding, split: Split, k: int, seed: int,
          keep: str | None = None) -> Patterns:
    """Closed leads collapsed to distinct (codes, split side, CV fold) with wins and leads.

    The codes and the fold (``k`` = test) are packed into one BIGINT key when they fit, as
    DuckDB groups one integer key several times faster than a composite key; the codes are
    unpacked in numpy. ``keep`` is an SQL condition on a lead (the case-control sample of
    :func:`sample_sql`); wins and leads are then counts of the kept leads, unweighted.
    """
    sizes = [int(s) for s in enc.sizes]
    fold = (f"CASE WHEN {split.test_sql()} THEN {k} "
            f"ELSE (hash(lead_id, {seed + 1}) % {k})::INTEGER END")
    where = split.population_sql() + (f" AND {keep}" if keep else "")
    src = (f"SELECT {encode_sql(enc)}, {fold} AS _f, (outcome = 'won')::INTEGER AS _won "
           f"FROM leads WHERE {where}")
    mults = []
    m = k + 1
    for size in sizes:
        mults.append(m)
        m *= size
    if 2 * m < PACK_LIMIT:
        # The test flag on top: sorted keys put every test row after the training rows
        # (whose order is the codes' then the fold's), so both sides are slices.
        key = " + ".join([f"(_f = {k})::BIGINT * {m}", "_f::BIGINT"] + [
            f"{quote(n)}::BIGINT * {mu}" for n, mu in zip(enc.names, mults, strict=True)])
        res = cur.execute(f"SELECT {key} AS _k, sum(_won)::DOUBLE AS _wins, "
                          f"count(*)::DOUBLE AS _leads FROM ({src}) GROUP BY _k").fetchnumpy()
        key_ = np.asarray(res["_k"], dtype=np.int64)
        order = np.argsort(key_)  # DuckDB's parallel GROUP BY has no fixed row order
        key_ = key_[order]
        res = {k: np.asarray(v)[order] for k, v in res.items()}
        codes = []
        for mu, size in zip(mults, sizes, strict=True):
            codes.append(np.remainder(key_ // mu, size).astype(_code_dtype(size)))
        f = key_ % (k + 1)
    else:
        keys = ", ".join([quote(n) for n in enc.names] + ["_f"])
        res = cur.execute(f"SELECT {keys}, sum(_won)::DOUBLE AS _wins, count(*)::DOUBLE AS "
                          f"_leads FROM ({src}) GROUP BY {keys} ORDER BY _f = {k}, {keys}"
                          ).fetchnumpy()
        codes = [np.asarray(res[n]).astype(_code_dtype(size))
                 for n, size in zip(enc.names, sizes, strict=True)]
        f = np.asarray(res["_f"], dtype=np.int64)
    test = f == k
    return Patterns(codes, test, np.where(test, -1, f).astype(np.int8),
                    np.asarray(res["_wins"], dtype=float), np.asarray(res["_leads"], dtype=float))


def sample_rates(wins: int, nonwins: int, cap: int | None) -> tuple[float, float] | None:
    """Sampling rates (wins, non-wins) bringing ``wins + nonwins`` training leads to about
    ``cap``, or None when they are at most ``cap`` (or ``cap`` is None).

    Case-control sampling: the rarer class is kept whole when it fits in half the cap, and
    the other class fills the rest; a class larger than half the cap is sampled down to it.
    """
    if cap is None or wins + nonwins <= cap:
        return None
    half = cap / 2
    return (min(1.0, max(half, cap - nonwins) / max(wins, 1)),
            min(1.0, max(half, cap - wins) / max(nonwins, 1)))


def sample_sql(rates: tuple[float, float], seed: int) -> str:
    """SQL condition keeping a lead with its class's rate, by a hash of ``lead_id``
    (deterministic, independent of the split and fold hashes)."""
    h = f"hash(lead_id, {seed + 2})"
    win, other = (f"{h} < {int(r * 2.0**64)}::UBIGINT" if r < 1 else "true" for r in rates)
    return f"(CASE WHEN outcome = 'won' THEN {win} ELSE {other} END)"


# ------------------------------------------------------------------ per-level counts


def level_counts(pat: Patterns, enc: Encoding) -> tuple[Counts, Counts]:
    """Per attribute: (leads, wins) per level over the training and over the test patterns.

    One ``bincount`` per attribute and count gives both sides (bins ``code + size * test``).
    """
    train, test = [], []
    side = pat.test.astype(np.intp)
    for col, a in zip(pat.codes, enc, strict=True):
        idx = side * a.size
        idx += col
        leads = np.bincount(idx, weights=pat.leads, minlength=2 * a.size)
        wins = np.bincount(idx, weights=pat.wins, minlength=2 * a.size)
        train.append((leads[:a.size], wins[:a.size]))
        test.append((leads[a.size:], wins[a.size:]))
    return train, test


def encoding_counts(enc: Encoding) -> Counts:
    """Per attribute: (leads, wins) per level of the training leads, as counted (exactly, in
    SQL) while the encoding was learnt."""
    return [(np.asarray(a.counts, dtype=float), np.asarray(a.wins, dtype=float)) for a in enc]


def side_counts(cur: duckdb.DuckDBPyConnection, enc: Encoding, split: Split,
                sides: Sequence[str]) -> dict[str, Counts]:
    """Exact (leads, wins) per level of every attribute on the ``"open"`` leads and / or the
    ``"test"`` split, in one pass over ``leads`` (GROUPING SETS over attribute and side)."""
    out = {side: [(np.zeros(a.size), np.zeros(a.size)) for a in enc] for side in sides}
    if not sides:
        return out
    cond = {"open": "outcome = 'open'",
            "test": f"({split.population_sql()} AND {split.test_sql()})"}
    side = "CASE " + " ".join(f"WHEN {cond[x]} THEN {literal(x)}" for x in sides) + " END"
    names = [quote(n) for n in enc.names]
    sets = ", ".join(f"({n}, _side)" for n in names)
    rows = cur.execute(
        f"SELECT {', '.join(names)}, _side, count(*), sum(_won) FROM (SELECT "
        f"{encode_sql(enc)}, {side} AS _side, (outcome = 'won')::INTEGER AS _won FROM leads "
        f"WHERE {' OR '.join(cond[x] for x in sides)}) GROUP BY GROUPING SETS ({sets})"
    ).fetchall()
    m = len(names)
    for row in rows:
        j = next(i for i in range(m) if row[i] is not None)
        leads, wins = out[row[m]][j]
        leads[int(row[j])] = float(row[m + 1])
        wins[int(row[j])] = float(row[m + 2] or 0)
    return out

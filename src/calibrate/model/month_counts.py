"""Leads by month, counted in one DuckDB pass: per attribute level and per score value.

Every attribute is coded (a text column of few distinct values through a map of those
values, :data:`MAP_MAX`), each lead's profile and behavior points added from the points
table, and leads counted with ``GROUPING SETS``: per month and profile and behavior points
(the total follows from the two, computed as the scoring SQL rounds it), and per month and
level of a few packs of attributes (:data:`PACK`), fewer sets being cheaper than one per
attribute. No lead is ever read into Python. A recency attribute counts the days to each
lead's reference date as the fit counted them (its close date, else the newest date loaded:
:func:`calibrate.model.recency.stored_reference`), never to today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from calibrate.model.encode import Encoding
from calibrate.model.points import axis_ranges, encoding_from_table
from calibrate.model.recency import stored_reference
from calibrate.sql import literal, quote

#: Most level combinations counted in one grouping set: attributes are packed together (the
#: product of their level counts at most this) so that the one pass keeps few grouping sets,
#: each with few groups (months x PACK); the counts are unpacked in numpy.
PACK = 4096
#: A text column with at most this many distinct stored values gets its level code from a
#: map of those values (each coded once by the same CASE), not from the CASE's string
#: comparisons on every lead: several times cheaper per lead.
MAP_MAX = 64


@dataclass
class MonthCounts:
    """Leads by month: per attribute, months x levels; per score (total, profile,
    behavior), its values and months x values; and the leads without a date."""

    months: list[dt.date]
    attributes: list[np.ndarray]
    scores: dict[str, tuple[np.ndarray, np.ndarray]]
    undated: int


def points_list(table: pd.DataFrame, attribute: str) -> str:
    """An attribute's points as a SQL list literal in code order, indexed by its code + 1
    (as :mod:`calibrate.model.lead_points` looks points up)."""
    rows = table[table["attribute"] == attribute].sort_values("code")
    return "[" + ", ".join(str(int(p)) for p in rows["points"]) + "]::INTEGER[]"


def code_exprs(con: duckdb.DuckDBPyConnection, enc: Encoding,
               reference: str | None = None) -> list[str]:
    """Each attribute's level code for a row of ``leads``: its CASE expression, or for a
    text column of few distinct values a lookup in the map of those values to their codes
    (computed by the same CASE, so every lead gets the same code). Recency counts days to
    ``reference`` (SQL of each row's date, :func:`~calibrate.model.recency.stored_reference`;
    default today)."""
    exprs = [a.sql(reference=reference) for a in enc]
    types = {r[0]: str(r[1]) for r in con.execute("DESCRIBE leads").fetchall()}
    text = [(i, a) for i, a in enumerate(enc)
            if a.kind == "categorical" and types.get(a.name) == "VARCHAR"]
    if not text:
        return exprs
    guess = con.execute("SELECT " + ", ".join(f"approx_count_distinct({quote(a.name)})"
                                              for _, a in text) + " FROM leads").fetchone()
    few = [(i, a) for (i, a), n in zip(text, guess, strict=True) if n <= MAP_MAX]
    if not few:
        return exprs
    found = con.execute("SELECT " + ", ".join(
        f"list(DISTINCT {quote(a.name)}) FILTER (WHERE {quote(a.name)} IS NOT NULL)"
        for _, a in few) + " FROM leads").fetchone()
    for (i, a), values in zip(few, found, strict=True):
        values = list(values or [])
        if not values or len(values) > MAP_MAX:
            continue
        coded = con.execute(f"SELECT v, {a.sql('v')} FROM unnest(?::VARCHAR[]) AS t(v)",
                            [values]).fetchall()
        pairs = ", ".join(f"{literal(v)}: {int(c)}" for v, c in coded)
        exprs[i] = f"coalesce((MAP {{{pairs}}})[{quote(a.name)}], {a.missing_code})"
    return exprs


def _packs(enc: Encoding) -> list[list[int]]:
    """Attributes packed together, in order, each pack's product of level counts at most
    :data:`PACK` (an attribute with more levels alone)."""
    packs: list[list[int]] = []
    size = PACK + 1
    for i, a in enumerate(enc):
        if size * a.size > PACK:
            packs.append([])
            size = 1
        packs[-1].append(i)
        size *= a.size
    return packs


def _counts_sql(table: pd.DataFrame, enc: Encoding, codes: list[str]) -> str:
    """One pass over the dated leads: leads per (month, packed levels) of each pack of
    attributes and per (month, profile points, behavior points). Points as
    :mod:`calibrate.model.lead_points` adds them (the same lists and sums)."""
    coded = ", ".join(f"{c} AS _c{i}" for i, c in enumerate(codes))

    def axis_sum(axis: str) -> str:
        terms = [f"({points_list(table, a.name)})[_c{i} + 1]"
                 for i, a in enumerate(enc) if a.axis == axis]
        return f"({' + '.join(terms) if terms else '0'})::INTEGER"

    packed = []
    for pack in _packs(enc):
        terms, weight = [], 1
        for i in reversed(pack):
            terms.append(f"_c{i}::INTEGER * {weight}")
            weight *= enc.attributes[i].size
        packed.append(" + ".join(terms))
    groups = ", ".join(f"({p}) AS _g{k}" for k, p in enumerate(packed))
    keys = ", ".join(f"_g{k}" for k in range(len(packed)))
    sets = ", ".join([f"(_m, _g{k})" for k in range(len(packed))] + ["(_m, _p, _b)"])
    return (
        f"WITH _codes AS (SELECT CAST(date_trunc('month', created_at) AS DATE) AS _m, {coded} "
        f"FROM leads WHERE created_at IS NOT NULL), "
        f"_packed AS (SELECT _m, {axis_sum('profile')} AS _p, {axis_sum('behavior')} AS _b, "
        f"{groups} FROM _codes) "
        f"SELECT _m, _p, _b, {keys}, count(*) AS _n FROM _packed "
        f"GROUP BY GROUPING SETS ({sets})"
    )


def total_of(profile: np.ndarray, behavior: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """The total score of profile and behavior points, exactly as the scoring SQL rounds it
    (:mod:`calibrate.model.lead_points`: the same double arithmetic, then floor(x + 0.5))."""
    ranges = axis_ranges(table)
    rp, rb = ranges["profile"], ranges["behavior"]
    p, b = np.asarray(profile, dtype=np.float64), np.asarray(behavior, dtype=np.float64)
    x = (p * rp + b * rb) / (rp + rb) if rp + rb > 0 else (p + b) / 2.0
    return np.floor(x + 0.5).astype(np.int64)


def _month_matrix(month: np.ndarray, values: np.ndarray, n: np.ndarray,
                  shape: tuple[int, int]) -> np.ndarray:
    """Months x values counts from grouped rows (each row's month, value and leads)."""
    out = np.zeros(shape, dtype=np.float64)
    np.add.at(out, (month, values), n)
    return out


def month_counts(con: duckdb.DuckDBPyConnection, table: pd.DataFrame,
                 enc: Encoding | None = None) -> MonthCounts:
    """Leads by month per level of every attribute of the points ``table`` (``enc``, its
    encoding, when known) and per value of each score, counted by DuckDB in one pass
    (module docs: speed). Recency counts to each lead's reference date as the fit does
    (:func:`~calibrate.model.recency.stored_reference`)."""
    enc = enc if enc is not None else encoding_from_table(table)
    reference = stored_reference(con, (a.kind for a in enc))
    frame = con.execute(_counts_sql(table, enc, code_exprs(con, enc, reference))).df()
    undated = int(con.execute("SELECT count(*) - count(created_at) FROM leads").fetchone()[0])
    stamps = pd.to_datetime(frame["_m"]).to_numpy(dtype="datetime64[M]")
    unique, month_of = np.unique(stamps, return_inverse=True)
    months = [dt.date(int(str(m)[:4]), int(str(m)[5:7]), 1) for m in unique]
    n = frame["_n"].to_numpy(dtype=np.float64)
    attributes: list[np.ndarray] = [np.zeros((len(months), a.size)) for a in enc]
    for k, pack in enumerate(_packs(enc)):
        rows = frame[f"_g{k}"].notna().to_numpy()
        sizes = [enc.attributes[i].size for i in pack]
        codes = np.unravel_index(frame.loc[rows, f"_g{k}"].to_numpy(dtype=np.int64), sizes)
        for i, size, c in zip(pack, sizes, codes, strict=True):
            attributes[i] = _month_matrix(month_of[rows], c, n[rows], (len(months), size))
    rows = frame["_p"].notna().to_numpy()
    p = frame.loc[rows, "_p"].to_numpy(dtype=np.int64)
    b = frame.loc[rows, "_b"].to_numpy(dtype=np.int64)
    scores = {}
    for name, values in (("total", total_of(p, b, table)), ("profile", p), ("behavior", b)):
        lo = int(values.min(initial=0))
        hi = int(values.max(initial=0))
        matrix = _month_matrix(month_of[rows], values - lo, n[rows],
                               (len(months), hi - lo + 1))
        scores[name] = (np.arange(lo, hi + 1), matrix)
    return MonthCounts(months, attributes, scores, undated)


# ------------------------------------------------------------------------------- results

"""Learning the levels of every scored attribute from the closed leads: what an encoding holds.

The encoding (:class:`~calibrate.model.encode.Encoding`) is learnt with a few SQL aggregates
(no Python loop over rows). Levels, by kind (codes are positions in ``levels``):

* categorical (and free text): one level per value held by at least ``min_count`` leads
  (default: 1% of the leads, at least 30), most common first; rarer and unseen values pool
  into ``"Other"``; NULL is ``"Missing"``. The stored values ``"Other"`` and ``"Missing"``
  are reserved: they join the pooled and the missing level.
* numeric: bins a person can type into a marketing-automation rule. Cut points start from
  data quantiles rounded to readable numbers (whole numbers for counts, giving levels like
  ``"0"``, ``"1-2"``, ``"3-5"``, ``"6-10"``, ``"11+"``); bins smaller than ``min_share`` of
  the leads merge into a neighbour; when the win rate has a clear monotone trend over the
  bins (rank correlation at least 0.75 and a trend test with |z| >= 3) adjacent bins that
  break it are pooled (pool-adjacent-violators); then the most similar neighbours
  (smallest chi-square) merge until at most ``max_bins`` remain. A bin holds
  ``lower <= x < upper``. The rounding is :mod:`calibrate.model.cut_points`, the merging
  :mod:`calibrate.model.bin_merge`; this module runs the SQL around them.
* flag: ``"No"``, ``"Yes"``, ``"Missing"``.
* recency: a behavior-role activity date is scored by the days since it
  (:mod:`calibrate.model.recency`): the whole days from the date to each lead's reference
  date (its close date, else the newest date loaded), binned as a whole number, with
  labels in days (``"0-6 days ago"``, ``"90+ days ago"``); no date is ``"Missing"``. The
  attribute keeps the date column's name, its kind is ``recency``. Dates named
  like record keeping ("Last Modified Date") and profile-role dates are not scored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np

from calibrate.data.store import ColumnInfo, read_columns
from calibrate.model.bin_merge import merge_bins
from calibrate.model.cut_points import candidate_cuts, quantile_disc
from calibrate.model.encode import (
    ANY,
    AXES,
    MISSING,
    NO,
    OTHER,
    YES,
    AttributeEncoding,
    Encoding,
    bin_labels,
    num_literal,
)
from calibrate.model.recency import days_since_sql, is_record_keeping, reference_sql
from calibrate.sql import literal, quote

__all__ = ["learn_encoding"]

#: Column types (from ingest) mapped to the encoding kind; a behavior ``date`` is scored
#: as its recency (module docs).
KIND_OF_TYPE = {"categorical": "categorical", "text": "categorical", "numeric": "numeric",
                "flag": "flag"}
#: Why a date is not scored.
PROFILE_DATE = ("a profile date is not scored; give it the behavior role to score the days "
                "since it")
RECORD_DATE = "named like a record-keeping date, not activity: not scored"
CLOSED_SQL = "outcome IN ('won', 'lost', 'no_decision')"
QUANTILES = (0.01, 0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55,
              0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99)
QUANTILE_SAMPLE = 200_000
#: Numeric columns with at most about this many distinct values are binned from one count
#: per value (exact quantiles); others from sampled quantiles and CASE.
BY_VALUE_DISTINCT = 20_000


def _resolve_min_count(min_count: int | float | None, n: int) -> int:
    """The level threshold in leads: default max(30, 1% of leads); a float is a share."""
    if min_count is None:
        return max(30, math.ceil(0.01 * n))
    if isinstance(min_count, bool) or not isinstance(min_count, int | float | np.number):
        raise TypeError(f"min_count must be an int >= 1, a float in (0, 1) or None; got "
                        f"{min_count!r}.")
    if isinstance(min_count, float | np.floating) and not float(min_count).is_integer():
        if not 0 < min_count < 1:
            raise ValueError(f"min_count as a share must be in (0, 1); got {min_count!r}.")
        return max(1, math.ceil(float(min_count) * n))
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1; got {min_count!r}.")
    return int(min_count)


def _check_learn_params(max_bins: int, min_share: float) -> None:
    if isinstance(max_bins, bool) or not isinstance(max_bins, int | np.integer) or max_bins < 1:
        raise ValueError(f"max_bins must be an int >= 1; got {max_bins!r}.")
    if (isinstance(min_share, bool) or not isinstance(min_share, int | float)
            or not 0 <= min_share < 0.5):
        raise ValueError(f"min_share must be a float in [0, 0.5); got {min_share!r}.")


def learn_encoding(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str = "leads",
    where: str | None = None,
    columns: Sequence[ColumnInfo] | None = None,
    min_count: int | float | None = None,
    max_bins: int = 5,
    min_share: float = 0.03,
    monotone: bool = True,
    reference: str | None = None,
) -> Encoding:
    """Learn the levels and bins of every profile and behavior attribute from closed leads.

    ``source`` is a table name; ``where`` a SQL condition selecting the leads to learn from
    (default: the closed ones); ``columns`` the attributes (default: every profile and
    behavior column of the stored mapping). A behavior activity date is encoded as its
    recency, in days to ``reference`` (SQL; default
    :func:`calibrate.model.recency.reference_sql` on ``source``); other dates are listed
    in ``Encoding.skipped`` with why.
    """
    relation = f"(SELECT * FROM {quote(source)} WHERE {where or CLOSED_SQL})"
    if columns is None:
        columns = [c for c in read_columns(con) if c.role in AXES]
    if reference is None and any(_is_recency(c) for c in columns):
        reference = reference_sql(con, source)
    return _learn(con, relation, "outcome = 'won'", columns, min_count=min_count,
                  max_bins=max_bins, min_share=min_share, monotone=monotone,
                  reference=reference or "current_date")


def _is_recency(c: ColumnInfo) -> bool:
    """A behavior activity date: scored as the days since it."""
    return (c.type == "date" and c.role == "behavior"
            and not is_record_keeping(c.source_name or c.name))


def _learn(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    target: str,
    columns: Sequence[ColumnInfo],
    *,
    min_count: int | float | None,
    max_bins: int,
    min_share: float,
    monotone: bool,
    reference: str = "current_date",
) -> Encoding:
    """Learn from ``relation`` (a trusted SQL relation) with win indicator ``target``;
    recency counts days to ``reference`` (SQL)."""
    _check_learn_params(max_bins, min_share)
    skipped: dict[str, str] = {}
    usable: list[ColumnInfo] = []
    select: dict[str, str] = {}  # attribute -> its SQL in the base relation
    for c in columns:
        if c.role not in AXES:
            raise ValueError(f"{c.name}: only profile and behavior columns are encoded "
                             f"(role is {c.role!r}).")
        if _is_recency(c):
            select[c.name] = days_since_sql(quote(c.name), reference)
            usable.append(ColumnInfo(c.name, c.source_name, c.role, "recency", c.reason))
        elif c.type == "date":
            skipped[c.name] = PROFILE_DATE if c.role == "profile" else RECORD_DATE
        elif c.type not in KIND_OF_TYPE:
            skipped[c.name] = f"type {c.type!r} cannot be scored"
        else:
            select[c.name] = quote(c.name)
            usable.append(c)
    base = (f"SELECT ({target})::INTEGER AS _won, hash(lead_id, 11) AS _h"
            + "".join(f", {select[c.name]} AS {quote(c.name)}" for c in usable)
            + f" FROM {relation}")
    n, _ = con.execute(f"SELECT count(*), coalesce(sum(_won), 0) FROM ({base})").fetchone()
    n = int(n)
    threshold = _resolve_min_count(min_count, n)
    kinds = {c.name: "recency" if c.type == "recency" else KIND_OF_TYPE[c.type]
             for c in usable}
    cats = [c.name for c in usable if kinds[c.name] == "categorical"]
    nums = [c.name for c in usable if kinds[c.name] in ("numeric", "recency")]
    flags = [c.name for c in usable if kinds[c.name] == "flag"]
    learnt: dict[str, AttributeEncoding] = {}
    axis = {c.name: c.role for c in usable}
    stype = {c.name: "date" if c.type == "recency" else c.type for c in usable}
    if cats:
        for name, (levels, counts, wins) in _learn_categorical(con, base, cats,
                                                               threshold).items():
            learnt[name] = AttributeEncoding(name, axis[name], "categorical", levels,
                                             source_type=stype[name], counts=counts,
                                             wins=wins)
    if nums:
        for name, spec in _learn_numeric(con, base, nums, n, threshold, max_bins, min_share,
                                         monotone).items():
            recency = kinds[name] == "recency"
            levels = [_in_days(v) for v in spec["levels"]] if recency else spec["levels"]
            learnt[name] = AttributeEncoding(name, axis[name], kinds[name], levels,
                                             edges=spec["edges"], integer=spec["integer"],
                                             source_type=stype[name], trend=spec["trend"],
                                             counts=spec["counts"], wins=spec["wins"],
                                             reference=reference if recency else "")
    if flags:
        for name, (counts, wins) in _learn_flags(con, base, flags).items():
            learnt[name] = AttributeEncoding(name, axis[name], "flag", [NO, YES, MISSING],
                                             source_type=stype[name], counts=counts,
                                             wins=wins)
    return Encoding([learnt[c.name] for c in usable], n, threshold, skipped)


def _in_days(label: str) -> str:
    """A recency bin's label in days ("0-6" -> "0-6 days ago"); Missing and Any value stay."""
    if label in (MISSING, ANY):
        return label
    return f"{label} day{'' if label == '1' else 's'} ago"


def _counts_by(con: duckdb.DuckDBPyConnection, select: str, names: list[str]
               ) -> list[tuple[str, Any, int, int]]:
    """(attribute, value, leads, wins) for every value of every attribute.

    One small GROUP BY per attribute over a shared CTE (faster in DuckDB than UNPIVOT).
    """
    parts = [f"SELECT {literal(n)} AS _name, CAST({quote(n)} AS VARCHAR) AS _value, "
             f"count(*)::BIGINT, sum(_won)::BIGINT FROM _src GROUP BY {quote(n)}" for n in names]
    return con.execute(f"WITH _src AS ({select}) " + " UNION ALL ".join(parts)).fetchall()


def _learn_categorical(con: duckdb.DuckDBPyConnection, base: str, names: list[str],
                       threshold: int) -> dict[str, tuple[list[str], list[int], list[int]]]:
    select = ("SELECT _won, " + ", ".join(f"CAST({quote(n)} AS VARCHAR) AS {quote(n)}"
                                          for n in names) + f" FROM ({base})")
    rows = _counts_by(con, select, names)
    per: dict[str, list[tuple[Any, int, int]]] = {n: [] for n in names}
    for name, value, count, wins in rows:
        per[name].append((value, int(count), int(wins)))
    out = {}
    for name in names:
        per[name] = _fold_case(per[name])
        kept = sorted(((v, c, w) for v, c, w in per[name]
                       if v is not None and v.lower() not in _RESERVED and c >= threshold),
                      key=lambda t: (-t[1], t[0]))
        kept_values = {v for v, _, _ in kept}
        missing = [(v is None or v.lower() == MISSING.lower()) for v, _, _ in per[name]]
        other_c = sum(c for (v, c, _), m in zip(per[name], missing, strict=True)
                      if not m and v not in kept_values)
        other_w = sum(w for (v, _, w), m in zip(per[name], missing, strict=True)
                      if not m and v not in kept_values)
        miss_c = sum(c for (_, c, _), m in zip(per[name], missing, strict=True) if m)
        miss_w = sum(w for (_, _, w), m in zip(per[name], missing, strict=True) if m)
        levels = [v for v, _, _ in kept] + [OTHER, MISSING]
        counts = [c for _, c, _ in kept] + [other_c, miss_c]
        wins = [w for _, _, w in kept] + [other_w, miss_w]
        out[name] = (levels, counts, wins)
    return out


_RESERVED = (OTHER.lower(), MISSING.lower())


def _fold_case(values: list[tuple[Any, int, int]]) -> list[tuple[Any, int, int]]:
    """(value, leads, wins) with values equal but for case merged under their commonest
    spelling ("Google" 900 and "google" 40 -> "Google" 940; ties: the first in sort order).

    Python's ``str.lower`` and DuckDB's ``lower`` agree on the letters CRM values use.
    """
    merged: dict[Any, list[Any]] = {}
    for value, count, wins in sorted(values, key=lambda t: (-t[1], str(t[0]))):
        key = value.lower() if isinstance(value, str) else value
        if key in merged:
            merged[key][1] += count
            merged[key][2] += wins
        else:
            merged[key] = [value, count, wins]
    return [(v, c, w) for v, c, w in merged.values()]


def _learn_flags(con: duckdb.DuckDBPyConnection, base: str, names: list[str]
                 ) -> dict[str, tuple[list[int], list[int]]]:
    select = ("SELECT _won, " + ", ".join(
        f"(CASE WHEN TRY_CAST({quote(n)} AS BOOLEAN) IS NULL THEN 2 "
        f"WHEN TRY_CAST({quote(n)} AS BOOLEAN) THEN 1 ELSE 0 END) AS {quote(n)}"
        for n in names) + f" FROM ({base})")
    out = {n: ([0, 0, 0], [0, 0, 0]) for n in names}
    for name, code, count, wins in _counts_by(con, select, names):
        out[name][0][int(code)] = int(count)
        out[name][1][int(code)] = int(wins)
    return out


# ------------------------------------------------------------------------- numeric bins


#: Per column: (cuts, bin counts, bin wins, (missing leads, missing wins)); bin j holds
#: cuts[j-1] <= x < cuts[j].
_Binned = tuple[list[float], np.ndarray, np.ndarray, tuple[int, int]]


def _learn_numeric(con: duckdb.DuckDBPyConnection, base: str, names: list[str], n: int,
                   threshold: int, max_bins: int, min_share: float, monotone: bool
                   ) -> dict[str, dict[str, Any]]:
    parts = []
    for c in names:
        x = quote(c)
        parts += [f"count({x})", f"min({x})", f"max({x})",
                  f"coalesce(bool_and({x} = round({x})), true)", f"approx_count_distinct({x})"]
    stats = con.execute("SELECT " + ", ".join(parts) + f" FROM ({base})").fetchone()
    info: dict[str, tuple[int, float, float, bool]] = {}
    by_value, by_cut = [], []
    for i, c in enumerate(names):
        count, lo, hi, integer, distinct = stats[5 * i: 5 * i + 5]
        count, integer = int(count), bool(integer)
        info[c] = (count, float(lo), float(hi), integer) if count else (0, 0.0, 0.0, integer)
        (by_value if count and distinct <= BY_VALUE_DISTINCT else by_cut).append(c)
    binned: dict[str, _Binned] = {}
    if by_value:
        binned.update(_bin_by_value(con, base, by_value, {c: info[c] for c in by_value}))
    if by_cut:
        binned.update(_bin_by_cut(con, base, by_cut, {c: info[c] for c in by_cut}, n))
    out = {}
    for c in names:
        count, lo, _hi, integer = info[c]
        cuts, cn, cw, miss = binned[c]
        min_n = max(float(threshold), min_share * count) if count else 0.0
        groups, trend = merge_bins(cn, cw, min_n=min_n, max_bins=max_bins, monotone=monotone)
        edges = [cuts[last] for _, last in groups[:-1]]
        levels = bin_labels(edges, integer, lo) + [MISSING]
        counts = [int(cn[a:b + 1].sum()) for a, b in groups]
        wins = [int(cw[a:b + 1].sum()) for a, b in groups]
        out[c] = {"levels": levels, "edges": [float(e) for e in edges], "integer": integer,
                  "trend": trend, "counts": counts + [miss[0]], "wins": wins + [miss[1]]}
    return out


def _bin_by_value(con: duckdb.DuckDBPyConnection, base: str, names: list[str],
                  info: dict[str, tuple[int, float, float, bool]]
                  ) -> dict[str, _Binned]:
    """Cuts and bin counts of columns with few distinct values, from one count per value.

    Exact quantiles on every lead at the cost of one small GROUP BY per column, several
    times cheaper than sorting a sample for ``quantile_disc`` and binning with CASE.
    """
    parts = [f"SELECT {i}::INTEGER AS _i, coalesce({quote(c)}::DOUBLE, 0) AS _v, "
             f"{quote(c)} IS NULL AS _null, count(*)::BIGINT AS _n, sum(_won)::BIGINT AS _w "
             f"FROM _src GROUP BY {quote(c)}" for i, c in enumerate(names)]
    res = con.execute(f"WITH _src AS ({base}) " + " UNION ALL ".join(parts)).fetchnumpy()
    col, null = np.asarray(res["_i"]), np.asarray(res["_null"], dtype=bool)
    value = np.asarray(res["_v"], dtype=float)
    leads, wins = np.asarray(res["_n"], dtype=np.int64), np.asarray(res["_w"], dtype=np.int64)
    out = {}
    for i, c in enumerate(names):
        here = col == i
        miss = here & null
        seen = here & ~null
        order = np.argsort(value[seen], kind="stable")
        v, cn, cw = value[seen][order], leads[seen][order], wins[seen][order]
        _count, lo, hi, integer = info[c]
        cuts = candidate_cuts(quantile_disc(v, cn, QUANTILES), lo, hi, integer)
        code = np.searchsorted(np.asarray(cuts, dtype=float), v, side="right")
        k = len(cuts) + 1
        out[c] = (cuts, np.bincount(code, weights=cn, minlength=k).astype(float),
                  np.bincount(code, weights=cw, minlength=k).astype(float),
                  (int(leads[miss].sum()), int(wins[miss].sum())))
    return out


def _bin_by_cut(con: duckdb.DuckDBPyConnection, base: str, names: list[str],
                info: dict[str, tuple[int, float, float, bool]], n: int
                ) -> dict[str, _Binned]:
    """Cuts from ``quantile_disc`` and bin counts from CASE, for columns with many values.

    Candidate cuts only need rough quantiles: above QUANTILE_SAMPLE leads they come from a
    deterministic hash sample (the bin counts that follow use every lead).
    """
    qlist = "[" + ", ".join(str(q) for q in QUANTILES) + "]"
    every = max(1, math.ceil(n / QUANTILE_SAMPLE))
    sample = f" FILTER (WHERE _h % {every} = 0)" if every > 1 else ""
    quantiles = con.execute("SELECT " + ", ".join(
        f"quantile_disc({quote(c)}, {qlist}){sample}" for c in names) + f" FROM ({base})"
    ).fetchone()
    cuts: dict[str, list[float]] = {}
    for c, qs in zip(names, quantiles, strict=True):
        count, lo, hi, integer = info[c]
        cuts[c] = candidate_cuts(list(qs or []), lo, hi, integer) if count else []
    select = "SELECT _won, " + ", ".join(
        f"(CASE WHEN {quote(c)} IS NULL THEN -1 "
        + " ".join(f"WHEN {quote(c)} < {num_literal(e)} THEN {j}" for j, e in enumerate(cuts[c]))
        + f" ELSE {len(cuts[c])} END) AS {quote(c)}"
        for c in names) + f" FROM ({base})"
    per: dict[str, dict[int, tuple[int, int]]] = {c: {} for c in names}
    for name, code, count, wins in _counts_by(con, select, names):
        per[name][int(code)] = (int(count), int(wins))
    out = {}
    for c in names:
        k = len(cuts[c]) + 1
        out[c] = (cuts[c], np.array([per[c].get(j, (0, 0))[0] for j in range(k)], dtype=float),
                  np.array([per[c].get(j, (0, 0))[1] for j in range(k)], dtype=float),
                  per[c].get(-1, (0, 0)))
    return out

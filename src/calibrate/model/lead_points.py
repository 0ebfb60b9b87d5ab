"""Scoring leads with a points table, in one SQL query, and what an edited table costs.

Why SQL: a points table is applied to every lead on every change, and the leads live in
DuckDB. The table is turned back into the encoding it came from
(:func:`calibrate.model.points.encoding_from_table`), so the codes come from the same CASE
expressions as in the fit (:func:`calibrate.model.encode.encode_sql`): a categorical value with a
level of its own gets that level's points, any other non-empty value the ``Other`` points,
an empty one the ``Missing`` points; numbers fall in their bin (lower <= x < upper); flags
are Yes / No / Missing. Each code then indexes a list literal of points.

A recency attribute (an activity date, "0-6 days ago") counts the days from its date to a
reference date: :func:`score_leads` takes each closed lead's close date (else the newest
date loaded), as the fit did, and for open leads the scoring date, today unless ``as_of``
says otherwise (:func:`calibrate.model.recency.reference_sql`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from calibrate.model import metrics as mx
from calibrate.model.encode import Encoding, encode_sql
from calibrate.model.points import (
    DEFAULT_CUTOFFS,
    GRADES,
    _cutoffs,
    axis_ranges,
    encoding_from_table,
    validate_table,
)
from calibrate.model.recency import reference_sql
from calibrate.sql import literal, quote

__all__ = ["evaluate", "lead_reference", "points_column", "score_leads", "score_sql",
           "top_reasons"]


def points_column(attribute: str) -> str:
    """Name of the per-attribute points column in the score output."""
    return f"points_{attribute}"


def _level_column(attribute: str) -> str:
    return f"level_{attribute}"


def _per_attribute(table: pd.DataFrame, enc: Encoding, labels: bool) -> list[str]:
    """``[p0, p1, ...][code + 1] AS "points_x"`` (and level labels) for every attribute."""
    exprs = []
    for a in enc:
        rows = table[table["attribute"] == a.name].sort_values("code")
        pts = ", ".join(str(int(v)) for v in rows["points"])
        exprs.append(f"([{pts}]::INTEGER[])[{quote(a.name)} + 1] AS "
                     f"{quote(points_column(a.name))}")
        if labels:
            lv = ", ".join(literal(v) for v in rows["level"])
            exprs.append(f"([{lv}]::VARCHAR[])[{quote(a.name)} + 1] AS "
                         f"{quote(_level_column(a.name))}")
    return exprs


def _axis_sum(enc: Encoding, axis: str) -> str:
    cols = [quote(points_column(a.name)) for a in enc if a.axis == axis]
    return " + ".join(cols) if cols else "0"


def _band(expr: str, cuts: list[float], values: Sequence[str]) -> str:
    whens = " ".join(f"WHEN {expr} >= {c!r} THEN {v}" for c, v in zip(cuts, values[:3],
                                                                     strict=True))
    return f"CASE {whens} ELSE {values[3]} END"


def lead_reference(con: duckdb.DuckDBPyConnection, table: pd.DataFrame, source: str = "leads",
                   as_of: dt.date | str | None = None) -> str | None:
    """SQL of each lead's reference date in table ``source`` when ``table`` scores recency
    (module docs), else None: open leads count to ``as_of``, default today."""
    if not (table["kind"] == "recency").any():
        return None
    return reference_sql(con, source, scoring_date="today" if as_of is None else as_of)


def _score_query(table: pd.DataFrame, relation: str, *, extra: Sequence[str] = (),
                 keep: Sequence[str] = (), labels: bool = False,
                 grade_cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
                 level_cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
                 reference: str | None = None) -> str:
    """The scoring query over ``relation`` (trusted SQL). ``extra`` are expressions computed
    from the source row and ``keep`` their aliases, passed through to the output;
    ``reference`` the SQL date recency counts to (default today)."""
    table = validate_table(table)
    enc = encoding_from_table(table)
    gcut = _cutoffs(grade_cutoffs, 3, "grade_cutoffs")
    lcut = _cutoffs(level_cutoffs, 3, "level_cutoffs")
    ranges = axis_ranges(table)
    rp, rb = ranges["profile"], ranges["behavior"]
    if rp + rb > 0:
        total = (f"(profile_points * {rp!r}::DOUBLE + behavior_points * {rb!r}::DOUBLE) "
                 f"/ {rp + rb!r}::DOUBLE")
    else:
        total = "(profile_points + behavior_points) / 2.0"
    extras = "".join(f", {e}" for e in extra)
    kept = "".join(f", {quote(k)}" for k in keep)
    per = _per_attribute(table, enc, labels)
    per_names = [quote(points_column(a.name)) for a in enc]
    if labels:
        per_names += [quote(_level_column(a.name)) for a in enc]
    return (
        f"WITH _codes AS (SELECT lead_id{extras}, {encode_sql(enc, reference)} "
        f"FROM {relation}), "
        f"_pts AS (SELECT lead_id{kept}, {', '.join(per)} FROM _codes), "
        f"_axes AS (SELECT *, ({_axis_sum(enc, 'profile')})::INTEGER AS profile_points, "
        f"({_axis_sum(enc, 'behavior')})::INTEGER AS behavior_points FROM _pts) "
        f"SELECT lead_id, profile_points, behavior_points, "
        f"CAST(floor({total} + 0.5) AS INTEGER) AS total, "
        f"{_band('profile_points', gcut, [literal(g) for g in GRADES])} AS grade, "
        f"{_band('behavior_points', lcut, ['1', '2', '3', '4'])} AS level"
        + "".join(f", {n}" for n in per_names) + kept + " FROM _axes"
    )


def score_sql(
    table: pd.DataFrame,
    source: str = "leads",
    *,
    grade_cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    level_cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    reference: str | None = None,
) -> str:
    """One SQL query scoring every row of table ``source`` with the points table.

    Columns: ``lead_id, profile_points, behavior_points, total, grade ('A'..'D'),
    level (1..4)`` and ``points_<attribute>`` for every attribute. ``total`` follows
    :func:`calibrate.model.points.total_points`; grade and level use the cut-offs (at or above).
    ``reference`` is the SQL of the date recency counts to (:func:`lead_reference`;
    default today).
    """
    return _score_query(table, quote(source), grade_cutoffs=grade_cutoffs,
                        level_cutoffs=level_cutoffs, reference=reference)


def score_leads(
    con: duckdb.DuckDBPyConnection,
    table: pd.DataFrame,
    source: str = "leads",
    *,
    grade_cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    level_cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    reasons: int = 0,
    as_of: dt.date | str | None = None,
) -> pd.DataFrame:
    """Run :func:`score_sql`; with ``reasons=n`` add a ``reasons`` column holding each
    lead's top-n reasons, e.g. ``"pricing_page_views 3-5 (+12); demo_request Yes (+9)"``.
    Recency counts to each closed lead's close date (else the newest date loaded) and
    for open leads to ``as_of`` (a date or ``YYYY-MM-DD``), default today."""
    reference = lead_reference(con, table, source, as_of)
    sql = score_sql(table, source, grade_cutoffs=grade_cutoffs, level_cutoffs=level_cutoffs,
                    reference=reference)
    if reasons:
        why = _reasons_query(table, source, reasons, reference)
        sql = (f"WITH _s AS ({sql}), _r AS (SELECT lead_id, string_agg(reason, '; ' "
               f"ORDER BY rank) AS reasons FROM ({why}) GROUP BY lead_id) "
               f"SELECT _s.*, coalesce(_r.reasons, '') AS reasons FROM _s "
               f"LEFT JOIN _r USING (lead_id)")
    return con.execute(sql).df()


def _reasons_query(table: pd.DataFrame, source: str, n: int, reference: str | None = None
                   ) -> str:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"The 'n' parameter must be an int >= 1. Got {n!r} instead.")
    table = validate_table(table)
    enc = encoding_from_table(table)
    scored = _score_query(table, quote(source), labels=True, reference=reference)
    pairs = ", ".join(
        f"({quote(points_column(a.name))}, {quote(_level_column(a.name))}) AS {literal(a.name)}"
        for a in enc)
    return (
        f"SELECT lead_id, _rank AS rank, _attr AS attribute, _lvl AS level, _p AS points, "
        f"_attr || ' ' || _lvl || ' (+' || _p || ')' AS reason FROM ("
        f"SELECT lead_id, _attr, _lvl, _p, row_number() OVER (PARTITION BY lead_id "
        f"ORDER BY _p DESC, _attr) AS _rank FROM (SELECT * FROM ({scored}) UNPIVOT "
        f"((_p, _lvl) FOR _attr IN ({pairs}))) WHERE _p > 0) WHERE _rank <= {int(n)}"
    )


def top_reasons(con: duckdb.DuckDBPyConnection, table: pd.DataFrame, source: str = "leads",
                n: int = 3, as_of: dt.date | str | None = None) -> pd.DataFrame:
    """Per lead, the ``n`` attribute levels that added the most points, computed in SQL.

    Columns: ``lead_id, rank (1 = most points), attribute, level, points, reason`` with
    ``reason`` like ``"pricing_page_views 3-5 (+12)"``. Ties go alphabetically by
    attribute; levels with no points are not reasons. ``as_of`` as :func:`score_leads`'s.
    """
    reference = lead_reference(con, table, source, as_of)
    return con.execute(_reasons_query(table, source, n, reference)
                       + " ORDER BY lead_id, rank").df()


def evaluate(
    con: duckdb.DuckDBPyConnection,
    table: pd.DataFrame,
    split: Any,
    *,
    n_bins: int = 10,
) -> mx.Metrics:
    """Metrics of a (possibly edited) points table on the held-out test split of a fit.

    ``split`` is the :class:`~calibrate.model.split.Split` of a fit (or the FitResult). Leads are
    ranked by their total score (AUC, KS, deciles); probabilities for log loss, Brier and
    calibration come from a one-variable logistic regression of winning on the total, fit
    on the training split. Compare with the suggested table (``points =
    suggested_points``) to see what an edit costs.
    """
    from sklearn.linear_model import LogisticRegression

    split = getattr(split, "split", split)
    relation = f"(SELECT * FROM leads WHERE {split.population_sql()})"
    scored = _score_query(table, relation, extra=[
        "(outcome = 'won')::INTEGER AS _won", f"{split.test_sql()} AS _test"],
        keep=["_won", "_test"], reference=lead_reference(con, table))
    res = con.execute(f"SELECT total, _test, sum(_won)::DOUBLE AS wins, count(*)::DOUBLE AS "
                      f"leads FROM ({scored}) GROUP BY ALL").fetchnumpy()
    total = np.asarray(res["total"], dtype=float)
    test = np.asarray(res["_test"], dtype=bool)
    wins = np.asarray(res["wins"], dtype=float)
    leads = np.asarray(res["leads"], dtype=float)
    tr = ~test
    x = np.concatenate([total[tr], total[tr]])[:, None] / 100.0
    y = np.concatenate([np.ones(tr.sum()), np.zeros(tr.sum())])
    w = np.concatenate([wins[tr], leads[tr] - wins[tr]])
    keep = w > 0
    model = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000)
    model.fit(x[keep], y[keep], sample_weight=w[keep])
    xt = total[test]
    p = model.predict_proba(xt[:, None] / 100.0)[:, 1]
    yt = np.divide(wins[test], leads[test], out=np.zeros(test.sum()), where=leads[test] > 0)
    wt = leads[test]
    base = mx.summarize(yt, p, wt, n_bins=n_bins)
    base.auc = mx.auc(yt, xt, wt)
    base.ks = mx.ks(yt, xt, wt)
    base.deciles = mx.lift_table(yt, xt, wt, n_bins=n_bins)
    return base


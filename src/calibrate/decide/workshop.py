"""What the workshop screen stands on: the weights in force, scored leads, the count grid.

The grid is built once per (data version, weights, rules): one SQL pass that scores every
lead and groups by profile points, behavior points, rule, outcome, month and segment. Every
slider move afterwards is a lookup in the grid's cumulative sums (see :mod:`tradeoff`).
:func:`kept_grid` keeps it in the store, so that the next process (the app after a restart)
reads it back instead of scoring every lead again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb

from calibrate.data import store
from calibrate.decide.grid import Grid, GridKey, build_grid, store_grid, stored_grid
from calibrate.decide.rules import rule_sql
from calibrate.model.month_counts import code_exprs, points_list
from calibrate.model.points import axis_ranges, encoding_from_table, validate_table
from calibrate.model.recency import stored_reference
from calibrate.model.rule_settings import RuleSet
from calibrate.model.weights import Weights
from calibrate.sql import quote


def scored_sql(con: duckdb.DuckDBPyConnection, weights: Weights, rules: RuleSet,
               source: str = "leads", *, rule: str | None = None) -> str:
    """One row per lead: its id, points on both axes, total, outcome, rule, month, segment,
    amount.

    The points are :func:`~calibrate.model.lead_points.score_sql`'s, added without joining
    its query back to the leads: each attribute's code (:func:`code_exprs`, a map for text
    of few values) indexes a list of its points, and the total is rounded as ``score_sql``
    rounds it. ``source`` is ``leads`` or a view of some of them (the maps are read from
    ``leads``). Recency counts to each lead's reference date as the fit does (its close
    date, else the newest date loaded: :func:`~calibrate.model.recency.stored_reference`).
    ``rule`` replaces the auto-rules' SQL (:func:`rule_sql`); it may read the lead's
    columns and its points ``_p``, ``_b`` and total ``_t``.
    """
    columns = {c.name: c.type for c in store.read_columns(con) if c.role != "ignore"}
    month = "date_trunc('month', created_at)" if "created_at" in columns else "NULL::DATE"
    segment = "segment" if "segment" in columns else "NULL::VARCHAR"
    amount = "amount" if "amount" in columns else "NULL::DOUBLE"
    table = validate_table(weights.table)
    enc = encoding_from_table(table)
    reference = stored_reference(con, (a.kind for a in enc), source)
    coded = ", ".join(f"{c} AS _c{i}" for i, c in enumerate(code_exprs(con, enc, reference)))

    def axis(name: str) -> str:
        terms = [f"({points_list(table, a.name)})[_c{i} + 1]"
                 for i, a in enumerate(enc) if a.axis == name]
        return f"({' + '.join(terms) if terms else '0'})::INTEGER"

    ranges = axis_ranges(table)
    rp, rb = ranges["profile"], ranges["behavior"]
    if rp + rb > 0:  # the very text of score_sql's total, so it rounds alike
        total = f"(_p * {rp!r}::DOUBLE + _b * {rb!r}::DOUBLE) / {rp + rb!r}::DOUBLE"
    else:
        total = "(_p + _b) / 2.0"
    return (
        f"WITH _coded AS (SELECT *, {coded} FROM {quote(source)}), "
        f"_points AS (SELECT *, {axis('profile')} AS _p, {axis('behavior')} AS _b "
        f"FROM _coded), "
        f"_scored AS (SELECT *, CAST(floor({total} + 0.5) AS INTEGER) AS _t FROM _points) "
        f"SELECT lead_id, _p AS profile_points, _b AS behavior_points, _t AS total, outcome, "
        f"{rule or rule_sql(rules, columns)} AS rule, {month} AS month, {segment} AS segment, "
        f"{amount} AS amount FROM _scored"
    )


def workshop_grid(con: duckdb.DuckDBPyConnection, weights: Weights, rules: RuleSet) -> Grid:
    """The profile-by-behavior count grid for these weights and rules."""
    cur = con.cursor()
    try:
        return build_grid(cur, scored_sql(cur, weights, rules))
    finally:
        cur.close()


def kept_grid(con: duckdb.DuckDBPyConnection, weights: Weights, rules: RuleSet,
              data_version: int | None = None) -> Grid:
    """The count grid for these weights and rules: read from the store when it was kept
    for the loaded data, these weights and these points and rules; else built and then
    kept (a read-only or in-memory store only builds it). ``grid.origin`` says which."""
    if weights.id is None:  # unsaved weights: nothing to key a kept grid on
        return workshop_grid(con, weights, rules)
    version = store.data_version(con) if data_version is None else int(data_version)
    key = GridKey(version, int(weights.id), fingerprint(weights, rules))
    grid = stored_grid(con, key)
    if grid is None:
        grid = workshop_grid(con, weights, rules)
        store_grid(con, key, grid)
    return grid


def fingerprint(weights: Weights, rules: RuleSet) -> str:
    """A short stable hash of the points and rules in force (a cache key). With recency,
    a mark that its days count to each lead's reference date: a grid kept when they
    counted to the day it was built is never read."""
    keyed = [weights.table[["attribute", "level", "points"]].values.tolist(), rules.to_dict()]
    if (weights.table["kind"] == "recency").any():
        keyed.append("recency: days to each lead's reference date")
    payload = json.dumps(keyed, default=str, sort_keys=True)
    return hashlib.sha1(payload.encode()).hexdigest()[:12]


def last_months(grid: Grid, n: int | None) -> list[dt.date] | None:
    """The last ``n`` months of inflow in the grid (None: the whole history)."""
    if not n or not grid.months:
        return None
    return list(grid.months)[-int(n):]


def rules_of(weights: Weights) -> RuleSet:
    """The auto-rules stored with the weights (the defaults when none were set)."""
    return RuleSet.from_dict(weights.rules) if weights.rules else RuleSet()


def suggested_weights(con: duckdb.DuckDBPyConnection, *, exclude_no_decision: bool = False,
                      **fit_options) -> Weights:
    """Fit the model on the closed leads and turn it into the suggested weights document."""
    import warnings

    from calibrate.model.fit import fit
    from calibrate.model.points import points_table

    with warnings.catch_warnings():
        # Leakage is reported in the document. A ConvergenceWarning is recorded there too
        # (metrics "n_iter" and "converged") and still reaches the caller.
        warnings.filterwarnings("ignore", "Possible leakage", UserWarning)
        result = fit(con, exclude_no_decision=exclude_no_decision, leakage="warn",
                     **fit_options)
    return weights_from_fit(con, result, points_table(result))


def held_out_fit(con: duckdb.DuckDBPyConnection, *, exclude_no_decision: bool = False):
    """A fit kept for its held-out split, on which edited or constrained points are
    measured (leak warnings are in the weights document already)."""
    import warnings

    from calibrate.model.fit import fit

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Possible leakage", UserWarning)
        return fit(con, exclude_no_decision=exclude_no_decision)


def constrained_weights(con: duckdb.DuckDBPyConnection, constraints, *,
                        exclude_no_decision: bool = False) -> tuple[Weights, dict[str, float]]:
    """The suggested weights with workshop constraints applied (see
    :mod:`calibrate.model.constraints`), and what they cost in held-out AUC."""
    import warnings

    from calibrate.model.fit import fit
    from calibrate.model.points import points_table
    from calibrate.model.revisions import with_constraints

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Possible leakage", UserWarning)  # as above
        result = fit(con, exclude_no_decision=exclude_no_decision, leakage="warn")
    suggested = weights_from_fit(con, result, points_table(result))
    return with_constraints(con, suggested, constraints, result.split)


def weights_from_fit(con: duckdb.DuckDBPyConnection, result, table) -> Weights:
    """The weights document of a fit: its table, data range, options, metrics, warnings
    (leakage, and whether the solver converged: ``n_iter`` and ``converged``)."""
    lo, hi = result.data_range
    metrics = result.metrics.to_dict()
    metrics["leakage"] = [str(w) for w in result.leakage]
    metrics["dropped"] = list(result.dropped)
    metrics["skipped"] = dict(result.skipped)
    metrics["C"] = result.C
    metrics["n_iter"] = int(result.n_iter)
    metrics["converged"] = bool(result.converged)
    return Weights(
        table=table,
        data={"rows": int(store.lead_count(con)), "data_version": store.data_version(con),
              "created_from": lo.isoformat() if lo else None,
              "created_to": hi.isoformat() if hi else None, **{
                  f"n_{k}": v if isinstance(v, float) else int(v)
                  for k, v in result.counts.items()}},
        options=dict(result.options), metrics=metrics)


def active_weights(con: duckdb.DuckDBPyConnection) -> Weights:
    """The weights in force: the newest saved for the loaded data, else a fresh fit (saved)."""
    from calibrate.model.weights import latest_weights, save_weights

    version = store.data_version(con)
    weights = latest_weights(con, version)
    if weights is None:
        weights = suggested_weights(con)
        save_weights(con, weights, version)
    return weights

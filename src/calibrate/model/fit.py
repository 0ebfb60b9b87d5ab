"""Fitting the lead-scoring model: won against not won on closed leads, on compressed codes.

Why it is fast: every closed lead is encoded in SQL and DuckDB collapses leads with the same
codes (and the same split side and CV fold) into one row with its numbers of wins and non-wins
(:mod:`calibrate.model.patterns`). The weighted logistic likelihood of those rows equals the
likelihood of the leads exactly, and a Newton solver made for one-hot codes minimises it
(:mod:`calibrate.model.solver`). Open leads are never fitted.

The steps of :func:`fit`, each explained in its module:

1. **Population**: closed leads; ``no_decision`` counts as not won unless
   ``exclude_no_decision`` (then those leads are left out altogether).
2. **Split** (:mod:`calibrate.model.split`): with a ``created_at`` column, the most recent
   ``test_size`` of closed leads is the test split and the older ones train the model;
   without dates (or if a side would lack wins or non-wins), a hash of ``lead_id``
   stratified by class.
3. **Encoding** is learnt on the training leads only (:mod:`calibrate.model.binning`).

   3b. **Case-control sampling** (:mod:`calibrate.model.patterns`) when there are more than
   ``max_fit_rows`` closed training leads: every closed lead is kept with its class's rate
   (usually all wins and a share of non-wins) and weighted back, so the fit estimates the
   full data's without bias. Counts stay exact: the per-level leads and wins reported (and
   behind the leakage guard) come from SQL aggregates over all leads, and
   ``FitResult.counts`` says what was sampled (``sampled_leads``, ``sampled_rate`` for
   non-wins, ``sampled_win_rate``). At or below the cap nothing is sampled.
4. **Leakage guard** (:mod:`calibrate.model.leakage`): attributes that look recorded after
   the outcome are left out (with a warning) unless ``leakage='keep'`` or they are named in
   ``include``.
5. **C** is chosen by K-fold cross-validation on the training leads
   (:func:`calibrate.model.solver.cross_validate`), folds assigned per lead by a hash of
   ``lead_id`` in SQL, scoring the held-out weighted log loss. When there are more than
   ``cv_max_rows`` training patterns, CV runs on a random subset of patterns (each keeping
   all its leads): with that much data the penalty barely moves the estimates, and the prior
   it expresses does not depend on the sample size.
6. **Class imbalance** (:mod:`calibrate.model.coefficients`): ``class_weight='balanced'``
   weights wins and non-wins so each class carries half the total weight; the intercept is
   then corrected and calibrated in the large, so probabilities are calibrated whatever the
   weighting.
7. **Intervals** (:mod:`calibrate.model.coefficients`): 95% intervals from the penalised
   Fisher information (a sandwich with class or sampling weights); coefficients are reported
   centred per attribute.
8. **Metrics** on the test split from the compressed test rows (:mod:`calibrate.model.metrics`).

The Newton solver warns (:class:`calibrate.model.solver.ConvergenceWarning`) when it stops at
``max_iter`` before converging; ``FitResult.n_iter`` and ``FitResult.converged`` record it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from calibrate.data.outcomes import CLOSED
from calibrate.data.store import ColumnInfo, data_version, read_columns, table_exists
from calibrate.errors import ModelError
from calibrate.model import metrics as mx
from calibrate.model.binning import learn_encoding
from calibrate.model.coefficients import fit_coefficients, levels_frame
from calibrate.model.encode import Encoding
from calibrate.model.leakage import LeakageWarning, leakage_guard
from calibrate.model.patterns import (
    encoding_counts,
    group,
    level_counts,
    sample_rates,
    sample_sql,
    side_counts,
)
from calibrate.model.solver import class_weights, cross_validate, design, one_blas_thread, sigmoid
from calibrate.model.split import Split, make_split
from calibrate.sql import quote

__all__ = [
    "DEFAULT_CS",
    "FitResult",
    "fit",
    "predict",
]

DEFAULT_CS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
MIN_CLASS = 10


# ----------------------------------------------------------------------------- results


@dataclass
class FitResult:
    """Everything a fit produced: the encoding, coefficients with intervals, test metrics.

    ``levels`` has one row per attribute level: ``axis, attribute, kind, level, code, lower,
    upper, coefficient, se, ci_low, ci_high, leads, wins, win_rate`` (counts are the leads
    the coefficients were fit on, exact even when the fit sampled them). ``counts`` holds
    lead counts, plus ``sampled_leads`` and the rates ``sampled_rate`` (non-wins) and
    ``sampled_win_rate`` when the closed leads were sampled. Coefficients are on the logit
    scale, centred per attribute; ``intercept`` is the calibrated intercept, so
    ``logit = intercept + sum of the lead's level coefficients``.
    """

    encoding: Encoding = field(repr=False)
    levels: pd.DataFrame = field(repr=False)
    intercept: float
    C: float
    cv_scores: dict[float, float] = field(repr=False)
    metrics: mx.Metrics
    leakage: list[LeakageWarning]
    dropped: list[str]
    skipped: dict[str, str]
    options: dict[str, Any] = field(repr=False)
    split: Split
    data_range: tuple[datetime | None, datetime | None]
    counts: dict[str, int | float]
    single_auc: dict[str, float] = field(repr=False)
    data_version: int = 0
    timings: dict[str, float] = field(default_factory=dict, repr=False)
    n_iter: int = 0  # Newton steps of the final fit (the refit's with refit=True)
    converged: bool = True  # every final fit (and refit) stopped below tol, not at max_iter

    @property
    def coefficients(self) -> dict[tuple[str, str], float]:
        """Coefficient of each ``(attribute, level)``."""
        return {(r.attribute, r.level): float(r.coefficient)
                for r in self.levels.itertuples(index=False)}

    @property
    def intervals(self) -> dict[tuple[str, str], tuple[float, float]]:
        """95% interval of each ``(attribute, level)`` coefficient."""
        return {(r.attribute, r.level): (float(r.ci_low), float(r.ci_high))
                for r in self.levels.itertuples(index=False)}

    def logit_sql(self) -> str:
        """SQL expression of the model's logit for a row of ``leads``."""
        terms = [repr(float(self.intercept))]
        for a in self.encoding:
            coefs = self.levels.loc[self.levels["attribute"] == a.name].sort_values("code")
            arr = ", ".join(repr(float(v)) for v in coefs["coefficient"])
            terms.append(f"([{arr}]::DOUBLE[])[{a.sql()} + 1]")
        return " + ".join(terms)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (for the ``fits`` table or an export)."""
        lv = [{k: (None if isinstance(v, float) and math.isnan(v) else
                   v.item() if hasattr(v, "item") else v) for k, v in r.items()}
              for r in self.levels.to_dict("records")]
        return {
            "intercept": self.intercept,
            "C": self.C,
            "cv_scores": {repr(k): v for k, v in self.cv_scores.items()},
            "metrics": self.metrics.to_dict(),
            "leakage": [asdict(w) for w in self.leakage],
            "dropped": list(self.dropped),
            "skipped": dict(self.skipped),
            "options": dict(self.options),
            "split": self.split.to_dict(),
            "data_range": [d.isoformat() if d else None for d in self.data_range],
            "counts": dict(self.counts),
            "single_auc": dict(self.single_auc),
            "data_version": self.data_version,
            "n_iter": self.n_iter,
            "converged": self.converged,
            "encoding": self.encoding.to_dict(),
            "levels": lv,
        }





def _param_error(name: str, expected: str, got: Any) -> ValueError:
    return ValueError(f"The {name!r} parameter of fit must be {expected}. Got {got!r} instead.")


def _check_int(opts: dict[str, Any], name: str, low: int, none_ok: bool = False) -> None:
    """``opts[name]`` must be an int >= ``low`` (or None when ``none_ok``)."""
    v = opts[name]
    if none_ok and v is None:
        return
    if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < low:
        raise _param_error(name, f"an int in the range [{low}, inf)"
                           + (" or None" if none_ok else ""), v)


def _validate(opts: dict[str, Any]) -> None:
    """Check fit's parameters in scikit-learn's manner (one clear message per parameter)."""
    for name in ("exclude_no_decision", "refit"):
        if not isinstance(opts[name], bool):
            raise _param_error(name, "a bool", opts[name])
    for name, low in (("cv_folds", 2), ("random_state", 0), ("cv_max_rows", 100),
                      ("max_iter", 1)):
        _check_int(opts, name, low)
    _check_int(opts, "max_fit_rows", 100, none_ok=True)
    cs = opts["Cs"]
    bad_cs = _param_error("Cs", "an int >= 1 or a sequence of positive floats", cs)
    if isinstance(cs, int | np.integer) and not isinstance(cs, bool):
        if cs < 1:
            raise bad_cs
    else:
        try:
            values = [float(c) for c in cs]
        except TypeError:
            raise bad_cs from None
        if not values or any(not (v > 0) for v in values):
            raise bad_cs
    if opts["class_weight"] not in ("balanced", None):
        raise _param_error("class_weight", "a str among {'balanced'} or None",
                           opts["class_weight"])
    if opts["leakage"] not in ("warn", "drop", "keep"):
        raise _param_error("leakage", "a str among {'warn', 'drop', 'keep'}", opts["leakage"])
    for name in ("include", "exclude"):
        v = opts[name]
        if v is not None and (isinstance(v, str) or not all(isinstance(x, str) for x in v)):
            raise _param_error(name, "a list of column names or None", v)
    ts = opts["test_size"]
    if isinstance(ts, bool) or not isinstance(ts, int | float) or not 0 < ts < 1:
        raise _param_error("test_size", "a float in the range (0, 1)", ts)
    tol = opts["tol"]
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not tol > 0:
        raise _param_error("tol", "a float in the range (0, inf)", tol)


def _grid(cs: int | Sequence[float]) -> list[float]:
    if isinstance(cs, int | np.integer):
        return [float(c) for c in np.logspace(-3, 1, int(cs))] if cs > 1 else [1.0]
    return sorted(float(c) for c in cs)



# ------------------------------------------------------------------------------- fit


def fit(
    con: duckdb.DuckDBPyConnection,
    *,
    exclude_no_decision: bool = False,
    min_count: int | float | None = None,
    cv_folds: int = 3,
    Cs: int | Sequence[float] = DEFAULT_CS,
    class_weight: str | None = "balanced",
    leakage: str = "warn",
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    random_state: int = 0,
    test_size: float = 0.2,
    max_bins: int = 5,
    min_share: float = 0.03,
    refit: bool = False,
    cv_max_rows: int = 30_000,
    tol: float = 1e-6,
    max_iter: int = 100,
    max_fit_rows: int | None = 2_000_000,
) -> FitResult:
    """Fit won against not won on the closed leads of ``leads``; see the module docs.

    Parameters
    ----------
    exclude_no_decision : leave ``no_decision`` leads out instead of counting them as not won.
    min_count : leads a categorical value needs for a level of its own (int), or a share of
        the training leads (float in (0, 1)); default max(30, 1%). Numeric bins need
        ``max(min_count, min_share * leads)``.
    cv_folds, Cs : K-fold CV over the inverse penalty strengths ``Cs`` (a list, or an int
        for that many values between 1e-3 and 10). One C skips CV.
    class_weight : ``'balanced'`` or ``None`` (probabilities are calibrated either way).
    leakage : ``'warn'`` (default) leaves suspect attributes out and issues a
        ``UserWarning``; ``'drop'`` leaves them out silently (they are still listed in
        ``FitResult.leakage``); ``'keep'`` keeps them.
    include, exclude : attribute names to use only / to leave out; an included attribute is
        kept even when it looks leaky.
    random_state : seed of the hash split, CV folds and CV subsampling.
    test_size : share of closed leads held out (the most recent ones when dated).
    max_bins, min_share : numeric binning (see :mod:`calibrate.model.binning`).
    refit : after testing, refit on all closed leads at the chosen C (the reported metrics
        stay the held-out ones of the train-only model).
    cv_max_rows : cap on training patterns used for CV.
    tol, max_iter : Newton stops when no coefficient moves by more than ``tol``, or after
        ``max_iter`` steps: then it warns (``ConvergenceWarning``) and
        ``FitResult.converged`` is False.
    max_fit_rows : when there are more closed training leads, the closed leads are
        case-control sampled down to about this many training leads (step 3b of the module
        docs); None never samples.
    """
    opts = dict(exclude_no_decision=exclude_no_decision, min_count=min_count,
                cv_folds=cv_folds, Cs=Cs, class_weight=class_weight, leakage=leakage,
                include=include, exclude=exclude, random_state=random_state,
                test_size=test_size, max_bins=max_bins, min_share=min_share, refit=refit,
                cv_max_rows=cv_max_rows, tol=tol, max_iter=max_iter,
                max_fit_rows=max_fit_rows)
    _validate(opts)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        timings[name] = time.perf_counter() - t0 - sum(timings.values())

    if not table_exists(con, "leads"):
        raise ModelError("No leads are loaded.", fix="Load a file first (calibrate ingest).")
    cur = con.cursor()
    try:
        # The matrices are small (levels x levels): threaded BLAS only adds contention.
        with one_blas_thread():
            result = _fit(cur, opts, lap)
    finally:
        cur.close()
    timings["total"] = time.perf_counter() - t0
    result.timings = timings
    result.options = {k: (list(v) if isinstance(v, tuple | list) else v)
                      for k, v in opts.items()}
    return result


def _choose_columns(cols: list[ColumnInfo], include: Sequence[str] | None,
                    exclude: Sequence[str] | None) -> list[ColumnInfo]:
    attrs = [c for c in cols if c.role in ("profile", "behavior")]
    known = {c.name for c in attrs}
    for label, names in (("include", include), ("exclude", exclude)):
        unknown = sorted(set(names or ()) - known)
        if unknown:
            raise ValueError(f"{label} names unknown attributes: {', '.join(unknown)}. "
                             f"Profile and behavior attributes are: {', '.join(sorted(known))}.")
    if include is not None:
        attrs = [c for c in attrs if c.name in set(include)]
    if exclude:
        attrs = [c for c in attrs if c.name not in set(exclude)]
    return attrs


def _fit(cur: duckdb.DuckDBPyConnection, opts: dict[str, Any], lap: Any) -> FitResult:
    columns = read_columns(cur)
    attrs = _choose_columns(columns, opts["include"], opts["exclude"])
    outcomes = ("won", "lost") if opts["exclude_no_decision"] else CLOSED
    counts = {k: 0 for k in (*CLOSED, "open")}
    counts.update({k: int(v) for k, v in cur.execute(
        "SELECT outcome, count(*) FROM leads GROUP BY outcome").fetchall()})
    wins = counts["won"]
    nonwins = sum(counts[k] for k in outcomes if k != "won")
    if wins < MIN_CLASS or nonwins < MIN_CLASS:
        raise ModelError(
            f"A fit needs at least {MIN_CLASS} won and {MIN_CLASS} not-won closed leads; "
            f"there are {wins:,} won and {nonwins:,} not won.",
            fix="Load more closed leads (won and lost / no decision).")
    if not attrs:
        raise ModelError("There are no profile or behavior attributes to fit.",
                         fix="Map at least one column as profile or behavior.")
    has_created = any(c.role == "created_at" for c in columns)
    seed = int(opts["random_state"])
    split, data_range = make_split(cur, has_created, outcomes, opts["test_size"], seed)
    k = int(opts["cv_folds"])
    lap("split")
    enc = learn_encoding(cur, where=f"{split.population_sql()} AND NOT {split.test_sql()}",
                         columns=attrs, min_count=opts["min_count"], max_bins=opts["max_bins"],
                         min_share=opts["min_share"], monotone=True)
    if not len(enc):
        raise ModelError("No attribute can be scored: only profile dates or record-keeping "
                         "dates are mapped, and a date is scored only as the days since a "
                         "behavior activity date.",
                         fix="Map at least one categorical, numeric or yes/no column, or give "
                             "an activity date (e.g. 'Last Activity Date') the behavior role.")
    lap("encode")
    # Case-control sampling of very large training sets (see calibrate.model.patterns).
    train_wins = int(sum(enc.attributes[0].wins))
    rates = sample_rates(train_wins, int(enc.leads) - train_wins, opts["max_fit_rows"])
    pat = group(cur, enc, split, k, seed, sample_sql(rates, seed) if rates else None)
    weights = (1.0, 1.0)
    if rates:
        kept_w = float(pat.wins.sum())
        kept_n = float(pat.leads.sum()) - kept_w
        # Each kept lead stands for (class total / kept of its class) leads, so weighted
        # class totals equal the exact ones.
        weights = (wins / max(kept_w, 1.0), nonwins / max(kept_n, 1.0))
        pat.leads = pat.wins * weights[0] + (pat.leads - pat.wins) * weights[1]
        pat.wins = pat.wins * weights[0]
    lap("group")

    # Leakage guard on all closed leads of the population, on exact level counts.
    sides = ["open"] if counts["open"] >= 30 else []
    if rates:
        train_counts = encoding_counts(enc)
        exact = side_counts(cur, enc, split, sides + ["test"])
        test_counts = exact["test"]
    else:
        exact = side_counts(cur, enc, split, sides) if sides else {}
        train_counts, test_counts = level_counts(pat, enc)
    all_counts = [(tr[0] + te[0], tr[1] + te[1])
                  for tr, te in zip(train_counts, test_counts, strict=True)]
    single, warns = leakage_guard(
        enc, all_counts, exact["open"] if sides else None, counts["open"],
        {c.name: c.source_name for c in attrs}, mode=opts["leakage"],
        include=opts["include"], stacklevel=4)  # the warning points at fit's caller
    dropped = [w.attribute for w in warns if w.dropped]
    active = [n for n in enc.names if n not in set(dropped)]
    if not active:
        raise ModelError("Every attribute was left out as possible leakage.",
                         fix="Pass leakage='keep' or include= the attributes to keep.")
    cols = [enc.names.index(n) for n in active]
    enc_all = enc
    enc = enc.select(active)
    pat = pat.select(cols)
    fitted_counts = [train_counts[j] if not opts["refit"] else all_counts[j] for j in cols]
    lap("leakage")

    train, test = pat.sides()
    tw, tn = float(train.wins.sum()), float((train.leads - train.wins).sum())
    if tw < 1 or tn < 1:
        raise ModelError("The training split lacks wins or non-wins.",
                         fix="Load more closed leads.")
    cw = class_weights(tw, tn, opts["class_weight"])
    cs = _grid(opts["Cs"])
    cv_scores: dict[float, float] = {}
    init = None
    if len(cs) == 1:
        best_c = cs[0]
    else:
        cvpat = train
        if len(train.leads) > opts["cv_max_rows"]:
            rng = np.random.default_rng(seed)
            pick = np.zeros(len(train.leads), dtype=bool)
            pick[rng.choice(len(train.leads), opts["cv_max_rows"], replace=False)] = True
            cvpat = train.take(pick)
        cv_scores, cv_sols = cross_validate(cvpat, enc, cs, k, cw, max(opts["tol"], 1e-5))
        finite = {c: v for c, v in cv_scores.items() if math.isfinite(v)}
        best_c = min(finite, key=finite.get) if finite else 1.0
        init = cv_sols.get(best_c)
    lap("cv")
    model = fit_coefficients(train, enc, best_c, cw, opts["tol"], opts["max_iter"], init,
                             weights)
    converged = model.converged
    lap("fit")
    x_test = design(test.codes, enc.offsets, int(enc.sizes.sum()))
    p_test = sigmoid(x_test @ model.coef + model.intercept)
    y_test = np.divide(test.wins, test.leads, out=np.zeros_like(test.wins),
                       where=test.leads > 0)
    test_metrics = mx.summarize(y_test, p_test, test.leads)
    if opts["refit"]:
        cw_all = class_weights(float(pat.wins.sum()), float((pat.leads - pat.wins).sum()),
                                opts["class_weight"])
        model = fit_coefficients(pat, enc, best_c, cw_all, opts["tol"], opts["max_iter"],
                                 model.raw, weights)
        converged = converged and model.converged
    lap("metrics")
    levels = levels_frame(enc, model, fitted_counts)
    if rates:
        closed = wins + nonwins
        counts.update({
            "closed": closed, "train": int(enc.leads), "test": closed - int(enc.leads),
            "train_wins": train_wins, "test_wins": wins - train_wins,
            "patterns": int(len(pat.leads)),
            "sampled_leads": int(round(kept_w + kept_n)),
            "sampled_rate": kept_n / nonwins, "sampled_win_rate": kept_w / wins,
        })
    else:
        counts.update({
            "closed": int(pat.leads.sum()),
            "train": int(train.leads.sum()), "test": int(test.leads.sum()),
            "train_wins": int(train.wins.sum()), "test_wins": int(test.wins.sum()),
            "patterns": int(len(pat.leads)),
        })
    skipped = dict(enc_all.skipped)
    return FitResult(
        encoding=enc, levels=levels, intercept=float(model.intercept), C=float(best_c),
        cv_scores=cv_scores, metrics=test_metrics, leakage=warns, dropped=dropped,
        skipped=skipped, options={}, split=split, data_range=data_range, counts=counts,
        single_auc=single, data_version=data_version(cur), n_iter=model.n_iter,
        converged=converged)


def predict(con: duckdb.DuckDBPyConnection, result: FitResult, source: str = "leads"
            ) -> pd.DataFrame:
    """The model's logit and probability for every lead of ``source`` (computed in SQL)."""
    logit = result.logit_sql()
    return con.execute(
        f"SELECT lead_id, {logit} AS logit, 1 / (1 + exp(-({logit}))) AS probability "
        f"FROM {quote(source)}").df()

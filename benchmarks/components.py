"""Hand-written parts against their library twins, on the same data (issue 18).

calibrate writes three parts itself for speed; each is timed here beside the maintained
library that does the same job, on the same rows, and the results are checked to agree so
that the comparison is fair:

1. **Solver**: the penalised Newton solver (``calibrate.model.solver.solve``, formerly
   ``fit._solve``) on the compressed design the fit solves (one row per distinct pattern of
   codes, weighted by its wins and non-wins), against scikit-learn's ``LogisticRegression``
   with ``solver="newton-cholesky"`` and ``"lbfgs"`` on the same design: one row per pattern
   and outcome, the weighted counts as ``sample_weight``. Both minimise the same objective:
   calibrate's ``sum(w * loss) + |b|^2 / 2C`` is scikit-learn's ``C * sum(w * loss) + |b|^2
   / 2`` divided by C (intercept unpenalised in both), so the same ``C`` is passed. The
   class weights of the fit are folded into the sample weights. Each library solver is timed
   at the loosest ``tol`` of :data:`SKLEARN_TOLS` whose coefficients (centred per attribute,
   as the points table shows them) agree with calibrate's to ``coef_tol``.
2. **Metrics**: AUC, KS, log loss and Brier of :mod:`calibrate.model.metrics` on grouped
   counts (one row per distinct test score, with its wins and leads), against
   ``sklearn.metrics`` (``roc_auc_score``, ``log_loss``, ``brier_score_loss``, and KS as the
   largest ``tpr - fpr`` of ``roc_curve``) on the expanded rows (one per test lead) and,
   fairly, on the weighted unique rows (one per score and outcome, counts as weights).
3. **Binning**: calibrate's numeric binning (``learn_encoding`` on the numeric attributes,
   in DuckDB) against ``optbinning.OptimalBinning`` on the same training column values (read
   from DuckDB into numpy first, as its user must), with the same ``max_bins`` and minimum
   bin share; quality: information value on the training leads and the AUC on the test
   leads of each binning (score = the bin's training win rate), computed the same way.

The data are those of a real fit: the stage runs calibrate's ``fit()`` once, untimed, on the
ingested sample (as ``suggested_weights`` calls it) and keeps what its final solve received.
Each variant runs once untimed (its result is the one checked), then ``repeats`` rounds
alternate the variants of a part; medians are reported. Before each part the machine is
settled as for the other stages and its load recorded.
"""

from __future__ import annotations

import importlib
import inspect
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from benchmarks.stages import SETTLE_SECONDS, optbinning_missing, peak_rss, quiet, settle

#: Tolerances tried, loosest first, for each scikit-learn solver (its default is 1e-4).
SKLEARN_TOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10)
#: Largest difference of centred coefficients for two solvers to count as agreeing.
COEF_TOL = 1e-3
#: Largest difference of a metric between calibrate and scikit-learn.
METRIC_TOL = 1e-9
REPEATS = 5
SKLEARN_MAX_ITER = 10_000


# ----------------------------------------------------------------------------- helpers


def measure(variants: dict[str, Callable[[], Any]], repeats: int
            ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Each variant once untimed (its result kept), then ``repeats`` alternating rounds.

    Returns per variant ``{"seconds": median, "rounds": [...]}`` and the untimed results.
    """
    results = {name: fn() for name, fn in variants.items()}
    rounds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(max(1, repeats)):
        for name, fn in variants.items():
            t = time.perf_counter()
            fn()
            rounds[name].append(time.perf_counter() - t)
    return ({name: {"seconds": statistics.median(xs), "rounds": xs}
             for name, xs in rounds.items()}, results)


def _machine_state(wait: float) -> dict[str, float]:
    """Settle the machine (as before every stage) and record its state."""
    idle = settle(wait)
    return {"idle_before": idle, "load_before": os.getloadavg()[0]}


def _part(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One part's figures; an exception becomes the part's error, not the stage's."""
    try:
        return fn()
    except Exception as exc:
        import traceback

        return {"error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-3000:]}


def _first(*candidates: tuple[str, str]) -> tuple[Any, str]:
    """The first ``(module, name)`` that imports and is defined (the fit module is being
    split: public names in their new modules first, the old private ones after)."""
    for module, name in candidates:
        try:
            obj = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if obj is not None:
            return obj, f"{module}.{name}"
    raise RuntimeError("none of " + ", ".join(f"{m}.{n}" for m, n in candidates) + " found")


def solver_api() -> SimpleNamespace:
    """calibrate's problem builder, Newton solver and BLAS limit, wherever they live now."""
    problem, _ = _first(("calibrate.model.solver", "problem"), ("calibrate.model.fit", "_problem"))
    solve, where = _first(("calibrate.model.solver", "solve"), ("calibrate.model.fit", "_solve"))
    blas, _ = _first(("calibrate.model.solver", "one_blas_thread"),
                     ("calibrate.model.fit", "_one_blas_thread"))
    return SimpleNamespace(problem=problem, solve=solve, blas=blas, where=where)


#: The function that fits the final coefficients at the chosen C (new name, old name).
FINAL_FIT_NAMES = ("fit_coefficients", "_fit_block")


@contextmanager
def capture_final_solve() -> Iterator[dict[str, Any]]:
    """Record the arguments of the fit's first final-coefficients call (the training
    patterns, encoding, C, class weights, tol and max_iter), wherever the fit looks it up."""
    importlib.import_module("calibrate.model.fit")
    got: dict[str, Any] = {}
    undo = []
    for mod in [m for name, m in list(sys.modules.items()) if name.startswith("calibrate.")]:
        for name in FINAL_FIT_NAMES:
            fn = getattr(mod, name, None)
            if callable(fn):
                undo.append((mod, name, fn))
                setattr(mod, name, _recording(fn, got))
    if not undo:
        raise RuntimeError("no " + " / ".join(FINAL_FIT_NAMES) + " in calibrate.model")
    try:
        yield got
    finally:
        for mod, name, fn in undo:
            setattr(mod, name, fn)


def _recording(fn: Callable[..., Any], got: dict[str, Any]) -> Callable[..., Any]:
    sig = inspect.signature(fn)

    def inner(*args: Any, **kwargs: Any) -> Any:
        if not got:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            got.update(bound.arguments)
        return fn(*args, **kwargs)

    return inner


def _open(spec: dict[str, Any]) -> tuple[Any, float | None]:
    """A read-only connection to the ingested sample, ingested first (untimed; the seconds
    are returned, else None) when the database has no leads."""
    from calibrate.data import store

    db = Path(spec["db"])
    if db.exists():
        con = store.connect(db, read_only=True)
        if store.table_exists(con, "leads"):
            return con, None
        con.close()
    if not spec.get("source"):
        raise RuntimeError(f"{db} has no leads and the spec names no source file")
    from calibrate.data.ingest import ingest

    t = time.perf_counter()
    con = store.connect(db)
    ingest(con, spec["source"], replace=True)
    con.close()
    return store.connect(db, read_only=True), time.perf_counter() - t


def run_components(spec: dict[str, Any]) -> dict[str, Any]:
    """The three comparisons on one ingested sample (see the module docs)."""
    # Everything is imported before any clock starts.
    import scipy.sparse  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401

    from calibrate.model import fit as fitting
    from calibrate.model import metrics  # noqa: F401

    if not optbinning_missing():
        import optbinning  # noqa: F401
    repeats = int(spec.get("repeats", REPEATS))
    wait = float(spec.get("settle", SETTLE_SECONDS))
    coef_tol = float(spec.get("coef_tol", COEF_TOL))
    con, ingest_seconds = _open(spec)
    t = time.perf_counter()
    with capture_final_solve() as got, quiet():
        res = fitting.fit(con, exclude_no_decision=False, leakage="warn")
    fit_seconds = time.perf_counter() - t
    if not got:
        raise RuntimeError("the fit never called " + " / ".join(FINAL_FIT_NAMES))
    out: dict[str, Any] = {
        "repeats": repeats, "ingest_seconds_untimed_setup": ingest_seconds,
        "fit": {"seconds_untimed_setup": fit_seconds, "C": float(res.C),
                "train_leads": int(res.counts.get("train", 0)),
                "test_leads": int(res.counts.get("test", 0)),
                "attributes": list(res.encoding.names),
                "sampled": bool(res.counts.get("sampled_leads"))},
    }
    out["solver"] = _part(lambda: solver_part(got, repeats, wait, coef_tol))
    out["metrics"] = _part(lambda: metrics_part(con, res, repeats, wait))
    missing = optbinning_missing()
    out["binning"] = ({"skipped": missing} if missing else
                      _part(lambda: binning_part(con, res, repeats, wait)))
    con.close()
    out["peak_rss"] = peak_rss()
    return out


# ------------------------------------------------------------------------------ solver


def blas_limit(fallback: Callable[[], Any]) -> Callable[[], Any]:
    """A context factory limiting BLAS to one thread, as the fit runs its solver. The fit
    enters its limit once for all its solves, so the library scan is done here, untimed
    (threadpoolctl's controller, cached); ``fallback`` (the fit's own) without it."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover
        return fallback
    controller = ThreadpoolController()
    return lambda: controller.limit(limits=1, user_api="blas")


def weighted_rows(codes: list[np.ndarray], offsets: np.ndarray, p: int, pos: np.ndarray,
                  neg: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray]:
    """The compressed one-hot design as scikit-learn takes it: one row per pattern and
    outcome with a positive weight (``y`` 1 weighted by ``pos``, 0 by ``neg``)."""
    import scipy.sparse as sp

    won, lost = np.flatnonzero(pos > 0), np.flatnonzero(neg > 0)
    rows = np.concatenate([won, lost])
    y = np.r_[np.ones(len(won)), np.zeros(len(lost))]
    w = np.r_[pos[won], neg[lost]]
    m = len(codes)
    idx = np.stack([c[rows] for c in codes], axis=1).astype(np.int32)
    idx += np.asarray(offsets, dtype=np.int32)
    x = sp.csr_matrix((np.ones(idx.size), idx.ravel(), np.arange(0, idx.size + 1, m)),
                      shape=(len(rows), p))
    return x, y, w


def centred(theta: np.ndarray, offsets: np.ndarray, sizes: np.ndarray, seen: np.ndarray
            ) -> np.ndarray:
    """``[intercept, coefficients]`` with each attribute's coefficients centred over its
    levels seen in training (the intercept takes the shifts; unseen levels 0), the form
    the points table shows: the one-hot design identifies nothing else."""
    b, coef = float(theta[0]), np.array(theta[1:], dtype=float)
    for o, s in zip(offsets, sizes, strict=True):
        block, obs = coef[o:o + s], seen[o:o + s]
        if obs.any():
            mean = float(block[obs].mean())
            block -= mean
            b += mean
        block[~obs] = 0.0
    return np.r_[b, coef]


def solver_part(got: dict[str, Any], repeats: int, wait: float, coef_tol: float
                ) -> dict[str, Any]:
    """calibrate's Newton solve of the fit's final problem against scikit-learn's."""
    from sklearn.linear_model import LogisticRegression

    api = solver_api()
    pat, enc, C, cw = got["pat"], got["enc"], float(got["C"]), tuple(got["cw"])
    tol, max_iter = float(got.get("tol", 1e-6)), int(got.get("max_iter", 100))
    offsets, sizes = np.asarray(enc.offsets), np.asarray(enc.sizes)
    p = int(sizes.sum())
    pos = np.asarray(pat.wins, dtype=float) * cw[0]
    neg = (np.asarray(pat.leads, dtype=float) - np.asarray(pat.wins, dtype=float)) * cw[1]
    seen = np.zeros(p, dtype=bool)
    for o, c in zip(offsets, pat.codes, strict=True):
        seen[int(o) + np.unique(c[(pos + neg) > 0]).astype(np.int64)] = True
    ref = api.problem(pat, enc, cw)  # for the objective of each solution (untimed)
    one_thread = blas_limit(api.blas)

    def ours() -> tuple[np.ndarray, int]:
        with one_thread():  # as the fit runs it
            prob = api.problem(pat, enc, cw)
            info: dict[str, Any] = {}
            with quiet():
                theta, _ = api.solve(prob, C, tol=tol, max_iter=max_iter, info=info)
        return theta, int(info.get("n_iter", -1))

    def library(solver: str, sk_tol: float) -> Callable[[], tuple[np.ndarray, int]]:
        def run() -> tuple[np.ndarray, int]:
            x, y, w = weighted_rows(pat.codes, offsets, p, pos, neg)
            with quiet():
                model = LogisticRegression(C=C, solver=solver, tol=sk_tol,
                                           max_iter=SKLEARN_MAX_ITER).fit(x, y, sample_weight=w)
            return np.r_[model.intercept_, model.coef_.ravel()], int(model.n_iter_[0])
        return run

    state = _machine_state(wait)
    theta, n_iter = ours()
    mine = centred(theta, offsets, sizes, seen)
    f_mine = ref.loss(theta, C)
    twins: dict[str, dict[str, Any]] = {}
    variants: dict[str, Callable[[], Any]] = {"calibrate": ours}
    for solver in ("newton-cholesky", "lbfgs"):
        tried = []
        for sk_tol in SKLEARN_TOLS:  # loosest tolerance giving the same coefficients
            t = time.perf_counter()
            th, it = library(solver, sk_tol)()
            diff = float(np.max(np.abs(centred(th, offsets, sizes, seen) - mine)))
            tried.append({"tol": sk_tol, "max_abs_diff": diff, "n_iter": it,
                          "seconds": time.perf_counter() - t})
            if diff <= coef_tol:
                break
        last = tried[-1]
        twins[solver] = {
            "tol": last["tol"], "n_iter": last["n_iter"], "max_abs_diff": last["max_abs_diff"],
            "agree": last["max_abs_diff"] <= coef_tol, "converged": last["n_iter"]
            < SKLEARN_MAX_ITER, "objective_gap": (ref.loss(th, C) - f_mine) / abs(f_mine),
            "tried": tried,
            "what": f"LogisticRegression(solver={solver!r}, C={C:g}, tol={last['tol']:g})"}
        variants[solver] = library(solver, last["tol"])
    timing, _ = measure(variants, repeats)
    x, _, _ = weighted_rows(pat.codes, offsets, p, pos, neg)
    return {
        **state, "what": f"{api.where} (tol {tol:g})", "patterns": int(len(pos)),
        "rows_library": int(x.shape[0]), "levels": p, "attributes": len(sizes), "C": C,
        "class_weights": list(cw), "calibrate": {**timing["calibrate"], "n_iter": n_iter},
        "twins": {k: {**v, **timing[k]} for k, v in twins.items()},
        "coef_tol": coef_tol,
    }


# ----------------------------------------------------------------------------- metrics


def ks_from_roc(y: np.ndarray, score: np.ndarray, sample_weight: np.ndarray | None = None
                ) -> float:
    """Kolmogorov-Smirnov statistic as the largest ``|tpr - fpr|`` of sklearn's ROC curve."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, score, sample_weight=sample_weight)
    return float(np.max(np.abs(tpr - fpr)))


METRICS = ("auc", "ks", "log_loss", "brier")


def metrics_part(con: Any, res: Any, repeats: int, wait: float) -> dict[str, Any]:
    """calibrate's metrics on grouped test scores against sklearn's on leads and on
    weighted unique rows (the test leads scored by the fitted model, read untimed)."""
    from sklearn import metrics as sk

    from calibrate.model import metrics as mx

    split = res.split
    got = con.execute(
        f"SELECT (outcome = 'won')::DOUBLE AS y, {res.logit_sql()} AS eta FROM leads "
        f"WHERE {split.population_sql()} AND {split.test_sql()}").fetchnumpy()
    y = np.asarray(got["y"], dtype=float)
    p = 1.0 / (1.0 + np.exp(-np.asarray(got["eta"], dtype=float)))
    t = time.perf_counter()
    score, inv = np.unique(p, return_inverse=True)
    leads = np.bincount(inv, minlength=len(score)).astype(float)
    wins = np.bincount(inv, weights=y, minlength=len(score))
    group_seconds = time.perf_counter() - t
    share = wins / leads
    nonwins = leads - wins
    has_w, has_n = wins > 0, nonwins > 0
    y2 = np.r_[np.ones(int(has_w.sum())), np.zeros(int(has_n.sum()))]
    p2 = np.r_[score[has_w], score[has_n]]
    w2 = np.r_[wins[has_w], nonwins[has_n]]

    def ours(yy: np.ndarray, pp: np.ndarray, ww: np.ndarray | None
             ) -> dict[str, Callable[[], float]]:
        return {"auc": lambda: mx.auc(yy, pp, ww), "ks": lambda: mx.ks(yy, pp, ww),
                "log_loss": lambda: mx.log_loss(yy, pp, ww), "brier": lambda: mx.brier(yy, pp, ww)}

    def theirs(yy: np.ndarray, pp: np.ndarray, ww: np.ndarray | None
               ) -> dict[str, Callable[[], float]]:
        return {"auc": lambda: sk.roc_auc_score(yy, pp, sample_weight=ww),
                "ks": lambda: ks_from_roc(yy, pp, ww),
                "log_loss": lambda: sk.log_loss(yy, pp, sample_weight=ww),
                "brier": lambda: sk.brier_score_loss(yy, pp, sample_weight=ww)}

    sets = {"calibrate_grouped": ours(share, score, leads),
            "sklearn_rows": theirs(y, p, None),
            "sklearn_weighted": theirs(y2, p2, w2),
            "calibrate_rows": ours(y, p, None)}
    variants = {f"{s}/{m}": fn for s, fns in sets.items() for m, fn in fns.items()}
    state = _machine_state(wait)
    timing, values = measure(variants, repeats)
    out: dict[str, Any] = {**state, "test_leads": int(len(y)), "grouped_rows": int(len(score)),
                           "weighted_rows": int(len(y2)), "group_seconds": group_seconds}
    base = {m: float(values[f"calibrate_grouped/{m}"]) for m in METRICS}
    for s in sets:
        vals = {m: float(values[f"{s}/{m}"]) for m in METRICS}
        diff = max(abs(vals[m] - base[m]) for m in METRICS)
        out[s] = {"seconds": sum(timing[f"{s}/{m}"]["seconds"] for m in METRICS),
                  "per_metric_seconds": {m: timing[f"{s}/{m}"]["seconds"] for m in METRICS},
                  "values": vals, "max_abs_diff": diff, "agree": diff <= METRIC_TOL}
    return out


# ----------------------------------------------------------------------------- binning


def bin_codes(x: np.ndarray, edges: list[float] | np.ndarray) -> tuple[np.ndarray, int]:
    """Bin index of each value (bins ``edge[j-1] <= x < edge[j]``, as both libraries cut)
    and one more for missing values; returns the codes and the number of bins."""
    e = np.asarray(edges, dtype=float)
    code = np.searchsorted(e, x, side="right")
    code[np.isnan(x)] = len(e) + 1
    return code, len(e) + 2


def information_value(code: np.ndarray, y: np.ndarray, k: int) -> float:
    """IV of a binning: sum of (non-win share - win share) * log of their ratio over the
    non-empty bins (an empty class in a bin counts half a lead)."""
    n = np.bincount(code, minlength=k).astype(float)
    w = np.bincount(code, weights=y, minlength=k)
    keep = n > 0
    ev, ne = w[keep], (n - w)[keep]
    ev, ne = np.where(ev > 0, ev, 0.5), np.where(ne > 0, ne, 0.5)
    pe, pn = ev / ev.sum(), ne / ne.sum()
    return float(np.sum((pn - pe) * np.log(pn / pe)))


def binned_auc(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
               k: int) -> float:
    """Test AUC of scoring each lead by its bin's training win rate."""
    from sklearn.metrics import roc_auc_score

    (ctr, ytr), (cte, yte) = train, test
    n = np.bincount(ctr, minlength=k).astype(float)
    w = np.bincount(ctr, weights=ytr, minlength=k)
    rate = np.where(n > 0, w / np.maximum(n, 1), ytr.mean())
    if yte.min() == yte.max():
        return float("nan")
    return float(roc_auc_score(yte, rate[cte]))


def _columns(con: Any, names: list[str], where: str) -> dict[str, np.ndarray]:
    from calibrate.sql import quote

    cols = ", ".join(f"CAST({quote(c)} AS DOUBLE) AS {quote(c)}" for c in names)
    got = con.execute(f"SELECT {cols}, (outcome = 'won')::DOUBLE AS _won FROM leads "
                      f"WHERE {where}").fetchnumpy()
    return {k: np.ma.filled(np.ma.asarray(v, dtype=float), np.nan) for k, v in got.items()}


def binning_part(con: Any, res: Any, repeats: int, wait: float) -> dict[str, Any]:
    """calibrate's numeric binning of the fitted numeric attributes against optbinning."""
    import optbinning
    from optbinning import OptimalBinning

    from calibrate.data.store import read_columns
    from calibrate.model.binning import learn_encoding

    numeric = [a.name for a in res.encoding if a.kind == "numeric"]
    if not numeric:
        return {"skipped": "the fit has no numeric attribute"}
    infos = [c for c in read_columns(con) if c.name in set(numeric)]
    opts = res.options or {}
    max_bins, min_share = int(opts.get("max_bins", 5)), float(opts.get("min_share", 0.03))
    split = res.split
    train_where = f"{split.population_sql()} AND NOT {split.test_sql()}"
    test_where = f"{split.population_sql()} AND {split.test_sql()}"

    def ours() -> Any:
        return learn_encoding(con, where=train_where, columns=infos,
                              min_count=opts.get("min_count"), max_bins=max_bins,
                              min_share=min_share, monotone=True)

    def read() -> dict[str, np.ndarray]:
        return _columns(con, numeric, train_where)

    def fit_all(data: dict[str, np.ndarray]) -> dict[str, Any]:
        fitted = {}
        y = data["_won"].astype(int)
        for c in numeric:
            with quiet():
                fitted[c] = OptimalBinning(name=c, dtype="numerical", max_n_bins=max_bins,
                                           min_bin_size=min_share).fit(data[c], y)
        return fitted

    def theirs() -> dict[str, Any]:
        return fit_all(read())

    state = _machine_state(wait)
    timing, results = measure({"calibrate": ours, "optbinning": theirs, "read": read},
                              repeats)
    enc, fitted = results["calibrate"], results["optbinning"]
    train, test = results["read"], _columns(con, numeric, test_where)
    columns = []
    for c in numeric:
        mine = [float(e) for e in enc[c].edges]
        cuts = [float(s) for s in fitted[c].splits]
        row: dict[str, Any] = {"column": c, "calibrate_edges": mine, "optbinning_edges": cuts,
                               "same_as_fit": mine == [float(e) for e in res.encoding[c].edges],
                               "optbinning_status": str(fitted[c].status)}
        for label, edges in (("calibrate", mine), ("optbinning", cuts)):
            ctr, k = bin_codes(train[c], edges)
            cte, _ = bin_codes(test[c], edges)
            row[label] = {"bins": len(edges) + 1,
                          "iv": information_value(ctr, train["_won"], k),
                          "test_auc": binned_auc((ctr, train["_won"]), (cte, test["_won"]), k)}
        columns.append(row)
    read_s = timing["read"]["seconds"]
    return {
        **state, "columns": columns, "train_leads": int(len(train["_won"])),
        "test_leads": int(len(test["_won"])), "max_bins": max_bins, "min_share": min_share,
        "calibrate": {**timing["calibrate"],
                      "what": "calibrate.model.binning.learn_encoding (numeric attributes)"},
        "optbinning": {**timing["optbinning"], "read_seconds": read_s,
                       "fit_seconds": max(timing["optbinning"]["seconds"] - read_s, 0.0),
                       "what": f"optbinning {optbinning.__version__} OptimalBinning("
                               f"dtype='numerical', max_n_bins={max_bins}, "
                               f"min_bin_size={min_share:g}) per column, after reading the "
                               "columns from DuckDB into numpy"},
        "mean": {label: {k: statistics.fmean(r[label][k] for r in columns
                                             if not math.isnan(r[label][k]))
                         if any(not math.isnan(r[label][k]) for r in columns) else float("nan")
                         for k in ("iv", "test_auc", "bins")}
                 for label in ("calibrate", "optbinning")},
    }

"""Fitting the lead-scoring model: won against not won on closed leads, on compressed codes.

Why it is fast: every closed lead is encoded in SQL (:mod:`calibrate.model.encode`) and DuckDB
collapses leads with the same codes (and the same split side and CV fold) into one row with
its numbers of wins and non-wins, grouping on one packed integer key. The weighted logistic
likelihood of those rows equals the likelihood of the leads exactly. Open leads are never
fitted.

The model is scikit-learn's ``LogisticRegression`` objective (L2 penalty ``|b|^2 / 2C`` on the
level coefficients, unpenalised intercept, sample weights) on a one-hot design built straight
from the codes (each attribute has all its levels; the penalty makes that identifiable). It
is minimised by a damped Newton method on the compressed rows whose Hessian comes from
``bincount`` over pairs of attributes (:func:`_gram`) and is reused while steps shrink fast.
Why not scikit-learn's solvers: on one-hot designs with rare levels lbfgs needs hundreds of
iterations (17 s on the 41k-lead bank data, against under 2 s here), and newton-cholesky
forms ``X'WX`` with a sparse-sparse product (about 2.5 s per iteration at a million rows).
The tests check the coefficients against scikit-learn's on the uncompressed one-hot data.

The steps of :func:`fit`:

1. **Population**: closed leads; ``no_decision`` counts as not won unless
   ``exclude_no_decision`` (then those leads are left out altogether).
2. **Split**: with a ``created_at`` column, the most recent ``test_size`` of closed leads (by
   creation time) is the test split and the older ones train the model, as the model will
   be used on leads newer than those it learnt from. Without dates (or if a side would lack
   wins or non-wins) the split is stratified by a hash of ``lead_id``: within wins and within
   non-wins, the leads with the lowest hashes form the test split.
3. **Encoding** is learnt on the training leads only.

   3b. **Case-control sampling** when there are more than ``max_fit_rows`` closed training
   leads (with 19 attributes almost every lead is its own pattern, so grouping no longer
   compresses): every closed lead, training or test, is kept with its class's rate, decided
   in SQL by a hash of ``lead_id`` before grouping. Wins (the rare class) are usually all
   kept and non-wins sampled so that about ``max_fit_rows`` training leads remain. Each kept
   lead weighs (leads of its class / kept leads of its class), so the weighted likelihood,
   the class totals, the class weights and the test metrics estimate the full data's
   without bias: the standard importance-weighted case-control subsampling for rare-event
   logistic regression (King and Zeng, 2001; Fithian and Hastie, 2014), whose loss of
   precision is small while the kept non-wins far outnumber the wins. The intervals use the
   sandwich of step 7 with the sampling weights in the score variance. Counts stay exact:
   the per-level leads and wins reported (and behind the leakage guard) come from SQL
   aggregates over all leads, and ``FitResult.counts`` says what was sampled
   (``sampled_leads``, ``sampled_rate`` for non-wins, ``sampled_win_rate``). At or below
   the cap nothing is sampled.
4. **Leakage guard** (see :func:`leakage_checks`): attributes that look recorded after the
   outcome are left out (with a warning) unless ``leakage='keep'`` or they are named in
   ``include``.
5. **C** is chosen by K-fold cross-validation on the training leads, folds assigned per lead
   by a hash of ``lead_id`` in SQL (so CV works on compressed rows), scoring the held-out
   weighted log loss. When there are more than ``cv_max_rows`` training patterns, CV runs on a
   random subset of patterns (each keeping all its leads): with that much data the penalty
   barely moves the estimates, and the prior it expresses does not depend on the sample size.
6. **Class imbalance**: ``class_weight='balanced'`` weights wins and non-wins so each class
   carries half the total weight, which steadies the fit when wins are rare. Weighting shifts
   the intercept by ``log(w_win / w_nonwin)``; it is taken back out (the prior correction of
   King and Zeng, 2001), then the intercept is tuned by 1-D Newton so that the predicted wins
   on the training leads equal the observed wins. Probabilities are therefore calibrated in
   the large, whatever the weighting.
7. **Intervals**: 95% intervals from the inverse of the penalised Fisher information
   ``H = X'WX + I/C`` on the compressed training rows. With class weights it is the sandwich
   ``H^-1 J H^-1`` of the weighted objective, ``J`` being the variance of the weighted score
   expected under the calibrated probabilities (weighting would otherwise overstate the
   information in rare wins, and the empirical ``J`` would call a level with no wins
   certain). One-hot levels are only identified up to a shift per attribute, so coefficients
   are reported centred (mean zero over the levels seen in training, the intercept absorbing
   the shift) and their intervals are those of the centred contrasts. A level no training
   lead had gets coefficient 0 (the attribute's average) and the prior's width, sqrt(C).
8. **Metrics** on the test split from the compressed test rows.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp

from calibrate.data.store import ColumnInfo, data_version, read_columns, table_exists
from calibrate.errors import ModelError
from calibrate.model import metrics as mx
from calibrate.model.encode import MISSING, Encoding, _learn, encode_sql
from calibrate.sql import literal, quote

__all__ = [
    "DEFAULT_CS",
    "FitResult",
    "LeakageWarning",
    "Split",
    "fit",
    "leakage_checks",
    "predict",
]

CLOSED = ("won", "lost", "no_decision")
DEFAULT_CS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
MIN_CLASS = 10
_PACK_LIMIT = 2**62  # largest packed GROUP BY key
Z95 = 1.959963984540054

#: Leakage rules (documented in :func:`leakage_checks`).
LEAK_AUC = 0.95
LEAK_NAME_AUC = 0.75
LEAK_DOMINANT_AUC = 0.85
LEAK_DOMINANT_MARGIN = 0.10
LEAK_CLOSED_ONLY_SHARE = 0.05
LEAK_EXPECTED_OPEN = 5.0
_AFTER_OUTCOME_WORDS = {
    "duration", "closed", "close", "closing", "stage", "won", "lost", "win", "loss",
    "outcome", "result", "status", "reason", "converted", "conversion", "signed", "booked",
    "churn", "churned", "contract", "invoice", "invoiced", "paid",
}
_AFTER_OUTCOME_PHRASES = ("call_length", "call_time", "call_secs", "call_seconds",
                          "call_minutes", "talk_time", "days_to_close", "sales_cycle",
                          "time_to_close")


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Split:
    """Which closed leads are held out for testing; reproducible from this spec alone.

    ``kind`` is ``"time"`` (test = ``created_at >= cutoff``) or ``"hash"``: within wins and
    within non-wins, the ``test_size`` share with the lowest ``hash(lead_id, seed)``, stored
    as the two hash thresholds ``hash_cuts = (wins, non-wins)`` so that the test expression
    needs no window function (DuckDB's ``hash`` is stable within a DuckDB version, so a
    stored hash split is reproducible as long as DuckDB is not upgraded). ``outcomes`` are
    the closed outcomes in the population.
    """

    kind: str
    outcomes: tuple[str, ...]
    test_size: float
    seed: int
    cutoff: datetime | None = None
    hash_cuts: tuple[int, int] | None = None

    def population_sql(self) -> str:
        """Condition selecting the fitted leads from ``leads``."""
        return f"outcome IN {_in_list(self.outcomes)}"

    def test_sql(self) -> str:
        """Boolean SQL expression over a row of ``leads``: is it in the test split."""
        if self.kind == "time":
            stamp = self.cutoff.isoformat(sep=" ") if self.cutoff else "infinity"
            return f"coalesce(created_at >= TIMESTAMP {literal(stamp)}, false)"
        won, other = self.hash_cuts or (0, 0)
        return (f"(hash(lead_id, {int(self.seed)}) <= CASE WHEN outcome = 'won' "
                f"THEN {int(won)}::UBIGINT ELSE {int(other)}::UBIGINT END)")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "outcomes": list(self.outcomes),
                "test_size": self.test_size, "seed": self.seed,
                "cutoff": self.cutoff.isoformat() if self.cutoff else None,
                "hash_cuts": list(self.hash_cuts) if self.hash_cuts else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Split:
        cutoff = data.get("cutoff")
        cuts = data.get("hash_cuts")
        return cls(data["kind"], tuple(data["outcomes"]), float(data["test_size"]),
                   int(data["seed"]), datetime.fromisoformat(cutoff) if cutoff else None,
                   (int(cuts[0]), int(cuts[1])) if cuts else None)


@dataclass
class LeakageWarning:
    """An attribute that looks recorded after the outcome, and why."""

    attribute: str
    rule: str
    auc: float
    message: str
    dropped: bool

    def __str__(self) -> str:
        action = "left out of the fit" if self.dropped else "kept in the fit"
        return f"{self.attribute}: {self.message} ({action})"


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
            "encoding": self.encoding.to_dict(),
            "levels": lv,
        }


# ---------------------------------------------------------------------- validation


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


# --------------------------------------------------------------------------- design


def _code_dtype(size: int) -> type[np.unsignedinteger]:
    """The smallest unsigned integer type holding codes ``0 .. size - 1``."""
    return np.uint8 if size <= 2**8 else np.uint16 if size <= 2**16 else np.uint32


@dataclass
class _Patterns:
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

    def take(self, mask: np.ndarray) -> _Patterns:
        return _Patterns([c[mask] for c in self.codes], self.test[mask], self.fold[mask],
                         self.wins[mask], self.leads[mask])

    def select(self, cols: Sequence[int]) -> _Patterns:
        """The same rows with only the attributes at positions ``cols``."""
        return _Patterns([self.codes[j] for j in cols], self.test, self.fold, self.wins,
                         self.leads)


def _design(codes: list[np.ndarray], offsets: np.ndarray, p: int) -> sp.csr_matrix:
    """Sparse one-hot design straight from the codes (one 1 per attribute per row).

    A CSR matrix-vector product is faster than gathering coefficients attribute by
    attribute, so the design is built once per problem (int32 indices).
    """
    m = len(codes)
    n = len(codes[0]) if m else 0
    indices = np.stack(codes, axis=1).astype(np.int32) if m else np.empty((0, 0), np.int32)
    indices += np.asarray(offsets, dtype=np.int32)
    indptr = np.arange(0, n * m + 1, m, dtype=np.int64)
    return sp.csr_matrix((np.ones(n * m), indices.ravel(), indptr), shape=(n, p))


def _gram(codes: list[np.ndarray], offsets: np.ndarray, sizes: np.ndarray,
          weights: list[np.ndarray], group_size: int = 256) -> list[np.ndarray]:
    """``[1, X]' diag(w) [1, X]`` for one-hot ``X`` given by codes, for each weight vector.

    Built with ``bincount`` over joint codes, never a dense design or a sparse-sparse product
    (several times faster than scipy's ``X.T @ W X`` on one-hot data): consecutive
    attributes are packed into groups whose joint code has at most ``group_size`` values,
    and one ``bincount`` per pair of groups gives the weight of every pair of their levels.
    A 0/1 matrix per group maps its joint codes to its levels, so each pair of groups'
    block of the Gram matrix is one small matrix product ``M_g' T M_h``.
    """
    p = int(sizes.sum())
    m = len(codes)
    n = len(codes[0]) if m else 0
    groups: list[list[int]] = []
    for a in range(m):
        if groups and np.prod([sizes[b] for b in groups[-1]]) * sizes[a] <= group_size:
            groups[-1].append(a)
        else:
            groups.append([a])
    joint, onehot, span = [], [], []
    for g in groups:
        shape = [int(sizes[a]) for a in g]
        j = np.zeros(n, dtype=np.intp)
        for a in g:
            j *= int(sizes[a])
            j += codes[a]
        joint.append(j)
        size = int(np.prod(shape))
        mat = np.zeros((size, sum(shape)))
        col = 0
        for level, width in zip(np.unravel_index(np.arange(size), shape), shape, strict=True):
            mat[np.arange(size), col + level] = 1.0
            col += width
        onehot.append(mat)
        first = 1 + int(offsets[g[0]])  # a group's levels are contiguous in theta
        span.append(slice(first, first + sum(shape)))
    out = [np.zeros((p + 1, p + 1)) for _ in weights]
    for gi, (mg, sg) in enumerate(zip(onehot, span, strict=True)):
        for g, w in zip(out, weights, strict=True):
            t = np.bincount(joint[gi], weights=w, minlength=mg.shape[0])
            d = t @ mg
            g[0, sg] = d
            g[sg, 0] = d
            g[sg, sg] = (mg * t[:, None]).T @ mg
        for hi in range(gi + 1, len(groups)):
            mh, sh = onehot[hi], span[hi]
            idx = joint[gi] * mh.shape[0] + joint[hi]
            for g, w in zip(out, weights, strict=True):
                t = np.bincount(idx, weights=w, minlength=mg.shape[0] * mh.shape[0])
                block = mg.T @ t.reshape(mg.shape[0], mh.shape[0]) @ mh
                g[sg, sh] = block
                g[sh, sg] = block.T
    for g, w in zip(out, weights, strict=True):
        g[0, 0] = w.sum()
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _penalty(theta: np.ndarray, C: float) -> float:
    return float(np.dot(theta[1:], theta[1:])) / (2 * C) if math.isfinite(C) else 0.0


class _Logit:
    """The penalised, weighted logistic loss on compressed one-hot codes.

    ``pos`` and ``neg`` are the weighted wins and non-wins of each pattern. Parameters are
    ``theta = [intercept, level coefficients...]``; only the coefficients are penalised:
    ``f = sum(pos * log(1 + e^-eta) + neg * log(1 + e^eta)) + |beta|^2 / (2 C)``, the
    objective of scikit-learn's ``LogisticRegression`` (which multiplies it by C).
    """

    def __init__(self, codes: list[np.ndarray], offsets: np.ndarray, sizes: np.ndarray,
                 pos: np.ndarray, neg: np.ndarray) -> None:
        self.codes = codes
        self.offsets, self.sizes = offsets, sizes
        self.p = int(sizes.sum())
        self.x = _design(codes, offsets, self.p)
        self.xt = self.x.T
        self.pos, self.neg = pos, neg
        self.tot = pos + neg
        self._subset: tuple[np.ndarray, list[np.ndarray]] | None = None

    def evaluate(self, theta: np.ndarray, C: float) -> tuple[float, np.ndarray]:
        """Objective and win probability per pattern (one exp for both)."""
        eta = self.x.dot(theta[1:])
        eta += theta[0]
        e = np.exp(-np.abs(eta))
        softplus = np.maximum(eta, 0.0) + np.log1p(e)
        f = float(np.dot(self.tot, softplus) - np.dot(self.pos, eta)) + _penalty(theta, C)
        p = np.where(eta >= 0, 1.0, e)
        p /= 1.0 + e
        return f, p

    def loss(self, theta: np.ndarray, C: float) -> float:
        return self.evaluate(theta, C)[0]

    def grad(self, theta: np.ndarray, C: float, p: np.ndarray) -> np.ndarray:
        r = self.tot * p - self.pos
        g = np.empty(self.p + 1)
        g[0] = r.sum()
        g[1:] = self.xt.dot(r)
        g[1:] += theta[1:] / C
        return g

    def hessian(self, p: np.ndarray, rows: int) -> np.ndarray:
        """Data part of the Hessian; from a random subset of at most ``rows`` patterns
        (scaled up) when there are more: good enough to steer Newton steps. The subset is
        drawn once per problem and size, so refreshing the curvature only costs the Gram."""
        w = self.tot * p * (1.0 - p)
        codes = self.codes
        if len(w) > rows:
            if self._subset is None or len(self._subset[0]) != rows:
                pick = np.random.default_rng(len(w)).choice(len(w), rows, replace=False)
                self._subset = (pick, [c[pick] for c in codes])
            pick, codes = self._subset
            scale = w.sum() / max(w[pick].sum(), 1e-300)
            w = w[pick] * scale
        return _gram(codes, self.offsets, self.sizes, [w])[0]


def _solve(prob: _Logit, C: float, theta: np.ndarray | None = None, *, tol: float = 1e-8,
           max_iter: int = 100, hess_rows: int = 200_000,
           hess: np.ndarray | None = None,
           info: dict[str, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Minimise the penalised loss by damped Newton steps; returns (theta, data Hessian).

    The Hessian is reused across iterations (and across a C path, via ``hess``) while steps
    shrink fast, and recomputed when they do not; steps are halved until the loss drops.
    Stops when no parameter moves by more than ``tol``. ``info["n_iter"]``, when ``info``
    is given, receives the number of Newton steps taken.
    """
    if theta is None:
        rate = prob.pos.sum() / prob.tot.sum()
        theta = np.zeros(prob.p + 1)
        theta[0] = math.log(rate / (1 - rate))
    theta = theta.copy()
    penalty = np.full(prob.p + 1, 1.0 / C)
    penalty[0] = 0.0
    f, p = prob.evaluate(theta, C)
    last = math.inf
    chol = None
    n_iter = 0
    for _ in range(max_iter):
        n_iter += 1
        g = prob.grad(theta, C, p)
        if hess is None:
            hess = prob.hessian(p, hess_rows)
            chol = None
        if chol is None:
            chol = scipy.linalg.cho_factor(hess + np.diag(penalty) + 1e-12 * np.eye(prob.p + 1))
        step = scipy.linalg.cho_solve(chol, g)
        t = 1.0
        slope = float(np.dot(g, step))
        while True:
            cand = theta - t * step
            f_c, p_c = prob.evaluate(cand, C)
            if f_c <= f - 1e-4 * t * slope or t < 1e-6:
                break
            t *= 0.5
        moved = float(np.max(np.abs(t * step)))
        theta, p, f = cand, p_c, f_c
        if moved < tol:
            break
        if t < 1.0 or moved > 0.25 * last:
            hess = None  # slow progress: refresh the curvature
        last = moved
    if info is not None:
        info["n_iter"] = n_iter
    return theta, (hess if hess is not None else prob.hessian(p, hess_rows))


def _class_weights(wins: float, nonwins: float, mode: str | None) -> tuple[float, float]:
    """Per-lead weights of wins and non-wins (scikit-learn's 'balanced' formula)."""
    if mode is None:
        return 1.0, 1.0
    total = wins + nonwins
    return total / (2.0 * wins), total / (2.0 * nonwins)


def _problem(pat: _Patterns, enc: Encoding, cw: tuple[float, float]) -> _Logit:
    return _Logit(pat.codes, enc.offsets, enc.sizes, pat.wins * cw[0],
                  (pat.leads - pat.wins) * cw[1])


def _cv(pat: _Patterns, enc: Encoding, cs: list[float], k: int, cw: tuple[float, float],
        tol: float) -> tuple[dict[float, float], dict[float, np.ndarray]]:
    """Mean held-out weighted log loss per C (folds from the SQL fold column), and the mean
    of the fold solutions per C (a warm start for the final fit).

    Cs run from strong to weak penalty; each fold's fit starts from its previous solution,
    and one Hessian is shared by all folds (their training sets overlap by (k-2)/(k-1)) until
    convergence slows, so most Newton steps cost one pass over the rows.
    """
    folds = []
    for f in range(k):
        held = pat.fold == f
        if not held.any() or held.all():
            continue
        tr, va = pat.take(~held), pat.take(held)
        if tr.wins.sum() <= 0 or tr.wins.sum() >= tr.leads.sum():
            continue
        folds.append((_problem(tr, enc, cw), _problem(va, enc, cw)))
    total = sum(float(v.tot.sum()) for _, v in folds)
    if not folds or total <= 0:
        return {c: float("nan") for c in cs}, {}
    thetas: list[np.ndarray | None] = [None] * len(folds)
    hess = None
    loss, sols = {}, {}
    for c in cs:
        loss[c] = 0.0
        for i, (prob, vprob) in enumerate(folds):
            thetas[i], hess = _solve(prob, c, thetas[i], tol=tol, hess=hess)
            loss[c] += vprob.loss(thetas[i], math.inf)
        loss[c] /= total
        sols[c] = np.mean(thetas, axis=0)
    return loss, sols


def _calibrate_intercept(eta: np.ndarray, leads: np.ndarray, wins: float, start: float) -> float:
    """Intercept ``b`` with ``sum(leads * sigmoid(eta + b)) == wins`` (1-D Newton)."""
    b = start
    for _ in range(100):
        p = _sigmoid(eta + b)
        f = float(np.sum(leads * p)) - wins
        d = float(np.sum(leads * p * (1 - p)))
        if d <= 0:
            break
        step = float(np.clip(f / d, -5, 5))
        b -= step
        if abs(step) < 1e-12:
            break
    return b


@dataclass
class _Model:
    coef: np.ndarray  # centred per attribute
    intercept: float  # calibrated
    se: np.ndarray
    raw: np.ndarray  # theta of the weighted fit, before centring and calibration
    n_iter: int = 0  # Newton steps of the fit


def _fit_block(pat: _Patterns, enc: Encoding, C: float, cw: tuple[float, float], tol: float,
               max_iter: int, init: np.ndarray | None = None,
               sampled: tuple[float, float] = (1.0, 1.0)) -> _Model:
    """Fit at one C on the given patterns; centre, calibrate and add intervals.

    ``sampled`` are the leads each kept win and non-win stands for when the patterns are a
    case-control sample (their counts already weighted): they enter the score variance.
    """
    sizes, offsets = enc.sizes, enc.offsets
    p = int(sizes.sum())
    prob = _problem(pat, enc, cw)
    info: dict[str, int] = {}
    theta, _ = _solve(prob, C, init, tol=tol, max_iter=max_iter, info=info)
    b0, coef = float(theta[0]), theta[1:]
    xb = prob.x.dot(coef)
    # Prior correction for the class weights, then calibration in the large.
    b_cal = _calibrate_intercept(xb, pat.leads, float(pat.wins.sum()),
                                 b0 - math.log(cw[0] / cw[1]))
    pw = _sigmoid(xb + b0)  # the weighted fit's probability
    gram_w = [prob.tot * pw * (1 - pw)]
    weighted = not (cw[0] == cw[1] == 1.0 and sampled[0] == sampled[1] == 1.0)
    if weighted:
        # Expected variance of the weighted score when leads win with the calibrated
        # probability (model-based, so cells without wins do not look certain). A lead kept
        # with probability 1/s and weight s adds s times its squared weighted score.
        pc = _sigmoid(xb + b_cal)
        gram_w.append(pat.leads * (cw[0] ** 2 * sampled[0] * pc * (1 - pw) ** 2
                                   + cw[1] ** 2 * sampled[1] * (1 - pc) * pw**2))
    grams = _gram(pat.codes, offsets, sizes, gram_w)
    observed = np.diag(grams[0])[1:] > 0
    hess = grams[0] + np.diag(np.r_[0.0, np.full(p, 1.0 / C)])
    cov = _inverse(hess)
    if weighted:
        cov = cov @ grams[1] @ cov
    # Centre per attribute over the levels seen in training (the intercept takes the shift).
    centred = coef.copy()
    se = np.zeros(p)
    shift = 0.0
    for o, s in zip(offsets, sizes, strict=True):
        sl = slice(o, o + s)
        obs = observed[sl]
        if obs.any():
            mean = float(coef[sl][obs].mean())
            centred[sl] = coef[sl] - mean
            shift += mean
            block = cov[1 + o:1 + o + s, 1 + o:1 + o + s]
            u = obs / obs.sum()
            su = block.dot(u)  # var(b_l - u'b) = S_ll - 2 (S u)_l + u'S u
            se[sl] = np.sqrt(np.clip(np.diag(block) - 2 * su + float(np.dot(u, su)), 0, None))
        # A level no training lead had: only the prior speaks (coefficient 0, sd sqrt(C)).
        se[sl][~obs] = math.sqrt(C)
        centred[sl][~obs] = 0.0
    return _Model(centred, b_cal + shift, se, theta, info["n_iter"])


def _inverse(a: np.ndarray) -> np.ndarray:
    try:
        c = scipy.linalg.cho_factor(a)
        return scipy.linalg.cho_solve(c, np.eye(a.shape[0]))
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


# -------------------------------------------------------------------------- leakage


def _name_suggests_after_outcome(name: str) -> bool:
    key = re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")
    words = set(key.split("_"))
    return bool(words & _AFTER_OUTCOME_WORDS) or any(p in key for p in _AFTER_OUTCOME_PHRASES)


def leakage_checks(
    single_auc: dict[str, float],
    *,
    names: dict[str, str] | None = None,
    closed_only: dict[str, tuple[float, int]] | None = None,
) -> list[tuple[str, str, str]]:
    """Attributes that look recorded after the outcome: ``(attribute, rule, message)``.

    The rules, each enough on its own:

    * ``auc``: the attribute alone separates wins from non-wins with AUC >= 0.95 (nothing
      known before a sale is that good).
    * ``name``: its name reads like something recorded during or after the sale (duration,
      call length, stage, status, closed..., reason...) and its AUC alone is >= 0.75, higher
      than whole lead-scoring models usually reach. This is what catches the bank-marketing
      ``duration`` (AUC about 0.80): call length is only known once the call is over.
    * ``dominant``: its AUC alone is >= 0.85 and beats every other attribute by >= 0.10.
    * ``closed_only``: when there are open leads, levels holding >= 5% of closed leads never
      occur on open leads although at least 5 would be expected there (the value is filled in
      at closing).

    ``single_auc`` is each attribute's AUC when its levels are ranked by their win rate;
    ``names`` maps attributes to their source column names (also checked by ``name``);
    ``closed_only`` maps attributes to (share of closed leads in never-open levels, number
    of open leads).
    """
    names = names or {}
    closed_only = closed_only or {}
    out = []
    for attr, auc in single_auc.items():
        if not math.isfinite(auc):
            continue
        others = [v for k, v in single_auc.items() if k != attr and math.isfinite(v)]
        best_other = max(others) if others else 0.5
        if auc >= LEAK_AUC:
            out.append((attr, "auc", f"on its own it predicts the outcome almost perfectly "
                        f"(AUC {auc:.3f}); it is probably recorded after the outcome"))
        elif auc >= LEAK_NAME_AUC and (_name_suggests_after_outcome(attr)
                                       or _name_suggests_after_outcome(names.get(attr, ""))):
            out.append((attr, "name", f"its name suggests it is recorded during or after the "
                        f"sale and on its own it predicts the outcome strongly (AUC {auc:.3f})"))
        elif auc >= LEAK_DOMINANT_AUC and auc - best_other >= LEAK_DOMINANT_MARGIN:
            out.append((attr, "dominant", f"on its own it predicts the outcome far better than "
                        f"any other attribute (AUC {auc:.3f} against {best_other:.3f})"))
    flagged = {a for a, _, _ in out}
    for attr, (share, n_open) in closed_only.items():
        if attr not in flagged and share >= LEAK_CLOSED_ONLY_SHARE:
            out.append((attr, "closed_only", f"values held by {share:.0%} of closed leads never "
                        f"occur on the {n_open:,} open leads; it is probably filled in at "
                        "closing"))
    return out


def leak_screen(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The attributes the fit's leak test would flag, with why: shown before any fit.

    The same rules as the fit (:func:`leakage_checks`) on all closed leads' level counts
    (no split, no open-lead check), so the Data page can warn as soon as a file is loaded.
    Empty when there are no closed wins and non-wins to compare.
    """
    from calibrate.model.encode import learn_encoding

    attrs = [c for c in read_columns(con) if c.role in ("profile", "behavior")]
    if not attrs:
        return {}
    enc = learn_encoding(con, columns=attrs)
    if not len(enc):
        return {}
    counts = _encoding_counts(enc)
    if not any(w.sum() for _, w in counts) or all(w.sum() == n.sum() for n, w in counts):
        return {}
    single = _single_auc(enc, counts)
    names = {c.name: c.source_name for c in attrs}
    return {attr: message for attr, _, message in leakage_checks(single, names=names)}


_Counts = list[tuple[np.ndarray, np.ndarray]]  # per attribute: (leads, wins) per level


def _level_counts(pat: _Patterns, enc: Encoding) -> tuple[_Counts, _Counts]:
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


def _encoding_counts(enc: Encoding) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per attribute: (leads, wins) per level of the training leads, as counted (exactly, in
    SQL) while the encoding was learnt."""
    return [(np.asarray(a.counts, dtype=float), np.asarray(a.wins, dtype=float)) for a in enc]


def _side_counts(cur: duckdb.DuckDBPyConnection, enc: Encoding, split: Split,
                 sides: Sequence[str]) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
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


def _single_auc(enc: Encoding, counts: list[tuple[np.ndarray, np.ndarray]]
                ) -> dict[str, float]:
    """Per attribute: AUC of ranking leads by their level's win rate."""
    out = {}
    for a, (leads, wins) in zip(enc, counts, strict=True):
        keep = leads > 0
        rate = wins[keep] / leads[keep]
        out[a.name] = mx.auc(rate, rate, leads[keep])
    return out


def _closed_only(enc: Encoding, counts: list[tuple[np.ndarray, np.ndarray]],
                 open_counts: list[tuple[np.ndarray, np.ndarray]], n_open: int
                 ) -> dict[str, tuple[float, int]]:
    """Share of closed leads in levels never seen on open leads (where >= 5 were expected)."""
    out = {}
    for a, (closed, _), (opened, _) in zip(enc, counts, open_counts, strict=True):
        total = float(closed.sum())
        share = 0.0
        for code in range(a.size):
            if a.levels[code] == MISSING or closed[code] <= 0:
                continue
            expected = n_open * closed[code] / total
            if opened[code] == 0 and expected >= LEAK_EXPECTED_OPEN:
                share += closed[code] / total
        out[a.name] = (share, n_open)
    return out


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
    max_bins, min_share : numeric binning (see :mod:`calibrate.model.encode`).
    refit : after testing, refit on all closed leads at the chosen C (the reported metrics
        stay the held-out ones of the train-only model).
    cv_max_rows : cap on training patterns used for CV.
    tol, max_iter : Newton stops when no coefficient moves by more than ``tol``.
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
        with _one_blas_thread():
            result = _fit(cur, opts, lap)
    finally:
        cur.close()
    timings["total"] = time.perf_counter() - t0
    result.timings = timings
    result.options = {k: (list(v) if isinstance(v, tuple | list) else v)
                      for k, v in opts.items()}
    return result


def _one_blas_thread() -> Any:
    """A context limiting BLAS to one thread (threadpoolctl comes with scikit-learn)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


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


def _make_split(cur: duckdb.DuckDBPyConnection, has_created: bool, outcomes: tuple[str, ...],
                test_size: float, seed: int) -> tuple[Split, tuple[Any, Any]]:
    """The time split when dates allow it (both classes on both sides), else the hash split."""
    pop = f"outcome IN {_in_list(outcomes)}"
    data_range: tuple[Any, Any] = (None, None)
    if has_created:
        n, dated, cutoff, lo, hi = cur.execute(
            f"SELECT count(*), count(created_at), quantile_disc(created_at, "
            f"{1 - test_size!r}), min(created_at), max(created_at) FROM leads WHERE {pop}"
        ).fetchone()
        data_range = (lo, hi)
        if dated and dated >= 0.5 * n and cutoff is not None:
            split = Split("time", outcomes, test_size, seed, cutoff)
            sides = cur.execute(
                f"SELECT {split.test_sql()} AS t, count(*) FILTER (WHERE outcome = 'won'), "
                f"count(*) FILTER (WHERE outcome <> 'won') FROM leads WHERE {pop} GROUP BY t"
            ).fetchall()
            ok = {bool(t): (w >= 1 and nw >= 1) for t, w, nw in sides}
            if ok.get(True) and ok.get(False):
                return split, data_range
    cuts = dict(cur.execute(
        f"SELECT outcome = 'won', quantile_disc(hash(lead_id, {int(seed)}), {test_size!r}) "
        f"FROM leads WHERE {pop} GROUP BY ALL").fetchall())
    return Split("hash", outcomes, test_size, seed,
                 hash_cuts=(int(cuts.get(True, 0)), int(cuts.get(False, 0)))), data_range


def _group(cur: duckdb.DuckDBPyConnection, enc: Encoding, split: Split, k: int, seed: int,
           keep: str | None = None) -> _Patterns:
    """Closed leads collapsed to distinct (codes, split side, CV fold) with wins and leads.

    The codes and the fold (``k`` = test) are packed into one BIGINT key when they fit, as
    DuckDB groups one integer key several times faster than a composite key; the codes are
    unpacked in numpy. ``keep`` is an SQL condition on a lead (the case-control sample of
    :func:`_sample_sql`); wins and leads are then counts of the kept leads, unweighted.
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
    if m < _PACK_LIMIT:
        key = " + ".join(["_f::BIGINT"] + [f"{quote(n)}::BIGINT * {mu}"
                                           for n, mu in zip(enc.names, mults, strict=True)])
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
                          f"_leads FROM ({src}) GROUP BY ALL ORDER BY ALL").fetchnumpy()
        codes = [np.asarray(res[n]).astype(_code_dtype(size))
                 for n, size in zip(enc.names, sizes, strict=True)]
        f = np.asarray(res["_f"], dtype=np.int64)
    test = f == k
    return _Patterns(codes, test, np.where(test, -1, f).astype(np.int8),
                     np.asarray(res["_wins"], dtype=float), np.asarray(res["_leads"], dtype=float))


def _sample_rates(wins: int, nonwins: int, cap: int | None) -> tuple[float, float] | None:
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


def _sample_sql(rates: tuple[float, float], seed: int) -> str:
    """SQL condition keeping a lead with its class's rate, by a hash of ``lead_id``
    (deterministic, independent of the split and fold hashes)."""
    h = f"hash(lead_id, {seed + 2})"
    win, other = (f"{h} < {int(r * 2.0**64)}::UBIGINT" if r < 1 else "true" for r in rates)
    return f"(CASE WHEN outcome = 'won' THEN {win} ELSE {other} END)"


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
    split, data_range = _make_split(cur, has_created, outcomes, opts["test_size"], seed)
    k = int(opts["cv_folds"])
    lap("split")
    train_sql = f"(SELECT * FROM leads WHERE {split.population_sql()} AND NOT {split.test_sql()})"
    enc = _learn(cur, train_sql, "outcome = 'won'", attrs, min_count=opts["min_count"],
                 max_bins=opts["max_bins"], min_share=opts["min_share"], monotone=True)
    if not len(enc):
        raise ModelError("No attribute can be scored (dates are not scored yet).",
                         fix="Map at least one categorical, numeric or yes/no column.")
    lap("encode")
    # Case-control sampling of very large training sets (see _sample_rates).
    train_wins = int(sum(enc.attributes[0].wins))
    rates = _sample_rates(train_wins, int(enc.leads) - train_wins, opts["max_fit_rows"])
    pat = _group(cur, enc, split, k, seed, _sample_sql(rates, seed) if rates else None)
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
        train_counts = _encoding_counts(enc)
        exact = _side_counts(cur, enc, split, sides + ["test"])
        test_counts = exact["test"]
    else:
        exact = _side_counts(cur, enc, split, sides) if sides else {}
        train_counts, test_counts = _level_counts(pat, enc)
    all_counts = [(tr[0] + te[0], tr[1] + te[1])
                  for tr, te in zip(train_counts, test_counts, strict=True)]
    single = _single_auc(enc, all_counts)
    closed_only = (_closed_only(enc, all_counts, exact["open"], counts["open"])
                   if sides else {})
    source_names = {c.name: c.source_name for c in attrs}
    flagged = leakage_checks(single, names=source_names, closed_only=closed_only)
    forced = set(opts["include"] or ())
    warns = []
    for attr, rule, message in flagged:
        drop = opts["leakage"] != "keep" and attr not in forced
        warns.append(LeakageWarning(attr, rule, float(single.get(attr, float("nan"))),
                                    message, drop))
    dropped = [w.attribute for w in warns if w.dropped]
    if warns and opts["leakage"] == "warn":
        warnings.warn("Possible leakage: " + "; ".join(str(w) for w in warns),
                      UserWarning, stacklevel=3)
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

    train = pat.take(~pat.test)
    test = pat.take(pat.test)
    tw, tn = float(train.wins.sum()), float((train.leads - train.wins).sum())
    if tw < 1 or tn < 1:
        raise ModelError("The training split lacks wins or non-wins.",
                         fix="Load more closed leads.")
    cw = _class_weights(tw, tn, opts["class_weight"])
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
        cv_scores, cv_sols = _cv(cvpat, enc, cs, k, cw, max(opts["tol"], 1e-5))
        finite = {c: v for c, v in cv_scores.items() if math.isfinite(v)}
        best_c = min(finite, key=finite.get) if finite else 1.0
        init = cv_sols.get(best_c)
    lap("cv")
    model = _fit_block(train, enc, best_c, cw, opts["tol"], opts["max_iter"], init, weights)
    lap("fit")
    x_test = _design(test.codes, enc.offsets, int(enc.sizes.sum()))
    p_test = _sigmoid(x_test @ model.coef + model.intercept)
    y_test = np.divide(test.wins, test.leads, out=np.zeros_like(test.wins),
                       where=test.leads > 0)
    test_metrics = mx.summarize(y_test, p_test, test.leads)
    if opts["refit"]:
        cw_all = _class_weights(float(pat.wins.sum()), float((pat.leads - pat.wins).sum()),
                                opts["class_weight"])
        model = _fit_block(pat, enc, best_c, cw_all, opts["tol"], opts["max_iter"], model.raw,
                           weights)
    lap("metrics")
    levels = _levels_frame(enc, model, fitted_counts)
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
        single_auc=single, data_version=data_version(cur), n_iter=model.n_iter)


def _levels_frame(enc: Encoding, model: _Model,
                  counts: list[tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    rows = []
    offsets = enc.offsets
    for j, (a, (leads, wins)) in enumerate(zip(enc, counts, strict=True)):
        for code, (label, (lo, hi)) in enumerate(zip(a.levels, a.bounds(), strict=True)):
            i = offsets[j] + code
            c, s = float(model.coef[i]), float(model.se[i])
            rows.append((a.axis, a.name, a.kind, label, code, lo, hi, c, s, c - Z95 * s,
                         c + Z95 * s, int(round(leads[code])), int(round(wins[code])),
                         wins[code] / leads[code] if leads[code] > 0 else float("nan")))
    return pd.DataFrame(rows, columns=["axis", "attribute", "kind", "level", "code", "lower",
                                       "upper", "coefficient", "se", "ci_low", "ci_high",
                                       "leads", "wins", "win_rate"])


def predict(con: duckdb.DuckDBPyConnection, result: FitResult, source: str = "leads"
            ) -> pd.DataFrame:
    """The model's logit and probability for every lead of ``source`` (computed in SQL)."""
    logit = result.logit_sql()
    return con.execute(
        f"SELECT lead_id, {logit} AS logit, 1 / (1 + exp(-({logit}))) AS probability "
        f"FROM {quote(source)}").df()

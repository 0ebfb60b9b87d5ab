"""How well a score ranks and predicts wins: pure numpy functions that work on compressed data.

Every function takes ``y`` (the observed share of wins of a row, in [0, 1]), a score or a
predicted probability, and an optional ``sample_weight`` (the number of leads the row stands
for). An ordinary lead-level call passes 0/1 outcomes and no weights; a compressed call passes
one row per distinct pattern with ``y = wins / leads`` and ``sample_weight = leads``. Both give
the same figure, because each function only ever sums ``weight * y`` (wins) and
``weight * (1 - y)`` (non-wins) per row. The argument order follows scikit-learn
(``y_true`` first).

Tied scores are always treated as one group (AUC counts a tie as half; deciles split a tied
group fractionally at a boundary), so results do not depend on row order or on compression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Metrics",
    "auc",
    "brier",
    "calibration_table",
    "ks",
    "lift_table",
    "log_loss",
    "score_bins",
    "summarize",
]


def _check(
    y: Any, score: Any, sample_weight: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate and convert the three arrays (same length, y in [0, 1], weights >= 0)."""
    y_ = np.asarray(y, dtype=float).ravel()
    s_ = np.asarray(score, dtype=float).ravel()
    if y_.shape != s_.shape:
        raise ValueError(
            f"y and score must have the same length; got {y_.size} and {s_.size}."
        )
    if sample_weight is None:
        w_ = np.ones_like(y_)
    else:
        w_ = np.asarray(sample_weight, dtype=float).ravel()
        if w_.shape != y_.shape:
            raise ValueError(
                f"sample_weight must have the same length as y; got {w_.size} and {y_.size}."
            )
        if np.any(w_ < 0) or not np.all(np.isfinite(w_)):
            raise ValueError("sample_weight must be finite and non-negative.")
    if np.any((y_ < 0) | (y_ > 1)) or np.any(np.isnan(y_)):
        raise ValueError("y must hold win shares in [0, 1] (0/1 outcomes for single leads).")
    if np.any(np.isnan(s_)):
        raise ValueError("score must not contain NaN.")
    return y_, s_, w_


def _grouped(y: np.ndarray, s: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distinct scores (ascending) with their weighted wins and non-wins."""
    uniq, inv = np.unique(s, return_inverse=True)
    pos = np.bincount(inv, weights=w * y, minlength=uniq.size)
    neg = np.bincount(inv, weights=w * (1.0 - y), minlength=uniq.size)
    return uniq, pos, neg


def auc(y: Any, score: Any, sample_weight: Any = None) -> float:
    """Area under the ROC curve: the chance a random win outranks a random non-win.

    Ties count one half (as in scikit-learn's ``roc_auc_score``). NaN when there are no
    wins or no non-wins.
    """
    y_, s_, w_ = _check(y, score, sample_weight)
    _, pos, neg = _grouped(y_, s_, w_)
    p_tot, n_tot = pos.sum(), neg.sum()
    if p_tot <= 0 or n_tot <= 0:
        return float("nan")
    below = np.cumsum(neg) - neg
    return float(np.sum(pos * (below + 0.5 * neg)) / (p_tot * n_tot))


def log_loss(y: Any, proba: Any, sample_weight: Any = None) -> float:
    """Mean negative log-likelihood per lead (natural log); probabilities are clipped at eps."""
    y_, p_, w_ = _check(y, proba, sample_weight)
    eps = np.finfo(float).eps
    p_ = np.clip(p_, eps, 1 - eps)
    total = w_.sum()
    if total <= 0:
        return float("nan")
    ll = w_ * (y_ * np.log(p_) + (1 - y_) * np.log1p(-p_))
    return float(-ll.sum() / total)


def brier(y: Any, proba: Any, sample_weight: Any = None) -> float:
    """Mean squared error of the probability per lead (a win counts 1, a non-win 0)."""
    y_, p_, w_ = _check(y, proba, sample_weight)
    total = w_.sum()
    if total <= 0:
        return float("nan")
    return float(np.sum(w_ * (y_ * (1 - p_) ** 2 + (1 - y_) * p_**2)) / total)


def ks(y: Any, score: Any, sample_weight: Any = None) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the score distributions of
    wins and non-wins (0 = no separation, 1 = perfect)."""
    y_, s_, w_ = _check(y, score, sample_weight)
    _, pos, neg = _grouped(y_, s_, w_)
    if pos.sum() <= 0 or neg.sum() <= 0:
        return float("nan")
    gap = np.cumsum(pos) / pos.sum() - np.cumsum(neg) / neg.sum()
    return float(np.max(np.abs(gap)))


def score_bins(
    y: Any,
    score: Any,
    sample_weight: Any = None,
    *,
    n_bins: int = 10,
    descending: bool = True,
) -> pd.DataFrame:
    """Equal-size bins of leads by score (deciles by default), with wins and win rates.

    Leads are sorted by score (highest first when ``descending``) and cut into ``n_bins``
    bins of equal lead weight; a group of tied scores that straddles a cut is split
    fractionally, so the bins are exact and independent of row order and compression.
    Columns: ``bin`` (1 = first), ``leads``, ``wins``, ``win_rate``, ``mean_score``,
    ``lift`` (win rate / overall win rate), ``cum_leads_share``, ``cum_wins_share``.
    """
    if not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be an int >= 1; got {n_bins!r}.")
    y_, s_, w_ = _check(y, score, sample_weight)
    uniq, pos, neg = _grouped(y_, s_, w_)
    if descending:
        uniq, pos, neg = uniq[::-1], pos[::-1], neg[::-1]
    weight = pos + neg
    total = weight.sum()
    start = np.cumsum(weight) - weight
    end = start + weight
    cuts = np.linspace(0.0, total, n_bins + 1)
    rows = []
    safe_weight = np.where(weight > 0, weight, 1.0)
    for b in range(n_bins):
        lo, hi = cuts[b], cuts[b + 1]
        overlap = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)
        frac = np.where(weight > 0, overlap / safe_weight, 0.0)
        leads = float(overlap.sum())
        wins = float(np.sum(frac * pos))
        mean_score = float(np.sum(overlap * uniq) / leads) if leads > 0 else float("nan")
        rows.append((b + 1, leads, wins, mean_score))
    out = pd.DataFrame(rows, columns=["bin", "leads", "wins", "mean_score"])
    base = pos.sum() / total if total > 0 else float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["win_rate"] = out["wins"] / out["leads"]
        out["lift"] = out["win_rate"] / base
        out["cum_leads_share"] = out["leads"].cumsum() / total
        out["cum_wins_share"] = out["wins"].cumsum() / pos.sum()
    return out[["bin", "leads", "wins", "win_rate", "mean_score", "lift", "cum_leads_share",
                "cum_wins_share"]]


def lift_table(y: Any, score: Any, sample_weight: Any = None, *, n_bins: int = 10
               ) -> pd.DataFrame:
    """Win rate and lift by score decile, best decile first (see :func:`score_bins`)."""
    return score_bins(y, score, sample_weight, n_bins=n_bins, descending=True)


def calibration_table(
    y: Any,
    proba: Any,
    sample_weight: Any = None,
    *,
    n_bins: int = 10,
    strategy: str = "quantile",
) -> pd.DataFrame:
    """Predicted against observed win rate by bin of predicted probability.

    ``strategy='quantile'`` makes bins of equal lead weight (useful when wins are rare, as
    most probabilities are then small); ``'uniform'`` cuts [0, 1] into equal widths exactly
    like scikit-learn's ``calibration_curve`` and leaves out empty bins. Columns: ``bin``,
    ``leads``, ``wins``, ``predicted`` (mean probability), ``observed`` (win rate).
    """
    if strategy not in ("quantile", "uniform"):
        raise ValueError(f"strategy must be 'quantile' or 'uniform'; got {strategy!r}.")
    if strategy == "quantile":
        bins = score_bins(y, proba, sample_weight, n_bins=n_bins, descending=False)
        out = bins[["bin", "leads", "wins", "mean_score", "win_rate"]]
        return out.rename(columns={"mean_score": "predicted", "win_rate": "observed"})
    if not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be an int >= 1; got {n_bins!r}.")
    y_, p_, w_ = _check(y, proba, sample_weight)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], p_)
    leads = np.bincount(ids, weights=w_, minlength=n_bins)
    wins = np.bincount(ids, weights=w_ * y_, minlength=n_bins)
    psum = np.bincount(ids, weights=w_ * p_, minlength=n_bins)
    keep = leads > 0
    return pd.DataFrame({
        "bin": np.arange(1, n_bins + 1)[keep],
        "leads": leads[keep],
        "wins": wins[keep],
        "predicted": psum[keep] / leads[keep],
        "observed": wins[keep] / leads[keep],
    })


@dataclass
class Metrics:
    """The figures a user sees for one set of leads (usually the held-out test split)."""

    leads: float
    wins: float
    base_rate: float
    auc: float
    log_loss: float
    brier: float
    ks: float
    deciles: pd.DataFrame = field(repr=False)
    calibration: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (NaN becomes None; tables become lists of records)."""

        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return None if np.isnan(v) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            return v

        out: dict[str, Any] = {
            k: clean(getattr(self, k))
            for k in ("leads", "wins", "base_rate", "auc", "log_loss", "brier", "ks")
        }
        for name in ("deciles", "calibration"):
            frame = getattr(self, name)
            out[name] = [{k: clean(v) for k, v in r.items()} for r in frame.to_dict("records")]
        return out


def summarize(y: Any, proba: Any, sample_weight: Any = None, *, n_bins: int = 10) -> Metrics:
    """All metrics at once for predicted probabilities (compressed rows allowed)."""
    y_, p_, w_ = _check(y, proba, sample_weight)
    leads = float(w_.sum())
    wins = float(np.sum(w_ * y_))
    return Metrics(
        leads=leads,
        wins=wins,
        base_rate=wins / leads if leads > 0 else float("nan"),
        auc=auc(y_, p_, w_),
        log_loss=log_loss(y_, p_, w_),
        brier=brier(y_, p_, w_),
        ks=ks(y_, p_, w_),
        deciles=lift_table(y_, p_, w_, n_bins=n_bins),
        calibration=calibration_table(y_, p_, w_, n_bins=n_bins),
    )

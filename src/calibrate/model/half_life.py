"""The half-life fit: profile likelihood of a decayed behavior effect over a grid of half-lives.

Why apart from :mod:`calibrate.model.decay`: this is the numerical core, plain numpy on the
grouped rows decay builds in SQL, testable without any leads. For each half-life ``h`` on
:data:`GRID` (7 days to 2 years, log-spaced) and with no decay, the weighted logistic model

``logit P(won) = r(d) + c_p P + c_o O + beta B 2^(-d/h)``

is fitted by Newton's method (``r(d)``: a recency level, :func:`recency_levels`), and
:func:`interval` reads the best half-life and its likelihood-ratio interval off the
profile: the half-lives whose log-likelihood is within ``chi2(1, 95%) / 2 = 1.92`` of the
best, interpolated in log ``h``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["GRID", "LEVEL_CLASS", "LR_DROP", "decay_factor", "interval", "profile_likelihood",
           "recency_levels"]

#: Half-lives tried, in days: 7 days to 2 years, log-spaced (about 8.6% apart).
GRID = np.geomspace(7.0, 730.0, 57)
#: Drop of the log-likelihood at the edge of a 95% interval: chi2(1) 95% quantile / 2.
LR_DROP = 1.920729
#: Fewest wins, and non-wins, of a recency level (buckets merge until they hold them).
LEVEL_CLASS = 20

def decay_factor(days: Any, half_life: float | None) -> np.ndarray:
    """The share of behavior points left after ``days`` without activity: ``2^(-d/h)``.

    1 at 0 days (and for negative days: activity after the reference date counts as
    none missed), 0.5 at one half-life; ``half_life`` None means no decay (always 1).
    """
    d = np.maximum(np.asarray(days, dtype=float), 0.0)
    if half_life is None or not math.isfinite(half_life):
        return np.ones_like(d)
    return np.exp2(-d / float(half_life))


def _loglik(eta: np.ndarray, wins: np.ndarray, leads: np.ndarray) -> float:
    return float(np.sum(wins * eta - leads * np.logaddexp(0.0, eta)))


def _newton(dense: np.ndarray, level: np.ndarray, wins: np.ndarray, leads: np.ndarray,
            coef: np.ndarray) -> tuple[float, np.ndarray]:
    """Maximum of the binomial log-likelihood of grouped rows whose linear predictor is
    ``dense @ coef[:k] + coef[k + level]`` (a coefficient per level, no intercept): Newton's
    method with step halving, the Hessian's one-hot block assembled with ``bincount``."""
    k, n_lev = dense.shape[1], int(level.max()) + 1
    ridge = 1e-9 * np.eye(k + n_lev)

    def eta_of(c: np.ndarray) -> np.ndarray:
        return dense @ c[:k] + c[k:][level]

    ll = _loglik(eta_of(coef), wins, leads)
    for _ in range(100):
        eta = eta_of(coef)
        p = 0.5 * (1.0 + np.tanh(0.5 * eta))
        r = wins - leads * p
        w = leads * p * (1.0 - p)
        grad = np.concatenate([dense.T @ r, np.bincount(level, r, n_lev)])
        hess = ridge.copy()
        hess[:k, :k] += (dense * w[:, None]).T @ dense
        for j in range(k):
            hess[j, k:] = hess[k:, j] = np.bincount(level, w * dense[:, j], n_lev)
        hess[k:, k:] += np.diag(np.bincount(level, w, n_lev))
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            new = coef + t * step
            ll_new = _loglik(eta_of(new), wins, leads)
            if ll_new >= ll - 1e-10 or t < 1e-6:
                break
            t /= 2
        done = ll_new - ll < 1e-9
        coef, ll = new, ll_new
        if done:
            break
    return ll, coef


def profile_likelihood(dense: np.ndarray, level: np.ndarray, points: np.ndarray,
                       days: np.ndarray, wins: np.ndarray, leads: np.ndarray,
                       grid: np.ndarray = GRID) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood at each half-life of ``grid`` and with no decay (the last entry),
    and the decayed points' coefficient at each.

    Per row of grouped leads (``wins`` of ``leads``): ``dense`` holds the model's other
    slopes (profile and other behavior points), ``level`` its recency level (0, 1, ...:
    an intercept each), ``points`` the group's points (hundredths) and ``days`` the days
    without activity (NaN: no date, so no decay).
    """
    _, level = np.unique(level, return_inverse=True)
    d = np.where(np.isfinite(days), days, 0.0)
    lls = np.empty(len(grid) + 1)
    betas = np.empty(len(grid) + 1)
    n_lev = int(level.max()) + 1
    w_lev = np.bincount(level, wins, n_lev)
    n_lev_leads = np.bincount(level, leads, n_lev)
    rate = (w_lev + 0.5) / (n_lev_leads + 1.0)
    coef = np.concatenate([np.zeros(dense.shape[1] + 1), np.log(rate / (1 - rate))])
    # From no decay down to the shortest half-life: each fit starts from its neighbour's.
    for i, h in enumerate([math.inf, *grid[::-1]]):
        z = points * (np.exp2(-d / h) if math.isfinite(h) else 1.0)
        ll, coef = _newton(np.column_stack([dense, z]), level, wins, leads, coef)
        j = len(grid) if i == 0 else len(grid) - i
        lls[j], betas[j] = ll, coef[dense.shape[1]]
    return lls, betas


def interval(lls: np.ndarray, grid: np.ndarray) -> dict[str, Any]:
    """The best half-life and its likelihood-ratio interval from the profile (the last
    entry of ``lls`` is no decay)."""
    on_grid = lls[:-1]
    best = int(np.argmax(on_grid))
    top = max(float(on_grid[best]), float(lls[-1]))
    cut = top - LR_DROP
    x = np.log(grid)
    out: dict[str, Any] = {"no_decay_best": float(lls[-1]) >= float(on_grid[best]),
                           "reaches_no_decay": float(lls[-1]) >= cut}
    # The best half-life, refined by a parabola through its neighbours (in log days).
    h = x[best]
    if 0 < best < len(grid) - 1:
        y0, y1, y2 = on_grid[best - 1: best + 2]
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            h = x[best] + 0.5 * (y0 - y2) / denom * (x[1] - x[0])
    out["best"] = float(np.exp(h))
    if on_grid[best] < cut:  # every half-life up to the grid's top fits worse than none
        out.update(low=float(grid[-1]), low_open=False, high=float(grid[-1]), high_open=True)
        return out
    low, low_open = grid[0], True
    for j in range(best, 0, -1):
        if on_grid[j - 1] < cut:
            f = (on_grid[j] - cut) / (on_grid[j] - on_grid[j - 1])
            low, low_open = float(np.exp(x[j] - f * (x[j] - x[j - 1]))), False
            break
    high, high_open = grid[-1], True
    for j in range(best, len(grid) - 1):
        if on_grid[j + 1] < cut:
            f = (on_grid[j] - cut) / (on_grid[j] - on_grid[j + 1])
            high, high_open = float(np.exp(x[j] + f * (x[j + 1] - x[j]))), False
            break
    out.update(low=float(low), low_open=low_open, high=float(high), high_open=high_open)
    return out


def recency_levels(bucket: np.ndarray, wins: np.ndarray, leads: np.ndarray,
                   min_class: int = LEVEL_CLASS) -> np.ndarray:
    """A level per row: adjacent days buckets merged, from the most recent, until each
    level holds ``min_class`` wins and as many non-wins (the last joins the one before);
    no date (bucket -1) is a level of its own. Levels without both would push their
    coefficient to infinity."""
    dated = bucket >= 0
    top = int(bucket.max()) + 1 if dated.any() else 0
    w = np.bincount(bucket[dated], wins[dated], top)
    n = np.bincount(bucket[dated], leads[dated], top)
    merged = np.zeros(top, dtype=np.int64)
    level, have_w, have_l = 0, 0.0, 0.0
    for b in range(top):
        merged[b] = level
        have_w, have_l = have_w + w[b], have_l + n[b] - w[b]
        if have_w >= min_class and have_l >= min_class:
            level, have_w, have_l = level + 1, 0.0, 0.0
    if top and (have_w or have_l) and level > 0:  # a short last level joins the one before
        merged[merged == level] = level - 1
    out = np.full(len(bucket), int(merged.max()) + 1 if top else 0, dtype=np.int64)
    out[dated] = merged[bucket[dated]]
    return out

"""The model at one C as reported: calibrated intercept, centred coefficients, intervals.

**Class imbalance**: ``class_weight='balanced'`` weights wins and non-wins so each class
carries half the total weight, which steadies the fit when wins are rare. Weighting shifts
the intercept by ``log(w_win / w_nonwin)``; it is taken back out (the prior correction of
King and Zeng, 2001), then the intercept is tuned by 1-D Newton so that the predicted wins on
the training leads equal the observed wins. Probabilities are therefore calibrated in the
large, whatever the weighting.

**Intervals**: 95% intervals from the inverse of the penalised Fisher information
``H = X'WX + I/C`` on the compressed training rows. With class weights it is the sandwich
``H^-1 J H^-1`` of the weighted objective, ``J`` being the variance of the weighted score
expected under the calibrated probabilities (weighting would otherwise overstate the
information in rare wins, and the empirical ``J`` would call a level with no wins certain).
With case-control sampling (:mod:`calibrate.model.patterns`) the sampling weights enter the
score variance. One-hot levels are only identified up to a shift per attribute, so
coefficients are reported centred (mean zero over the levels seen in training, the intercept
absorbing the shift) and their intervals are those of the centred contrasts. A level no
training lead had gets coefficient 0 (the attribute's average) and the prior's width,
sqrt(C).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibrate.model.encode import Encoding
from calibrate.model.patterns import Counts, Patterns
from calibrate.model.solver import gram, problem, sigmoid, solve, spd_inverse

__all__ = ["Z95", "FittedModel", "fit_coefficients", "levels_frame"]

Z95 = 1.959963984540054


@dataclass
class FittedModel:
    """Coefficients of a fit at one C, with their standard errors."""

    coef: np.ndarray  # centred per attribute
    intercept: float  # calibrated
    se: np.ndarray
    raw: np.ndarray  # theta of the weighted fit, before centring and calibration
    n_iter: int = 0  # Newton steps of the fit
    converged: bool = True  # stopped below tol, not at max_iter


def _calibrate_intercept(eta: np.ndarray, leads: np.ndarray, wins: float, start: float
                         ) -> float:
    """Intercept ``b`` with ``sum(leads * sigmoid(eta + b)) == wins`` (1-D Newton)."""
    b = start
    for _ in range(100):
        p = sigmoid(eta + b)
        f = float(np.sum(leads * p)) - wins
        d = float(np.sum(leads * p * (1 - p)))
        if d <= 0:
            break
        step = float(np.clip(f / d, -5, 5))
        b -= step
        if abs(step) < 1e-12:
            break
    return b


def _inverse(a: np.ndarray) -> np.ndarray:
    try:
        return spd_inverse(a)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


def fit_coefficients(pat: Patterns, enc: Encoding, C: float, cw: tuple[float, float],
                     tol: float, max_iter: int, init: np.ndarray | None = None,
                     sampled: tuple[float, float] = (1.0, 1.0)) -> FittedModel:
    """Fit at one C on the given patterns; centre, calibrate and add intervals.

    ``sampled`` are the leads each kept win and non-win stands for when the patterns are a
    case-control sample (their counts already weighted): they enter the score variance.
    The solver warns when it stops at ``max_iter`` (a ``ConvergenceWarning``).
    """
    sizes, offsets = enc.sizes, enc.offsets
    p = int(sizes.sum())
    prob = problem(pat, enc, cw)
    info: dict[str, Any] = {}
    theta, _ = solve(prob, C, init, tol=tol, max_iter=max_iter, info=info)
    b0, coef = float(theta[0]), theta[1:]
    xb = prob.x.dot(coef)
    # Prior correction for the class weights, then calibration in the large.
    b_cal = _calibrate_intercept(xb, pat.leads, float(pat.wins.sum()),
                                 b0 - math.log(cw[0] / cw[1]))
    pw = sigmoid(xb + b0)  # the weighted fit's probability
    gram_w = [prob.tot * pw * (1 - pw)]
    weighted = not (cw[0] == cw[1] == 1.0 and sampled[0] == sampled[1] == 1.0)
    if weighted:
        # Expected variance of the weighted score when leads win with the calibrated
        # probability (model-based, so cells without wins do not look certain). A lead kept
        # with probability 1/s and weight s adds s times its squared weighted score.
        pc = sigmoid(xb + b_cal)
        gram_w.append(pat.leads * (cw[0] ** 2 * sampled[0] * pc * (1 - pw) ** 2
                                   + cw[1] ** 2 * sampled[1] * (1 - pc) * pw**2))
    grams = gram(pat.codes, offsets, sizes, gram_w)
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
    return FittedModel(centred, b_cal + shift, se, theta, info["n_iter"], info["converged"])


def levels_frame(enc: Encoding, model: FittedModel, counts: Counts) -> pd.DataFrame:
    """One row per attribute level: its bounds, coefficient, 95% interval, leads and wins."""
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

"""The Newton solver on compressed patterns: scikit-learn's optimum, the Gram matrix, and
what it says when it stops at its iteration limit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from calibrate.model.solver import ConvergenceWarning, Logit, class_weights, design, gram, solve

SIZES = np.array([3, 4, 2])
OFFSETS = np.r_[0, np.cumsum(SIZES)[:-1]]


def _leads(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``n`` leads (one column per attribute) and whether each won."""
    rng = np.random.default_rng(seed)
    codes = np.column_stack([rng.integers(0, s, n) for s in SIZES])
    effects = [np.array([0.0, 0.8, -0.5]), np.array([0.3, 0.0, -1.0, 1.2]),
               np.array([0.0, 0.6])]
    logit = -1.0 + sum(e[codes[:, j]] for j, e in enumerate(effects))
    return codes, rng.random(n) < 1 / (1 + np.exp(-logit))


def _compressed(codes: np.ndarray, won: np.ndarray) -> Logit:
    """One row per distinct code pattern with its wins and non-wins."""
    uniq, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    pos = np.bincount(inverse, weights=won.astype(float), minlength=len(uniq))
    tot = np.bincount(inverse, minlength=len(uniq)).astype(float)
    cols = [np.ascontiguousarray(uniq[:, j]).astype(np.uint8) for j in range(len(SIZES))]
    return Logit(cols, OFFSETS, SIZES, pos, tot - pos)


def test_solve_reaches_sklearns_optimum_on_compressed_rows():
    codes, won = _leads()
    prob = _compressed(codes, won)
    assert len(prob.tot) < len(won) / 50  # the leads really compress
    info: dict = {}
    theta, _ = solve(prob, 0.5, tol=1e-10, info=info)
    n, m = codes.shape
    x = sp.csr_matrix((np.ones(n * m), (codes + OFFSETS).ravel(), np.arange(0, n * m + 1, m)),
                      shape=(n, int(SIZES.sum())))
    ref = LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    ref.fit(x, won)
    np.testing.assert_allclose(theta[1:], ref.coef_.ravel(), atol=1e-6)
    assert theta[0] == pytest.approx(ref.intercept_[0], abs=1e-6)
    assert info["converged"] is True and 1 < info["n_iter"] < 100


def test_gram_is_the_weighted_cross_product_of_the_design():
    codes, won = _leads(500, seed=1)
    cols = [np.ascontiguousarray(codes[:, j]).astype(np.uint8) for j in range(len(SIZES))]
    w = np.random.default_rng(2).random(len(won))
    x1 = np.column_stack([np.ones(len(won)), design(cols, OFFSETS, int(SIZES.sum())).toarray()])
    for group_size in (2, 256):  # attributes one by one, and packed together
        got = gram(cols, OFFSETS, SIZES, [w, 2 * w], group_size=group_size)
        np.testing.assert_allclose(got[0], x1.T @ (w[:, None] * x1), atol=1e-9)
        np.testing.assert_allclose(got[1], 2 * got[0])


def test_stopping_at_max_iter_warns_and_is_recorded():
    prob = _compressed(*_leads())
    info: dict = {}
    with pytest.warns(ConvergenceWarning, match=r"max_iter=1\).*Raise max_iter"):
        solve(prob, 1.0, max_iter=1, info=info)
    assert info == {"n_iter": 1, "converged": False}
    assert issubclass(ConvergenceWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        solve(prob, 1.0, max_iter=1, info=info, warn=False)  # the CV folds' solves
        theta, _ = solve(prob, 1.0, info=info)
    assert info["converged"] is True
    # Started at the optimum, one step is enough: converged at the limit is not a stop.
    solve(prob, 1.0, theta, max_iter=1, info=info)
    assert info == {"n_iter": 1, "converged": True}


def test_balanced_class_weights_give_each_class_half_the_weight():
    w_win, w_other = class_weights(100.0, 900.0, "balanced")
    assert 100 * w_win == pytest.approx(900 * w_other) == pytest.approx(500.0)
    assert class_weights(100.0, 900.0, None) == (1.0, 1.0)


def test_spd_inverse_is_the_inverse_and_refuses_a_matrix_that_is_not_positive_definite():
    from calibrate.model.solver import spd_inverse

    rng = np.random.default_rng(1)
    a = rng.normal(size=(30, 30))
    spd = a @ a.T + 30 * np.eye(30)
    np.testing.assert_allclose(spd_inverse(spd) @ spd, np.eye(30), atol=1e-10)
    with pytest.raises(np.linalg.LinAlgError):
        spd_inverse(-np.eye(3))


def test_fitting_does_not_import_scipy_linalg():
    """numpy's Cholesky does the solver's small solves: scipy.linalg costs a CLI fit 0.1 s."""
    import subprocess
    import sys

    code = ("import sys, calibrate.model.fit, calibrate.decide.workshop, calibrate.cli, "
            "calibrate.workbench; print(sorted(m for m in ('scipy.linalg', 'scipy.stats', "
            "'calibrate.data.ingest') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"

"""Metrics on predicted probabilities: equal to scikit-learn's, and the same on compressed rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.metrics import log_loss as sk_log_loss

from calibrate.model import metrics as mx


@pytest.fixture
def leads() -> tuple[np.ndarray, np.ndarray]:
    """Lead-level outcomes and probabilities with many tied scores (as scores from codes)."""
    rng = np.random.default_rng(3)
    n = 5000
    p = np.round(rng.beta(1.2, 8, n), 2)  # rounding makes ties
    y = (rng.random(n) < p).astype(float)
    return y, p


def _compress(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per distinct score: (win share, score, leads)."""
    frame = pd.DataFrame({"y": y, "p": p}).groupby("p")["y"].agg(["mean", "size"])
    return frame["mean"].to_numpy(), frame.index.to_numpy(), frame["size"].to_numpy()


def test_equal_to_sklearn_on_leads(leads):
    y, p = leads
    assert mx.auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert mx.log_loss(y, p) == pytest.approx(sk_log_loss(y, p), abs=1e-12)
    assert mx.brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert mx.ks(y, p) == pytest.approx(ks_2samp(p[y == 1], p[y == 0]).statistic, abs=1e-12)


def test_equal_to_sklearn_with_sample_weights(leads):
    y, p = leads
    w = np.random.default_rng(1).integers(1, 5, y.size).astype(float)
    assert mx.auc(y, p, w) == pytest.approx(roc_auc_score(y, p, sample_weight=w), abs=1e-12)
    assert mx.log_loss(y, p, w) == pytest.approx(sk_log_loss(y, p, sample_weight=w),
                                                 abs=1e-12)
    assert mx.brier(y, p, w) == pytest.approx(brier_score_loss(y, p, sample_weight=w),
                                              abs=1e-12)


def test_compressed_rows_give_the_same_figures(leads):
    y, p = leads
    yc, pc, wc = _compress(y, p)
    assert len(pc) < len(p) / 10
    for f in (mx.auc, mx.log_loss, mx.brier, mx.ks):
        assert f(yc, pc, wc) == pytest.approx(f(y, p), abs=1e-12), f.__name__
    pd.testing.assert_frame_equal(mx.lift_table(yc, pc, wc), mx.lift_table(y, p),
                                  check_exact=False, rtol=1e-10, atol=1e-10)
    pd.testing.assert_frame_equal(mx.calibration_table(yc, pc, wc), mx.calibration_table(y, p),
                                  check_exact=False, rtol=1e-10, atol=1e-10)


def test_calibration_uniform_equals_sklearn(leads):
    y, p = leads
    table = mx.calibration_table(y, p, n_bins=10, strategy="uniform")
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(table["observed"], prob_true, atol=1e-12)
    np.testing.assert_allclose(table["predicted"], prob_pred, atol=1e-12)


def test_deciles_on_distinct_scores():
    rng = np.random.default_rng(5)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(float)
    table = mx.lift_table(y, p)
    order = np.argsort(-p)
    for b in range(10):
        chunk = order[b * 100:(b + 1) * 100]
        assert table.loc[b, "leads"] == pytest.approx(100)
        assert table.loc[b, "wins"] == pytest.approx(y[chunk].sum())
        assert table.loc[b, "mean_score"] == pytest.approx(p[chunk].mean())
    assert table["lift"].iloc[0] > 1.5 > table["lift"].iloc[-1]
    assert table["cum_wins_share"].iloc[-1] == pytest.approx(1.0)
    assert table["cum_leads_share"].iloc[-1] == pytest.approx(1.0)


def test_tied_group_split_at_a_decile_boundary():
    # 30 leads share one score: the top decile (10 leads) takes a third of that group.
    y = np.array([1.0] * 10 + [0.0] * 20 + [0.0] * 70)
    s = np.array([0.9] * 30 + [0.1] * 70)
    table = mx.lift_table(y, s)
    assert table.loc[0, "leads"] == pytest.approx(10)
    assert table.loc[0, "wins"] == pytest.approx(10 / 3)


def test_summarize_and_json(leads):
    y, p = leads
    m = mx.summarize(y, p)
    assert m.leads == len(y) and m.wins == y.sum()
    assert m.auc == pytest.approx(roc_auc_score(y, p))
    d = m.to_dict()
    assert d["auc"] == pytest.approx(m.auc) and len(d["deciles"]) == 10


def test_degenerate_and_invalid_inputs():
    assert np.isnan(mx.auc([1, 1], [0.2, 0.3]))
    assert np.isnan(mx.ks([0, 0], [0.2, 0.3]))
    with pytest.raises(ValueError, match="same length"):
        mx.auc([1, 0], [0.1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mx.brier([2, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="non-negative"):
        mx.log_loss([1, 0], [0.1, 0.2], [-1, 1])
    with pytest.raises(ValueError, match="strategy"):
        mx.calibration_table([1, 0], [0.1, 0.2], strategy="bogus")

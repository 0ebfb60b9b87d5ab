"""The fit: population, split, leakage guard, compressed = uncompressed, intervals, truth."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression

from calibrate.errors import ModelError
from calibrate.model import metrics as mx
from calibrate.model.encode import encode_sql
from calibrate.model.fit import fit, predict
from calibrate.model.solver import ConvergenceWarning
from calibrate.sql import quote

from model_fixtures import (
    TRUTH_JSON,
    bank_connection,
    bank_fit,
    make_store,
    sample_connection,
    sample_fit,
    synthetic_leads,
    synthetic_store,
)


def _quiet_fit(con, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fit(con, **kw)


@pytest.fixture(scope="module")
def synth():
    con, frame = synthetic_store(20_000, seed=11, open_share=0.1)
    return con, frame


# ----------------------------------------------------------------------- population


def test_no_decision_counts_as_not_won_unless_excluded(synth):
    con, frame = synth
    default = _quiet_fit(con, Cs=[1.0])
    excluded = _quiet_fit(con, Cs=[1.0], exclude_no_decision=True)
    counts = frame["outcome"].value_counts()
    assert default.counts["closed"] == counts["won"] + counts["lost"] + counts["no_decision"]
    assert excluded.counts["closed"] == counts["won"] + counts["lost"]
    assert default.split.outcomes == ("won", "lost", "no_decision")
    assert excluded.split.outcomes == ("won", "lost")
    a = default.levels.set_index(["attribute", "level"])["coefficient"]
    b = excluded.levels.set_index(["attribute", "level"])["coefficient"]
    shared = a.index.intersection(b.index)
    assert not np.allclose(a[shared], b[shared], atol=1e-3)
    assert default.intercept < excluded.intercept  # fewer non-wins: higher base rate


def test_open_leads_are_never_fitted():
    frame, info = synthetic_leads(8000, seed=3, open_share=0.15)
    other = frame.copy()
    is_open = other["outcome"] == "open"
    other.loc[is_open, "visits"] = 999.0
    other.loc[is_open, "title"] = "VP"
    other.loc[is_open, "demo"] = True
    a = _quiet_fit(make_store(frame, info["roles"]), Cs=[1.0], leakage="keep")
    b = _quiet_fit(make_store(other, info["roles"]), Cs=[1.0], leakage="keep")
    assert a.counts["open"] == b.counts["open"] == int(is_open.sum()) > 0
    assert a.counts["closed"] == b.counts["closed"] == int((~is_open).sum())
    pd.testing.assert_frame_equal(a.levels, b.levels, check_exact=True)
    assert a.intercept == b.intercept


def test_composite_group_by_gives_the_same_fit(synth, monkeypatch):
    from calibrate.model import patterns

    con, _ = synth
    packed = _quiet_fit(con, Cs=[1.0])
    monkeypatch.setattr(patterns, "PACK_LIMIT", 1)
    composite = _quiet_fit(con, Cs=[1.0])
    assert composite.counts == packed.counts
    pd.testing.assert_frame_equal(composite.levels, packed.levels, check_exact=False,
                                  rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------- compressed = sklearn


def _uncompressed_sklearn(con, res, C: float, class_weight):
    """Fit scikit-learn on one row per training lead with the same one-hot columns."""
    enc, split = res.encoding, res.split
    rows = con.execute(
        f"SELECT {encode_sql(enc)}, (outcome = 'won')::INTEGER AS _y FROM leads "
        f"WHERE {split.population_sql()} AND NOT {split.test_sql()}").df()
    codes = rows[enc.names].to_numpy(dtype=np.int64)
    y = rows["_y"].to_numpy()
    n, m = codes.shape
    x = sp.csr_matrix((np.ones(n * m), (codes + enc.offsets).ravel(),
                       np.arange(0, n * m + 1, m)), shape=(n, int(enc.sizes.sum())))
    model = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-10, max_iter=1000,
                               class_weight=class_weight).fit(x, y)
    coef = model.coef_.ravel()
    seen = np.asarray(x.sum(axis=0)).ravel() > 0
    centred, shift = coef.copy(), 0.0
    for o, s in zip(enc.offsets, enc.sizes, strict=True):
        block = slice(o, o + s)
        mean = coef[block][seen[block]].mean()
        centred[block] -= mean
        centred[block][~seen[block]] = 0.0
        shift += mean
    return centred, float(model.intercept_[0]) + shift


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_compressed_fit_equals_uncompressed_sklearn(synth, class_weight):
    con, _ = synth
    res = _quiet_fit(con, Cs=[0.5], class_weight=class_weight, leakage="keep")
    assert res.counts["patterns"] < res.counts["closed"] / 3  # the data really compress
    coef, intercept = _uncompressed_sklearn(con, res, 0.5, class_weight)
    np.testing.assert_allclose(res.levels["coefficient"], coef, atol=1e-4)
    if class_weight is None:
        assert res.intercept == pytest.approx(intercept, abs=1e-4)


def test_compressed_fit_equals_sklearn_on_bank():
    bank_con = bank_connection()
    res = _quiet_fit(bank_con, Cs=[1.0])
    coef, _ = _uncompressed_sklearn(bank_con, res, 1.0, "balanced")
    np.testing.assert_allclose(res.levels["coefficient"], coef, atol=1e-4)


def test_probabilities_are_calibrated_in_the_large(synth):
    con, _ = synth
    res = _quiet_fit(con, Cs=[1.0], class_weight="balanced")
    p = predict(con, res)
    train = con.execute(f"SELECT lead_id, (outcome = 'won')::INTEGER AS y FROM leads WHERE "
                        f"{res.split.population_sql()} AND NOT {res.split.test_sql()}").df()
    merged = train.merge(p, on="lead_id")
    assert merged["probability"].sum() == pytest.approx(merged["y"].sum(), rel=1e-6)
    # and the test metrics come from those probabilities
    assert 0.6 < res.metrics.auc < 1.0
    assert res.metrics.leads == res.counts["test"]


# ------------------------------------------------------------------- intervals, CV


def test_intervals_contain_the_coefficient_and_widen_for_thin_levels(synth):
    con, _ = synth
    res = _quiet_fit(con)
    lv = res.levels
    assert (lv["ci_low"] <= lv["coefficient"]).all() and (lv["coefficient"] <= lv["ci_high"]).all()
    width = (lv["ci_high"] - lv["ci_low"]).set_axis(pd.MultiIndex.from_frame(
        lv[["attribute", "level"]]))
    assert width[("title", "Intern")] > 2 * width[("title", "Analyst")]
    seen = lv[lv["leads"] > 0]
    assert spearmanr(seen["leads"], seen["ci_high"] - seen["ci_low"]).statistic < -0.5
    unseen = lv[lv["leads"] == 0]
    assert len(unseen) > 0
    assert np.allclose(unseen["coefficient"], 0.0)
    assert np.allclose(unseen["ci_high"] - unseen["ci_low"], 2 * 1.959963984540054
                       * np.sqrt(res.C))


def test_intervals_cover_the_true_title_effects():
    frame, info = synthetic_leads(40_000, seed=5)
    res = _quiet_fit(make_store(frame, info["roles"]))
    truth = {"VP": 1.0, "Director": 0.7, "Manager": 0.3, "Analyst": 0.0, "Intern": -1.5,
             "Other": 0.0, "Missing": 0.0}
    lv = res.levels[(res.levels["attribute"] == "title") & (res.levels["leads"] > 0)]
    true = np.array([truth[v] for v in lv["level"]])
    true -= true.mean()
    covered = (lv["ci_low"].to_numpy() <= true) & (true <= lv["ci_high"].to_numpy())
    assert covered.sum() >= len(lv) - 1


def test_refit_uses_every_closed_lead_and_keeps_held_out_metrics(synth):
    con, _ = synth
    once = _quiet_fit(con, Cs=[1.0])
    again = _quiet_fit(con, Cs=[1.0], refit=True)
    assert once.levels["leads"].sum() == once.counts["train"] * len(once.encoding)
    assert again.levels["leads"].sum() == again.counts["closed"] * len(again.encoding)
    assert again.metrics.auc == once.metrics.auc
    assert not np.allclose(again.levels["coefficient"], once.levels["coefficient"])


def test_cross_validation_picks_the_best_c(synth):
    con, _ = synth
    cs = [0.001, 0.1, 10.0]
    res = _quiet_fit(con, Cs=cs, cv_folds=3)
    assert sorted(res.cv_scores) == cs
    assert res.C == min(res.cv_scores, key=res.cv_scores.get)
    assert res.cv_scores[0.001] > res.cv_scores[res.C]


# ------------------------------------------------------------------- convergence


def test_a_fit_stopped_at_max_iter_warns_and_records_it():
    bank_con = bank_connection()
    with pytest.warns(ConvergenceWarning, match=r"iteration limit \(max_iter=1\).*Raise max_iter"):
        res = fit(bank_con, Cs=[1.0], max_iter=1, leakage="drop")
    assert res.n_iter == 1 and res.converged is False
    assert res.to_dict()["n_iter"] == 1 and res.to_dict()["converged"] is False
    assert res.options["max_iter"] == 1


def test_a_normal_fit_converges_without_a_warning():
    bank = bank_fit()
    assert bank.converged is True and 1 < bank.n_iter < bank.options["max_iter"]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Possible leakage", UserWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        res = fit(bank_connection(), Cs=[1.0], refit=True)
    assert res.converged is True


def test_the_weights_document_carries_the_iterations():
    from calibrate.decide.workshop import suggested_weights

    bank_con = bank_connection()
    with pytest.warns(ConvergenceWarning):  # recorded in the document and not swallowed
        stopped = json.loads(suggested_weights(bank_con, Cs=[1.0], max_iter=1).to_json())
    assert stopped["metrics"]["n_iter"] == 1 and stopped["metrics"]["converged"] is False
    normal = json.loads(suggested_weights(bank_con, Cs=[1.0]).to_json())
    assert normal["metrics"]["converged"] is True
    assert normal["metrics"]["n_iter"] == fit(bank_con, Cs=[1.0], leakage="drop").n_iter > 1


# ---------------------------------------------------------------------- splits


def test_time_split_holds_out_the_newest_leads(synth):
    con, _ = synth
    res = _quiet_fit(con, Cs=[1.0])
    assert res.split.kind == "time"
    newest_train, oldest_test, share = con.execute(
        f"SELECT max(created_at) FILTER (WHERE NOT {res.split.test_sql()}), "
        f"min(created_at) FILTER (WHERE {res.split.test_sql()}), "
        f"avg(({res.split.test_sql()})::INTEGER) FROM leads "
        f"WHERE {res.split.population_sql()}").fetchone()
    assert newest_train < oldest_test
    assert share == pytest.approx(0.2, abs=0.02)
    assert res.data_range[0] < res.data_range[1]


def test_hash_split_is_stratified_when_there_are_no_dates():
    bank = bank_fit()
    assert bank.split.kind == "hash"
    assert bank.counts["test_wins"] == pytest.approx(0.2 * bank.counts["won"], abs=1)
    assert bank.counts["test"] == pytest.approx(0.2 * bank.counts["closed"], abs=2)


# ------------------------------------------------------------------ validation


def test_parameters_are_validated(synth):
    con, _ = synth
    for kw, match in [({"cv_folds": 1}, "cv_folds"), ({"leakage": "maybe"}, "leakage"),
                      ({"Cs": [-1.0]}, "Cs"), ({"test_size": 1.5}, "test_size"),
                      ({"class_weight": "auto"}, "class_weight"),
                      ({"include": "title"}, "include"), ({"random_state": -1}, "random_state")]:
        with pytest.raises(ValueError, match=match):
            fit(con, **kw)
    with pytest.raises(ValueError, match="unknown attributes: nope"):
        fit(con, include=["nope"])


@pytest.mark.parametrize("cap", [99, 2.5e6, "many", True])
def test_max_fit_rows_is_validated(synth, cap):
    con, _ = synth
    with pytest.raises(ValueError, match=r"'max_fit_rows' parameter of fit must be an int in "
                                         r"the range \[100, inf\) or None"):
        fit(con, max_fit_rows=cap)


def test_too_few_wins_is_a_model_error():
    frame, info = synthetic_leads(300, seed=1)
    frame["outcome"] = np.where(np.arange(300) < 5, "won", "lost")
    with pytest.raises(ModelError, match="at least 10 won"):
        fit(make_store(frame, info["roles"]))


def test_a_larger_table_fits():
    """200k leads x 8 attributes made in SQL (how fast: see benchmarks/RESULTS.md)."""
    from calibrate.data import store
    from calibrate.data.store import ColumnInfo

    con = store.connect(":memory:")
    con.execute(
        "CREATE TABLE leads AS SELECT CASE WHEN random() < 1 / (1 + exp(-(-2 + 0.3 * c0 "
        "+ 0.2 * n0 - 0.1 * n1))) THEN 'won' ELSE 'lost' END AS outcome, 'L' || i AS lead_id, "
        "* EXCLUDE (i) FROM (SELECT i, floor(random() * 5)::INT AS c0, "
        "'v' || floor(random() * 7)::INT AS c1, 'w' || floor(random() * 3)::INT AS c2, "
        "floor(-ln(random()) * 3) AS n0, floor(-ln(random()) * 5) AS n1, "
        "floor(random() * 100) AS n2, random() < 0.3 AS f0, random() < 0.6 AS f1 "
        "FROM range(200000) r(i))")
    con.execute("UPDATE leads SET c0 = c0")  # c0 stays numeric-coded, treated as categorical
    con.execute("ALTER TABLE leads ALTER c0 TYPE VARCHAR")
    cols = [ColumnInfo("lead_id", "lead_id", "lead_id", "text")]
    cols += [ColumnInfo(c, c, "profile", "categorical") for c in ("c0", "c1", "c2")]
    cols += [ColumnInfo(c, c, "behavior", "numeric") for c in ("n0", "n1", "n2")]
    cols += [ColumnInfo(c, c, "behavior", "flag") for c in ("f0", "f1")]
    store.store_columns(con, cols)
    res = fit(con)
    assert res.counts["closed"] == 200_000 and res.metrics.auc > 0.6


# ------------------------------------------------------------------ sample truth


def _true_and_fitted(con, res, truth):
    train = (f"(SELECT * FROM leads WHERE {res.split.population_sql()} "
             f"AND NOT {res.split.test_sql()})")
    true, fitted = [], []
    for a in res.encoding:
        rows = res.levels[res.levels["attribute"] == a.name].set_index("code")
        if a.name in truth["categorical"]:
            t = truth["categorical"][a.name]
            codes = [i for i, lv in enumerate(a.levels) if lv in t]
            tv = np.array([t[a.levels[i]] for i in codes])
        elif a.name in truth["numeric"]:
            w = truth["numeric"][a.name]["weight"]
            means = dict(con.execute(
                f"SELECT {a.sql()} AS c, avg(ln(1 + {quote(a.name)})) FROM {train} "
                f"WHERE {quote(a.name)} IS NOT NULL GROUP BY c").fetchall())
            codes = [c for c in range(a.size - 1) if c in means]
            tv = np.array([w * means[c] for c in codes])
        elif a.name in truth["flags"]:
            codes, tv = [0, 1], np.array([0.0, truth["flags"][a.name]])
        else:
            continue  # attributes without a direct effect (country, email_open_rate)
        fv = rows.loc[codes, "coefficient"].to_numpy()
        true += list(tv - tv.mean())
        fitted += list(fv - fv.mean())
    return np.array(true), np.array(fitted)


def test_sample_fit_recovers_the_true_effects():
    sample_con = sample_connection()
    res = sample_fit()
    truth = json.loads(TRUTH_JSON.read_text())
    true, fitted = _true_and_fitted(sample_con, res, truth)
    assert len(true) > 50
    assert spearmanr(true, fitted).statistic >= 0.9
    assert not res.leakage


def test_sample_test_auc_is_close_to_the_true_models():
    sample_con = sample_connection()
    from calibrate.tools import sample

    res = sample_fit()
    frame, logit = sample.generate(50_000, 7)
    truth = pd.Series(logit, index=frame["lead_id"]).groupby(level=0).first()
    test = sample_con.execute(
        f"SELECT lead_id, (outcome = 'won')::INTEGER AS y FROM leads "
        f"WHERE {res.split.population_sql()} AND {res.split.test_sql()}").df()
    assert test["lead_id"].isin(truth.index).all()
    true_auc = mx.auc(test["y"], truth.loc[test["lead_id"]].to_numpy())
    assert res.split.kind == "time"
    assert abs(res.metrics.auc - true_auc) <= 0.02


# ------------------------------------------------------------ case-control sampling


def test_sampling_above_the_cap_keeps_counts_exact_and_the_fit_close():
    from calibrate.model.points import points_table

    con = sample_connection()
    full = sample_fit()
    res = fit(con, max_fit_rows=8_000)
    assert "sampled_rate" not in full.counts
    c = res.counts
    assert full.counts["train"] > 8_000
    assert 0 < c["sampled_rate"] < 0.5 and c["sampled_win_rate"] == 1.0
    assert c["sampled_leads"] < 0.5 * c["closed"]
    for key in ("closed", "train", "test", "train_wins", "test_wins", "open"):
        assert c[key] == full.counts[key]
    # Per-level leads and wins are the exact counts of the training leads.
    enc, split = res.encoding, res.split
    exact = con.execute(
        f"SELECT {encode_sql(enc)}, (outcome = 'won')::INTEGER AS _won FROM leads "
        f"WHERE {split.population_sql()} AND NOT {split.test_sql()}").df()
    table = points_table(res)
    for name in enc.names:
        rows = table[table["attribute"] == name].set_index("code")
        by_code = exact.groupby(name)["_won"].agg(["size", "sum"])
        by_code = by_code.reindex(rows.index, fill_value=0)
        np.testing.assert_array_equal(rows["leads"].to_numpy(), by_code["size"].to_numpy())
        np.testing.assert_array_equal(rows["wins"].to_numpy(), by_code["sum"].to_numpy())
    # Single-attribute AUCs (leakage guard) are those of the unsampled fit.
    assert res.single_auc == pytest.approx(full.single_auc, abs=1e-12)
    # The weighted sample estimates the same model.
    a = full.levels.set_index(["attribute", "level"])["coefficient"]
    b = res.levels.set_index(["attribute", "level"])["coefficient"].loc[a.index]
    assert spearmanr(a, b).statistic >= 0.95
    assert abs(res.metrics.auc - full.metrics.auc) <= 0.01
    assert res.metrics.wins == full.metrics.wins  # every test win kept, weight 1
    assert res.metrics.leads == pytest.approx(full.metrics.leads, rel=0.05)  # an estimate
    # Calibrated in the large on the (weighted) training leads, intervals still sensible.
    assert np.all(res.levels["se"] > 0)
    ratio = np.median(res.levels["se"] / full.levels["se"])
    assert 1.0 <= ratio <= 3.0  # fewer leads fitted: wider, not narrower


def test_a_cap_above_the_training_leads_changes_nothing():
    con = sample_connection()
    full = sample_fit()
    res = fit(con, max_fit_rows=full.counts["train"])
    pd.testing.assert_frame_equal(res.levels, full.levels, check_exact=True)
    assert res.intercept == full.intercept and res.metrics.auc == full.metrics.auc
    assert res.counts == full.counts


def test_grouped_patterns_put_the_test_rows_last_so_the_sides_are_slices(synth, monkeypatch):
    """Training and test rows come out of the grouping as two blocks (no copy of the codes
    at 1M leads), packed key or composite key alike, with the rows a mask would select."""
    from calibrate.model import patterns
    from calibrate.model.binning import learn_encoding
    from calibrate.model.split import make_split

    con, _ = synth
    split, _ = make_split(con, True, ("won", "lost", "no_decision"), 0.2, 0)
    enc = learn_encoding(con, where=f"{split.population_sql()} AND NOT {split.test_sql()}")
    for limit in (patterns.PACK_LIMIT, 1):
        monkeypatch.setattr(patterns, "PACK_LIMIT", limit)
        pat = patterns.group(con, enc, split, 3, 0)
        first_test = int(np.argmax(pat.test))
        assert pat.test[first_test:].all() and not pat.test[:first_test].any()
        train, test = pat.sides()
        assert np.shares_memory(train.codes[0], pat.codes[0])  # a view, not a copy
        masked = pat.take(~pat.test), pat.take(pat.test)
        for got, want in zip((train, test), masked, strict=True):
            assert all(np.array_equal(a, b) for a, b in zip(got.codes, want.codes, strict=True))
            assert np.array_equal(got.leads, want.leads) and np.array_equal(got.fold, want.fold)

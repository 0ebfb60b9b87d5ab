"""The leakage guard: its rules directly, and what a fit does with the attributes flagged."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from calibrate.model.fit import fit
from calibrate.model.leakage import leakage_checks

from model_fixtures import bank_connection, bank_fit, make_store, synthetic_leads


def _quiet_fit(con, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fit(con, **kw)



def test_bank_duration_is_flagged_and_left_out_by_default():
    bank_con = bank_connection()
    res = bank_fit()
    flagged = {w.attribute: w for w in res.leakage}
    assert set(flagged) == {"duration"}
    w = flagged["duration"]
    assert w.rule == "name" and w.dropped and "duration" in str(w)
    # Honest about the rule: duration alone reaches ~0.80, below the 0.95 "too good" rule.
    assert 0.75 <= res.single_auc["duration"] < 0.95
    assert "duration" in res.dropped and "duration" not in res.encoding.names
    with pytest.warns(UserWarning, match="duration"):
        fit(bank_con, Cs=[1.0])


def test_leakage_keep_and_include_keep_the_attribute():
    bank_con = bank_connection()
    kept = fit(bank_con, Cs=[1.0], leakage="keep")
    assert "duration" in kept.encoding.names and not kept.leakage[0].dropped
    with pytest.warns(UserWarning):
        included = fit(bank_con, Cs=[1.0], include=["duration", "age", "job"])
    assert included.encoding.names == ["age", "job", "duration"]
    assert kept.metrics.auc > bank_fit().metrics.auc + 0.05  # what the leak would buy


def test_leakage_drop_leaves_out_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        res = fit(bank_connection(), Cs=[1.0], leakage="drop")
    assert res.dropped == ["duration"] and res.leakage[0].dropped
    assert "duration" not in res.encoding.names


def test_closed_only_and_perfect_attributes_are_flagged():
    frame, info = synthetic_leads(6000, seed=2, open_share=0.2)
    closed = frame["outcome"] != "open"
    frame["close_note"] = np.where(closed, np.where(frame["outcome"] == "won", "signed",
                                                    "no budget"), None)
    frame["stage_flag"] = np.where(closed, frame["outcome"] == "won", None)
    roles = dict(info["roles"], close_note=("behavior", "categorical"),
                 stage_flag=("behavior", "flag"))
    with pytest.warns(UserWarning, match="close_note"):
        res = fit(make_store(frame, roles), Cs=[1.0])
    rules = {w.attribute: w.rule for w in res.leakage}
    assert rules["close_note"] == "auc" and rules["stage_flag"] == "auc"
    assert set(res.dropped) == {"close_note", "stage_flag"}
    # a value filled only at closing, not predictive on its own
    rng = np.random.default_rng(0)
    frame["sales_rep"] = np.where(closed, rng.choice(["Ann", "Bob"], len(frame)), None)
    roles["sales_rep"] = ("profile", "categorical")
    res = _quiet_fit(make_store(frame, roles), Cs=[1.0])
    rules = {w.attribute: w.rule for w in res.leakage}
    assert rules["sales_rep"] == "closed_only"


def test_leakage_rules_directly():
    assert leakage_checks({"a": 0.97, "b": 0.6}) == [("a", "auc", pytest.approx(
        leakage_checks({"a": 0.97})[0][2]))]
    assert [r for _, r, _ in leakage_checks({"call_length": 0.8, "b": 0.7})] == ["name"]
    assert leakage_checks({"minutes_on_site": 0.8, "b": 0.7}) == []
    assert [r for _, r, _ in leakage_checks({"x": 0.9, "b": 0.7})] == ["dominant"]
    assert leakage_checks({"x": 0.9, "b": 0.85}) == []
    assert [r for _, r, _ in leakage_checks({"x": 0.6}, closed_only={"x": (0.3, 100)})] == [
        "closed_only"]

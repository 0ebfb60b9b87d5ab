"""Revising the weights in force: edits, rules and constraints, each a new document that
keeps the suggestion, with what it changes and costs."""

from __future__ import annotations

import pandas as pd
import pytest

import calibrate
from calibrate.decide.workshop import held_out_fit
from calibrate.model import revisions
from calibrate.model.constraints import parse_constraints

from conftest import SAMPLE_CSV


@pytest.fixture(scope="module")
def wb():
    with calibrate.Workbench() as bench:
        bench.ingest(pd.read_csv(SAMPLE_CSV, nrows=5_000, dtype=str, keep_default_na=False))
        bench.fit()
        yield bench


def test_the_points_changed_are_exactly_the_edited_cells(wb):
    shown = wb.points[["attribute", "level", "points"]]
    assert revisions.points_changed(shown, shown.copy()) == {}
    edited = shown.copy()
    edited.loc[2, "points"] = int(edited.loc[2, "points"]) + 1
    edited.loc[5, "points"] = int(edited.loc[5, "points"])  # the same value: no change
    assert revisions.points_changed(shown, edited) == {
        (shown.loc[2, "attribute"], shown.loc[2, "level"]): int(shown.loc[2, "points"]) + 1}
    with pytest.raises(ValueError, match="other rows"):
        revisions.points_changed(shown, edited.iloc[::-1].reset_index(drop=True))


def test_an_edit_is_a_new_document_that_keeps_the_suggestion(wb):
    weights = wb.weights
    row = weights.table.iloc[0]
    key = (row["attribute"], row["level"])
    edited = revisions.with_edits(weights, {key: int(row["points"]) + 7})
    assert edited.id is None and not revisions.is_edited(weights)
    assert revisions.is_edited(edited)
    got = edited.table.iloc[0]
    assert (int(got["points"]), int(got["suggested_points"])) == (
        int(row["points"]) + 7, int(row["suggested_points"]))
    assert int(weights.table.iloc[0]["points"]) == int(row["points"])  # the original untouched


def test_rules_and_constraints_revise_a_copy_and_say_what_they_cost(wb):
    weights = wb.weights
    ruled = revisions.with_rules(weights, {"competitor_domains": ["rival.com"]})
    assert ruled.rules == {"competitor_domains": ["rival.com"]} and weights.rules != ruled.rules
    split = held_out_fit(wb.con).split
    wanted = parse_constraints(caps=["industry:10"])
    capped, cost = revisions.with_constraints(wb.con, weights, wanted, split)
    industry = capped.table[capped.table["attribute"] == "industry"]
    assert industry["points"].max() <= 10
    assert capped.options["constraints"] == wanted.to_dict()
    assert set(cost) == {"auc_suggested", "auc_constrained", "auc_cost"}
    assert cost["auc_cost"] == pytest.approx(cost["auc_suggested"] - cost["auc_constrained"])
    metrics = revisions.held_out_metrics(wb.con, capped.table, split)
    assert metrics["auc"] == pytest.approx(cost["auc_constrained"])


def test_no_decision_comparison_puts_the_two_fits_side_by_side(wb):
    counted = held_out_fit(wb.con)
    left_out = held_out_fit(wb.con, exclude_no_decision=True)
    frame = revisions.no_decision_comparison(counted, left_out)
    assert list(frame.columns) == ["axis", "attribute", "level", "suggested_points (not won)",
                                   "suggested_points (left out)", "difference"]
    diffs = frame["difference"].abs().tolist()
    assert diffs == sorted(diffs, reverse=True)


def test_edited_levels_are_those_off_the_suggestion(wb):
    weights = wb.weights
    assert revisions.edited_levels(weights) == []
    t = weights.table
    keys = [(t.loc[i, "attribute"], t.loc[i, "level"]) for i in (1, 4)]
    edited = revisions.with_edits(weights, {k: int(t.loc[i, "suggested_points"]) + 3
                                            for k, i in zip(keys, (1, 4), strict=True)})
    assert revisions.edited_levels(edited) == keys


def test_a_reset_puts_chosen_levels_back_and_keeps_the_others(wb):
    weights = wb.weights
    t = weights.table
    keys = [(t.loc[i, "attribute"], t.loc[i, "level"]) for i in (1, 4)]
    edited = revisions.with_edits(weights, {k: int(t.loc[i, "suggested_points"]) + 3
                                            for k, i in zip(keys, (1, 4), strict=True)})
    one = revisions.with_reset(edited, [keys[0]])
    assert one.id is None and revisions.edited_levels(one) == [keys[1]]
    assert int(one.table.loc[1, "points"]) == int(t.loc[1, "suggested_points"])
    assert revisions.edited_levels(edited) == keys  # the original untouched
    everything = revisions.with_reset(edited)
    assert not revisions.is_edited(everything)
    pd.testing.assert_series_equal(everything.table["points"], t["suggested_points"],
                                   check_names=False)


def test_a_full_reset_drops_the_constraints_it_undoes(wb):
    weights = wb.weights
    split = held_out_fit(wb.con).split
    capped, cost = revisions.with_constraints(wb.con, weights,
                                              parse_constraints(caps=["industry:10"]), split)
    capped.metrics = {**capped.metrics, **cost}
    assert revisions.is_edited(capped)
    partial = revisions.with_reset(capped, revisions.edited_levels(capped)[:1])
    assert "constraints" in partial.options and "auc_cost" in partial.metrics
    back = revisions.with_reset(capped)
    assert "constraints" not in back.options
    assert not set(revisions.CONSTRAINT_COST) & set(back.metrics)
    assert back.metrics["auc"] == weights.metrics["auc"]


def test_a_reset_of_an_unknown_level_or_a_bare_pair_raises(wb):
    with pytest.raises(ValueError, match="no level 'Nobody' of attribute 'seniority'"):
        revisions.with_reset(wb.weights, [("seniority", "Nobody")])
    with pytest.raises(ValueError, match="pairs"):
        revisions.with_reset(wb.weights, ("seniority", "VP"))  # type: ignore[arg-type]

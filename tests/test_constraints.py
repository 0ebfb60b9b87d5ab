"""Workshop constraints: locks, orders and caps, with what they cost in AUC."""

from __future__ import annotations

import pytest

from calibrate.errors import CalibrateError
from calibrate.model.constraints import (
    Constraints,
    apply_constraints,
    constraint_cost,
    parse_constraints,
)
from calibrate.model.points import points_table

from model_fixtures import sample_connection, sample_fit


@pytest.fixture(scope="module")
def fitted():
    result = sample_fit()
    return result, points_table(result)


def tops(table, axis):
    part = table[table["axis"] == axis]
    return part.groupby("attribute", sort=False)["points"].max()


def pts(table, attr, level):
    return int(table.loc[(table["attribute"] == attr) & (table["level"] == level),
                         "points"].iloc[0])


def test_a_cap_frees_points_for_the_others_and_the_axis_still_tops_out_at_100(fitted):
    _, table = fitted
    before = tops(table, "profile")
    biggest = before.idxmax()
    cap = int(before.max()) - 10
    out = apply_constraints(table, parse_constraints(caps=[f"{biggest}:{cap}"]))
    after = tops(out, "profile")
    assert after[biggest] == cap  # exactly the cap
    assert after.sum() == before.sum() == 100
    others = [a for a in before.index if a != biggest and before[a] > 0]
    assert all(after[a] >= before[a] for a in others)
    # the order of levels within an attribute is kept
    a = out[out["attribute"] == biggest].sort_values("suggested_points")["points"]
    assert a.is_monotonic_increasing
    assert (out["suggested_points"] == table["suggested_points"]).all()


def test_a_cap_at_or_above_the_attribute_maximum_changes_nothing(fitted):
    _, table = fitted
    top = tops(table, "profile")
    attr = top.idxmax()
    same = apply_constraints(table, parse_constraints(caps=[f"{attr}:{int(top[attr])}"]))
    assert (same["points"] == table["points"]).all()


def test_locks_and_orders(fitted):
    _, table = fitted
    sen = table[table["attribute"] == "seniority"].set_index("level")["points"]
    low, high = sen.idxmin(), sen.idxmax()
    out = apply_constraints(table, Constraints(
        locks={("seniority", high): 0}, orders=[("seniority", low, high)]))
    assert pts(out, "seniority", high) == 0
    assert pts(out, "seniority", low) >= pts(out, "seniority", high)
    # An order already satisfied changes nothing; a violated one lifts the lower level
    # exactly to the other's points (the boundary: equal is allowed).
    out = apply_constraints(table, Constraints(orders=[("seniority", low, high)]))
    assert pts(out, "seniority", low) == pts(out, "seniority", high) == int(sen[high])
    untouched = apply_constraints(table, Constraints(orders=[("seniority", high, low)]))
    assert (untouched["points"] == table["points"]).all()


def test_contradictions_and_typos_are_messages(fitted):
    _, table = fitted
    sen = table[table["attribute"] == "seniority"].set_index("level")["points"]
    low, high = sen.idxmin(), sen.idxmax()
    with pytest.raises(CalibrateError, match="locked at 0 points, below"):
        apply_constraints(table, Constraints(locks={("seniority", low): 0},
                                             orders=[("seniority", low, high)]))
    with pytest.raises(CalibrateError, match="gives at most"):
        apply_constraints(table, Constraints(locks={("seniority", low): 101}))
    with pytest.raises(CalibrateError, match="has no level 'Chief'"):
        apply_constraints(table, Constraints(locks={("seniority", "Chief"): 0}))
    with pytest.raises(CalibrateError, match="No attribute 'senority'"):
        apply_constraints(table, parse_constraints(caps=["senority:10"]))
    with pytest.raises(CalibrateError, match="Cannot read the lock"):
        parse_constraints(locks=["seniority Student 0"])


def test_the_cost_in_auc_is_measured_on_the_held_out_leads(fitted):
    result, table = fitted
    con = sample_connection()
    top = tops(table, "behavior")
    out = apply_constraints(table, parse_constraints(caps=[f"{top.idxmax()}:1"]))
    cost = constraint_cost(con, table, out, result)
    assert cost["auc_suggested"] == pytest.approx(result.metrics.auc, abs=0.01)
    assert cost["auc_cost"] > 0  # hobbling the strongest behavior attribute costs AUC
    assert constraint_cost(con, table, table, result)["auc_cost"] == 0


def test_the_command_line_fits_with_constraints_and_says_what_they_cost(tmp_path, capsys):
    from calibrate.cli import main
    from calibrate.data import store
    from calibrate.model.weights import latest_weights

    from conftest import SAMPLE_CSV

    db = str(tmp_path / "c.duckdb")
    small = tmp_path / "leads.csv"
    with open(SAMPLE_CSV, encoding="utf-8") as src, open(small, "w", encoding="utf-8") as out:
        out.writelines(line for i, line in zip(range(8_001), src, strict=False))
    assert main(["ingest", str(small), "--db", db]) == 0
    assert main(["fit", "--db", db, "--lock", "seniority=Student:0",
                 "--order", "seniority:VP>Manager", "--cap", "industry:5"]) == 0
    out = capsys.readouterr().out
    assert "With the constraints: held-out AUC" in out and "they cost" in out
    con = store.connect(db)
    table = latest_weights(con, store.data_version(con)).table
    con.close()
    assert table.loc[table["attribute"] == "industry", "points"].max() <= 5
    assert main(["fit", "--db", db, "--cap", "nowhere:5"]) == 2
    assert "No attribute 'nowhere'" in capsys.readouterr().err

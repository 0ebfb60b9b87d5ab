"""The Weights screen under AppTest: points by axis, metrics, edits saved as new weights."""

from __future__ import annotations

from calibrate.data import store
from calibrate.model.weights import latest_weights

from apptest import assert_clean, metric, page


def test_points_metrics_and_charts_are_shown(sample_db):
    at = page("weights")
    assert float(metric(at, "AUC")) > 0.7
    editors = at.data_editor
    assert len(editors) == 2
    profile = editors[0].value
    assert {"seniority", "industry"} <= set(profile["attribute"])
    assert (profile["points"] == profile["suggested_points"]).all()


def test_an_edit_is_saved_as_new_weights_and_evaluated(sample_db):
    at = page("weights")
    editor = at.data_editor[1]  # behavior
    view = editor.value
    row = int(view.index[view["attribute"] == "demo_request"][0])
    old = int(view.loc[row, "points"])
    at.session_state[editor.key] = {"edited_rows": {row: {"points": old + 7}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="save_edits").click().run()
    assert_clean(at)
    con = store.connect(sample_db)
    weights = latest_weights(con, store.data_version(con))
    con.close()
    t = weights.table.set_index(["attribute", "level"])
    level = view.loc[row, "level"]
    assert t.loc[("demo_request", level), "points"] == old + 7
    assert t.loc[("demo_request", level), "suggested_points"] == old
    assert any("With your edits" in c.value for c in at.caption)


def test_no_decision_choice_refits(sample_db):
    at = page("weights")
    at.radio(key="nd_choice").set_value("Leave out of the fit").run()
    at.button(key="refit").click().run()
    assert_clean(at)
    con = store.connect(sample_db)
    weights = latest_weights(con, store.data_version(con))
    con.close()
    assert weights.options["exclude_no_decision"] is True


def test_workshop_constraints_are_applied_saved_and_costed(sample_db):
    at = page("weights")
    at.text_area(key="con_caps").input("pricing_page_views:10")
    at.text_area(key="con_locks").input("seniority=Student:0")
    at.button(key="apply_constraints").click().run()
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    message = next(s.value for s in at.success if "Constraints applied" in s.value)
    assert "held-out AUC" in message and "they cost" in message
    con = store.connect(sample_db)
    weights = latest_weights(con, store.data_version(con))
    con.close()
    table = weights.table
    pricing = table[table["attribute"] == "pricing_page_views"]
    assert pricing["points"].max() == 10
    assert int(table.loc[(table["attribute"] == "seniority") & (table["level"] == "Student"),
                         "points"].iloc[0]) == 0
    assert table[table["axis"] == "behavior"].groupby("attribute")["points"].max().sum() == 100
    assert weights.options["constraints"]["caps"] == {"pricing_page_views": 10}


def test_a_fit_that_stopped_at_its_iteration_limit_is_flagged(sample_db):
    from calibrate.model.weights import save_weights

    con = store.connect(sample_db)
    weights = latest_weights(con, store.data_version(con))
    weights.metrics = {**weights.metrics, "converged": False, "n_iter": 3}
    weights.options = {**weights.options, "max_iter": 3}
    save_weights(con, weights, store.data_version(con))
    con.close()
    at = page("weights")
    assert any("stopped at its iteration limit (max_iter=3 Newton steps)" in w.value
               for w in at.warning)

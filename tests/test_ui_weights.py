"""The Weights screen under AppTest: the headline in words, points with the range each could
lie in, edits measured before saving, saved beside the tables and reset; no refit on a plain
visit; the analysts' figures and the fit's settings in an expander."""

from __future__ import annotations

import json
import re

from calibrate import fmt
from calibrate.data import store
from calibrate.model.weights import latest_weights
from calibrate.ui import weights as page_module

from apptest import assert_clean, metric, page

RANKS = "Ranks a random won lead above a random lead that was not won "


def _latest(path):
    con = store.connect(path)
    try:
        return latest_weights(con, store.data_version(con))
    finally:
        con.close()


def _walk(node):
    """Every node of a page in the order it is shown."""
    yield node
    children = getattr(node, "children", None) or {}
    for index in sorted(children):
        yield from _walk(children[index])


def _share(text: str) -> str:
    return re.search(r"(\d+(?:\.\d)?%) of the time", text).group(1)


def _edit(at, axis_index: int, rows: dict[int, int]) -> None:
    """Type points into rows of an axis's editor (0 profile, 1 behavior) and rerun."""
    editor = at.data_editor[axis_index]
    at.session_state[editor.key] = {"edited_rows": {r: {"points": p} for r, p in rows.items()},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    assert_clean(at)


def _behavior_zeroed(at) -> dict[int, int]:
    view = at.data_editor[1].value
    return {int(i): 0 for i in view.index[view["points"] > 0]}


def test_points_metrics_and_charts_are_shown(sample_db):
    at = page("weights")
    assert float(metric(at, "AUC")) > 0.7
    editors = at.data_editor
    assert len(editors) == 2
    profile = editors[0].value
    assert {"seniority", "industry"} <= set(profile["attribute"])
    assert (profile["points"] == profile["suggested_points"]).all()


def test_the_headline_is_in_plain_words_and_analysts_metrics_are_in_an_expander(sample_db):
    at = page("weights")
    weights = _latest(sample_db)
    top = at.subheader[0].value
    assert top == f"{RANKS}{100 * weights.metrics['auc']:.0f}% of the time"
    held_out = next(c.value for c in at.caption if "held out of the fit" in c.value)
    assert held_out.startswith(f"Measured on {fmt.number(weights.metrics['leads'])} closed leads")
    analysts = next(e for e in at.expander if e.label == page_module.ANALYSTS)
    inside = {m.label for m in analysts.metric}
    assert {"AUC", "KS", "Log loss", "Brier"} <= inside
    assert len(at.metric) == len(analysts.metric)  # no analysts' metric outside it


def test_intervals_are_in_points_not_log_odds(sample_db):
    at = page("weights")
    view = at.data_editor[0].value
    assert "interval" not in view.columns
    ranges = view["could be between"]
    assert ranges.str.fullmatch(r"\d+ and \d+ points|–").all()
    ends = ranges[ranges != "–"].str.extract(r"(\d+) and (\d+)").astype(int)
    points = view.loc[ends.index, "suggested_points"]
    assert ((ends[0] <= points) & (points <= ends[1])).all()
    assert not any("log-odds" in str(c.value) for c in at.caption)


def test_the_level_column_is_wide_enough_for_its_longest_level(sample_db):
    at = page("weights")
    editor = at.data_editor[0]
    assert "Individual Contributor" in set(editor.value["level"])
    width = json.loads(editor.proto.columns)["level"]["width"]
    assert isinstance(width, int) and width >= 200


def test_save_sits_above_the_tables(sample_db):
    at = page("weights")
    _edit(at, 1, {0: 3})
    order = list(_walk(at.main))
    save = next(i for i, n in enumerate(order) if getattr(n, "key", None) == "save_edits")
    first_table = next(i for i, n in enumerate(order) if getattr(n, "type", "") == "dataframe")
    assert save < first_table


def test_edits_are_measured_before_saving(sample_db):
    at = page("weights")
    before = _latest(sample_db).id
    _edit(at, 1, _behavior_zeroed(at))
    note = next(i.value for i in at.info if "not saved yet" in i.value)
    assert f"With your edits: {RANKS[0].lower()}{RANKS[1:]}" in note
    assert re.search(r"of the time, against \d+(\.\d)?% suggested\.$", note)
    assert _latest(sample_db).id == before  # measured, not saved


def test_an_edit_is_saved_as_new_weights_and_the_headline_follows(sample_db):
    at = page("weights")
    suggested_headline = at.subheader[0].value
    view = at.data_editor[1].value
    row = int(view.index[view["attribute"] == "demo_request"][0])
    old = int(view.loc[row, "points"])
    edits = {**_behavior_zeroed(at), row: old + 7}
    _edit(at, 1, edits)
    live = next(i.value for i in at.info if "not saved yet" in i.value)
    at.button(key="save_edits").click().run()
    assert_clean(at)
    t = _latest(sample_db).table.set_index(["attribute", "level"])
    level = view.loc[row, "level"]
    assert t.loc[("demo_request", level), "points"] == old + 7
    assert t.loc[("demo_request", level), "suggested_points"] == old
    now = at.subheader[0].value
    assert now.startswith(RANKS) and now.endswith("for the suggested points")
    assert now != suggested_headline
    assert _share(now) == _share(live)  # the headline is the saved edits' own figure


def test_points_go_back_to_the_suggestion_per_level_and_all_at_once(sample_db):
    at = page("weights")
    view = at.data_editor[0].value
    _edit(at, 0, {0: int(view.loc[0, "points"]) + 5, 1: int(view.loc[1, "points"]) + 5})
    at.button(key="save_edits").click().run()
    assert_clean(at)
    chooser = next(m for m in at.multiselect if m.key.startswith("reset_levels_"))
    first = next(o for o in chooser.options if o.startswith(
        f"{view.loc[0, 'attribute']}: {view.loc[0, 'level']} ("))
    chooser.set_value([first]).run()
    at.button(key="reset_chosen").click().run()
    assert_clean(at)
    table = _latest(sample_db).table
    differ = table[table["points"] != table["suggested_points"]]
    assert list(zip(differ["attribute"], differ["level"], strict=True)) == [
        (view.loc[1, "attribute"], view.loc[1, "level"])]
    at.button(key="reset_all").click().run()
    assert_clean(at)
    table = _latest(sample_db).table
    assert (table["points"] == table["suggested_points"]).all()
    assert at.subheader[0].value.endswith("% of the time")  # the suggestion's headline again


def test_a_plain_visit_fits_nothing_and_the_comparison_fits_when_asked(sample_db, monkeypatch):
    from calibrate.decide import workshop

    calls = []
    original = workshop.held_out_fit

    def counted(con, **kw):
        calls.append(kw)
        return original(con, **kw)

    monkeypatch.setattr(workshop, "held_out_fit", counted)
    at = page("weights")
    assert calls == []
    assert not [d for d in at.dataframe if "difference" in d.value.columns]
    at.toggle(key="nd_compare").set_value(True).run()
    assert_clean(at)
    assert len(calls) == 2
    compared = next(d.value for d in at.dataframe if "difference" in d.value.columns)
    assert len(compared) > 0


def test_fit_options_read_as_words(sample_db):
    at = page("weights")
    assert not [c.value for c in at.caption if c.value.startswith("Fit options")]
    analysts = next(e for e in at.expander if e.label == page_module.ANALYSTS)
    text = "\n".join(m.value for m in analysts.markdown)
    assert "No-decision leads counted as not won" in text
    assert "{" not in text


def test_no_decision_choice_refits(sample_db):
    at = page("weights")
    at.radio(key="nd_choice").set_value("Leave out of the fit").run()
    at.button(key="refit").click().run()
    assert_clean(at)
    weights = _latest(sample_db)
    assert weights.options["exclude_no_decision"] is True
    assert at.subheader[0].value.startswith(
        "Ranks a random won lead above a random lost lead ")


def test_workshop_constraints_are_applied_saved_and_costed(sample_db):
    at = page("weights")
    at.text_area(key="con_caps").input("pricing_page_views:10")
    at.text_area(key="con_locks").input("seniority=Student:0")
    at.button(key="apply_constraints").click().run()
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    message = next(s.value for s in at.success if "Constraints applied" in s.value)
    # in the room's words, not an analyst's
    assert "With the constraints: ranks a random won lead above" in message
    assert "AUC" not in message and "% suggested." in message
    weights = _latest(sample_db)
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


def test_unsaved_edits_can_be_discarded(sample_db):
    at = page("weights")
    before = _latest(sample_db).id
    _edit(at, 1, {0: 99})
    key = at.data_editor[1].key
    assert any("not saved yet" in i.value for i in at.info)
    at.button(key="discard_edits").click().run()
    assert_clean(at)
    assert not any("not saved yet" in i.value for i in at.info)
    assert at.data_editor[1].key != key  # a fresh editor, without the edit
    assert _latest(sample_db).id == before


def test_a_first_view_draws_the_points_tables_first_and_the_rest_after_the_delay(sample_db):
    """Issue 19: opened from the app's navigation, the page's sections and charts held the
    points tables back about 1.5 s while the browser loaded their code. The session's first
    view draws the headline, the Save and reset bar and both tables; the charts and the
    sections below come with the next run (the timer's, or any run after the delay)."""
    import time

    from calibrate.ui import state

    at = page("weights", first_view=True)
    assert at.subheader[0].value.startswith(RANKS)
    assert len(at.data_editor) == 2
    assert not at.get("plotly_chart")
    assert not at.expander
    assert "No-decision leads" not in [s.value for s in at.subheader]
    time.sleep(state.CHARTS_DELAY)  # a run after the delay: the page's first view is over
    at.run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 4  # the points of each axis, lift, calibration
    assert page_module.ANALYSTS in [e.label for e in at.expander]
    assert "No-decision leads" in [s.value for s in at.subheader]
    at.run()  # and it stays complete
    assert len(at.get("plotly_chart")) == 4


def test_a_later_view_draws_everything_at_once(sample_db):
    from calibrate.ui import state

    at = page("weights", first_view=True)
    at.session_state[state.view_flag("weights")] = True  # what the timer's rerun sets
    at.run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 4
    assert at.session_state[state.CHARTS]  # the session's other pages draw charts at once

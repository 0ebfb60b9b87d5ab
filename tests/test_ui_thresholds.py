"""The workshop screen under AppTest: sliders move the figures, suggestions, saving."""

from __future__ import annotations

from calibrate.data import store
from calibrate.decide.scenarios import list_scenarios

from apptest import assert_clean, metric, page


def test_sliders_move_volume_and_conversion(sample_db):
    at = page("thresholds")
    assert [s.label for s in at.slider] == ["Minimum profile score", "Minimum behavior score"]
    before = (metric(at, "MQLs per month"), metric(at, "Conversion"))
    at.slider[0].set_value(80).run()
    assert_clean(at)
    after = (metric(at, "MQLs per month"), metric(at, "Conversion"))
    assert after != before
    at.slider[0].set_value(0).run()
    at.slider[1].set_value(0).run()
    lowest = metric(at, "MQLs per month")
    # With no bar at all, every lead that is not disqualified is an MQL.
    assert lowest != after[0]


def test_total_score_mode_has_one_slider(sample_db):
    at = page("thresholds")
    at.toggle[0].set_value(True).run()
    assert_clean(at)
    assert [s.label for s in at.slider] == ["Minimum total score"]


def test_suggestion_fills_the_sliders_within_capacity(sample_db):
    at = page("thresholds")
    at.number_input(key="reps").set_value(8).run()
    before = [s.value for s in at.slider]
    at.button(key="suggest_capacity").click().run()
    assert_clean(at)
    assert [s.value for s in at.slider] != before
    used = metric(at, "Sales capacity used")
    assert used.endswith("%") and float(used[:-1]) <= 100.0


def test_an_impossible_capacity_is_explained(sample_db):
    at = page("thresholds")
    at.number_input(key="reps").set_value(1).run()
    at.button(key="suggest_capacity").click().run()
    assert_clean(at)
    assert "above the capacity" in at.info[0].value


def test_saving_a_scenario_stores_it(sample_db):
    at = page("thresholds")
    at.slider[0].set_value(60).run()
    at.text_input(key="sc_name").input("Sales proposal")
    at.text_input(key="sc_author").input("Sam")
    at.button[-1].click().run()  # the form's submit button
    assert_clean(at)
    con = store.connect(sample_db)
    saved = list_scenarios(con)
    con.close()
    assert [(s.name, s.author, s.thresholds.main.min_profile) for s in saved] == [
        ("Sales proposal", "Sam", 60)]
    assert saved[0].figures["mqls_per_month"] > 0


def test_no_data_is_a_message(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "empty.duckdb"))
    at = page("thresholds")
    assert "No leads loaded" in at.info[0].value


def test_a_segment_moved_keeps_its_own_bar_in_the_figures_and_the_scenario(sample_db):
    at = page("thresholds")
    at.slider[0].set_value(40).run()
    at.slider[1].set_value(30).run()
    main_only = metric(at, "MQLs per month")
    at.selectbox(key="segment").set_value("Enterprise").run()
    # An untouched segment follows the main bar, and gives no bar of its own.
    assert [s.value for s in at.slider] == [40, 30]
    at.selectbox(key="segment").set_value("All segments").run()
    assert metric(at, "MQLs per month") == main_only and not at.caption[0].value.startswith(
        "Segments with their own")

    at.selectbox(key="segment").set_value("Enterprise").run()
    at.slider[0].set_value(90).run()
    assert_clean(at)
    at.selectbox(key="segment").set_value("All segments").run()
    assert [s.value for s in at.slider] == [40, 30]  # the main bar is unchanged
    assert metric(at, "MQLs per month") != main_only  # Enterprise now counts at 90/30
    assert "Enterprise: profile ≥ 90 and behavior ≥ 30" in at.caption[0].value
    at.text_input(key="sc_name").input("Per team")
    at.button(key="FormSubmitter:save_scenario-Save scenario").click().run()
    assert_clean(at)
    con = store.connect(sample_db)
    saved = list_scenarios(con)[0]
    con.close()
    assert saved.thresholds.main.min_profile == 40
    assert {k: (v.min_profile, v.min_behavior)
            for k, v in saved.thresholds.segments.items()} == {"Enterprise": (90, 30)}

    # Back to the main bar: the segment's own thresholds are dropped.
    at.selectbox(key="segment").set_value("Enterprise").run()
    at.button(key="follow_main").click().run()
    assert [s.value for s in at.slider] == [40, 30]
    at.selectbox(key="segment").set_value("All segments").run()
    assert metric(at, "MQLs per month") == main_only

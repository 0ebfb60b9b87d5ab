"""The workshop screen under AppTest: sliders move the figures, suggestions, saving."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from calibrate.data import store
from calibrate.decide.scenarios import list_scenarios
from calibrate.ui.thresholds import OVER_COLOUR, slider_key

from apptest import TIMEOUT, assert_clean, metric, page
from browser import assert_no_exception, browser, streamlit_server, wait_idle

REPS, PER_REP = slider_key("reps", None), slider_key("per_rep", None)


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
    at.number_input(key=REPS).set_value(8).run()
    before = [s.value for s in at.slider]
    at.button(key="suggest_capacity").click().run()
    assert_clean(at)
    assert [s.value for s in at.slider] != before
    used = metric(at, "Sales capacity used")
    assert used.endswith("%") and float(used[:-1]) <= 100.0


def test_an_impossible_capacity_is_explained(sample_db):
    at = page("thresholds")
    at.number_input(key=REPS).set_value(1).run()
    at.button(key="suggest_capacity").click().run()
    assert_clean(at)
    assert at.info[0].value.startswith("Nothing fits within capacity:")


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


# ------------------------------------------------------------------ issue 19's defects


def capacity_words(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "of what sales can work" in m.value)


def test_over_capacity_is_a_red_bar_that_says_so(sample_db):
    at = page("thresholds")
    at.number_input(key=REPS).set_value(1).run()  # 40 leads a month
    assert_clean(at)
    used = metric(at, "Sales capacity used")
    assert float(used.rstrip("%")) > 100
    bar = capacity_words(at)
    assert 'role="progressbar"' in bar and OVER_COLOUR in bar
    assert f"⚠ Over capacity: {used} of what sales can work" in bar  # words, not colour alone
    assert "sales can work 40)" in bar
    at.number_input(key=PER_REP).set_value(100_000).run()
    bar = capacity_words(at)
    assert "Over capacity" not in bar and OVER_COLOUR not in bar


def test_the_conversion_floor_is_labelled_and_reads_as_a_percentage(sample_db):
    at = page("thresholds")
    floor = at.selectbox(key="floor")
    assert floor.label == "Conversion floor" and floor.value == 10
    assert "10%" in floor.options and "0.5%" in floor.options
    floor.set_value(15).run()
    at.button(key="suggest_floor").click().run()
    assert_clean(at)
    assert "floor of 15%" in (at.info or at.warning)[0].value


def test_the_floor_suggestion_warns_when_it_is_over_capacity(sample_db):
    at = page("thresholds")
    at.number_input(key=REPS).set_value(1).run()
    at.button(key="suggest_floor").click().run()
    assert_clean(at)
    assert float(metric(at, "Sales capacity used").rstrip("%")) > 100
    assert "Over capacity:" in at.warning[0].value and not at.info


def test_saving_names_the_scenario_in_the_sidebar_and_answers_beside_the_button(sample_db):
    at = AppTest.from_string("from calibrate.ui import sidebar, thresholds\n"
                             "sidebar.render()\nthresholds.render()\n",
                             default_timeout=TIMEOUT).run()
    assert_clean(at)
    at.text_input(key="sc_name").input("Sales proposal")
    at.button(key="FormSubmitter:save_scenario-Save scenario").click().run()
    assert_clean(at)
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "**Scenario:** Sales proposal" in sidebar and "unsaved" not in sidebar
    columns = list(at.columns)
    i = next(i for i, c in enumerate(columns)
             if any(b.key == "FormSubmitter:save_scenario-Save scenario" for b in c.button))
    assert columns[i + 1].success[0].value.startswith("Saved scenario 'Sales proposal'")
    assert len(at.success) == 1


def test_counts_a_month_are_whole_numbers_and_no_jargon(sample_db):
    at = page("thresholds")
    for profile in (0, 30, 50, 70):
        at.slider[0].set_value(profile).run()
        for label in ("MQLs per month", "Wins per month", "Nurture pool per month"):
            value = metric(at, label)  # 156, 9.4 or 1.2k; never 156.3
            assert re.fullmatch(r"[1-9]\d{1,2}|\d\.\d|\d|\d+(\.\d)?[kM]", value), (
                label, value)
        assert not any("corner" in c.value for c in at.caption)


def test_each_segment_has_its_own_sales_capacity(sample_db):
    at = page("thresholds")
    assert "of 400 MQLs a month" in capacity_words(at)  # 10 reps working 40 each
    at.selectbox(key="segment").set_value("Enterprise").run()
    reps, per_rep = slider_key("reps", "Enterprise"), slider_key("per_rep", "Enterprise")
    assert at.number_input(key=reps).label == "Sales reps for Enterprise"
    assert at.number_input(key=reps).value == 0  # not the whole team's 10 reps
    assert metric(at, "Sales capacity used") == "–"
    at.number_input(key=reps).set_value(1).run()
    at.number_input(key=per_rep).set_value(5).run()
    assert_clean(at)
    enterprise_used = float(metric(at, "Sales capacity used").rstrip("%"))
    assert enterprise_used > 100  # its MQLs against its own 5, not a sliver of the team's 400
    at.number_input(key=per_rep).set_value(20).run()
    at.button(key="suggest_capacity").click().run()  # honours Enterprise's 20 a month
    assert_clean(at)
    assert "sales can work (20 a month)" in at.info[0].value
    assert float(metric(at, "Sales capacity used").rstrip("%")) <= 100
    suggested = [s.value for s in at.slider]
    assert suggested != [50, 50]

    at.selectbox(key="segment").set_value("All segments").run()
    assert (at.number_input(key=REPS).value, at.number_input(key=PER_REP).value) == (10, 40)
    assert "of 400 MQLs a month" in capacity_words(at)  # the whole team's capacity again
    assert [s.value for s in at.slider] == [50, 50]  # the main bar did not move
    at.selectbox(key="segment").set_value("Enterprise").run()
    assert (at.number_input(key=reps).value, at.number_input(key=per_rep).value) == (1, 20)
    assert [s.value for s in at.slider] == suggested


def test_leads_without_dates_count_in_all_and_have_no_window(undated_grid):
    at = page("thresholds")
    assert "window" not in [s.key for s in at.selectbox]
    labels = [m.label for m in at.metric]
    assert {"MQLs in all", "Wins in all", "Nurture pool in all",
            "Expected value in all"} <= set(labels)
    assert not any("per month" in label for label in labels)
    assert not any(str(n.key).startswith("reps::") for n in at.number_input)
    assert metric(at, "Sales capacity used") == "–"
    assert any("no dates" in c.value for c in at.caption)
    assert not range_captions(at)  # no months, no month-to-month range


# ------------------------------------------------------------------ issue 19: ranges


def range_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("range ")]


def count(text: str) -> float:
    """A count as fmt.per_month writes it: 156, 9.4, 1.2k."""
    scale = {"k": 1e3, "M": 1e6}.get(text[-1], 1.0)
    return float(text.rstrip("kM").replace(",", "")) * scale


def test_mqls_and_wins_a_month_show_their_range(sample_db):
    at = page("thresholds")
    words = range_captions(at)
    assert len(words) == 2, [c.value for c in at.caption]
    for label, text in zip(("MQLs per month", "Wins per month"), words, strict=True):
        found = re.fullmatch(r"range (\d[\d.,]*[kM]?)–(\d[\d.,]*[kM]?) a month", text)
        assert found, text
        low, high = count(found[1]), count(found[2])
        assert low <= count(metric(at, label)) <= high and low < high, (label, text)
    at.slider[0].set_value(80).run()
    assert_clean(at)
    stricter = range_captions(at)
    assert len(stricter) == 2 and stricter != words  # the range follows the sliders
    at.selectbox(key="segment").set_value("Enterprise").run()  # one segment: its range
    assert len(range_captions(at)) == 2
    at.selectbox(key="window").set_value("Last 3 months").run()  # the fewest with a range
    assert_clean(at)
    assert len(range_captions(at)) == 2


def test_a_saved_scenario_keeps_each_segments_own_sales_capacity(sample_db):
    at = page("thresholds")
    at.selectbox(key="segment").set_value("Enterprise").run()
    at.number_input(key=slider_key("reps", "Enterprise")).set_value(3).run()
    at.number_input(key=slider_key("per_rep", "Enterprise")).set_value(20).run()
    at.selectbox(key="segment").set_value("Field").run()
    at.number_input(key=slider_key("reps", "Field")).set_value(4).run()  # no leads a rep
    at.selectbox(key="segment").set_value("All segments").run()
    at.text_input(key="sc_name").input("Split teams")
    at.button(key="FormSubmitter:save_scenario-Save scenario").click().run()
    assert_clean(at)
    con = store.connect(sample_db)
    saved = list_scenarios(con)[0]
    con.close()
    kept = saved.payload["segment_capacity"]
    assert list(kept) == ["Enterprise"]  # Field's capacity is incomplete: not its own
    assert (kept["Enterprise"]["reps"], kept["Enterprise"]["leads_per_rep"]) == (3, 20)
    assert kept["Enterprise"]["capacity"] == 60
    assert saved.payload["settings"]["reps"] == 10  # the main capacity, as set


# ------------------------------------------------------------------ in the real app


@pytest.mark.browser
def test_the_conversion_floor_is_kept_across_pages(sample_db, tmp_path):
    """Set in the threshold panel (a fragment run), the floor survives a visit to another
    page and back, as the sliders do (issue 19)."""
    with streamlit_server(sample_db) as url, \
            browser(tmp_path / "profile", downloads=False) as ctx:
        page = ctx.new_page()
        page.goto(url)
        floor = page.get_by_role("combobox", name="Conversion floor")
        floor.wait_for(timeout=120_000)
        wait_idle(page, 120_000)
        assert floor.input_value() == "10%"
        floor.click()
        page.get_by_role("option", name="25%", exact=True).click()
        wait_idle(page)
        assert floor.input_value() == "25%"
        nav = page.locator("[data-testid=stSidebarNav]")
        nav.get_by_role("link", name="Weights").click()
        page.get_by_role("heading", name="Weights").wait_for(timeout=60_000)
        wait_idle(page, 60_000)
        nav.get_by_role("link", name="Thresholds").click()
        floor.wait_for(timeout=60_000)
        wait_idle(page, 60_000)
        assert floor.input_value() == "25%"
        assert_no_exception(page)

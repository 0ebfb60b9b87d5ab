"""The Scenarios screen under AppTest: list, compare, load into the workshop, agree."""

from __future__ import annotations

from calibrate.data import store
from calibrate.decide.scenarios import current_agreement, mark_agreement, save_scenario

from apptest import assert_clean, page


def _save_two(path):
    con = store.connect(path)
    save_scenario(con, "Marketing proposal", {
        "thresholds": {"mode": "both", "min_profile": 30, "min_behavior": 20, "min_total": 50},
        "figures": {"mqls_per_month": 900.0, "conversion": 0.05}, "segment": None},
        author="Mia")
    save_scenario(con, "Sales proposal", {
        "thresholds": {"mode": "both", "min_profile": 60, "min_behavior": 50, "min_total": 50},
        "figures": {"mqls_per_month": 300.0, "conversion": 0.12}, "segment": None},
        author="Sam")
    con.close()


def test_empty_list_is_a_message(sample_db):
    at = page("scenarios")
    assert "No scenarios yet" in at.info[0].value


def test_compare_shows_differences(sample_db):
    _save_two(sample_db)
    at = page("scenarios")
    overview = at.dataframe[0].value
    assert list(overview["name"]) == ["Sales proposal", "Marketing proposal"]
    table = at.dataframe[1].value.set_index("")
    # Human labels and text cells (a column mixing numbers and words failed to draw).
    assert table.loc["Minimum profile score", "B - A"] == "-30"
    assert table.loc["MQL rule", "A"] == "profile and behavior"
    assert all(isinstance(v, str) for v in table.to_numpy().ravel())


def test_load_and_agree(sample_db):
    _save_two(sample_db)
    at = page("scenarios")
    at.selectbox(key="chosen").set_value(at.selectbox(key="chosen").options[0])
    at.button(key="load_scenario").click().run()
    assert_clean(at)
    assert at.session_state["min_profile::All segments"] == 60
    at.text_input(key="agree_by").input("Both VPs")
    at.button[-1].click().run()
    assert_clean(at)
    con = store.connect(sample_db)
    agreed = current_agreement(con)
    con.close()
    assert agreed.name == "Sales proposal" and agreed.author == "Both VPs"
    assert "Agreement: **Sales proposal**" in at.success[0].value


def test_names_from_users_are_shown_as_text_never_as_markup(sample_db):
    con = store.connect(sample_db)
    hostile = "![x](http://127.0.0.1:9/pixel.png) <b>bold</b>"
    s = save_scenario(con, hostile, {"thresholds": {"mode": "both", "min_profile": 30,
                                                    "min_behavior": 20, "min_total": 50},
                                     "figures": {"mqls_per_month": 9.0}}, author="<i>x</i>")
    mark_agreement(con, s, author="<img src=x>")
    con.close()
    at = page("scenarios")
    assert_clean(at)
    banner = next(x.value for x in at.success if x.value.startswith("Agreement"))
    assert "\\!\\[x\\]" in banner and "\\<b\\>" in banner and "\\<img src=x\\>" in banner

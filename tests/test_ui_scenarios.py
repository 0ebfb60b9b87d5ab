"""The Scenarios screen under AppTest: list, compare, load into the workshop, agree."""

from __future__ import annotations

from streamlit.proto.Metric_pb2 import Metric as MetricProto

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
    said = next(h.value for h in at.subheader if ", against " in h.value)
    assert said.startswith("\\!\\[x\\](http://127.0.0.1:9/pixel.png) \\<b\\>bold\\</b\\>, against")
    assert any(m.value.startswith("**A · \\!\\[x\\]") for m in at.markdown)


def test_compare_reads_as_a_sentence_and_four_figures_side_by_side(sample_db):
    con = store.connect(sample_db)
    for name, (mqls, wins, conv, share, low, high) in (
            ("Marketing proposal", (524.3, 44.6, 0.085, 0.8, 0.07, 0.1)),
            ("Sales proposal", (300.1, 22.4, 0.173, 0.4, 0.15, 0.2))):
        save_scenario(con, name, {
            "thresholds": {"mode": "both", "min_profile": 30 if "Mark" in name else 60,
                           "min_behavior": 20 if "Mark" in name else 50},
            "figures": {"months": 12.0, "mqls_per_month": mqls, "wins_per_month": wins,
                        "conversion": conv, "conversion_low": low, "conversion_high": high,
                        "win_share": share}, "segment": None})
    con.close()
    at = page("scenarios")  # A: the newest (Sales proposal), B: Marketing proposal
    assert [h.value for h in at.subheader] == [
        "Compare two scenarios",
        "Marketing proposal, against Sales proposal, sends 224 more leads a month and wins 22 "
        "more deals, at 8.8 points lower conversion.",
        "Use or agree"]
    heads = [m.value for m in at.markdown]
    assert "**A · Sales proposal**  \nprofile ≥ 60 and behavior ≥ 50" in heads
    assert "**B · Marketing proposal**  \nprofile ≥ 30 and behavior ≥ 20" in heads
    figures = [(m.label, m.value) for m in at.metric]
    assert figures[:6] == [("MQLs a month", "300.1"), ("MQLs a month", "524.3"),
                           ("MQLs a month, B − A", "+224.2"), ("Conversion", "17.3%"),
                           ("Conversion", "8.5%"), ("Conversion, B − A", "-8.8 pts")]
    assert [m.label for m in at.metric[6:]] == [
        "Wins a month", "Wins a month", "Wins a month, B − A", "Share of all wins",
        "Share of all wins", "Share of all wins, B − A"]
    assert "95% interval 15.0% to 20.0%" in [c.value for c in at.caption]
    # The difference: a sign, an arrow, the word, and blue/orange/grey (never red or green).
    colour = MetricProto.MetricColor.Name
    arrow = MetricProto.MetricDirection.Name
    diffs = {m.label: (m.proto.delta, colour(m.proto.color), arrow(m.proto.direction))
             for m in at.metric if m.label.endswith("B − A")}
    assert diffs == {"MQLs a month, B − A": ("more", "GRAY", "UP"),
                     "Conversion, B − A": ("lower, worse", "ORANGE", "DOWN"),
                     "Wins a month, B − A": ("more, better", "BLUE", "UP"),
                     "Share of all wins, B − A": ("higher, better", "BLUE", "UP")}
    # The full table sits behind an expander.
    table = at.expander[0].dataframe[0].value.set_index("")
    assert at.expander[0].label == "Every threshold and figure, side by side"
    assert table.loc["Minimum profile score", "B - A"] == "-30"
    assert table.loc["MQLs per month", "B - A"] == "+224"  # counts as people read them


def test_the_overview_says_a_month_or_in_all_as_the_figures_were_counted():
    from datetime import datetime

    from calibrate.decide.scenarios import Scenario
    from calibrate.ui.scenarios import overview

    def scenario(i: int, dated: bool | None) -> Scenario:
        figures = {"mqls_per_month": 156.3, "wins_per_month": 9.44, "conversion": 0.06}
        if dated is not None:
            figures["dated"] = dated
        return Scenario(i, datetime(2026, 11, 1), f"S{i}", "", "", "scenario",
                        {"thresholds": {"mode": "both", "min_profile": 60,
                                        "min_behavior": 40}, "figures": figures})

    # saved before figures said whether they were dated: a month, as they were computed
    table = overview([scenario(1, True), scenario(2, None)])
    assert list(table["MQLs a month"]) == ["156", "156"]
    assert list(table["wins a month"]) == ["9.4", "9.4"]
    assert list(overview([scenario(3, False)])["MQLs in all"]) == ["156"]
    mixed = overview([scenario(1, True), scenario(3, False)])
    assert list(mixed["MQLs"]) == ["156 a month", "156 in all"]

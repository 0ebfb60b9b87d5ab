"""The Present page (issue 19): the big screen's figures under AppTest, and in real Chromium
at 1920x1080 everything a VP reads above the fold, in large type."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest
from streamlit.testing.v1 import AppTest

from calibrate.data import store
from calibrate.decide.tradeoff import Figures
from calibrate.ui import state, thresholds
from calibrate.ui.thresholds import OVER_COLOUR, slider_key

from apptest import TIMEOUT, assert_clean, metric, page
from browser import assert_no_exception, browser, press, streamlit_server, wait_idle

FOUR = ["MQLs a month", "Win rate", "Wins a month", "Share of all wins"]
REPS = slider_key("reps", None)
RANGES = ("mqls_per_month_low", "mqls_per_month_high", "wins_per_month_low",
          "wins_per_month_high")


def under(at: AppTest) -> list[str]:
    """The line under each of the four figures ("range a–b", or blank)."""
    lines = [m.value for m in at.markdown if 'class="present-range"' in m.value]
    return [re.sub(r"<[^>]+>", "", v).replace("&nbsp;", "").strip() for v in lines]


def capacity_bar(at: AppTest) -> str:
    return next(m.value for m in at.markdown if 'role="progressbar"' in m.value)


def test_the_four_numbers_on_the_sample(sample_db):
    at = page("present")
    assert [m.label for m in at.metric] == FOUR
    assert all(m.value != "–" for m in at.metric)
    assert [s.label for s in at.slider] == ["Minimum profile score", "Minimum behavior score"]
    rate = under(at)[1]
    assert re.fullmatch(r"range \d+\.\d%–\d+\.\d%", rate), rate
    assert "Within capacity" in capacity_bar(at) or "Near capacity" in capacity_bar(at)
    assert not at.get("plotly_chart")  # a first view: the figures first (state.charts_ready)
    at.session_state[state.CHARTS] = True
    at.run()
    assert len(at.get("plotly_chart")) == 1
    assert [link.proto.label for link in at.get("page_link")] == ["All the figures: Thresholds"]


def test_a_slider_moves_mqls_a_month_on_both_pages(sample_db):
    script = ("import streamlit as st\nfrom calibrate.ui import present, thresholds\n"
              "(present if st.session_state.get('on') == 'present' else thresholds).render()\n")
    at = AppTest.from_string(script, default_timeout=TIMEOUT)
    at.session_state["on"] = "present"
    at.run()
    before = metric(at, "MQLs a month")
    at.slider[0].set_value(80).run()
    assert_clean(at)
    after = metric(at, "MQLs a month")
    assert after != before
    at.session_state["on"] = "thresholds"  # the Thresholds page shows the same bar
    at.run()
    assert_clean(at)
    assert [s.value for s in at.slider] == [80, 50]
    assert metric(at, "MQLs per month") == after
    at.slider[1].set_value(20).run()
    there = metric(at, "MQLs per month")
    at.session_state["on"] = "present"  # and the other way round
    at.run()
    assert_clean(at)
    assert [s.value for s in at.slider] == [80, 20]
    assert metric(at, "MQLs a month") == there != after


def test_over_capacity_says_so_in_words_not_colour_alone(sample_db):
    at = AppTest.from_string("from calibrate.ui import present\npresent.render()\n",
                             default_timeout=TIMEOUT)
    at.session_state[REPS] = 1  # 40 leads a month, as set on the Thresholds page
    at.run()
    assert_clean(at)
    bar = capacity_bar(at)
    assert "over capacity: " in bar.lower() and "⚠" in bar and 'data-state="over"' in bar
    assert OVER_COLOUR in bar and "repeating-linear-gradient" in bar  # red, striped
    assert re.search(r"Over capacity: \d{3,}%", bar) and "sales can work 40" in bar
    assert 'aria-valuetext="Over capacity: ' in bar


class Ranged:
    """Figures with the monthly ranges set by hand (whether or not Figures has them yet)."""

    def __init__(self, figures: Figures, **ranges: float | None) -> None:
        self.figures = figures
        self.__dict__.update(ranges)

    def __getattr__(self, name: str) -> object:
        return getattr(self.figures, name)


def test_ranges_show_under_the_counts_when_the_figures_have_them(sample_db, monkeypatch):
    if not {f.name for f in fields(Figures)} >= set(RANGES):  # before Figures has them
        assert under(page("present"))[0::2] == ["", ""]
    real = thresholds.panel_figures

    def ranged(*args):
        settings, f = real(*args)
        return settings, Ranged(f, mqls_per_month_low=120.0, mqls_per_month_high=1234.0,
                                wins_per_month_low=9.44, wins_per_month_high=None)

    monkeypatch.setattr(thresholds, "panel_figures", ranged)
    lines = under(page("present"))
    assert lines[0] == "range 120–1.2k"
    assert lines[2] == ""  # one end missing: no range


def test_leads_without_dates_count_in_all(undated_grid):
    at = page("present")
    labels = [m.label for m in at.metric]
    assert labels == ["MQLs in all", "Win rate", "Wins in all", "Share of all wins"]
    assert not any("month" in label for label in labels)
    assert not any('role="progressbar"' in m.value for m in at.markdown)
    assert any("does not apply" in c.value and "no dates" in c.value for c in at.caption)


def test_no_leads_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "empty.duckdb"))
    at = page("present")
    assert "No leads loaded" in at.info[0].value and "**Data** page" in at.info[0].value
    assert not at.metric


# ------------------------------------------------------------------ the real big screen


def font_px(locator) -> float:
    return locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")


@pytest.mark.browser
def test_the_big_screen_fits_above_the_fold_in_large_type(sample_db, tmp_path):
    with streamlit_server(sample_db) as url, \
            browser(tmp_path / "profile", downloads=False) as ctx:
        page = ctx.new_page()
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto(f"{url}/present")
        page.locator("[data-testid=stMetric]", has_text="MQLs a month").wait_for(
            timeout=120_000)
        page.locator("[data-testid=stPlotlyChart] .main-svg").first.wait_for(timeout=60_000)
        wait_idle(page, 120_000)
        assert_no_exception(page)

        sidebar = page.locator("[data-testid=stSidebar]")
        assert sidebar.get_attribute("data-collapsed") == "true"  # folded for the big screen
        metrics = page.locator("[data-testid=stMetric]")
        assert metrics.count() == 4
        things = {"profile slider": page.get_by_role("slider", name="Minimum profile score"),
                  "behavior slider": page.get_by_role("slider", name="Minimum behavior score"),
                  "capacity bar": page.get_by_role("progressbar", name="Sales capacity used"),
                  "chart": page.locator("[data-testid=stPlotlyChart]"),
                  **{label: metrics.filter(has_text=label) for label in FOUR}}
        for name, thing in things.items():
            box = thing.bounding_box()
            assert box is not None, name
            assert 0 <= box["y"] and box["y"] + box["height"] <= 1080, (name, box)
        for i in range(4):  # read from the back of the room
            assert font_px(metrics.nth(i).locator("[data-testid=stMetricValue]")) >= 40
            assert font_px(metrics.nth(i).locator("[data-testid=stMetricLabel] p")) >= 20
        assert font_px(page.locator("[data-testid=stWidgetLabel] p").first) >= 20
        assert font_px(page.locator("[data-testid=stPlotlyChart] .xtick text").first) >= 20
        page.screenshot(path=str(tmp_path / "present.png"))

        def mqls() -> str:
            box = metrics.filter(has_text="MQLs a month")
            return box.locator("[data-testid=stMetricValue]").inner_text()

        first = mqls()
        press(page, "Minimum profile score", "ArrowRight", 15)
        page.wait_for_function(
            "(old) => [...document.querySelectorAll('[data-testid=stMetric]')].some("
            "m => m.innerText.includes('MQLs a month') && !m.innerText.includes(old))",
            arg=first, timeout=30_000)
        assert mqls() != first
        assert_no_exception(page)

        # The rest is one click away, at the thresholds just set.
        page.get_by_role("link", name="All the figures: Thresholds").click()
        page.get_by_role("heading", name="Thresholds: what is a sales-ready lead?").wait_for(
            timeout=60_000)
        wait_idle(page, 60_000)
        assert page.get_by_role("slider", name="Minimum profile score").input_value() == "65"
        assert sidebar.get_attribute("data-collapsed") == "false"  # open again elsewhere
        assert_no_exception(page)

"""The Thresholds page's backtest section under AppTest: off until asked, then the headline,
the chart and a row per month after the cut, cached per setting; undated leads are told why."""

from __future__ import annotations

import json
import subprocess
import sys

from streamlit.testing.v1 import AppTest

from calibrate.data import store
from calibrate.decide.tradeoff import Settings
from calibrate.ui.backtest import bar_of, table

from apptest import TIMEOUT, assert_clean

SCRIPT = """
from calibrate.decide.tradeoff import Settings
from calibrate.ui import backtest
backtest.render(Settings(mode={mode!r}, min_profile=50, min_behavior=40, min_total=45))
"""


def section(mode: str = "both") -> AppTest:
    at = AppTest.from_string(SCRIPT.format(mode=mode), default_timeout=TIMEOUT)
    at.run()
    assert_clean(at)
    return at


def test_the_backtest_waits_for_the_toggle_then_shows_the_months_after_the_cut(
        sample_db, sample_db_template):
    at = section()
    assert not at.markdown and not at.dataframe  # nothing is fitted until asked
    at.toggle(key="backtest_on").set_value(True).run()
    assert_clean(at)
    headline = at.markdown[0].value
    assert headline.startswith("**In the 6 months from 1 May 2026 these thresholds sent")
    frame = at.dataframe[0].value
    assert list(frame["month"].str[:7]) == ["2026-05", "2026-06", "2026-07", "2026-08",
                                           "2026-09", "2026-10"]
    # The same figures as the command line's, on the same leads and thresholds (read from
    # the file this one copies: the app holds its own).
    done = subprocess.run([sys.executable, "-m", "calibrate.cli", "backtest", "--split", "6",
                           "--min-profile", "50", "--min-behavior", "40", "--json",
                           "--db", str(sample_db_template)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    assert [f"{round(m['mqls']):,}" for m in cli["months"]] == list(frame["MQLs"])
    assert cli["headline"] in headline
    at.radio(key="backtest_months").set_value(3).run()
    assert len(at.dataframe[0].value) == 3


def test_a_total_score_bar_is_backtested_as_a_total(sample_db):
    at = section("total")
    at.toggle(key="backtest_on").set_value(True).run()
    assert_clean(at)
    assert at.caption[0].value.startswith("Thresholds: total ≥ 45. Fitted on ")
    assert at.dataframe[0].value.shape[0] == 6


def test_leads_without_dates_are_told_why_there_is_no_backtest(tmp_path, monkeypatch):
    from calibrate import Workbench

    csv = tmp_path / "leads.csv"
    csv.write_text("lead_id,status,industry,page_views\n" + "".join(
        f"{i},{'won' if i % 4 == 0 else 'lost'},{'Retail' if i % 3 else 'Bank'},{i % 9}\n"
        for i in range(400)))
    db = tmp_path / "x.duckdb"
    with Workbench(db, keep_backups=0) as wb:
        wb.ingest(csv)
        wb.fit()
    monkeypatch.setenv(store.ENV_DB, str(db))
    at = section()
    at.toggle(key="backtest_on").set_value(True).run()
    assert_clean(at)
    assert "A backtest needs lead dates" in at.info[0].value


def test_the_table_reads_as_the_room_reads_it():
    month = {"month": "2026-05", "still_open": True, "mqls": 166.0, "mqls_low": 146.3,
             "mqls_high": 176.6, "wins_per_month": 42.5, "wins_low": None, "wins_high": None,
             "conversion": 0.2531, "win_share": 0.4368, "open": 12}
    row = table({"months": [month]}).iloc[0].to_dict()
    assert row == {"month": "2026-05 (still open)", "MQLs": "166", "projected MQLs": "146–177",
                   "wins": "43", "projected wins": "–", "conversion": "25.3%",
                   "share of wins": "43.7%", "MQLs still open": "12"}
    assert bar_of(Settings(mode="total", min_total=60)) == ("total", None, None, 60)
    assert bar_of(Settings(min_profile=60, min_behavior=45)) == ("both", 60, 45, None)

"""The backtest (issue 20): a fit on the leads before a cut date, its projection against the
months after it. Stationary generated leads land inside their projected range, and so does
the bank export on its month of contact; the range holds about 9 stationary backtests in 10;
segment bars count as the Thresholds screen counts them; with a last activity date the refit
is a fit on the leads before the cut (recency to their close dates); every bad cut is a
message naming the value. The count grid it builds for its thresholds: test_bar_grid."""

from __future__ import annotations

import datetime as dt
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from test_recency import DATE, with_activity

from calibrate import fmt
from calibrate.decide import backtest as bt
from calibrate.decide import workshop
from calibrate.decide.grid import WON
from calibrate.decide.month_ranges import bootstrap
from calibrate.decide.tradeoff import Settings, figures_for
from calibrate.errors import CalibrateError
from calibrate.model.lead_points import score_sql
from calibrate.model.periods import NoDatesError
from calibrate.thresholds import Bar, Thresholds
from calibrate.tools.sample import generate
from calibrate.workbench import Workbench

from conftest import dated_bank

LEADS = 20_000  # about 830 a month over 24 months, to 2026-10
AGREED = Settings(min_profile=40, min_behavior=30)
CLOSED = "outcome IN ('won', 'lost', 'no_decision')"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Generated leads (one data-generating process over 24 months; most of the last two
    months' leads still open), fitted, with thresholds agreed."""
    raw, _ = generate(LEADS, seed=11)
    with Workbench(tmp_path_factory.mktemp("backtest") / "g.duckdb", keep_backups=0) as wb:
        wb.ingest(raw)
        wb.fit()
        wb.save_scenario("Agreed", min_profile=40, min_behavior=30)
        wb.agree("Agreed", by="VP Sales and VP Marketing")
        yield wb


@pytest.fixture(scope="module")
def six(generated):
    """The backtest of the last 6 months, at the agreed thresholds."""
    return generated.backtest(6)


@pytest.fixture(scope="module")
def full(generated, six):
    """The full count grid (every threshold) of the refit behind ``six``."""
    return workshop.workshop_grid(generated.con, six.weights, workshop.rules_of(six.weights))


def count(wb: Workbench, where: str) -> int:
    return int(wb.con.execute(f"SELECT count(*) FROM leads WHERE {where}").fetchone()[0])


# ------------------------------------------------------------------ stationary leads


def test_stationary_leads_land_inside_their_projected_range(generated, six):
    b = six
    assert (b.cut, b.window, b.after) == ("2026-05-01", ("2025-05", "2026-04"),
                                          ("2026-05", "2026-10"))
    assert (b.window_months, b.after_months, b.fit_period) == (12, 6, ("2024-11", "2026-04"))
    assert b.thresholds == "profile ≥ 40 and behavior ≥ 30"  # the agreement's
    assert b.mqls_inside is True and b.wins_inside is True
    p, a = b.projected, b.actual
    assert p["mqls_low"] <= a["mqls_per_month"] <= p["mqls_high"]
    assert p["wins_low"] <= a["wins_per_month"] <= p["wins_high"]
    assert p["mqls_low"] < p["mqls_per_month"] < p["mqls_high"]
    assert b.headline == (
        f"In the 6 months from 1 May 2026 these thresholds sent "
        f"{fmt.per_month(a['mqls_per_month'])} MQLs a month (projected "
        f"{fmt.per_month(p['mqls_low'])} to {fmt.per_month(p['mqls_high'])}) and won "
        f"{fmt.per_month(a['wins_per_month'])} a month (projected "
        f"{fmt.per_month(p['wins_low'])} to {fmt.per_month(p['wins_high'])}): inside the "
        f"range. {fmt.percent(a['open_share'], 0)} of those MQLs are still open: their wins "
        "are counted at the closed ones' conversion.")
    year = generated.backtest(12)  # and over the last 12 months
    assert year.after == ("2025-11", "2026-10") and year.window == ("2024-11", "2025-10")
    assert year.mqls_inside is True and year.wins_inside is True


def test_the_newest_months_are_flagged_while_their_mqls_are_open(six):
    flags = {m["month"]: m["still_open"] for m in six.months}
    # The generator leaves 80% of the last 60 days' leads open, 4% of the older ones.
    assert flags == {"2026-05": False, "2026-06": False, "2026-07": False, "2026-08": False,
                     "2026-09": True, "2026-10": True}
    for m in six.months:
        assert m["open_share"] == pytest.approx(m["open"] / m["mqls"])
        assert m["still_open"] == (m["open_share"] >= bt.OPEN_FLAG)


def test_the_months_add_up_to_what_the_leads_did(generated, six):
    rows = six.months_frame()
    assert list(rows["month"]) == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09",
                                   "2026-10"]
    for m in six.months:  # every lead of the month, MQL or not
        start = dt.date.fromisoformat(m["month"] + "-01")
        end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        assert m["leads"] == count(generated, f"created_at >= DATE '{start}' AND "
                                              f"created_at < DATE '{end}'")
        assert m["all_wins"] == count(generated, f"outcome = 'won' AND created_at >= DATE "
                                                 f"'{start}' AND created_at < DATE '{end}'")
        assert m["mqls"] == m["closed"] + m["open"]
        assert m["conversion"] == pytest.approx(m["won"] / m["closed"])
        assert m["wins_per_month"] == pytest.approx(m["conversion"] * m["mqls"])
        assert m["win_share"] == pytest.approx(m["won"] / m["all_wins"])
    a = six.actual
    assert a["mqls"] == rows["mqls"].sum() and a["mqls_per_month"] == a["mqls"] / 6
    assert a["wins"] == rows["won"].sum() and a["won_per_month"] == a["wins"] / 6
    assert a["conversion"] == pytest.approx(rows["won"].sum() / rows["closed"].sum())
    assert a["wins_per_month"] == pytest.approx(a["conversion"] * a["mqls_per_month"])
    assert a["conversion_low"] < a["conversion"] < a["conversion_high"]
    p = six.projected
    assert p["leads"] == count(generated, "created_at >= DATE '2025-05-01' AND created_at < "
                                          "DATE '2026-05-01'")
    assert p["mqls_per_month"] == p["mqls"] / 12
    assert p["wins_per_month"] == pytest.approx(p["wins"] / p["closed"] * p["mqls"] / 12)


def test_a_lead_created_on_the_cut_date_is_after_it(generated, six):
    on_the_cut = count(generated, "created_at = TIMESTAMP '2026-05-01 00:00:00'")
    assert on_the_cut > 0  # date-only leads of 1 May: midnight on the cut date
    may = count(generated, "created_at >= DATE '2026-05-01' AND created_at < DATE "
                           "'2026-06-01'")
    assert six.months[0]["leads"] == may  # they are counted after the cut...
    assert six.closed_before == count(generated, f"{CLOSED} AND created_at < DATE "
                                                 "'2026-05-01'")  # ...and not fitted
    assert six.fitted_leads == six.closed_before and not six.sampled
    assert six.closed_before < count(generated, f"{CLOSED} AND created_at <= TIMESTAMP "
                                                "'2026-05-01 00:00:00'")


def test_the_json_reads_back(six):
    data = json.loads(json.dumps(six.to_dict(), allow_nan=False))
    assert data["cut"] == "2026-05-01" and data["after"] == {"start": "2026-05",
                                                             "end": "2026-10", "months": 6}
    assert data["mqls_inside"] is True and data["headline"] == six.headline
    assert data["range_level"] == 0.9 and data["open_flag"] == bt.OPEN_FLAG
    assert len(data["months"]) == 6 and set(data["months"][0]) == set(bt._MONTH_COLUMNS)
    assert data["projected"]["mqls_low"] <= data["projected"]["mqls_high"]


# ---------------------------------------------------------------------------- the range


def test_the_range_holds_nine_stationary_backtests_in_ten():
    """300 simulated stationary histories: months of Poisson MQLs, 10% of them won; a 90%
    range of the mean of the next 6 months from the 12 before. The Thresholds screen's range
    (of the 12-month mean) would hold it about 6 times in 10."""
    rng = np.random.default_rng(20)
    held = np.zeros(2)
    screen = 0
    runs = 300
    for run in range(runs):
        mqls = rng.poisson(120, 18)
        won = rng.binomial(mqls, 0.1)
        months = np.stack([won, mqls - won, np.zeros(18), np.zeros(18)], axis=1)
        before, after = months[:12], months[12:]
        mean = after.sum() / 6
        wins = after[:, WON].sum() / after.sum() * mean
        r = bt.expected_range(before, 6, seed=run)
        held += [r["mqls_low"] <= mean <= r["mqls_high"], r["wins_low"] <= wins <= r["wins_high"]]
        s = bootstrap(before, seed=run)
        screen += s["mqls_per_month_low"] <= mean <= s["mqls_per_month_high"]
    assert 0.85 <= held[0] / runs <= 0.95 and 0.85 <= held[1] / runs <= 0.95, held / runs
    assert screen / runs < 0.75


def test_no_range_from_fewer_than_three_months():
    r = bt.expected_range(np.array([[5.0, 20, 0, 0], [4, 25, 0, 0]]), 6)
    assert r == dict.fromkeys(("mqls_low", "mqls_high", "wins_low", "wins_high"))
    few = bt.expected_range(np.array([[0.0, 1, 0, 0], [0, 0, 0, 0], [0, 9, 0, 0]]), 1)
    assert few["mqls_low"] == 0.0  # a count's range never goes below 0


# ------------------------------------------------------------------- the grid it builds


def test_scored_sql_gives_score_sqls_points_and_totals_on_every_lead(generated):
    """The grid's scoring (codes from maps, points from lists, no join) against the scoring
    query every export uses, lead by lead."""
    weights = generated.weights
    fast = workshop.scored_sql(generated.con, weights, workshop.rules_of(weights))
    differ, leads = generated.con.execute(
        f"SELECT count(*) FILTER (WHERE f.profile_points IS DISTINCT FROM s.profile_points OR "
        f"f.behavior_points IS DISTINCT FROM s.behavior_points OR f.total IS DISTINCT FROM "
        f"s.total), count(*) FROM ({fast}) AS f JOIN ({score_sql(weights.table)}) AS s "
        f"USING (lead_id)").fetchone()
    assert differ == 0 and leads == generated.leads


def with_bar(s: Settings, profile: int, behavior: int) -> Settings:
    return s.with_bar(Bar(min_profile=profile, min_behavior=behavior))


def test_segment_bars_and_a_single_segment_count_as_the_screen_counts(generated, six, full):
    window = [m for m in full.months if dt.date(2025, 5, 1) <= m < dt.date(2026, 5, 1)]
    after = [m for m in full.months if m >= dt.date(2026, 5, 1)]
    own = Thresholds(Bar(min_profile=40, min_behavior=30),
                     {"enterprise ": Bar(min_profile=70, min_behavior=55)})
    b = bt.backtest(generated.con, generated.agreed_weights(), own, 6)
    bar = {"Enterprise": with_bar(AGREED, 70, 55)}
    want = figures_for(full, window, months_of(AGREED, 12), bar)
    assert b.projected["mqls_per_month"] == want.mqls_per_month
    assert b.projected["mqls"] < six.projected["mqls"]  # the stricter bar sends fewer
    got = figures_for(full, after, months_of(AGREED, 6), bar)
    assert (b.actual["mqls"], b.actual["wins"]) == (got.mqls, got.wins)
    only = bt.backtest(generated.con, generated.agreed_weights(),
                       Thresholds(Bar(min_profile=40, min_behavior=30), only="Enterprise"), 6)
    seg = figures_for(full, window, months_of(AGREED, 12), only="Enterprise")
    assert only.projected["leads"] == seg.leads < six.projected["leads"]
    assert only.projected["mqls"] == seg.mqls
    assert only.thresholds == "Enterprise: profile ≥ 40 and behavior ≥ 30"


def months_of(s: Settings, months: int) -> Settings:
    return Settings(**{**s.to_dict(), "months_in_window": months})


def test_with_an_activity_date_the_refit_is_a_fit_on_the_leads_before_the_cut():
    """Recency counts to each closed lead's close date in the refit as in any fit: the
    refit's points are those of a fit on only the leads created before the cut."""
    raw = with_activity(generate(6_000, seed=11)[0])
    with Workbench(keep_backups=0) as wb, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb.ingest(raw)
        wb.fit()
        b = wb.backtest(6, min_profile=40, min_behavior=30)
    before = raw[pd.to_datetime(raw["created_at"], format="mixed") < pd.Timestamp(b.cut)]
    with Workbench(keep_backups=0) as early, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        early.ingest(before.reset_index(drop=True))
        fitted = early.fit()
    columns = ["attribute", "level", "points"]
    refit = b.weights.table[columns].reset_index(drop=True)
    assert DATE in set(refit["attribute"])
    assert refit.equals(fitted.table[columns].reset_index(drop=True))
    assert b.projected["mqls"] > 0 and b.actual["mqls"] > 0


def test_a_large_history_is_fitted_on_a_sample(generated, six, monkeypatch):
    monkeypatch.setattr(bt, "MAX_FIT_LEADS", 4_000)
    b = generated.backtest(6)
    assert b.sampled and b.closed_before == six.closed_before > 4_000
    assert 3_400 < b.fitted_leads < 4_600  # a uniform sample by a hash of the lead's id
    assert b.weights.metrics["C"] == generated.agreed_weights().metrics["C"]  # no CV
    assert b.mqls_inside is not None and b.headline.startswith("In the 6 months from ")


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("split, words", [
    ("soon", "The split 'soon' is neither a date nor a number of months."),
    ("2025-13-01", "The split '2025-13-01' is neither a date nor a number of months."),
    (True, "The split True is neither a date nor a number of months."),
    (0, "The split 0 is not a number of months to test: it must be 1 or more."),
    ("-3", "The split '-3' is not a number of months to test: it must be 1 or more."),
    ("2026-05-15", "The cut 2026-05-15 is not the first day of a month: a backtest compares "
                   "whole months."),
    ("2024-11-01", "The cut 2024-11-01 comes before the first lead: the dated leads run from "
                   "2024-11 to 2026-10."),
    ("2026-11", "The cut 2026-11-01 comes after the last lead: the dated leads run from "
                "2024-11 to 2026-10."),
    (24, "The last 24 months leave no leads before them to fit on: the dated leads run from "
         "2024-11 to 2026-10."),
])
def test_a_bad_split_is_a_message_naming_it(generated, split, words):
    with pytest.raises(CalibrateError) as err:
        generated.backtest(split)
    assert err.value.what == words and err.value.fix


def test_the_split_reads_dates_and_months():
    assert [bt.parse_split(v) for v in (6, "6", "6m", " 6 months ", "12 mo")] == [
        6, 6, 6, 6, 12]
    assert bt.parse_split("2025-07-01") == bt.parse_split("2025-07") == dt.date(2025, 7, 1)
    assert bt.parse_split(pd.Timestamp("2025-07-01 10:00")) == dt.date(2025, 7, 1)


def test_a_bad_window_is_a_message(generated):
    with pytest.raises(CalibrateError, match="The window 0 is not a number of months"):
        generated.backtest(6, window=0)


def small_leads(dated: bool = True) -> pd.DataFrame:
    """12 closed leads in January 2025 (2 won), then 200 a month to April."""
    rng = np.random.default_rng(3)
    months = ["2025-01"] * 12 + [m for m in ("2025-02", "2025-03", "2025-04")
                                 for _ in range(200)]
    n = len(months)
    seniority = rng.choice(["VP", "Manager", "Individual Contributor"], n)
    won = np.r_[[True, True] + [False] * 10, rng.random(n - 12) < np.where(
        seniority[12:] == "VP", 0.4, 0.1)]
    frame = pd.DataFrame({"lead_id": [f"S{i:04d}" for i in range(n)],
                          "created_at": [f"{m}-{rng.integers(1, 28):02d}" for m in months],
                          "status": np.where(won, "Won", "Lost"), "seniority": seniority,
                          "pricing_page_views": rng.poisson(1.5, n).astype(str)})
    return frame if dated else frame.drop(columns=["created_at"])


def test_too_few_closed_leads_before_the_cut_suggest_a_later_one():
    with Workbench(keep_backups=0) as wb:
        wb.ingest(small_leads())
        wb.fit()
        with pytest.raises(CalibrateError) as err:
            wb.backtest("2025-02-01", min_profile=50, min_behavior=50)
    assert err.value.what.startswith("The leads created before 1 Feb 2025 cannot be fitted: "
                                     "12 of them are closed, 2 won. A fit needs at least 10 "
                                     "won")
    assert err.value.fix == ("Cut later, when more leads before the cut are closed: e.g. at "
                             "2025-03-01 (--split 2).")


def test_without_dates_it_says_so():
    with Workbench(keep_backups=0) as wb:
        wb.ingest(small_leads(dated=False))
        with pytest.raises(NoDatesError) as err:
            wb.backtest(6)
    assert err.value.what.startswith("A backtest needs lead creation dates")


# ------------------------------------------------------------------------ the bank export


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    """The bank export with its month of contact as the lead's date (May 2008 to November
    2010, in file order: the year moves on each time the month goes back)."""
    raw = dated_bank()
    with Workbench(tmp_path_factory.mktemp("bank") / "b.duckdb", keep_backups=0) as wb:
        wb.ingest(raw)
        wb.fit()
        yield wb


def test_the_bank_export_lands_inside_its_projected_range(bank):
    b = bank.backtest(6, min_profile=50, min_behavior=50)
    assert (b.cut, b.window, b.after) == ("2010-06-01", ("2009-06", "2010-05"),
                                          ("2010-06", "2010-11"))
    assert [m["leads"] for m in b.months] == [229, 311, 233, 303, 204, 128]
    assert b.mqls_inside is True and b.wins_inside is True
    assert b.headline.endswith(": inside the range.")
    # Its campaigns called a few thousand people one month and a few dozen another (none
    # in January and February 2010): the range is as wide as that history says.
    assert b.window_months == 12 and b.projected["mqls_low"] == 0.0
    assert b.projected["mqls_high"] > 2 * b.projected["mqls_per_month"]
    assert "duration" not in set(b.weights.table["attribute"])  # known after the call only

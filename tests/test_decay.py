"""Decay of behavior (issue 20): a half-life planted in generated leads is recovered within
its interval; points that never fade give "no decay found", even when lost leads were
closed after going quiet; without activity dates the result says what is missing; 0 days
without activity keep every point; the settings say the half-life in each tool's words."""

from __future__ import annotations

import json
import math
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

from calibrate.errors import CalibrateError
from calibrate.export.decay_settings import halving_bands, hubspot_decay
from calibrate.model.decay import (
    ALL_BEHAVIOR,
    MIN_CLASS,
    days_since,
    days_since_sql,
    decay_factor,
)
from calibrate.workbench import Workbench

PLANTED = 45.0
SENIORITY = {"C-Level": 1.2, "VP": 0.9, "Director": 0.6, "Manager": 0.3,
             "Individual Contributor": 0.0}


def planted_leads(n: int = 20_000, half_life: float | None = PLANTED, seed: int = 1, *,
                  leak: tuple[float, float] | None = None) -> pd.DataFrame:
    """Closed leads whose email clicks and web visits raise the odds of winning by an effect
    that halves every ``half_life`` days without activity (None: never fades), counted to
    the close. 85% of leads have a 'Last Activity Date', idle about 90 days on average at
    the close; with ``leak`` (mean idle days of won, lost leads) lost leads were idle
    longer at the close whatever their points (closed after going quiet)."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    closed = created + pd.to_timedelta(rng.integers(20, 200, n), unit="D")
    seniority = rng.choice(list(SENIORITY), n)
    clicks = rng.poisson(1.0, n).clip(0, 6)
    visits = rng.poisson(1.5, n)
    dated = rng.random(n) < 0.85
    idle = rng.exponential(90, n)
    fade = np.exp2(-idle / half_life) if half_life else np.ones(n)
    fade = np.where(dated, fade, 1.0)  # no date: nothing to fade since
    logit = (-2.4 + pd.Series(seniority).map(SENIORITY).to_numpy()
             + (0.55 * clicks + 0.2 * visits) * fade)
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    if leak is not None:
        idle = np.where(won, rng.exponential(leak[0], n), rng.exponential(leak[1], n))
    last = closed - pd.to_timedelta(np.floor(idle), unit="D")
    return pd.DataFrame({
        "Lead ID": [f"L{i:06d}" for i in range(n)],
        "Created Date": created.strftime("%Y-%m-%d"),
        "Close Date": closed.strftime("%Y-%m-%d"),
        "Status": np.where(won, "Won", "Lost"),
        "Seniority": seniority,
        "Email Clicks": clicks.astype(str),
        "Web Visits": visits.astype(str),
        "Last Activity Date": np.where(dated, last.strftime("%Y-%m-%d"), ""),
    })


def fitted(frame: pd.DataFrame) -> Workbench:
    wb = Workbench(keep_backups=0)
    wb.ingest(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # leak screens of generated data
        wb.fit()
    return wb


@pytest.fixture(scope="module")
def planted_bench():
    with fitted(planted_leads()) as wb:
        yield wb, wb.decay()


@pytest.fixture
def planted(planted_bench):
    return planted_bench[1]


def test_a_planted_half_life_is_recovered_within_its_interval(planted):
    (g,) = planted.groups
    assert planted.status == g.status == "estimated"
    assert (g.group, g.date_column, g.columns) == (
        ALL_BEHAVIOR, "Last Activity Date", ["Email Clicks", "Web Visits"])
    assert g.low <= PLANTED <= g.high
    assert g.low <= g.half_life_days <= g.high
    assert g.high / g.low < 2  # e.g. 38 to 62 days, not "somewhere in two years"
    assert not (g.low_open or g.high_open) and g.leak is None
    assert g.leads == 20_000 and 0.8 < g.dated / g.leads < 0.9
    assert planted.headline().startswith(
        f"Behavior fades: all behavior halves after {g.half_life_days:.0f} days without "
        f"activity (95% interval {g.low:.0f} to {g.high:.0f} days)")
    # Days count to each lead's close date; the newest date loaded is the as-of date.
    assert planted.reference.startswith("the close date of each closed lead")
    assert planted.as_of is not None and planted.as_of >= "2025-01-01"


def test_the_settings_say_the_half_life_in_each_tools_words(planted):
    days = round(planted.groups[0].half_life_days)
    s = planted.settings
    assert s["any"] == [f"all behavior: halve behavior points after {days} days without "
                        f"activity (by 'Last Activity Date' is more than {days} days ago); "
                        "the half-life rounded to whole days."]
    months, percent, implied = hubspot_decay(planted.groups[0].half_life_days)
    assert f"turn on decay: {percent}% every {months} month" in s["hubspot"][0]
    assert "'Email Clicks' and 'Web Visits'" in s["hubspot"][0]
    assert f"halves points after {round(implied)} days (the estimate: {days})" in s["hubspot"][1]
    marketo = "\n".join(s["marketo"])
    assert f"'Last Activity Date' not in past {days} days" in marketo
    assert f"once every {days} days" in marketo
    assert "if 'Behavior Score' is 100: change -50" in marketo  # the top band halves exactly
    pardot = "\n".join(s["pardot"])
    assert "Prospect score is between 90 and 99; action: Adjust prospect score by -47" in pardot
    assert f"match again after {days} days" in pardot


def test_the_result_reads_back_as_json(planted):
    doc = json.loads(json.dumps(planted.to_dict()))
    assert doc["groups"][0]["columns"] == ["Email Clicks", "Web Visits"]
    assert doc["groups"][0]["curve"][-1] == {"half_life_days": None,
                                            "loglik": pytest.approx(
                                                planted.groups[0].curve[-1]["loglik"])}
    assert set(doc["settings"]) == {"any", "hubspot", "marketo", "pardot"}
    assert "\n" not in planted.headline()


def test_points_that_never_fade_give_no_decay_found():
    with fitted(planted_leads(half_life=None, seed=2)) as wb:
        result = wb.decay()
    (g,) = result.groups
    assert result.status == g.status == "no decay found"
    assert g.high is None  # the interval reaches "no decay"
    assert result.headline() == "Decay: all behavior: no decay found."
    assert result.settings["hubspot"][0].startswith("all behavior: no decay rule. No decay "
                                                    "found:")


def test_lost_leads_closed_after_going_quiet_are_not_read_as_decay():
    """A close-date leak (lost leads idle four times longer at the close) on points that
    never fade: the recency levels take it up (without them: a false 59-day half-life)."""
    with fitted(planted_leads(half_life=None, seed=3, leak=(30, 120))) as wb:
        (g,) = wb.decay().groups
    assert g.status == "no decay found"


def test_a_strong_leak_is_flagged_before_its_settings():
    """Lost leads idle for 200 days at the close, won ones for 5: recency alone ranks the
    outcome too well, and the settings say to check before keying them in."""
    with fitted(planted_leads(seed=4, leak=(5, 200))) as wb:
        result = wb.decay()
    (g,) = result.groups
    assert g.leak is not None and "predicts the outcome" in g.leak
    assert result.headline().endswith("— check for leakage.")
    for tool in ("any", "hubspot", "marketo", "pardot"):
        assert result.settings[tool][0].startswith(
            "all behavior: check before keying in: days since 'Last Activity Date' ")


def test_without_activity_dates_it_says_what_is_missing():
    frame = planted_leads(3_000, seed=5).drop(columns=["Last Activity Date"])
    with fitted(frame) as wb:
        result = wb.decay()
    assert result.status == "cannot be estimated" and result.groups == []
    assert result.headline() == result.message
    assert result.message.startswith("Decay cannot be estimated: the loaded leads have no "
                                     "activity dates. It needs, per lead, the date of its "
                                     "last activity (e.g. 'Last Activity Date'")
    # The dates that are there, as the file names them, with what they are.
    assert ("The dates loaded are 'Created Date' (the created date), 'Close Date' (the "
            "close date).") in result.message
    assert result.settings["pardot"] == [
        "behavior: no decay rule. The loaded leads have no activity dates."]


def test_per_activity_dates_group_the_attributes_named_like_them():
    frame = planted_leads(4_000, seed=6).rename(
        columns={"Last Activity Date": "Last Email Click Date"})
    rng = np.random.default_rng(6)
    frame["Email Opens"] = rng.poisson(3, len(frame)).astype(str)
    frame["Pricing Page Views"] = rng.poisson(1, len(frame)).astype(str)
    frame["Last Web Visit Date"] = frame["Close Date"]
    frame["Last Modified Date"] = frame["Close Date"]
    with fitted(frame) as wb:
        result = wb.decay()
    groups = {g.group: g for g in result.groups}
    assert set(groups) == {"Email Click", "Web Visit"}
    assert groups["Email Click"].columns == ["Email Clicks", "Email Opens"]
    assert groups["Web Visit"].columns == ["Web Visits", "Pricing Page Views"]
    # Every web date is the close date: 0 days for all, nothing can be seen fading.
    assert groups["Web Visit"].status == "cannot be estimated"
    assert "same days since 'Last Web Visit Date'" in groups["Web Visit"].message
    assert result.skipped == {"Last Modified Date": "named like a record-keeping date, not "
                                                    "activity"}


def test_too_few_closed_leads_say_how_many_are_needed():
    with fitted(planted_leads(240, seed=7)) as wb:
        (g,) = wb.decay().groups
    assert g.status == "too few leads"
    assert f"at least {MIN_CLASS} wins and {MIN_CLASS} other closed leads" in g.message


def test_weights_scoring_a_column_the_leads_lack_is_a_message(planted_bench):
    wb = planted_bench[0]
    weights = wb.weights
    weights.table = weights.table.replace({"attribute": {"Web Visits": "Web Sessions"}})
    with pytest.raises(CalibrateError) as exc:
        wb.decay(weights=weights)
    assert "lack 1 column(s) the weights score: Web Sessions" in exc.value.what


# ------------------------------------------------------------------ boundaries


def test_zero_days_without_activity_keep_every_point():
    assert decay_factor(0, PLANTED) == 1.0
    assert decay_factor(PLANTED, PLANTED) == 0.5
    assert decay_factor(2 * PLANTED, PLANTED) == 0.25
    assert decay_factor(-3, PLANTED) == 1.0  # activity after the reference: none missed
    assert decay_factor(1_000, None) == 1.0  # no decay


def test_days_since_counts_whole_days_and_keeps_no_activity_missing():
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT {days_since_sql('a', 'r')} FROM (VALUES "
        "(DATE '2025-03-31', DATE '2025-03-31'), (TIMESTAMP '2025-03-21 23:59', "
        "DATE '2025-03-31'), (DATE '2025-04-02', DATE '2025-03-31'), "
        "(NULL, DATE '2025-03-31')) AS t(a, r)").fetchall()
    assert [r[0] for r in rows] == [0, 10, 0, None]
    con.execute("CREATE TABLE leads AS SELECT DATE '2025-01-01' AS \"Last Activity Date\"")
    assert con.execute(f"SELECT {days_since('Last Activity Date', '2025-01-31')} "
                       "FROM leads").fetchone()[0] == 30
    with pytest.raises(CalibrateError, match="is not a date"):
        days_since("Last Activity Date", "last tuesday")


def test_hubspot_takes_the_period_nearest_the_half_life_and_a_rounded_percentage():
    months, percent, implied = hubspot_decay(45)
    assert (months, percent) == (1, 35)  # 37.4% a month, rounded to 5%
    assert implied == pytest.approx(-(365.25 / 12) / math.log2(0.65))  # 49 days
    assert hubspot_decay(91.3)[:2] == (3, 50)
    assert hubspot_decay(7)[:2] == (1, 95)  # capped: 95% is the most it says


def test_halving_bands_cover_every_score_and_never_go_below_zero():
    bands, worst = halving_bands(100)
    covered = [s for lo, hi, _ in bands for s in range(lo, hi + 1)]
    assert covered == list(range(1, 101))
    assert all(minus <= lo for lo, _, minus in bands)
    assert worst <= 3
    assert halving_bands(1) == ([(1, 1, 1)], 0.5)

"""Refit or not (issue 20): the agreed weights against a refit on the last months. A planted
change of what wins makes the refit rank recent leads better and the advice name the
attribute that moved; on stationary data the advice is that no refit is needed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_recency import DATE, activity_bench

from calibrate.errors import CalibrateError
from calibrate.model import metrics as mx
from calibrate.model.lead_points import points_column, score_leads
from calibrate.model.periods import NoDatesError
from calibrate.model.recency import data_as_of
from calibrate.model.refresh import (
    MIN_HELD_OUT,
    REFIT_GAIN,
    advice_line,
    paired_auc,
    refresh,
)
from calibrate.workbench import Workbench

MONTHS = 24
PER_MONTH = 800
CHANGED_FROM = 18  # the last 6 months win differently in the planted data
SENIORITY = ["C-Level", "VP", "Director", "Manager", "Individual Contributor"]
BEFORE = {"C-Level": 1.6, "VP": 1.3, "Director": 0.9, "Manager": 0.3,
          "Individual Contributor": 0.0}
AFTER = {"C-Level": 0.0, "VP": 0.1, "Director": 0.2, "Manager": 0.8,
         "Individual Contributor": 1.6}  # the market now buys from the people who use it


def leads(changed: bool, seed: int = 1) -> pd.DataFrame:
    """Closed leads a month for 24 months (from 2024-01): seniority and pricing page views
    decide who wins; with ``changed``, seniority's effect turns round in the last 6."""
    rng = np.random.default_rng(seed)
    n = MONTHS * PER_MONTH
    month = np.repeat(np.arange(MONTHS), PER_MONTH)
    starts = pd.date_range("2024-01-01", periods=MONTHS, freq="MS")
    created = starts[month] + pd.to_timedelta(rng.integers(0, 28, n), unit="D")
    seniority = rng.choice(SENIORITY, n, p=[0.1, 0.15, 0.2, 0.25, 0.3])
    pricing = rng.poisson(1.5, n)
    industry = rng.choice(["Software", "Retail", "Finance", "Health"], n)
    late = changed & (month >= CHANGED_FROM)
    effect = np.where(late, pd.Series(seniority).map(AFTER), pd.Series(seniority).map(BEFORE))
    logit = -2.2 + effect + 0.35 * pricing
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    status = np.where(won, "Won", np.where(rng.random(n) < 0.3, "No Decision", "Lost"))
    return pd.DataFrame({"lead_id": [f"L{i:06d}" for i in range(n)],
                         "created_at": created.strftime("%Y-%m-%d"), "status": status,
                         "seniority": seniority, "industry": industry,
                         "pricing_page_views": pricing.astype(str)})


def agreed_then_reloaded(path, frame: pd.DataFrame) -> Workbench:
    """Weights fitted and agreed on the first 18 months; then every month loaded."""
    wb = Workbench(path, keep_backups=0)
    early = frame[frame["created_at"] < "2025-07-01"]
    wb.ingest(early)
    wb.fit()
    wb.save_scenario("Agreed", min_profile=50, min_behavior=30)
    wb.agree("Agreed", by="VP Sales and VP Marketing")
    wb.ingest(frame)
    return wb


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    with agreed_then_reloaded(tmp_path_factory.mktemp("planted") / "p.duckdb",
                              leads(changed=True)) as wb:
        yield wb, wb.refresh(3)


@pytest.fixture(scope="module")
def stationary(tmp_path_factory):
    with agreed_then_reloaded(tmp_path_factory.mktemp("stationary") / "s.duckdb",
                              leads(changed=False)) as wb:
        yield wb, wb.refresh(3)


def test_a_planted_change_asks_for_a_refit_naming_what_moved(planted):
    wb, r = planted
    assert r.period == ("2025-10", "2025-12")
    assert r.recent_leads == 3 * PER_MONTH and r.recent_closed == r.recent_leads
    assert r.status == "refit", r.advice
    assert r.refit_auc > r.agreed_auc + REFIT_GAIN
    assert r.gain > 2 * r.gain_se > 0
    assert r.test_wins >= MIN_HELD_OUT and r.test_leads < r.recent_closed
    assert r.advice.startswith("Refit: on the last 3 months the agreed weights rank at AUC "
                               f"{r.agreed_auc:.2f}, a refit on them at {r.refit_auc:.2f}; "
                               "seniority")
    assert r.advice.endswith("moved most.")
    assert r.attributes[0]["attribute"] == "seniority"
    assert r.agreed_auc_then is not None and r.agreed_auc_then > r.agreed_auc
    levels = r.levels_frame()
    ic = levels[(levels["attribute"] == "seniority")
                & (levels["level"] == "Individual Contributor")].iloc[0]
    c_level = levels[(levels["attribute"] == "seniority") & (levels["level"] == "C-Level")]
    assert ic["change"] > 10 and ic["leads"] > 0  # the refit now scores them high
    assert c_level.iloc[0]["change"] < -10


def test_stationary_leads_need_no_refit(stationary):
    _, r = stationary
    assert r.status == "keep", r.advice
    assert r.advice.startswith("No refit needed: on the last 3 months the agreed weights "
                               f"rank at AUC {r.agreed_auc:.2f}")
    assert r.refit_auc - r.agreed_auc < REFIT_GAIN
    assert r.attributes and all(a["moved"] >= 0 for a in r.attributes)


def test_the_json_reads_back(planted):
    import json

    data = json.loads(json.dumps(planted[1].to_dict()))
    assert data["status"] == "refit" and data["period"] == {"start": "2025-10",
                                                            "end": "2025-12"}
    assert data["refit_gain_needed"] == REFIT_GAIN and data["gain_se"] > 0
    assert {"attribute", "level", "agreed_points", "refit_points", "change",
            "leads"} <= set(data["levels"][0])


def test_recent_leads_count_recency_as_the_fit_did(tmp_path):
    """On leads with a last activity date, the agreed points of a recent lead are those
    scoring gives it when its days count to its close date, else to the newest date
    loaded (the date the refit counts to): not to today."""
    with activity_bench() as wb:
        con, weights = wb.con, wb.weights
        r = refresh(con, weights, 9)
        con.execute(f"CREATE OR REPLACE TEMP VIEW _recent AS SELECT * FROM leads WHERE "
                    f"strftime(created_at, '%Y-%m') >= '{r.period[0]}'")
        as_of = data_as_of(con)
        assert data_as_of(con, "_recent") == as_of  # the refit's newest date is the same
        recent = {row[0] for row in con.execute("SELECT lead_id FROM _recent").fetchall()}
        scores = score_leads(con, weights.table, as_of=as_of).set_index("lead_id")
        points = scores.loc[sorted(recent), points_column(DATE)]
        row = next(a for a in r.attributes if a["attribute"] == DATE)
        assert r.recent_leads == len(recent)
        assert row["agreed_points"] == pytest.approx(points.mean(), abs=1e-9)
        today = score_leads(con, weights.table).set_index("lead_id")
        assert today.loc[sorted(recent), points_column(DATE)].mean() != pytest.approx(
            row["agreed_points"], abs=0.1)
        assert r.agreed_auc is not None and r.agreed_auc > 0.6


def test_too_few_recent_leads_cannot_tell(planted):
    wb, _ = planted
    con = wb.con
    con.execute("DELETE FROM leads WHERE created_at >= '2025-12-01' AND hash(lead_id) % 10 "
                "<> 0")  # the last month thinned to about 80 leads
    r = wb.refresh(1)
    assert r.status == "unknown" and r.agreed_auc is None
    assert r.advice.startswith("Cannot tell yet: the last month (2025-12) holds")
    assert "Try more months, e.g. 4." in r.advice


def test_months_must_be_a_whole_number(stationary):
    wb, _ = stationary
    for months in (0, -2, 1.5, True):
        with pytest.raises(CalibrateError) as err:
            wb.refresh(months)
        assert f"got {months!r}" in err.value.message


def test_undated_leads_are_a_clear_message(tmp_path):
    frame = leads(changed=False).drop(columns=["created_at"]).head(3_000)
    with Workbench(tmp_path / "u.duckdb", keep_backups=0) as wb:
        wb.ingest(frame)
        with pytest.raises(NoDatesError) as err:
            wb.refresh()
    assert err.value.message.startswith("A refresh cannot be judged without lead dates")


def test_the_advice_in_each_case():
    assert advice_line(3, 0.79, 0.86, ["seniority", "pricing_page_views", "industry"],
                       0.01) == ("refit", "Refit: on the last 3 months the agreed weights "
                                 "rank at AUC 0.79, a refit on them at 0.86; seniority and "
                                 "pricing page views moved most.")
    status, line = advice_line(3, 0.85, 0.86, [], 0.01)
    assert status == "keep" and line.endswith("as well as a refit on them (0.86).")
    status, line = advice_line(3, 0.79, 0.86, ["seniority"], 0.05, 12)
    assert status == "unknown" and "hold 12 wins, too few to tell that from chance" in line


def test_paired_auc_matches_the_auc_and_a_bootstrap():
    rng = np.random.default_rng(0)
    n = 3_000
    won = (rng.random(n) < 0.2).astype(float)
    a = rng.integers(0, 20, n) + 3 * won
    b = a + rng.integers(0, 5, n) * won - rng.integers(0, 3, n)
    auc_a, auc_b, se = paired_auc(won, a, b, np.ones(n))
    assert auc_a == pytest.approx(mx.auc(won, a)) and auc_b == pytest.approx(mx.auc(won, b))
    grouped = pd.DataFrame({"w": won, "a": a, "b": b}).value_counts().reset_index()
    assert paired_auc(grouped["w"], grouped["a"], grouped["b"], grouped["count"]) == \
        pytest.approx((auc_a, auc_b, se))
    boot = []
    for _ in range(300):
        i = rng.integers(0, n, n)
        boot.append(mx.auc(won[i], b[i]) - mx.auc(won[i], a[i]))
    assert se == pytest.approx(np.std(boot), rel=0.2)
    assert np.isnan(paired_auc([1, 1], [1, 2], [2, 1], [1, 1])[2])

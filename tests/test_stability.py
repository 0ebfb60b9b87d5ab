"""Drift (issue 20): the PSI formula on hand-computed counts, its flags at exactly 0.1 and
0.25, months below the minimum marked, and the proof on data with a planted change (the
generated sample) and on a real export (the bank's month of contact)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibrate.errors import CalibrateError
from calibrate.model.periods import NoDatesError
from calibrate.model.psi import MIN_LEADS, SHIFTED, WATCH
from calibrate.tools.sample import generate
from calibrate.workbench import Workbench

from conftest import dated_bank

CHANGE = pd.Timestamp("2026-01-01")  # the planted change: industry's mix from this month
THIN = "2025-09"  # a month thinned out below the minimum
STEADY = ["seniority", "department", "lead_source", "region", "employees", "page_views",
          "pricing_page_views", "webinars_attended", "demo_request"]


# ------------------------------------------------------------- a planted change (sample)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Workbench:
    """24 months of generated leads (about 1,000 a month): from January 2026 the industry
    mix changes (60% of new leads in Education); September 2025 is thinned to about 100
    leads. The weights are fitted on all of it."""
    raw, _ = generate(24_000, seed=11)
    created = pd.to_datetime(raw["created_at"], format="mixed")
    rng = np.random.default_rng(3)
    later = (created >= CHANGE).to_numpy() & (rng.random(len(raw)) < 0.6)
    raw.loc[later, "industry"] = "Education"
    month = created.dt.strftime("%Y-%m").to_numpy()
    keep = (month != THIN) | (rng.random(len(raw)) < 0.1)
    wb = Workbench(tmp_path_factory.mktemp("planted") / "p.duckdb", keep_backups=0)
    wb.ingest(raw[keep].reset_index(drop=True))
    wb.fit()
    yield wb
    wb.close()


def test_the_planted_change_is_shifted_and_the_rest_stays_stable(planted):
    d = planted.drift()
    assert d.reference == ("2024-11", "2025-04") and d.reference_leads > 5_000
    rows = d.attributes_frame()
    reliable = rows[rows["enough"]]
    industry = reliable[reliable["attribute"] == "industry"]
    after = industry[industry["month"] >= CHANGE.strftime("%Y-%m")]
    before = industry[industry["month"] < CHANGE.strftime("%Y-%m")]
    assert len(after) == 10 and (after["psi"] >= SHIFTED).all()
    assert (after["flag"] == "shifted").all()
    assert len(before) >= 6 and (before["psi"] < WATCH).all()
    steady = reliable[reliable["attribute"].isin(STEADY)]
    assert set(steady["attribute"]) == set(STEADY)
    assert (steady["psi"] < WATCH).all(), steady.sort_values("psi").tail(3)
    # The attribute and the level that moved most are named.
    top = d.summary[0]
    assert top["attribute"] == "industry" and top["flag"] == "shifted"
    assert top["moved"].startswith("Education ") and "→" in top["moved"]
    assert d.months[-1]["moved_most"] == "industry"
    assert "industry moved most (shifted" in d.headline()
    levels = d.levels_frame()
    edu = levels[(levels["attribute"] == "industry") & (levels["level"] == "Education")
                 & (levels["month"] == d.months[-1]["month"])].iloc[0]
    assert edu["share"] > 0.5 > edu["reference_share"] and edu["term"] > 0.25


def test_months_below_the_minimum_are_marked_not_dropped(planted):
    d = planted.drift()
    thin = next(m for m in d.months if m["month"] == THIN)
    assert thin["leads"] < MIN_LEADS and not thin["enough"]
    assert d.few_leads == [THIN]
    assert all(m["enough"] for m in d.months if m["month"] != THIN)
    scores = d.scores_frame()
    assert set(scores.loc[scores["month"] == THIN, "enough"]) == {False}
    assert np.isfinite(scores["psi"]).all()  # computed all the same
    # The summary reads the latest month with enough leads.
    assert {r["month"] for r in d.summary} == {d.months[-1]["month"]}


def test_a_reference_period_and_its_errors(planted):
    d = planted.drift(("2025-01", "2025-03"))
    assert d.reference == ("2025-01", "2025-03") and d.months[0]["month"] == "2025-04"
    assert planted.drift("2025-01:2025-03").reference == d.reference
    for reference, words in ((("2019-01", "2019-06"), "holds no leads: the dated leads run "
                                                      "from 2024-11 to 2026-10"),
                             (("2026-04", "2026-10"), "No month follows the reference period "
                                                      "2026-04:2026-10"),
                             (("2025-06", "2025-01"), "starts after it ends")):
        with pytest.raises(CalibrateError) as err:
            planted.drift(reference)
        assert words in err.value.message


def test_counts_match_the_scored_leads(planted):
    """The drift's one pass codes and scores leads exactly as ``score`` does: the same
    totals, profile and behavior points and levels, counted per month."""
    from calibrate.model.lead_points import score_sql
    from calibrate.model.month_counts import month_counts
    from calibrate.model.points import encoding_from_table

    table = planted.agreed_weights().table
    con = planted.con
    counted = month_counts(con, table)
    enc = encoding_from_table(table)
    levels = ", ".join(f"{a.sql()} AS {a.name}" for a in enc)
    scored = con.execute(
        f"SELECT CAST(date_trunc('month', l.created_at) AS DATE) AS month, s.total, "
        f"s.profile_points AS profile, s.behavior_points AS behavior, {levels} "
        f"FROM ({score_sql(table)}) AS s JOIN leads AS l USING (lead_id) "
        f"WHERE l.created_at IS NOT NULL").df()
    month = pd.to_datetime(scored["month"]).dt.strftime("%Y-%m")
    labels = [m.strftime("%Y-%m") for m in counted.months]
    for score in ("total", "profile", "behavior"):
        values, matrix = counted.scores[score]
        expected = pd.crosstab(month, scored[score]).reindex(
            index=labels, columns=values, fill_value=0)
        assert (matrix == expected.to_numpy()).all(), score
    for a, matrix in zip(enc, counted.attributes, strict=True):
        expected = pd.crosstab(month, scored[a.name]).reindex(
            index=labels, columns=range(a.size), fill_value=0)
        assert (matrix == expected.to_numpy()).all(), a.name
    assert counted.undated == 0
    d = planted.drift()
    assert sum(m["leads"] for m in d.months) + d.reference_leads + d.undated == planted.leads


def test_few_distinct_values_are_coded_by_a_map_and_many_by_the_case(planted):
    from calibrate.model.month_counts import MAP_MAX, code_exprs
    from calibrate.model.points import encoding_from_table

    enc = encoding_from_table(planted.agreed_weights().table)
    exprs = dict(zip(enc.names, code_exprs(planted.con, enc), strict=True))
    assert exprs["seniority"].startswith("coalesce((MAP {")
    assert exprs["page_views"] == enc["page_views"].sql()
    assert MAP_MAX == 64


def test_the_map_codes_every_value_as_the_case_does():
    import duckdb

    from calibrate.model.encode import AttributeEncoding, Encoding
    from calibrate.model.month_counts import code_exprs

    con = duckdb.connect()
    con.execute("CREATE TABLE leads AS SELECT ['VP', 'vp ', ' Manager', 'manager', '', 'Other', "
                "'missing', 'Student', NULL][1 + (range % 9)::INTEGER] AS title, "
                "'name ' || range AS many FROM range(500)")
    enc = Encoding([AttributeEncoding("title", "profile", "categorical",
                                      ["VP", "Manager", "Other", "Missing"]),
                    AttributeEncoding("many", "profile", "categorical",
                                      ["name 1", "Other", "Missing"])])
    exprs = code_exprs(con, enc)
    assert exprs[0].startswith("coalesce((MAP {") and exprs[1] == enc["many"].sql()
    pairs = con.execute(f"SELECT {exprs[0]} AS a, {enc['title'].sql()} AS b FROM leads"
                        ).fetchall()
    assert all(a == b for a, b in pairs) and {b for _, b in pairs} == {0, 1, 2, 3}


def test_json_round_trip(planted):
    import json

    data = json.loads(json.dumps(planted.drift().to_dict()))
    assert data["thresholds"] == {"watch": 0.1, "shifted": 0.25}
    assert data["min_leads"] == MIN_LEADS and data["few_leads"] == [THIN]
    assert {r["score"] for r in data["scores"]} == {"total", "profile", "behavior"}


def test_leads_without_dates_are_a_clear_message(tmp_path):
    raw, _ = generate(2_000, seed=2)
    with Workbench(tmp_path / "u.duckdb", keep_backups=0) as wb:
        wb.ingest(raw.drop(columns=["created_at"]))
        with pytest.raises(NoDatesError) as err:
            wb.drift()
    assert err.value.message.startswith("Drift cannot be computed without lead dates")


# ------------------------------------------------------------------------ the bank export


@pytest.fixture(scope="module")
def bank_drift(tmp_path_factory):
    """The bank export with its month of contact as the lead's date: the file is in time
    order (May 2008 to November 2010) and names the month only, so the year moves on each
    time the month goes back."""
    raw = dated_bank()
    with Workbench(tmp_path_factory.mktemp("bank") / "b.duckdb", keep_backups=0) as wb:
        wb.ingest(raw)
        wb.fit()
        yield wb.drift()


def test_the_bank_export_shows_what_its_campaigns_changed(bank_drift):
    d = bank_drift
    assert d.data_months[0] == "2008-05" and d.data_months[-1] == "2010-11"
    assert d.reference == ("2008-05", "2008-10") and d.reference_leads == 24_064
    summary = {r["attribute"]: r for r in d.summary}
    # Later campaigns called back the people of earlier ones (previous contacts, their
    # outcome) by mobile phone, in other months of the year: all far from 2008's mix.
    for name in ("month", "poutcome", "previous", "contact"):
        assert summary[name]["flag"] == "shifted" and summary[name]["psi"] >= SHIFTED, name
        assert summary[name]["month"] == "2010-09"  # the latest month with 300 contacts
    assert summary["poutcome"]["moved"].startswith("nonexistent 100% → ")
    # Whether the people contacted had a housing or a personal loan did not change.
    rows = d.attributes_frame()
    for name in ("housing", "loan"):
        steady = rows[(rows["attribute"] == name) & rows["enough"]]
        assert len(steady) == 9 and (steady["psi"] < WATCH).all(), name
    assert d.summary[0]["attribute"] == "month"


def test_the_bank_months_with_few_contacts_are_marked(bank_drift):
    d = bank_drift
    leads = {m["month"]: m["leads"] for m in d.months}
    assert leads["2008-12"] == 10 and leads["2010-11"] == 128
    assert set(d.few_leads) == {m for m, n in leads.items() if n < MIN_LEADS}
    assert {"2008-12", "2009-03", "2010-11"} <= set(d.few_leads)
    assert "2008-11" not in d.few_leads and "2010-09" not in d.few_leads

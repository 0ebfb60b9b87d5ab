"""Scoring in SQL: lookups equal the points table, unknown values, reasons, evaluation; the
scoring date that new leads' days since their last activity count to."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from calibrate.errors import CalibrateError
from calibrate.model.encode import MISSING, OTHER
from calibrate.model.fit import fit
from calibrate.model.lead_points import evaluate, points_column, score_leads, score_sql, top_reasons
from calibrate.model.points import (
    axis_ranges,
    edit_points,
    grade,
    level,
    points_table,
    table_from_records,
    total_points,
)
from calibrate.model.weights import Weights
from calibrate.workbench import Workbench

from model_fixtures import bank_connection, bank_fit, make_store, synthetic_leads


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return points_table(bank_fit())


@pytest.fixture(scope="module")
def scored(table) -> pd.DataFrame:
    return score_leads(bank_connection(), table).set_index("lead_id")


def _expected_level(rows: pd.DataFrame, values: pd.Series) -> pd.Series:
    """The level each raw value falls in, worked out from the table alone (no SQL)."""
    kind = rows["kind"].iloc[0]
    levels = list(rows["level"])
    if kind == "categorical":
        own = set(levels) - {OTHER, MISSING}
        return values.map(lambda v: MISSING if v is None or pd.isna(v) or v == MISSING
                          else (v if v in own else OTHER))
    if kind == "flag":
        return values.map(lambda v: MISSING if v is None or pd.isna(v)
                          else ("Yes" if v else "No"))
    out = pd.Series(MISSING, index=values.index, dtype=object)
    for r in rows.itertuples():
        if r.level == MISSING:
            continue
        inside = values.notna()
        if not np.isnan(r.lower):
            inside &= values >= r.lower
        if not np.isnan(r.upper):
            inside &= values < r.upper
        out[inside] = r.level
    return out


def test_score_sql_reproduces_the_points_table(table, scored):
    raw = bank_connection().execute("SELECT * FROM leads").df().set_index("lead_id")
    raw = raw.loc[scored.index]
    profile = np.zeros(len(raw), dtype=np.int64)
    behavior = np.zeros(len(raw), dtype=np.int64)
    for attr, rows in table.groupby("attribute", sort=False):
        lookup = dict(zip(rows["level"], rows["points"], strict=True))
        expected = _expected_level(rows, raw[attr]).map(lookup).astype(np.int64)
        np.testing.assert_array_equal(scored[points_column(attr)].to_numpy(), expected, attr)
        if rows["axis"].iloc[0] == "profile":
            profile += expected.to_numpy()
        else:
            behavior += expected.to_numpy()
    np.testing.assert_array_equal(scored["profile_points"], profile)
    np.testing.assert_array_equal(scored["behavior_points"], behavior)
    np.testing.assert_array_equal(scored["total"],
                                  total_points(profile, behavior, axis_ranges(table)))
    np.testing.assert_array_equal(scored["grade"], grade(profile))
    np.testing.assert_array_equal(scored["level"], level(behavior))
    assert scored["total"].between(0, 100).all()


def test_cutoffs_reach_the_sql(table):
    con = bank_connection()
    out = con.execute(score_sql(table, grade_cutoffs=(30, 20, 10),
                                level_cutoffs=(90, 80, 70))).df()
    np.testing.assert_array_equal(out["grade"], grade(out["profile_points"], (30, 20, 10)))
    np.testing.assert_array_equal(out["level"], level(out["behavior_points"], (90, 80, 70)))


def test_unknown_and_missing_values_at_score_time():
    frame, info = synthetic_leads(6000, seed=4)
    con = make_store(frame, info["roles"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = fit(con, Cs=[1.0])
    table = points_table(res)
    con.execute(
        "CREATE TABLE incoming AS SELECT * FROM (VALUES "
        "('n1', 'Astronaut', 'Software', 3.0, true), "
        "('n2', NULL, 'Mining', NULL, NULL), "
        "('n3', 'VP', 'Retail', 1000.0, false), "
        "('n4', 'Missing', 'Gov''t', 0.0, true)) "
        "AS t(lead_id, title, industry, visits, demo)")
    out = score_leads(con, table, "incoming").set_index("lead_id")
    pts = table.set_index(["attribute", "level"])["points"]
    assert out.loc["n1", "points_title"] == pts[("title", OTHER)]
    assert out.loc["n2", "points_title"] == pts[("title", MISSING)]
    assert out.loc["n4", "points_title"] == pts[("title", MISSING)]
    assert out.loc["n3", "points_title"] == pts[("title", "VP")]
    assert out.loc["n2", "points_industry"] == pts[("industry", OTHER)]
    assert out.loc["n4", "points_industry"] == pts[("industry", "Gov't")]
    assert out.loc["n2", "points_visits"] == pts[("visits", MISSING)]
    top_bin = table[(table["attribute"] == "visits") & (table["level"] != MISSING)]
    assert out.loc["n3", "points_visits"] == top_bin.sort_values("code")["points"].iloc[-1]
    assert out.loc["n2", "points_demo"] == pts[("demo", MISSING)]
    assert out.loc["n1", "points_demo"] == pts[("demo", "Yes")]


def test_edits_change_the_score(table, scored):
    row = table[(table["attribute"] == "job") & (table["level"] == "student")].iloc[0]
    edited = edit_points(table, {("job", "student"): int(row["points"]) + 30})
    out = score_leads(bank_connection(), edited).set_index("lead_id")
    students = bank_connection().execute(
        "SELECT lead_id FROM leads WHERE job = 'student'").df()["lead_id"]
    diff = out.loc[students, "profile_points"] - scored.loc[students, "profile_points"]
    assert (diff == 30).all()
    others = out.index.difference(students)
    assert (out.loc[others, "profile_points"] == scored.loc[others, "profile_points"]).all()


def test_top_reasons_are_the_largest_point_contributions(table, scored):
    con = bank_connection()
    reasons = top_reasons(con, table)
    attrs = list(dict.fromkeys(table["attribute"]))
    some = scored.index[:300]
    got = reasons[reasons["lead_id"].isin(some)]
    for lead in some[:60]:
        pts = {a: int(scored.loc[lead, points_column(a)]) for a in attrs}
        expected = sorted(((p, a) for a, p in pts.items() if p > 0),
                          key=lambda t: (-t[0], t[1]))[:3]
        rows = got[got["lead_id"] == lead].sort_values("rank")
        assert list(zip(rows["points"], rows["attribute"], strict=True)) == expected
        assert list(rows["rank"]) == list(range(1, len(expected) + 1))
    row = got.iloc[0]
    assert row["reason"] == f"{row['attribute']} {row['level']} (+{row['points']})"
    levels = table.set_index(["attribute", "level"])
    assert all((a, lv) in levels.index for a, lv in zip(got["attribute"], got["level"],
                                                          strict=True))
    with_text = score_leads(con, table, reasons=3).set_index("lead_id")
    joined = got.groupby("lead_id")["reason"].agg("; ".join)
    assert (with_text.loc[joined.index, "reasons"] == joined).all()
    with pytest.raises(ValueError, match="'n'"):
        top_reasons(con, table, n=0)


def test_evaluate_shows_what_an_edit_costs(table):
    con = bank_connection()
    res = bank_fit()
    suggested = evaluate(con, table, res)
    assert suggested.leads == res.counts["test"]
    assert suggested.auc == pytest.approx(res.metrics.auc, abs=0.01)
    assert suggested.log_loss < 0.33 and len(suggested.deciles) == 10
    assert evaluate(con, table, res.split).auc == suggested.auc  # deterministic
    strongest = table.groupby("attribute")["points"].max().idxmax()
    flat = edit_points(table, {(strongest, lv): 0 for lv in
                               table.loc[table["attribute"] == strongest, "level"]})
    assert evaluate(con, flat, res).auc < suggested.auc - 0.005


def test_odd_names_and_values_are_quoted():
    frame, info = synthetic_leads(3000, seed=9)
    frame = frame.rename(columns={"title": 'job "title"', "industry": "it's"})
    frame["it's"] = frame["it's"].replace({"Retail": "Retail'; DROP TABLE leads; --"})
    roles = {("job \"title\"" if k == "title" else "it's" if k == "industry" else k): v
             for k, v in info["roles"].items()}
    con = make_store(frame, roles)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = fit(con, Cs=[1.0])
    table = points_table(res)
    assert "Retail'; DROP TABLE leads; --" in set(table["level"])
    out = score_leads(con, table, reasons=2)
    assert len(out) == 3000 and con.execute("SELECT count(*) FROM leads").fetchone()[0] == 3000
    assert points_column('job "title"') in out.columns


# ----------------------------------------------------------------------- the scoring date

DATE = "Last Activity Date"


def recency_weights() -> Weights:
    """Weights scoring seniority and the days since the last activity: 0-6 days ago 30
    points, 7-29 days ago 10, 30+ days ago and no date 0."""
    nan = float("nan")
    rows = [("profile", "Seniority", "categorical", "VP", nan, nan, 40),
            ("profile", "Seniority", "categorical", OTHER, nan, nan, 0),
            ("profile", "Seniority", "categorical", MISSING, nan, nan, 0),
            ("behavior", DATE, "recency", "0-6 days ago", nan, 7, 30),
            ("behavior", DATE, "recency", "7-29 days ago", 7, 30, 10),
            ("behavior", DATE, "recency", "30+ days ago", 30, nan, 0),
            ("behavior", DATE, "recency", MISSING, nan, nan, 0)]
    records: list[dict] = []
    for axis, name, kind, lv, lower, upper, points in rows:
        code = sum(r["attribute"] == name for r in records)
        records.append({"axis": axis, "attribute": name, "kind": kind, "level": lv,
                        "code": code, "lower": lower, "upper": upper, "points": points})
    return Weights(table=table_from_records(records))


#: New leads active 2 days before 30 June 2025, 20 days before it, and never.
NEW = pd.DataFrame({"Lead ID": ["a", "b", "c"], "Seniority": "VP",
                    DATE: ["2025-06-28", "2025-06-10", None]})


def behavior(scored: pd.DataFrame) -> dict[str, int]:
    return scored.set_index("Lead ID")["behavior_points"].to_dict()


def test_new_leads_count_their_days_to_the_scoring_date():
    weights = recency_weights()
    with Workbench(keep_backups=0) as wb:
        june = wb.score(NEW, weights=weights, as_of="2025-06-30")
        july = wb.score(NEW, weights=weights, as_of=dt.date(2025, 7, 20))  # 22 and 40 days
        today = wb.score(NEW, weights=weights)  # over a year later: every date is stale
    assert behavior(june) == {"a": 30, "b": 10, "c": 0}
    assert behavior(july) == {"a": 10, "b": 0, "c": 0}
    assert behavior(today) == {"a": 0, "b": 0, "c": 0}
    assert (june["profile_points"] == 40).all()
    assert june.set_index("Lead ID").loc["a", "reasons"].endswith(f"{DATE} 0-6 days ago (+30)")


def test_stored_leads_closed_count_to_their_close_date_open_ones_to_the_scoring_date():
    stored = NEW.assign(**{"Lead ID": ["won", "lost", "open"],
                           "Status": ["Won", "Lost", "Open"],
                           "Close Date": ["2025-06-30", "2025-06-12", None],
                           DATE: ["2025-06-28", "2025-06-10", "2025-06-28"]})
    with Workbench(keep_backups=0) as wb:
        wb.ingest(stored)
        out = wb.score(weights=recency_weights(), as_of="2025-07-10")
    # Idle 2 days at its close; 2 days at its close; 12 days on 10 July.
    assert behavior(out) == {"won": 30, "lost": 30, "open": 10}


@pytest.mark.parametrize("bad", ["2025-13-01", "30/06/2025", "yesterday", ""])
def test_a_bad_scoring_date_is_a_message_naming_it_before_any_work(bad, tmp_path):
    with Workbench(keep_backups=0) as wb, pytest.raises(CalibrateError) as caught:
        wb.score(tmp_path / "not-read.csv", weights=recency_weights(), as_of=bad)
    assert repr(bad) in caught.value.what and "is not a date" in caught.value.what
    assert caught.value.fix == "Give it as YYYY-MM-DD, e.g. 2025-06-30."

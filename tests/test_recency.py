"""Recency as a behavior attribute (issue 20): an activity date is scored by the days since
it. Recent activity earns more points than stale; a lead active exactly on a bin edge lands
in the bin its label names; closed leads count to their close date, new ones to the scoring
date; every export writes a relative date condition on the date as the file names it, read
back here with code of its own (csv, json, the SQL run in DuckDB); a close-date leak in the
activity date is left out of the fit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

from calibrate.data import store
from calibrate.data.frames import ingest_any
from calibrate.model.lead_points import score_leads
from calibrate.workbench import Workbench

DATE = "Last Activity Date"


def recency_leads(n: int = 6000, seed: int = 21) -> pd.DataFrame:
    """Closed leads whose odds of winning fall by e^-1 every 40 days without activity at
    the close (10% have no activity date)."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D")
    closed = created + pd.to_timedelta(rng.integers(20, 150, n), unit="D")
    seniority = rng.choice(["VP", "Director", "Manager"], n)
    clicks = rng.poisson(1.0, n)
    idle = np.floor(rng.exponential(60, n))
    dated = rng.random(n) < 0.9
    logit = (-1.0 + np.where(seniority == "VP", 0.8, 0.0) + 0.3 * clicks
             - np.where(dated, idle / 40, 0.5))
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    last = closed - pd.to_timedelta(idle, unit="D")
    return pd.DataFrame({
        "Lead ID": [f"L{i:05d}" for i in range(n)],
        "Created Date": created.strftime("%Y-%m-%d"),
        "Close Date": closed.strftime("%Y-%m-%d"),
        "Status": np.where(won, "Won", "Lost"),
        "Seniority": seniority,
        "Email Clicks": clicks.astype(str),
        DATE: np.where(dated, last.strftime("%Y-%m-%d"), ""),
    })


def with_activity(raw: pd.DataFrame, seed: int = 5) -> pd.DataFrame:
    """Generated leads (:func:`calibrate.tools.sample.generate`) with a last activity date:
    a closed lead's some days before its close (won ones fewer), an open lead's any day
    from its creation to the newest date; 10% have none."""
    rng = np.random.default_rng(seed)
    n = len(raw)
    created = pd.to_datetime(raw["created_at"], format="mixed").dt.normalize()
    closed = pd.to_datetime(raw["closed_at"].replace("", None), format="mixed")
    won = raw["status"].str.contains("won", case=False).to_numpy()
    idle = pd.to_timedelta(np.floor(rng.exponential(np.where(won, 20, 60))), unit="D")
    newest = max(created.max(), closed.max())
    active = created + (newest - created) * rng.random(n)
    last = (closed - idle).where(closed.notna(), active.dt.normalize())
    last = last.where(last >= created, created)
    dated = rng.random(n) < 0.9
    return raw.assign(**{DATE: np.where(dated, last.dt.strftime("%Y-%m-%d"), "")})


def activity_bench(n: int = 6_000, seed: int = 11) -> Workbench:
    """A workbench of ``n`` generated leads (:func:`with_activity`: open and closed, over
    24 months, with segments and contacts), fitted so that recency is scored."""
    from calibrate.tools.sample import generate

    raw, _ = generate(n, seed=seed)
    wb = Workbench(keep_backups=0)
    wb.ingest(with_activity(raw))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        wb.fit()
    assert DATE in set(wb.weights.table.query("kind == 'recency'")["attribute"])
    return wb


@pytest.fixture(scope="module")
def bench():
    with Workbench(keep_backups=0) as wb:
        wb.ingest(recency_leads())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            wb.fit()
        yield wb


@pytest.fixture(scope="module")
def recency(bench) -> pd.DataFrame:
    table = bench.weights.table
    return table[table["attribute"] == DATE].sort_values("code")


def days_of(label: str) -> tuple[int, float]:
    """A recency label's days, as a person reads it: "2-20 days ago" -> (2, 20),
    "126+ days ago" -> (126, inf), "0 days ago" -> (0, 0)."""
    m = re.fullmatch(r"(\d+)(?:-(\d+)|(\+))? days? ago", label)
    assert m, label
    low = int(m.group(1))
    return low, float("inf") if m.group(3) else int(m.group(2) or low)


def new_leads(days: list[int | None], today: dt.date) -> pd.DataFrame:
    """Open leads alike but for their last activity, ``days`` before ``today``."""
    return pd.DataFrame({
        "Lead ID": [f"N{i}" for i in range(len(days))],
        "Seniority": "VP", "Email Clicks": "1",
        DATE: [str(today - dt.timedelta(days=d)) if d is not None else None for d in days],
    })


def scored(frame: pd.DataFrame, table: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """``frame`` scored as new leads (no outcome), recency to ``as_of`` (default today)."""
    con = store.connect_memory()
    try:
        ingest_any(con, frame, replace=True, require_outcome=False)
        return score_leads(con, table, as_of=as_of).set_index("lead_id")
    finally:
        con.close()


def test_recent_activity_earns_more_behavior_points_than_stale(recency):
    assert set(recency["kind"]) == {"recency"} and set(recency["axis"]) == {"behavior"}
    bins = recency[recency["level"] != "Missing"]
    assert len(bins) >= 3
    assert all(label.endswith("ago") for label in bins["level"])
    points = bins["points"].tolist()
    assert points == sorted(points, reverse=True) and points[0] > points[-1] == 0
    assert recency["level"].iloc[-1] == "Missing"  # no date: a level of its own
    # The labels tile the days: each bin starts the day after the one before ends.
    spans = [days_of(label) for label in bins["level"]]
    assert spans[0][0] == 0
    assert all(b[0] == a[1] + 1 for a, b in zip(spans, spans[1:], strict=False))


def test_a_lead_active_exactly_on_a_bin_edge_lands_in_the_bin_its_label_names(recency,
                                                                               bench):
    bins = recency[recency["level"] != "Missing"].reset_index(drop=True)
    today = dt.date.today()
    edges = [int(v) for v in bins["lower"].dropna()]
    days = [d for e in edges for d in (e - 1, e)] + [None]
    out = scored(new_leads(days, today), bench.weights.table)
    got = out[f"points_{DATE}"].tolist()
    for d, points in zip(days[:-1], got, strict=False):
        (level,) = [lv for lv in bins["level"] if days_of(lv)[0] <= d <= days_of(lv)[1]]
        assert points == int(bins.loc[bins["level"] == level, "points"].iloc[0]), (d, level)
    assert got[-1] == int(recency.loc[recency["level"] == "Missing", "points"].iloc[0])


def test_closed_leads_count_to_their_close_date_and_open_ones_to_the_scoring_date(recency):
    bins = recency[recency["level"] != "Missing"]
    edge = int(bins["lower"].dropna().iloc[0])  # e.g. 2: "0-1 days ago" / "2-20 days ago"
    frame = pd.DataFrame({
        "Lead ID": ["closed", "open"], "Status": ["Won", "Open"],
        "Close Date": ["2025-03-01", None], "Seniority": "VP", "Email Clicks": "1",
        DATE: [str(dt.date(2025, 3, 1) - dt.timedelta(days=edge - 1))] * 2})
    out = scored(frame, recency, as_of=dt.date(2025, 3, 1) + dt.timedelta(days=1))
    points = bins.set_index("level")["points"]
    # Idle edge - 1 days at its close; the open lead, a day later, edge days.
    assert out.loc["closed", f"points_{DATE}"] == points.iloc[0]
    assert out.loc["open", f"points_{DATE}"] == points.iloc[1]


def rows(text: str | bytes) -> list[dict[str, str]]:
    text = text.decode("utf-8-sig") if isinstance(text, bytes) else text
    return list(csv.DictReader(io.StringIO(text)))


def test_every_export_writes_a_relative_date_condition_never_a_number(bench, recency):
    lines = [r for r in rows(bench.export("rules")) if r["field"] == DATE]
    assert [(r["operator"], r["level"]) for r in lines][0][0] == "less than days ago"
    assert {r["operator"] for r in lines} == {"less than days ago", "between days ago",
                                              "at least days ago", "is empty"}
    first = days_of(lines[0]["level"])
    assert lines[0]["value"] == str(first[1] + 1)  # "0-1 days ago": less than 2 days ago

    marketo = [r for r in rows(bench.export("marketo")) if r["attribute"] == DATE
               and r["step"] == "filter"]
    assert {r["operator"] for r in marketo} == {"in past", "in past before", "is empty"}
    assert all(re.fullmatch(r"\d+ days", r["value"]) for r in marketo
               if r["operator"] != "is empty")
    assert any(r["step"] == "schedule" for r in rows(bench.export("marketo")))

    pardot = [r for r in rows(bench.export("pardot"))
              if r["field"] == f"Prospect custom field: {DATE}"]
    assert {r["operator"] for r in pardot} >= {"is less than N days ago",
                                               "is at least N days ago"}

    doc = json.loads(bench.export("hubspot"))
    ops = [f["operation"] for g in doc["score"]["groupConfigs"] if g["groupName"] == DATE
           for r in g["ruleConfigurations"]
           for f in r["configuration"]["filterBranch"]["filters"]]
    assert {o["operationType"] for o in ops} <= {"ROLLING_DATE_RANGE", "ALL_PROPERTY"}
    rolling = [o for o in ops if o["operationType"] == "ROLLING_DATE_RANGE"]
    assert {o["operator"] for o in rolling} == {"IS_LESS_THAN_X_DAYS_AGO",
                                                "IS_MORE_THAN_X_DAYS_AGO"}

    mautic = json.loads(bench.export("mautic"))
    dates = [f for seg in mautic["segments"] for f in seg["filters"] if f["field"] == DATE]
    assert {f["type"] for f in dates} == {"date"}
    assert all(re.fullmatch(r"-\d+ days", f["properties"]["filter"]) for f in dates
               if f["operator"] in ("gt", "lte"))


def test_a_weights_file_scores_new_leads_by_their_dates(bench, tmp_path):
    """The weights exported as JSON read back with their recency levels, and score a file
    of new leads as calibrate scores them (days to today)."""
    path = tmp_path / "weights.json"
    path.write_text(bench.export("json"), encoding="utf-8")
    frame = new_leads([0, 30, 400, None], dt.date.today())
    with Workbench(keep_backups=0) as fresh:
        out = fresh.score(frame, weights=str(path)).set_index("Lead ID")
    expected = scored(frame, bench.weights.table)["behavior_points"]
    assert out["behavior_points"].to_dict() == expected.to_dict()
    assert out.loc["N0", "behavior_points"] > out.loc["N2", "behavior_points"]


def test_the_sql_export_run_in_duckdb_scores_dates_as_calibrate_does(bench, recency):
    """The portable SQL counts whole days before CURRENT_DATE with date_diff: run on new
    leads active on every edge, it gives each the behavior points calibrate gives."""
    sql = bench.export("sql")
    assert "DATE_DIFF('day', CAST(\"Last Activity Date\" AS DATE), CURRENT_DATE)" in sql
    today = dt.date.today()
    edges = [int(v) for v in recency["lower"].dropna()]
    frame = new_leads([0, *[d for e in edges for d in (e - 1, e)], 400, None], today)
    con = duckdb.connect()
    con.register("_frame", frame)
    con.execute(f'CREATE TABLE leads AS SELECT * REPLACE (CAST("{DATE}" AS DATE) AS "{DATE}")'
                " FROM _frame")
    by_sql = con.execute(f"SELECT \"Lead ID\", behavior FROM ({sql.rstrip().rstrip(';')}) "
                         "AS s").df().set_index("Lead ID")["behavior"]
    by_calibrate = scored(frame, bench.weights.table)["behavior_points"]
    assert by_sql.to_dict() == by_calibrate.to_dict()


def test_a_close_date_leak_in_the_activity_date_is_left_out_of_the_fit():
    """Lost leads idle 200 days at the close, won ones 5: the days since the last activity
    alone rank the outcome too well, so the fit's leak guard leaves the date out."""
    from test_decay import planted_leads

    with Workbench(keep_backups=0) as wb:
        wb.ingest(planted_leads(6000, seed=4, leak=(5, 200)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            weights = wb.fit()
    assert DATE not in set(weights.table["attribute"])
    (warning,) = weights.metrics["leakage"]
    assert warning.startswith(f"{DATE}: on its own it predicts the outcome")
    assert warning.endswith("(left out of the fit)")


def test_an_as_of_date_the_store_keeps_comes_before_the_newest_loaded_date():
    """Rows read in place are a sample: the store keeps the whole source's as-of date, and
    every day count (the fit's, the grid's) goes to it; forgetting it restores the
    newest loaded date."""
    from calibrate.model.recency import data_as_of, reference_sql

    with Workbench(keep_backups=0) as wb:
        wb.ingest(recency_leads(600))
        newest = data_as_of(wb.con)
        later = newest + dt.timedelta(days=90)
        store.set_as_of(wb.con, later)
        assert data_as_of(wb.con) == later
        assert later.isoformat() in reference_sql(wb.con)
        store.set_as_of(wb.con, None)
        assert data_as_of(wb.con) == newest

"""Tests for the generated leads (calibrate.tools.sample.leads): columns, rows, outcomes,
dates, junk, messy values and behaviour, and their true logit."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from calibrate.tools.sample import COLUMNS, TRUTH, generate, true_logit

N = 20_000
WON = {"Closed Won", "Won"}
LOST = {"Closed Lost", "Lost"}
NO_DECISION = {"No Decision", "Closed - No Decision"}
OPEN = {"Open", "In Progress", ""}


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return generate(N, seed=11)


@pytest.fixture(scope="module")
def frame(data: tuple[pd.DataFrame, np.ndarray]) -> pd.DataFrame:
    return data[0]


def _junk(frame: pd.DataFrame) -> pd.Series:
    """Junk as a reader of the export would detect it."""
    domain = frame["email"].str.split("@").str[-1].where(frame["email"].str.contains("@"), "")
    junk_domains = set(TRUTH["junk"]["competitor_domains"]) | set(
        TRUTH["junk"]["throwaway_domains"]
    )
    malformed = ~frame["email"].str.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z.]+")
    names = frame["first_name"] + " " + frame["last_name"]
    return (
        domain.isin(junk_domains)
        | malformed
        | names.isin(TRUTH["junk"]["fake_names"])
        | frame["phone"].isin(TRUTH["junk"]["fake_phones"])
    )


def test_deterministic_and_seed_dependent() -> None:
    a, la = generate(5_000, seed=3)
    b, lb = generate(5_000, seed=3)
    c, lc = generate(5_000, seed=4)
    pd.testing.assert_frame_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert not a.equals(c)
    assert not np.array_equal(la[:1000], lc[:1000])


def test_columns_and_string_dtypes(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, logit = data
    assert list(frame.columns) == COLUMNS
    assert all(pd.api.types.is_string_dtype(t) for t in frame.dtypes)
    assert not frame.isna().any().any()  # blanks are "" not NaN
    assert logit.dtype == np.float64 and logit.shape == (len(frame),)
    assert np.isfinite(logit).all()


def test_rows_are_n_leads_plus_adjacent_duplicates(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, logit = data
    ids = frame["lead_id"]
    assert ids.nunique() == N
    assert set(ids) == {f"L{i:07d}" for i in range(1, N + 1)}
    dup = frame.duplicated(keep="first").to_numpy()
    assert len(frame) == N + dup.sum()
    assert 0.001 < dup.mean() < 0.006
    # every duplicated row is an exact copy placed right after its original (logit too)
    assert not dup[0]
    pos = np.flatnonzero(dup)
    assert (frame.iloc[pos].to_numpy() == frame.iloc[pos - 1].to_numpy()).all()
    np.testing.assert_array_equal(logit[pos], logit[pos - 1])
    assert (ids.duplicated() == frame.duplicated()).all()


def test_outcomes(frame: pd.DataFrame) -> None:
    status = frame["status"]
    assert set(status) == WON | LOST | NO_DECISION | OPEN  # every label variant occurs
    closed = ~status.isin(OPEN)
    won = status.isin(WON)
    assert 0.02 <= won[closed].mean() <= 0.08
    nodec = status.isin(NO_DECISION)[closed & ~won].mean()
    assert 0.25 < nodec < 0.35
    assert (status[won] == "Closed Won").mean() > 0.7
    # amount only for won deals, with thousands separators
    assert (frame["amount"] != "").equals(won)
    assert frame.loc[won, "amount"].str.fullmatch(r"\d{1,3}(,\d{3})+").all()


def test_dates_and_open_rule(frame: pd.DataFrame) -> None:
    created = frame["created_at"]
    full = created.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    iso = created.str.fullmatch(r"\d{4}-\d\d-\d\d")
    us = created.str.fullmatch(r"\d\d/\d\d/\d{4}")
    assert (full | iso | us).all()
    assert 0.82 < full.mean() < 0.88 and 0.08 < iso.mean() < 0.12 and 0.035 < us.mean() < 0.065
    # US order is detectable: some month/day rows have a day > 12 in the second position
    assert (created[us].str[3:5].astype(int) > 12).any()
    assert (created[us].str[:2].astype(int) <= 12).all()
    day = pd.to_datetime(
        created.where(~us, created.str[6:10] + "-" + created.str[:2] + "-" + created.str[3:5]).str[
            :10
        ],
        format="%Y-%m-%d",
    )
    end = pd.Timestamp(date(2026, 10, 31))
    assert day.min() >= pd.Timestamp("2024-11-01") and day.max() <= end
    assert day.min() < pd.Timestamp("2024-12-01") and day.max() > pd.Timestamp("2026-10-01")
    is_open = frame["status"].isin(OPEN)
    assert (frame["closed_at"] == "").equals(is_open)
    closed_at = pd.to_datetime(frame.loc[~is_open, "closed_at"], format="%Y-%m-%d")
    lag = (closed_at - day[~is_open]).dt.days
    assert closed_at.max() <= end
    assert lag.between(0, 180).all() and (lag >= 5).mean() > 0.99
    recent = day > end - pd.Timedelta(days=60)
    assert 0.75 < is_open[recent].mean() < 0.85
    assert 0.02 < is_open[~recent].mean() < 0.06


def test_junk_never_wins(frame: pd.DataFrame) -> None:
    junk = _junk(frame)
    assert 0.02 < junk.mean() < 0.05
    assert not frame.loc[junk, "status"].isin(WON).any()
    assert frame.loc[junk, "status"].isin(LOST).any()
    domain = frame["email"].str.split("@").str[-1]
    for d in ("rivalsoft.com", "mailinator.com"):
        assert (domain == d).any()
    names = frame["first_name"] + " " + frame["last_name"]
    assert names.isin(TRUTH["junk"]["fake_names"]).any()
    assert frame["phone"].isin(["555-555-5555", "(555) 555-0100"]).any()
    assert (frame["email"] == "nobody").any() or frame["email"].str.endswith("@").any()


def test_normal_contacts_look_real(frame: pd.DataFrame) -> None:
    ok = ~_junk(frame) & (frame["phone"] != "")
    phone = frame.loc[ok, "phone"]
    assert phone.str.fullmatch(r"\+\d{1,2}-\d{3}-\d{3}-\d{4}").all()
    assert not phone.str.contains("-555-").any()
    email = frame.loc[~_junk(frame), "email"]
    assert email.str.fullmatch(r"[a-z]+\.[a-z]+@[a-z]+\.[a-z.]+").all()
    assert frame["company"].str.contains(",").any()  # "Acme Systems, Inc." needs CSV quoting
    assert frame["first_name"].str.contains("ë|é|ø", regex=True).any()  # UTF-8 names


def test_messy_values_present(frame: pd.DataFrame) -> None:
    assert 0.02 < (frame["seniority"] == "Select").mean() < 0.04
    assert (frame["department"] == "-").any()
    assert (frame["industry"] == "Unknown").any()
    assert (frame["country"] == "N/A").any()
    assert (frame["employees"] == "N/A").any()
    for col in ("phone", "seniority", "department", "industry", "country", "employees"):
        assert 0.01 < (frame[col] == "").mean() < 0.03, col
    assert (frame["region"] == "").equals(frame["country"].isin(["", "N/A"]))
    assert (frame["page_views"] == "-1").any()
    assert (frame["visits"] == "n/a").any()
    emp = frame["employees"]
    assert emp.str.fullmatch(r"\d{1,3}(,\d{3})+").any()
    assert emp.str.fullmatch(r"\d{4,}").any()  # plain large numbers too


def test_levels_and_rare_categories(frame: pd.DataFrame) -> None:
    for attr, effects in TRUTH["categorical"].items():
        if attr in frame:
            values = set(frame[attr]) - {"", "Select", "-", "Unknown"}
            assert values == set(effects), attr
    agri = (frame["industry"] == "Agriculture").mean()
    assert 0 < agri < 0.008
    counts = frame["country"].value_counts(normalize=True)
    assert len(set(counts.index) - {"", "N/A"}) == 14
    assert counts.min() < 0.006
    emp = pd.to_numeric(frame["employees"].str.replace(",", ""), errors="coerce")
    team = np.where(emp < 200, "Inside Sales", np.where(emp < 5000, "Field", "Enterprise"))
    known = emp.notna()
    assert (frame.loc[known, "sales_team"] == team[known]).all()
    assert emp.min() >= 5 and emp.max() <= 200_000


def test_behaviour_columns(frame: pd.DataFrame) -> None:
    def num(col: str) -> pd.Series:
        return pd.to_numeric(frame[col], errors="coerce")

    assert 0.02 < (frame["demo_request"] == "Yes").mean() < 0.045
    assert 0.03 < (frame["contact_us"] == "Yes").mean() < 0.055
    assert set(frame["demo_request"]) == {"Yes", "No"}
    assert (num("email_clicks") <= num("email_opens")).all()
    pv, visits = num("page_views"), num("visits")
    ok = pv.notna() & visits.notna() & (pv >= 0)
    assert (visits[ok] <= pv[ok]).mean() > 0.95
    assert (pv == 0).mean() > 0.2  # many zeros
    assert pv.quantile(0.99) > 4 * pv.mean()  # right-skewed
    assert frame["minutes_on_site"].str.fullmatch(r"\d+\.\d").all()
    assert frame["email_open_rate"].str.fullmatch(r"\d{1,3}%").all()
    # interest makes behaviours correlate
    assert np.corrcoef(num("pricing_page_views").clip(0), pv.clip(0).fillna(0))[0, 1] > 0.3


def test_won_rate_rises_with_true_logit(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, logit = data
    closed = (~frame["status"].isin(OPEN) & ~_junk(frame)).to_numpy()
    won = frame["status"].isin(WON).to_numpy()[closed]
    decile = pd.qcut(logit[closed], 10, labels=False)
    rate = pd.Series(won).groupby(decile).mean()
    assert rate.iloc[-1] > 0.15
    assert rate.iloc[-1] > 10 * rate.iloc[0]
    assert rate.iloc[-1] > rate.iloc[4] > rate.iloc[0]


def test_logit_equals_true_logit_of_clean_rows(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, logit = data
    clean = frame.copy()
    ok = pd.Series(True, index=frame.index)
    for attr, effects in TRUTH["categorical"].items():
        ok &= frame[attr].isin(list(effects))
    clean["employees"] = pd.to_numeric(frame["employees"].str.replace(",", ""), errors="coerce")
    for col in TRUTH["numeric"]:
        if col != "employees":
            clean[col] = pd.to_numeric(frame[col], errors="coerce")
        ok &= clean[col].notna() & (clean[col] >= 0)
    assert ok.mean() > 0.8
    np.testing.assert_allclose(true_logit(clean[ok]), logit[ok.to_numpy()], atol=1e-9)

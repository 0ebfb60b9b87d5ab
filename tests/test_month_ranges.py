"""The month bootstrap behind the MQL and win ranges: known answers, its bounds, and the
per-month counts against the MQL rule applied lead by lead."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from calibrate.decide.grid import Grid, grid_from_frame
from calibrate.decide.month_ranges import (
    DRAWS,
    LEVEL,
    MIN_MONTHS,
    bootstrap,
    month_counts,
    month_mqls,
    month_ranges,
    resample_weights,
)
from calibrate.decide.tradeoff import RANGE_FIELDS, Figures, Settings, figures, figures_for

MONTHS = pd.date_range("2023-01-01", periods=24, freq="MS")
RULES = [None, "qualified:demo_request", "disqualified:student"]
OUTCOMES = ["won", "lost", "no_decision", "open"]


def leads_by_month(n: int, seed: int) -> pd.DataFrame:
    """Leads over 24 months whose inflow grows and swings, a few without a month or a
    segment, some auto-qualified or auto-disqualified."""
    rng = np.random.default_rng(seed)
    weights = (1 + np.arange(24) / 12) * rng.uniform(0.5, 1.5, 24)
    month = pd.Series(MONTHS[rng.choice(24, n, p=weights / weights.sum())])
    p = rng.integers(0, 101, n)
    b = rng.integers(0, 101, n)
    won = rng.random(n) < (p + b) / 400
    outcome = np.where(won, "won", rng.choice(["lost", "no_decision", "open"], n))
    return pd.DataFrame({
        "profile_points": p, "behavior_points": b, "total": (p + b) // 2,
        "outcome": outcome, "rule": rng.choice(np.array(RULES, dtype=object), n,
                                               p=[0.85, 0.08, 0.07]),
        "month": month.where(rng.random(n) > 0.05),
        "segment": pd.Series(rng.choice(["field", "inside"], n), dtype=object).where(
            rng.random(n) > 0.05),
    })


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return leads_by_month(6000, seed=19)


@pytest.fixture(scope="module")
def grid(leads: pd.DataFrame) -> Grid:
    return grid_from_frame(leads)


def brute_month_mqls(leads: pd.DataFrame, months: list, main: Settings,
                     own: dict[str, Settings]) -> np.ndarray:
    """MQLs by outcome in each month, the rule applied lead by lead: auto-qualified
    always, auto-disqualified never, a segment with its own bar at that bar."""
    cls = leads["rule"].map(lambda r: "none" if not isinstance(r, str) else r.split(":")[0])
    passes = pd.Series(False, index=leads.index)
    for seg in [None, *own]:
        s = own.get(seg, main) if seg else main
        rows = (leads["segment"] == seg) if seg else ~leads["segment"].isin(list(own))
        passes |= rows & (leads.profile_points >= s.min_profile) & (
            leads.behavior_points >= s.min_behavior)
    mql = leads[(cls == "qualified") | ((cls == "none") & passes)]
    table = pd.crosstab(mql["month"], mql["outcome"]).reindex(
        index=months, columns=OUTCOMES, fill_value=0)
    return table.to_numpy(float)


# ------------------------------------------------------------------ known answers


def test_identical_months_give_a_zero_width_range_at_the_point() -> None:
    month = [30, 50, 20, 40]  # won, lost, no decision, open
    got = bootstrap(np.tile(month, (12, 1)))
    assert got["mqls_per_month_low"] == got["mqls_per_month_high"] == pytest.approx(140)
    # wins a month as figures() projects them: conversion 30/100 x 140 MQLs
    assert got["wins_per_month_low"] == got["wins_per_month_high"] == pytest.approx(42)


def test_one_month_doubled_widens_the_range_around_the_mean() -> None:
    months = np.tile([30.0, 50, 20, 40], (12, 1))
    months[4] *= 2
    got = bootstrap(months)
    mean = months.sum() / 12
    assert 140 <= got["mqls_per_month_low"] < mean < got["mqls_per_month_high"] <= 280
    wins = 0.3 * mean  # the same conversion every month
    assert got["wins_per_month_low"] < wins < got["wins_per_month_high"]
    # more swing, a wider range
    months[7] *= 3
    wider = bootstrap(months)
    assert (wider["mqls_per_month_high"] - wider["mqls_per_month_low"]
            > got["mqls_per_month_high"] - got["mqls_per_month_low"])


def test_the_range_is_the_central_90_percent_of_the_resampled_means() -> None:
    rng = np.random.default_rng(3)
    months = rng.integers(0, 50, (15, 4)).astype(float)
    draws = resample_weights(15) @ months.sum(axis=1) / 15
    got = bootstrap(months)
    assert LEVEL == 0.90
    assert got["mqls_per_month_low"] == pytest.approx(np.quantile(draws, 0.05))
    assert got["mqls_per_month_high"] == pytest.approx(np.quantile(draws, 0.95))


def test_fewer_than_the_minimum_months_give_no_range() -> None:
    months = np.tile([3.0, 5, 2, 4], (MIN_MONTHS, 1))
    months[0] *= 2
    assert all(v is not None for v in bootstrap(months).values())
    assert bootstrap(months[:-1]) == dict.fromkeys(RANGE_FIELDS)
    assert MIN_MONTHS == 3


def test_no_closed_mql_gives_volume_but_no_wins_range() -> None:
    got = bootstrap(np.tile([0.0, 0, 0, 7], (6, 1)))
    assert got["mqls_per_month_low"] == pytest.approx(7)
    assert got["wins_per_month_low"] is None and got["wins_per_month_high"] is None


def test_the_bootstrap_is_seeded_and_its_draws_are_kept() -> None:
    rng = np.random.default_rng(5)
    months = rng.integers(0, 80, (18, 4)).astype(float)
    assert bootstrap(months) == bootstrap(months)
    assert bootstrap(months, seed=7) != bootstrap(months)
    weights = resample_weights(18)
    assert weights is resample_weights(18)  # drawn once per (months, draws, seed)
    assert weights.shape == (DRAWS, 18) and (weights.sum(axis=1) == 18).all()
    assert not weights.flags.writeable


# ------------------------------------------------------------------ on a grid


def test_month_counts_are_the_mql_rule_month_by_month(grid: Grid, leads: pd.DataFrame
                                                      ) -> None:
    """Segments with their own bar count at their bar in every month, auto-qualified
    leads always, auto-disqualified never."""
    window = list(MONTHS[-12:])
    main = Settings(min_profile=40, min_behavior=30, months_in_window=12)
    own = {"field": dataclasses.replace(main, min_profile=75, min_behavior=10)}
    got = month_mqls(grid, window, main, list(own.items()))
    expected = brute_month_mqls(leads, window, main, own)
    assert np.array_equal(got, expected)
    # counted at the main bar instead, field's months differ: its own bar was used
    assert not np.array_equal(month_mqls(grid, window, main), expected)
    f = figures_for(grid, window, main, own)
    assert got.sum(axis=0).tolist() == [f.wins, f.lost, f.no_decision, f.open]


def test_the_draw_of_every_month_once_is_the_point(grid: Grid) -> None:
    """Undated leads (all history) spread over the months, and a months_in_window other
    than the window's, still give the point figures from the whole window."""
    for window, settings in ((None, Settings(min_profile=35, min_behavior=45)),
                             (list(MONTHS[-6:]), Settings(months_in_window=4)),
                             (None, Settings(mode="total", min_total=60))):
        per_month = month_mqls(grid, window, settings)
        f = figures(grid.cube(window, None), settings)
        assert per_month.sum() / len(per_month) == pytest.approx(f.mqls_per_month)
        total = per_month.sum(axis=0)
        conversion = total[0] / total[:3].sum()
        assert conversion * per_month.sum() / len(per_month) == pytest.approx(
            f.wins_per_month)


def test_figures_for_gives_ranges_around_the_point(grid: Grid) -> None:
    window = list(MONTHS[-12:])
    s = Settings(min_profile=40, min_behavior=40, months_in_window=12)
    f = figures_for(grid, window, s)
    assert f.mqls_per_month_low < f.mqls_per_month < f.mqls_per_month_high
    assert f.wins_per_month_low < f.wins_per_month < f.wins_per_month_high
    assert f.point() == figures(grid.cube(window, None), s)  # the points are figures()'
    assert figures(grid.cube(window, None), s).mqls_per_month_low is None  # O(1): no range
    stricter = figures_for(grid, window, dataclasses.replace(s, min_profile=80))
    assert stricter.mqls_per_month_high < f.mqls_per_month_low
    only = figures_for(grid, window, s, only="Field")
    assert only.mqls_per_month_low == month_ranges(grid, window, s, segment="field")[
        "mqls_per_month_low"] < f.mqls_per_month_low


def test_the_minimum_window_has_a_range_and_one_month_less_has_none(grid: Grid) -> None:
    s = Settings()
    shortest = figures_for(grid, list(MONTHS[-MIN_MONTHS:]), s)
    assert shortest.mqls_per_month_low is not None and shortest.wins_per_month_low is not None
    too_short = figures_for(grid, list(MONTHS[-(MIN_MONTHS - 1):]), s)
    assert all(getattr(too_short, k) is None for k in RANGE_FIELDS)
    assert too_short.mqls_per_month > 0  # the point is still there


def test_undated_leads_have_no_range(leads: pd.DataFrame) -> None:
    undated = grid_from_frame(leads.assign(month=pd.NaT))
    f = figures_for(undated, None, Settings())
    assert not f.dated and all(getattr(f, k) is None for k in RANGE_FIELDS)


def test_month_counts_are_kept_per_grid_window_and_segment(grid: Grid) -> None:
    window = list(MONTHS[-12:])
    a = month_counts(grid, window, "field")
    assert month_counts(grid, reversed(window), "field") is a
    assert month_counts(grid, window, "inside") is not a
    assert a.above.shape == (102, 102, 13, 4) and not a.above.flags.writeable
    whole = month_counts(grid, window)
    # the months add up to the window's cube
    assert np.array_equal(whole.above.sum(axis=2), grid.cube(window, None).above)
    assert np.array_equal(whole.total_above.sum(axis=1), grid.cube(window, None).total_above)


# ------------------------------------------------------------------ saved figures


def test_figures_saved_before_the_ranges_still_load(grid: Grid) -> None:
    """A scenario's figures as saved (to_dict leaves the ranges out, as figures saved
    before they existed) rebuild into Figures with no range."""
    f = figures_for(grid, list(MONTHS[-12:]), Settings(months_in_window=12))
    saved = f.to_dict()
    assert not set(RANGE_FIELDS) & set(saved)
    back = Figures(**saved)
    assert back == f.point() and back.mqls_per_month_low is None
    full = f.to_dict(ranges=True)
    assert Figures(**full) == f and not math.isnan(full["wins_per_month_high"])

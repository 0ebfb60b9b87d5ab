"""The backtest's own count grid (:mod:`calibrate.decide.bar_grid`): its points collapsed to
the bars in play and its auto-rules evaluated only where they can change an MQL, it counts
the MQLs, wins and leads of the full grid at those bars, month by month, also on leads with
a last activity date and over a view of some of the leads (as the backtest counts)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from test_recency import activity_bench

from calibrate.decide import workshop
from calibrate.decide.bar_grid import bar_grid
from calibrate.decide.grid import Grid
from calibrate.decide.tradeoff import Settings, figures, mql_counts
from calibrate.thresholds import Bar
from calibrate.tools.sample import generate
from calibrate.workbench import Workbench

LEADS = 20_000  # about 830 a month over 24 months, to 2026-10
AGREED = Settings(min_profile=40, min_behavior=30)


@pytest.fixture(scope="module")
def generated():
    """Generated leads (24 months; most of the last two months' leads still open), fitted."""
    raw, _ = generate(LEADS, seed=11)
    with Workbench(keep_backups=0) as wb:
        wb.ingest(raw)
        wb.fit()
        yield wb


def with_bar(s: Settings, profile: int, behavior: int) -> Settings:
    return s.with_bar(Bar(min_profile=profile, min_behavior=behavior))


def full_grid(wb: Workbench) -> Grid:
    """The full count grid (every threshold) of the weights in force."""
    return workshop.workshop_grid(wb.con, wb.weights, workshop.rules_of(wb.weights))


def assert_counts_alike(full: Grid, small: Grid, bars: list[Settings],
                        months: list[dt.date]) -> None:
    """At each bar (the first for every lead, the last for the Enterprise segment's own
    when there are two) the same MQLs, wins and leads, over all of ``months`` and in each."""
    own = [("Enterprise", bars[-1])] if len(bars) == 2 else []
    for when in [months, *([m] for m in months)]:
        for seg, bar, seg_own in ((None, bars[0], own), ("Enterprise", bars[-1], [])):
            cubes = [(grid.cube(when, seg), [(grid.cube(when, s), x) for s, x in seg_own])
                     for grid in (full, small)]
            (a, a_own), (b, b_own) = cubes
            assert np.array_equal(mql_counts(a, bar, a_own)[1], mql_counts(b, bar, b_own)[1])
            fa, fb = figures(a, bar, a_own), figures(b, bar, b_own)
            assert (fb.mqls, fb.wins, fb.closed, fb.open, fb.auto_qualified, fb.leads,
                    fb.wins + fb.nurture_wins + fb.disqualified_wins) == (
                fa.mqls, fa.wins, fa.closed, fa.open, fa.auto_qualified, fa.leads,
                fa.wins + fa.nurture_wins + fa.disqualified_wins)


BAR_SETS = [[AGREED, with_bar(AGREED, 70, 55)], [Settings(mode="total", min_total=45)]]


def test_the_bar_grid_counts_mqls_as_the_full_grid(generated):
    """At every bar in play (a segment's own and a total's too), month by month, the full
    grid's MQLs, wins and leads, from a grid several times smaller."""
    full = full_grid(generated)
    for bars in BAR_SETS:
        small = bar_grid(generated.con, generated.weights, bars)
        assert small.months == full.months and small.leads == full.leads
        assert len(small.frame) < len(full.frame) / 5
        assert_counts_alike(full, small, bars, full.months[-8:])
    every = full.cube(None, None)
    assert every.qualified.sum() > 0 and every.disqualified.sum() > 0  # the rules did fire


def test_leads_with_an_activity_date_over_a_view_count_as_the_full_grid():
    """With recency scored, the grid over a view of some months' leads (as the backtest
    builds it) counts those months as the full grid over every lead does: each lead's days
    count to the same date in both (the newest date of all the leads, not the view's)."""
    start, end = dt.date(2025, 3, 1), dt.date(2026, 3, 1)
    with activity_bench() as wb:
        full = full_grid(wb)
        cur = wb.con.cursor()
        cur.execute("CREATE TEMP VIEW _some AS SELECT * FROM leads WHERE created_at >= "
                    f"DATE '{start.isoformat()}' AND created_at < DATE '{end.isoformat()}'")
        months = [m for m in full.months if start <= m < end]
        for bars in BAR_SETS:
            small = bar_grid(cur, wb.weights, bars, "_some")
            assert small.months == months
            assert_counts_alike(full, small, bars, months)
        cur.close()

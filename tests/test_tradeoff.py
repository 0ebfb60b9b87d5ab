"""Workshop figures, curves, heatmap and suggestions against brute force over the leads."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest

from calibrate.decide.grid import OUTCOMES, Cube, Grid, grid_from_frame
from calibrate.decide.grid_views import heatmap, score_distribution
from calibrate.decide.suggestion import suggest
from calibrate.decide.sweep import pareto_front, tradeoff_curve
from calibrate.decide.tradeoff import (
    Settings,
    cell_label,
    figures,
    figures_for,
    own_bars,
    period,
    segment_figures,
    wilson,
)
from calibrate.model.points import DEFAULT_CUTOFFS, band_floors

from frames import select

MONTHS = pd.date_range("2023-07-01", periods=12, freq="MS")
RULES = [None, "qualified:demo_request", "disqualified:fake_name", "disqualified:student"]
CLOSED = ("won", "lost", "no_decision")


def synthetic_leads(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = np.clip(rng.normal(50, 28, n).round(), 0, 100).astype(int)
    b = np.clip(rng.gamma(2.2, 17, n).round(), 0, 100).astype(int)
    won = rng.random(n) < 1 / (1 + np.exp(-(-4.2 + 0.03 * p + 0.04 * b)))
    other = rng.choice(["lost", "no_decision", "open"], n, p=[0.55, 0.3, 0.15])
    outcome = np.where(won, "won", other)
    rule = rng.choice(np.array(RULES, dtype=object), n, p=[0.88, 0.05, 0.04, 0.03])
    month = pd.Series(MONTHS[rng.integers(0, 12, n)]).where(rng.random(n) > 0.04)
    segment = pd.Series(rng.choice(["field", "inside"], n, p=[0.35, 0.65]),
                        dtype=object).where(rng.random(n) > 0.03)
    amount = np.where(outcome == "won", rng.gamma(2.0, 8000, n).round(2), np.nan)
    amount[rng.random(n) < 0.2] = np.nan
    return pd.DataFrame({
        "profile_points": p, "behavior_points": b,
        "total": np.clip((2 * p + b) // 3 + rng.integers(-2, 3, n), 0, 100),
        "outcome": outcome, "rule": rule, "month": month, "segment": segment,
        "amount": amount,
    })


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return synthetic_leads(2500, seed=11)


@pytest.fixture(scope="module")
def grid(leads: pd.DataFrame) -> Grid:
    return grid_from_frame(leads)


def rate(num: int, den: int) -> float:
    return num / den if den else math.nan


def brute_figures(sel: pd.DataFrame, s: Settings, months: float) -> dict[str, Any]:
    """Every figure computed directly from the lead rows, with pandas."""
    cls = sel["rule"].map(lambda r: "none" if not isinstance(r, str) else r.split(":")[0])
    if s.mode == "both":
        passes = (sel["profile_points"] >= s.min_profile) & (
            sel["behavior_points"] >= s.min_behavior)
    else:
        passes = sel["total"] >= s.min_total
    mql = sel[(cls == "qualified") | ((cls == "none") & passes)]
    nurture = sel[(cls == "none") & ~passes]
    dis = sel[cls == "disqualified"]
    closed = int(mql["outcome"].isin(CLOSED).sum())
    wins = int((mql["outcome"] == "won").sum())
    n_closed = int(nurture["outcome"].isin(CLOSED).sum())
    n_wins = int((nurture["outcome"] == "won").sum())
    conv = rate(wins, closed)
    won_amounts = sel.loc[sel["outcome"] == "won", "amount"].dropna()
    value = s.value_per_win if s.value_per_win is not None else (
        won_amounts.mean() if len(won_amounts) else None)
    cost = s.cost_per_lead_worked or 0.0
    wins_pm = conv * len(mql) / months
    cap = s.capacity
    return {
        "leads": len(sel), "mqls": len(mql), "mqls_per_month": len(mql) / months,
        "scored_mqls": int(((cls == "none") & passes).sum()),
        "auto_qualified": int((cls == "qualified").sum()), "closed": closed, "wins": wins,
        "lost": int((mql["outcome"] == "lost").sum()),
        "no_decision": int((mql["outcome"] == "no_decision").sum()),
        "open": int((mql["outcome"] == "open").sum()), "conversion": conv,
        "wins_per_month": wins_pm,
        "win_share": rate(wins, int((sel["outcome"] == "won").sum())),
        "no_decision_rate": rate(int((mql["outcome"] == "no_decision").sum()), closed),
        "nurture": len(nurture), "nurture_per_month": len(nurture) / months,
        "nurture_closed": n_closed, "nurture_wins": n_wins,
        "nurture_win_rate": rate(n_wins, n_closed), "disqualified": len(dis),
        "disqualified_wins": int((dis["outcome"] == "won").sum()),
        "capacity": cap, "capacity_used": None if cap is None else len(mql) / months / cap,
        "value_per_win": value,
        "expected_value_per_month": None if value is None else wins_pm * value
        - len(mql) / months * cost,
    }


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == pytest.approx(b, rel=1e-12, abs=1e-9)


def assert_figures(fig: Any, expected: dict[str, Any]) -> None:
    wrong = {k: (getattr(fig, k), v) for k, v in expected.items() if not same(getattr(fig, k), v)}
    assert not wrong


PAIRS = [(0, 0), (100, 100), (0, 100), (100, 0), (50, 50), (37, 21), (75, 60), (101, 0),
         (12, 88)]


@pytest.mark.parametrize("p,b", PAIRS)
def test_figures_match_brute_force(grid: Grid, leads: pd.DataFrame, p: int, b: int) -> None:
    s = Settings(min_profile=p, min_behavior=b, reps=4, leads_per_rep_per_month=30,
                 cost_per_lead_worked=40.0)
    fig = figures(grid.cube(), s)
    assert_figures(fig, brute_figures(leads, s, 12))
    assert fig.cell == cell_label(min(p, 100), b)


@pytest.mark.parametrize("months,segment", [
    (list(MONTHS[:3]), None), (None, "field"), (list(MONTHS[5:]), "inside"), ([], "field"),
])
def test_figures_on_filtered_cubes(grid: Grid, leads: pd.DataFrame, months: list | None,
                                   segment: str | None) -> None:
    cube = grid.cube(months, segment)
    window = len(months) if months is not None else 12
    for p, b in [(0, 0), (40, 30), (100, 100)]:
        s = Settings(min_profile=p, min_behavior=b, value_per_win=1000.0,
                     months_in_window=None)
        assert_figures(figures(cube, s), brute_figures(select(leads, months, segment), s,
                                                       max(window, 1)))


@pytest.mark.parametrize("t", [0, 35, 60, 100])
def test_figures_total_mode(grid: Grid, leads: pd.DataFrame, t: int) -> None:
    s = Settings(mode="total", min_total=t, months_in_window=6)
    fig = figures(grid.cube(), s)
    assert_figures(fig, brute_figures(leads, s, 6))
    assert fig.cell is None


def test_empty_segment_has_figures_without_errors(grid: Grid) -> None:
    for cube in (grid.cube(segment="nobody"), Cube.empty()):
        fig = figures(cube, Settings(reps=2, leads_per_rep_per_month=10))
        assert fig.mqls == 0 and fig.closed == 0 and fig.wins == 0
        assert math.isnan(fig.conversion) and math.isnan(fig.conversion_low)
        assert math.isnan(fig.wins_per_month) and math.isnan(fig.win_share)
        assert fig.capacity_used == 0.0 and fig.expected_value_per_month is None
        assert not suggest(cube, Settings(reps=2, leads_per_rep_per_month=10)).found
        assert heatmap(cube)["leads"].sum() == 0
        assert tradeoff_curve(cube, Settings()).empty


def test_segment_figures_use_each_segments_settings(grid: Grid, leads: pd.DataFrame) -> None:
    settings = {None: Settings(min_profile=20, min_behavior=20),
                "field": Settings(min_profile=70, min_behavior=10)}
    got = segment_figures(grid, settings)
    assert set(got) == {"field", "inside"}
    for seg in got:
        s = settings.get(seg, settings[None])
        assert_figures(got[seg], brute_figures(select(leads, None, seg), s, 12))


def test_wilson_against_hand_computed_values() -> None:
    # 8 wins out of 40 closed: p = 0.2, z = 1.96 -> centre 0.22630, half-width 0.12129
    low, high = wilson(8, 40)
    assert (round(low, 4), round(high, 4)) == (0.1050, 0.3476)
    z = 1.959963984540054
    p, n = 0.2, 40
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (low, high) == pytest.approx((centre - half, centre + half), rel=1e-12)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    assert wilson(0, 10)[1] == pytest.approx(z * z / (10 + z * z))
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_cell_labels_and_bands() -> None:
    assert band_floors(4) == [75, 50, 25, 0]
    assert band_floors(3) == [67, 34, 0]
    assert cell_label(75, 75) == "A1"
    assert cell_label(74, 50) == "B2"
    assert cell_label(0, 0) == "D4"
    assert cell_label(100, 24) == "A4"
    assert cell_label(25, 49) == "C3"
    with pytest.raises(ValueError):
        band_floors(0)


def test_the_grid_cells_and_the_scored_grades_share_one_set_of_bands() -> None:
    """A lead's grade and level (scoring) name the same cell as the workshop grid."""
    from calibrate.model.points import grade, level

    assert DEFAULT_CUTOFFS == (75, 50, 25)
    for p in (0, 24, 25, 49, 50, 74, 75, 100):
        for b in (0, 25, 50, 75, 99):
            assert cell_label(p, b) == f"{grade([p])[0]}{level([b])[0]}"


def test_heatmap_matches_brute_force(grid: Grid, leads: pd.DataFrame) -> None:
    cube = grid.cube()
    hm = heatmap(cube)
    assert list(hm["cell"]) == [f"{g}{lv}" for g in "ABCD" for lv in range(1, 5)]
    none = leads[leads["rule"].isna()]
    labels = [cell_label(p, b) for p, b in zip(none["profile_points"],
                                                none["behavior_points"], strict=True)]
    direct = none.assign(cell=labels).groupby("cell")
    for row in hm.itertuples():
        part = direct.get_group(row.cell) if row.cell in direct.groups else none.iloc[:0]
        closed = int(part["outcome"].isin(CLOSED).sum())
        wins = int((part["outcome"] == "won").sum())
        assert (row.leads, row.closed, row.wins) == (len(part), closed, wins)
        assert same(row.win_rate, rate(wins, closed))
    assert heatmap(cube, include_rules=True)["leads"].sum() == len(leads)
    assert len(heatmap(cube, bands=3)) == 9


@pytest.mark.parametrize("axis,column", [("profile", "profile_points"),
                                          ("behavior", "behavior_points"), ("total", "total")])
def test_score_distribution_matches_brute_force(grid: Grid, leads: pd.DataFrame, axis: str,
                                                column: str) -> None:
    dist = score_distribution(grid.cube(), axis)  # type: ignore[arg-type]
    assert list(dist["points"]) == list(range(101))
    none = leads[leads["rule"].isna()]
    direct = pd.crosstab(none[column], none["outcome"]).reindex(range(101), fill_value=0)
    for o in OUTCOMES:
        assert dist[o].tolist() == direct.get(o, pd.Series(0, index=range(101))).tolist()
    assert dist["leads"].sum() == len(none)
    every = score_distribution(grid.cube(), axis, include_rules=True)  # type: ignore[arg-type]
    assert every["leads"].sum() == len(leads)


@pytest.mark.parametrize("axis", ["profile", "behavior", "total"])
def test_single_axis_sweeps_match_figures(grid: Grid, axis: str) -> None:
    cube = grid.cube()
    s = Settings(min_profile=30, min_behavior=40, min_total=45,
                 mode="total" if axis == "total" else "both")
    curve = tradeoff_curve(cube, s, axis=axis)  # type: ignore[arg-type]
    assert len(curve) == 101
    for row in curve.iloc[::7].itertuples():
        fig = figures(cube, Settings(mode=s.mode, min_profile=row.min_profile,
                                     min_behavior=row.min_behavior, min_total=row.min_total))
        assert row.mqls == fig.mqls and row.wins == fig.wins
        assert same(row.conversion, fig.conversion)
        assert same(row.wins_per_month, fig.wins_per_month)
        assert same(row.conversion_low, fig.conversion_low)


def test_both_axes_curve_is_the_pareto_frontier_of_the_lattice(grid: Grid) -> None:
    cube = grid.cube()
    lattice = tradeoff_curve(cube, Settings(), axis="both", frontier=False)
    assert len(lattice) == 21 * 21
    front = tradeoff_curve(cube, Settings(), axis="both")
    assert 0 < len(front) < len(lattice)
    assert front["mqls_per_month"].is_monotonic_decreasing
    assert front["conversion"].is_monotonic_increasing
    pts = lattice.dropna(subset=["conversion"])
    vol, conv = pts["mqls_per_month"].to_numpy(), pts["conversion"].to_numpy()
    front_keys = set(zip(front["min_profile"], front["min_behavior"], strict=True))
    for p, b, v, c in zip(pts["min_profile"], pts["min_behavior"], vol, conv, strict=True):
        dominated = ((vol >= v) & (conv >= c) & ((vol > v) | (conv > c))).any()
        if (p, b) in front_keys:
            assert not dominated
        elif not dominated:  # an exact duplicate of a frontier point
            assert ((front["mqls_per_month"] == v) & (front["conversion"] == c)).any()


def test_pareto_front_small_case() -> None:
    vol = np.array([10.0, 8.0, 8.0, 5.0, 5.0, 3.0, 1.0])
    conv = np.array([0.1, 0.2, 0.15, 0.2, 0.3, np.nan, 0.3])
    assert pareto_front(vol, conv).tolist() == [0, 1, 4]


# ------------------------------------------------------------------------- suggest


def brute_lattice(sel: pd.DataFrame, step: int = 1) -> list[dict[str, Any]]:
    """Counts for every (p, b) candidate directly from the leads (numpy broadcasting)."""
    cls = sel["rule"].map(lambda r: "none" if not isinstance(r, str) else r.split(":")[0])
    none = (cls == "none").to_numpy()
    qual = (cls == "qualified").to_numpy()
    pts = sel["profile_points"].to_numpy()
    bts = sel["behavior_points"].to_numpy()
    onehot = np.stack([(sel["outcome"] == o).to_numpy() for o in OUTCOMES], axis=1).astype(int)
    lat = np.arange(0, 101, step)
    out = []
    for p in lat:
        mask = (none & (pts >= p))[:, None] & (bts[:, None] >= lat[None, :])
        mask |= qual[:, None]
        counts = mask.T.astype(int) @ onehot  # (len(lat), 4)
        for j, b in enumerate(lat):
            c = counts[j]
            out.append({"p": int(p), "b": int(b), "mqls": int(c.sum()),
                        "closed": int(c[:3].sum()), "wins": int(c[0])})
    return out


def brute_best(cands: list[dict[str, Any]], months: int, objective: str,
               capacity: float | None = None, floor: float | None = None) -> tuple | None:
    """The best candidate by exact rational arithmetic and explicit tie rules."""
    best, best_key = None, None
    for i, c in enumerate(cands):
        if c["closed"] == 0:
            continue
        conv = Fraction(c["wins"], c["closed"])
        if objective == "max_wins_within_capacity":
            if Fraction(c["mqls"], months) > Fraction(capacity):
                continue
            key = (conv * c["mqls"] / months, conv, -i)
        else:
            if conv < Fraction(floor):
                continue
            key = (c["mqls"], conv, -i)
        if best_key is None or key > best_key:
            best, best_key = (c["p"], c["b"]), key
    return best


@pytest.fixture(scope="module")
def lattice(leads: pd.DataFrame) -> list[dict[str, Any]]:
    return brute_lattice(leads)


@pytest.mark.parametrize("capacity", [15.0, 40.0, 90.0])
def test_suggest_max_wins_matches_brute_force(grid: Grid, lattice: list[dict[str, Any]],
                                              capacity: float) -> None:
    cube = grid.cube()
    s = Settings(reps=1, leads_per_rep_per_month=capacity)
    got = suggest(cube, s)
    want = brute_best(lattice, 12, "max_wins_within_capacity", capacity=capacity)
    assert got.found and got.thresholds == want
    assert got.figures is not None and got.figures.mqls_per_month <= capacity
    assert got.figures == figures(cube, got.settings)  # type: ignore[arg-type]
    assert got.candidates == 101 * 101


@pytest.mark.parametrize("floor", [0.1, 0.25, 0.4])
def test_suggest_conversion_floor_matches_brute_force(grid: Grid, lattice: list[dict[str, Any]],
                                                      floor: float) -> None:
    s = Settings()
    got = suggest(grid.cube(), s, objective="conversion_floor", floor=floor)
    want = brute_best(lattice, 12, "conversion_floor", floor=floor)
    assert got.found and got.thresholds == want
    assert got.figures is not None and got.figures.conversion >= floor


def test_suggest_on_a_coarse_lattice_and_a_segment(grid: Grid, leads: pd.DataFrame) -> None:
    months = list(MONTHS[:6])
    cube = grid.cube(months, "inside")
    sel = select(leads, months, "inside")
    s = Settings(reps=2, leads_per_rep_per_month=12)
    got = suggest(cube, s, step=5)
    cands = brute_lattice(sel, step=5)
    assert got.thresholds == brute_best(cands, 6, "max_wins_within_capacity", capacity=24)
    assert got.candidates == 21 * 21
    got = suggest(cube, s, objective="conversion_floor", floor=0.2, step=5)
    assert got.thresholds == brute_best(cands, 6, "conversion_floor", floor=0.2)


def test_suggest_total_mode(grid: Grid, leads: pd.DataFrame) -> None:
    s = Settings(mode="total", reps=1, leads_per_rep_per_month=50)
    got = suggest(grid.cube(), s)
    best, best_key = None, None
    for t in range(101):
        f = brute_figures(leads, Settings(mode="total", min_total=t), 12)
        if f["closed"] == 0 or f["mqls_per_month"] > 50:
            continue
        key = (round(f["wins_per_month"], 9), round(f["conversion"], 9), -t)
        if best_key is None or key > best_key:
            best, best_key = t, key
    assert got.found and got.thresholds == (best,)
    assert got.min_profile is None and got.settings is not None
    assert got.settings.min_total == best


def test_suggest_explains_when_nothing_qualifies(grid: Grid) -> None:
    cube = grid.cube()
    no_capacity = suggest(cube, Settings())
    assert not no_capacity.found and "capacity" in no_capacity.reason
    assert no_capacity.thresholds is None and no_capacity.figures is None
    tiny = suggest(cube, Settings(reps=1, leads_per_rep_per_month=1))
    assert not tiny.found and tiny.reason.startswith(
        "Nothing fits within capacity: auto-qualified leads alone send")
    high = suggest(cube, Settings(), objective="conversion_floor", floor=1.01)
    assert not high.found and "best reachable" in high.reason
    no_floor = suggest(cube, Settings(), objective="conversion_floor")
    assert not no_floor.found and "floor" in no_floor.reason
    with pytest.raises(ValueError):
        suggest(cube, Settings(), objective="nope")  # type: ignore[arg-type]


def test_settings_round_trip() -> None:
    s = Settings(mode="total", min_total=61, reps=3, leads_per_rep_per_month=40,
                 value_per_win=12_000.0)
    assert Settings.from_dict(s.to_dict()) == s
    assert s.capacity == 120.0 and Settings().capacity is None
    with pytest.raises(ValueError):
        Settings.from_dict({"colour": "red"})


def test_figures_for_counts_each_segment_at_its_own_bar(grid: Grid, leads: pd.DataFrame
                                                         ) -> None:
    """The whole definition (a main bar, "field" with its own) counted by hand: field
    leads at 70/10, every other lead (inside, and leads with no segment) at 20/20."""
    main = Settings(min_profile=20, min_behavior=20)
    own = {" FIELD ": Settings(min_profile=70, min_behavior=10)}  # matched trimmed, no case
    got = figures_for(grid, None, main, own)
    cls = leads["rule"].map(lambda r: "none" if not isinstance(r, str) else r.split(":")[0])
    field = leads["segment"] == "field"
    bar = np.where(field, (leads.profile_points >= 70) & (leads.behavior_points >= 10),
                   (leads.profile_points >= 20) & (leads.behavior_points >= 20))
    mql = (cls == "qualified") | ((cls == "none") & bar)
    assert got.mqls == int(mql.sum())
    assert got.wins == int((mql & (leads.outcome == "won")).sum())
    assert got.nurture == int(((cls == "none") & ~bar).sum())
    assert got.leads == len(leads)
    # a segment at the main bar changes nothing; an unknown segment adds nothing
    same = figures_for(grid, None, main, {"field": main, "nowhere": own[" FIELD "]})
    assert same.point() == figures(grid.cube(None, None), main)  # point(): no month ranges
    # limited to one segment: that segment's leads alone
    only = figures_for(grid, None, main, only="inside")
    assert only.point() == figures(grid.cube(None, "inside"), main)
    assert figures_for(grid, None, main, only="nowhere").leads == 0


def test_own_bars_keep_only_segments_that_differ() -> None:
    main = Settings(min_profile=60, min_behavior=45, min_total=10)
    same = Settings(min_profile=60, min_behavior=45, min_total=99)  # total unused in "both"
    other = Settings(min_profile=60, min_behavior=46)
    assert own_bars(main, {"a": same, "b": other}) == {"b": other}


# ------------------------------------------------------------- words the screen shows


def test_the_floor_suggestion_says_plainly_when_it_is_over_capacity(grid: Grid) -> None:
    cube = grid.cube()
    roomy = suggest(cube, Settings(), objective="conversion_floor", floor=0.1)
    assert roomy.found and not roomy.over_capacity
    tight = Settings(reps=1, leads_per_rep_per_month=5)
    got = suggest(cube, tight, objective="conversion_floor", floor=0.1)
    assert got.found and got.over_capacity and got.figures is not None
    assert got.figures.capacity_used is not None and got.figures.capacity_used > 1
    used = f"{100 * got.figures.capacity_used:.0f}%"
    assert got.reason.startswith("Suggested profile ≥ ")
    assert f"Over capacity: {used} of what sales can work" in got.reason
    assert "sales can work 5)" in got.reason and "floor of 10%" in got.reason
    # counts a month are whole numbers (one decimal only below 10), never 156.3
    mqls = got.figures.mqls_per_month
    assert f"{mqls:.0f} MQLs a month" in got.reason and f"{mqls:.1f}" not in got.reason
    within = suggest(cube, Settings(reps=1, leads_per_rep_per_month=40))
    assert within.found and not within.over_capacity and "Over capacity" not in within.reason
    assert "the most wins within what sales can work (40 a month)" in within.reason


def test_the_capacity_suggestion_says_plainly_when_nothing_fits() -> None:
    from calibrate.decide.figure_text import no_fit_reason

    assert no_fit_reason(10, 2.0, 45.2) == (
        "Nothing fits within capacity: even the strictest thresholds with a measurable "
        "conversion send 45 MQLs a month and sales can work 10. Add reps or leads per rep, "
        "or suggest by a conversion floor instead.")
    assert no_fit_reason(10, 12.4, 45.2).startswith(
        "Nothing fits within capacity: auto-qualified leads alone send 12 MQLs a month and "
        "sales can work 10.")
    assert no_fit_reason(10, 0.0, None) == (
        "No threshold leaves a closed lead to measure conversion on.")


def test_capacity_status_words_never_rely_on_colour() -> None:
    from calibrate.decide.figure_text import capacity_status

    over = capacity_status(2.07, 400.0, 828.0)
    assert over is not None and over.over and over.fill == 1.0
    assert over.text == ("Over capacity: 207% of what sales can work (828 MQLs a month; "
                         "sales can work 400).")
    within = capacity_status(0.62, 400.0, 248.0)
    assert within is not None and not within.over and within.fill == 0.62
    assert within.text == "62% of what sales can work (248 of 400 MQLs a month)."
    assert capacity_status(None, None, 10.0) is None
    assert capacity_status(math.inf, 0.0, 3.0).over  # type: ignore[union-attr]


def test_period_says_in_all_when_the_leads_have_no_dates(leads: pd.DataFrame,
                                                         grid: Grid) -> None:
    assert period(grid.cube()) == period(grid.cube(list(MONTHS[-3:]))) == "per month"
    undated = grid_from_frame(leads.assign(month=pd.NaT))
    assert undated.months == [] and period(undated.cube()) == "in all"
    # The figures carry it, so a saved scenario reads its counts the same way later.
    assert figures(grid.cube(), Settings()).dated
    assert not figures(undated.cube(), Settings()).dated


def test_heatmap_counts_leads_a_month_as_the_headline_does(grid: Grid) -> None:
    cube = grid.cube(list(MONTHS[-6:]))
    cells = heatmap(cube)
    assert np.allclose(cells["leads_per_month"], cells["leads"] / 6)
    assert np.allclose(heatmap(cube, months=3)["leads_per_month"], cells["leads"] / 3)

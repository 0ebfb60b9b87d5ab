"""The count grid and its cubes against counts taken directly from a synthetic lead table."""

from __future__ import annotations

import datetime as dt
import threading

import duckdb
import numpy as np
import pandas as pd
import pytest

from calibrate.decide.grid import (
    OUTCOMES,
    Cube,
    Grid,
    GridKey,
    as_month,
    build_grid,
    grid_from_frame,
    months_between,
    store_grid,
    stored_grid,
)

from frames import same_counts, select

MONTHS = pd.date_range("2024-01-01", periods=12, freq="MS")
RULES = [None, "qualified:demo_request", "qualified:contact_us",
         "disqualified:competitor", "disqualified:student"]


def synthetic_leads(n: int = 3000, seed: int = 1) -> pd.DataFrame:
    """Scored leads with edge points (0 and 100), missing months and segments, rules."""
    rng = np.random.default_rng(seed)
    p = np.clip(rng.normal(45, 30, n).round(), 0, 100).astype(int)
    b = np.clip(rng.gamma(2.0, 18, n).round(), 0, 100).astype(int)
    logit = -4 + 0.03 * p + 0.035 * b
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    other = rng.choice(["lost", "no_decision", "open"], n, p=[0.6, 0.25, 0.15])
    outcome = np.where(won & (rng.random(n) < 0.9), "won", other)
    rule = rng.choice(np.array(RULES, dtype=object), n, p=[0.86, 0.04, 0.03, 0.04, 0.03])
    month = pd.Series(MONTHS[rng.integers(0, 12, n)]).where(rng.random(n) > 0.05)
    segment = pd.Series(rng.choice(["smb", "mid", "ent"], n, p=[0.6, 0.3, 0.1]),
                        dtype=object).where(rng.random(n) > 0.05)
    amount = np.where(outcome == "won", rng.gamma(2.0, 5000, n).round(2), np.nan)
    amount[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({
        "profile_points": p, "behavior_points": b,
        "total": np.clip((p + b) // 2 + rng.integers(-3, 4, n), 0, 100),
        "outcome": outcome, "rule": rule, "month": month, "segment": segment,
        "amount": amount,
    })


def rule_class(rule: pd.Series) -> pd.Series:
    return rule.map(lambda r: "none" if not isinstance(r, str) else r.split(":")[0])


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return synthetic_leads()


@pytest.fixture(scope="module")
def grid(leads: pd.DataFrame) -> Grid:
    return grid_from_frame(leads)


def test_grid_counts_every_lead_once(grid: Grid, leads: pd.DataFrame) -> None:
    assert grid.leads == len(leads)
    assert grid.months == [d.date() for d in MONTHS]
    assert grid.segments == ["ent", "mid", "smb"]
    f = grid.frame
    assert list(f.columns[:7]) == ["profile_points", "behavior_points", "total",
                                   "rule_class", "outcome", "month", "segment"]
    assert len(f) < len(leads)  # aggregated
    key = ["profile_points", "behavior_points", "outcome"]
    direct = {k: int(v) for k, v in leads.groupby(key).size().items()}
    via_grid = f.groupby(key, observed=True)["leads"].sum()
    assert {(int(p), int(b), str(o)): int(v) for (p, b, o), v in via_grid.items()} == direct


@pytest.mark.parametrize("months,segment", [
    (None, None), (None, "mid"), (["2024-03", "2024-04-01"], None),
    ([dt.date(2024, 12, 5), pd.Timestamp("2024-01-20")], "ent"), ([], None),
])
def test_cube_cells_match_direct_counts(grid: Grid, leads: pd.DataFrame, months: list | None,
                                        segment: str | None) -> None:
    month_starts = None if months is None else [as_month(m) for m in months]
    sel = select(leads, month_starts, segment)
    cube = grid.cube(months, segment)
    assert cube.leads == len(sel)
    cls = rule_class(sel["rule"])
    for k, name in enumerate(["none", "qualified", "disqualified"]):
        part = sel[cls == name]
        dense = np.zeros((101, 101, 4), dtype=np.int64)
        o = part["outcome"].map(OUTCOMES.index).to_numpy(dtype=np.int64)
        np.add.at(dense, (part["profile_points"].to_numpy(), part["behavior_points"].to_numpy(),
                          o), 1)
        np.testing.assert_array_equal(cube.cells[k], dense)
        totals = np.zeros((101, 4), dtype=np.int64)
        np.add.at(totals, (part["total"].to_numpy(), o), 1)
        np.testing.assert_array_equal(cube.totals[k], totals)
    none = sel[cls == "none"]
    for name, arr in (("none", cube.scored), ("qualified", cube.qualified),
                      ("disqualified", cube.disqualified)):
        counts = sel[cls == name]["outcome"].value_counts()
        assert arr.tolist() == [int(counts.get(o, 0)) for o in OUTCOMES]
    for p, b in [(0, 0), (100, 100), (0, 100), (100, 0), (37, 12), (55, 70), (101, 0)]:
        above = none[(none["profile_points"] >= p) & (none["behavior_points"] >= b)]
        counts = above["outcome"].value_counts()
        assert cube.above[p, b].tolist() == [int(counts.get(o, 0)) for o in OUTCOMES]
    for t in (0, 33, 100, 101):
        counts = none[none["total"] >= t]["outcome"].value_counts()
        assert cube.total_above[t].tolist() == [int(counts.get(o, 0)) for o in OUTCOMES]
    won = sel[sel["outcome"] == "won"]["amount"].dropna()
    assert cube.won_with_amount == len(won)
    assert cube.won_amount == pytest.approx(won.sum())


def test_cube_window_length(grid: Grid) -> None:
    assert grid.cube().months == 12
    assert grid.cube(["2024-02", "2024-05"]).months == 2
    assert grid.cube(["2023-01", "2024-01"]).months == 2  # a month without leads still counts
    assert grid.cube().month_list == tuple(grid.months)
    assert months_between(dt.date(2023, 11, 1), dt.date(2024, 2, 1)) == 4


def test_undated_leads_only_in_the_unfiltered_cube(grid: Grid, leads: pd.DataFrame) -> None:
    all_months = grid.cube(grid.months)
    assert grid.cube().leads - all_months.leads == leads["month"].isna().sum()


def test_unknown_or_empty_segment_gives_empty_cube(grid: Grid) -> None:
    empty = grid.cube(segment="nobody")
    assert empty.leads == 0
    assert not empty.above.any() and not empty.total_above.any()
    assert empty.mean_won_amount is None
    assert Cube.empty().leads == 0


def test_cubes_are_cached_and_read_only(grid: Grid) -> None:
    a = grid.cube(["2024-03", "2024-01"], "smb")
    b = grid.cube([dt.date(2024, 1, 1), dt.date(2024, 3, 9)], "smb")
    assert a is b
    with pytest.raises(ValueError):
        a.above[0, 0, 0] = 1


def test_build_grid_from_sql_clips_and_defaults() -> None:
    con = duckdb.connect()
    con.execute("""CREATE TABLE scored AS SELECT * FROM (VALUES
        (120, -5, 150, 'won', NULL, DATE '2024-01-15', 'a'),
        (NULL, 50, 30, NULL, 'qualified:x', NULL, NULL),
        (40.6, 50, 30, 'lost', 'disqualified:y', DATE '2024-03-01', 'b')
    ) t(profile_points, behavior_points, total, outcome, rule, month, segment)""")
    grid = build_grid(con, "SELECT * FROM scored;")
    cube = grid.cube()
    assert cube.cells[0, 100, 0, 0] == 1  # clipped to 0..100
    assert cube.totals[0, 100, 0] == 1
    assert cube.cells[1, 0, 50, 3] == 1  # NULL points -> 0, NULL outcome -> open
    assert cube.cells[2, 41, 50, 1] == 1  # rounded
    assert grid.months == [dt.date(2024, 1, 1), dt.date(2024, 3, 1)]
    assert cube.months == 3
    assert cube.won_amount == 0 and cube.mean_won_amount is None  # no amount column


def test_build_grid_rejects_bad_input() -> None:
    con = duckdb.connect()
    base = ("SELECT 1 AS profile_points, 2 AS behavior_points, 3 AS total, {o} AS outcome, "
            "NULL AS rule, NULL::DATE AS month, NULL AS segment")
    with pytest.raises(ValueError, match="unknown outcome.*'maybe'"):
        build_grid(con, base.format(o="'maybe'"))
    with pytest.raises(ValueError, match="lacks column"):
        build_grid(con, "SELECT 1 AS profile_points")


def test_empty_scored_query() -> None:
    con = duckdb.connect()
    grid = build_grid(con, "SELECT 1 AS profile_points, 2 AS behavior_points, 3 AS total, "
                           "'won' AS outcome, NULL AS rule, NULL::DATE AS month, "
                           "NULL AS segment WHERE false")
    assert grid.leads == 0 and grid.months == [] and grid.segments == []
    cube = grid.cube()
    assert cube.leads == 0 and cube.months == 1


# -- kept in the store ----------------------------------------------------------------------

KEY = GridKey(data_version=3, weights_id=7, fingerprint="abc123")


def sorted_frame(g: Grid) -> pd.DataFrame:
    """The grid's counts in one order, text columns as plain objects (a stored grid reads
    them back as categoricals)."""
    f = g.frame.copy()
    for col in ("rule_class", "outcome", "segment"):
        f[col] = pd.Series([None if pd.isna(v) else str(v) for v in f[col]], dtype=object)
    return f.sort_values(list(f.columns[:7]), na_position="first").reset_index(drop=True)


def test_a_stored_grid_reads_back_with_identical_counts(grid: Grid, con) -> None:
    assert stored_grid(con, KEY) is None  # nothing kept yet
    assert store_grid(con, KEY, grid)
    back = stored_grid(con, KEY)
    assert back is not None and back.origin == "stored" and grid.origin == "built"
    same_counts(grid, back)
    pd.testing.assert_frame_equal(sorted_frame(back), sorted_frame(grid))
    assert not store_grid(con, KEY, grid)  # kept already: not written twice
    assert con.execute("SELECT count(*) FROM grids").fetchone() == (1,)
    for other in (GridKey(3, 7, "other"), GridKey(4, 7, "abc123"), GridKey(3, 8, "abc123")):
        assert stored_grid(con, other) is None  # another fingerprint, data or weights


def test_keeping_a_grid_prunes_those_of_other_data_and_older_weights(grid: Grid, con) -> None:
    older = GridKey(3, 5, "old")
    other_data = GridKey(2, 9, "abc123")
    for key in (older, other_data, KEY):
        assert store_grid(con, key, grid)
    assert stored_grid(con, older) is None and stored_grid(con, other_data) is None
    assert con.execute("SELECT data_version, weights_id FROM grids").fetchall() == [(3, 7)]
    assert con.execute("SELECT count(DISTINCT grid_id) FROM grid_cells").fetchone() == (1,)


def test_a_grid_of_another_format_is_not_read(grid: Grid, con, monkeypatch) -> None:
    from calibrate.decide import grid as grid_module

    assert store_grid(con, KEY, grid)
    monkeypatch.setattr(grid_module, "GRID_FORMAT", grid_module.GRID_FORMAT + 1)
    assert stored_grid(con, KEY) is None  # counted by an older definition: rebuilt


def test_segment_names_with_quotes_round_trip(leads: pd.DataFrame, con) -> None:
    odd = leads.assign(segment=leads["segment"].map(
        {"smb": "O'Brien & Co", "mid": "mid", "ent": "ENUM('x')"}))
    grid = grid_from_frame(odd)
    assert store_grid(con, KEY, grid)
    back = stored_grid(con, KEY)
    assert back.segments == grid.segments == ["ENUM('x')", "O'Brien & Co", "mid"]
    same_counts(grid, back)


def test_an_empty_grid_is_kept_too(con) -> None:
    empty = build_grid(con, "SELECT 1 AS profile_points, 2 AS behavior_points, 3 AS total, "
                            "'won' AS outcome, NULL AS rule, NULL::DATE AS month, "
                            "NULL AS segment WHERE false")
    assert store_grid(con, KEY, empty)
    back = stored_grid(con, KEY)
    assert back is not None and back.leads == 0 and back.months == [] == back.segments


def test_a_grid_is_not_kept_where_it_cannot_be(grid: Grid, con, tmp_path) -> None:
    from calibrate.data import store

    memory = store.connect_memory()
    assert not store_grid(memory, KEY, grid)  # in memory: the workbench's own cache holds it
    memory.close()
    done = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store.WRITE_LOCK:
            done.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        done.wait(10)
        assert not store_grid(con, KEY, grid)  # another thread is writing: not waited for
    finally:
        release.set()
        holder.join()
    assert stored_grid(con, KEY) is None
    con.close()
    path = tmp_path / "calibrate.duckdb"
    reader = store.connect(path, read_only=True)
    assert not store_grid(reader, KEY, grid)  # read-only: nothing written, nothing raised
    reader.close()

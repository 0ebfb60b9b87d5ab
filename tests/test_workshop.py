"""What the workshop screen stands on: the weights in force and the count grid, which is kept
in the store so that a new process (the app after a restart) reads it instead of scoring
every lead again (issue 19)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_recency import DATE, activity_bench

from calibrate.data import store
from calibrate.decide import workshop
from calibrate.model.lead_points import score_leads
from calibrate.model.recency import data_as_of
from calibrate.model.revisions import with_edits, with_rules
from calibrate.model.weights import save_weights

from conftest import SAMPLE_CSV
from frames import same_counts

ROWS = 4_000


@pytest.fixture(scope="module")
def fitted_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 sample leads ingested and fitted once (copied by each test)."""
    from calibrate.data.ingest import ingest

    folder = tmp_path_factory.mktemp("workshop")
    csv = folder / "leads.csv"
    pd.read_csv(SAMPLE_CSV, nrows=ROWS, dtype=str, keep_default_na=False).to_csv(
        csv, index=False)
    path = folder / "template.duckdb"
    con = store.connect(path)
    ingest(con, csv, replace=True)
    workshop.active_weights(con)  # fitted and saved
    con.close()
    return path


@pytest.fixture
def db(fitted_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "calibrate.duckdb"
    shutil.copy(fitted_template, path)
    return path


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The weights ids of the grids scored from the leads (not read from the store)."""
    calls: list[int | None] = []
    real = workshop.workshop_grid

    def counting(con, weights, rules):
        calls.append(weights.id)
        return real(con, weights, rules)

    monkeypatch.setattr(workshop, "workshop_grid", counting)
    return calls


def kept(con) -> list[tuple]:
    return con.execute("SELECT data_version, weights_id, fingerprint, rows FROM grids "
                       "ORDER BY id").fetchall()


def test_the_grid_is_built_once_then_read_from_the_store(db, builds):
    con = store.connect(db)
    weights = workshop.active_weights(con)
    rules = workshop.rules_of(weights)
    first = workshop.kept_grid(con, weights, rules)
    assert first.origin == "built" and builds == [weights.id]
    fingerprint = workshop.fingerprint(weights, rules)
    assert kept(con) == [(store.data_version(con), weights.id, fingerprint, len(first.frame))]
    con.close()

    con = store.connect(db)  # a new process, as the app after a restart
    again = workshop.kept_grid(con, weights, rules)
    assert again.origin == "stored" and builds == [weights.id]  # read, not scored again
    fresh = workshop.workshop_grid(con, weights, rules)
    same_counts(fresh, again)  # identical to a fresh count
    assert int(again.frame["leads"].sum()) == store.lead_count(con)
    con.close()


def test_other_points_or_rules_are_counted_again_and_replace_the_kept_grid(db, builds):
    con = store.connect(db)
    weights = workshop.active_weights(con)
    workshop.kept_grid(con, weights, workshop.rules_of(weights))
    row = weights.table.iloc[0]
    edited = with_edits(weights, {(row.attribute, row.level): int(row.points) + 5})
    save_weights(con, edited, store.data_version(con))
    grid = workshop.kept_grid(con, edited, workshop.rules_of(edited))
    assert grid.origin == "built" and builds == [weights.id, edited.id]
    assert [k[1] for k in kept(con)] == [edited.id]  # the older weights' grid is pruned

    ruled = with_rules(edited, {**workshop.rules_of(edited).to_dict(),
                                "competitor_domains": ["rival.example"]})
    save_weights(con, ruled, store.data_version(con))
    assert workshop.kept_grid(con, ruled, workshop.rules_of(ruled)).origin == "built"
    assert [k[1] for k in kept(con)] == [ruled.id]
    # A grid kept under the same weights id but other points or rules is never read.
    ruled.table.loc[0, "points"] += 1
    assert workshop.kept_grid(con, ruled, workshop.rules_of(ruled)).origin == "built"
    assert len(kept(con)) == 1 and kept(con)[0][2] == workshop.fingerprint(
        ruled, workshop.rules_of(ruled))
    con.close()


def test_unsaved_weights_are_counted_and_not_kept(db, builds):
    con = store.connect(db)
    weights = workshop.active_weights(con)
    unsaved = with_edits(weights, {})
    assert unsaved.id is None
    assert workshop.kept_grid(con, unsaved, workshop.rules_of(unsaved)).origin == "built"
    assert kept(con) == [] and builds == [None]
    con.close()


def test_a_read_only_store_builds_in_memory_and_writes_nothing(db, builds):
    con = store.connect(db, read_only=True)
    weights = workshop.active_weights(con)  # fitted and saved by the template
    grid = workshop.kept_grid(con, weights, workshop.rules_of(weights))
    assert grid.origin == "built" and kept(con) == []
    con.close()
    con = store.connect(db)
    workshop.kept_grid(con, weights, workshop.rules_of(weights))  # kept now
    con.close()
    con = store.connect(db, read_only=True)
    assert workshop.kept_grid(con, weights, workshop.rules_of(weights)).origin == "stored"
    assert builds == [weights.id, weights.id]
    con.close()


def test_an_old_schema_file_builds_in_memory_read_only_and_keeps_once_upgraded(db, builds):
    con = store.connect(db)
    con.execute("DROP TABLE grid_cells")
    con.execute("DROP TABLE grids")
    con.execute("DROP SEQUENCE grid_id_seq")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    reader = store.connect(db, read_only=True)
    weights = workshop.active_weights(reader)
    assert workshop.kept_grid(reader, weights, workshop.rules_of(weights)).origin == "built"
    reader.close()
    con = store.connect(db)  # upgraded to the current schema
    assert workshop.kept_grid(con, weights, workshop.rules_of(weights)).origin == "built"
    assert workshop.kept_grid(con, weights, workshop.rules_of(weights)).origin == "stored"
    assert builds == [weights.id, weights.id]
    con.close()


# ------------------------------------------------------------------------------ recency

POINTS = ["profile_points", "behavior_points", "total"]


@pytest.fixture(scope="module")
def active():
    """Generated leads with a last activity date, fitted: recency is scored."""
    with activity_bench() as wb:
        yield wb


def grid_points(con, weights, source: str = "leads") -> pd.DataFrame:
    sql = workshop.scored_sql(con, weights, workshop.rules_of(weights), source)
    return con.execute(sql).df().set_index("lead_id")[POINTS].sort_index()


def test_the_grid_counts_recency_as_the_fit_did_not_to_today(active):
    """A closed lead's days count to its close date, any other's to the newest date loaded
    (as in the fit): the grid gives every lead the points ``score_leads`` gives with that
    date, and other points than counting to today would."""
    con, table = active.con, active.weights.table
    as_of = data_as_of(con)
    want = score_leads(con, table, as_of=as_of).set_index("lead_id")[POINTS].sort_index()
    got = grid_points(con, active.weights)
    assert len(got) == active.leads
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    today = score_leads(con, table).set_index("lead_id")[POINTS].sort_index()
    assert (today["behavior_points"] != got["behavior_points"]).sum() > 100
    grid = workshop.workshop_grid(con, active.weights, workshop.rules_of(active.weights))
    assert int(grid.frame["leads"].sum()) == active.leads


def test_a_view_of_older_leads_counts_to_the_newest_date_of_all(active):
    """Scored over a view of some leads (as the backtest scores), a lead without a close
    date still counts to the newest date of all the leads, not of the view's."""
    con, table = active.con, active.weights.table
    con.execute("CREATE OR REPLACE TEMP VIEW _older AS SELECT * FROM leads "
                "WHERE created_at < DATE '2025-09-01'")
    undated_close, newest = con.execute(
        f'SELECT count(*) FILTER (WHERE closed_at IS NULL AND "{DATE}" IS NOT NULL), '
        f'max(greatest(created_at::DATE, closed_at::DATE, "{DATE}"::DATE))::DATE FROM _older'
    ).fetchone()
    assert undated_close > 0 and newest < data_as_of(con)  # the case in point
    got = grid_points(con, active.weights, "_older")
    want = score_leads(con, table, as_of=data_as_of(con)).set_index("lead_id")[POINTS]
    pd.testing.assert_frame_equal(got, want.loc[got.index], check_dtype=False)

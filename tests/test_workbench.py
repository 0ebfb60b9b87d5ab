"""The Python API: a notebook user's whole path on one Workbench, checked against the CLI's
and the core's own answers."""

from __future__ import annotations

import inspect
import io
import subprocess
import sys

import pandas as pd
import pytest

import calibrate
from calibrate.cli import main
from calibrate.data import store
from calibrate.decide.scenarios import find_scenario
from calibrate.errors import CalibrateError

from conftest import SAMPLE_CSV

ROWS = 6_000


@pytest.fixture(scope="module")
def leads() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_CSV, nrows=ROWS, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def wb(leads):
    with calibrate.Workbench() as bench:
        bench.ingest(leads.iloc[:5_000])
        bench.fit()
        yield bench


def test_import_is_light_and_the_api_is_documented():
    code = ("import sys, calibrate; heavy = [m for m in ('duckdb', 'pandas', 'sklearn', "
            "'streamlit') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"  # heavy imports wait for first use
    assert calibrate.Workbench.__module__ == "calibrate.workbench"
    public = [n for n, _ in inspect.getmembers(calibrate.Workbench) if not n.startswith("_")]
    assert {"ingest", "fit", "points", "figures", "suggest", "save_scenario", "agree",
            "score", "export"} <= set(public)
    for name in public:
        doc = inspect.getdoc(getattr(calibrate.Workbench, name))
        assert doc and len(doc) > 30, name
    assert "Examples" in inspect.getdoc(calibrate.Workbench)


def test_a_frame_loads_as_its_file_does(leads, tmp_path):
    part = leads.iloc[:2_000]
    path = tmp_path / "leads.csv"
    part.to_csv(path, index=False)
    with calibrate.Workbench() as a, calibrate.Workbench() as b:
        from_frame, from_file = a.ingest(part), b.ingest(path)
        assert from_frame.file == "data frame"
        assert (from_frame.rows_loaded, from_frame.outcome_counts) == (
            from_file.rows_loaded, from_file.outcome_counts)
        assert [(c.source_name, c.role, c.type) for c in from_frame.columns] == [
            (c.source_name, c.role, c.type) for c in from_file.columns]


def test_bad_frames_name_the_frame_not_a_temporary_file():
    with calibrate.Workbench() as bench:
        with pytest.raises(CalibrateError) as err:
            bench.ingest(pd.DataFrame({"a": ["1", "2"], "b": ["x", "y"]}))
        assert "calibrate-frame" not in str(err.value) and "data frame" in str(err.value)
        with pytest.raises(CalibrateError, match="No leads are loaded"):
            bench.figures(min_profile=50, min_behavior=50)
        with pytest.raises(CalibrateError, match="Cannot read leads from a list"):
            bench.ingest([1, 2, 3])


def test_the_whole_path_matches_the_cli(wb, leads, tmp_path, capsys):
    points = wb.points
    assert {"axis", "attribute", "level", "points", "leads", "win_rate"} <= set(points)
    assert "seniority" in set(points["attribute"])
    assert wb.weights.metrics["auc"] > 0.6

    f = wb.figures(min_profile=60, min_behavior=45, reps=10, leads_per_rep=40)
    assert f.capacity == 400 and f.mqls > 0
    saved = wb.save_scenario("Sales", min_profile=60, min_behavior=45, reps=10,
                             leads_per_rep=40, author="Sam")
    assert saved.figures == f.to_dict(ranges=True)  # what is saved is what was shown

    # The same leads and thresholds through the CLI give the same figures.
    db = tmp_path / "c.duckdb"
    csv = tmp_path / "leads.csv"
    leads.iloc[:5_000].to_csv(csv, index=False)
    assert main(["ingest", str(csv), "--db", str(db)]) == 0
    assert main(["scenario", "save", "Sales", "--min-profile", "60", "--min-behavior", "45",
                 "--db", str(db)]) == 0
    capsys.readouterr()
    con = store.connect(db)
    cli = find_scenario(con, "Sales")
    con.close()
    plain = wb.figures(min_profile=60, min_behavior=45)
    assert cli.figures == plain.to_dict(ranges=True)

    agreed = wb.agree("Sales", by="VP Sales and VP Marketing")
    assert agreed.kind == "agreement"
    document = wb.export("markdown")
    assert "Agreed on" in document and "by VP Sales and VP Marketing" in document
    rules = pd.read_csv(io.StringIO(wb.export("rules")), dtype=str, keep_default_na=False)
    assert rules.loc[rules["score"] == "mql", "value"].tolist() == ["60", "45"]
    assert wb.export("xlsx")[:2] == b"PK"
    overview = wb.scenarios()
    assert overview.loc[0, "name"] == "Sales"


def test_scoring_new_leads_applies_the_agreement(wb, leads):
    wb.save_scenario("Edge", min_profile=40, min_behavior=30)
    wb.agree("Edge", by="both")
    new = leads.iloc[5_000:].drop(columns=["status"])
    scored = wb.score(new)
    assert len(scored) == new["lead_id"].nunique()  # a repeated id is one lead, the newest row
    assert {"profile_points", "behavior_points", "total", "grade", "mql", "reasons"} <= set(
        scored)
    free = scored[scored["rule"].isna()]
    assert (free["mql"] == ((free["profile_points"] >= 40)
                            & (free["behavior_points"] >= 30))).all()


def test_segments_edits_and_suggestions(wb):
    own = wb.figures(min_profile=40, min_behavior=30,
                     segment_thresholds={"Enterprise": (90, 90)})
    main_only = wb.figures(min_profile=40, min_behavior=30)
    assert own.mqls < main_only.mqls
    with pytest.raises(CalibrateError, match="do not match the main ones"):
        wb.figures(min_total=40, segment_thresholds={"Enterprise": (90, 90)})
    with pytest.raises(CalibrateError, match="do not match the main ones"):  # not a traceback
        wb.figures(min_profile=40, min_behavior=30, segment_thresholds={"Enterprise": "70/40"})
    with pytest.raises(CalibrateError, match="is not a number"):
        wb.figures(min_profile=40, min_behavior=30,
                   segment_thresholds={"Enterprise": ("70", "40")})
    with pytest.raises(CalibrateError, match="is not a number"):
        wb.figures(min_profile="forty", min_behavior=30)
    with pytest.raises(CalibrateError, match="No segment 'Nowhere'"):
        wb.figures(min_profile=40, min_behavior=30, segment="Nowhere")

    s = wb.suggest("max_wins_within_capacity", reps=5, leads_per_rep=40)
    assert s.found and s.figures.capacity_used <= 1.0

    row = wb.points.iloc[0]
    edited = wb.edit_points({(row["attribute"], row["level"]): int(row["points"]) + 1})
    assert wb.weights.id == edited.id
    assert int(wb.points.iloc[0]["points"]) == int(row["points"]) + 1


def test_a_file_workbench_keeps_its_work(leads, tmp_path):
    path = tmp_path / "wb.duckdb"
    with calibrate.Workbench(path, keep_backups=5) as bench:
        bench.ingest(leads.iloc[:3_000])
        assert bench.last_backup.path is None  # nothing loaded before: nothing to keep
        bench.save_scenario("Kept", min_total=55)
        bench.agree("Kept", by="both")
        assert bench.last_backup.path.name.endswith("-agreement.duckdb")
        bench.ingest(leads.iloc[:3_000])  # replacing: the earlier leads are kept first
        assert bench.last_backup.path.name.endswith("-before-ingest.duckdb")
        backup = bench.backup()
    assert backup.parent == tmp_path / "backups" and backup.exists()
    assert len(list((tmp_path / "backups").glob("*.duckdb"))) == 3
    with calibrate.Workbench(path) as again:
        n = leads.iloc[:3_000]["lead_id"].nunique()
        assert again.leads == n
        assert again.scenarios()["name"].tolist() == ["Kept"]
        assert f"{n:,} leads" in repr(again)
    with calibrate.Workbench(path, read_only=True) as reader:
        assert "total score is at least 55" in reader.export("markdown")


def test_the_grid_is_kept_in_the_file_for_the_next_workbench(leads, tmp_path, monkeypatch):
    """Issue 19: a new workbench on the same file (the app after a restart) reads the count
    grid instead of scoring every lead; a refit, an edit, other rules or new data count it
    again; a read-only workbench counts it in memory and writes nothing."""
    from calibrate.decide import workshop

    from frames import same_counts

    built: list[int | None] = []
    real = workshop.workshop_grid
    monkeypatch.setattr(workshop, "workshop_grid", lambda con, weights, rules: (
        built.append(weights.id), real(con, weights, rules))[1])

    def kept(bench) -> list[int]:
        return [r[0] for r in bench.con.execute("SELECT weights_id FROM grids").fetchall()]

    path = tmp_path / "kept.duckdb"
    with calibrate.Workbench(path, keep_backups=0) as bench:
        bench.ingest(leads.iloc[:3_000])
        first = bench.grid()
        figures = bench.figures(min_profile=55, min_behavior=40)
        assert first.origin == "built" and built == [bench.weights.id]
        assert bench.grid() is first and len(built) == 1  # this workbench's own cache
    with calibrate.Workbench(path, keep_backups=0) as again:
        grid = again.grid()
        assert grid.origin == "stored" and len(built) == 1  # read, not scored again
        same = again.figures(min_profile=55, min_behavior=40)
        assert (same.mqls, same.wins, same.closed) == (figures.mqls, figures.wins,
                                                        figures.closed)
        same_counts(grid, first)
        assert again.cursor().grid() is grid  # a page run's cursor shares it
        changes = [lambda: again.fit(),
                   lambda: again.edit_points({tuple(again.points.iloc[0][["attribute",
                                                                          "level"]]): 3}),
                   lambda: again.set_rules({**(again.weights.rules or {}),
                                            "competitor_domains": ["rival.example"]}),
                   lambda: again.ingest(leads.iloc[:2_500])]
        for change in changes:
            before = len(built)
            change()
            assert again.grid().origin == "built" and len(built) == before + 1
            assert kept(again) == [again.weights.id]  # the stale grid is pruned
    with calibrate.Workbench(path, read_only=True) as reader:
        assert reader.grid().origin == "stored"  # the newest one, kept in the file
    assert len(built) == 5

    ro = tmp_path / "ro.duckdb"
    with calibrate.Workbench(ro, keep_backups=0) as bench:
        bench.ingest(leads.iloc[:2_000])
        bench.fit()
    with calibrate.Workbench(ro, read_only=True) as reader:
        assert reader.grid().origin == "built" and kept(reader) == []  # nothing written


def test_the_data_page_calls_preview_choices_and_roles(leads, tmp_path):
    """What the Data page does before and after a load, through the Workbench."""
    path = tmp_path / "export.csv"
    leads.iloc[:1_500].rename(columns={"status": "Stage"}).to_csv(path, index=False)
    with calibrate.Workbench(tmp_path / "w.duckdb") as wb:
        preview = wb.preview(path)
        assert preview.outcome == "Stage" and "Stage" in preview.headers
        # the user's outcome choice is taken over the guess
        assert wb.preview(path, outcome="country").outcome == "country"
        headers = list(reversed(preview.headers))  # the same columns in another order
        assert wb.saved_choices(headers) is None
        from calibrate.data.roles import Mapping
        wb.remember_choices(preview.headers, Mapping(outcomes={"won": ["Closed Won"]}))
        choices, saved_at = wb.saved_choices(headers)
        assert choices.outcomes == {"won": ["Closed Won"]} and saved_at[:4].isdigit()
        assert wb.quality() is None and wb.last_file is None
        wb.ingest(path)
        q = wb.quality()
        assert q.rows == wb.leads and wb.last_file.endswith("export.csv")
        version = wb.data_version
        behavior = q.columns[q.columns["role"] == "behavior"]["name"].iloc[0]
        assert wb.set_roles({behavior: "ignore"}) == 1
        assert wb.set_roles({behavior: "ignore"}) == 0  # already so: nothing moves
        assert wb.data_version == version + 1
        assert {c.name: c.role for c in wb.columns()}[behavior] == "ignore"
        with pytest.raises(CalibrateError, match="No stored column named 'nope'"):
            wb.set_roles({"nope": "profile"})
        hits = wb.rule_hits()
        assert hits["leads"].sum() == wb.leads and pd.isna(hits["rule"].iloc[-1])  # no rule

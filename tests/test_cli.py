"""The command line: it prints summaries, and user errors as messages with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from calibrate.cli import main

from conftest import BANK_CSV


def test_ingest_prints_the_summary(db_path, capsys):
    assert main(["ingest", str(BANK_CSV), "--outcome", "y", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "Loaded 41,188 leads" in out and "won 4,640" in out and "duration" in out


def test_errors_are_messages_not_tracebacks(db_path, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,visits\n1,2\n")
    done = subprocess.run(
        [sys.executable, "-m", "calibrate.cli", "ingest", str(bad), "--db", str(db_path)],
        capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "No outcome column found" in done.stderr and "--outcome" in done.stderr


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "calibrate.cli", *args],
                          capture_output=True, text=True)


def test_fit_score_export_round_trip(tmp_path):
    from conftest import SAMPLE_CSV

    db = str(tmp_path / "c.duckdb")
    assert main(["ingest", str(SAMPLE_CSV), "--db", db]) == 0
    weights = tmp_path / "weights.json"
    done = run_cli("fit", "--db", db, "--out", str(weights))
    assert done.returncode == 0, done.stderr
    assert "AUC 0.8" in done.stdout and "PROFILE points" in done.stdout
    assert "seniority" in done.stdout and weights.exists()

    scored = tmp_path / "scored.csv"
    done = run_cli("score", str(SAMPLE_CSV), "--weights", str(weights), "--out", str(scored))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(scored)
    assert len(frame) == 50_000
    assert {"profile_points", "behavior_points", "total", "grade", "level", "rule",
            "reasons"} <= set(frame.columns)
    assert set(frame["grade"]) <= set("ABCD") and set(frame["level"]) <= {1, 2, 3, 4}
    assert frame["reasons"].str.contains(r"\(\+\d+\)").mean() > 0.9
    assert "email (hashed)" in frame.columns and "email" not in frame.columns
    assert {"lead_id", "status (outcome)"} <= set(frame.columns)  # headers as written

    for fmt in ("csv", "rules", "json"):
        done = run_cli("export", "--format", fmt, "--db", db)
        assert done.returncode == 0, done.stderr
    assert run_cli("export", "--format", "rules", "--db", db).stdout.startswith(
        "score,field,operator,value,points")
    done = run_cli("export", "--format", "markdown", "--db", db)
    assert done.returncode == 2 and "No scenario" in done.stderr

    # Scoring a file without the columns the weights score is a message, not a traceback.
    other = tmp_path / "other.csv"
    other.write_text("id,visits\n1,2\n")
    done = run_cli("score", str(other), "--weights", str(weights))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "lack" in done.stderr and "seniority" in done.stderr


def test_fit_on_an_empty_database_says_what_to_do(tmp_path):
    done = run_cli("fit", "--db", str(tmp_path / "e.duckdb"))
    assert done.returncode == 2 and "calibrate ingest" in done.stderr


def test_backup_and_restore(tmp_path):
    from calibrate.data import store

    db = tmp_path / "c.duckdb"
    assert main(["ingest", str(BANK_CSV), "--outcome", "y", "--db", str(db)]) == 0
    backup = tmp_path / "b.duckdb"
    assert run_cli("backup", "--db", str(db), "--out", str(backup)).returncode == 0
    assert run_cli("backup", "--db", str(db), "--out", str(backup)).returncode == 2  # no overwrite
    con = store.connect(db)
    con.execute("DELETE FROM leads")
    con.close()
    done = run_cli("restore", str(backup), "--db", str(db))
    assert done.returncode == 0, done.stderr
    con = store.connect(db)
    assert store.lead_count(con) == 41_188
    con.close()
    assert list(tmp_path.glob("c.duckdb.before-restore-*"))  # the replaced file is kept


def test_output_piped_to_a_reader_that_stops_ends_quietly(tmp_path):
    """`calibrate score ... | head -1`: no BrokenPipeError traceback, a clean exit (the
    output, megabytes of scored leads, is far larger than the pipe's buffer)."""
    db = str(tmp_path / "c.duckdb")
    weights = tmp_path / "w.json"
    assert main(["ingest", str(BANK_CSV), "--db", db]) == 0
    assert main(["export", "--format", "json", "--db", db, "--out", str(weights)]) == 0
    pipeline = subprocess.run(
        f"set -o pipefail; {sys.executable} -m calibrate.cli score {BANK_CSV} "
        f"--weights {weights} | head -1", shell=True, executable="/bin/bash",
        capture_output=True, text=True, timeout=300)
    assert pipeline.stdout.count("\n") == 1 and "Traceback" not in pipeline.stderr
    assert pipeline.returncode == 0, pipeline.stderr


def test_fit_says_when_the_solver_stopped_at_its_limit(tmp_path, monkeypatch, capsys):
    import json
    import warnings

    from calibrate.decide import workshop
    from calibrate.model.solver import ConvergenceWarning

    db = str(tmp_path / "c.duckdb")
    assert main(["ingest", str(BANK_CSV), "--db", db, "--outcome", "y"]) == 0
    suggested = workshop.suggested_weights
    monkeypatch.setattr(workshop, "suggested_weights",
                        lambda con, **kw: suggested(con, Cs=[1.0], max_iter=1, **kw))
    out = tmp_path / "weights.json"
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["fit", "--db", db, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert ("warning: the fit stopped at its iteration limit (max_iter=1 Newton steps) before "
            "converging") in printed and "Raise max_iter" in printed
    # said once, by the line above, not also as a Python warning
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    metrics = json.loads(out.read_text())["metrics"]
    assert metrics["n_iter"] == 1 and metrics["converged"] is False


def test_score_counts_days_to_the_as_of_date_and_names_a_bad_one(tmp_path, capsys):
    from test_score import NEW, recency_weights

    leads, weights = tmp_path / "new.csv", tmp_path / "weights.json"
    NEW.to_csv(leads, index=False)
    weights.write_text(recency_weights().to_json(), encoding="utf-8")
    out = tmp_path / "scored.csv"
    assert main(["score", str(leads), "--weights", str(weights), "--as-of", "2025-06-30",
                 "--out", str(out)]) == 0
    scored = pd.read_csv(out).set_index("Lead ID")
    assert scored["behavior_points"].to_dict() == {"a": 30, "b": 10, "c": 0}
    capsys.readouterr()
    assert main(["score", str(leads), "--weights", str(weights), "--as-of", "30/06/2025",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "'30/06/2025' is not a date" in err and "YYYY-MM-DD" in err
    assert "--as-of YYYY-MM-DD" in run_cli("score", "--help").stdout

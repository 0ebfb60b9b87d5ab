"""The command line: it prints summaries, and user errors as messages with exit code 2."""

from __future__ import annotations

import subprocess
import sys

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

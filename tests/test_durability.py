"""Nothing saved is lost: kill -9 during an ingest or a save, and a second process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from calibrate.data import store
from calibrate.decide.scenarios import list_scenarios, save_scenario

from apptest import page
from conftest import SAMPLE_CSV

SAVER = """
import sys
from calibrate.data import store
from calibrate.decide.scenarios import save_scenario
con = store.connect(sys.argv[1])
for i in range(100000):
    s = save_scenario(con, f"auto {i}", {"thresholds": {"min_profile": i % 100}})
    print(s.id, flush=True)
"""

INGESTER = """
import sys
from calibrate.data import store
from calibrate.data.ingest import ingest
con = store.connect(sys.argv[1])
ingest(con, sys.argv[2], replace=True, progress=lambda phase: print(phase, flush=True))
print("done", flush=True)
"""


def test_kill_during_saves_keeps_every_committed_save(db_path):
    con = store.connect(db_path)
    save_scenario(con, "Before the crash", {"thresholds": {"min_profile": 42}})
    con.close()
    child = subprocess.Popen([sys.executable, "-c", SAVER, str(db_path)],
                             stdout=subprocess.PIPE, text=True)
    acknowledged = []
    for line in child.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) >= 40:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    con = store.connect(db_path)
    ids = {s.id for s in list_scenarios(con)}
    names = {s.name for s in list_scenarios(con)}
    con.close()
    assert "Before the crash" in names
    assert set(acknowledged) <= ids  # every save the child was told about survived


@pytest.mark.parametrize("phase", ["reading", "checking", "storing"])
def test_kill_during_an_ingest_leaves_the_previous_data(db_path, tmp_path, phase):
    """Killed as it enters each phase (its progress line, not a guessed delay): the
    database holds exactly the earlier leads or exactly the new ones."""
    small = tmp_path / "small.csv"
    small.write_text("id,status,visits\n1,won,3\n2,lost,1\n")
    con = store.connect(db_path)
    from calibrate.data.ingest import ingest

    ingest(con, small)
    save_scenario(con, "Kept", {"thresholds": {}})
    con.close()
    child = subprocess.Popen([sys.executable, "-c", INGESTER, str(db_path), str(SAMPLE_CSV)],
                             stdout=subprocess.PIPE, text=True)
    for line in child.stdout:
        if line.strip() == phase:
            break
    os.kill(child.pid, signal.SIGKILL)
    rest = child.stdout.read()
    child.wait()
    assert child.returncode == -signal.SIGKILL and "done" not in rest  # killed mid-ingest
    con = store.connect(db_path)
    rows = store.lead_count(con)
    names = [s.name for s in list_scenarios(con)]
    con.close()
    assert rows in (2, 50_000)  # the old table or the whole new one, never a part
    assert names == ["Kept"]


def test_the_app_says_when_another_process_holds_the_database(sample_db):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
         " print('ready', flush=True); time.sleep(60)", str(sample_db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        at = page("data")
        assert "in use by another process" in at.error[0].value
    finally:
        holder.kill()
        holder.wait()

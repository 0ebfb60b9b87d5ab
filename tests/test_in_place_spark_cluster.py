"""Leads loaded in place from a real Spark standalone cluster (issue 21): a master and one
worker started for the session (the ``spark_standalone`` fixture), read through
``spark://127.0.0.1:PORT`` by the command line, a process of its own, as a user runs it.

Why a new process: Spark runs one classic session per process, and a test process may
already run the tests' local Spark (the ``spark`` fixture, session-wide under xdist), which
calibrate would rightly refuse to mix with another master. The load gives the file path's
points, AUC and count grid; the cluster's web UI shows calibrate's applications ran there;
a refit in another new process reads the cluster again. (Bad input, a missing table among
it, is said the same way whatever the master: tests/test_in_place_spark.py, on the local
Spark and on a live Spark Connect server.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from test_grid_sql import assert_same, warehouse
from test_in_place import assert_no_lead_rows, points
from test_in_place_parquet import to_parquet

from calibrate import Workbench
from calibrate.in_place import record_of

from conftest import SAMPLE_CSV


@pytest.fixture(scope="module")
def by_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workbench, Path]]:
    """The file path's workbench (the sample loaded, fitted) and the same rows, typed, as a
    Parquet file for Spark to read."""
    folder = tmp_path_factory.mktemp("spark_cluster")
    wb = Workbench(folder / "file.duckdb", keep_backups=0)
    wb.ingest(SAMPLE_CSV)
    wb.fit()
    raw = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False)
    rows = warehouse(raw.drop_duplicates("lead_id", keep="last"), wb.columns())
    yield wb, to_parquet(rows, folder / "sample.parquet")
    wb.close()


def calibrate(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    """The command line in a new process, on the loopback address (the cluster's)."""
    return subprocess.run([sys.executable, "-m", "calibrate.cli", *args, "--db", str(db)],
                          capture_output=True, text=True, timeout=600, cwd=db.parent,
                          env={**os.environ, "PYTHONWARNINGS": "ignore",
                               "SPARK_LOCAL_IP": "127.0.0.1"})


def applications(status: str) -> list[str]:
    """The names of the applications the cluster's master ran to the end."""
    with urllib.request.urlopen(status, timeout=10) as answer:
        return [app["name"] for app in json.load(answer).get("completedapps", [])]


def test_a_standalone_cluster_loads_in_place_as_the_file_path_and_refits(
        spark_standalone: tuple[str, str], by_file: tuple[Workbench, Path], tmp_path: Path):
    master, status = spark_standalone
    wb_file, parquet = by_file
    db = tmp_path / "cluster.duckdb"
    query = f"SELECT * FROM parquet.`{parquet}`"
    done = calibrate("ingest", master, "--query", query, "--in-place", db=db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Loaded in place from Spark at {master} (a query): "
                                  "50,000 leads stay"), done.stdout
    assert "counted in the source" in done.stdout
    assert applications(status) == ["calibrate"]  # run on the cluster, not a local Spark
    assert_no_lead_rows(db, wb_file.leads)
    with Workbench(db, keep_backups=0) as wb:
        assert wb.leads == wb_file.leads
        assert points(wb).equals(points(wb_file))
        assert wb.weights.metrics["auc"] == wb_file.weights.metrics["auc"]
        assert_same(wb.grid(), wb_file.grid())
        record = record_of(wb.con)
        assert (record.kind, record.url, record.query) == ("spark", master, query)
        first = wb.weights.id
    # A refit in another new process reads the cluster again.
    done = calibrate("fit", db=db)
    assert done.returncode == 0, done.stderr
    assert applications(status) == ["calibrate", "calibrate"]
    with Workbench(db, keep_backups=0) as wb:
        assert wb.weights.id != first
        assert points(wb).equals(points(wb_file))
        assert wb.weights.metrics["auc"] == wb_file.weights.metrics["auc"]

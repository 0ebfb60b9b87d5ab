"""Shared fixtures: a fresh DuckDB file per test and the bundled data files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from calibrate import store

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
BANK_CSV = DATA / "bank-marketing" / "bank-additional-full.csv"
SAMPLE_CSV = ROOT / "data" / "sample" / "leads.csv"
TRUTH_JSON = ROOT / "data" / "sample" / "truth.json"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "calibrate.duckdb"


@pytest.fixture
def con(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = store.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write text to a CSV file in the test's folder and return its path."""

    def _write(text: str, name: str = "leads.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write

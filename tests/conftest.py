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


def pytest_sessionstart(session: pytest.Session) -> None:
    """The bundled sample is generated (deterministically) rather than committed."""
    if not SAMPLE_CSV.exists():
        from calibrate import sample

        SAMPLE_CSV.parent.mkdir(parents=True, exist_ok=True)
        sample.write(SAMPLE_CSV)
        if not TRUTH_JSON.exists():
            sample.write_truth(TRUTH_JSON)


@pytest.fixture(scope="session")
def sample_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample leads ingested and fitted once; tests copy the file (see ``sample_db``)."""
    from calibrate import workshop
    from calibrate.ingest import ingest
    from calibrate.weights import save_weights

    path = tmp_path_factory.mktemp("template") / "sample.duckdb"
    con = store.connect(path)
    ingest(con, SAMPLE_CSV, replace=True)
    save_weights(con, workshop.suggested_weights(con), store.data_version(con))
    con.close()
    return path


@pytest.fixture
def sample_db(sample_db_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the fitted sample database, set as the app's database."""
    import shutil

    path = tmp_path / "app.duckdb"
    shutil.copy(sample_db_template, path)
    monkeypatch.setenv(store.ENV_DB, str(path))
    return path


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


@pytest.fixture
def small_sample(monkeypatch):
    """Profile from 100 rows, so that a file of a few thousand rows counts as large and is
    sampled in chunks spread over it instead of by a full pass."""
    from calibrate import readers

    monkeypatch.setattr(readers, "PROFILE_SAMPLE", 100)

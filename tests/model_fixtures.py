"""Shared data for the binning / encode / model / points / score / metrics tests.

The expensive things (ingesting the bank data, a default fit on it, ingesting the sample
data) are cached per process, so every test module reuses them; tests call these plain
functions (no pytest fixtures to import). Small synthetic stores are made in memory
with :func:`make_store`.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from calibrate import sql
from calibrate.data import store
from calibrate.data.store import ColumnInfo

ROOT = Path(__file__).resolve().parents[1]
#: The bank-marketing export, kept in the repository (a copy of ../shared's; no absolute path).
BANK_CSV = Path(__file__).resolve().parent / "data" / "bank-marketing" / "bank-additional-full.csv"
SAMPLE_CSV = ROOT / "data" / "sample" / "leads.csv"
TRUTH_JSON = ROOT / "data" / "sample" / "truth.json"

_TMP = Path(tempfile.mkdtemp(prefix="calibrate-model-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)


def bank_csv() -> Path:
    return BANK_CSV


@functools.cache
def bank_db() -> Path:
    """The bank-marketing data ingested once (outcome column ``y``)."""
    from calibrate.data.ingest import ingest

    src = bank_csv()
    path = _TMP / "bank.duckdb"
    con = store.connect(path)
    try:
        ingest(con, src, outcome="y", replace=True)
    finally:
        con.close()
    return path


@functools.cache
def _bank_connection() -> duckdb.DuckDBPyConnection:
    return store.connect(bank_db())


@functools.cache
def bank_fit() -> Any:
    """The default fit on the bank data (duration left out as leakage)."""
    from calibrate.model.fit import fit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fit(_bank_connection())


@functools.cache
def sample_db() -> Path:
    """data/sample/leads.csv ingested once; skips when the sample is not there."""
    from calibrate.data.ingest import ingest

    if not SAMPLE_CSV.exists():
        pytest.skip("data/sample/leads.csv does not exist yet")
    path = _TMP / "sample.duckdb"
    con = store.connect(path)
    try:
        ingest(con, SAMPLE_CSV, replace=True)
    finally:
        con.close()
    return path


@functools.cache
def _sample_connection() -> duckdb.DuckDBPyConnection:
    return store.connect(sample_db())


@functools.cache
def sample_fit() -> Any:
    from calibrate.model.fit import fit

    return fit(_sample_connection())


def bank_connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the cached bank store (plain function: tests call it directly)."""
    return _bank_connection().cursor()


def sample_connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the cached sample store; skips when the sample does not exist."""
    return _sample_connection().cursor()


_SQL_TYPES = {"categorical": "VARCHAR", "text": "VARCHAR", "numeric": "DOUBLE",
              "flag": "BOOLEAN", "date": "TIMESTAMP"}


def make_store(frame: pd.DataFrame, columns: dict[str, tuple[str, str]]
               ) -> duckdb.DuckDBPyConnection:
    """An in-memory store whose ``leads`` table is ``frame``.

    ``frame`` needs ``outcome`` and ``lead_id``; ``columns`` maps every other column to
    ``(role, type)`` as ingest would have stored it (e.g. ``("profile", "categorical")``).
    """
    con = store.connect(":memory:")
    con.register("_frame", frame)
    casts = ["CAST(outcome AS VARCHAR) AS outcome", "CAST(lead_id AS VARCHAR) AS lead_id"]
    for name, (_role, type_) in columns.items():
        casts.append(f"CAST({sql.quote(name)} AS {_SQL_TYPES[type_]}) AS {sql.quote(name)}")
    con.execute("CREATE TABLE leads AS SELECT " + ", ".join(casts) + " FROM _frame")
    con.unregister("_frame")
    infos = [ColumnInfo("outcome", "outcome", "outcome", "categorical"),
             ColumnInfo("lead_id", "lead_id", "lead_id", "text")]
    infos += [ColumnInfo(n, n, role, type_) for n, (role, type_) in columns.items()]
    store.store_columns(con, infos)
    con.execute("INSERT INTO ingests VALUES (1, now(), 'test', ?, 'replace', '[]')",
                [len(frame)])
    return con


def synthetic_leads(n: int = 20_000, seed: int = 0, *, open_share: float = 0.0,
                    no_decision_share: float = 0.3) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Leads from a known logistic model with categorical, count and flag attributes.

    Returns the frame (outcome, lead_id, created_at, attributes) and the column roles.
    """
    rng = np.random.default_rng(seed)
    title = rng.choice(["VP", "Director", "Manager", "Analyst", "Intern"], n,
                       p=[0.1, 0.2, 0.3, 0.37, 0.03])
    title = np.where(rng.random(n) < 0.004, "Chief Wizard", title)  # a rare value
    title = np.where(rng.random(n) < 0.05, None, title)  # missing
    industry = rng.choice(["Software", "Retail", "Health", "Gov't"], n, p=[0.4, 0.3, 0.2, 0.1])
    visits = rng.poisson(np.exp(rng.normal(1.0, 0.8, n)))
    demo = rng.random(n) < 0.15
    eff_title = pd.Series(title).map({"VP": 1.0, "Director": 0.7, "Manager": 0.3,
                                      "Analyst": 0.0, "Intern": -1.5}).fillna(0.0).to_numpy()
    eff_ind = pd.Series(industry).map({"Software": 0.5, "Retail": 0.0, "Health": 0.2,
                                       "Gov't": -0.4}).to_numpy()
    logit = -3.0 + eff_title + eff_ind + 0.6 * np.log1p(visits) + 1.2 * demo
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    outcome = np.where(won, "won", np.where(rng.random(n) < no_decision_share,
                                            "no_decision", "lost"))
    outcome = np.where(rng.random(n) < open_share, "open", outcome)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 600, n), unit="D")
    frame = pd.DataFrame({
        "outcome": outcome,
        "lead_id": [f"S{i:07d}" for i in range(n)],
        "created_at": created,
        "title": pd.Series(title, dtype=object),
        "industry": industry,
        "visits": visits.astype(float),
        "demo": demo,
    })
    roles = {"created_at": ("created_at", "date"), "title": ("profile", "categorical"),
             "industry": ("profile", "categorical"), "visits": ("behavior", "numeric"),
             "demo": ("behavior", "flag")}
    return frame, {"roles": roles, "logit": logit}


def synthetic_store(n: int = 20_000, seed: int = 0, **kw: Any
                    ) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    frame, info = synthetic_leads(n, seed, **kw)
    return make_store(frame, info["roles"]), frame


__all__ = [
    "SAMPLE_CSV",
    "TRUTH_JSON",
    "attribute_store",
    "bank_connection",
    "bank_csv",
    "bank_db",
    "bank_fit",
    "encoded",
    "make_store",
    "sample_connection",
    "sample_db",
    "sample_fit",
    "synthetic_leads",
    "synthetic_store",
]


def attribute_store(n: int = 3000, seed: int = 1
                    ) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    """A small store with one attribute of each kind (categorical, numeric, flag, date)."""
    rng = np.random.default_rng(seed)
    title = rng.choice(["VP", "Manager", "Analyst"], n, p=[0.2, 0.3, 0.5]).astype(object)
    title[:12] = "Rare Title"  # 12 leads: below min_count, pooled
    title[12:40] = None  # missing
    title[40:45] = "Other"  # a stored value equal to the reserved label
    title[45:50] = "O'Brien & Co"
    visits = rng.poisson(np.exp(rng.normal(1.0, 0.9, n))).astype(float)
    visits[:20] = np.nan
    p = 1 / (1 + np.exp(-(-2.5 + 0.7 * np.log1p(np.nan_to_num(visits)))))
    won = rng.random(n) < p
    frame = pd.DataFrame({
        "outcome": np.where(won, "won", "lost"),
        "lead_id": [f"L{i}" for i in range(n)],
        "title": title,
        "visits": visits,
        "optin": np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.4).astype(object),
        "last_seen": pd.Timestamp("2025-01-01"),
    })
    frame.loc[frame.index[-100:], "outcome"] = "open"
    roles = {"title": ("profile", "categorical"), "visits": ("behavior", "numeric"),
             "optin": ("behavior", "flag"), "last_seen": ("behavior", "date")}
    return make_store(frame, roles), frame


def encoded(con: duckdb.DuckDBPyConnection, enc: Any) -> pd.DataFrame:
    """Each lead's codes under ``enc`` (:func:`calibrate.model.encode.encode_sql`)."""
    from calibrate.model.encode import encode_sql

    return con.execute(f"SELECT lead_id, {encode_sql(enc)} FROM leads").df()

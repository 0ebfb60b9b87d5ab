"""Helpers over an ingest's result, shared by the ingest, readers (file format, CSV layout,
dialect and reader, sampling, XLSX), cleaning and bad-input tests: the stored leads, what a
failed ingest must leave untouched, test files."""

from __future__ import annotations

import os
from typing import Any

import duckdb
import pandas as pd
import pytest

from calibrate.data import store
from calibrate.data.ingest import ingest
from calibrate.data.roles import mapping_from_dict
from calibrate.errors import InputError


def snapshot(con: duckdb.DuckDBPyConnection) -> tuple:
    """Everything an ingest may change: the tables, the leads, the column roles and the
    ingest log (a staging table left behind would show in the first)."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
    leads = con.execute("SELECT * FROM leads ORDER BY ALL").fetchall() \
        if store.table_exists(con, "leads") else None
    return (tables, leads, con.execute("SELECT * FROM columns ORDER BY ALL").fetchall(),
            con.execute("SELECT id, file, rows, mode, report FROM ingests ORDER BY id")
            .fetchall())


def leads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The stored leads, indexed by id."""
    return con.execute("SELECT * FROM leads ORDER BY lead_id").df().set_index("lead_id")


def expect_error(con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], match: str,
                 **kwargs: Any) -> InputError:
    """Ingest ``path`` expecting an InputError matching ``match`` that names the file and a
    fix, and leaves the database as it was."""
    before = snapshot(con)
    with pytest.raises(InputError, match=match) as err:
        ingest(con, path, **kwargs)
    assert snapshot(con) == before, "a failed ingest must leave the database as it was"
    assert err.value.fix, "every failure says how to fix it"
    assert str(path) in str(err.value)
    return err.value


def large_csv(rows: int, late: dict[int, str] | None = None) -> str:
    """A CSV whose ``visits`` are blank in the first half (a field added later) and whose
    notes span lines every 50 rows; ``late`` replaces whole rows by number."""
    lines = ["lead_id,status,industry,visits,notes"]
    for i in range(1, rows + 1):
        visits = "" if i <= rows // 2 else str(i % 7)
        notes = '"called twice,\nno answer"' if i % 50 == 0 else "ok"
        status = ("won", "lost", "no decision")[i % 3]
        lines.append((late or {}).get(i, f"L{i},{status},{('Retail', 'Software')[i % 2]},"
                                          f"{visits},{notes}"))
    return "\n".join(lines) + "\n"


#: Notes are free text, not stored unless a user keeps them: these tests keep them.
KEEP_NOTES = mapping_from_dict({"columns": {"notes": {"role": "profile"}}})


TITLES = "Leads report\nGenerated 2026-11-02 by Jane Doe\n\n"


def body(rows: int = 40, delim: str = ",", newline: str = "\n") -> str:
    """A header and ``rows`` leads, half of them won."""
    lines = [delim.join(["lead_id", "status", "industry", "visits"])]
    lines += [delim.join([f"L{i}", ("won", "lost")[i % 2], ("Retail", "Software")[i % 3 > 0],
                          str(i % 7)]) for i in range(1, rows + 1)]
    return newline.join(lines) + newline


def check_titled(con: duckdb.DuckDBPyConnection, report, skipped: int) -> None:
    """The leads loaded under the real header, and the report says what was skipped."""
    assert report.rows_loaded == 40 and report.outcome_counts["won"] == 20
    assert [c.source_name for c in report.columns] == ["lead_id", "status", "industry",
                                                       "visits"]
    assert report.details["skipped title lines"] == skipped
    assert f", skipped title lines {skipped})" in report.summary().splitlines()[0]
    stored = leads(con)
    assert stored.loc["L7", "industry"] == "Software" and stored.loc["L7", "visits"] == 0

"""What a failed ingest must leave untouched, shared by the ingest and bad-input tests."""

from __future__ import annotations

import duckdb

from calibrate import store


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

"""The data-quality summary of the loaded leads: rows, dates, outcomes, missing values."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from calibrate.data.outcomes import OUTCOMES
from calibrate.data.roles import ATTRIBUTE_ROLES
from calibrate.data.store import last_load, read_columns, store_columns, table_exists, transaction
from calibrate.sql import quote


@dataclass
class Quality:
    """What the Data screen shows about the loaded leads."""

    rows: int
    outcomes: dict[str, int]
    created_from: datetime | None
    created_to: datetime | None
    columns: pd.DataFrame  # name, source_name, role, type, missing, missing_share, distinct
    last_file: str | None = None
    last_loaded_at: datetime | None = None
    issues: list[dict[str, Any]] = field(default_factory=list)

    @property
    def closed(self) -> int:
        return sum(self.outcomes[k] for k in OUTCOMES if k != "open")

    @property
    def win_rate(self) -> float | None:
        return self.outcomes["won"] / self.closed if self.closed else None


def quality(con: duckdb.DuckDBPyConnection) -> Quality | None:
    """Summarise the ``leads`` table in two SQL passes; ``None`` when nothing is loaded."""
    cur = con.cursor()
    try:
        if not table_exists(cur, "leads"):
            return None
        cols = [c for c in read_columns(cur) if c.role != "ignore"]
        parts = ["count(*)"] + [
            f"count(*) FILTER (WHERE outcome = '{o}')" for o in OUTCOMES]
        has_created = any(c.role == "created_at" for c in cols)
        parts += ["min(created_at)", "max(created_at)"] if has_created else ["NULL", "NULL"]
        for c in cols:
            parts += [f"count(*) - count({quote(c.name)})",
                      f"approx_count_distinct({quote(c.name)})"]
        values = cur.execute("SELECT " + ", ".join(parts) + " FROM leads").fetchone()
        rows = int(values[0])
        outcomes = {o: int(v) for o, v in zip(OUTCOMES, values[1:5], strict=True)}
        stats = values[7:]
        table = pd.DataFrame({
            "name": [c.name for c in cols],
            "source_name": [c.source_name for c in cols],
            "role": [c.role for c in cols],
            "type": [c.type for c in cols],
            "missing": [int(stats[2 * i]) for i in range(len(cols))],
            "distinct": [int(stats[2 * i + 1]) for i in range(len(cols))],
        })
        table["missing_share"] = table["missing"] / rows if rows else 0.0
        last = last_load(cur)
    finally:
        cur.close()
    return Quality(rows, outcomes, values[5], values[6], table,
                   last[0] if last else None, last[1] if last else None,
                   json.loads(last[2]) if last and last[2] else [])


def set_roles(con: duckdb.DuckDBPyConnection, roles: dict[str, str]) -> int:
    """Move stored columns between profile, behavior and ignore without reloading.

    Only attribute columns can move (types and other roles need a new ingest). The change is
    logged as an ingest row, so the data version (and every cache keyed by it) moves on.
    """
    from calibrate.errors import CalibrateError

    allowed = set(ATTRIBUTE_ROLES) | {"ignore"}
    with transaction(con) as tx:
        columns = read_columns(tx)
        by_name = {c.name: c for c in columns}
        changed = 0
        for name, role in roles.items():
            col = by_name.get(name)
            if col is None:
                raise CalibrateError(f"No stored column named '{name}'.", column=name,
                                     fix="Pick a column from the table of stored columns.")
            if role == col.role:
                continue
            if role not in allowed or col.role not in allowed or \
                    (col.role == "ignore" and not table_has(tx, name)):
                raise CalibrateError(
                    f"'{name}' cannot change from {col.role} to {role} without reloading.",
                    column=name, fix="Upload the file again and set the role before loading.")
            by_name[name] = type(col)(col.name, col.source_name, role, col.type,
                                      "set in the app")
            changed += 1
        if changed:
            store_columns(tx, [by_name[c.name] for c in columns])
            rows = tx.execute("SELECT count(*) FROM leads").fetchone()[0]
            tx.execute("INSERT INTO ingests VALUES (nextval('ingest_id_seq'), now(), "
                       "'(roles edited)', ?, 'roles', '[]')", [rows])
    return changed


def table_has(con: duckdb.DuckDBPyConnection, column: str) -> bool:
    """Whether ``leads`` has a physical column of that name."""
    return column in {r[0] for r in con.execute("DESCRIBE leads").fetchall()}


def not_scored(columns: list[Any]) -> dict[str, list[str]]:
    """The ignored columns grouped by why (empty, constant, identifier...), as written.

    The reason's first words say why ("an identifier: a different value in nearly every
    row" -> "an identifier"); columns keep their file order.
    """
    out: dict[str, list[str]] = {}
    for c in columns:
        if c.role == "ignore" and c.source_name:
            why = c.reason.split(";")[0].split(":")[0].split(" (")[0].strip()
            out.setdefault(why or "set to ignore", []).append(c.source_name)
    return out

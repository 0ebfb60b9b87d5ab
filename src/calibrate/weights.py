"""The weights document: the points table plus everything needed to read and reuse it.

It is what the workshop agrees on, what ``calibrate export --format json`` writes, what
``calibrate score --weights`` reads, and what the store keeps (append-only) in ``fits``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from calibrate.errors import InputError, read_text_file
from calibrate.store import to_json, transaction

FORMAT = "calibrate-weights"
FORMAT_VERSION = 1
TABLE_COLUMNS = [
    "axis", "attribute", "kind", "level", "code", "lower", "upper", "points",
    "suggested_points", "coefficient", "ci_low", "ci_high", "leads", "wins", "win_rate",
]


@dataclass
class Weights:
    """A points table with its provenance: data range, fit options, metrics, thresholds."""

    table: pd.DataFrame
    created_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    data: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    axes: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, Any] | None = None
    rules: dict[str, Any] | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN becomes null) that :meth:`from_dict` reads back exactly."""
        records = [
            {k: (None if isinstance(v, float) and math.isnan(v) else _plain(v))
             for k, v in row.items()}
            for row in self.table[TABLE_COLUMNS].to_dict("records")
        ]
        return {
            "format": FORMAT, "version": FORMAT_VERSION,
            "created_at": self.created_at.isoformat(), "data": self.data,
            "options": self.options, "metrics": self.metrics, "axes": self.axes,
            "thresholds": self.thresholds, "rules": self.rules, "table": records,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any], source: str = "weights") -> Weights:
        """Validate and read a weights document; a bad one is an :class:`InputError`."""
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InputError("This is not a calibrate weights file.", file=source,
                             fix="Export the weights from calibrate (calibrate export "
                                 "--format json) and pass that file.")
        if int(doc.get("version", 0)) > FORMAT_VERSION:
            raise InputError(f"The weights file has format version {doc['version']}, newer "
                             "than this calibrate understands.", file=source,
                             fix="Upgrade calibrate.")
        rows = doc.get("table") or []
        missing = [c for c in ("axis", "attribute", "kind", "level", "points")
                   if rows and c not in rows[0]]
        if not rows or missing:
            raise InputError("The weights file has no points table"
                             + (f" (missing {', '.join(missing)})" if missing else "") + ".",
                             file=source, fix="Export the weights again from calibrate.")
        table = table_from_records(rows)
        return cls(table=table, created_at=datetime.fromisoformat(doc["created_at"]),
                   data=doc.get("data", {}), options=doc.get("options", {}),
                   metrics=doc.get("metrics", {}), axes=doc.get("axes", {}),
                   thresholds=doc.get("thresholds"), rules=doc.get("rules"))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    @classmethod
    def read(cls, path: str | Path) -> Weights:
        """Read a weights JSON file written by :meth:`to_json`."""
        p = Path(path)
        text = read_text_file(p, "weights", "--weights")
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"The weights file is not valid JSON: {exc}", file=str(p),
                             fix="Export the weights again (calibrate export --format json).") \
                from None
        return cls.from_dict(doc, str(p))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value


def table_from_records(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A points table from JSON records, with the stable column order and dtypes."""
    table = pd.DataFrame(rows)
    for col in TABLE_COLUMNS:
        if col not in table:
            table[col] = math.nan
    table = table[TABLE_COLUMNS].copy()
    for col in ("points", "suggested_points", "code", "leads", "wins"):
        table[col] = pd.to_numeric(table[col]).fillna(0).astype("int64")
    for col in ("lower", "upper", "coefficient", "ci_low", "ci_high", "win_rate"):
        table[col] = pd.to_numeric(table[col]).astype("float64")
    for col in ("axis", "attribute", "kind", "level"):
        table[col] = table[col].astype(str)
    return table


def save_weights(con: duckdb.DuckDBPyConnection, weights: Weights, data_version: int) -> int:
    """Append the weights to the store (edits are new rows; nothing is overwritten)."""
    with transaction(con) as tx:
        row = tx.execute(
            "INSERT INTO fits VALUES (nextval('fit_id_seq'), now(), ?, ?, ?) RETURNING id",
            [data_version, to_json(weights.options), weights.to_json(indent=None)],
        ).fetchone()
    weights.id = int(row[0])
    return weights.id


def latest_weights(con: duckdb.DuckDBPyConnection, data_version: int) -> Weights | None:
    """The newest weights saved for this data version, if any."""
    cur = con.cursor()
    try:
        row = cur.execute(
            "SELECT id, weights FROM fits WHERE data_version = ? ORDER BY id DESC LIMIT 1",
            [data_version],
        ).fetchone()
    finally:
        cur.close()
    if row is None:
        return None
    weights = Weights.from_dict(json.loads(row[1]), source="the database")
    weights.id = int(row[0])
    return weights


def load_weights(con: duckdb.DuckDBPyConnection, weights_id: int) -> Weights:
    """Saved weights by id."""
    cur = con.cursor()
    try:
        row = cur.execute("SELECT weights FROM fits WHERE id = ?", [weights_id]).fetchone()
    finally:
        cur.close()
    if row is None:
        raise InputError(f"No saved weights with id {weights_id}.", file="the database",
                         fix="Pick weights from the list of saved ones.")
    weights = Weights.from_dict(json.loads(row[0]), source="the database")
    weights.id = int(weights_id)
    return weights

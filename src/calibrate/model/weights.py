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

from calibrate.data.store import to_json, transaction
from calibrate.errors import InputError, read_text_file
from calibrate.model.points import COLUMNS, table_from_records
from calibrate.model.weights_file import MAX_POINTS, check_weights
from calibrate.thresholds import Thresholds

FORMAT = "calibrate-weights"
FORMAT_VERSION = 1


@dataclass
class Weights:
    """A points table with its provenance: data range, fit options, metrics, thresholds."""

    table: pd.DataFrame
    created_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    data: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    axes: dict[str, Any] = field(default_factory=dict)
    thresholds: Thresholds | None = None  # a stored mapping is read as Thresholds
    rules: dict[str, Any] | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN becomes null) that :meth:`from_dict` reads back exactly."""
        records = [
            {k: (None if isinstance(v, float) and math.isnan(v) else _plain(v))
             for k, v in row.items()}
            for row in self.table[COLUMNS].to_dict("records")
        ]
        return {
            "format": FORMAT, "version": FORMAT_VERSION,
            "created_at": self.created_at.isoformat(), "data": self.data,
            "options": self.options, "metrics": self.metrics, "axes": self.axes,
            "thresholds": (Thresholds.of(self.thresholds).to_dict()
                           if self.thresholds is not None else None),
            "rules": self.rules, "table": records,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any], source: str = "weights", *,
                  points_range: tuple[int, int] | None = None) -> Weights:
        """Validate and read a weights document; a bad one is an :class:`InputError` that
        names every faulty key with its fix (:func:`calibrate.model.weights_file.check_weights`).

        ``points_range`` bounds each level's points (a file: 0 to
        :data:`~calibrate.model.weights_file.MAX_POINTS`); stored weights need only whole points.
        """
        check_weights(doc, source, points_range=points_range, format_name=FORMAT,
                      format_version=FORMAT_VERSION)
        table = table_from_records(doc["table"], validate=False)
        table.attrs["source"] = source  # named by validate_table's errors (calibrate score)
        created = doc.get("created_at")
        return cls(table=table,
                   created_at=datetime.fromisoformat(created) if created else
                   datetime.now().replace(microsecond=0),
                   data=doc.get("data") or {}, options=doc.get("options") or {},
                   metrics=doc.get("metrics") or {}, axes=doc.get("axes") or {},
                   thresholds=(Thresholds.of(doc["thresholds"])
                               if doc.get("thresholds") is not None else None),
                   rules=doc.get("rules"))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    @classmethod
    def read(cls, path: str | Path) -> Weights:
        """Read a weights JSON file written by :meth:`to_json`, checked against the schema
        (:func:`calibrate.model.weights_file.check_weights`, points 0 to
        :data:`~calibrate.model.weights_file.MAX_POINTS`)."""
        p = Path(path)
        _not_a_workbook(p)
        text = read_text_file(p, "weights", "--weights")
        try:
            doc = json.loads(text)
        except ValueError as exc:  # JSONDecodeError, or an integer of 4,300+ digits
            csv_like = text.lstrip("\ufeff").split("\n", 1)[0].replace(";", ",").startswith(
                "axis,attribute")
            raise InputError(
                f"The weights file is not valid JSON: {exc}" + (
                    " (it is the CSV export of a points table)" if csv_like else ""),
                file=str(p),
                fix="calibrate score reads the JSON export: calibrate export --format json "
                    "--out weights.json." if csv_like else
                    "Export the weights again (calibrate export --format json).") from None
        except RecursionError:
            raise InputError("The weights file nests too deeply to be read.", file=str(p),
                             fix="Export the weights again (calibrate export --format json).") \
                from None
        return cls.from_dict(doc, str(p), points_range=(0, MAX_POINTS))


def _not_a_workbook(path: Path) -> None:
    """A workbook or other ZIP archive given as the weights (the XLSX export) is named so."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return  # read_text_file says what is wrong with the path
    if head == b"PK\x03\x04":
        raise InputError("The weights file is a workbook or ZIP archive (the XLSX export?), "
                         "not the JSON weights.", file=str(path),
                         fix="calibrate score reads the JSON export: calibrate export "
                             "--format json --out weights.json.")


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value


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


def not_converged(weights: Weights) -> str | None:
    """"The fit stopped at its iteration limit (max_iter=N Newton steps) before converging;
    the points may be off." when the weights' fit did, else None."""
    m = weights.metrics
    if m.get("converged") is not False:
        return None
    limit = weights.options.get("max_iter", m.get("n_iter"))
    return (f"The fit stopped at its iteration limit (max_iter={limit} Newton steps) before "
            "converging; the points may be off.")

"""Writing the agreed weights (CSV, XLSX, JSON, a rules list, SQL, marketing-automation
files) and the one-page agreement.

Every text cell that a spreadsheet could run as a formula (starting with =, +, -, @, a tab
or a carriage return) is prefixed with a quote, so an export never executes anything.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from calibrate.cells import FORMULA_START, neutralise
from calibrate.export import hubspot, marketo, mautic, pardot, score_sql
from calibrate.export.conditions import all_conditions
from calibrate.export.rules_list import rules_frame
from calibrate.model.points import COLUMNS, table_from_records
from calibrate.model.rule_settings import RuleSet
from calibrate.model.weights import Weights
from calibrate.thresholds import Thresholds, ThresholdsLike

FORMATS = ("csv", "json", "xlsx", "rules", "sql", "hubspot", "marketo", "pardot", "mautic")
#: Dialects of the ``sql`` format.
DIALECTS = score_sql.DIALECTS

def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and column name) neutralised."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def rules_list(table: pd.DataFrame, *, thresholds: ThresholdsLike = None,
               rules: Any = None, columns: Any = None, keep_zero: bool = True) -> pd.DataFrame:
    """The table as the generic rules list a marketing-automation admin keys in.

    One row per field and condition (columns :data:`calibrate.export.rules_list.COLUMNS`: score,
    field, operator, value, points, level, segment), then the MQL definition from
    ``thresholds`` and one row per auto-rule in force (``rules``: a RuleSet or its dict;
    None leaves them out). ``columns`` are the store's columns (headers as written, and
    the contact columns the auto-rules read). Numbers stay numbers; level texts that a
    spreadsheet could run are neutralised. See :mod:`calibrate.export.conditions`.
    """
    return rules_frame(all_conditions(
        table, thresholds=thresholds, rules=rules, columns=columns), keep_zero=keep_zero)


def _rules_in_force(weights: Weights) -> RuleSet:
    """The auto-rules stored with the weights (the defaults when none were set), as the
    workshop applies them."""
    return RuleSet.from_dict(weights.rules) if weights.rules else RuleSet()


def export_bytes(weights: Weights, format: str, *, columns: Any = None,
                 dialect: str = "duckdb") -> bytes:
    """The weights in one of :data:`FORMATS`, as the bytes of the file to download.

    ``columns`` (the store's columns) gives the rules list, SQL and vendor formats the
    headers as written and the contact columns of the auto-rules; ``dialect`` is the SQL
    dialect of the ``sql`` format (duckdb, postgres, snowflake, bigquery or spark).
    """
    if format == "json":
        return weights.to_json().encode("utf-8")
    if format == "csv":
        return safe_frame(weights.table[COLUMNS]).to_csv(index=False).encode("utf-8")
    extra = {"thresholds": weights.thresholds, "rules": _rules_in_force(weights),
             "columns": columns}
    if format == "rules":
        return rules_list(weights.table, **extra).to_csv(index=False).encode("utf-8")
    if format in _AUTOMATION:
        if format == "sql":
            return score_sql.portable_sql(weights.table, dialect=dialect,
                                          **extra).encode("utf-8")
        return _AUTOMATION[format](weights.table, **extra)
    if format == "xlsx":
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as xl:
            safe_frame(weights.table[COLUMNS]).to_excel(xl, sheet_name="Points",
                                                              index=False)
            rules_list(weights.table, **extra).to_excel(xl, sheet_name="Rules", index=False)
            about = {"created_at": weights.created_at.isoformat(), **{
                f"data.{k}": v for k, v in weights.data.items()}, **{
                f"metric.{k}": v for k, v in weights.metrics.items()
                if isinstance(v, int | float | str)}}
            if weights.thresholds:
                about.update({f"threshold.{k}": v for k, v in
                              Thresholds.of(weights.thresholds).to_dict().items()})
            safe_frame(pd.DataFrame({"item": list(about), "value": [str(v) for v in
                                                                    about.values()]})
                       ).to_excel(xl, sheet_name="About", index=False)
        return buffer.getvalue()
    raise ValueError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")


#: Marketing-automation formats and the function writing each (``sql`` also takes a dialect).
_AUTOMATION: dict[str, Callable[..., Any]] = {
    "sql": score_sql.portable_sql, "hubspot": hubspot.hubspot_json,
    "marketo": marketo.marketo_csv, "pardot": pardot.pardot_csv,
    "mautic": mautic.mautic_json}
#: File extension and MIME type of each format (for downloads).
FILE_TYPES = {"csv": ("csv", "text/csv"), "json": ("json", "application/json"),
              "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument."
                               "spreadsheetml.sheet"),
              "rules": ("csv", "text/csv"), "sql": ("sql", "application/sql"),
              "hubspot": ("json", "application/json"), "marketo": ("csv", "text/csv"),
              "pardot": ("csv", "text/csv"), "mautic": ("json", "application/json")}


def write_export(weights: Weights, format: str, path: str | Path) -> Path:
    """Write :func:`export_bytes` to a file."""
    p = Path(path)
    p.write_bytes(export_bytes(weights, format))
    return p


def read_export(path: str | Path, format: str) -> pd.DataFrame:
    """Read a points table back from a CSV, XLSX or JSON export (for checks and re-use)."""
    if format == "json":
        return Weights.read(path).table
    if format == "csv":
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    elif format == "xlsx":
        frame = pd.read_excel(path, sheet_name="Points", keep_default_na=False, na_values=[""])
    else:
        raise ValueError(f"cannot read a {format} export back as a table")
    for col in ("axis", "attribute", "kind", "level"):
        frame[col] = frame[col].astype(str).map(
            lambda v: v[1:] if v.startswith("'") and v[1:2] in FORMULA_START else v)
    return table_from_records(frame.to_dict("records"), validate=False)

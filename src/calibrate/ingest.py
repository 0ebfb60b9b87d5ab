"""Loading a CRM export (CSV, Parquet, XLSX) into the ``leads`` table, cleaned and checked.

The file is read by DuckDB's own readers into a staging table of text, every column is
profiled in one SQL pass to guess its role and type, cleaned in SQL (placeholders, Yes/No,
thousands separators, percent signs, dates in several formats, negative counts, duplicate
ids), and swapped into ``leads`` inside one transaction: a failed ingest changes nothing.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from calibrate.errors import InputError
from calibrate.outcomes import CLOSED, OUTCOMES, normalise_all
from calibrate.roles import (
    ATTRIBUTE_ROLES,
    ColumnGuess,
    ColumnStats,
    Mapping,
    guess_columns,
    load_mapping,
)
from calibrate.store import quote, store_columns, transaction

PLACEHOLDERS = (
    "", "select", "-- select --", "--select--", "please select", "unknown", "n/a", "na", "n.a.",
    "-", "--", "---", "?", "null", "nan", "#n/a", "(blank)", "blank", "undefined",
    "not provided", "not specified", "not available", "--none--", "tbd", "unk",
)
_TRUE = ("yes", "y", "true", "t", "1", "1.0", "x", "checked", "on")
_FALSE = ("no", "n", "false", "f", "0", "0.0", "unchecked", "off")
# Regexes (RE2, as DuckDB string literals) that a value must match before a parse is tried.
_PLAIN_NUMBER = r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"
_DECORATED_NUMBER = r"[-+]?[$€£]?\s?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s?%?"
_SLASH_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
_ISO_DATE = r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
EARLIEST = datetime(1990, 1, 1)
MAX_OUTCOME_LABELS = 50
PROFILE_SAMPLE = 20_000
_EXAMPLES = 5


@dataclass
class Issue:
    """One kind of problem found in one column, with how many rows and what was done."""

    column: str
    kind: str
    count: int
    rows: list[int]
    action: str

    def __str__(self) -> str:
        rows = ", ".join(str(r) for r in self.rows)
        return f"{self.column}: {self.count:,} {self.kind} ({self.action}; e.g. rows {rows})"


@dataclass
class IngestReport:
    """What an ingest read, guessed, cleaned and stored: printed by the CLI, shown by the app."""

    file: str
    format: str
    rows_read: int
    rows_loaded: int
    columns: list[ColumnGuess]
    outcome_counts: dict[str, int] = field(default_factory=dict)
    date_range: tuple[datetime | None, datetime | None] = (None, None)
    issues: list[Issue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    mode: str = "replace"

    def by_role(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in self.columns:
            out.setdefault(c.role, []).append(c.name)
        return out

    def summary(self) -> str:
        """A plain-text summary: rows, dates, outcomes, columns by role, cleaning."""
        lines = [f"Loaded {self.rows_loaded:,} leads from {self.file} ({self.format}"
                 + "".join(f", {k} {v!r}" for k, v in self.details.items()) + ")"]
        if self.rows_read != self.rows_loaded:
            lines.append(f"  {self.rows_read:,} rows read; "
                         f"{self.rows_read - self.rows_loaded:,} duplicate lead ids merged")
        lo, hi = self.date_range
        if lo is not None:
            lines.append(f"  created {lo:%Y-%m-%d} to {hi:%Y-%m-%d}")
        lines.append("  outcomes: " + ", ".join(
            f"{k} {self.outcome_counts.get(k, 0):,}" for k in OUTCOMES))
        for role, names in self.by_role().items():
            lines.append(f"  {role}: {', '.join(names)}")
        if self.issues:
            lines.append("Cleaning:")
            lines.extend(f"  {i}" for i in self.issues)
        if self.warnings:
            lines.append("Warnings:")
            lines.extend(f"  {w}" for w in self.warnings)
        return "\n".join(lines)


def lit(text: str) -> str:
    """A SQL string literal (single quotes doubled), for fixed vocabularies only."""
    return "'" + str(text).replace("'", "''") + "'"


def _in_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


# ---------------------------------------------------------------------------- reading


def sniff_format(path: Path) -> str:
    """The file's real format from its first bytes: parquet, xlsx, xls or text."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


def _check_format(path: Path, real: str) -> None:
    ext = path.suffix.lower().lstrip(".")
    expected = {"csv": "csv", "txt": "csv", "tsv": "csv", "parquet": "parquet", "pq": "parquet",
                "xlsx": "xlsx", "xlsm": "xlsx", "xls": "xls"}.get(ext)
    if real == "xls":
        raise InputError("This is an old Excel 97-2003 (.xls) workbook, which is not supported.",
                         file=str(path), fix="Open it in Excel and save as .xlsx or .csv.")
    if expected and expected != real:
        raise InputError(f"The file name ends in .{ext} but its content is {real.upper()}.",
                         file=str(path),
                         fix=f"Rename it to .{'csv' if real == 'csv' else real} or export "
                             f"it again as {expected.upper()}.")
    if real == "csv":
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise InputError("The file is binary, not a CSV, Parquet or XLSX export.",
                             file=str(path), fix="Export the leads as CSV, Parquet or XLSX.")


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes, else Latin-1."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "latin-1"


def _header_delimiter(path: Path, encoding: str) -> str | None:
    """The delimiter used most in the header line (the sniffer can be misled by a ragged row)."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        header = fh.readline()
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def _read_csv(cur: duckdb.DuckDBPyConnection, path: Path, read: dict[str, Any]) -> dict[str, Any]:
    encoding = read.get("encoding") or _encoding(path)
    # skip = 0: the sniffer would otherwise skip leading rows to dodge a ragged one.
    opts = ["header = true", "all_varchar = true", "auto_detect = true", "skip = 0"]
    delim = read.get("delimiter") or _header_delimiter(path, encoding)
    if delim:
        opts.append(f"delim = {lit(delim)}")
    details: dict[str, Any] = {}

    def attempt(enc: str) -> None:
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE _raw AS SELECT * FROM read_csv(?, "
            + ", ".join(opts + [f"encoding = {lit(enc)}"]) + ")",
            [str(path)],
        )

    try:
        try:
            attempt(encoding)
        except duckdb.InvalidInputException as exc:
            if "unicode" in str(exc).lower() and encoding == "utf-8" and "encoding" not in read:
                encoding = "latin-1"
                attempt(encoding)
            else:
                raise
    except duckdb.Error as exc:
        ragged = _find_ragged(path, encoding, delim)
        if ragged:
            row, found, expected = ragged
            raise InputError(
                f"Row {row} has {found} fields but the header has {expected} (a ragged row).",
                file=str(path), rows=[row],
                fix="Check that row for a stray delimiter or an unclosed quote; if the "
                    "delimiter was guessed wrong, set [read] delimiter in a mapping file.",
            ) from None
        raise _csv_error(path, exc) from None
    details["encoding"] = encoding
    return details


def _find_ragged(path: Path, encoding: str, delim: str | None) -> tuple[int, int, int] | None:
    """On a failed read, find the first data row whose field count differs from the header."""
    import csv

    if not delim:
        return None
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delim)
        header = next(reader, None)
        if header is None:
            return None
        for i, row in enumerate(reader, start=1):
            if row and len(row) != len(header):
                return i, len(row), len(header)
    return None


def _csv_error(path: Path, exc: Exception) -> InputError:
    """A DuckDB reader error as a message a person can act on."""
    text = str(exc)
    line = None
    for part in text.splitlines():
        if "Line:" in part:
            try:
                line = int(part.split("Line:")[1].split()[0].strip(","))
            except (ValueError, IndexError):
                pass
    first = text.splitlines()[0] if text else "unreadable"
    for marker in ("Error:", "Exception:"):
        if marker in first:
            first = first.split(marker, 1)[1].strip()
    if "Expected Number of Columns" in text or "too many columns" in text.lower():
        what = "A row has a different number of fields than the header (a ragged row)."
        fix = ("Check the row for a stray delimiter or an unclosed quote, or set "
               "[read] delimiter in a mapping file if the delimiter was guessed wrong.")
    elif "unicode" in text.lower():
        what = "The file's text encoding could not be read."
        fix = 'Save it as UTF-8, or set [read] encoding = "latin-1" in a mapping file.'
    else:
        what = f"The file could not be read as CSV: {first}"
        fix = "Check that it is a delimited text export with a header row."
    return InputError(what, file=str(path), rows=[line - 1] if line and line > 1 else None,
                      fix=fix)


def _read_xlsx(cur: duckdb.DuckDBPyConnection, path: Path, read: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds for a broken zip
        raise InputError(f"The workbook cannot be opened: {exc}", file=str(path),
                         fix="Open it in Excel and save it again as .xlsx, or export CSV.") \
            from None
    sheets = [str(s) for s in book.sheet_names]
    sheet = read.get("sheet")
    if sheet is not None and str(sheet) not in sheets:
        raise InputError(f"The workbook has no sheet named '{sheet}'.", file=str(path),
                         fix=f"Choose one of: {', '.join(sheets)}.")
    if sheet is None:
        sheet = sheets[0]
        for name in sheets:  # the first sheet that holds a table
            head = pd.read_excel(book, sheet_name=name, nrows=2, header=None)
            if len(head.dropna(how="all")) >= 2:  # a header and at least one row
                sheet = name
                break
    frame = pd.read_excel(book, sheet_name=sheet, dtype=str, header=0)
    frame.columns = [str(c) for c in frame.columns]
    cur.register("_xlsx_frame", frame)
    cur.execute("CREATE OR REPLACE TEMP TABLE _raw AS SELECT * FROM _xlsx_frame")
    cur.unregister("_xlsx_frame")
    details: dict[str, Any] = {"sheet": sheet}
    if len(sheets) > 1:
        details["sheets"] = ", ".join(sheets)
    return details


def read_raw(cur: duckdb.DuckDBPyConnection, path: str | os.PathLike[str],
             read: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Read a file into the temporary text table ``_raw``; return its format and details."""
    p = Path(path)
    read = read or {}
    if not p.exists():
        raise InputError("The file does not exist.", file=str(p), fix="Check the path.")
    if p.is_dir():
        raise InputError("This is a folder, not a file.", file=str(p),
                         fix="Give the path of a CSV, Parquet or XLSX file.")
    if p.stat().st_size == 0:
        raise InputError("The file is empty (0 bytes).", file=str(p),
                         fix="Export the leads again; the file should have a header row "
                             "and one row per lead.")
    fmt = sniff_format(p)
    _check_format(p, fmt)
    if fmt == "parquet":
        try:
            cur.execute("CREATE OR REPLACE TEMP TABLE _parquet AS SELECT * FROM read_parquet(?)",
                        [str(p)])
        except duckdb.Error as exc:
            raise InputError(f"The Parquet file cannot be read: {str(exc).splitlines()[0]}",
                             file=str(p), fix="Write the file again.") from None
        cols = [r[0] for r in cur.execute("DESCRIBE _parquet").fetchall()]
        cur.execute("CREATE OR REPLACE TEMP TABLE _raw AS SELECT "
                    + ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in cols)
                    + " FROM _parquet")
        cur.execute("DROP TABLE _parquet")
        details: dict[str, Any] = {}
    elif fmt == "xlsx":
        details = _read_xlsx(cur, p, read)
    else:
        details = _read_csv(cur, p, read)
    return fmt, details


# ---------------------------------------------------------------------- cleaning SQL


class _Sql:
    """Cleaning expressions for one column, shared by the profile, the checks and the load."""

    def __init__(self, placeholders: tuple[str, ...]) -> None:
        self.placeholders = _in_list(tuple(sorted({p.lower() for p in placeholders})))

    def text(self, col: str) -> str:
        return (f"CASE WHEN {col} IS NULL OR lower(trim({col})) IN {self.placeholders} "
                f"THEN NULL ELSE trim({col}) END")

    def number(self, col: str) -> str:
        # Guard each parse with a regex: a failed cast costs far more than a match.
        t = f"trim({col})"
        return (f"(CASE WHEN regexp_full_match({t}, '{_PLAIN_NUMBER}') THEN CAST({t} AS DOUBLE) "
                f"WHEN regexp_full_match({t}, '{_DECORATED_NUMBER}') "
                f"THEN CAST(regexp_replace({t}, '[$€£%,\\s]', '', 'g') AS DOUBLE) END)")

    def plain_number(self, col: str) -> str:
        return f"(CASE WHEN regexp_full_match(trim({col}), '{_PLAIN_NUMBER}') THEN 1 END)"

    def flag(self, col: str) -> str:
        low = f"lower(trim({col}))"
        return (f"(CASE WHEN {low} IN {_in_list(_TRUE)} THEN true "
                f"WHEN {low} IN {_in_list(_FALSE)} THEN false ELSE NULL END)")

    def date(self, col: str, day_first: bool = False) -> str:
        t = f"trim({col})"
        slash = "%d/%m/%Y" if day_first else "%m/%d/%Y"
        return (
            f"(CASE WHEN regexp_full_match({t}, '{_ISO_DATE}') THEN TRY_CAST({t} AS TIMESTAMP) "
            f"WHEN regexp_full_match({t}, '\\d{{4}}/\\d{{1,2}}/\\d{{1,2}}') "
            f"THEN try_strptime({t}, '%Y/%m/%d') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') "
            f"THEN try_strptime({t}, '{slash}') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}} \\d{{1,2}}:\\d{{2}}') "
            f"THEN try_strptime({t}, '{slash} %H:%M') "
            f"WHEN regexp_full_match({t}, '{_SLASH_DATE} \\d{{1,2}}:\\d{{2}}:\\d{{2}}') "
            f"THEN try_strptime({t}, '{slash} %H:%M:%S') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}\\.\\d{{1,2}}\\.\\d{{4}}') "
            f"THEN try_strptime({t}, '%d.%m.%Y') END)"
        )


def _profile(cur: duckdb.DuckDBPyConnection, columns: list[str], sql: _Sql,
             rows: int) -> list[ColumnStats]:
    """One SQL pass over a sample of ``_raw`` that measures how each column's values look."""
    parts = []
    for i, c in enumerate(columns):
        q = quote(c)
        t = sql.text(q)
        parts += [
            f"count({t}) AS p{i}",
            f"approx_count_distinct(lower({t})) AS d{i}",
            f"count(CASE WHEN ({t}) IS NOT NULL THEN {sql.number(q)} END) AS n{i}",
            f"count(CASE WHEN ({t}) IS NOT NULL THEN {sql.flag(q)} END) AS f{i}",
            f"count(CASE WHEN ({t}) IS NOT NULL THEN {sql.date(q)} END) AS t{i}",
        ]
    # Types are guessed from a fixed sample (as DuckDB's own sniffer does): the cost stays
    # flat with file size; the checks that follow still see every row.
    values = cur.execute("SELECT " + ", ".join(parts) + " FROM _raw "
                         f"USING SAMPLE reservoir({PROFILE_SAMPLE} ROWS) REPEATABLE (7)").fetchone()
    stats = []
    for i, c in enumerate(columns):
        p, d, n, f, t = values[5 * i: 5 * i + 5]
        stats.append(ColumnStats(c, rows, int(p), int(d), int(n), int(f), int(t)))
    return stats


def _example_rows(cur: duckdb.DuckDBPyConnection, condition: str) -> list[int]:
    return [int(r[0]) for r in cur.execute(
        f"SELECT rowid + 1 FROM _raw WHERE {condition} ORDER BY rowid LIMIT {_EXAMPLES}"
    ).fetchall()]


def _day_first(cur: duckdb.DuckDBPyConnection, col: str, sql: _Sql) -> bool:
    """Whether slash dates in a column are day-first: some first part above 12."""
    q = quote(col)
    t = sql.text(q)
    row = cur.execute(
        f"SELECT count(*) FILTER (WHERE TRY_CAST(split_part({t}, '/', 1) AS INT) > 12), "
        f"count(*) FILTER (WHERE TRY_CAST(split_part({t}, '/', 2) AS INT) > 12) "
        f"FROM _raw WHERE regexp_matches({t}, '^\\d{{1,2}}/\\d{{1,2}}/\\d{{2,4}}')"
    ).fetchone()
    return row[0] > 0 and row[1] == 0


@dataclass
class _Plan:
    """How each raw column becomes a column of ``leads``: the SQL and its checks."""

    guess: ColumnGuess
    expr: str
    checks: list[tuple[str, str, str]]  # (kind, condition on _raw, action)


def _plan(cur: duckdb.DuckDBPyConnection, guesses: list[ColumnGuess], sql: _Sql) -> list[_Plan]:
    now = datetime.now()
    plans = []
    for g in guesses:
        if g.role == "ignore" or g.role == "outcome":
            continue
        q = quote(g.source_name)
        t = sql.text(q)
        present = f"({t}) IS NOT NULL"
        checks: list[tuple[str, str, str]] = [
            ("placeholder values", f"{q} IS NOT NULL AND trim({q}) <> '' AND ({t}) IS NULL",
             "treated as missing"),
        ]
        type_ = g.type
        if g.role in ("created_at", "closed_at"):
            type_ = "date"
        if g.role in ("lead_id", "segment", "email", "phone", "company", "first_name",
                      "last_name", "full_name"):
            type_ = "text"
        if g.role == "amount":
            type_ = "numeric"
        g.type = type_
        if type_ == "numeric":
            num = sql.number(q)
            checks.append(("non-numeric values", f"{present} AND {num} IS NULL",
                           "set to missing; fix the values or map the column as categorical"))
            checks.append(("values with separators or symbols (1,200 / 35% / $)",
                           f"{present} AND {sql.plain_number(q)} IS NULL AND {num} IS NOT NULL",
                           "cleaned to plain numbers"))
            if g.role == "behavior":
                checks.append(("negative counts", f"{num} < 0", "set to missing"))
                expr = f"CASE WHEN {num} < 0 THEN NULL ELSE {num} END"
            else:
                expr = num
        elif type_ == "flag":
            checks.append(("values that are not yes/no", f"{present} AND {sql.flag(q)} IS NULL",
                           "set to missing"))
            expr = sql.flag(q)
        elif type_ == "date":
            d = sql.date(q, _day_first(cur, g.source_name, sql))
            checks.append(("unreadable dates", f"{present} AND {d} IS NULL",
                           "set to missing; use YYYY-MM-DD"))
            checks.append(("dates in the future", f"{d} > TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}' "
                           "+ INTERVAL 1 DAY", "set to missing"))
            checks.append(("dates before 1990", f"{d} < TIMESTAMP '1990-01-01'",
                           "set to missing"))
            expr = (f"CASE WHEN {d} > TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}' + INTERVAL 1 DAY "
                    f"OR {d} < TIMESTAMP '1990-01-01' THEN NULL ELSE {d} END")
        else:
            expr = t
        plans.append(_Plan(g, expr, checks))
    return plans


def _run_checks(cur: duckdb.DuckDBPyConnection, plans: list[_Plan]) -> list[Issue]:
    """Count every check in one pass, then fetch example rows for those that hit."""
    conds = [(p.guess.name, kind, cond, action) for p in plans for kind, cond, action in p.checks]
    if not conds:
        return []
    counts = cur.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE {c[2]})" for c in conds) + " FROM _raw"
    ).fetchone()
    issues = []
    for (name, kind, cond, action), n in zip(conds, counts, strict=True):
        if n:
            issues.append(Issue(name, kind, int(n), _example_rows(cur, cond), action))
    return issues


def _outcome_expr(cur: duckdb.DuckDBPyConnection, path: Path, guess: ColumnGuess,
                  mapping: Mapping) -> str:
    """SQL mapping raw outcome labels to won/lost/no_decision/open; unknown labels fail."""
    q = quote(guess.source_name)
    labels = cur.execute(
        f"SELECT trim({q}) AS label, count(*) FROM _raw GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    if len(labels) > MAX_OUTCOME_LABELS:
        raise InputError(
            f"The outcome column has {len(labels):,} different values; it does not look like "
            "an outcome (won / lost / no decision / open).",
            file=str(path), column=guess.source_name,
            fix="Pass the right column with --outcome COLUMN (or choose it in the app).")
    mapping_, unknown = normalise_all([lab for lab, _ in labels], mapping.outcomes)
    if unknown:
        counts = dict(labels)
        shown = ", ".join(f"'{u}' ({counts[u]:,} rows)" for u in unknown[:10])
        first = unknown[0]
        rows = [int(r[0]) for r in cur.execute(
            f"SELECT rowid + 1 FROM _raw WHERE trim({q}) = ? ORDER BY rowid LIMIT 5", [first]
        ).fetchall()]
        raise InputError(
            f"Outcome labels not recognised: {shown}.",
            file=str(path), column=guess.source_name, rows=rows,
            fix="Say what each label means in a mapping file passed with --mapping, e.g.\n"
                f'  [outcomes]\n  won = ["{first}"]   # or lost / no_decision / open\n'
                "Known labels include: won / closed won / converted / yes / 1; lost / closed "
                "lost / no / 0; no decision / stalled; open / in progress / blank.")
    cases = " ".join(
        f"WHEN trim({q}) = {lit(label)} THEN {lit(out)}"
        for label, out in mapping_.items() if label is not None
    )
    null_case = lit(mapping_.get(None, "open"))
    return f"CASE WHEN {q} IS NULL THEN {null_case} {cases} ELSE 'open' END"


def analyse(cur: duckdb.DuckDBPyConnection, path: str | os.PathLike[str],
            mapping: Mapping | None = None, outcome: str | None = None,
            ) -> tuple[str, dict[str, Any], int, list[ColumnStats], list[ColumnGuess]]:
    """Read a file into ``_raw`` and guess every column: the first half of an ingest."""
    mapping = mapping or Mapping()
    p = Path(path)
    fmt, details = read_raw(cur, p, mapping.read)
    columns = [r[0] for r in cur.execute("DESCRIBE _raw").fetchall()]
    rows = int(cur.execute("SELECT count(*) FROM _raw").fetchone()[0])
    if rows == 0:
        raise InputError("The file has a header but no rows of data.", file=str(p),
                         fix="Export the leads again with their rows.")
    for name in list(mapping.columns) + ([outcome] if outcome else []):
        if name not in columns:
            raise InputError(f"The column '{name}' named in the mapping is not in the file.",
                             file=str(p), column=name,
                             fix=f"Use one of the file's columns: {', '.join(columns)}.")
    sql = _Sql(PLACEHOLDERS + tuple(mapping.placeholders))
    stats = _profile(cur, columns, sql, rows)
    guesses = guess_columns(stats, mapping, outcome)
    return fmt, details, rows, stats, guesses


def preview(path: str | os.PathLike[str], mapping: Mapping | None = None,
            outcome: str | None = None) -> list[ColumnGuess]:
    """The guessed roles and types of a file's columns, without storing anything."""
    cur = duckdb.connect()
    try:
        return analyse(cur, path, mapping, outcome)[4]
    finally:
        cur.close()


def ingest(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    *,
    outcome: str | None = None,
    mapping: Mapping | str | os.PathLike[str] | None = None,
    replace: bool = False,
    require_outcome: bool = True,
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """Load a file into ``leads`` (replacing, or appending to, what is there).

    With ``require_outcome=False`` a file without an outcome column loads as open leads
    (new leads to score with agreed weights).

    Appending requires the same columns; rows whose ``lead_id`` is already stored replace
    the stored ones (a newer export wins). Raises :class:`InputError` with the file,
    column, rows and a fix; the database is then left exactly as it was.
    """
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    p = Path(path)
    say = progress or (lambda _msg: None)
    cur = con.cursor()
    try:
        say("reading")
        fmt, details, rows, _stats, guesses = analyse(cur, p, mapping, outcome)
        by_role = {g.role: g for g in guesses}
        if "outcome" not in by_role and require_outcome:
            raise InputError(
                "No outcome column found (looked for names like outcome, status, stage, "
                "converted, won).", file=str(p),
                fix="Name it with --outcome COLUMN. The file's columns are: "
                    + ", ".join(g.source_name for g in guesses) + ".")
        if not any(g.role in ATTRIBUTE_ROLES for g in guesses):
            raise InputError("No profile or behavior columns to score.", file=str(p),
                             fix="Map at least one column as profile or behavior.")
        sql = _Sql(PLACEHOLDERS + tuple(mapping.placeholders))
        say("checking")
        outcome_sql = (_outcome_expr(cur, p, by_role["outcome"], mapping)
                       if "outcome" in by_role else "'open'")
        plans = _plan(cur, guesses, sql)
        issues = _run_checks(cur, plans)
        select = ["rowid + 1 AS _row", f"{outcome_sql} AS outcome"]
        if "lead_id" not in by_role:
            select.append("'row-' || CAST(rowid + 1 AS VARCHAR) AS lead_id")
        for plan in plans:
            expr = plan.expr
            if plan.guess.role == "lead_id":
                expr = f"coalesce({expr}, 'row-' || CAST(rowid + 1 AS VARCHAR))"
            select.append(f"{expr} AS {quote(plan.guess.name)}")
        cur.execute("CREATE OR REPLACE TEMP TABLE _clean AS SELECT " + ", ".join(select)
                    + " FROM _raw")
        issues += _duplicates(cur)
        say("storing")
        final = ("SELECT * EXCLUDE (_row) FROM _clean "
                 "QUALIFY row_number() OVER (PARTITION BY lead_id ORDER BY _row DESC) = 1 "
                 "ORDER BY _row")
        columns = list(guesses)
        if "outcome" not in by_role:
            columns.insert(0, ColumnGuess("", "outcome", "outcome", "categorical",
                                          "no outcome column: all open"))
        if "lead_id" not in by_role:
            columns.insert(0, ColumnGuess("", "lead_id", "lead_id", "text", "row number"))
        mode = _store(cur, p, final, columns, rows, replace, issues)
        report = _report(con, p, fmt, details, rows, columns, issues, mode)
    finally:
        cur.close()
    return report


def _duplicates(cur: duckdb.DuckDBPyConnection) -> list[Issue]:
    row = cur.execute(
        "SELECT count(*) FILTER (WHERE n_outcomes = 1), count(*) FILTER (WHERE n_outcomes > 1),"
        " sum(n - 1) FILTER (WHERE n_outcomes = 1), sum(n - 1) FILTER (WHERE n_outcomes > 1) "
        "FROM (SELECT lead_id, count(*) AS n, count(DISTINCT outcome) AS n_outcomes "
        "FROM _clean GROUP BY lead_id HAVING count(*) > 1)"
    ).fetchone()
    issues = []
    same, conflicting = int(row[0]), int(row[1])
    if same:
        rows = [int(r[0]) for r in cur.execute(
            "SELECT _row FROM _clean QUALIFY count(*) OVER (PARTITION BY lead_id) > 1 "
            "AND count(DISTINCT outcome) OVER (PARTITION BY lead_id) = 1 "
            "ORDER BY _row LIMIT 5").fetchall()]
        issues.append(Issue("lead_id", "duplicated lead ids with the same outcome", int(row[2]),
                            rows, f"{same:,} ids kept once (the last row)"))
    if conflicting:
        rows = [int(r[0]) for r in cur.execute(
            "SELECT _row FROM _clean QUALIFY count(DISTINCT outcome) OVER "
            "(PARTITION BY lead_id) > 1 ORDER BY _row LIMIT 5").fetchall()]
        issues.append(Issue("lead_id", "duplicated lead ids with different outcomes",
                            int(row[3]), rows,
                            f"{conflicting:,} ids kept once, the last row in the file wins"))
    return issues


def _store(con: duckdb.DuckDBPyConnection, path: Path, final: str, columns: list[ColumnGuess],
           rows: int, replace: bool, issues: list[Issue]) -> str:
    """Swap the cleaned rows into ``leads`` in one transaction (replace or append)."""
    from calibrate.store import read_columns, table_exists

    stored = [c for c in columns if c.role != "ignore"]
    mode = "replace"
    with transaction(con, own_cursor=False) as tx:
        exists = table_exists(tx, "leads")
        if exists and not replace:
            old = {(c.name, c.type) for c in read_columns(tx) if c.role != "ignore"}
            new = {(c.name, c.type) for c in stored}
            if old != new:
                missing = sorted(n for n, _ in old - new)
                added = sorted(n for n, _ in new - old)
                raise InputError(
                    "The file's columns differ from the leads already loaded "
                    f"(missing or changed: {', '.join(missing) or 'none'}; new or changed: "
                    f"{', '.join(added) or 'none'}).",
                    file=str(path),
                    fix="Pass --replace to replace the stored leads with this file, or "
                        "export the same columns as before.")
            mode = "append"
            names = ", ".join(quote(c.name) for c in stored)
            tx.execute(f"CREATE OR REPLACE TEMP TABLE _final AS {final}")
            tx.execute("DELETE FROM leads WHERE lead_id IN (SELECT lead_id FROM _final)")
            tx.execute(f"INSERT INTO leads ({names}) SELECT {names} FROM _final")
            tx.execute("DROP TABLE _final")
        else:
            tx.execute(f"CREATE OR REPLACE TABLE leads AS {final}")
        store_columns(tx, columns)
        tx.execute(
            "INSERT INTO ingests VALUES (nextval('ingest_id_seq'), now(), ?, ?, ?, ?)",
            [str(path), rows, mode, _issues_json(issues)],
        )
    return mode


def _issues_json(issues: list[Issue]) -> str:
    from calibrate.store import to_json

    return to_json([i.__dict__ for i in issues])


def _report(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, details: dict[str, Any],
            rows: int, columns: list[ColumnGuess], issues: list[Issue],
            mode: str) -> IngestReport:
    has_created = any(c.role == "created_at" for c in columns)
    counts = dict(con.execute("SELECT outcome, count(*) FROM leads GROUP BY 1").fetchall())
    loaded = int(sum(counts.values()))
    dates: tuple[Any, Any] = (None, None)
    if has_created:
        dates = tuple(con.execute("SELECT min(created_at), max(created_at) FROM leads")
                      .fetchone())  # type: ignore[assignment]
    report = IngestReport(str(path), fmt, rows, loaded, columns,
                          {k: int(counts.get(k, 0)) for k in OUTCOMES}, dates, issues,
                          details=details, mode=mode)
    closed = {k: report.outcome_counts[k] for k in CLOSED}
    present = [k for k, v in closed.items() if v]
    if len(present) < 2:
        report.warnings.append(
            f"Only {', '.join(present) or 'open'} leads: a fit needs both won and not-won "
            "closed leads.")
    elif closed["won"] < 30:
        report.warnings.append(f"Only {closed['won']} won leads: suggested weights will be "
                               "unreliable (30 or more are needed).")
    if mode == "append":
        report.rows_loaded = loaded
    return report

"""Loading a CRM export (CSV, Parquet, XLSX) into the ``leads`` table, cleaned and checked.

The steps, each in its own module: :mod:`calibrate.data.file_preview` opens the file
(:mod:`calibrate.data.readers`), profiles it and guesses each column's role and type
(:mod:`calibrate.data.roles`), :mod:`calibrate.data.cleaning` stages every row, cleaned,
with a code of what was done, and :mod:`calibrate.data.outcome_labels` maps the outcome
labels (those of the sample during the pass, any others after it). This module runs them,
reports the issues, merges duplicate ids and swaps the result into ``leads`` in one
transaction: a failed ingest changes nothing.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from calibrate.data.cleaning import row_numbers, stage
from calibrate.data.cleaning_checks import EXAMPLES, Issue, run_checks, state_columns
from calibrate.data.cleaning_plan import Plan, plan_columns
from calibrate.data.csv_failures import csv_failure
from calibrate.data.file_format import NotUtf8, not_utf8
from calibrate.data.file_preview import analyse_file, mapping_sql, no_outcome
from calibrate.data.ingest_errors import duckdb_errors
from calibrate.data.outcome_labels import drop_ignored, late_labels, sample_labels
from calibrate.data.outcomes import OUTCOMES, fit_warnings
from calibrate.data.quality import not_scored
from calibrate.data.readers import parquet_files
from calibrate.data.roles import (
    ATTRIBUTE_ROLES,
    ColumnGuess,
    ColumnStats,
    Mapping,
    load_mapping,
    mapping_to_toml,
    step_aside,
)
from calibrate.data.store import (
    STAGING,
    WRITE_LOCK,
    set_load_mapping,
    store_columns,
    transaction,
)
from calibrate.errors import InputError, is_disk_full
from calibrate.sql import literal, quote

#: DuckDB may use at most twice the file's size during an ingest, within these bounds;
#: beyond it, it spills to disk. Without a cap its working set grows with the CPU count
#: (read buffers per thread), not with the file.
MEMORY_FLOOR = 512 << 20
MEMORY_CAP = 2 << 30


def memory_cap(file_size: int) -> int:
    """DuckDB's memory limit, in bytes, while it ingests a file of ``file_size`` bytes."""
    return min(MEMORY_CAP, max(MEMORY_FLOOR, 2 * file_size))


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
        """The columns of each role, by their headers as written (generated ones by name)."""
        out: dict[str, list[str]] = {}
        for c in self.columns:
            out.setdefault(c.role, []).append(c.source_name or f"({c.reason})")
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
            if role != "ignore":
                lines.append(f"  {role}: {', '.join(names)}")
        for why, names in not_scored(self.columns).items():
            lines.append(f"  not scored, {why}: {_shortened(names)}")
        if self.issues:
            lines.append("Cleaning:")
            lines.extend(f"  {i}" for i in self.issues)
        if self.warnings:
            lines.append("Warnings:")
            lines.extend(f"  {w}" for w in self.warnings)
        return "\n".join(lines)


def _file_has_nul(path: Path) -> bool:
    """Whether a text file holds a NUL byte anywhere (a memory-mapped search: a few
    hundredths of a second where a scan of the stored text would take tenths)."""
    import mmap

    with open(path, "rb") as fh:
        if fh.seek(0, 2) == 0:
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return mm.find(b"\x00") >= 0


def _strip_nul(cur: duckdb.DuckDBPyConnection, plans: list[Plan], row: str) -> list[Issue]:
    """Remove NUL characters from stored text, reported like other cleaning: no SQL literal
    can hold one, so a NUL left in a level would break every later fit. One scan finds
    them (rare); only then is anything rewritten."""
    texts = [p.guess.name for p in plans if p.guess.type in ("categorical", "text")]
    if not texts:
        return []
    found = cur.execute("SELECT " + ", ".join(
        f"count(*) FILTER (WHERE contains({quote(c)}, chr(0)))" for c in texts)
        + f" FROM {STAGING}").fetchone()
    issues = []
    for plan_name, n in zip(texts, found, strict=True):
        if not n:
            continue
        col = quote(plan_name)
        rows = [int(r[0]) for r in cur.execute(
            f"SELECT {row} FROM {STAGING} WHERE contains({col}, chr(0)) ORDER BY rowid "
            f"LIMIT {EXAMPLES}").fetchall()]
        cur.execute(f"UPDATE {STAGING} SET {col} = nullif(trim(replace({col}, chr(0), '')), "
                    f"'') WHERE contains({col}, chr(0))")
        label = next(p.guess.label for p in plans if p.guess.name == plan_name)
        issues.append(Issue(label, "values with NUL characters", int(n), rows, "removed"))
    return issues


def _bytes(setting: str) -> float:
    """A DuckDB memory setting ("18.8 GiB", "512.0 MiB") in bytes."""
    m = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?i?B|bytes)?\s*", setting or "")
    if not m:
        return float("inf")
    unit = (m.group(2) or "B").replace("bytes", "B")
    scale = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
             "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}.get(unit, 1)
    return float(m.group(1)) * scale


@contextmanager
def _memory_cap(con: duckdb.DuckDBPyConnection, path: Path) -> Iterator[None]:
    """Cap DuckDB's memory while it ingests ``path`` (it spills to disk beyond), then
    restore the setting."""
    try:
        size = (sum(f.stat().st_size for f in parquet_files(path)) if path.is_dir()
                else path.stat().st_size)
        cap = memory_cap(size)
    except OSError:  # a missing file is reported by the read itself
        cap = MEMORY_CAP
    old = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    capped = _bytes(old) > cap
    if capped:
        con.execute(f"SET memory_limit = '{cap >> 20}MiB'")
    try:
        yield
    finally:
        if capped:
            con.execute(f"SET memory_limit = {literal(old)}")


def ingest(
    con: duckdb.DuckDBPyConnection,
    path: str | os.PathLike[str],
    *,
    outcome: str | None = None,
    mapping: Mapping | str | os.PathLike[str] | None = None,
    replace: bool = False,
    require_outcome: bool = True,
    progress: Callable[[str], None] | None = None,
    name: str | None = None,
) -> IngestReport:
    """Load a file into ``leads`` (replacing, or appending to, what is there).

    ``name`` is what the store and the report call the source when the file is only its
    carrier (a database table read to a temporary file); by default the file's path.

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
        with duckdb_errors(p, cur), _memory_cap(cur, p):
            try:
                return _ingest(cur, con, p, outcome, mapping, replace, require_outcome, say,
                               name)
            except NotUtf8:
                latin1 = dataclasses.replace(mapping, read={**mapping.read,
                                                            "encoding": "latin-1"})
                return _ingest(cur, con, p, outcome, latin1, replace, require_outcome, say,
                               name)
    finally:
        for name in ("_sample", "_dup", "_file", "_snapshot"):  # an XLSX's _file is a table
            try:
                cur.execute(f"DROP TABLE IF EXISTS {name}")
            except duckdb.Error:
                pass
        for name in ("_file", "_typed", "_parquet"):
            try:
                cur.execute(f"DROP VIEW IF EXISTS {name}")
            except duckdb.Error:
                pass
        cur.close()


def _ingest(cur: duckdb.DuckDBPyConnection, con: duckdb.DuckDBPyConnection, p: Path,
            outcome: str | None, mapping: Mapping, replace: bool, require_outcome: bool,
            say: Callable[[str], None], name: str | None = None) -> IngestReport:
    say("reading")
    source, stats, guesses = analyse_file(cur, p, mapping, outcome)
    by_role = {g.role: g for g in guesses}
    if "outcome" not in by_role and require_outcome:
        raise no_outcome(p, stats, guesses, cur, source.whole)
    if not any(g.role in ATTRIBUTE_ROLES for g in guesses):
        raise InputError("No profile or behavior columns to score.", file=str(p),
                         fix="Map at least one column as profile or behavior.")
    sql = mapping_sql(mapping)
    say("checking")
    plans = plan_columns(guesses, stats, sql)
    labels = (sample_labels(cur, p, by_role["outcome"], mapping, sql)
              if "outcome" in by_role else None)
    columns = list(guesses)
    generated_id = "lead_id" not in by_role
    for role, type_, reason in (("outcome", "categorical", "no outcome column: all open"),
                                ("lead_id", "text", "row number")):
        if role not in by_role:
            for g in columns:  # an attribute named like the generated column steps aside
                if g.name.casefold() == role:
                    g.name = step_aside(g.name, {c.name for c in columns} | {role})
            columns.insert(0, ColumnGuess("", role, role, type_, reason))
    # Two transactions, under the process's write lock throughout: the first only writes
    # the cleaned rows to a staging table; the second checks them, merges duplicates and
    # swaps them in. Rows deleted from a table in the transaction that wrote it make
    # DuckDB copy the whole table again at commit (3 s of 12 on a million rows); deleted
    # after its commit, they cost nothing. ``leads`` changes only in the second, so a
    # failure anywhere still leaves it as it was, and the staging table is dropped.
    with WRITE_LOCK:
        mode = _check_append(cur, p, columns, replace)
        try:
            try:
                stage(cur, source, plans, stats, labels, generated_id, sql)
            except duckdb.Error as exc:
                # A large CSV is sampled without reading all of it: a broken row or a
                # byte that is not UTF-8 further on shows itself here.
                if source.fmt != "csv" or is_disk_full(exc):
                    raise
                encoding = source.details["encoding"]
                if not_utf8(exc, encoding, mapping.read):
                    raise NotUtf8() from None
                raise csv_failure(p, mapping.read, encoding, exc) from None
            with transaction(cur, own_cursor=False) as tx:
                row = row_numbers(tx)
                rows = int(tx.execute(f"SELECT count(*) FROM {STAGING}").fetchone()[0])
                if labels is not None:
                    late_labels(tx, p, labels, mapping, row)
                    ignored = drop_ignored(tx, labels.column, row)
                    rows -= ignored.count if ignored else 0
                issues = run_checks(tx, plans, row)
                if source.fmt != "csv" or _file_has_nul(p):
                    issues += _strip_nul(tx, plans, row)
                if labels is not None and ignored:
                    issues.insert(0, ignored)
                if not generated_id:
                    issues += _duplicates(tx, row, by_role["lead_id"].label)
                say("storing")
                _store(tx, plans, columns, mode)
                store_columns(tx, columns)
                set_load_mapping(tx, mapping_to_toml(mapping))
                tx.execute(
                    "INSERT INTO ingests VALUES (nextval('ingest_id_seq'), now(), ?, ?, ?, ?)",
                    [name or str(p), rows, mode, issues_json(issues)],
                )
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {STAGING}")
    report = _report(con, name or str(p), source.fmt, source.details, rows,
                     columns, issues, mode)
    report.warnings.extend(_free_text_warnings(guesses, stats))
    return report


def _shortened(names: list[str], most: int = 8) -> str:
    """A list of names, the middle of a long one elided ("A, B, ... (200 columns), Z")."""
    if len(names) <= most:
        return ", ".join(names)
    return (", ".join(names[:most - 2]) + f", ... ({len(names):,} columns), "
            + names[-1])


def _free_text_warnings(guesses: list[ColumnGuess], stats: list[ColumnStats]) -> list[str]:
    """Scored columns with a different value in (nearly) every row cannot be scored."""
    by_name = {s.name: s for s in stats}
    out = []
    for g in guesses:
        s = by_name.get(g.source_name)
        if g.role in ATTRIBUTE_ROLES and g.type == "text" and s is not None:
            out.append(
                f"Column '{g.source_name}' has {s.distinct:,} different values in "
                f"{s.present:,} rows (free text or identifiers): as a {g.role} attribute "
                "almost every value is pooled into 'Other', so it scores nothing. Set its "
                "role to ignore, or group its values (cities into regions) before loading.")
    return out


def _check_append(tx: duckdb.DuckDBPyConnection, path: Path, columns: list[ColumnGuess],
                  replace: bool) -> str:
    """``append`` when leads are stored and not replaced: then the columns must match."""
    from calibrate.data.store import read_columns, table_exists

    if replace or not table_exists(tx, "leads"):
        return "replace"
    old = {(c.name, c.type) for c in read_columns(tx) if c.role != "ignore"}
    new = {(c.name, c.type) for c in columns if c.role != "ignore"}
    if old != new:
        missing = sorted(n for n, _ in old - new)
        added = sorted(n for n, _ in new - old)
        raise InputError(
            "The file's columns differ from the leads already loaded "
            f"(missing or changed: {', '.join(missing) or 'none'}; new or changed: "
            f"{', '.join(added) or 'none'}).",
            file=str(path),
            fix="Pass --replace to replace the stored leads with this file, or "
                "export the same columns as before.",
            app_fix="Untick 'Append to the leads already loaded (same columns)' to replace "
                    "the stored leads with this file, or export the same columns as before.")
    return "append"


def _duplicates(cur: duckdb.DuckDBPyConnection, row_sql: str, column: str) -> list[Issue]:
    """Report duplicated lead ids and drop all but the last row of each (file order kept)."""
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE _dup AS SELECT {row_sql} AS _row, lead_id, outcome "
        f"FROM {STAGING} WHERE lead_id IN "
        f"(SELECT lead_id FROM {STAGING} GROUP BY lead_id HAVING count(*) > 1)")
    row = cur.execute(
        "SELECT count(*) FILTER (WHERE n_outcomes = 1), count(*) FILTER (WHERE n_outcomes > 1),"
        " sum(n - 1) FILTER (WHERE n_outcomes = 1), sum(n - 1) FILTER (WHERE n_outcomes > 1) "
        "FROM (SELECT lead_id, count(*) AS n, count(DISTINCT outcome) AS n_outcomes "
        "FROM _dup GROUP BY lead_id)"
    ).fetchone()
    issues = []
    same, conflicting = int(row[0]), int(row[1])
    if same:
        rows = [int(r[0]) for r in cur.execute(
            "SELECT _row FROM _dup QUALIFY count(DISTINCT outcome) OVER (PARTITION BY lead_id) "
            "= 1 ORDER BY _row LIMIT 5").fetchall()]
        issues.append(Issue(column, "duplicated lead ids with the same outcome", int(row[2]),
                            rows, f"{same:,} ids kept once (the last row)"))
    if conflicting:
        rows = [int(r[0]) for r in cur.execute(
            "SELECT _row FROM _dup QUALIFY count(DISTINCT outcome) OVER "
            "(PARTITION BY lead_id) > 1 ORDER BY _row LIMIT 5").fetchall()]
        issues.append(Issue(column, "duplicated lead ids with different outcomes",
                            int(row[3]), rows,
                            f"{conflicting:,} ids kept once, the last row in the file wins"))
    if same or conflicting:
        cur.execute(f"DELETE FROM {STAGING} WHERE {row_sql} IN (SELECT _row FROM _dup "
                    "QUALIFY _row < max(_row) OVER (PARTITION BY lead_id))")
    cur.execute("DROP TABLE _dup")
    return issues


def _store(tx: duckdb.DuckDBPyConnection, plans: list[Plan], columns: list[ColumnGuess],
           mode: str) -> None:
    """Turn ``_calibrate_new`` into the leads: drop the helper columns, then replace
    ``leads`` by it or append it (rows with a stored id replace it)."""
    for helper in state_columns(plans):
        tx.execute(f"ALTER TABLE {STAGING} DROP COLUMN {helper}")
    if mode == "append":
        names = ", ".join(quote(c.name) for c in columns if c.role != "ignore")
        tx.execute(f"DELETE FROM leads WHERE lead_id IN (SELECT lead_id FROM {STAGING})")
        tx.execute(f"INSERT INTO leads ({names}) SELECT {names} FROM {STAGING}")
        tx.execute(f"DROP TABLE {STAGING}")
    else:
        tx.execute("DROP TABLE IF EXISTS leads")
        tx.execute(f"ALTER TABLE {STAGING} RENAME TO leads")


def issues_json(issues: list[Issue]) -> str:
    from calibrate.data.store import to_json

    return to_json([i.__dict__ for i in issues])


def _report(con: duckdb.DuckDBPyConnection, path: Path | str, fmt: str, details: dict[str, Any],
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
    report.warnings.extend(fit_warnings(report.outcome_counts))
    if mode == "append":
        report.rows_loaded = loaded
    return report

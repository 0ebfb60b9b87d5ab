"""Loading a CRM export (CSV, Parquet, XLSX) into the ``leads`` table, cleaned and checked.

The steps, each in its own module: :mod:`calibrate.data.readers` opens the file for DuckDB and
draws a profile sample, :mod:`calibrate.data.roles` guesses each column's role and type from
it, and :mod:`calibrate.data.cleaning` stages every row, cleaned, with a code of what was done.
This module maps the outcome labels (those of the sample during the pass, any others
after it), reports the issues, merges duplicate ids and swaps the result into ``leads``
in one transaction: a failed ingest changes nothing.
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
from typing import Any, NoReturn

import duckdb

from calibrate.data.cleaning import (
    EXAMPLES,
    TOP,
    Issue,
    Labels,
    Plan,
    Sql,
    plan_columns,
    profile_columns,
    row_numbers,
    run_checks,
    stage,
    state_columns,
)
from calibrate.data.outcomes import (
    OUTCOMES,
    OutcomeCandidate,
    describe_candidates,
    fit_warnings,
    normalise,
    normalise_all,
)
from calibrate.data.quality import not_scored
from calibrate.data.readers import NotUtf8, Source, csv_error, csv_failure, not_utf8, open_source
from calibrate.data.roles import (
    ATTRIBUTE_ROLES,
    IGNORED,
    MAX_OUTCOME_LABELS,
    ColumnGuess,
    ColumnStats,
    Mapping,
    guess_columns,
    load_mapping,
    outcome_candidates,
    step_aside,
)
from calibrate.data.store import STAGING, WRITE_LOCK, db_file, store_columns, transaction
from calibrate.errors import (
    CalibrateError,
    DiskFullError,
    InputError,
    disk_full_error,
    is_disk_full,
    size_text,
)
from calibrate.sql import literal, quote
from calibrate.vocabulary import PLACEHOLDERS

#: DuckDB may use at most this much memory during an ingest; beyond it, it spills to disk.
MEMORY_CAP = 2 << 30


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


def _sample_labels(cur: duckdb.DuckDBPyConnection, path: Path, guess: ColumnGuess,
                   mapping: Mapping, sql: Sql) -> Labels:
    """The outcome labels of the sample, mapped. A column with too many different values
    is refused here, before the file is read."""
    labels = cur.execute(
        f"SELECT {sql.trimmed(quote(guess.source_name))}, count(*) FROM _sample GROUP BY 1"
    ).fetchall()
    if len(labels) > MAX_OUTCOME_LABELS:
        _too_many_labels(path, guess.source_name, f"{len(labels):,} different values in a "
                     f"sample of {sum(n for _, n in labels):,} rows")
    known, _ = normalise_all([label for label, _ in labels], mapping.outcomes)
    known[None] = normalise(None, mapping.outcomes) or "open"
    return Labels(guess.source_name, known)


def _too_many_labels(path: Path, column: str, what: str) -> NoReturn:
    raise InputError(
        f"The outcome column has {what}; it does not look like an outcome (won / lost / "
        "no decision / open).", file=str(path), column=column,
        fix="Pass the right column with --outcome COLUMN (or choose it in the app).")


def _late_labels(cur: duckdb.DuckDBPyConnection, path: Path, labels: Labels,
                 mapping: Mapping, row: str) -> None:
    """Map the outcome labels the sample did not show (staged marked, see :class:`Labels`).

    Unknown labels fail, naming them with their counts and rows.
    """
    late = cur.execute(
        f"SELECT substr(outcome, 2), count(*) FROM {STAGING} WHERE starts_with(outcome, "
        f"chr(1)) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {MAX_OUTCOME_LABELS + 1}").fetchall()
    if not late:
        return
    column = labels.column
    if len(late) + len(labels.known) - 1 > MAX_OUTCOME_LABELS:
        _too_many_labels(path, column, f"more than {MAX_OUTCOME_LABELS} different values")
    mapped, unknown = normalise_all([label for label, _ in late], mapping.outcomes)
    if unknown:
        counts = dict(late)
        shown = ", ".join(f"'{u}' ({counts[u]:,} rows)" for u in unknown[:10])
        if len(unknown) > 10:
            shown += f" and {len(unknown) - 10:,} more"
        first = unknown[0]
        rows = [int(r[0]) for r in cur.execute(
            f"SELECT {row} FROM {STAGING} WHERE outcome = chr(1) || ? ORDER BY rowid "
            f"LIMIT {EXAMPLES}", [first]).fetchall()]
        raise InputError(
            f"Outcome labels not recognised: {shown}.",
            file=str(path), column=column, rows=rows,
            fix="Say what each label means in a mapping file passed with --mapping, e.g.\n"
                f'  [outcomes]\n  won = ["{first}"]   # or lost / no_decision / open\n'
                "Known labels include: won / closed won / converted / yes / 1; lost / closed "
                "lost / no / 0; no decision / stalled; open / in progress / blank.")
    cases = " ".join(f"WHEN outcome = chr(1) || {literal(label)} THEN {literal(out)}"
                     for label, out in mapped.items())
    cur.execute(f"UPDATE {STAGING} SET outcome = CASE {cases} END "
                "WHERE starts_with(outcome, chr(1))")


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


def _drop_ignored(cur: duckdb.DuckDBPyConnection, column: str, row: str) -> Issue | None:
    """Leave out the rows whose outcome label was mapped to ``ignore``, as an issue."""
    found = cur.execute(
        f"SELECT count(*), (list({row} ORDER BY {row}))[1:{EXAMPLES}] FROM {STAGING} "
        f"WHERE outcome = {literal(IGNORED)}").fetchone()
    if not found[0]:
        return None
    cur.execute(f"DELETE FROM {STAGING} WHERE outcome = {literal(IGNORED)}")
    return Issue(column, "rows whose outcome label is set to ignore", int(found[0]),
                 [int(r) for r in found[1]], "not loaded")


def _analyse(cur: duckdb.DuckDBPyConnection, p: Path, mapping: Mapping,
             outcome: str | None) -> tuple[Source, list[ColumnStats], list[ColumnGuess]]:
    source = open_source(cur, p, mapping.read)
    columns = source.columns
    if source.sample_rows == 0:
        raise InputError("The file has a header but no rows of data.", file=str(p),
                         fix="Export the leads again with their rows.")
    for name in list(mapping.columns) + ([outcome] if outcome else []):
        if name not in columns:
            raise InputError(f"The column '{name}' named in the mapping is not in the file.",
                             file=str(p), column=name,
                             fix=f"Use one of the file's columns: {', '.join(columns)}.")
    stats = profile_columns(cur, columns, _sql(mapping), source.sample_rows)
    guesses = guess_columns(stats, mapping, outcome)
    return source, stats, guesses


def _sql(mapping: Mapping) -> Sql:
    """The cleaning expressions, with the mapping's own placeholders added to the usual."""
    return Sql(PLACEHOLDERS + tuple(mapping.placeholders))


def analyse(cur: duckdb.DuckDBPyConnection, path: str | os.PathLike[str],
            mapping: Mapping | None = None, outcome: str | None = None,
            ) -> tuple[str, dict[str, Any], int, list[ColumnStats], list[ColumnGuess]]:
    """Open a file as ``_file`` and guess every column: the first half of an ingest."""
    with _duckdb_errors(Path(path)):
        source, stats, guesses = _analyse(cur, Path(path), mapping or Mapping(), outcome)
        rows = source.sample_rows if source.whole else int(
            cur.execute("SELECT count(*) FROM _file").fetchone()[0])
    return source.fmt, source.details, rows, stats, guesses


def preview(path: str | os.PathLike[str], mapping: Mapping | None = None,
            outcome: str | None = None) -> list[ColumnGuess]:
    """The guessed roles and types of a file's columns, without storing anything."""
    return inspect_file(path, mapping, outcome).columns


@dataclass
class FilePreview:
    """What a file holds before it is loaded: the guesses, the values behind them and the
    outcome candidates (the app's Data page shows these for the user to check)."""

    columns: list[ColumnGuess]
    stats: dict[str, ColumnStats]  # by header as written
    candidates: list[OutcomeCandidate]
    format: str
    details: dict[str, Any]
    sample_rows: int
    whole: bool  # the sample is the whole file
    exact: frozenset[str] = frozenset()  # columns whose values were counted over every row

    @property
    def headers(self) -> list[str]:
        return [c.source_name for c in self.columns]

    @property
    def outcome(self) -> str | None:
        """The header of the column guessed (or set) as the outcome."""
        return next((c.source_name for c in self.columns if c.role == "outcome"), None)


def inspect_file(path: str | os.PathLike[str], mapping: Mapping | None = None,
                 outcome: str | None = None) -> FilePreview:
    """Open a file and guess every column without storing anything."""
    mapping = mapping or Mapping()
    cur = duckdb.connect()
    try:
        with _duckdb_errors(Path(path)):
            try:
                source, stats, guesses = _analyse(cur, Path(path), mapping, outcome)
            except NotUtf8:
                mapping = dataclasses.replace(mapping, read={**mapping.read,
                                                             "encoding": "latin-1"})
                source, stats, guesses = _analyse(cur, Path(path), mapping, outcome)
            counted = [c.column for c in outcome_candidates(stats)] + [
                g.source_name for g in guesses if g.role == "outcome"]
            if not source.whole:
                stats = exact_values(cur, stats, counted)
        return FilePreview(guesses, {s.name: s for s in stats}, outcome_candidates(stats),
                           source.fmt, source.details, source.sample_rows, source.whole,
                           frozenset(counted))
    finally:
        cur.close()


@contextmanager
def _duckdb_errors(path: Path, con: duckdb.DuckDBPyConnection | None = None
                   ) -> Iterator[None]:
    """Any other DuckDB error while reading a file becomes a message, never a traceback.

    With ``con`` (an ingest into the store), a full disk is said as such, with what it
    did to the database file."""
    db = db_file(con) if con is not None else None
    before = _stored_size(db)
    try:
        yield
    except DiskFullError as exc:
        raise _disk_full(exc, path, db, before) from None
    except CalibrateError:
        raise
    except (duckdb.Error, UnicodeError, OSError) as exc:
        if is_disk_full(exc):
            raise _disk_full(exc, path, db, before) from None
        raise _read_error(path, exc) from None


def _stored_size(db: Path | None) -> int:
    """Bytes of the database file and its journal (``.wal``)."""
    if db is None:
        return 0
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + ".wal")) if p.exists())


def _disk_full(exc: BaseException, path: Path, db: Path | None, before: int) -> DiskFullError:
    """A full disk during an ingest: nothing was loaded; say if the file grew meanwhile."""
    outcome = f"Nothing was loaded from {path.name}: the stored leads are as they were."
    after = _stored_size(db)
    if db is not None and after > before:
        outcome += (f" The database file and its journal grew from {size_text(before)} to "
                    f"{size_text(after)} during the attempt (DuckDB reuses that space for "
                    "the next load).")
    err = disk_full_error(exc, db or path, outcome=outcome,
                          where=getattr(exc, "written", None),
                          fix="Free space on that disk (or point --db / CALIBRATE_DB at a "
                              "disk with room), then load the file again.")
    if err.invalidated:
        err.fix += " Open the database again (restart the app) once there is room."
    return err


def _read_error(path: Path, exc: BaseException) -> CalibrateError:
    if isinstance(exc, duckdb.OutOfMemoryException):
        return InputError("The file is too large to load with the memory available.",
                          file=str(path),
                          fix="Free memory (close other programs), or split the file and "
                              "load the parts one after another (without --replace).")
    if isinstance(exc, duckdb.Error):
        return csv_error(path, exc)
    return InputError(f"The file could not be read: {exc}", file=str(path),
                      fix="Check that it is a CSV, Parquet or XLSX export of leads.")


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
def _memory_cap(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Cap DuckDB's memory during an ingest (it spills to disk beyond), then restore it."""
    old = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    capped = _bytes(old) > MEMORY_CAP
    if capped:
        con.execute(f"SET memory_limit = '{MEMORY_CAP >> 20}MiB'")
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
        with _duckdb_errors(p, cur), _memory_cap(cur):
            try:
                return _ingest(cur, con, p, outcome, mapping, replace, require_outcome, say)
            except NotUtf8:
                latin1 = dataclasses.replace(mapping, read={**mapping.read,
                                                            "encoding": "latin-1"})
                return _ingest(cur, con, p, outcome, latin1, replace, require_outcome, say)
    finally:
        for name in ("_sample", "_dup", "_file"):  # an XLSX's _file is a table
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
            say: Callable[[str], None]) -> IngestReport:
    say("reading")
    source, stats, guesses = _analyse(cur, p, mapping, outcome)
    by_role = {g.role: g for g in guesses}
    if "outcome" not in by_role and require_outcome:
        raise no_outcome(p, stats, guesses, cur, source.whole)
    if not any(g.role in ATTRIBUTE_ROLES for g in guesses):
        raise InputError("No profile or behavior columns to score.", file=str(p),
                         fix="Map at least one column as profile or behavior.")
    sql = _sql(mapping)
    say("checking")
    plans = plan_columns(guesses, stats, sql)
    labels = (_sample_labels(cur, p, by_role["outcome"], mapping, sql)
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
                    _late_labels(tx, p, labels, mapping, row)
                    ignored = _drop_ignored(tx, labels.column, row)
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
                tx.execute(
                    "INSERT INTO ingests VALUES (nextval('ingest_id_seq'), now(), ?, ?, ?, ?)",
                    [str(p), rows, mode, _issues_json(issues)],
                )
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {STAGING}")
    report = _report(con, p, source.fmt, source.details, rows, columns, issues, mode)
    report.warnings.extend(_free_text_warnings(guesses, stats))
    return report


def _shortened(names: list[str], most: int = 8) -> str:
    """A list of names, the middle of a long one elided ("A, B, ... (200 columns), Z")."""
    if len(names) <= most:
        return ", ".join(names)
    return (", ".join(names[:most - 2]) + f", ... ({len(names):,} columns), "
            + names[-1])


class OutcomeNotFound(InputError):
    """No column is clearly the outcome; ``candidates`` are the likeliest by values."""

    def __init__(self, what: str, candidates: list[OutcomeCandidate], **kwargs: Any) -> None:
        self.candidates = candidates
        super().__init__(what, **kwargs)


def exact_values(cur: duckdb.DuckDBPyConnection, stats: list[ColumnStats],
                 columns: list[str]) -> list[ColumnStats]:
    """``stats`` with the values of ``columns`` counted over the whole file, not the
    sample: the counts a user checks an outcome column by. One pass over ``_file``."""
    wanted = list(dict.fromkeys(c for c in columns if c))
    if not wanted:
        return stats
    parts = " UNION ALL ".join(
        f"SELECT {literal(c)} AS col, nullif(trim(CAST({quote(c)} AS VARCHAR)), '') AS v "
        "FROM _file" for c in wanted)
    rows = cur.execute(f"SELECT col, v, count(*) AS n FROM ({parts}) WHERE v IS NOT NULL "
                       "GROUP BY ALL ORDER BY col, n DESC, v").fetchall()
    found: dict[str, list[tuple[str, int]]] = {}
    for col, v, n in rows:
        found.setdefault(col, []).append((v, int(n)))
    return [dataclasses.replace(s, top=tuple(found.get(s.name, [])[:TOP]))
            if s.name in wanted else s for s in stats]


def no_outcome(path: Path, stats: list[ColumnStats],
               guesses: list[ColumnGuess], cur: duckdb.DuckDBPyConnection | None = None,
               whole: bool = True) -> OutcomeNotFound:
    """The error for a file whose outcome column is not clear, listing the candidates
    (with their counts over the whole file when ``cur`` can still read it)."""
    candidates = outcome_candidates(stats)
    if candidates and cur is not None and not whole:
        candidates = outcome_candidates(
            exact_values(cur, stats, [c.column for c in candidates]))
    columns = "The file's columns are: " + ", ".join(g.source_name for g in guesses) + "."
    if candidates:
        return OutcomeNotFound(
            "No outcome column found for sure: the likeliest by values are "
            f"{describe_candidates(candidates)}.", candidates, file=str(path),
            fix=f"Name it with --outcome COLUMN, e.g. --outcome "
                f"{_shell_word(candidates[0].column)}. {columns}")
    return OutcomeNotFound(
        "No outcome column found: no column has won / lost values (such as Closed Won, "
        "Lost, converted, yes / no) or a name like outcome, status or stage.", [],
        file=str(path), fix=f"Name it with --outcome COLUMN. {columns}")


def _shell_word(name: str) -> str:
    """A column name as one word of a shell command line."""
    import shlex

    return shlex.quote(name)


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
                "export the same columns as before.")
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


def _issues_json(issues: list[Issue]) -> str:
    from calibrate.data.store import to_json

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
    report.warnings.extend(fit_warnings(report.outcome_counts))
    if mode == "append":
        report.rows_loaded = loaded
    return report

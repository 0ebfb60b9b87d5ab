"""What a file holds before it is loaded: opened, profiled and every column guessed,
without storing anything; and the error listing the likeliest outcome columns when none is
clear."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from calibrate.data.cleaning_sql import Sql
from calibrate.data.file_format import NotUtf8
from calibrate.data.ingest_errors import duckdb_errors
from calibrate.data.outcomes import OutcomeCandidate, describe_candidates
from calibrate.data.profiling import TOP, profile_columns
from calibrate.data.readers import open_source
from calibrate.data.roles import (
    ColumnGuess,
    ColumnStats,
    Mapping,
    guess_columns,
    outcome_candidates,
)
from calibrate.data.source import Source
from calibrate.errors import InputError
from calibrate.sql import literal, quote
from calibrate.vocabulary import PLACEHOLDERS


def analyse_file(cur: duckdb.DuckDBPyConnection, p: Path, mapping: Mapping,
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
    stats = profile_columns(cur, columns, mapping_sql(mapping), source.sample_rows)
    guesses = guess_columns(stats, mapping, outcome)
    return source, stats, guesses


def mapping_sql(mapping: Mapping) -> Sql:
    """The cleaning expressions, with the mapping's own placeholders added to the usual."""
    return Sql(PLACEHOLDERS + tuple(mapping.placeholders))


def analyse(cur: duckdb.DuckDBPyConnection, path: str | os.PathLike[str],
            mapping: Mapping | None = None, outcome: str | None = None,
            ) -> tuple[str, dict[str, Any], int, list[ColumnStats], list[ColumnGuess]]:
    """Open a file as ``_file`` and guess every column: the first half of an ingest."""
    with duckdb_errors(Path(path)):
        source, stats, guesses = analyse_file(cur, Path(path), mapping or Mapping(), outcome)
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
        with duckdb_errors(Path(path)):
            try:
                source, stats, guesses = analyse_file(cur, Path(path), mapping, outcome)
            except NotUtf8:
                mapping = dataclasses.replace(mapping, read={**mapping.read,
                                                             "encoding": "latin-1"})
                source, stats, guesses = analyse_file(cur, Path(path), mapping, outcome)
            counted = [c.column for c in outcome_candidates(stats)] + [
                g.source_name for g in guesses if g.role == "outcome"]
            if not source.whole:
                stats = exact_values(cur, stats, counted)
        return FilePreview(guesses, {s.name: s for s in stats}, outcome_candidates(stats),
                           source.fmt, source.details, source.sample_rows, source.whole,
                           frozenset(counted))
    finally:
        cur.close()


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
                f"{_shell_word(candidates[0].column)}. {columns}",
            app_fix=f"Pick it in the list 'Outcome column', e.g. {candidates[0].column}. "
                    f"{columns}")
    return OutcomeNotFound(
        "No outcome column found: no column has won / lost values (such as Closed Won, "
        "Lost, converted, yes / no) or a name like outcome, status or stage.", [],
        file=str(path), fix=f"Name it with --outcome COLUMN. {columns}",
        app_fix=f"Pick the outcome column in the list 'Outcome column'. {columns}")


def _shell_word(name: str) -> str:
    """A column name as one word of a shell command line."""
    import shlex

    return shlex.quote(name)

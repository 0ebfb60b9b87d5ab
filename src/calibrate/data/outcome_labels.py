"""An ingest's outcome labels mapped to won / lost / no decision / open: the sample's before
the pass, the others after it; unknown labels refused, labels set to ignore left out."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import duckdb

from calibrate.data.cleaning import Labels
from calibrate.data.cleaning_checks import EXAMPLES, Issue
from calibrate.data.cleaning_sql import Sql
from calibrate.data.outcomes import normalise, normalise_all
from calibrate.data.roles import IGNORED, MAX_OUTCOME_LABELS, ColumnGuess, Mapping
from calibrate.data.store import STAGING
from calibrate.errors import InputError
from calibrate.sql import literal, quote


def sample_labels(cur: duckdb.DuckDBPyConnection, path: Path, guess: ColumnGuess,
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
        fix="Pass the right column with --outcome COLUMN (or choose it in the app).",
        app_fix="Pick the right column in the list 'Outcome column' (step 1), then load "
                "the file again.")


def late_labels(cur: duckdb.DuckDBPyConnection, path: Path, labels: Labels,
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
                "lost / no / 0; no decision / stalled; open / in progress / blank.",
            app_fix=f"Choose what '{first}' and each other label means in step 2 (its "
                    "'becomes' column), then load the file again.")
    cases = " ".join(f"WHEN outcome = chr(1) || {literal(label)} THEN {literal(out)}"
                     for label, out in mapped.items())
    cur.execute(f"UPDATE {STAGING} SET outcome = CASE {cases} END "
                "WHERE starts_with(outcome, chr(1))")


def drop_ignored(cur: duckdb.DuckDBPyConnection, column: str, row: str) -> Issue | None:
    """Leave out the rows whose outcome label was mapped to ``ignore``, as an issue."""
    found = cur.execute(
        f"SELECT count(*), (list({row} ORDER BY {row}))[1:{EXAMPLES}] FROM {STAGING} "
        f"WHERE outcome = {literal(IGNORED)}").fetchone()
    if not found[0]:
        return None
    cur.execute(f"DELETE FROM {STAGING} WHERE outcome = {literal(IGNORED)}")
    return Issue(column, "rows whose outcome label is set to ignore", int(found[0]),
                 [int(r) for r in found[1]], "not loaded")

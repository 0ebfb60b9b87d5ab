"""The count grid as one SQL query that runs where the leads are (issue 21: go to the data).

Why: the count grid (:mod:`calibrate.decide.grid`) is the one step after the fit that reads
every lead. Written once here, in the neutral subset of DuckDB's dialect, and transpiled
with sqlglot (:data:`~calibrate.export.score_sql.DIALECTS`), it runs in the engine that holds
the leads (DuckDB, PostgreSQL and Spark as tested; Snowflake and BigQuery as transpiled)
over their ORIGINAL columns, and only the counts come back: one row per profile points,
behavior points, total, rule class, outcome, month and segment, with ``leads``,
``amount_sum`` and ``amount_n``: the columns of :attr:`~calibrate.decide.grid.Grid.frame`.
:func:`grid_from_rows` reads them back as a :class:`~calibrate.decide.grid.Grid`.

What it counts is what :func:`~calibrate.decide.grid.build_grid` counts over the stored
leads:

* points, total and auto-rule: the portable score
  (:func:`~calibrate.export.score_sql.scoring`), clipped and classed as the grid does
  (:func:`~calibrate.decide.grid.points_sql`, :func:`~calibrate.decide.grid.rule_class_sql`).
  The fake-name patterns are regular expressions in the dialect's own syntax; a pattern the
  dialect cannot run (e.g. ``\\pN`` in PostgreSQL or Snowflake) is left out and named in the
  header, and a lead only it would disqualify counts as scored;
* recency: whole days to each lead's reference date as the store counts them
  (:func:`~calibrate.model.recency.stored_reference`): its close date, else the as-of date
  given (the newest date loaded; today only when none is given);
* outcome: the outcome column's labels read as the load reads them
  (:func:`~calibrate.data.outcomes.label_key`: trimmed, without case, accents of Latin
  letters or punctuation), the labels of a saved mapping first, then the built-in ones; a
  blank is open. A label neither knows comes back folded, as itself, and
  :func:`grid_from_rows` names it;
* month: the first day of the created date's month; segment: its text trimmed, a
  placeholder ("N/A", "Unknown") missing; amount: the amount column as a number.

What the load cleans and this query does not (the header comment says it): numbers must be
clean, one row per lead (the load keeps a duplicated id's last row), dates readable as
dates, and dates the load clears (after the day of the load, before 1990) cleared.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import pandas as pd

from calibrate.data.outcomes import FOLDED, OUTCOMES, known_labels, label_key
from calibrate.data.roles import IGNORED
from calibrate.data.store import ColumnInfo
from calibrate.decide.grid import (
    GRID_COLUMNS,
    RULE_CLASSES,
    Grid,
    grid_of,
    points_sql,
    rule_class_sql,
)
from calibrate.export.score_sql import (
    TODAY,
    _table,
    check_dialect,
    column_notes,
    scoring,
    transpile,
)
from calibrate.model.recency import date_literal
from calibrate.model.rule_settings import RuleSet
from calibrate.sql import literal, quote
from calibrate.vocabulary import PLACEHOLDERS

__all__ = ["grid_from_rows", "grid_sql", "label_key_sql", "outcome_sql"]

_PLAIN = re.compile(r"[A-Za-z_]\w*", re.ASCII)

#: Runs of up to 2**4 spaces fold to one (each REPLACE halves a run).
_SPACE_FOLDS = 4


@cache
def _accents() -> tuple[str, str]:
    """Latin letters with accents (both cases) and their plain lower-case letters, as
    :func:`label_key`'s NFKD folding reads them: TRANSLATE's two arguments."""
    src, dst = [], []
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                       if not unicodedata.combining(c))
        if base != ch and len(base) == 1 and base.isascii() and base.isalpha():
            src.append(ch)
            dst.append(base.lower())
    return "".join(src), "".join(dst)


def label_key_sql(expr: str) -> str:
    """SQL: the label key (:func:`~calibrate.data.outcomes.label_key`) of the text of
    ``expr`` in plain SQL: trimmed, lower case, accents of Latin letters dropped, each of
    its punctuation and runs of spaces one space; NULL stays NULL."""
    src, dst = _accents()
    x = f"TRANSLATE(LOWER(TRIM(CAST({expr} AS VARCHAR))), {literal(src)}, {literal(dst)})"
    for ch in FOLDED:
        x = f"REPLACE({x}, {literal(ch)}, ' ')"
    for _ in range(_SPACE_FOLDS):
        x = f"REPLACE({x}, '  ', ' ')"
    return f"TRIM({x})"


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def outcome_sql(key: str, extra: Mapping[str, Iterable[str]] | None = None) -> str:
    """SQL: the outcome of a label key ``key`` (:func:`label_key_sql`), as
    :func:`~calibrate.data.outcomes.normalise` maps it: the labels of ``extra`` (a mapping
    file's ``[outcomes]``, ``ignore`` included) first, then the built-in ones; a blank is
    what a blank label means (open); an unknown key comes back as itself."""
    blank = "open"
    whens: list[str] = []
    for outcome, labels in (extra or {}).items():
        keys = sorted({label_key(v) for v in labels})
        if "" in keys:
            blank = str(outcome)
        if keys := [k for k in keys if k]:
            whens.append(f"WHEN {key} IN {_in(keys)} THEN {literal(outcome)}")
    by_outcome: dict[str, list[str]] = {}
    for k, outcome in sorted(known_labels().items()):
        if k:
            by_outcome.setdefault(outcome, []).append(k)
    whens += [f"WHEN {key} IN {_in(keys)} THEN {literal(outcome)}"
              for outcome, keys in by_outcome.items()]
    return (f"CASE WHEN {key} IS NULL OR {key} = '' THEN {literal(blank)} "
            + " ".join(whens) + f" ELSE {key} END")


def _role(columns: Sequence[ColumnInfo], role: str) -> str | None:
    """The header as written of the column of ``role`` (None: none, or generated)."""
    return next((c.source_name for c in columns if c.role == role and c.source_name), None)


def _reference(columns: Sequence[ColumnInfo], as_of: dt.date | None) -> str:
    """SQL: each lead's reference date as :func:`~calibrate.model.recency.stored_reference`
    counts it: its close date, else ``as_of`` (today when None)."""
    snapshot = date_literal(as_of) if as_of is not None else TODAY
    closed = _role(columns, "closed_at")
    return f"COALESCE(CAST({quote(closed)} AS DATE), {snapshot})" if closed else snapshot


def _segment(raw: str, placeholders: Iterable[str]) -> str:
    """SQL: the segment of text ``raw`` as the load stores it: trimmed, blanks and
    placeholders missing."""
    text = f"TRIM({raw})"
    words = sorted({p.strip().lower() for p in placeholders})
    return f"CASE WHEN LOWER({text}) IN {_in(words)} THEN NULL ELSE {text} END"


def _labels(texts: str, outcomes: Mapping[str, Iterable[str]] | None, fence: bool) -> str:
    """SQL: each distinct outcome text of query ``texts`` (column ``raw_outcome``, NULL as
    '') and its outcome (:func:`outcome_sql` of its :func:`label_key_sql`)."""
    return (f"SELECT raw_outcome, {outcome_sql('_label', outcomes)} AS outcome\nFROM (\n"
            f"SELECT raw_outcome, {label_key_sql('raw_outcome')} AS _label\nFROM (\n"
            f"{texts}\n) AS texts\n) AS keys" + ("\nOFFSET 0" if fence else ""))


def grid_sql(table: pd.DataFrame, *, columns: Sequence[ColumnInfo],
             rules: RuleSet | Mapping[str, Any] | None = None, source: str = "leads",
             dialect: str = "duckdb", as_of: dt.date | None = None,
             outcomes: Mapping[str, Iterable[str]] | None = None,
             placeholders: Iterable[str] = (), weights_id: int | None = None,
             source_query: str | None = None) -> str:
    """The count grid of table ``source`` (the leads under their original columns) as one
    query in ``dialect``, with a header comment saying what the columns must hold.

    Parameters
    ----------
    table : DataFrame
        The points table (``Weights.table``).
    columns : list of ColumnInfo
        The store's columns: each role's header as written (outcome, created and close
        dates, segment, amount, the auto-rules' contact columns).
    rules : RuleSet or dict, optional
        The auto-rules in force (None: none).
    source, dialect : str
        The table to read, and one of :data:`~calibrate.export.score_sql.DIALECTS`.
    as_of : date, optional
        The date recency counts to for a lead without a close date: the newest date
        loaded (:func:`~calibrate.model.recency.data_as_of`); None is today.
    outcomes : dict, optional
        More outcome labels, ``{"won": ["Booked"], "ignore": ["Test"]}`` (a mapping's
        ``[outcomes]``); rows mapped to ``ignore`` are left out, as the load leaves them.
    placeholders : iterable of str
        Values that mean missing beyond the usual ("Select", "N/A", ...).
    weights_id : int, optional
        Named in the header.
    source_query : str, optional
        A query in ``dialect`` whose rows are the leads, read as ``source`` (the query's
        first common table expression; ``source`` must then be a plain name).
    """
    check_dialect(dialect)
    if source_query is not None and not _PLAIN.fullmatch(source):
        raise ValueError(f"source {source!r} must be a plain name to read a query under")
    columns = list(columns)
    fence = dialect == "postgres"
    # Inner queries fenced by a volatile column, not OFFSET 0: PostgreSQL may then count
    # the leads in parallel workers.
    s = scoring(table, rules=rules, columns=columns, source=source,
                fence="volatile" if fence else "",
                reference=_reference(columns, as_of), shared=True, dialect=dialect)
    outcome, created = _role(columns, "outcome"), _role(columns, "created_at")
    segment, amount = _role(columns, "segment"), _role(columns, "amount")
    text = "CAST(NULL AS VARCHAR)"
    raw_outcome = f"CAST({quote(outcome)} AS VARCHAR)" if outcome else text
    month = (f"CAST(DATE_TRUNC('month', CAST({quote(created)} AS TIMESTAMP)) AS DATE)"
             if created else "CAST(NULL AS DATE)")
    raw_segment = f"CAST({quote(segment)} AS VARCHAR)" if segment else text
    money = f"CAST({quote(amount)} AS DOUBLE)" if amount else "CAST(NULL AS DOUBLE)"
    keys = ", ".join(GRID_COLUMNS[:7])
    raw_keys = ("profile_points, behavior_points, total, rule_class, raw_outcome, month, "
                "raw_segment")
    ignored = (f"\nWHERE outcome <> {literal(IGNORED)}"
               if any(o == IGNORED for o in (outcomes or {})) else "")
    per_lead = (
        f"SELECT {points_sql('profile')} AS profile_points,\n  "
        f"{points_sql('behavior')} AS behavior_points,\n  {points_sql('total')} AS total,\n  "
        f"{rule_class_sql('auto_rule')} AS rule_class,\n  {raw_outcome} AS raw_outcome,\n  "
        f"{month} AS month,\n  {raw_segment} AS raw_segment,\n  {money} AS amount\n"
        f"FROM (\n{s.sql}\n) AS scored_leads")
    seg = _segment("k.raw_segment", PLACEHOLDERS + tuple(placeholders))
    sums = ("CAST(SUM(leads) AS BIGINT) AS leads, CAST(SUM(amount_sum) AS DOUBLE) AS "
            "amount_sum, CAST(SUM(amount_n) AS BIGINT) AS amount_n")
    if dialect == "duckdb":
        # Counted in one step: the distinct outcome texts of the source are read as labels
        # first (folding case, accents and punctuation: costly text functions, so once per
        # distinct text), then each lead is counted in its cell by what its label means.
        # (Counting by the raw texts first and the cells from those counts, as below,
        # costs DuckDB a second grouping of about as many rows as there are cells.)
        texts = f"SELECT DISTINCT COALESCE({raw_outcome}, '') AS raw_outcome FROM {_table(source)}"
        sql = (
            f"WITH labels AS (\n{_labels(texts, outcomes, fence)}\n)\n"
            f"SELECT {keys},\n  CAST(COUNT(*) AS BIGINT) AS leads, "
            f"CAST(COALESCE(SUM(amount), 0) AS DOUBLE) AS amount_sum, "
            f"CAST(COUNT(amount) AS BIGINT) AS amount_n\nFROM (\n"
            f"SELECT k.profile_points, k.behavior_points, k.total, k.rule_class, l.outcome, "
            f"k.month,\n  {seg} AS segment,\n  k.amount\nFROM (\n{per_lead}\n) AS k\n"
            f"JOIN labels AS l ON COALESCE(k.raw_outcome, '') = l.raw_outcome\n"
            f") AS counted{ignored}\nGROUP BY {keys}\nORDER BY {keys}")
    else:
        # Counted in two steps: by the raw outcome and segment text first; then the
        # distinct outcome texts are read as labels (folding case, accents and
        # punctuation: costly text functions, so once per distinct text instead of once
        # per lead or cell) and the counts regrouped by what the labels mean. One pass
        # over the leads: PostgreSQL would read the table twice to list its texts first.
        keyed = (
            f"SELECT {raw_keys},\n  COUNT(*) AS leads, CAST(COALESCE(SUM(amount), 0) AS "
            f"DOUBLE) AS amount_sum, COUNT(amount) AS amount_n\nFROM (\n{per_lead}\n"
            f") AS per_lead\nGROUP BY {raw_keys}")
        texts = "SELECT DISTINCT COALESCE(raw_outcome, '') AS raw_outcome FROM by_text"
        sql = (
            f"WITH by_text AS (\n{keyed}\n),\nlabels AS (\n"
            f"{_labels(texts, outcomes, fence)}\n)\n"
            f"SELECT {keys},\n  {sums}\nFROM (\n"
            f"SELECT k.profile_points, k.behavior_points, k.total, k.rule_class, l.outcome, "
            f"k.month,\n  {seg} AS segment,\n  k.leads, k.amount_sum, k.amount_n\n"
            f"FROM by_text AS k\nJOIN labels AS l ON COALESCE(k.raw_outcome, '') = "
            f"l.raw_outcome\n) AS counted{ignored}\nGROUP BY {keys}\nORDER BY {keys}")
    body = transpile(sql, dialect)
    if source_query is not None:  # in the source's own dialect: spliced in, not transpiled
        # DuckDB would otherwise keep every row of a query read twice (the leads, and the
        # distinct outcome texts) in memory.
        hint = "NOT MATERIALIZED " if dialect == "duckdb" else ""
        body = (f"WITH {source} AS {hint}(\n{source_query}\n),\n"
                + body.removeprefix("WITH "))
    return "\n".join(_notes(dialect, source, columns, s.recency, as_of, s.left_out,
                            weights_id, s.notes)) + "\n" + body + "\n"


def _notes(dialect: str, source: str, columns: Sequence[ColumnInfo], recency: Sequence[str],
           as_of: dt.date | None, left_out: Sequence[str], weights_id: int | None,
           notes: Sequence[str] = ()) -> list[str]:
    """The header comment: what the query counts and what the source columns must hold;
    ``left_out`` and ``notes``: the auto-rules not written, and written differently, in
    ``dialect`` (:class:`~calibrate.export.score_sql.Scoring`)."""
    def named(role: str) -> str | None:
        header = _role(columns, role)
        return None if header is None else f'"{header}"'

    of = f", weights #{weights_id}" if weights_id is not None else ""
    head = [f"calibrate count grid ({dialect}{of}): leads counted by profile_points, "
            "behavior_points, total, rule_class, outcome, month and segment, with leads, "
            "amount_sum and amount_n: the counts the workshop's sliders read.",
            f"Reads table {source}: one row per lead (of a duplicated lead id keep the last "
            "row, as the load does)."]
    body = []
    if outcome := named("outcome"):
        body.append(f"Outcome: the labels of {outcome}, compared trimmed and without case, "
                    "accents or punctuation ('Closed - Won' is won; a blank is open); a label "
                    "not listed comes back as itself in outcome: add it to the CASE.")
    else:
        body.append("Outcome: no outcome column, every lead is open.")
    if created := named("created_at"):
        body.append(f"Month: the first day of the month of {created} (a date, or text such "
                    "as 2025-06-30 14:05:00); clear dates after the day of the load or "
                    "before 1990 first, as the load clears them.")
    if segment := named("segment"):
        body.append(f"Segment: {segment}, trimmed; blanks and placeholders are missing.")
    if amount := named("amount"):
        body.append(f"Amount: {amount}, a clean number (blank: none).")
    if recency:
        to = (f"{as_of.isoformat()} (the newest date loaded)" if as_of is not None
              else "today (CURRENT_DATE)")
        closed = named("closed_at")
        dates = " and ".join(f'"{d}"' for d in recency)
        body.append(f"Recency: {dates} score by whole days before "
                    + (f"each lead's {closed}, else {to}" if closed else to)
                    + " (as the fit counts them); dates, a blank is no date.")
    body += [f"Not included: {x} (such a lead counts as scored)." for x in left_out]
    body += [f"Note: {x[0].upper()}{x[1:]}" for x in notes]
    return (_comment(head) + column_notes() + _comment(body))


def _comment(paragraphs: Sequence[str]) -> list[str]:
    """Paragraphs as SQL comment lines of at most 100 characters (names kept whole)."""
    return [line for text in paragraphs for line in textwrap.wrap(
        text, 100, initial_indent="-- ", subsequent_indent="-- ", break_long_words=False,
        break_on_hyphens=False)]


def grid_from_rows(rows: pd.DataFrame) -> Grid:
    """The :class:`~calibrate.decide.grid.Grid` of the query's rows as an engine returns
    them: column names in any case (Snowflake's upper), months as dates or timestamps,
    counts as any integers. A ValueError names outcomes the query did not know.
    """
    frame = rows.rename(columns=lambda c: str(c).lower())
    missing = [c for c in GRID_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"the rows lack the grid's column(s) {', '.join(missing)}: they "
                         "are not the count grid query's")
    frame = frame[GRID_COLUMNS].copy()
    unknown = sorted(set(frame["outcome"].astype(str)) - set(OUTCOMES))
    if unknown:
        raise ValueError(f"outcome labels the query does not know: {', '.join(unknown)}; add "
                         "each to the CASE of the query's outcome as won, lost, no_decision "
                         "or open")
    strange = sorted(set(frame["rule_class"].astype(str)) - set(RULE_CLASSES))
    if strange:
        raise ValueError(f"rule classes that are not the grid's: {', '.join(strange)}")
    for c in ("profile_points", "behavior_points", "total", "leads", "amount_n"):
        frame[c] = frame[c].astype("int64")
    frame["amount_sum"] = frame["amount_sum"].astype("float64")
    frame["month"] = pd.to_datetime(frame["month"])
    frame["segment"] = frame["segment"].astype(object).where(frame["segment"].notna(), None)
    for c in ("rule_class", "outcome"):
        frame[c] = frame[c].astype(str)
    return grid_of(frame.reset_index(drop=True))

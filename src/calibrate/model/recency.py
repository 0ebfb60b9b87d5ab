"""Recency: days without activity, the date they count to, and the activity dates they count from.

Why one module: the fit scores recency as a behavior attribute (the days since "Last
Activity Date", binned: "0-6 days ago"...), the score measures new leads with it, and
decay (:mod:`calibrate.model.decay`) estimates how fast behavior points fade with it. All
three must count the same days from the same dates to the same reference, so the SQL is
written once here.

* **Days** (:func:`days_since_sql`): whole days from the activity date to the reference
  date; 0 when the activity is on or after it; NULL without activity.
* **Reference date** (:func:`reference_sql`): a closed lead counts to its close date
  (``closed_at``) when it has one, else to the export's as-of date, the newest date in the
  loaded data (:func:`data_as_of`): the question is how idle it was when its outcome was
  decided. An open lead counts to the scoring date: the as-of date in the fit (the export
  is a snapshot), today (or a date given) when new leads are scored.
* **Activity dates** (:func:`is_record_keeping`): behavior-role dates, but those named like
  record keeping (modified, updated, synced, start, end, due...), which are not activity.
  Numbers named like days since the last activity ("Days Since Last Visit") count too.
* **Groups** (:func:`activity_sources`, :func:`assign_attributes`): one per activity date.
  A date named after a channel (email, web, form, content, event, demo, call, chat: "Last
  Email Click Date") takes the behavior attributes that share its channel, else a word,
  with it ("Email Clicks", "Email Opens"); an attribute goes to the date sharing the most
  (channels first, then words; file order on a tie). A date with no channel ("Last
  Activity Date") is the group "all behavior": every behavior attribute no channel date
  took.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import duckdb

from calibrate.data.outcomes import CLOSED
from calibrate.data.roles import snake
from calibrate.data.store import ColumnInfo, read_columns
from calibrate.errors import CalibrateError
from calibrate.sql import literal, quote

__all__ = ["ALL_BEHAVIOR", "ActivitySource", "activity_sources", "as_of_columns",
           "as_of_date", "assign_attributes", "data_as_of", "date_literal", "days_since",
           "days_since_sql", "is_record_keeping", "reference_sql", "stored_reference"]

#: The group of a date that names no channel ("Last Activity Date").
ALL_BEHAVIOR = "all behavior"

_DATE_WORDS = {"last", "latest", "most", "recent", "recently", "date", "time", "timestamp",
               "datetime", "at", "on", "of", "the", "day", "since", "dt", "ts", "when",
               "ago", "number", "no", "num", "count", "inactive", "inactivity", "without",
               "d", "from"}
_GENERIC = {"activity", "activitie", "engagement", "engage", "engag", "touch", "touchpoint",
            "interaction", "action", "active", "seen", "response", "respond"}
_CHANNELS = {
    "email": {"email", "mail", "newsletter", "open", "bounce", "unsubscribe"},
    "web": {"web", "website", "site", "page", "pageview", "visit", "session", "view",
            "minute", "browse", "pricing", "career"},
    "form": {"form", "submission", "submit", "signup", "registration", "register",
             "contact", "contactu"},
    "content": {"download", "content", "whitepaper", "ebook", "asset", "document"},
    "event": {"webinar", "event", "meeting", "attend", "booth", "conference"},
    "demo": {"demo", "trial"},
    "call": {"call", "phone"},
    "chat": {"chat"},
}
#: Dates that record keeping writes, not a lead's activity: a word of the name starts
#: with one of these ("Last Modified Date", "Trial End Date").
_NOT_ACTIVITY = ("modif", "updat", "chang", "edit", "sync", "import", "export", "birth",
                 "renew", "due", "expir", "start", "end", "creat", "clos", "assign",
                 "convert")
#: Numbers that count days since the last activity.
_DAYS_SINCE = re.compile(r"(days_since|since_last|days_inactive|inactive_days|recency|"
                         r"days_without|idle_days|days_idle)")


# ----------------------------------------------------------------------------- days


def days_since_sql(column: str, reference: str) -> str:
    """SQL: whole days from the activity date ``column`` (an SQL expression) to the
    ``reference`` date (an SQL expression); 0 when the activity is on or after it, NULL
    without activity. The one definition: for the fit, the score and decay."""
    # Not greatest(..., 0): DuckDB's greatest skips NULL, and no activity must stay NULL.
    days = f"date_diff('day', CAST({column} AS DATE), CAST({reference} AS DATE))"
    return f"(CASE WHEN {days} < 0 THEN 0 ELSE {days} END)"


def as_of_date(as_of: dt.date | str) -> dt.date:
    """``as_of`` as a date (a date, or ISO text: ``YYYY-MM-DD``, with a time or not); a
    :class:`~calibrate.errors.CalibrateError` naming it, with the fix, when it is none."""
    if isinstance(as_of, dt.date):
        return as_of if not isinstance(as_of, dt.datetime) else as_of.date()
    try:
        return dt.datetime.fromisoformat(str(as_of).strip()).date()
    except ValueError:
        raise CalibrateError(f"The as-of date {as_of!r} is not a date.",
                             fix="Give it as YYYY-MM-DD, e.g. 2025-06-30.",
                             app_fix="Pick the date in the date box.") from None


def date_literal(day: dt.date | str) -> str:
    """SQL: the date ``day`` as a literal (``DATE '2025-06-30'``)."""
    return f"DATE {literal(as_of_date(day).isoformat())}"


def days_since(column: str, as_of: dt.date | str | None = None) -> str:
    """SQL: days without activity of the stored date column ``column`` as of ``as_of``
    (a date, or ``YYYY-MM-DD``), or as of today: how new leads are measured."""
    reference = "current_date" if as_of is None else date_literal(as_of)
    return days_since_sql(quote(column), reference)


# ----------------------------------------------------------------------------- names


def _words(name: str) -> set[str]:
    """The words of a name, singular ("Email Clicks" -> {"email", "click"})."""
    out = set()
    for w in snake(name).split("_"):
        if len(w) > 4 and w.endswith("ed"):
            w = w[:-2]
        elif len(w) > 3 and w.endswith("s"):
            w = w[:-1]
        out.add(w)
    return out


def is_record_keeping(label: str) -> bool:
    """True for a date named like record keeping ("Last Modified Date", "Trial End
    Date"): not a lead's activity, so neither scored nor decayed."""
    return any(w.startswith(_NOT_ACTIVITY) for w in _words(label))


# ----------------------------------------------------------------------------- reference


def as_of_columns(con: duckdb.DuckDBPyConnection, source: str = "leads") -> list[ColumnInfo]:
    """The columns the as-of date is the newest date of (:func:`data_as_of`): the created,
    closed and behavior date columns that table ``source`` holds."""
    physical = {r[0] for r in con.execute(f"DESCRIBE {quote(source)}").fetchall()}
    return [c for c in read_columns(con) if c.name in physical and c.type == "date"
            and c.role in ("created_at", "closed_at", "behavior")]


def data_as_of(con: duckdb.DuckDBPyConnection, source: str = "leads") -> dt.date | None:
    """The newest date of the created, closed and behavior date columns of table
    ``source`` (the export's as-of date); None without any. For ``leads``, a date the
    store keeps comes first (:func:`~calibrate.data.store.set_as_of`: the rows are a sample
    of a bigger source read in place), and a store loaded in place (no lead rows) gives
    its source's, as the load found it."""
    from calibrate.data.store import in_place, stored_as_of

    if source == "leads":
        if (kept := stored_as_of(con)) is not None:
            return kept
        if (record := in_place(con)) is not None:  # no lead rows here: the source's date
            return dt.date.fromisoformat(record["as_of"]) if record.get("as_of") else None
    names = [c.name for c in as_of_columns(con, source)]
    if not names:
        return None
    row = con.execute("SELECT " + ", ".join(f"max(CAST({quote(n)} AS DATE))" for n in names)
                      + f" FROM {quote(source)}").fetchone()
    days = [d for d in row if d is not None]
    return max(days) if days else None


def reference_sql(con: duckdb.DuckDBPyConnection, source: str = "leads", *,
                  scoring_date: dt.date | str | None = None,
                  as_of: dt.date | None = None) -> str:
    """SQL: each row's reference date in table ``source`` (module docs).

    A closed lead: its close date, else the as-of date (``as_of``, default
    :func:`data_as_of`, else today). An open lead: ``scoring_date``, default the as-of
    date; ``"today"`` is today. Only columns ``source`` has are named.
    """
    physical = {r[0] for r in con.execute(f"DESCRIBE {quote(source)}").fetchall()}
    roles = {c.name: c.role for c in read_columns(con)}
    day = as_of or data_as_of(con, source)
    snapshot = date_literal(day) if day is not None else "current_date"
    closed = (f"coalesce(CAST(closed_at AS DATE), {snapshot})"
              if "closed_at" in physical and roles.get("closed_at") == "closed_at"
              else snapshot)
    if scoring_date is None:
        return closed
    scoring = "current_date" if scoring_date == "today" else date_literal(scoring_date)
    if "outcome" not in physical:
        return scoring
    outcomes = ", ".join(literal(o) for o in CLOSED)
    return f"(CASE WHEN outcome IN ({outcomes}) THEN {closed} ELSE {scoring} END)"


def stored_reference(con: duckdb.DuckDBPyConnection, kinds: Iterable[str],
                     source: str = "leads") -> str | None:
    """SQL of each stored lead's reference date, as the fit counts it, when ``kinds`` (the
    scored attributes' kinds) hold ``"recency"``; else None (no days are counted).

    Why: the grid, drift, a refresh and a backtest must give every loaded lead the points
    the fit gave it: a closed lead counts to its close date, else to the as-of date of the
    whole table ``leads`` (:func:`data_as_of`), also when ``source`` is a view of some of
    them (whose own newest date is another day). Never today: counts kept for the loaded
    data stay right tomorrow.
    """
    if "recency" not in set(kinds):
        return None
    return reference_sql(con, source, as_of=data_as_of(con))


# ----------------------------------------------------------------------------- groups


def _channels(words: set[str]) -> set[str]:
    return {c for c, vocab in _CHANNELS.items() if words & vocab}


@dataclass
class ActivitySource:
    """An activity date (or days-since number) and the group it heads."""

    column: ColumnInfo
    label: str
    days: bool  # a days-since number, not a date
    words: set[str]
    channels: set[str]
    group: str = ""
    attributes: list[str] = field(default_factory=list)


def _group_name(label: str) -> str:
    """The date's name without its date words, as written ("Last Email Click Date" ->
    "Email Click")."""
    kept = [t for t in re.split(r"[^0-9A-Za-z]+", label) if t
            and next(iter(_words(t)), "") not in _DATE_WORDS]
    return " ".join(kept) or label


def activity_sources(columns: Sequence[ColumnInfo], physical: set[str]
                     ) -> tuple[list[ActivitySource], dict[str, str]]:
    """The activity dates of the loaded leads, and the date columns skipped with why."""
    out: list[ActivitySource] = []
    skipped: dict[str, str] = {}
    generic = None
    for c in columns:
        if c.role != "behavior" or c.name not in physical:
            continue
        label = c.source_name or c.name
        key = "_" + snake(label) + "_"
        if c.type == "date":
            if is_record_keeping(label):
                skipped[label] = "named like a record-keeping date, not activity"
                continue
            days = False
        elif c.type == "numeric" and _DAYS_SINCE.search(key):
            days = True
        else:
            continue
        words = _words(label) - _DATE_WORDS
        channels = _channels(words)
        src = ActivitySource(c, label, days, words - _GENERIC, channels)
        if not channels and not src.words:
            if generic is not None:
                skipped[label] = f"a second activity date naming no channel ('{generic}' is used)"
                continue
            generic = label
            src.group = ALL_BEHAVIOR
        else:
            src.group = _group_name(label)
        out.append(src)
    return out, skipped


def assign_attributes(sources: list[ActivitySource], behavior: list[str],
                      labels: dict[str, str]) -> None:
    """Give each behavior attribute to the date it shares most with (module docs). A
    days-since number and a recency attribute are the days themselves: not decayed
    (decay leaves recency attributes out of ``behavior``)."""
    own = {s.column.name for s in sources if s.days}
    generic = next((s for s in sources if s.group == ALL_BEHAVIOR), None)
    for a in behavior:
        if a in own:
            continue
        words = _words(labels.get(a, a))
        channels = _channels(words)
        best, score = None, (0, 0)
        for s in sources:
            if s is generic:
                continue
            here = (len(channels & s.channels), len(words & s.words))
            if here > score:
                best, score = s, here
        if best is None:
            best = generic
        if best is not None:
            best.attributes.append(a)

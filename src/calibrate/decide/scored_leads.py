"""Scoring leads with agreed weights: the stored leads, or a new file of leads.

Each lead gets profile and behavior points, the total, grade (A-D), level (1-4), the
auto-rule that applies (if any), whether it is an MQL under the thresholds, and the top
three reasons. Contact fields are used by the rules but only leave as hashes unless asked.
Recency (days since an activity date) counts to the scoring date, today unless ``as_of``
says otherwise, for an open lead, and to its close date for a closed one
(:func:`calibrate.model.lead_points.score_leads`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Literal

import duckdb
import pandas as pd

from calibrate.data import store
from calibrate.data.ingest import ingest
from calibrate.data.roles import CONTACT_ROLES, Mapping
from calibrate.decide import mql
from calibrate.decide.rules import rule_sql
from calibrate.errors import InputError
from calibrate.model.lead_points import score_leads
from calibrate.model.recency import as_of_date
from calibrate.model.rule_settings import RuleSet
from calibrate.model.weights import Weights
from calibrate.sql import quote

Contacts = Literal["drop", "hash", "plain"]


def _hash(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return hashlib.sha256(str(value).strip().lower().encode()).hexdigest()[:16]


def scored_leads(con: duckdb.DuckDBPyConnection, weights: Weights, rules: RuleSet | None = None,
                 *, contacts: Contacts = "hash", thresholds: dict | None = None,
                 source: str = "leads", source_file: str | None = None,
                 as_of: dt.date | str | None = None) -> pd.DataFrame:
    """Every lead of ``source`` with its scores, rule, MQL flag and top three reasons;
    recency counted to ``as_of`` (a date or ``YYYY-MM-DD``; default today) for open leads."""
    day = None if as_of is None else as_of_date(as_of)  # a bad date stops before any work
    rules = rules or (RuleSet.from_dict(weights.rules) if weights.rules else RuleSet())
    thresholds = thresholds if thresholds is not None else weights.thresholds
    cols = store.read_columns(con)
    types = {c.name: c.type for c in cols if c.role != "ignore"}
    physical = {r[0] for r in con.execute(f"DESCRIBE {quote(source)}").fetchall()}
    missing = sorted(set(weights.table["attribute"]) - physical)
    if missing:
        raise InputError(
            f"The leads lack {len(missing)} column(s) the weights score: {', '.join(missing)}.",
            file=str(source_file) if source_file else None, column=missing[0],
            fix="Export the leads with those columns (same names as when the weights were "
                "fitted), or map them with a mapping file.")
    scores = score_leads(con, weights.table, source, reasons=3, as_of=day)
    keep = ["lead_id", "profile_points", "behavior_points", "total", "grade", "level",
            "reasons"]
    scores = scores[keep]
    contact_cols = [c.name for c in cols if c.role in CONTACT_ROLES]
    facts = ["lead_id", "outcome"] + (contact_cols if contacts != "drop" else [])
    segment = next((c.name for c in cols if c.role == "segment" and c.name in physical), None)
    helper = segment is not None and segment not in facts
    if helper:  # the MQL bar may depend on the segment; the column leaves again below
        facts.append(segment)
    facts_sql = ", ".join(quote(c) for c in facts)
    extra = con.execute(
        f"SELECT {facts_sql}, {rule_sql(rules, types)} AS rule FROM {quote(source)}"
    ).df()
    out = extra.merge(scores, on="lead_id", how="left")
    if contacts == "hash":
        for c in contact_cols:
            out[c] = out[c].map(_hash)
    out["mql"] = _mql(out, thresholds, segment, source_file)
    if helper:
        out = out.drop(columns=[segment])
    first = ["lead_id", "outcome", "profile_points", "behavior_points", "total", "grade",
             "level", "rule", "mql", "reasons"]
    out = out[first + [c for c in out.columns if c not in first]]
    return out.rename(columns=_headers(cols, contact_cols if contacts == "hash" else []))


def _mql(frame: pd.DataFrame, thresholds: dict | None, segment: str | None,
         source_file: str | None) -> pd.Series:
    try:
        return mql.is_mql(frame, thresholds, segment)
    except ValueError:
        raise InputError("The agreed thresholds differ by segment, but these leads have no "
                         "segment column.", file=str(source_file) if source_file else None,
                         fix="Export the leads with their segment column (as when the "
                             "weights were fitted), or map it with a mapping file.") from None


def _headers(cols: list[store.ColumnInfo], hashed: list[str]) -> dict[str, str]:
    """The facts' columns named as the user's file named them: the id and the outcome
    under their headers ("Opportunity ID", "Stage (outcome)"), contacts too ("Email
    (hashed)"). A generated id is the row number; no outcome column leaves "outcome"."""
    out = {}
    for c in cols:
        if not c.source_name:
            if c.role == "lead_id":
                out[c.name] = "row"
            continue
        if c.role == "lead_id":
            out[c.name] = c.source_name
        elif c.role == "outcome":
            out[c.name] = f"{c.source_name} (outcome)"
        elif c.name in hashed:
            out[c.name] = f"{c.source_name} (hashed)"
        elif c.role in CONTACT_ROLES:
            out[c.name] = c.source_name
    return out


def score_file(path: str | os.PathLike[str], weights: Weights, *,
               mapping: Mapping | str | None = None, contacts: Contacts = "hash",
               thresholds: dict | None = None,
               as_of: dt.date | str | None = None) -> pd.DataFrame:
    """Score a file of new (or old) leads with agreed weights, without touching the store.

    The file goes through the same ingest (cleaning, role guessing) into a throwaway
    in-memory database; it needs no outcome column. ``as_of`` as :func:`scored_leads`'s.
    """
    day = None if as_of is None else as_of_date(as_of)  # checked before the file is read
    con = store.connect_memory()
    try:
        ingest(con, path, mapping=mapping, replace=True, require_outcome=False)
        return scored_leads(con, weights, contacts=contacts, thresholds=thresholds,
                            source_file=str(path), as_of=day)
    finally:
        con.close()

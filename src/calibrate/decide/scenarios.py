"""Named scenarios and the agreement: append-only rows in the store, never overwritten.

A scenario is the thresholds, settings and weights a side proposes, with its projected
figures. Saving under an existing name adds a new version; marking one as the agreement
adds an ``agreement`` row pointing at it. Nothing is ever updated or deleted, so every
earlier save survives, and a restart finds them all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from calibrate.data.store import to_json, transaction
from calibrate.errors import CalibrateError
from calibrate.thresholds import Thresholds

MAX_NAME = 120
MAX_NOTE = 5_000


@dataclass(frozen=True)
class Scenario:
    """One saved row: a proposal (``kind='scenario'``) or an agreement pointing at one."""

    id: int
    created_at: datetime
    name: str
    author: str
    note: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    version: int = 1  # the how-manieth save under this name (of this kind)

    @property
    def thresholds(self) -> Thresholds:
        """The MQL definition it proposes (or agrees on)."""
        return Thresholds.of(self.payload.get("thresholds"))

    @property
    def figures(self) -> dict[str, Any]:
        return self.payload.get("figures", {})

    def to_dict(self) -> dict[str, Any]:
        """The saved row as JSON-ready data (``calibrate scenario show --json``): its id,
        name, version, kind, author, note, ``saved_at`` (ISO) and ``payload`` (thresholds,
        settings, figures, and the weights and data they were computed on). NaN and
        infinities, which JSON lacks (a conversion with no MQL), become None."""
        from calibrate.decide.agreement import plain

        def ready(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: ready(v) for k, v in value.items()}
            if isinstance(value, list):
                return [ready(v) for v in value]
            return plain(value)

        return {"id": self.id, "name": self.name, "version": self.version, "kind": self.kind,
                "author": self.author, "note": self.note,
                "saved_at": self.created_at.isoformat(timespec="seconds"),
                "payload": ready(self.payload)}


def _clean(text: str | None, limit: int, what: str, required: bool = False) -> str:
    value = (text or "").strip()
    if required and not value:
        raise CalibrateError(f"A scenario needs a {what}.", fix=f"Type a {what} and save again.")
    if len(value) > limit:
        raise CalibrateError(f"The {what} is {len(value):,} characters long.",
                             fix=f"Keep it under {limit:,} characters.")
    return value


def save_scenario(con: duckdb.DuckDBPyConnection, name: str, payload: dict[str, Any], *,
                  author: str = "", note: str = "", kind: str = "scenario") -> Scenario:
    """Append a scenario (a new version when the name exists) and return it."""
    name = _clean(name, MAX_NAME, "name", required=True)
    author = _clean(author, MAX_NAME, "author")
    note = _clean(note, MAX_NOTE, "note")
    with transaction(con) as tx:
        earlier = int(tx.execute("SELECT count(*) FROM scenarios WHERE name = ? AND kind = ?",
                                 [name, kind]).fetchone()[0])
        row = tx.execute(
            "INSERT INTO scenarios VALUES (nextval('scenario_id_seq'), now(), ?, ?, ?, ?, ?) "
            "RETURNING id, created_at",
            [name, author, note, kind, to_json(payload)],
        ).fetchone()
    return Scenario(int(row[0]), row[1], name, author, note, kind, json.loads(to_json(payload)),
                    earlier + 1)


def mark_agreement(con: duckdb.DuckDBPyConnection, scenario: Scenario, *, author: str = "",
                   note: str = "") -> Scenario:
    """Record that both sides agreed on ``scenario``: a new row, the scenario untouched."""
    payload = dict(scenario.payload)
    payload["agreed_scenario_id"] = scenario.id
    return save_scenario(con, scenario.name, payload, author=author, note=note,
                         kind="agreement")


def _row(r: tuple) -> Scenario:
    return Scenario(int(r[0]), r[1], r[2], r[3] or "", r[4] or "", r[5], json.loads(r[6]),
                    int(r[7]))


def list_scenarios(con: duckdb.DuckDBPyConnection, kind: str | None = None) -> list[Scenario]:
    """Every saved row, newest first (optionally only one kind)."""
    cur = con.cursor()
    try:
        sql = ("SELECT id, created_at, name, author, note, kind, payload, row_number() OVER "
               "(PARTITION BY name, kind ORDER BY id) FROM scenarios")
        params: list[Any] = []
        if kind:
            sql += " WHERE kind = ?"
            params.append(kind)
        rows = cur.execute(sql + " ORDER BY id DESC", params).fetchall()
    finally:
        cur.close()
    return [_row(r) for r in rows]


def get_scenario(con: duckdb.DuckDBPyConnection, scenario_id: int) -> Scenario:
    """One saved row by id."""
    for s in list_scenarios(con):
        if s.id == scenario_id:
            return s
    raise CalibrateError(f"No scenario with id {scenario_id}.",
                         fix="Pick one from the list of saved scenarios.")


def find_scenario(con: duckdb.DuckDBPyConnection, ref: str) -> Scenario:
    """A saved proposal by name (its newest version; case aside when that is unambiguous)
    or by id ("#12", or "12" when no scenario has that name). An agreement's id gives the
    scenario it agreed on. Unknown: an error listing the known names."""
    text = (ref or "").strip()
    latest = latest_versions(con)
    wanted = int(text[1:]) if text.startswith("#") and text[1:].isdigit() else None
    if wanted is None:
        for same in ([s for s in latest if s.name == text],
                     [s for s in latest if s.name.casefold() == text.casefold()]):
            if len(same) == 1:
                return same[0]
        wanted = int(text) if text.isdigit() else None
    if wanted is not None:
        rows = {s.id: s for s in list_scenarios(con)}
        found = rows.get(wanted)
        if found is not None and found.kind == "agreement":
            found = rows.get(int(found.payload.get("agreed_scenario_id") or -1), found)
        if found is not None:
            return found
    what = f"#{wanted}" if text.startswith("#") else f"named '{text}'"
    if not latest:
        raise CalibrateError(f"No scenario {what}: none is saved yet.",
                             fix="Save one first: calibrate scenario save NAME --min-profile P "
                                 "--min-behavior B.")
    known = ", ".join(f"'{s.name}' (#{s.id})" for s in latest)
    raise CalibrateError(f"No scenario {what}.",
                         fix=f"Give one by name or as #id; the saved ones are {known}.")


def latest_versions(con: duckdb.DuckDBPyConnection) -> list[Scenario]:
    """The newest version of each named proposal, newest first."""
    seen: set[str] = set()
    out = []
    for s in list_scenarios(con, "scenario"):
        if s.name not in seen:
            seen.add(s.name)
            out.append(s)
    return out


def current_agreement(con: duckdb.DuckDBPyConnection) -> Scenario | None:
    """The most recent agreement, if any."""
    agreements = list_scenarios(con, "agreement")
    return agreements[0] if agreements else None

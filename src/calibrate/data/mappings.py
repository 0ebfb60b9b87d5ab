"""Remembering a user's column choices for the next file with the same columns.

The app saves the roles, types and outcome labels a user picked when a file loads, keyed by
the file's headers, so the next export with the same columns starts from them. The choices
are stored as the same TOML text a mapping file holds (``meta`` rows ``mapping:<key>``).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Sequence
from datetime import datetime

import duckdb

from calibrate.data.roles import Mapping, mapping_from_dict, mapping_to_toml
from calibrate.data.store import WRITE_LOCK, load_mapping_text

_PREFIX = "mapping:"


def columns_key(headers: Sequence[str]) -> str:
    """A key for a set of headers: the same columns in any order give the same key."""
    text = "\x1f".join(sorted(str(h).strip().casefold() for h in headers))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def save_mapping(con: duckdb.DuckDBPyConnection, headers: Sequence[str],
                 mapping: Mapping) -> None:
    """Remember ``mapping`` for files with these ``headers`` (the newest choice wins)."""
    value = json.dumps({"saved_at": datetime.now().isoformat(timespec="seconds"),
                        "toml": mapping_to_toml(mapping)})
    with WRITE_LOCK:
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [_PREFIX + columns_key(headers), value])


def saved_mapping(con: duckdb.DuckDBPyConnection,
                  headers: Sequence[str]) -> tuple[Mapping, str] | None:
    """The mapping saved for files with these headers and when it was saved, if any."""
    row = con.execute("SELECT value FROM meta WHERE key = ?",
                      [_PREFIX + columns_key(headers)]).fetchone()
    if row is None:
        return None
    data = json.loads(row[0])
    return mapping_from_dict(tomllib.loads(data["toml"]), "saved choices"), data["saved_at"]


def loaded_mapping(con: duckdb.DuckDBPyConnection) -> Mapping | None:
    """The mapping the stored leads were loaded with
    (:func:`~calibrate.data.store.set_load_mapping`); None for leads loaded before it was
    kept."""
    text = load_mapping_text(con)
    return None if text is None else mapping_from_dict(tomllib.loads(text),
                                                        "the loaded leads' mapping")


def mapping_from_choices(choices: Sequence[dict[str, str]], outcome: str,
                         labels: dict[str, list[str]], base: Mapping) -> Mapping:
    """The mapping a user's choices make: each column's role and type (``choices``: rows
    with ``column``, ``role`` and ``type``), the outcome column and what its labels mean,
    with the placeholders and read options of ``base`` (the file's own mapping)."""
    columns = {r["column"]: {"role": r["role"], "type": r["type"]} for r in choices}
    columns[outcome] = {"role": "outcome"}
    return mapping_from_dict({"columns": columns, "outcomes": labels,
                              "placeholders": {"values": base.placeholders},
                              "read": base.read}, "the choices")


def changed_roles(shown: Sequence[dict[str, str]], edited: Sequence[dict[str, str]]
                  ) -> dict[str, str]:
    """The columns whose role a user changed: ``{name: new role}`` from two lists of rows
    with ``name`` and ``role`` (as shown, and as edited)."""
    before = {r["name"]: r["role"] for r in shown}
    return {r["name"]: r["role"] for r in edited if r["role"] != before.get(r["name"])}


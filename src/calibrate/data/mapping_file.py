"""The mapping file's check: what ``calibrate ingest --mapping`` (and the app) may hand over.

A mapping (TOML, or the app's column table as a dict) is checked key by key before the leads
are read (:func:`check_mapping`, called by :func:`calibrate.data.roles.load_mapping` and
:func:`~calibrate.data.roles.mapping_from_dict`): the sections ``[columns]``,
``[outcomes]``, ``[placeholders]`` and ``[read]`` only, each key known and of its type (see
README, "Mapping file"). Every fault names its key (``[read] delimiter``, ``[colums]``) with
a fix, a misspelled key or section with the likeliest spelling, all of them in one
:class:`~calibrate.errors.InputError` (:class:`calibrate.problems.Problems`).

The names a role, a type and an outcome may take are :mod:`calibrate.data.roles`'s: the
caller passes them, so this module needs only :mod:`calibrate.data.outcomes` (how labels
compare) and the shared :mod:`calibrate.problems`.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Collection, Sequence
from typing import Any

from calibrate.data.outcomes import label_key
from calibrate.errors import InputError
from calibrate.problems import (
    Problems,
    described,
    did_you_mean,
    is_texts,
    listed,
    shown,
    suggest,
    type_name,
    whole,
    whole_problem,
)

SECTIONS = ("columns", "outcomes", "placeholders", "read")
COLUMN_KEYS = ("role", "type")
PLACEHOLDER_KEYS = ("values",)
READ_KEYS = ("delimiter", "encoding", "sheet", "quote", "skip", "max_line_size")
#: The encodings DuckDB's CSV reader reads, by the name Python gives the codec.
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "ascii": "utf-8",
                    "iso8859-1": "latin-1", "utf-16": "utf-16"}

# Words people use for the names calibrate expects (the fix suggests the name).
_SYNONYMS = {
    "role": {"behaviour": "behavior", "fit": "profile", "engagement": "behavior",
             "id": "lead_id", "skip": "ignore", "drop": "ignore", "status": "outcome",
             "target": "outcome", "stage": "outcome", "created": "created_at",
             "closed": "closed_at", "name": "full_name", "mail": "email",
             "e-mail": "email", "telephone": "phone"},
    "type": {"number": "numeric", "numerical": "numeric", "integer": "numeric",
             "float": "numeric", "boolean": "flag", "bool": "flag", "string": "categorical",
             "category": "categorical", "datetime": "date", "timestamp": "date"},
}


def _section(name: str, sub: str | None = None) -> str:
    """A section as TOML writes it: ``[read]``, ``[columns."Lead Status"]``."""
    if sub is None:
        return f"[{name}]"
    return f"[{name}.{_toml_key(sub)}]"


def _toml_key(name: str) -> str:
    """A key as TOML writes it: bare when it may be, else in double quotes."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name,
                                                                          ensure_ascii=False)


def check_mapping(data: Any, source: str, *, roles: Sequence[str],
                  special_roles: Collection[str], types: Sequence[str],
                  outcomes: Sequence[str], one_column_per_role: bool = False
                  ) -> dict[str, Any]:
    """The mapping's content, checked and normalised: ``columns``, ``outcomes``,
    ``placeholders`` (a list) and ``read`` (the encoding by the name DuckDB reads).

    ``roles``, ``types`` and ``outcomes`` are the names a column's role and type and a key
    of ``[outcomes]`` may take. ``one_column_per_role``: one of the ``special_roles``
    (outcome, lead_id, email...) given to two columns is a fault too (a file; the app's
    column table is left to ingest, which names the clash when the file is loaded). Raises
    an :class:`InputError` listing every fault (file, key, fix).
    """
    names = tuple(outcomes)
    problems = Problems("mapping", source, toml=True)
    if not isinstance(data, dict):
        raise InputError(f"The mapping is {type_name(data, True)}, not a table of sections.",
                         file=source, fix="See README.md, section 'Mapping file'.")
    _check_sections(problems, data, names)
    out = {"columns": _check_columns(problems, data.get("columns", {}), roles, types,
                                     special_roles if one_column_per_role else ()),
           "outcomes": _check_outcomes(problems, data.get("outcomes", {}), names),
           "placeholders": _check_placeholders(problems, data.get("placeholders", {})),
           "read": _check_read(problems, data.get("read", {}))}
    problems.raise_if_any()
    return out


def _check_sections(problems: Problems, data: dict[str, Any], outcomes: Sequence[str]
                    ) -> None:
    """Note every section calibrate does not read and every setting outside a section."""
    for name, value in data.items():
        if name in SECTIONS:
            continue
        sections = ", ".join(f"[{s}]" for s in SECTIONS)
        if isinstance(value, dict):
            best = suggest(name, SECTIONS)
            subs = [k for k, v in value.items() if isinstance(v, dict)]
            hint = ""
            if best and subs:
                hint = (f"Did you mean [{best}]? Write {_section(best, subs[0])}"
                        + (" (and the others alike)" if len(subs) > 1 else "") + ". ")
            elif best:
                hint = f"Did you mean [{best}]? "
            problems.add(_section(name), "is not a section calibrate reads (it would be "
                         "ignored)", f"{hint}The sections are {sections}.")
        else:
            home = next((s for s, keys in (("read", READ_KEYS), ("placeholders",
                                                                 PLACEHOLDER_KEYS),
                                           ("outcomes", outcomes))
                         if name in keys), None)
            if home:
                fix = f"Move it under [{home}]: write [{home}] on the line above it."
            elif name in COLUMN_KEYS:
                fix = f'Put it under its column: [columns."Column name"] then {name} = ...'
            else:
                best = suggest(name, SECTIONS)
                fix = (f"Did you mean [{best}]? " if best else "") + \
                    f"The sections are {sections}."
            problems.add(_toml_key(name), "is not a setting outside a section", fix)


def _check_columns(problems: Problems, columns: Any, roles: Sequence[str],
                   types: Sequence[str], special_roles: Collection[str]
                   ) -> dict[str, dict[str, str]]:
    """``[columns]``: each column's role and type, the valid ones kept; a role of
    ``special_roles`` given to two columns is a fault."""
    if not isinstance(columns, dict):
        problems.not_a_table("[columns]", columns,
                             'Write one table per column: [columns."Lead Status"] then '
                             'role = "outcome" on the next line.')
        return {}
    checked: dict[str, dict[str, str]] = {}
    special: dict[str, str] = {}
    for col, spec in columns.items():
        sec = _section("columns", col)
        if not isinstance(spec, dict):
            setting = (f"type = {shown(spec)}" if spec in types and spec not in roles
                       else f"role = {shown(spec)}" if spec in roles
                       else 'role = "profile" (or type = "numeric")')
            problems.add(sec, f"is {shown(spec)} ({type_name(spec, True)}), not a table "
                         "with role and/or type",
                         f"Write it as {sec} then {setting} on the next line.")
            continue
        kept: dict[str, str] = {}
        for k, v in spec.items():
            if k not in COLUMN_KEYS:
                problems.unknown(f"{sec} {_toml_key(k)}", k, COLUMN_KEYS,
                                 "is not a column setting", "A column takes role and type.")
                continue
            choices = roles if k == "role" else types
            if v not in choices:
                word = "role" if k == "role" else "type"
                hint = did_you_mean(v, choices, _SYNONYMS[k])
                what = (f": Unknown {word} '{v}'" if isinstance(v, str)
                        else f"is {shown(v)} ({type_name(v, True)}), not a {word} name")
                problems.add(f"{sec} {k}", what, f"{hint}Use one of: {', '.join(choices)}.")
                continue
            kept[k] = v
        role = kept.get("role")
        if role in special_roles:
            if role in special:
                problems.add(f"{sec} role", f"is \"{role}\", as is "
                             f"{_section('columns', special[role])}'s",
                             f"One column holds the {role}: keep it on one and set the "
                             'other to role = "ignore" (or an attribute role).')
            special.setdefault(role, col)
        checked[str(col)] = kept
    return checked


def _check_outcomes(problems: Problems, outcomes: Any, names: Sequence[str]
                    ) -> dict[str, list[str]]:
    """``[outcomes]``: labels per outcome (one of ``names``), each label under one."""
    if not isinstance(outcomes, dict):
        problems.not_a_table("[outcomes]", outcomes, 'Write [outcomes] on its own line, then '
                             'won = ["Verbal Yes"] and so on.')
        return {}
    checked: dict[str, list[str]] = {}
    seen: dict[str, str] = {}
    for k, labels in outcomes.items():
        key = f"[outcomes] {_toml_key(k)}"
        if k not in names:
            problems.unknown(key, k, names, "is not an outcome",
                             f"Use one of: {', '.join(names)}.")
            continue
        if isinstance(labels, str):
            problems.add(key, f"is {shown(labels)}, one text, not a list of labels",
                         f"Write it as a list: {k} = {shown([labels])}.")
            continue
        if not is_texts(labels):
            example = [str(x) for x in labels] if isinstance(labels, list) else [
                "Label one", "Label two"]
            problems.add(key, f"is {shown(labels)}, not a list of labels (texts)",
                         f"Write it as a list of texts in quotes: {k} = "
                         f"{shown(example)}.")
            continue
        for label in labels:
            folded = label_key(label)
            if folded in seen and seen[folded] != k:
                problems.add(key, f"lists {shown(label)}, which [outcomes] "
                             f"{seen[folded]} lists too",
                             "A label means one outcome: keep it under one of them.")
            seen.setdefault(folded, k)
        checked[k] = list(labels)
    return checked


def _check_placeholders(problems: Problems, placeholders: Any) -> list[str]:
    """``[placeholders] values``: more texts that mean "missing"."""
    if not isinstance(placeholders, dict):
        example = placeholders if isinstance(placeholders, list) else ["TBD"]
        problems.add("[placeholders]", f"is {shown(placeholders)}, not a table",
                     f"Write [placeholders] on its own line, then values = {shown(example)}.")
        return []
    for k in placeholders:
        if k not in PLACEHOLDER_KEYS:
            problems.unknown(f"[placeholders] {_toml_key(k)}", k, PLACEHOLDER_KEYS,
                             "is not a placeholders setting",
                             '[placeholders] takes values = ["TBD", ...].')
    values = placeholders.get("values", [])
    if isinstance(values, str) and not values:
        problems.add("[placeholders] values", 'is "", one empty text, not a list',
                     'Write the texts that mean "missing" as a list: values = ["TBD"], or '
                     "values = [] for none.")
    elif isinstance(values, str):
        problems.add("[placeholders] values", f"is {shown(values)}, one text, not a list "
                     f"(it would be read letter by letter: {listed(values[:5], last='and')})",
                     f"Write it as a list: values = {shown([values])}.")
    elif not is_texts(values):
        example = [str(x) for x in values] if isinstance(values, list) else ["TBD"]
        problems.add("[placeholders] values", f"is {shown(values)}, not a list of texts",
                     f"Write each value in quotes: values = {shown(example)}.")
    else:
        return list(values)
    return []


_DELIMITER_WORDS = {"tab": "\\t", "\\t": "\\t", "comma": ",", "semicolon": ";",
                "pipe": "|", "space": " "}


def _check_read(problems: Problems, read: Any) -> dict[str, Any]:
    """``[read]``: how to open the export, each setting checked (the encoding by the name
    DuckDB reads, sizes as ints)."""
    if not isinstance(read, dict):
        problems.not_a_table("[read]", read,
                             'Write [read] on its own line, then delimiter = ";" and so on.')
        return {}
    out: dict[str, Any] = {}
    for k, v in read.items():
        key = f"[read] {_toml_key(k)}"
        if k not in READ_KEYS:
            problems.unknown(key, k, READ_KEYS, "is not a [read] setting",
                             f"[read] takes {', '.join(READ_KEYS)}.")
            continue
        if k in ("delimiter", "quote"):
            if not isinstance(v, str) or len(v) != 1 or v in "\r\n":
                word = _DELIMITER_WORDS.get(v.strip().lower()) if isinstance(v, str) else None
                example = f'"{word}"' if word else ('";"' if k == "delimiter" else "'\"'")
                what = (f"is {described(v, True)}, not a character"
                        if not isinstance(v, str) else
                        "is empty" if not v else
                        f"is {shown(v)}, a line break" if v in "\r\n" else
                        f"is {shown(v)}, {len(v)} characters, not one")
                problems.add(key, what, f"Write one character in quotes: {k} = {example}"
                             + (' (a tab is "\\t")' if k == "delimiter" and not word else "")
                             + ".")
                continue
        elif k == "encoding":
            enc = _encoding(problems, key, v)
            if enc is None:
                continue
            v = enc
        elif k == "sheet":
            if not isinstance(v, str) or not v.strip():
                problems.add(key, f"is {described(v, True)}, not a sheet's name",
                             'Write the sheet\'s name as the workbook shows it, in quotes: '
                             'sheet = "Leads".')
                continue
        elif k in ("skip", "max_line_size"):
            if what := whole_problem(v, 0, None, toml=True):
                example = "3" if k == "skip" else "100000000"
                problems.add(key, what, f"Write a whole number, 0 or more, without quotes: "
                             f"{k} = {example}.")
                continue
            v = whole(v)  # 1e8 in TOML is a float
        out[k] = v
    return out


def _encoding(problems: Problems, key: str, value: Any) -> str | None:
    """The DuckDB name of the encoding ``value`` names, or None (a problem is added)."""
    readable = "utf-8, utf-16 or latin-1"
    if not isinstance(value, str) or not value.strip():
        problems.add(key, f"is {described(value, True)}, not an encoding's name",
                     f'Write it in quotes: encoding = "latin-1" (calibrate reads {readable}).')
        return None
    try:
        name = codecs.lookup(value.strip()).name
    except (LookupError, ValueError):  # ValueError: a name with a NUL character
        hint = did_you_mean(value, ["utf-8", "utf-16", "latin-1"])
        problems.add(key, f"is {shown(value)}, not an encoding Python knows",
                     f"{hint}calibrate reads {readable}; an export saved as UTF-8 needs no "
                     "encoding setting.")
        return None
    if name in DUCKDB_ENCODINGS:
        return DUCKDB_ENCODINGS[name]
    latin = (' or, for Windows text, encoding = "latin-1" (the same letters but for €, curly '
             "quotes and long dashes)") if name == "cp1252" else ""
    problems.add(key, f"is {shown(value)} ({name}), which calibrate's CSV reader (DuckDB) "
                 f"does not read (it reads {readable})",
                 "Save the export as UTF-8 (e.g. Excel: Save As, CSV UTF-8) and leave the "
                 f"encoding out{latin}.")
    return None

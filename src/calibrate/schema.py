"""The schemas of the files a person hands to calibrate: weights (JSON) and mappings (TOML).

A weights file (``calibrate score --weights``) and a mapping file (``calibrate ingest
--mapping``) are often edited by hand. Both are checked here, key by key, before anything
reads them: every fault becomes one line that names the key (``table[12].points``,
``thresholds.min_profile``, ``[read] delimiter``, ``[colums]``) and says how to fix it, a
misspelled key or section with the likeliest spelling (:func:`difflib.get_close_matches`).
All faults of a file are reported together in one :class:`~calibrate.errors.InputError`.

What a weights file must hold (``check_weights``): ``format`` "calibrate-weights", a
``version`` this calibrate reads, and a ``table`` of levels, each with a text ``axis``
(profile or behavior), ``attribute``, ``kind`` (categorical, numeric or flag) and
``level``, a whole-number ``code`` (0 to k-1 once each per attribute) and whole-number
``points`` (0 to :data:`MAX_POINTS` in a file); ``thresholds`` and ``rules`` when present
as calibrate writes them. What a mapping must hold (``check_mapping``): the sections
``[columns]``, ``[outcomes]``, ``[placeholders]`` and ``[read]`` only, each key known and of
its type (see README, "Mapping file").

Nothing here imports pandas: the checks run on the parsed JSON or TOML as it is.
"""

from __future__ import annotations

import codecs
import difflib
import functools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calibrate.errors import InputError
from calibrate.model.points import COLUMNS, REQUIRED

#: Points of one level in a weights file: whole numbers from 0 to this.
MAX_POINTS = 1000
#: Thresholds (minimum profile, behavior or total score): whole numbers from 0 to this.
MAX_THRESHOLD = 100
#: Beyond this a whole number is not a plausible count (and would not fit an int64).
_HUGE = 2**53

AXES = ("profile", "behavior")
KINDS = ("categorical", "numeric", "flag")
WEIGHTS_KEYS = ("format", "version", "created_at", "data", "options", "metrics", "axes",
                "thresholds", "rules", "table")
ROW_KEYS = tuple(COLUMNS)  # the points table's own schema
ROW_REQUIRED = REQUIRED
THRESHOLD_KEYS = ("mode", "min_profile", "min_behavior", "min_total")
MODES = ("both", "total")

SECTIONS = ("columns", "outcomes", "placeholders", "read")
COLUMN_KEYS = ("role", "type")
PLACEHOLDER_KEYS = ("values",)
READ_KEYS = ("delimiter", "encoding", "sheet", "quote", "skip", "max_line_size")
#: The encodings DuckDB's CSV reader reads, by the name Python gives the codec.
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "ascii": "utf-8",
                    "iso8859-1": "latin-1", "utf-16": "utf-16"}

# Words people use for the names calibrate expects (the fix suggests the name).
_SYNONYMS = {
    "axis": {"fit": "profile", "engagement": "behavior", "behaviour": "behavior",
             "demographic": "profile", "firmographic": "profile", "activity": "behavior"},
    "kind": {"number": "numeric", "numerical": "numeric", "integer": "numeric",
             "boolean": "flag", "bool": "flag", "yes/no": "flag", "category": "categorical",
             "text": "categorical", "string": "categorical"},
    "role": {"behaviour": "behavior", "fit": "profile", "engagement": "behavior",
             "id": "lead_id", "skip": "ignore", "drop": "ignore", "status": "outcome",
             "target": "outcome", "stage": "outcome", "created": "created_at",
             "closed": "closed_at", "name": "full_name", "mail": "email",
             "e-mail": "email", "telephone": "phone"},
    "type": {"number": "numeric", "numerical": "numeric", "integer": "numeric",
             "float": "numeric", "boolean": "flag", "bool": "flag", "string": "categorical",
             "category": "categorical", "datetime": "date", "timestamp": "date"},
}


@dataclass(frozen=True)
class Problem:
    """One fault: the key, what is wrong with it (after the key), and the fix."""

    key: str
    what: str  # after the key: 'is "ten", not a number', or ": Unknown role 'hot'"
    fix: str

    @property
    def said(self) -> str:
        return self.key + ("" if self.what.startswith(":") else " ") + self.what


@dataclass
class Problems:
    """The faults found in one file, raised together as one :class:`InputError`."""

    kind: str  # "weights" or "mapping"
    source: str
    items: list[Problem] = field(default_factory=list)

    #: At most this many faults are listed; the rest are counted.
    SHOWN = 12

    def add(self, key: str, what: str, fix: str) -> None:
        self.items.append(Problem(key, what, fix))

    def error(self) -> InputError:
        if len(self.items) == 1:
            p = self.items[0]
            return InputError(f"In the {self.kind} file, {p.said}.", file=self.source,
                              fix=p.fix)
        shown = self.items[: self.SHOWN]
        more = len(self.items) - len(shown)
        keys = ", ".join(p.key for p in shown) + (f" and {more} more" if more else "")
        lines = [f"  {p.said} — {p.fix}" for p in shown]
        if more:
            lines.append(f"  ({more} more problems not shown: fix these and run again.)")
        return InputError(f"The {self.kind} file has {len(self.items)} problems: {keys}.",
                          file=self.source, fix="\n" + "\n".join(lines))

    def raise_if_any(self) -> None:
        if self.items:
            raise self.error()


# ----------------------------------------------------------------------------- helpers


def shown(value: Any, limit: int = 60) -> str:
    """A value as the file writes it: text in double quotes, NaN, Infinity, lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, datetime):
        return value.isoformat()
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):  # a NaN inside a list; lists nested 1,000 deep
        text = str(value) if not isinstance(value, list | dict) else type_name(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def type_name(value: Any, toml: bool = False) -> str:
    """What kind of value it is, in the words of the file's format."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table" if toml else "an object"
    if isinstance(value, datetime):
        return "a date"
    return type(value).__name__


def suggest(word: Any, choices: Iterable[str], synonyms: dict[str, str] | None = None
            ) -> str | None:
    """The choice ``word`` most likely stands for (a misspelling, another case, a synonym)."""
    choices = list(choices)
    if not isinstance(word, str):
        return None
    folded = word.strip().casefold()
    for c in choices:
        if c.casefold() == folded or c.casefold() == folded.replace(" ", "_").replace(
                "-", "_"):
            return c
    if synonyms and folded in synonyms and synonyms[folded] in choices:
        return synonyms[folded]
    close = difflib.get_close_matches(folded, [c.casefold() for c in choices], n=1,
                                      cutoff=0.6)
    if close:
        return next(c for c in choices if c.casefold() == close[0])
    return None


def _listed(choices: Iterable[str], quote: str = '"', last: str = "or") -> str:
    items = [f"{quote}{c}{quote}" for c in choices]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def _did_you_mean(word: Any, choices: Iterable[str], synonyms: dict[str, str] | None = None,
                  quote: str = '"') -> str:
    best = suggest(word, choices, synonyms)
    return f"Did you mean {quote}{best}{quote}? " if best else ""


def whole(value: Any) -> int | None:
    """``value`` as an int when it is a whole number (not a bool, not text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _number_in_text(value: str) -> float | None:
    try:
        return float(value.strip().replace(",", ""))
    except ValueError:
        return None


def _whole_problem(value: Any, low: int | None, high: int | None, json_like: bool = True
                   ) -> str | None:
    """What is wrong with ``value`` as a whole number from ``low`` to ``high``, or None."""
    if isinstance(value, str):
        if _number_in_text(value) is not None:
            return f"is {shown(value)}, a number written as text"
        return f"is {shown(value)}, not a number"
    if value is None:
        return "is null, not a number" if json_like else "is empty, not a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"is {shown(value)} ({type_name(value, not json_like)}), not a number"
    if isinstance(value, float) and math.isnan(value):
        return "is NaN, not a number"
    if isinstance(value, float) and math.isinf(value):
        return f"is {shown(value)}, not a finite number"
    if whole(value) is None:
        return f"is {value!r}, not a whole number"
    n = whole(value)
    if low is not None and n < low:
        return f"is {n}, below {low}"
    if high is not None and n > high:
        return f"is {shown(value)}, above {high}"
    return None


def _range_words(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"a whole number from {low} to {high}"
    if low is not None:
        return f"a whole number, {low} or more"
    return "a whole number"


# ----------------------------------------------------------------------------- weights

_REEXPORT = "Export the weights again (calibrate export --format json) and pass that file."


def check_weights(doc: Any, source: str, *, points_range: tuple[int, int] | None = None,
                  format_name: str = "calibrate-weights", format_version: int = 1) -> None:
    """Raise an :class:`InputError` listing every fault of a weights document.

    ``points_range`` (low, high) bounds each level's points (a file handed to ``score``:
    0 to :data:`MAX_POINTS`); without it points need only be finite whole numbers (the
    app lets a workshop edit points outside that range).
    """
    problems = Problems("weights", source)
    if isinstance(doc, list):
        raise InputError("This is not a calibrate weights file: it holds a list"
                         + (" (a bare points table?)" if doc and isinstance(doc[0], dict)
                            and "points" in doc[0] else "") + ", not the weights document.",
                         file=source, fix=_REEXPORT)
    if not isinstance(doc, dict) or ("format" not in doc and "table" not in doc):
        raise InputError("This is not a calibrate weights file.", file=source,
                         fix="Export the weights from calibrate (calibrate export "
                             "--format json) and pass that file.")
    if "format" not in doc:
        problems.add("format", "is missing", f'Add "format": "{format_name}" at the top '
                     "(calibrate writes it), or export the weights again.")
    elif doc["format"] != format_name:
        raise InputError(f"This is not a calibrate weights file: its format is "
                         f"{shown(doc['format'])}, not \"{format_name}\".", file=source,
                         fix=_REEXPORT)
    if "version" in doc:
        v = whole(doc["version"])
        if v is None or v < 1:
            problems.add("version", f"is {shown(doc['version'])}, not a version number",
                         f'Write "version": {format_version} (a whole number, no quotes).')
        elif v > format_version:
            raise InputError(f"The weights file has format version {v}, newer than this "
                             "calibrate understands.", file=source, fix="Upgrade calibrate.")
    for key in doc:
        if key not in WEIGHTS_KEYS:
            hint = _did_you_mean(key, WEIGHTS_KEYS, quote='"')
            problems.add(key if isinstance(key, str) else shown(key),
                         "is not a key of a weights file",
                         f"{hint}The keys are {_listed(WEIGHTS_KEYS)}.")
    created = doc.get("created_at")
    if created is not None and not _iso_datetime(created):
        problems.add("created_at", f"is {shown(created)}, not a date and time",
                     'Write it as "created_at": "2025-01-31T09:00:00" (ISO 8601), or leave '
                     "the key out.")
    for key in ("data", "options", "metrics", "axes"):
        if doc.get(key) is not None and not isinstance(doc[key], dict):
            problems.add(key, f"is {type_name(doc[key])}, not an object",
                         f'Write it as an object ("{key}": {{...}}) or leave it out.')
    if doc.get("thresholds") is not None:
        _check_thresholds(problems, doc["thresholds"], "thresholds", top=True)
    if doc.get("rules") is not None:
        _check_rules(problems, doc["rules"])
    if "table" not in doc:
        problems.add("table", "is missing: the file has no points table", _REEXPORT)
    elif not isinstance(doc["table"], list):
        problems.add("table", f"is {type_name(doc['table'])}, not a list of levels",
                     'Write the table as a list with one object per level: "table": '
                     '[{"axis": "profile", "attribute": "industry", "kind": "categorical", '
                     '"level": "Software", "code": 0, "points": 20}, ...].')
    elif not doc["table"]:
        problems.add("table", "is empty: the file has no points", _REEXPORT)
    else:
        _check_table(problems, doc["table"], points_range)
    problems.raise_if_any()


def _iso_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _row_name(row: dict[str, Any]) -> str:
    attr, level = row.get("attribute"), row.get("level")
    if isinstance(attr, str) and isinstance(level, str):
        return f" ({attr}, level {shown(level)})"
    if isinstance(attr, str):
        return f" ({attr})"
    return ""


_MISSING_FIX = {
    "axis": 'Give every level its axis ("profile" or "behavior"), or export the weights again.',
    "attribute": "Give every level its attribute (the column's header), or export the weights "
                 "again.",
    "kind": 'Give every level its kind ("categorical", "numeric" or "flag"), or export the '
            "weights again.",
    "level": "Give every level its label as calibrate shows it, or export the weights again.",
    "code": "Give every level its code, 0 to k-1 for the k levels of its attribute in order, "
            "or export the weights again.",
    "points": "Give every level its points (0 when it should add nothing), or export the "
              "weights again.",
}


def _check_table(problems: Problems, rows: list[Any],
                 points_range: tuple[int, int] | None) -> None:
    good: list[tuple[int, dict[str, Any]]] = []
    faulty: set[str | None] = set()  # attributes with a faulty row: not judged as a whole
    for i, row in enumerate(rows):
        key = f"table[{i}]"
        if not isinstance(row, dict):
            faulty.add(None)
            problems.add(key, f"is {type_name(row)}, not an object",
                         'Each row is one level: {"axis": "profile", "attribute": '
                         '"industry", "kind": "categorical", "level": "Software", "code": 0, '
                         '"points": 20}.')
            continue
        name = _row_name(row)
        before = len(problems.items)
        for k in row:
            if k not in ROW_KEYS:
                hint = _did_you_mean(k, ROW_KEYS)
                problems.add(f"{key}.{k}{name}", "is not a column of the points table",
                             f"{hint}A row's keys are {_listed(ROW_KEYS)}.")
        for k in ROW_REQUIRED:
            if k not in row:
                problems.add(f"{key}.{k}{name}", "is missing", _MISSING_FIX[k])
        for k, choices in (("axis", AXES), ("kind", KINDS)):
            if k in row and row[k] not in choices:
                hint = _did_you_mean(row[k], choices, _SYNONYMS[k])
                problems.add(f"{key}.{k}{name}", f"is {shown(row[k])}, not a known {k}",
                             f"{hint}The {k} of a level is {_listed(choices)}.")
        for k in ("attribute", "level"):
            if k in row and (not isinstance(row[k], str) or not row[k].strip()):
                fix = (f'Write it as text, in quotes: "{k}": "{row[k]}".'
                       if isinstance(row[k], int | float) and not isinstance(row[k], bool)
                       else f"Give the {k} as text (the column's header, or the level's "
                            "label as calibrate shows it).")
                problems.add(f"{key}.{k}{name}", f"is {shown(row[k])}" + (
                    "" if isinstance(row[k], str) else f" ({type_name(row[k])})")
                    + ", not a name", fix)
        if "code" in row and (what := _whole_problem(row["code"], 0, _HUGE)):
            problems.add(f"{key}.code{name}", what,
                         "Codes number the levels of an attribute 0, 1, 2... in order, each "
                         "once: write a whole number without quotes.")
        if "points" in row:
            low, high = points_range or (-_HUGE, _HUGE)
            if what := _whole_problem(row["points"], low, high):
                problems.add(f"{key}.points{name}", what, _points_fix(row["points"],
                                                                     points_range))
        for k in ("suggested_points", "leads", "wins"):
            if row.get(k) is not None and (what := _whole_problem(
                    row[k], 0 if k != "suggested_points" else -_HUGE, _HUGE)):
                problems.add(f"{key}.{k}{name}", what,
                             "Write a whole number without quotes, or null.")
        for k in ("lower", "upper", "coefficient", "ci_low", "ci_high", "win_rate"):
            v = row.get(k)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            bounded = k in ("lower", "upper")  # a bin may be open: -Infinity / Infinity
            if isinstance(v, bool) or not isinstance(v, int | float) or (
                    not bounded and math.isinf(v)):
                problems.add(f"{key}.{k}{name}", f"is {shown(v)}, not a "
                             + ("number" if bounded else "finite number"),
                             "Write a number without quotes, or null."
                             + (" An open bin's bound is null." if bounded else ""))
        if len(problems.items) == before:
            good.append((i, row))
        else:
            faulty.add(row.get("attribute") if isinstance(row.get("attribute"), str) else None)
    if None in faulty:  # a row without its attribute: the others' codes cannot be judged
        return
    _check_attributes(problems, [(i, r) for i, r in good if r["attribute"] not in faulty])


def _points_fix(value: Any, points_range: tuple[int, int] | None) -> str:
    low, high = points_range or (None, None)
    words = _range_words(low, high) if points_range else "a whole number"
    if isinstance(value, str) and (n := _number_in_text(value)) is not None:
        if whole(n) is not None and (low is None or low <= n <= high):
            return f'Write the points as a number, without quotes: "points": {whole(n)}.'
        return f"Write the points as {words}, without quotes."
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        return f"Points are whole numbers: write {math.floor(value + 0.5)}."
    n = whole(value)
    if n is not None and low is not None and n < low:
        return (f"Points run from {low} to {high}: give this level 0 and the attribute's "
                "other levels more instead (a lead's points only add up).")
    if n is not None and high is not None and n > high:
        return (f"Points run from {low} to {high} per level (calibrate suggests 0 to 100 per "
                "axis): scale them down.")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"Give every level its points, {words}: 0 when it should add nothing."
    return f'Write the points as {words}, without quotes, e.g. "points": 10.'


def _check_attributes(problems: Problems, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Per attribute: one axis and one kind, codes 0..k-1 once each, distinct levels, and
    numeric bins whose lower bounds rise."""
    by_attr: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, row in rows:
        by_attr.setdefault(row["attribute"], []).append((i, row))
    for attr, members in by_attr.items():
        first_i, first = members[0]
        for k in ("axis", "kind"):
            for i, row in members[1:]:
                if row[k] != first[k]:
                    problems.add(f"table[{i}].{k}{_row_name(row)}",
                                 f"is {shown(row[k])} but table[{first_i}] says "
                                 f"{shown(first[k])} for {attr}",
                                 f"Every level of an attribute has one {k}: make them the "
                                 "same (or name the attribute differently).")
        k = len(members)
        seen_codes: dict[int, int] = {}
        seen_levels: dict[str, int] = {}
        for i, row in members:
            code = whole(row["code"])
            assert code is not None
            if code in seen_codes:
                problems.add(f"table[{i}].code{_row_name(row)}",
                             f"is {code}, the same as table[{seen_codes[code]}]'s",
                             f"Number the {k} levels of {attr} 0 to {k - 1}, each once.")
            elif code >= k:
                problems.add(f"table[{i}].code{_row_name(row)}",
                             f"is {code} but {attr} has {k} level{'s' * (k != 1)} "
                             f"(codes 0 to {k - 1})",
                             f"Number the {k} levels of {attr} 0 to {k - 1}, each once.")
            seen_codes.setdefault(code, i)
            if row["level"] in seen_levels:
                problems.add(f"table[{i}].level{_row_name(row)}",
                             f"is {shown(row['level'])} again (table[{seen_levels[row['level']]}]"
                             " has it too)",
                             f"Each level of {attr} appears once: remove or rename one.")
            seen_levels.setdefault(row["level"], i)
        if first["kind"] == "numeric":
            bins = sorted((whole(r["code"]), i, r) for i, r in members if r["level"] != "Missing")
            previous = None
            for (_, _, before), (_, i, row) in zip(bins, bins[1:], strict=False):
                lower = row.get("lower")
                if not isinstance(lower, int | float) or isinstance(lower, bool) or not \
                        math.isfinite(lower):
                    upper = before.get("upper")
                    example = (f"{shown(upper)} (where the bin before ends)"
                               if isinstance(upper, int | float) and not isinstance(upper, bool)
                               and math.isfinite(upper) else "3")
                    problems.add(f"table[{i}].lower{_row_name(row)}",
                                 f"is {shown(lower)}, but a numeric bin after the first needs "
                                 "a lower bound",
                                 "Give the bin's lowest value (inclusive) as a number, e.g. "
                                 f'"lower": {example}, or export the weights again.')
                    previous = None
                    continue
                if previous is not None and lower <= previous:
                    problems.add(f"table[{i}].lower{_row_name(row)}",
                                 f"is {shown(lower)}, not above the bin before ({shown(previous)})",
                                 f"The bins of {attr}, in code order, must rise: check the codes "
                                 "and lower bounds.")
                previous = lower


def _check_thresholds(problems: Problems, t: Any, key: str, top: bool = False) -> None:
    known = THRESHOLD_KEYS + (("segment", "segments") if top else ())
    if not isinstance(t, dict):
        problems.add(key, f"is {shown(t)} ({type_name(t)}), not an object",
                     f'Write them as "{key}": {{"mode": "both", "min_profile": 60, '
                     '"min_behavior": 40}, or null for none.')
        return
    for k in t:
        if k not in known:
            hint = _did_you_mean(k, known)
            problems.add(f"{key}.{k}", "is not a threshold setting",
                         f"{hint}Thresholds are {_listed(known)}.")
    mode = t.get("mode")
    if "mode" in t and mode not in MODES:
        hint = _did_you_mean(mode, MODES)
        problems.add(f"{key}.mode", f"is {shown(mode)}, not a mode",
                     f'{hint}"both" applies min_profile and min_behavior, "total" min_total.')
    for k in ("min_profile", "min_behavior", "min_total"):
        if k in t and (what := _whole_problem(t[k], 0, MAX_THRESHOLD)):
            problems.add(f"{key}.{k}", what,
                         f"Thresholds are whole points from 0 to {MAX_THRESHOLD}: write e.g. "
                         f'"{k}": 50, without quotes.')
    has = {k for k in ("min_profile", "min_behavior", "min_total") if k in t}
    if mode == "total" and "min_total" not in has:
        problems.add(f"{key}.min_total", "is missing (mode is \"total\")",
                     f'Add "min_total": 50 (0 to {MAX_THRESHOLD}).')
    if mode in (None, "both") and has & {"min_profile", "min_behavior"}:
        for k in ("min_profile", "min_behavior"):
            if k not in has:
                problems.add(f"{key}.{k}", "is missing (mode \"both\" needs min_profile and "
                             "min_behavior)",
                             f'Add "{k}": 50 (0 to {MAX_THRESHOLD}), or use "mode": "total".')
    if mode is None and has == {"min_total"}:
        problems.add(f"{key}.mode", "is missing: min_total applies only in mode \"total\"",
                     'Add "mode": "total" (without it, the thresholds are min_profile and '
                     "min_behavior and no lead is an MQL).")
    if top and t.get("segment") is not None and not isinstance(t["segment"], str):
        problems.add(f"{key}.segment", f"is {shown(t['segment'])}, not a segment's name",
                     'Write the segment as text ("segment": "Enterprise"), or null.')
    if top and t.get("segments") is not None:
        segs = t["segments"]
        if not isinstance(segs, dict):
            problems.add(f"{key}.segments", f"is {type_name(segs)}, not an object",
                         'Write it as "segments": {"Enterprise": {"mode": "both", '
                         '"min_profile": 70, "min_behavior": 40}}.')
        else:
            for name, seg in segs.items():
                _check_thresholds(problems, seg, f"{key}.segments.{shown(name)}")


def _check_rules(problems: Problems, rules: Any) -> None:
    from calibrate.decide.rules import RuleSet

    if not isinstance(rules, dict):
        problems.add("rules", f"is {shown(rules)} ({type_name(rules)}), not an object",
                     "Write the auto-rules as calibrate exports them, or null for the "
                     "defaults.")
        return
    defaults = RuleSet().to_dict()
    before = len(problems.items)
    for k, v in rules.items():
        key = f"rules.{k}"
        if k not in defaults:
            hint = _did_you_mean(k, defaults)
            problems.add(key, "is not an auto-rule setting",
                         f"{hint}The settings are {_listed(defaults)}.")
            continue
        expected = defaults[k]
        if isinstance(expected, bool):
            if not isinstance(v, bool):
                problems.add(key, f"is {shown(v)}, not true or false",
                             f'Write "{k}": true or "{k}": false, without quotes.')
        elif isinstance(expected, int):
            if what := _whole_problem(v, 0, 100):
                problems.add(key, what, f'Write a whole number, e.g. "{k}": {expected}.')
        elif isinstance(expected, list):
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                example = [v] if isinstance(v, str) else ["..."]
                problems.add(key, f"is {shown(v)}, not a list of texts",
                             f'Write it as a list: "{k}": {shown(example)}.')
            elif any("\x00" in x for x in v):
                problems.add(key, "holds a NUL character", "Remove it from the text.")
            elif k == "fake_name_patterns":
                for j, pattern in enumerate(v):
                    if (why := _re2_problem(pattern)) is not None:
                        problems.add(f"{key}[{j}]", f"is {shown(pattern)}, not a regular "
                                     f"expression DuckDB reads ({why})",
                                     "Fix the pattern (RE2 syntax) or remove it.")
        elif isinstance(expected, dict):
            if not isinstance(v, dict) or not all(
                    isinstance(x, list) and all(isinstance(y, str) for y in x)
                    for x in v.values()):
                problems.add(key, f"is {shown(v)}, not an object of lists of texts",
                             f'Write it as "{k}": {{"column": ["value", ...]}}.')
            elif any("\x00" in y for x in v.values() for y in x):
                problems.add(key, "holds a NUL character", "Remove it from the text.")
    if len(problems.items) == before:
        try:
            RuleSet.from_dict(rules)
        except (TypeError, ValueError) as exc:
            problems.add("rules", f"cannot be read: {exc}",
                         "Write the auto-rules as calibrate exports them, or null.")


@functools.lru_cache(maxsize=256)
def _re2_problem(pattern: str) -> str | None:
    """Why DuckDB's RE2 rejects ``pattern``, or None (remembered: the same few patterns
    come back with every weights document the app reads)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SELECT regexp_matches('', ?)", [pattern]).fetchone()
    except duckdb.Error as exc:
        return str(exc).split("Error: ", 1)[-1].strip()
    finally:
        con.close()
    return None


# ----------------------------------------------------------------------------- mapping


def _section(name: str, sub: str | None = None) -> str:
    if sub is None:
        return f"[{name}]"
    return f"[{name}.{_toml_key(sub)}]"


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name,
                                                                          ensure_ascii=False)


def check_mapping(data: Any, source: str, *, one_column_per_role: bool = False
                  ) -> dict[str, Any]:
    """The mapping's content, checked and normalised: ``columns``, ``outcomes``,
    ``placeholders`` (a list) and ``read`` (the encoding by the name DuckDB reads).

    ``one_column_per_role``: a special role (outcome, lead_id, email...) given to two
    columns is a fault too (a file; the app's column table is left to ingest, which names
    the clash when the file is loaded). Raises an :class:`InputError` listing every fault
    (file, key, fix).
    """
    from calibrate.data.outcomes import OUTCOMES, _key
    from calibrate.data.roles import IGNORED, ROLES, SPECIAL_ROLES, TYPES

    problems = Problems("mapping", source)
    out: dict[str, Any] = {"columns": {}, "outcomes": {}, "placeholders": [], "read": {}}
    if not isinstance(data, dict):
        raise InputError(f"The mapping is {type_name(data, True)}, not a table of sections.",
                         file=source, fix="See README.md, section 'Mapping file'.")
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
                                           ("outcomes", OUTCOMES + (IGNORED,)))
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

    columns = data.get("columns", {})
    if not isinstance(columns, dict):
        problems.add("[columns]", f"is {type_name(columns, True)}, not a table",
                     'Write one table per column: [columns."Lead Status"] then '
                     'role = "outcome" on the next line.')
    else:
        special: dict[str, str] = {}
        for col, spec in columns.items():
            sec = _section("columns", col)
            if not isinstance(spec, dict):
                setting = (f"type = {shown(spec)}" if spec in TYPES and spec not in ROLES
                           else f"role = {shown(spec)}" if spec in ROLES
                           else 'role = "profile" (or type = "numeric")')
                problems.add(sec, f"is {shown(spec)} ({type_name(spec, True)}), not a table "
                             "with role and/or type",
                             f"Write it as {sec} then {setting} on the next line.")
                continue
            kept = {}
            for k, v in spec.items():
                if k not in COLUMN_KEYS:
                    hint = _did_you_mean(k, COLUMN_KEYS, quote="")
                    problems.add(f"{sec} {_toml_key(k)}", "is not a column setting",
                                 f"{hint}A column takes role and type.")
                    continue
                choices = ROLES if k == "role" else TYPES
                if v not in choices:
                    word = "role" if k == "role" else "type"
                    hint = _did_you_mean(v, choices, _SYNONYMS[k])
                    what = (f": Unknown {word} '{v}'" if isinstance(v, str)
                            else f"is {shown(v)} ({type_name(v, True)}), not a {word} name")
                    problems.add(f"{sec} {k}", what, f"{hint}Use one of: {', '.join(choices)}.")
                    continue
                kept[k] = v
            role = kept.get("role")
            if one_column_per_role and role in SPECIAL_ROLES:
                if role in special:
                    problems.add(f"{sec} role", f"is \"{role}\", as is "
                                 f"{_section('columns', special[role])}'s",
                                 f"One column holds the {role}: keep it on one and set the "
                                 'other to role = "ignore" (or an attribute role).')
                special.setdefault(role, col)
            out["columns"][str(col)] = kept

    outcomes = data.get("outcomes", {})
    names = OUTCOMES + (IGNORED,)
    if not isinstance(outcomes, dict):
        problems.add("[outcomes]", f"is {type_name(outcomes, True)}, not a table",
                     'Write [outcomes] on its own line, then won = ["Verbal Yes"] and so on.')
    else:
        seen: dict[str, str] = {}
        for k, labels in outcomes.items():
            key = f"[outcomes] {_toml_key(k)}"
            if k not in names:
                hint = _did_you_mean(k, names, quote="")
                problems.add(key, "is not an outcome",
                             f"{hint}Use one of: {', '.join(names)}.")
                continue
            if isinstance(labels, str):
                problems.add(key, f"is {shown(labels)}, one text, not a list of labels",
                             f"Write it as a list: {k} = {shown([labels])}.")
                continue
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                example = [str(x) for x in labels] if isinstance(labels, list) else [
                    "Label one", "Label two"]
                problems.add(key, f"is {shown(labels)}, not a list of labels (texts)",
                             f"Write it as a list of texts in quotes: {k} = "
                             f"{shown(example)}.")
                continue
            for label in labels:
                folded = _key(label)
                if folded in seen and seen[folded] != k:
                    problems.add(key, f"lists {shown(label)}, which [outcomes] "
                                 f"{seen[folded]} lists too",
                                 "A label means one outcome: keep it under one of them.")
                seen.setdefault(folded, k)
            out["outcomes"][k] = list(labels)

    placeholders = data.get("placeholders", {})
    if not isinstance(placeholders, dict):
        example = placeholders if isinstance(placeholders, list) else ["TBD"]
        problems.add("[placeholders]", f"is {shown(placeholders)}, not a table",
                     f"Write [placeholders] on its own line, then values = {shown(example)}.")
    else:
        for k in placeholders:
            if k not in PLACEHOLDER_KEYS:
                hint = _did_you_mean(k, PLACEHOLDER_KEYS, quote="")
                problems.add(f"[placeholders] {_toml_key(k)}", "is not a placeholders setting",
                             f"{hint}[placeholders] takes values = [\"TBD\", ...].")
        values = placeholders.get("values", [])
        if isinstance(values, str):
            problems.add("[placeholders] values", f"is {shown(values)}, one text, not a list "
                         f"(it would be read letter by letter: {_listed(values[:5], last='and')})",
                         f"Write it as a list: values = {shown([values])}.")
        elif not isinstance(values, list) or not all(isinstance(x, str) for x in values):
            example = [str(x) for x in values] if isinstance(values, list) else ["TBD"]
            problems.add("[placeholders] values", f"is {shown(values)}, not a list of texts",
                         f"Write each value in quotes: values = {shown(example)}.")
        else:
            out["placeholders"] = list(values)

    read = data.get("read", {})
    if not isinstance(read, dict):
        problems.add("[read]", f"is {type_name(read, True)}, not a table",
                     'Write [read] on its own line, then delimiter = ";" and so on.')
    else:
        out["read"] = _check_read(problems, read)
    problems.raise_if_any()
    return out


_DELIMITER_WORDS = {"tab": "\\t", "\\t": "\\t", "comma": ",", "semicolon": ";",
                    "pipe": "|", "space": " "}


def _check_read(problems: Problems, read: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in read.items():
        key = f"[read] {_toml_key(k)}"
        if k not in READ_KEYS:
            hint = _did_you_mean(k, READ_KEYS, quote="")
            problems.add(key, "is not a [read] setting",
                         f"{hint}[read] takes {', '.join(READ_KEYS)}.")
            continue
        if k in ("delimiter", "quote"):
            if not isinstance(v, str) or len(v) != 1 or v in "\r\n":
                word = _DELIMITER_WORDS.get(v.strip().lower()) if isinstance(v, str) else None
                example = f'"{word}"' if word else ('";"' if k == "delimiter" else "'\"'")
                what = (f"is {shown(v)} ({type_name(v, True)}), not a character"
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
                problems.add(key, f"is {shown(v)}" + ("" if isinstance(v, str) else
                                                      f" ({type_name(v, True)})")
                             + ", not a sheet's name",
                             'Write the sheet\'s name as the workbook shows it, in quotes: '
                             'sheet = "Leads".')
                continue
        elif k in ("skip", "max_line_size"):
            if what := _whole_problem(v, 0, None, json_like=False):
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
        problems.add(key, f"is {shown(value)}" + ("" if isinstance(value, str) else
                                                  f" ({type_name(value, True)})")
                     + ", not an encoding's name",
                     f'Write it in quotes: encoding = "latin-1" (calibrate reads {readable}).')
        return None
    try:
        name = codecs.lookup(value.strip()).name
    except LookupError:
        hint = _did_you_mean(value, ["utf-8", "utf-16", "latin-1"])
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

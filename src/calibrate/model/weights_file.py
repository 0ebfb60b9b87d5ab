"""The weights file's check: what ``calibrate score --weights`` (and the store) may hold.

A weights document (``calibrate export --format json``, or ``fit --out``) is checked key by
key before anything reads it (:func:`check_weights`): ``format`` "calibrate-weights", a
``version`` this calibrate reads, and a ``table`` of levels, each with a text ``axis``
(profile or behavior), ``attribute``, ``kind`` (categorical, numeric or flag) and ``level``,
a whole-number ``code`` (0 to k-1 once each per attribute) and whole-number ``points`` (0 to
:data:`MAX_POINTS` in a file); ``thresholds`` and ``rules`` (the auto-rule settings,
:func:`calibrate.model.rule_settings.check_rules`) when present as calibrate writes them.
Every fault names its key (``table[12].points``, ``thresholds.min_profile``) with a fix, all
of them in one :class:`~calibrate.errors.InputError` (:class:`calibrate.problems.Problems`).

Nothing here imports pandas: the check runs on the parsed JSON as it is.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from calibrate.errors import InputError
from calibrate.model.points import COLUMNS, REQUIRED
from calibrate.model.rule_settings import check_rules
from calibrate.problems import (
    Problems,
    described,
    did_you_mean,
    listed,
    number_in_text,
    shown,
    type_name,
    whole,
    whole_problem,
)

#: Points of one level in a weights file: whole numbers from 0 to this.
MAX_POINTS = 1000
#: Thresholds (minimum profile, behavior or total score): whole numbers from 0 to this.
MAX_THRESHOLD = 100
#: Beyond this a whole number is not a plausible count (and would not fit an int64).
_HUGE = 2**53

AXES = ("profile", "behavior")
KINDS = ("categorical", "numeric", "flag", "recency")  # recency: days since a date
WEIGHTS_KEYS = ("format", "version", "created_at", "data", "options", "metrics", "axes",
                "thresholds", "rules", "table")
ROW_KEYS = tuple(COLUMNS)  # the points table's own schema
ROW_REQUIRED = REQUIRED
THRESHOLD_KEYS = ("mode", "min_profile", "min_behavior", "min_total")
MODES = ("both", "total")

# Words people use for the names calibrate expects (the fix suggests the name).
_SYNONYMS = {
    "axis": {"fit": "profile", "engagement": "behavior", "behaviour": "behavior",
             "demographic": "profile", "firmographic": "profile", "activity": "behavior"},
    "kind": {"number": "numeric", "numerical": "numeric", "integer": "numeric",
             "boolean": "flag", "bool": "flag", "yes/no": "flag", "category": "categorical",
             "text": "categorical", "string": "categorical"},
}

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
            problems.unknown(key if isinstance(key, str) else shown(key), key, WEIGHTS_KEYS,
                             "is not a key of a weights file",
                             f"The keys are {listed(WEIGHTS_KEYS)}.")
    created = doc.get("created_at")
    if created is not None and not _iso_datetime(created):
        problems.add("created_at", f"is {shown(created)}, not a date and time",
                     'Write it as "created_at": "2025-01-31T09:00:00" (ISO 8601), or leave '
                     "the key out.")
    for key in ("data", "options", "metrics", "axes"):
        if doc.get(key) is not None and not isinstance(doc[key], dict):
            problems.not_a_table(key, doc[key],
                                 f'Write it as an object ("{key}": {{...}}) or leave it out.')
    if doc.get("thresholds") is not None:
        _check_thresholds(problems, doc["thresholds"], "thresholds", top=True)
    if doc.get("rules") is not None:
        check_rules(problems, doc["rules"])
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
    "kind": 'Give every level its kind ("categorical", "numeric", "flag" or "recency"), or '
            "export the weights again.",
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
            problems.not_a_table(key, row,
                                 'Each row is one level: {"axis": "profile", "attribute": '
                                 '"industry", "kind": "categorical", "level": "Software", '
                                 '"code": 0, "points": 20}.')
            continue
        name = _row_name(row)
        before = len(problems.items)
        for k in row:
            if k not in ROW_KEYS:
                problems.unknown(f"{key}.{k}{name}", k, ROW_KEYS,
                                 "is not a column of the points table",
                                 f"A row's keys are {listed(ROW_KEYS)}.")
        for k in ROW_REQUIRED:
            if k not in row:
                problems.add(f"{key}.{k}{name}", "is missing", _MISSING_FIX[k])
        for k, choices in (("axis", AXES), ("kind", KINDS)):
            if k in row and row[k] not in choices:
                hint = did_you_mean(row[k], choices, _SYNONYMS[k])
                problems.add(f"{key}.{k}{name}", f"is {shown(row[k])}, not a known {k}",
                             f"{hint}The {k} of a level is {listed(choices)}.")
        for k in ("attribute", "level"):
            if k in row and (not isinstance(row[k], str) or not row[k].strip()):
                fix = (f'Write it as text, in quotes: "{k}": "{row[k]}".'
                       if isinstance(row[k], int | float) and not isinstance(row[k], bool)
                       else f"Give the {k} as text (the column's header, or the level's "
                            "label as calibrate shows it).")
                problems.add(f"{key}.{k}{name}", f"is {described(row[k])}, not a name", fix)
        if "code" in row and (what := whole_problem(row["code"], 0, _HUGE)):
            problems.add(f"{key}.code{name}", what,
                         "Codes number the levels of an attribute 0, 1, 2... in order, each "
                         "once: write a whole number without quotes.")
        if "points" in row:
            low, high = points_range or (-_HUGE, _HUGE)
            if what := whole_problem(row["points"], low, high):
                problems.add(f"{key}.points{name}", what, _points_fix(row["points"],
                                                                     points_range))
        for k in ("suggested_points", "leads", "wins"):
            if row.get(k) is not None and (what := whole_problem(
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
    if isinstance(value, str) and (n := number_in_text(value)) is not None:
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
        if first["kind"] in ("numeric", "recency"):
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
            problems.unknown(f"{key}.{k}", k, known, "is not a threshold setting",
                             f"Thresholds are {listed(known)}.")
    mode = t.get("mode")
    if "mode" in t and mode not in MODES:
        hint = did_you_mean(mode, MODES)
        problems.add(f"{key}.mode", f"is {shown(mode)}, not a mode",
                     f'{hint}"both" applies min_profile and min_behavior, "total" min_total.')
    for k in ("min_profile", "min_behavior", "min_total"):
        if k in t and (what := whole_problem(t[k], 0, MAX_THRESHOLD)):
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
            problems.not_a_table(f"{key}.segments", segs,
                                 'Write it as "segments": {"Enterprise": {"mode": "both", '
                                 '"min_profile": 70, "min_behavior": 40}}.')
        else:
            for name, seg in segs.items():
                _check_thresholds(problems, seg, f"{key}.segments.{shown(name)}")


def _range_words(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"a whole number from {low} to {high}"
    if low is not None:
        return f"a whole number, {low} or more"
    return "a whole number"

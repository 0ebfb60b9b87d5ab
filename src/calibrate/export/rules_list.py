"""The generic rules list: one CSV row per field and condition, as an admin keys it in.

Its columns (:data:`COLUMNS`) and operators (:data:`OPERATORS`) are documented in the
README and do not change; the lines come from :mod:`calibrate.export.conditions`. Also how a
line's value and the line itself read in words, which the vendor files reuse for names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from calibrate.cells import neutralise
from calibrate.export.conditions import Condition

__all__ = [
    "COLUMNS",
    "OPERATORS",
    "SEPARATOR",
    "join_values",
    "line_in_words",
    "rules_frame",
    "value_cell",
]

#: The generic rules list's columns, in order (documented in the README).
COLUMNS = ["score", "field", "operator", "value", "points", "level", "segment"]
#: The operators of the generic rules list and what each means.
OPERATORS = {
    "equals": "the text, trimmed and compared without case, is the value",
    "is one of": "the text is one of the values (separated by '; ')",
    "is not one of": "the field has a value and it is none of the values",
    "is empty": "text: blank; number: no number; flag: neither a yes nor a no word",
    "is not empty": "the field holds a number (an attribute with a single range)",
    "less than": "the number is below the value",
    "at least": "the number is the value or above",
    "between": "'a and b': the number is at least a and less than b",
    "is true": "a yes word: yes, y, true, 1, x, checked, on, ja, oui, si...",
    "is false": "a no word: no, n, false, 0, unchecked, off, nein, non...",
    "less than days ago": "a date less than the value in days before today (within the last "
                          "N days; a later date counts as 0 days ago)",
    "at least days ago": "a date the value in days or more before today",
    "between days ago": "'a and b': a date at least a and less than b days before today",
    "rule": "an auto-rule stated in words (the value); key it as your system allows",
}
#: Between the values of a list (``is one of``, ``is not one of``).
SEPARATOR = "; "


def join_values(values: Iterable[str]) -> str:
    """Values joined with '; '; one holding ';', a double quote or an outer space is
    written in double quotes with inner quotes doubled (as in CSV)."""
    parts = []
    for v in values:
        v = str(v)
        if ";" in v or '"' in v or v != v.strip():
            v = '"' + v.replace('"', '""') + '"'
        parts.append(v)
    return SEPARATOR.join(parts)


def value_cell(c: Condition) -> Any:
    """The value column: numbers as numbers, texts neutralised only where they are level
    texts (or rule words) a spreadsheet could run."""
    v = c.value
    if c.operator in ("less than", "at least", "less than days ago", "at least days ago"):
        return v
    if c.operator in ("between", "between days ago"):
        return f"{v[0]} and {v[1]}"
    if c.operator in ("is one of", "is not one of"):
        return neutralise(join_values(v))
    if v is None:
        return ""
    return neutralise(str(v)) if isinstance(v, str) else v


def rules_frame(lines: Sequence[Condition], *, keep_zero: bool = True) -> pd.DataFrame:
    """The generic rules list: one row per line, columns :data:`COLUMNS`.

    Scoring lines worth 0 points are kept by default (every value then lands on exactly
    one line, which shows the coverage); ``keep_zero=False`` leaves them out.
    """
    rows = []
    for c in lines:
        if not keep_zero and c.points == 0:
            continue
        rows.append({"score": c.score, "field": neutralise(c.field), "operator": c.operator,
                     "value": value_cell(c), "points": "" if c.points is None else int(c.points),
                     "level": neutralise(c.level), "segment": neutralise(c.segment)})
    return pd.DataFrame(rows, columns=COLUMNS)


def line_in_words(c: Condition) -> str:
    """A line in words ("seniority equals VP"; a list by the level it makes, "seniority is
    not one of (Other)"; a date, "Last Activity Date is less than 30 days ago"), for names
    of campaigns and rules."""
    if c.operator in ("is one of", "is not one of"):
        return f"{c.field} {c.operator} ({c.level})"
    if c.operator in ("less than days ago", "at least days ago"):
        return f"{c.field} is {c.operator.removesuffix(' days ago')} {c.value} days ago"
    if c.operator == "between days ago":
        return f"{c.field} is at least {c.value[0]} and less than {c.value[1]} days ago"
    v = value_cell(c)
    return f"{c.field} {c.operator}" + (f" {v}" if v != "" else "")

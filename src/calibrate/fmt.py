"""Numbers formatted for the back of a meeting room: 1.2k, 23.4%, $1.5M."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path

#: One colour per outcome, used by every chart so won is always the same green.
OUTCOME_COLOURS = {
    "won": "#2e7d32",
    "lost": "#c62828",
    "no_decision": "#f9a825",
    "open": "#78909c",
}
OUTCOME_LABELS = {"won": "Won", "lost": "Lost", "no_decision": "No decision", "open": "Open"}


def is_missing(value: object) -> bool:
    """Whether a figure is absent: None, NaN or infinite (shown as a dash)."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def number(value: float | None, digits: int = 1) -> str:
    """A count in short form: 950, 1.2k, 34.5k, 1.2M (a dash when missing)."""
    if is_missing(value):
        return "–"
    v = float(value)
    sign = "-" if v < 0 else ""
    v = abs(v)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= limit:
            text = f"{v / limit:.{digits}f}".rstrip("0").rstrip(".")
            return f"{sign}{text}{suffix}"
    if v == int(v):
        return f"{sign}{int(v):,}"
    return f"{sign}{v:.{digits}f}"


def round_half_up(x: float, digits: int = 0) -> float:
    """Round half away from zero, as people do (2.5 -> 3, not Python's 2)."""
    scale = 10 ** digits
    return math.copysign(math.floor(abs(x) * scale + 0.5) / scale, x)


def per_month(value: float | None) -> str:
    """A count a month (or in all) as people read it: whole numbers (156, 1.2k), one
    decimal only below 10 (9.4, 0.5); a dash when missing."""
    if is_missing(value):
        return "–"
    v = float(value)
    if abs(v) >= 9.95:
        return number(round_half_up(v))
    text = f"{round_half_up(v, 1):.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def percent(value: float | None, digits: int = 1) -> str:
    """A share as a percentage: 0.234 -> 23.4% (a dash when missing)."""
    if is_missing(value):
        return "–"
    return f"{100 * float(value):.{digits}f}%"


def percent_plain(value: float | None) -> str:
    """A share with no needless decimals, as a setting reads: 0.1 -> 10%, 0.125 -> 12.5%."""
    if is_missing(value):
        return "–"
    text = f"{100 * float(value):.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def money(value: float | None, symbol: str = "$") -> str:
    """An amount with a currency symbol in short form: $1.5M, -$200."""
    if is_missing(value):
        return "–"
    text = number(abs(float(value)))
    return f"-{symbol}{text}" if float(value) < 0 else f"{symbol}{text}"


def interval(low: float | None, high: float | None, digits: int = 1) -> str:
    """A percentage interval: 4.1% to 6.3%."""
    return f"{percent(low, digits)} to {percent(high, digits)}"


def span(low: float | None, high: float | None, show: Callable[[float | None], str],
         per: str = "") -> str | None:
    """A range in plain words, each end formatted as the figure beside it ("range
    140–175 a month" with ``per`` " a month"); None when either end is missing."""
    if is_missing(low) or is_missing(high):
        return None
    return f"range {show(low)}–{show(high)}{per}"


def file_name(path: str | os.PathLike[str]) -> str:
    """A loaded file's name as the user gave it (no folder; an upload kept by an earlier
    version had a "20261129-084457-" time prefix); a database source by its name."""
    if "://" in str(path):
        return str(path)
    return re.sub(r"^\d{8}-\d{6}-", "", Path(path).name)


# What can make markup anywhere in a line: emphasis, code, links and images, HTML, tables,
# strikethrough, escapes. An underscore only between letters or digits never does.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~!]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
# What makes markup only at the start of a line: a heading, a list, a quote.
_MD_START = re.compile(r"^(\s*)([#+\->]|\d+[.)])")


def md(text: object) -> str:
    """User text (a name, a level, a file name) as literal Markdown: every character that
    could make markup is backslash-escaped, so ``![x](http://...)`` stays text and
    ``<script>`` is never markup, on screen and in a Markdown file; plain names
    ("bare_y.csv", "C-Level") read as they are."""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))

    def start(m: re.Match[str]) -> str:
        lead = m.group(2)
        if lead[0].isdigit():  # "12." -> "12\.": the punctuation is what makes the list
            return m.group(1) + lead[:-1] + "\\" + lead[-1]
        return m.group(1) + "\\" + lead

    return _MD_START.sub(start, escaped)

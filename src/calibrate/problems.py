"""The faults of a file a person hands to calibrate, collected and said the same way.

A weights file (``calibrate score --weights``; checked by :mod:`calibrate.model.weights_file`)
and a mapping file (``calibrate ingest --mapping``; :mod:`calibrate.data.mapping_file`) are
often edited by hand. Both checks go key by key and use what is here: a :class:`Problems`
list where every fault is one line naming the key (``table[12].points``, ``[read]
delimiter``) with its fix, raised together as one :class:`~calibrate.errors.InputError`;
values written as the file writes them (:func:`shown`, :func:`type_name`); the likeliest
spelling of a misspelled name (:func:`suggest`, :func:`did_you_mean`); and whole numbers
(:func:`whole`, :func:`whole_problem`).

``toml`` says which format's words to use: a TOML file has tables and bare keys, a JSON
file objects and keys in double quotes. Nothing here imports pandas or any layer.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calibrate.errors import InputError


@dataclass(frozen=True)
class Problem:
    """One fault: the key, what is wrong with it (after the key), and the fix."""

    key: str
    what: str  # after the key: 'is "ten", not a number', or ": Unknown role 'hot'"
    fix: str

    @property
    def said(self) -> str:
        """The key and what is wrong with it, as one phrase."""
        return self.key + ("" if self.what.startswith(":") else " ") + self.what


@dataclass
class Problems:
    """The faults found in one file, raised together as one :class:`InputError`."""

    kind: str  # "weights" or "mapping"
    source: str
    toml: bool = False  # the file is TOML (bare keys), else JSON (keys in double quotes)
    items: list[Problem] = field(default_factory=list)

    #: At most this many faults are listed; the rest are counted.
    SHOWN = 12

    def add(self, key: str, what: str, fix: str) -> None:
        """Note one fault."""
        self.items.append(Problem(key, what, fix))

    def unknown(self, key: str, word: Any, choices: Iterable[str], what: str, tail: str
                ) -> None:
        """Note a name the file may not hold: ``what``, and as the fix the likeliest
        spelling among ``choices`` (a key as the file writes keys) followed by ``tail``."""
        self.add(key, what, did_you_mean(word, choices, quote="" if self.toml else '"')
                 + tail)

    def not_a_table(self, key: str, value: Any, fix: str) -> None:
        """Note a value that should be a table (TOML) or an object (JSON)."""
        self.add(key, f"is {type_name(value, self.toml)}, not "
                 + ("a table" if self.toml else "an object"), fix)

    def error(self) -> InputError:
        """One error naming every fault (the first :attr:`SHOWN`, the rest counted)."""
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
        """Raise :meth:`error` when a fault was noted."""
        if self.items:
            raise self.error()


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


def described(value: Any, toml: bool = False) -> str:
    """:func:`shown`, with its :func:`type_name` in brackets unless it is text."""
    return shown(value) + ("" if isinstance(value, str) else f" ({type_name(value, toml)})")


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


def did_you_mean(word: Any, choices: Iterable[str], synonyms: dict[str, str] | None = None,
                 quote: str = '"') -> str:
    """``Did you mean "x"? `` for the likeliest choice (:func:`suggest`), or nothing."""
    best = suggest(word, choices, synonyms)
    return f"Did you mean {quote}{best}{quote}? " if best else ""


def listed(choices: Iterable[str], quote: str = '"', last: str = "or") -> str:
    """The choices quoted, joined by commas and ``last``: ``"a", "b" or "c"``."""
    items = [f"{quote}{c}{quote}" for c in choices]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def is_texts(value: Any) -> bool:
    """Whether ``value`` is a list of texts."""
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def whole(value: Any) -> int | None:
    """``value`` as an int when it is a whole number (not a bool, not text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def number_in_text(value: str) -> float | None:
    """The number a text holds (``"1,000"``, ``" 12.5"``), or None."""
    try:
        return float(value.strip().replace(",", ""))
    except ValueError:
        return None


def whole_problem(value: Any, low: int | None, high: int | None, toml: bool = False
                  ) -> str | None:
    """What is wrong with ``value`` as a whole number from ``low`` to ``high``, or None."""
    if isinstance(value, str):
        if number_in_text(value) is not None:
            return f"is {shown(value)}, a number written as text"
        return f"is {shown(value)}, not a number"
    if value is None:
        return "is empty, not a number" if toml else "is null, not a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"is {described(value, toml)}, not a number"
    if isinstance(value, float) and math.isnan(value):
        return "is NaN, not a number"
    if isinstance(value, float) and math.isinf(value):
        return f"is {shown(value)}, not a finite number"
    n = whole(value)
    if n is None:
        return f"is {value!r}, not a whole number"
    if low is not None and n < low:
        return f"is {n}, below {low}"
    if high is not None and n > high:
        return f"is {shown(value)}, above {high}"
    return None

"""The auto-rule settings a weights document carries, and their check in a weights file.

:class:`RuleSet` is plain data (JSON round-trip): which flags and values auto-qualify and
which competitors, fake names and phones, throwaway emails and students auto-disqualify.
:mod:`calibrate.decide.rules` turns it into SQL and words; it lives here, with the weights
document (:mod:`calibrate.model.weights`) that stores it under ``rules``, so that reading a
weights file (:mod:`calibrate.model.weights_file`) checks the settings without the model
layer using the decide layer. :func:`check_rules` is that check.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from calibrate.problems import Problems, is_texts, listed, shown, type_name, whole_problem

#: Examples only (the sample generator's competitors); the default competitor list is empty.
EXAMPLE_COMPETITOR_DOMAINS = ["rivalsoft.com", "acmeanalytics.io", "leadlens.ai"]

DEFAULT_QUALIFY_FLAGS = ["demo_request", "contact_us"]

#: Whole names (first + last, or full name) that are fake, compared lower-cased.
DEFAULT_FAKE_NAMES = [
    "johnny prospect", "test test", "mickey mouse", "minnie mouse", "asdf asdf", "donald duck",
    "john doe", "jane doe", "test", "asdf", "test user", "first last", "fake name",
]


def _single_letter_runs() -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return r"(^|\s)(" + "|".join(f"{c}{{3,}}" for c in letters) + r")(\s|$)"


#: RE2 patterns (case-insensitive) on the name: no letter at all; a keyboard row at the start
#: of a word ("asdf", "qwerty", "zxcv", "hjkl"...); a word of one letter repeated ("xxx").
DEFAULT_FAKE_NAME_PATTERNS = [
    r"^[^\p{L}]+$",
    r"(^|\s)(asdf|qwer|zxcv|hjkl|sdfg|dfgh|fghj|xcvb|uiop)",
    _single_letter_runs(),
]

#: Exact fake numbers (compared on their digits); the 555 and same-digit checks catch more.
DEFAULT_FAKE_PHONES = ["555-555-5555", "(555) 555-0100", "123-456-7890", "000-000-0000"]

DEFAULT_THROWAWAY_DOMAINS = [
    "mailinator.com", "guerrillamail.com", "guerrillamail.net", "sharklasers.com",
    "10minutemail.com", "tempmail.com", "temp-mail.org", "yopmail.com", "trashmail.com",
    "getnada.com", "dispostable.com", "maildrop.cc", "throwawaymail.com", "fakeinbox.com",
    "mailnesia.com", "mintemail.com", "spamgourmet.com", "emailondeck.com",
]

#: Columns whose text, when it contains one of the words, marks a student.
DEFAULT_STUDENTS = {"seniority": ["student"], "title": ["student"], "job_title": ["student"]}


@dataclass
class RuleSet:
    """The configurable rules; every list may be emptied to switch that rule off.

    - ``qualify_flags``: flag columns that auto-qualify when true (default demo request and
      contact-us, when those columns exist).
    - ``qualify_values``: ``{column: [values]}``; a lead whose value equals one of them
      (case-insensitive) auto-qualifies (an exact ideal-customer fit).
    - ``competitor_domains`` (email domain or a subdomain of it) and ``competitor_companies``
      (company name, exact): direct competitors. Empty by default; see
      :data:`EXAMPLE_COMPETITOR_DOMAINS`.
    - ``fake_names`` (whole name; any spacing) and ``fake_name_patterns`` (RE2 regexps,
      matched case-insensitively anywhere in the name). The name is ``full_name``, else
      first and last name joined by a space, trimmed.
    - ``fake_phones`` (exact, compared on digits), ``fake_phone_555`` (the exchange, i.e. the
      3 digits before the last 4, is 555), ``fake_phone_same_digit`` (7+ digits, all the
      same) and ``min_phone_digits`` (a phone with fewer digits is fake; 0 turns it off).
    - ``throwaway_domains``: disposable email providers (subdomains included).
    - ``check_email_format``: an email that is not ``local@domain.tld`` (exactly one @, no
      spaces, a dot in the domain) is malformed.
    - ``students``: ``{column: [words]}``; the column's text contains a word.
    """

    qualify_flags: list[str] = field(default_factory=lambda: list(DEFAULT_QUALIFY_FLAGS))
    qualify_values: dict[str, list[str]] = field(default_factory=dict)
    competitor_domains: list[str] = field(default_factory=list)
    competitor_companies: list[str] = field(default_factory=list)
    fake_names: list[str] = field(default_factory=lambda: list(DEFAULT_FAKE_NAMES))
    fake_name_patterns: list[str] = field(
        default_factory=lambda: list(DEFAULT_FAKE_NAME_PATTERNS)
    )
    fake_phones: list[str] = field(default_factory=lambda: list(DEFAULT_FAKE_PHONES))
    fake_phone_555: bool = True
    fake_phone_same_digit: bool = True
    min_phone_digits: int = 7
    throwaway_domains: list[str] = field(
        default_factory=lambda: list(DEFAULT_THROWAWAY_DOMAINS)
    )
    check_email_format: bool = True
    students: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_STUDENTS.items()}
    )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for scenarios, agreements and exports)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Rebuild from :meth:`to_dict` output; unknown keys are an error, missing keys default."""
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown rule settings: {', '.join(sorted(unknown))}")
        return cls(**{k: _copy(v) for k, v in data.items()})


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): [str(x) for x in v] for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [str(x) for x in value]
    return value


def check_rules(problems: Problems, rules: Any) -> None:
    """Note every fault of a weights file's ``rules`` (keys ``rules.<setting>``)."""
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
            problems.unknown(key, k, defaults, "is not an auto-rule setting",
                             f"The settings are {listed(defaults)}.")
            continue
        expected = defaults[k]
        if isinstance(expected, bool):
            if not isinstance(v, bool):
                problems.add(key, f"is {shown(v)}, not true or false",
                             f'Write "{k}": true or "{k}": false, without quotes.')
        elif isinstance(expected, int):
            if what := whole_problem(v, 0, 100):
                problems.add(key, what, f'Write a whole number, e.g. "{k}": {expected}.')
        elif isinstance(expected, list):
            if not is_texts(v):
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
            if not isinstance(v, dict) or not all(is_texts(x) for x in v.values()):
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

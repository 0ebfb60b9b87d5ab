"""The score as one portable SQL ``SELECT`` (``--format sql``), transpiled per dialect.

Written once in a dialect-neutral subset from the lines of
:mod:`calibrate.export.conditions` and the auto-rules in force, then transpiled with sqlglot
to DuckDB, Postgres, Snowflake, BigQuery or Spark (:data:`DIALECTS`). :func:`scoring` is
the ``SELECT`` before transpiling, which the count grid's query
(:mod:`calibrate.export.grid_sql`) wraps.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from calibrate.data.store import ColumnInfo
from calibrate.decide.rules import column_finder
from calibrate.export.conditions import (
    FALSE_WORDS,
    TRUE_WORDS,
    Condition,
    column_types,
    conditions,
    headers,
    plain_number,
)
from calibrate.model.points import axis_ranges
from calibrate.model.rule_settings import RuleSet
from calibrate.sql import DIALECTS, literal, quote
from calibrate.thresholds import Bar, Thresholds, ThresholdsLike, segment_key
from calibrate.vocabulary import YES

__all__ = ["DIALECTS", "Scoring", "check_dialect", "column_notes", "portable_sql",
           "scoring", "transpile"]

# DIALECTS (calibrate.sql, sqlglot's names): DuckDB, Postgres and Spark run in the tests;
# Snowflake and BigQuery are transpiled and read back only.
#: Recency counts whole days to this date unless told otherwise (new leads: today).
TODAY = "CURRENT_DATE"


def _table(name: str) -> str:
    """The table: bare when a plain (dotted) name, so each dialect folds its case as it
    does for names written bare (Snowflake: LEADS); else quoted."""
    return name if re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", name, re.ASCII) else quote(name)


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def _n(x: float) -> str:
    """A number literal that is exact in every dialect (decimals cast from text)."""
    v = plain_number(x)
    return str(v) if isinstance(v, int) else f"CAST({literal(repr(v))} AS DOUBLE)"


#: How a query for PostgreSQL keeps its inner queries from being inlined (see
#: :func:`scoring`): not at all, by ``OFFSET 0``, or by a volatile column.
Fence = Literal["", "offset", "volatile"]


class Inputs:
    """The per-row values the conditions test (a column's text lower-cased, its number,
    a phone's digits), written inline, or, ``shared``, each computed once per row in an
    inner ``SELECT`` and named there (:meth:`select`): repeated in every WHEN of every
    CASE, engines without common-subexpression elimination (PostgreSQL) compute them
    again each time, and text functions dominate the cost of a query over every lead."""

    def __init__(self, shared: bool = False) -> None:
        self.shared = shared
        self.named: dict[str, str] = {}

    def __call__(self, expr: str) -> str:
        """``expr`` itself, or the name of its once-computed value."""
        if not self.shared:
            return expr
        return self.named.setdefault(expr, f"calibrate_in_{len(self.named)}")

    def select(self, source: str, *more: str) -> str:
        """The inner ``SELECT`` adding the named values (and columns ``more``) to every
        row of ``source``."""
        names = "".join(f",\n  {e} AS {n}" for e, n in self.named.items())
        names += "".join(f",\n  {m}" for m in more)
        return f"SELECT *{names}\nFROM {source}"


def _text(field: str, x: Inputs) -> str:
    return x(f"LOWER(TRIM(CAST({quote(field)} AS VARCHAR)))")


def _sql_condition(c: Condition, x: Inputs, reference: str = TODAY) -> str:
    """The SQL condition of one scoring or auto-qualify line; recency counts whole days
    to ``reference`` (an SQL date)."""
    if c.kind == "recency":  # whole days before the reference; a later date is 0 days ago
        d = x(f"DATE_DIFF('day', CAST({quote(c.field)} AS DATE), {reference})")
        return {"less than days ago": lambda: f"{d} < {_n(c.value)}",
                "at least days ago": lambda: f"{d} >= {_n(c.value)}",
                "between days ago": lambda: f"{d} >= {_n(c.value[0])} AND {d} < "
                                            f"{_n(c.value[1])}",
                "is empty": lambda: f"{quote(c.field)} IS NULL",
                "is not empty": lambda: f"{quote(c.field)} IS NOT NULL"}[c.operator]()
    if c.kind == "numeric":
        v = x(f"CAST({quote(c.field)} AS DOUBLE)")
        return {"less than": lambda: f"{v} < {_n(c.value)}",
                "at least": lambda: f"{v} >= {_n(c.value)}",
                "between": lambda: f"{v} >= {_n(c.value[0])} AND {v} < {_n(c.value[1])}",
                "is empty": lambda: f"{v} IS NULL",
                "is not empty": lambda: f"{v} IS NOT NULL"}[c.operator]()
    t = _text(c.field, x)
    if c.kind == "flag":
        return {"is true": lambda: f"{t} IN {_in(TRUE_WORDS)}",
                "is false": lambda: f"{t} IN {_in(FALSE_WORDS)}",
                "is empty": lambda: f"({t} IS NULL OR {t} NOT IN {_in(TRUE_WORDS + FALSE_WORDS)})"
                }[c.operator]()
    return {"equals": lambda: f"{t} = {literal(str(c.value).lower())}",
            "is one of": lambda: f"{t} IN {_in(v.lower() for v in c.value)}",
            "is not one of": lambda: f"{t} <> '' AND {t} NOT IN {_in(v.lower() for v in c.value)}",
            "is not empty": lambda: f"{t} <> ''",
            "is empty": lambda: f"({t} IS NULL OR {t} = '')"}[c.operator]()


def _axis_sql(lines: Sequence[Condition], axis: str, x: Inputs, reference: str = TODAY
              ) -> str:
    parts = []
    for attribute in dict.fromkeys(c.attribute for c in lines if c.score == axis):
        whens = " ".join(f"WHEN {_sql_condition(c, x, reference)} THEN {int(c.points)}"
                         for c in lines if c.attribute == attribute and c.score == axis
                         and c.points)
        if whens:
            parts.append(f"(CASE {whens} ELSE 0 END)")
    return "\n    + ".join(parts) if parts else "0"


def _trimmed(col: str) -> str:
    return f"TRIM(CAST({quote(col)} AS VARCHAR))"


def _digits(col: str) -> str:
    """The digits of a phone, ignoring the usual separators (space - ( ) . + /)."""
    return _digits_of(_trimmed(col))


def _phone_tests(rules: RuleSet, phone: str, x: Inputs) -> list[str]:
    """The fake-phone tests on the phone's digits (:func:`_digits`), in plain SQL."""
    d = x(_digits(phone))
    tests = []
    fakes_d = sorted({"".join(ch for ch in p if ch.isdigit()) for p in rules.fake_phones}
                     - {""})
    if fakes_d:
        tests.append(f"{d} IN {_in(fakes_d)}")
    if rules.fake_phone_555:
        tests.append(f"(LENGTH({d}) >= 7 AND SUBSTR({d}, LENGTH({d}) - 6, 3) = '555')")
    if rules.fake_phone_same_digit:
        tests.append(f"(LENGTH({d}) >= 7 AND {d} = REPEAT(SUBSTR({d}, 1, 1), LENGTH({d})))")
    if rules.min_phone_digits > 0:
        tests.append(f"({x(_trimmed(phone))} <> '' AND LENGTH({d}) < "
                     f"{int(rules.min_phone_digits)})")
    return tests


# _RE2_FORMS: in DuckDB, the phone and email tests are RE2 matches over the trimmed text
# (TRIM, as above): the same leads as the plain tests (tests/test_grid_sql.py compares
# them on edge cases), without building the digits, the lower-cased email and the text
# after its @ for every lead (each a new string per lead: about half the cost of the
# count grid's query over Parquet).
#: What _digits drops (in a bracket), and a character it keeps.
_SEP = r"[ \-().+/]"
_KEPT = r"[^ \-().+/]"
#: A trimmed email that the plain test (_rule_sql) finds well formed: one @, something
#: before it, after it dot-separated non-empty parts (two at least), no space.
_WELL_FORMED = r"[^@ ]+@[^@ .]+(?:\.[^@ .]+)+"
#: The first kept character is not a digit.
_OTHER_FIRST = r"[^ \-().+/0-9]"
#: The last @, then nothing or a subdomain's parts (each ending in a dot).
_AT = r"@(?:[^@]*\.)?"


def _re2_text(text: str) -> str:
    """RE2 for ``text`` as itself: ASCII punctuation escaped, the rest as written."""
    return "".join("\\" + ch if ch in string.punctuation else ch for ch in text)


def _phone_re2(rules: RuleSet, trimmed: str) -> list[str]:
    """The fake-phone tests of :func:`_phone_tests` as RE2 over the trimmed phone
    ``trimmed`` (a name computed once per lead: :class:`Inputs`): a digit (a character
    kept) is one of :data:`_KEPT`, separators around it. One search per lead; the rare
    phone whose first kept character is not a digit is tested on its digits."""
    sep, kept = f"{_SEP}*", _KEPT
    alts = [sep.join(_re2_text(c) for c in number).join(("^" + sep, sep + "$"))
            for number in sorted({"".join(ch for ch in p if ch.isdigit())
                                  for p in rules.fake_phones} - {""})]
    if rules.fake_phone_555:  # 555, then the last four kept characters
        alts.append(f"5{sep}5{sep}5(?:{sep}{kept}){{4}}{sep}$")
    if rules.fake_phone_same_digit:  # 7 or more kept characters, all one digit
        alts.append("^" + sep + "(?:" + "|".join(f"{c}(?:{sep}{c}){{6,}}" for c in "0123456789")
                    + ")" + sep + "$")
    few = int(rules.min_phone_digits)
    if 0 < few <= 1000:  # not blank, and fewer kept characters
        alts.append(f"^{_SEP}+$")
        if few > 1:
            alts.append(f"^{sep}(?:{kept}{sep}){{1,{few - 1}}}$")
    exact = []
    if rules.fake_phone_same_digit:  # the first kept character is not a digit: rare
        d = _digits_of(trimmed)
        exact.append((f"^{sep}{_OTHER_FIRST}",
                      f"LENGTH({d}) >= 7 AND {d} = REPEAT(SUBSTR({d}, 1, 1), LENGTH({d}))"))
    if few > 1000:  # more than RE2 repeats
        d = _digits_of(trimmed)
        exact.append((f"^{sep}", f"{trimmed} <> '' AND LENGTH({d}) < {few}"))

    def search(patterns: list[str]) -> str:
        return f"REGEXP_MATCHES({trimmed}, {literal('|'.join(f'(?:{a})' for a in patterns))})"

    if not exact:
        return [search(alts)] if alts else []
    tests = ([search(alts)] if alts else []) + [f"({search([p])} AND {test})"
                                                for p, test in exact]
    # One search for all, the exact tests only on the leads it finds.
    return [f"({search(alts + [p for p, _ in exact])} AND ({' OR '.join(tests)}))"]


def _email_at_re2(text: str, domains: list[str]) -> str:
    """RE2 for the domain test of ``_rule_sql``'s email_at over ``text`` (the lower-cased
    trimmed email): the text after its last @ is a domain or ends in "." and one."""
    # A domain with an @ never matches the text after the last @; one with a LIKE
    # wildcard matched more there, so those keep the plain test.
    kept = [d for d in domains if "@" not in d]
    if not kept:
        return "FALSE"
    alts = "|".join(_re2_text(d) for d in kept)
    plain = [d for d in kept if "%" in d or "_" in d]
    match = f"REGEXP_MATCHES({text}, {literal(_AT + f'(?:{alts})$')})"
    if not plain:
        return match
    dom = f"SUBSTR({text}, LENGTH({text}) - STRPOS(REVERSE({text}), '@') + 2)"
    return " OR ".join([match] + [f"{dom} LIKE {literal('%.' + d)}" for d in plain])


def _digits_of(trimmed: str) -> str:
    """:func:`_digits` of the trimmed text ``trimmed``."""
    x = trimmed
    for ch in (" ", "-", "(", ")", ".", "+", "/"):
        x = f"REPLACE({x}, {literal(ch)}, '')"
    return x


#: Dialects whose regular expressions are RE2, as calibrate's own rules (DuckDB's) are.
_RE2 = ("duckdb", "bigquery")
#: RE2's ASCII POSIX classes that the other dialects are given as ranges.
_POSIX_CLASSES = {"alpha": "A-Za-z", "digit": "0-9", "alnum": "0-9A-Za-z", "upper": "A-Z",
                  "lower": "a-z", "xdigit": "0-9A-Fa-f"}
_LETTER = re.compile(r"\\p(?:\{L\}|L)")  # \p{L} or \pL: a letter of any script
#: What a letter (RE2's \p{L}) is where it is written [[:alpha:]].
_POSIX_LETTERS = {
    "postgres": "a letter in the fake-name patterns is [[:alpha:]], a letter of the "
                "database's locale (its LC_CTYPE): a database in the C locale knows only "
                "a to z, and takes a name written only in other letters (Ωμέγα) for one "
                "with no letter.",
    "snowflake": "a letter in the fake-name patterns is [[:alpha:]], a letter as "
                 "Snowflake's regular expressions know them."}
_BOUND = re.compile(r"\{(\d+)(?:,(\d*))?\}")
_ERE_SPECIAL = set(".[]()*+?{}|^$\\")


def _letter(pattern: str, i: int, posix: bool, *, bracket: bool) -> tuple[str, int] | None:
    """RE2's any-letter class (``\\p{L}``, ``\\pL``) at ``pattern[i]``, as the dialect says it
    (POSIX engines: ``[:alpha:]``, in a bracket or made one) and the index after it; None
    when there is none there."""
    found = _LETTER.match(pattern, i)
    if found is None:
        return None
    said = ("[:alpha:]" if bracket else "[[:alpha:]]") if posix else r"\p{L}"
    return said, found.end()


def _regex(pattern: str, dialect: str) -> str | None:
    r"""RE2 ``pattern`` (a fake-name pattern) in ``dialect``'s regular expressions, as
    matched case-insensitively anywhere in a text; None when it holds what that dialect
    cannot say (or this translation does not know), so that it is left out.

    DuckDB and BigQuery are RE2: as written. PostgreSQL (ARE), Snowflake (POSIX ERE with
    Perl's ``\d \s \w``) and Spark (Java) get a small, checked subset: literals and
    escaped punctuation, ``. ^ $ | * + ? {n,m}``, groups (``(?:`` and an ``(?i)`` that the
    whole match already implies), brackets with ranges, ``\d \s \w`` (and their negations
    where the dialect has them) and ``\p{L}`` (any letter: ``[:alpha:]`` in PostgreSQL and
    Snowflake, as their locale knows letters). RE2's ``.`` stops at a newline and its ``$``
    is the end of the text: Postgres and Spark are told so. Anything else (``\b``,
    ``\pN``, named groups, other flags, back references, non-greedy repeats in Snowflake,
    repeats above 255 in the POSIX engines) gives None.

    In PostgreSQL a bound on one character or bracket (``a{3,}``) is written out
    (``aaa+``): its engine runs the default fake-name pattern about six times faster so
    (0.67 s against 3.9 s on 300,000 names), and it matches the same texts.
    """
    if dialect in _RE2:
        return pattern
    posix = dialect in ("postgres", "snowflake")
    snowflake, spark = dialect == "snowflake", dialect == "spark"
    out: list[str] = []
    i, n = 0, len(pattern)
    repeat = False  # the previous piece is a repeat (a ? after it makes it non-greedy)
    atom = -1  # where in out the previous piece starts, when it is one character or bracket
    while i < n:
        ch, after_repeat, repeat = pattern[i], repeat, False
        single, atom = atom, -1
        if ch == "\\":
            atom = len(out)
            if letter := _letter(pattern, i, posix, bracket=False):
                out.append(letter[0])
                i = letter[1]
                continue
            c = pattern[i + 1: i + 2]
            if c and (c in "dDsSwW" or (c in "ntrf" and not snowflake)):
                out.append(ch + c)
            elif c and c in string.punctuation:
                out.append(ch + c if not snowflake or c in _ERE_SPECIAL else c)
            else:
                return None
            i += 2
        elif ch == "[":
            bracket = _bracket(pattern, i, dialect)
            if bracket is None:
                return None
            text, i = bracket
            atom = len(out)
            out.append(text)
        elif ch == "(":
            if pattern.startswith("(?i)", i):
                i += 4  # the whole match is case-insensitive already
                continue
            for start, to in (("(?:", "(" if snowflake else "(?:"),
                              ("(?i:", "(" if snowflake else "(?:"), ("(?", None), ("(", "(")):
                if pattern.startswith(start, i):
                    if to is None:
                        return None
                    out.append(to)
                    i += len(start)
                    break
        elif ch in "*+?":
            if ch == "?" and after_repeat:
                if snowflake:
                    return None
            else:
                repeat = True
            out.append(ch)
            i += 1
        elif ch == "{":
            bound = _BOUND.match(pattern, i)
            if bound:
                if posix and max(int(b) for b in bound.groups() if b) > 255:
                    return None
                written = (_written_out(out[single:], bound, pattern[bound.end():])
                           if dialect == "postgres" and single >= 0 else None)
                if written is None:
                    out.append(bound.group())
                else:
                    out[single:] = [written]
                repeat = True
                i = bound.end()
            else:
                out.append("\\{")
                i += 1
        elif ch == "}":
            out.append("}" if snowflake else "\\}")
            i += 1
        elif ch == ".":
            atom = len(out)
            out.append("." if snowflake else r"[^\n]")
            i += 1
        elif ch == "$" and spark:
            out.append(r"\z")  # Java's $ also matches before a final line break
            i += 1
        else:
            if ch not in "^$|)":
                atom = len(out)
            out.append(ch)
            i += 1
    return "".join(out)


#: The most copies of a character :func:`_written_out` writes for one bound.
_MAX_WRITTEN = 16


def _written_out(pieces: list[str], bound: re.Match[str], rest: str) -> str | None:
    """``X{n,}``, ``X{n}`` or ``X{n,m}`` for one character or bracket ``X`` (``pieces``,
    as already written) spelled as copies of ``X`` (``XXX+``, ``XX?``); None when it is
    longer than :data:`_MAX_WRITTEN` copies or a ``?`` after it makes it non-greedy (where
    ``X{n}?`` is not ``X{n-1}X?``)."""
    x = "".join(pieces)
    low, high = int(bound.group(1)), bound.group(2)
    top = low if high is None else None if high == "" else int(high)
    if rest[:1] in ("?", "+", "*", "{") or max(low, top or 0) > _MAX_WRITTEN:
        return None
    if top is None:
        return x * (low - 1) + x + "+" if low else x + "*"
    if top < low:
        return None
    return x * low + (x + "?") * (top - low)


def _bracket(pattern: str, i: int, dialect: str) -> tuple[str, int] | None:
    """The RE2 bracket expression at ``pattern[i]`` in ``dialect`` and the index after it
    (None: not expressible); see :func:`_regex`."""
    posix, snowflake = dialect in ("postgres", "snowflake"), dialect == "snowflake"
    out = ["["]
    i += 1
    if pattern.startswith("^", i):
        out.append("^")
        i += 1
    first = True
    while i < len(pattern):
        ch = pattern[i]
        if ch == "]" and not first:
            out.append("]")
            return "".join(out), i + 1
        first = False
        if ch == "]":  # a ] first is itself
            out.append("]" if posix else "\\]")
            i += 1
        elif pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            ranges = _POSIX_CLASSES.get(pattern[i + 2: end]) if end > 0 else None
            if ranges is None:
                return None
            out.append(ranges)
            i = end + 2
        elif ch == "\\":
            if letter := _letter(pattern, i, posix, bracket=True):
                out.append(letter[0])
                i = letter[1]
                continue
            c = pattern[i + 1: i + 2]
            if snowflake:  # a backslash is itself in a POSIX bracket
                if not c or c not in string.punctuation or c in "]^-\\[":
                    return None
                out.append(c)
            elif c and (c in "dsw" or c in "ntrf" or c in string.punctuation
                        or (c in "DSW" and dialect == "spark")):
                out.append(ch + c)
            else:
                return None
            i += 2
        elif ch == "[":
            if snowflake and pattern[i + 1: i + 2] in (":", ".", "="):
                return None
            out.append("[" if snowflake else "\\[")
            i += 1
        elif ch == "&" and dialect == "spark":
            out.append("\\&")  # && is an intersection in Java
            i += 1
        else:
            out.append(ch)
            i += 1
    return None


def _shown(pattern: str) -> str:
    """A pattern quoted for a comment line: characters that are not printable (a line
    break would end the comment) escaped, backslashes as written."""
    return '"' + "".join(c if c.isprintable() else repr(c)[1:-1] for c in pattern) + '"'


def _fake_name_match(name: str, patterns: Sequence[str], dialect: str
                     ) -> tuple[str | None, list[str]]:
    """The SQL condition that ``name`` (lower-cased, trimmed text) matches one of the
    fake-name ``patterns`` (RE2, case-insensitive, anywhere) in ``dialect`` (None: none
    can be said there), and the patterns left out.

    Written so that sqlglot's transpiling gives each dialect's own search: DuckDB
    ``regexp_matches`` as calibrate's rules; Postgres ``~*``; BigQuery ``REGEXP_CONTAINS``
    with ``(?i)``; Spark ``RLIKE`` with ``(?iu)`` (sqlglot drops a flags argument); and
    Snowflake ``REGEXP_INSTR(..., 'i') > 0``, passed through (its ``REGEXP_LIKE`` matches
    the whole text). A blank name matches nothing, as calibrate's rules test no name.
    """
    kept: list[str] = []
    lost: list[str] = []
    for p in patterns:
        t = _regex(p, dialect)
        if t is None:
            lost.append(p)
        else:
            kept.append(t)
    if not kept:
        return None, lost
    group = "(" if dialect == "snowflake" else "(?:"
    alts = "|".join(f"{group}{t})" for t in kept)
    match = {"postgres": lambda: f"REGEXP_MATCHES({name}, {literal(alts)}, 'i')",
             "snowflake": lambda: f"REGEXP_INSTR({name}, {literal(alts)}, 1, 1, 0, 'i') > 0",
             "spark": lambda: f"REGEXP_MATCHES({name}, {literal('(?iu)' + alts)})",
             }.get(dialect, lambda: f"REGEXP_MATCHES({name}, {literal('(?i)' + alts)})")()
    return f"({name} <> '' AND {match})", lost


def _rule_sql(rules: RuleSet, names: Mapping[str, str], header: Mapping[str, str],
              x: Inputs, *, dialect: str = "duckdb"
              ) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """(label, portable SQL condition) per auto-rule in force, what could not be written in
    ``dialect``, and notes on what was written differently there. Mirrors
    :func:`calibrate.decide.rules._conditions` with plain string functions, but for the
    fake-name patterns: regular expressions, written in ``dialect``'s own
    (:func:`_fake_name_match`); a pattern it cannot say is left out. In DuckDB the phone
    and email tests are RE2 matches that fire on the same leads (:data:`_SEP`: fewer new
    strings per lead). A condition may be NULL: it goes in a ``CASE WHEN``, which reads
    NULL as not true (a COALESCE around it would keep DuckDB from short-circuiting it)."""
    has = set(names)
    find = column_finder(has)
    h = {c: header.get(c, c) for c in has}
    fast = dialect == "duckdb"  # RE2 forms of the phone and email tests (_RE2_FORMS)
    out: list[tuple[str, str]] = []
    left_out: list[str] = []
    notes: list[str] = []

    def low(col: str) -> str:
        return _text(h[col], x)

    def norm(values: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(" ".join(str(v).lower().split()) for v in values
                                  if str(v).strip()))

    def email_at(domains: list[str]) -> str:
        # The domain or a subdomain of it (host names hold no LIKE wildcards), tested on
        # the text after the email's last @, computed once: "%@d" or "%@%.d" on the
        # email is that text equal to d or ending in ".d". A subdomain of a dotted d has
        # two dots at least, which spares most emails the LIKEs.
        text = f"LOWER(TRIM(CAST({quote(h['email'])} AS VARCHAR)))"
        if fast:  # DuckDB: one RE2 search instead of the text after the @ and its tests
            return _email_at_re2(x(text), domains)
        dom = x(f"SUBSTR({text}, LENGTH({text}) - STRPOS(REVERSE({text}), '@') + 2)")
        sub = [f"{dom} LIKE {literal('%.' + d)}" for d in domains if "." in d]
        bare = [f"{dom} LIKE {literal('%.' + d)}" for d in domains if "." not in d]
        return " OR ".join([f"{dom} IN {_in(domains)}"]
                           + ([f"({dom} LIKE '%.%.%' AND ({' OR '.join(sub)}))"] if sub
                              else []) + bare)

    domains = norm(rules.competitor_domains)
    companies = norm(rules.competitor_companies)
    comp = []
    if "email" in has and domains:
        comp.append(f"({email_at(domains)})")
    if "company" in has and companies:
        comp.append(f"{low('company')} IN {_in(companies)}")
    if comp:
        out.append(("disqualified:competitor", " OR ".join(comp)))

    fakes = norm(rules.fake_names)
    parts = [c for c in ("first_name", "last_name") if c in has]
    if "full_name" in has or parts:
        joined = (" || ' ' || ".join(f"COALESCE(TRIM(CAST({quote(h[c])} AS VARCHAR)), '')"
                                     for c in parts))
        name = f"LOWER(TRIM({joined}))" if parts else ""
        if "full_name" in has:
            full = low("full_name")
            name = (f"CASE WHEN {full} IS NULL OR {full} = '' THEN {name} ELSE {full} END"
                    if name else full)
        name = x(name)
        fake = [f"({name}) IN {_in(fakes)}"] if fakes else []
        patterns = [p for p in rules.fake_name_patterns if p]
        match, lost = _fake_name_match(name, patterns, dialect)
        fake += [match] if match else []
        if dialect in _POSIX_LETTERS and any(_LETTER.search(p) for p in patterns
                                             if p not in lost):
            notes.append(_POSIX_LETTERS[dialect])
        left_out += [f"the fake-name pattern {_shown(p)}, a regular expression {dialect} "
                     "cannot run" for p in lost]
        if fake:
            out.append(("disqualified:fake_name", " OR ".join(fake)))

    if "phone" in has:
        tests = (_phone_re2(rules, x(_trimmed(h["phone"]))) if fast
                 else _phone_tests(rules, h["phone"], x))
        if tests:
            out.append(("disqualified:fake_phone", " OR ".join(tests)))

    throwaway = norm(rules.throwaway_domains)
    if "email" in has and throwaway:
        out.append(("disqualified:throwaway_email", email_at(throwaway)))
    if "email" in has and rules.check_email_format and fast:
        t = x(_trimmed(h["email"]))  # blank, or well formed
        out.append(("disqualified:malformed_email",
                    f"NOT REGEXP_FULL_MATCH({t}, {literal(f'(?:{_WELL_FORMED})?')})"))
    elif "email" in has and rules.check_email_format:
        e = low("email")
        well = (f"{e} LIKE '%_@_%._%' AND {e} NOT LIKE '%@%@%' AND {e} NOT LIKE '% %' AND "
                f"{e} NOT LIKE '%@.%' AND {e} NOT LIKE '%@%..%' AND {e} NOT LIKE '%.'")
        out.append(("disqualified:malformed_email", f"{e} <> '' AND NOT ({well})"))

    student = []
    for key, words in rules.students.items():
        col = find(key)
        for w in norm(words) if col else []:
            student.append(f"{low(col)} LIKE {literal('%' + w + '%')}")
    if student:
        out.append(("disqualified:student", " OR ".join(student)))

    for key in rules.qualify_flags:
        if col := find(key):
            out.append((f"qualified:{col}", f"{low(col)} IN {_in(YES)}"))
    for key, values in rules.qualify_values.items():
        col, values = find(key), norm(values)
        if col and values:
            out.append((f"qualified:{col}", f"{low(col)} IN {_in(values)}"))
    return out, left_out, notes


def _pass_sql(t: Bar | None, total: str) -> str:
    if t is None:
        return "FALSE"
    if t.mode == "total":
        return f"({total}) >= {t.value('min_total')}"
    return f"(profile >= {t.value('min_profile')} AND behavior >= {t.value('min_behavior')})"


def check_dialect(dialect: str) -> None:
    """ValueError naming the dialects when ``dialect`` is not one of :data:`DIALECTS`."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; use one of {', '.join(DIALECTS)}")


def transpile(sql: str, dialect: str) -> str:
    """``sql``, written in the neutral subset of DuckDB's dialect, in ``dialect`` (sqlglot;
    DuckDB's as written)."""
    check_dialect(dialect)
    if dialect == "duckdb":
        return sql
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)[0]


@dataclass(frozen=True)
class Scoring:
    """The scoring ``SELECT`` in the neutral subset, not yet transpiled (:func:`scoring`).

    ``recency``: the activity dates scored by their days to a date (headers as written);
    ``left_out``: auto-rules that could not be written portably, in words; ``notes``: what
    the dialect's SQL does differently from calibrate's rules, in words.
    """

    sql: str
    recency: tuple[str, ...]
    left_out: tuple[str, ...]
    notes: tuple[str, ...] = ()


def scoring(table: pd.DataFrame, *, thresholds: ThresholdsLike = None,
            rules: RuleSet | Mapping[str, Any] | None = None, columns: Any = None,
            source: str = "leads", fence: Fence = "", reference: str = TODAY,
            shared: bool = False, dialect: str = "duckdb") -> Scoring:
    """One ``SELECT`` adding ``profile``, ``behavior``, ``auto_rule``, ``total`` and ``mql``
    to every row of table ``source``, in the neutral subset (see :func:`portable_sql`).

    ``fence``: keep PostgreSQL from inlining the inner queries (it would compute profile,
    behavior and auto_rule again per use, 4x slower): ``"offset"`` ends them with
    ``OFFSET 0``; ``"volatile"`` adds a column ``calibrate_fence_N`` of ``CLOCK_TIMESTAMP()``
    to each instead (a subquery with a volatile function in its columns is not inlined
    either, and unlike ``OFFSET 0`` it may run in parallel workers; for queries that
    select their columns, as the count grid does).
    ``reference``: the SQL date recency counts whole days to (default today). ``shared``:
    compute each tested value once per row in an inner query (:class:`Inputs`; its
    columns, named ``calibrate_in_N``, then come out too: for queries that aggregate).
    ``dialect``: the one the ``SELECT`` will be transpiled to; the fake-name patterns are
    regular expressions written for it (:func:`_fake_name_match`).
    """
    check_dialect(dialect)
    x = Inputs(shared)
    lines = conditions(table, columns)
    r = axis_ranges(table)
    rp, rb = r.get("profile", 0.0), r.get("behavior", 0.0)
    if rp + rb > 0:
        total = (f"FLOOR((profile * {_n_exact(rp)} + behavior * {_n_exact(rb)}) / "
                 f"{_n_exact(rp + rb)} + 0.5)")
    else:
        total = "FLOOR((profile + behavior) / 2.0 + 0.5)"
    ruleset = None if rules is None else (rules if isinstance(rules, RuleSet)
                                          else RuleSet.from_dict(rules))
    names = column_types(table, columns)
    header = headers(columns)
    conds, left_out, notes = (_rule_sql(ruleset, names, header, x, dialect=dialect)
                              if ruleset else ([], [], []))
    rule_case = ("CASE " + " ".join(f"WHEN {c} THEN {literal(label)}" for label, c in conds)
                 + " ELSE NULL END") if conds else "CAST(NULL AS VARCHAR)"
    mql = _mql_sql(thresholds, total, columns, header, x)
    profile, behavior = (_axis_sql(lines, "profile", x, reference),
                         _axis_sql(lines, "behavior", x, reference))
    fenced = "\nOFFSET 0" if fence == "offset" else ""
    volatile = ["CLOCK_TIMESTAMP() AS calibrate_fence_0",
                "CLOCK_TIMESTAMP() AS calibrate_fence_1"] if fence == "volatile" else []
    rows = (f"(\n{x.select(_table(source), *volatile[:1])}{fenced}\n) AS calibrate_inputs"
            if x.named else _table(source))
    inner = (f"SELECT *,\n  ({profile}) AS profile,\n  ({behavior}) AS behavior,\n  "
             f"{rule_case} AS auto_rule{''.join(f', {v}' for v in volatile[1:])}\n"
             f"FROM {rows}{fenced}")
    sql = (f"SELECT *, CAST({total} AS INTEGER) AS total,\n  CASE WHEN auto_rule LIKE "
           f"'disqualified:%' THEN FALSE WHEN auto_rule LIKE 'qualified:%' THEN TRUE "
           f"ELSE {mql} END AS mql\nFROM (\n{inner}\n) AS scored")
    dates = tuple(dict.fromkeys(c.field for c in lines if c.kind == "recency"))
    return Scoring(sql, dates, tuple(left_out), tuple(notes))


def column_notes() -> list[str]:
    """The header comment's lines on what the source columns must hold (any query over
    the original columns: the score, the count grid)."""
    return ["-- Columns are the headers as written. Numeric columns must hold clean numbers "
            "(1200, not '1,200'; 35 for '35%'),",
            "-- blanks and placeholders (Select, Unknown, N/A) must be empty, and negative "
            "behavior counts are read as missing.",
            "-- Text is compared trimmed and without case."]


def portable_sql(table: pd.DataFrame, *, thresholds: ThresholdsLike = None,
                 rules: RuleSet | Mapping[str, Any] | None = None, columns: Any = None,
                 source: str = "leads", dialect: str = "duckdb") -> str:
    """One ``SELECT`` adding ``profile``, ``behavior``, ``auto_rule``, ``total`` and ``mql``
    to every row of table ``source``, from its original columns.

    Columns are quoted exactly as the headers; text is compared as ``LOWER(TRIM(...))``;
    numbers are ``CAST(... AS DOUBLE)``, so numeric columns must hold clean numbers (the
    header comment says so). Written once in a dialect-neutral subset and transpiled with
    sqlglot to ``dialect`` (one of :data:`DIALECTS`).
    """
    check_dialect(dialect)
    s = scoring(table, thresholds=thresholds, rules=rules, columns=columns, source=source,
                fence="offset" if dialect == "postgres" else "", dialect=dialect)
    note = [f"-- calibrate lead score ({dialect}): adds profile, behavior, auto_rule, total "
            "and mql to every row.", *column_notes()]
    if s.recency:
        note.append("-- Dates score by whole days before today (CURRENT_DATE); they must "
                    "hold dates (2025-06-30), a blank is no date.")
    note += [f"-- Not included: {x}." for x in s.left_out]
    note += [f"-- Note: {x}" for x in s.notes]
    return "\n".join(note) + "\n" + transpile(s.sql, dialect) + "\n"


def _n_exact(x: float) -> str:
    return f"CAST({literal(repr(float(x)))} AS DOUBLE)"


def _mql_sql(thresholds: ThresholdsLike, total: str, columns: Any,
             header: Mapping[str, str], x: Inputs) -> str:
    """The threshold test (:mod:`calibrate.decide.mql`), per segment when the thresholds
    give segments their own bar or limit the definition to one."""
    bars = Thresholds.of(thresholds)
    if not bars:
        return "FALSE"
    base, segments, only = bars.main, bars.segments, bars.only
    seg_col = next((c.name for c in columns or () if isinstance(c, ColumnInfo)
                    and c.role == "segment"), None)
    if (segments or only) and seg_col is None:
        raise ValueError("the thresholds are per segment but no segment column is known; "
                         "pass the store's columns")
    if seg_col is None:
        return _pass_sql(base, total)
    s = _text(header.get(seg_col, seg_col), x)
    whens = [f"WHEN {s} = {literal(segment_key(k))} THEN {_pass_sql(t, total)}"
             for k, t in segments.items()]
    if only:
        whens.append(f"WHEN {s} = {literal(segment_key(only))} THEN "
                     f"{_pass_sql(base, total)}")
        default = "FALSE"
    else:
        default = _pass_sql(base, total)
    return f"(CASE {' '.join(whens)} ELSE {default} END)" if whens else default

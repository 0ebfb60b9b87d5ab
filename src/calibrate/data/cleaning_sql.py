"""The cleaning expressions: SQL that reads one trimmed text value as text, a number, a
yes/no or a date, with placeholders ("N/A", "Select") read as missing."""

from __future__ import annotations

import re

from calibrate.sql import literal
from calibrate.vocabulary import NO as _FALSE
from calibrate.vocabulary import YES as _TRUE

# Regexes (RE2, as DuckDB string literals) that a value must match before a parse is tried.
PLAIN_NUMBER = r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"
DECORATED_NUMBER = r"[-+]?[$€£]?\s?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s?%?"
# Two forms of DECORATED_NUMBER that need no regexp_replace: "35%" and "1,200.5".
_PERCENT = r"[-+]?\d+(\.\d+)?%"
_THOUSANDS = r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?"
# A decimal comma, as German, French or Spanish exports write it ("12.500,00 €", "0,75"):
# tried last, so "1,200" stays twelve hundred.
_DECIMAL_COMMA = r"[-+]?[$€£]?\s?\d{1,3}(\.\d{3})*,\d+\s?[€%]?"
_SLASH_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
_DOT_DATE = r"\d{1,2}\.\d{1,2}\.\d{4}"
_CLOCK = r"\d{1,2}:\d{2}"
ISO_DATE = r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"


def _one_of(expr: str, values: tuple[str, ...] | list[str]) -> str:
    """SQL: whether ``expr`` is one of ``values``, ignoring case.

    A regex, not ``lower(expr) IN (...)``: DuckDB's optimizer turns an IN list (and a
    ``list_contains`` of constants) into a hash join, and a plan with a join writes its
    rows in parallel without keeping their order, while an ingest's row numbers are that
    order (on a million rows the table came out as each thread's share, one after the
    other). The regex is also cheaper: no lowered copy of every value.
    """
    alternatives = "|".join(re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", v) for v in values)
    return f"regexp_full_match({expr}, {literal('(?i)(' + alternatives + ')')})"


class Sql:
    """Cleaning expressions over an already trimmed value ``t`` (see :meth:`trimmed`)."""

    def __init__(self, placeholders: tuple[str, ...]) -> None:
        values = sorted({p.strip().lower() for p in placeholders})
        self.placeholders = tuple(values)
        self.longest = max(len(v.encode("utf-8")) for v in values)
        # Placeholders the typed parses would accept ("0", "no", "1990-01-01"): typed
        # columns then test for placeholders before parsing.
        self.typed_guard = any(_parses(v) for v in values)

    @staticmethod
    def trimmed(col: str) -> str:
        # trim() is costly: only call it when an end may be a (Unicode) space. "< '!'" is
        # the cheapest test of a leading space (or control character, or empty text).
        return (f"CASE WHEN {col} < '!' OR ends_with({col}, ' ') "
                f"OR strlen({col}) <> length({col}) THEN trim({col}) ELSE {col} END")

    def is_placeholder(self, t: str) -> str:
        return f"(strlen({t}) <= {self.longest} AND {_one_of(t, self.placeholders)})"

    def text(self, t: str) -> str:
        return f"CASE WHEN {self.is_placeholder(t)} THEN NULL ELSE {t} END"

    def guard(self, t: str, expr: str) -> str:
        """``expr``, but missing for placeholders that would otherwise parse."""
        if not self.typed_guard:
            return expr
        return f"(CASE WHEN {self.is_placeholder(t)} THEN NULL ELSE {expr} END)"

    @staticmethod
    def plain_number(t: str) -> str:
        # Guard each parse with a regex: a failed cast costs far more than a match.
        return f"(CASE WHEN regexp_full_match({t}, '{PLAIN_NUMBER}') THEN CAST({t} AS DOUBLE) END)"

    @staticmethod
    def decorated_number(t: str) -> str:
        # regexp_replace is the costly part: the two common decorations, a percent sign
        # after the number and thousands separators, are stripped by cheaper means first.
        return (f"(CASE WHEN regexp_full_match({t}, '{_PERCENT}') "
                f"THEN CAST(left({t}, -1) AS DOUBLE) "
                f"WHEN regexp_full_match({t}, '{_THOUSANDS}') "
                f"THEN CAST(replace({t}, ',', '') AS DOUBLE) "
                f"WHEN regexp_full_match({t}, '{DECORATED_NUMBER}') "
                f"THEN CAST(regexp_replace({t}, '[$€£%,\\s]', '', 'g') AS DOUBLE) "
                f"WHEN regexp_full_match({t}, '{_DECIMAL_COMMA}') "
                f"THEN CAST(replace(regexp_replace({t}, '[$€£%.\\s]', '', 'g'), ',', '.') "
                "AS DOUBLE) END)")

    def number(self, t: str) -> str:
        # A number never starts with a letter: a cheap test skips the regexes for words.
        return (f"(CASE WHEN {t} >= 'A' AND {t} < '{{' THEN NULL "
                f"ELSE coalesce({self.plain_number(t)}, {self.decorated_number(t)}) END)")

    @staticmethod
    def flag(t: str, spellings: tuple[str, ...] = ()) -> str:
        """Yes/No as a boolean. The ``spellings`` a column uses most ("Yes", "No") are
        tested first, by plain equality: a tenth of the cost of the regexes."""
        known = " ".join(f"WHEN {t} = {literal(v)} THEN {str(v.lower() in _TRUE).lower()}"
                         for v in spellings if v.lower() in _TRUE + _FALSE)
        return (f"(CASE {known} WHEN strlen({t}) > 9 THEN NULL WHEN {_one_of(t, _TRUE)} "
                f"THEN true WHEN {_one_of(t, _FALSE)} THEN false END)")

    @staticmethod
    def date(t: str, day_first: bool = False) -> str:
        slash = "%d/%m/%Y" if day_first else "%m/%d/%Y"
        return (
            # Every accepted form starts with a digit: a cheap test skips the regexes.
            f"(CASE WHEN NOT ({t} >= '0' AND {t} < ':') THEN NULL "
            f"WHEN regexp_full_match({t}, '{ISO_DATE}') THEN TRY_CAST({t} AS TIMESTAMP) "
            f"WHEN regexp_full_match({t}, '\\d{{4}}/\\d{{1,2}}/\\d{{1,2}}') "
            f"THEN try_strptime({t}, '%Y/%m/%d') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') "
            f"THEN try_strptime({t}, '{slash}') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}} \\d{{1,2}}:\\d{{2}}') "
            f"THEN try_strptime({t}, '{slash} %H:%M') "
            f"WHEN regexp_full_match({t}, '{_SLASH_DATE} \\d{{1,2}}:\\d{{2}}:\\d{{2}}') "
            f"THEN try_strptime({t}, '{slash} %H:%M:%S') "
            f"WHEN regexp_full_match({t}, '{_SLASH_DATE} {_CLOCK} ?[AaPp][Mm]') "
            f"THEN try_strptime(regexp_replace(upper({t}), ' ?([AP]M)$', ' \\1'), "
            f"'{slash} %I:%M %p') "
            f"WHEN regexp_full_match({t}, '\\d{{1,2}}\\.\\d{{1,2}}\\.\\d{{4}}') "
            f"THEN try_strptime({t}, '%d.%m.%Y') "
            f"WHEN regexp_full_match({t}, '{_DOT_DATE} {_CLOCK}') "
            f"THEN try_strptime({t}, '%d.%m.%Y %H:%M') END)"
        )


def _parses(value: str) -> bool:
    """Whether a placeholder would be read as a number, a yes/no or a date."""
    return bool(
        re.fullmatch(PLAIN_NUMBER, value) or re.fullmatch(DECORATED_NUMBER, value)
        or value in _TRUE or value in _FALSE or re.match(r"\d{1,4}[-/.]\d{1,2}[-/.]\d", value))

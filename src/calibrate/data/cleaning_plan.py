"""The cleaning plan: how each raw column becomes a stored value (SQL stages over its
trimmed text) and which checks it records, in its bits of the per-row state words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from calibrate.data.cleaning_sql import Sql
from calibrate.data.roles import ColumnGuess, ColumnStats

EARLIEST = datetime(1990, 1, 1)


# What the cleaning did to a value: bits of the per-column code stored next to it.
_PLACEHOLDER, _INVALID, _SEPARATORS, _NEGATIVE, _FUTURE, _EARLY, _FRACTION = (
    1, 2, 4, 8, 16, 32, 64)


@dataclass
class Plan:
    """How one raw column becomes a column of ``leads``, in the stages of one query.

    Over the trimmed text ``_t{i}``: ``parse`` gives ``_p{i}``, ``refine`` (numbers) gives
    ``_v{i}``, then ``value`` is what is stored and ``state`` the bits of what was done,
    already shifted to the column's place in its state word (``slot``).
    """

    guess: ColumnGuess
    parse: str
    refine: str | None
    value: str
    state: str
    checks: list[tuple[str, int, str]]  # (kind, bit of the state, action)
    # When the column is read with a native type (see ``_fast_types``), ``_p{i}`` is that
    # value and ``native_state`` replaces ``state``.
    native_type: str | None = None
    native_state: str | None = None
    slot: tuple[int, int] = (0, 0)  # (word, shift): where the state's bits live


class _Slots:
    """Places for the columns' state bits, side by side in 64-bit words ``_w{j}``.

    Each column gets just the bits its checks use. DuckDB writes one mostly constant word
    per row far faster than one mostly NULL code column per file column (0.6 of 4.4 s on a
    million rows with 29 columns), and each state is a CASE giving its bits already
    shifted (UBIGINT, 0 for nothing): ``coalesce``, casts and shifts on top cost 3x more.
    """

    def __init__(self) -> None:
        self.word, self.used, self.shift = 0, 0, 0

    def take(self, checks: list[tuple[str, int, str]]) -> tuple[int, int]:
        width = max(bit for _, bit, _ in checks).bit_length()
        if self.used + width > 64:
            self.word, self.used = self.word + 1, 0
        self.shift = self.used
        self.used += width
        return self.word, self.shift

    def bits(self, bit: int) -> str:
        """``bit`` of the column just placed, as its word's UBIGINT literal."""
        return f"{bit << self.shift}::UBIGINT"


_NONE = "0::UBIGINT"


def plan_columns(guesses: list[ColumnGuess], stats: list[ColumnStats],
                 sql: Sql) -> list[Plan]:
    """The plan of every stored column (not the ignored ones, not the outcome), from the
    guesses and the sample's measures (:func:`profile_columns`)."""
    now = datetime.now()
    future = f"TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}' + INTERVAL 1 DAY"
    early = f"TIMESTAMP '{EARLIEST:%Y-%m-%d}'"
    by_name = {s.name: s for s in stats}
    nothing = ColumnStats("", 0, 0, 0, 0, 0, 0)
    slots = _Slots()
    k = slots.bits
    plans = []
    for i, g in enumerate(g for g in guesses if g.role not in ("ignore", "outcome")):
        t, p, v = f"_t{i}", f"_p{i}", f"_v{i}"
        seen = by_name.get(g.source_name, nothing)
        placeholder = ("placeholder values", _PLACEHOLDER, "treated as missing")
        type_ = g.type
        if g.role in ("created_at", "closed_at"):
            type_ = "date"
        if g.role in ("lead_id", "segment", "email", "phone", "company", "first_name",
                      "last_name", "full_name"):
            type_ = "text"
        if g.role == "amount":
            type_ = "numeric"
        g.type = type_
        refine = native_type = native_state = None
        if type_ == "numeric":
            checks = [placeholder,
                      ("non-numeric values", _INVALID,
                       "set to missing; fix the values or map the column as categorical"),
                      ("values with separators or symbols (1,200 / 35% / $)", _SEPARATORS,
                       "cleaned to plain numbers")]
            negative = g.role == "behavior"
            fraction = negative and seen.counts
            if negative:
                checks.append(("negative counts", _NEGATIVE, "set to missing"))
            if fraction:
                checks.append(("fractional counts (a count should be a whole number)",
                               _FRACTION, "kept as they are; check the export"))
            slot = slots.take(checks)
            parse = sql.guard(t, sql.plain_number(t))
            refine = f"coalesce({p}, {sql.guard(t, sql.decorated_number(t))})"
            good = f"isfinite({v})"
            bits = []  # what a number read as it is can still show
            if negative:
                bits.append(f"CASE WHEN {v} < 0 THEN {k(_NEGATIVE)} ELSE {_NONE} END")
                good += f" AND {v} >= 0"
            if fraction:
                bits.append(f"CASE WHEN {v} <> trunc({v}) THEN {k(_FRACTION)} ELSE {_NONE} END")
            separators = f"CASE WHEN {p} IS NULL THEN {k(_SEPARATORS)} ELSE {_NONE} END"
            value = f"CASE WHEN {good} THEN {v} END"
            state = (f"CASE WHEN {v} IS NULL OR NOT isfinite({v}) THEN {_missing(sql, t, k)} "
                     f"ELSE {' + '.join([separators, *bits])} END")
            # Read as DOUBLE, "nan" (a placeholder) and "inf" are the only odd values left.
            native_type = "DOUBLE"
            native_state = (f"CASE WHEN {v} IS NULL THEN {_NONE} "
                            f"WHEN isnan({v}) THEN {k(_PLACEHOLDER)} "
                            f"WHEN NOT isfinite({v}) THEN {k(_INVALID)} "
                            f"ELSE {' + '.join(bits) or _NONE} END")
        elif type_ == "flag":
            checks = [placeholder, ("values that are not yes/no", _INVALID, "set to missing")]
            slot = slots.take(checks)
            parse = sql.guard(t, sql.flag(t, seen.flag_spellings))
            value = p
            state = f"CASE WHEN {p} IS NULL THEN {_missing(sql, t, k)} ELSE {_NONE} END"
        elif type_ == "date":
            checks = [placeholder,
                      ("unreadable dates", _INVALID, "set to missing; use YYYY-MM-DD"),
                      ("dates in the future", _FUTURE, "set to missing"),
                      ("dates before 1990", _EARLY, "set to missing")]
            slot = slots.take(checks)
            parse = sql.guard(t, sql.date(t, seen.day_first))
            value = f"CASE WHEN {p} > {future} OR {p} < {early} THEN NULL ELSE {p} END"
            dated = (f"WHEN {p} > {future} THEN {k(_FUTURE)} WHEN {p} < {early} "
                     f"THEN {k(_EARLY)} ELSE {_NONE} END")
            state = f"CASE WHEN {p} IS NULL THEN {_missing(sql, t, k)} {dated}"
            native_type = "TIMESTAMP"
            native_state = f"CASE {dated}"
        else:
            checks = [placeholder]
            slot = slots.take(checks)
            parse = sql.text(t)
            value = p
            state = f"CASE WHEN {p} IS NULL AND {t} <> '' THEN {k(_PLACEHOLDER)} ELSE {_NONE} END"
        plans.append(Plan(g, parse, refine, value, state, checks, native_type, native_state,
                          slot))
    return plans


def _missing(sql: Sql, t: str, k: Callable[[int], str]) -> str:
    """The state of a value read as missing: nothing when blank, else a placeholder or
    a value that does not parse."""
    return (f"CASE WHEN {t} IS NULL OR {t} = '' THEN {_NONE} "
            f"WHEN {sql.is_placeholder(t)} THEN {k(_PLACEHOLDER)} ELSE {k(_INVALID)} END")

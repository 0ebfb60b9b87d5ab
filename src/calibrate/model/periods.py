"""Months as drift reads them: ``YYYY-MM`` labels and input, and the reference period
(asked for, or the default: the first months with dated leads) checked against the data."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from calibrate.errors import CalibrateError

#: The default reference period: the first this many months with dated leads.
REFERENCE_MONTHS = 6

_MONTH = re.compile(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*")
_HOW = "Write it as year-month, e.g. 2024-01:2024-06 (the first and the last month, included)."


class NoDatesError(CalibrateError):
    """The leads carry no dates, so nothing can be compared over time."""


def month_label(month: dt.date) -> str:
    """A month as ``YYYY-MM``."""
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(text: Any, what: str = "month") -> dt.date:
    """The first day of a month given as ``YYYY-MM`` (or ``YYYY-MM-DD``, a date or a
    Timestamp); a :class:`CalibrateError` naming the value when it is none of these."""
    if isinstance(text, pd.Timestamp | dt.datetime | dt.date):
        return dt.date(text.year, text.month, 1)
    m = _MONTH.fullmatch(str(text))
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        try:
            dt.date(year, month, int(m.group(3) or 1))
            return dt.date(year, month, 1)
        except ValueError:
            pass
    raise CalibrateError(f"The {what} {str(text)!r} is not a month.", fix=_HOW)


def parse_reference(text: str) -> tuple[dt.date, dt.date]:
    """``"START:END"`` (``2024-01:2024-06``) as the first days of both months; a message
    naming the value when it cannot be read or START comes after END."""
    parts = str(text).split(":")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise CalibrateError(f"The reference period {str(text)!r} is not START:END.",
                             fix=_HOW)
    start = parse_month(parts[0], "reference period's start")
    end = parse_month(parts[1], "reference period's end")
    return _ordered(start, end)


def _ordered(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    if start > end:
        raise CalibrateError(
            f"The reference period {month_label(start)}:{month_label(end)} starts after it "
            "ends.", fix=f"Put the earlier month first: {month_label(end)}:"
                         f"{month_label(start)}.")
    return start, end


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months after ``month`` (before it when negative)."""
    k = month.year * 12 + month.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def span_months(first: dt.date, last: dt.date) -> int:
    """How many calendar months from ``first`` to ``last``, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def reference_period(reference: Any, months: list[dt.date]) -> tuple[dt.date, dt.date]:
    """The reference period asked for (or the default), checked against the data's months."""
    first, last = months[0], months[-1]
    data = f"the dated leads run from {month_label(first)} to {month_label(last)}"
    if reference is None:
        span = span_months(first, last)
        if span < 2:
            raise CalibrateError(
                f"Drift needs a reference period and a later month, but {data}.",
                fix="Load leads from at least two months.")
        size = min(REFERENCE_MONTHS, span // 2)
        return first, add_months(first, size - 1)
    if isinstance(reference, str):
        start, end = parse_reference(reference)
    else:
        try:
            raw_start, raw_end = reference
        except (TypeError, ValueError):
            raise CalibrateError(f"The reference period {reference!r} is not a pair of "
                                 "months.", fix=_HOW) from None
        start, end = _ordered(parse_month(raw_start, "reference period's start"),
                              parse_month(raw_end, "reference period's end"))
    asked = f"{month_label(start)}:{month_label(end)}"
    size = min(REFERENCE_MONTHS, max(span_months(first, last) // 2, 1))
    example = f"{month_label(first)}:{month_label(add_months(first, size - 1))}"
    if end < first or start > last or not any(start <= m <= end for m in months):
        raise CalibrateError(f"The reference period {asked} holds no leads: {data}.",
                             fix=f"Pick months within that range, e.g. {example}.")
    if end >= last:
        raise CalibrateError(
            f"No month follows the reference period {asked}: {data}.",
            fix=f"End the reference before {month_label(last)}, e.g. {example}.")
    return start, end

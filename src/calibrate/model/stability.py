"""Population stability over time: how far each month's leads moved from a reference period.

Why: agreed points assume that next year's leads look like the ones they were fitted on. A
new campaign, a new market or a tracking change moves the mix of an attribute, and with it
the scores and every projected figure. The population stability index (PSI) measures that
move per attribute and per score, month by month, against a reference period.

**The formula.** For bins ``i`` (an attribute's levels, or a score's bands) with reference
shares ``e_i`` and a month's shares ``a_i``::

    PSI = sum_i (a_i - e_i) * ln(a_i / e_i)

Conventionally below 0.1 is ``stable``, from 0.1 ``watch`` and from 0.25 ``shifted``
(:data:`WATCH`, :data:`SHIFTED`). A score is binned in :data:`SCORE_BANDS` fixed bands, the
deciles of the reference period (tied scores keep one band, so there may be fewer); an
attribute by the levels the weights give points to (numbers in their bins, "Other" and
"Missing" included).

**The small-count guard.** An empty bin makes ``ln(a / e)`` infinite. Shares are smoothed
by adding :data:`SMOOTHING` (half a lead, the Jeffreys prior) to every bin's count:
``(n_i + 0.5) / (n + 0.5 k)``. A fixed epsilon in place of a zero share (0.0001, as often
done) lets one empty level in a month of 40 leads add ``share * ln(share / 0.0001)``, about
0.4 for a 5% level, so a tiny month reads "shifted" by accident; half a lead instead weighs
in proportion to the month's size and fades as the counts grow.

**How many leads a month.** Sampling noise alone gives a PSI above zero: for ``n`` leads drawn
from the reference mix over ``k`` bins (the reference much larger), ``n * PSI`` is about
chi-square with ``k - 1`` degrees of freedom. :data:`MIN_LEADS` is the size below which a
month's PSI can read "watch" by chance; such months are computed and marked, never hidden.

**Speed.** One DuckDB pass over the dated leads codes every attribute (a text column of few
distinct values through a map of those values, :data:`MAP_MAX`), adds each lead's profile
and behavior points with the points table, and counts leads with ``GROUPING SETS``: per
month and profile and behavior points (the total follows from the two, computed as the
scoring SQL rounds it), and per month and level of a few packs of attributes (:data:`PACK`),
fewer sets being cheaper than one per attribute. Everything after it works on those counts
in numpy; no lead is ever read into Python. 10M leads take about 6 s on 2 cores.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from calibrate.data import store
from calibrate.errors import CalibrateError
from calibrate.model.encode import Encoding
from calibrate.model.points import axis_ranges, encoding_from_table, validate_table
from calibrate.sql import literal, quote

__all__ = [
    "FLAGS",
    "MIN_LEADS",
    "NoDatesError",
    "check_columns",
    "REFERENCE_MONTHS",
    "SCORES",
    "SCORE_BANDS",
    "SHIFTED",
    "SMOOTHING",
    "Stability",
    "WATCH",
    "flag",
    "month_label",
    "parse_month",
    "parse_reference",
    "psi",
    "psi_terms",
    "MonthCounts",
    "month_counts",
    "score_cuts",
    "stability",
    "total_of",
    "add_months",
]

#: PSI from which a distribution is worth watching (conventional).
WATCH = 0.1
#: PSI from which a distribution has shifted (conventional).
SHIFTED = 0.25
#: The flags, in order: below :data:`WATCH`, below :data:`SHIFTED`, from it.
FLAGS = ("stable", "watch", "shifted")
#: Leads added to every bin before taking shares (the small-count guard; module docs).
SMOOTHING = 0.5
#: Fewest leads in a month for its PSI to mean something. Why 300: with ``n`` leads drawn
#: from the reference's own mix, ``n * PSI`` is about chi-square with ``k - 1`` degrees of
#: freedom (``k`` bins). For a score's 10 bands the 99th percentile of chi-square(9) is 21.7,
#: so noise alone passes the 0.1 "watch" line in one month out of a hundred at 217 leads;
#: for an attribute of 15 levels, chi-square(14)'s 29.1 needs 291. Below 300 leads a month,
#: "watch" may be chance; such months are marked (``enough`` False), not dropped.
MIN_LEADS = 300
#: Bands of a score: the deciles of the reference period.
SCORE_BANDS = 10
#: The default reference period: the first this many months with dated leads.
REFERENCE_MONTHS = 6
#: The scores whose stability is measured.
SCORES = ("total", "profile", "behavior")
#: Levels named as having moved most, per attribute.
TOP_LEVELS = 2

_MONTH = re.compile(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*")
_HOW = "Write it as year-month, e.g. 2024-01:2024-06 (the first and the last month, included)."


class NoDatesError(CalibrateError):
    """The leads carry no dates, so nothing can be compared over time."""


# --------------------------------------------------------------------------- the formula


def _shares(counts: np.ndarray, smoothing: float) -> np.ndarray:
    c = np.asarray(counts, dtype=float) + smoothing
    total = c.sum()
    return c / total if total > 0 else np.full_like(c, np.nan)


def psi_terms(expected: Sequence[float] | np.ndarray, actual: Sequence[float] | np.ndarray,
              smoothing: float = SMOOTHING) -> np.ndarray:
    """Each bin's term ``(a - e) * ln(a / e)`` of the PSI, from counts (not shares) of the
    reference (``expected``) and of the period compared (``actual``), each smoothed by
    ``smoothing`` leads per bin. With no smoothing, a bin empty on one side only is infinite
    and a bin empty on both sides adds 0."""
    e_counts = np.asarray(expected, dtype=float)
    a_counts = np.asarray(actual, dtype=float)
    if e_counts.shape != a_counts.shape or e_counts.ndim != 1:
        raise ValueError("expected and actual must be counts over the same bins")
    if smoothing < 0 or (e_counts < 0).any() or (a_counts < 0).any():
        raise ValueError("counts and smoothing must not be negative")
    e = _shares(e_counts, smoothing)
    a = _shares(a_counts, smoothing)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (a - e) * np.log(a / e)
    both_empty = (a == 0) & (e == 0)
    terms[both_empty] = 0.0
    one_empty = (a == 0) ^ (e == 0)
    terms[one_empty] = np.inf
    return terms


def psi(expected: Sequence[float] | np.ndarray, actual: Sequence[float] | np.ndarray,
        smoothing: float = SMOOTHING) -> float:
    """The population stability index of ``actual`` counts against ``expected`` counts
    over the same bins (module docs: the formula and the small-count guard)."""
    return float(psi_terms(expected, actual, smoothing).sum())


def flag(value: float) -> str:
    """``stable`` below 0.1, ``watch`` from 0.1, ``shifted`` from 0.25 (``""`` for NaN)."""
    if value is None or math.isnan(value):
        return ""
    return FLAGS[0] if value < WATCH else FLAGS[1] if value < SHIFTED else FLAGS[2]


def score_cuts(values: Sequence[int] | np.ndarray, counts: Sequence[float] | np.ndarray,
               bands: int = SCORE_BANDS) -> np.ndarray:
    """The upper bounds (included) of a score's bands: the ``bands``-quantiles of the
    reference's scores (``counts`` leads at each of ``values``), ties merged. A score is in
    band ``j`` = how many cuts lie below it, so band 0 runs up to the first cut and the last
    band from just above the last cut."""
    v = np.asarray(values, dtype=float)
    c = np.asarray(counts, dtype=float)
    order = np.argsort(v)
    v, c = v[order], c[order]
    total = c.sum()
    if total <= 0:
        return np.array([], dtype=float)
    cdf = np.cumsum(c) / total
    qs = np.arange(1, bands) / bands
    cuts = v[np.minimum(np.searchsorted(cdf, qs - 1e-12, side="left"), len(v) - 1)]
    return np.unique(cuts[cuts < v[c > 0].max()])


def _band_labels(cuts: np.ndarray) -> list[str]:
    if len(cuts) == 0:
        return ["all"]
    c = [int(x) for x in cuts]
    labels = [f"≤ {c[0]}"]
    labels += [str(lo + 1) if hi == lo + 1 else f"{lo + 1}-{hi}"
               for lo, hi in zip(c[:-1], c[1:], strict=True)]
    return labels + [f"{c[-1] + 1}+"]


# ------------------------------------------------------------------------------ months


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


def _span(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _reference(reference: Any, months: list[dt.date]) -> tuple[dt.date, dt.date]:
    """The reference period asked for (or the default), checked against the data's months."""
    first, last = months[0], months[-1]
    data = f"the dated leads run from {month_label(first)} to {month_label(last)}"
    if reference is None:
        span = _span(first, last)
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
    size = min(REFERENCE_MONTHS, max(_span(first, last) // 2, 1))
    example = f"{month_label(first)}:{month_label(add_months(first, size - 1))}"
    if end < first or start > last or not any(start <= m <= end for m in months):
        raise CalibrateError(f"The reference period {asked} holds no leads: {data}.",
                             fix=f"Pick months within that range, e.g. {example}.")
    if end >= last:
        raise CalibrateError(
            f"No month follows the reference period {asked}: {data}.",
            fix=f"End the reference before {month_label(last)}, e.g. {example}.")
    return start, end


# ------------------------------------------------------------------------------ counting


#: Most level combinations counted in one grouping set: attributes are packed together (the
#: product of their level counts at most this) so that the one pass keeps few grouping sets,
#: each with few groups (months x PACK); the counts are unpacked in numpy.
PACK = 4096
#: A text column with at most this many distinct stored values gets its level code from a
#: map of those values (each coded once by the same CASE), not from the CASE's string
#: comparisons on every lead: several times cheaper per lead.
MAP_MAX = 64


@dataclass
class MonthCounts:
    """Leads by month: per attribute, months x levels; per score (total, profile,
    behavior), its values and months x values; and the leads without a date."""

    months: list[dt.date]
    attributes: list[np.ndarray]
    scores: dict[str, tuple[np.ndarray, np.ndarray]]
    undated: int


def _points_list(table: pd.DataFrame, attribute: str) -> str:
    rows = table[table["attribute"] == attribute].sort_values("code")
    return "[" + ", ".join(str(int(p)) for p in rows["points"]) + "]::INTEGER[]"


def _code_exprs(con: duckdb.DuckDBPyConnection, enc: Encoding) -> list[str]:
    """Each attribute's level code for a row of ``leads``: its CASE expression, or for a
    text column of few distinct values a lookup in the map of those values to their codes
    (computed by the same CASE, so every lead gets the same code)."""
    exprs = [a.sql() for a in enc]
    types = {r[0]: str(r[1]) for r in con.execute("DESCRIBE leads").fetchall()}
    text = [(i, a) for i, a in enumerate(enc)
            if a.kind == "categorical" and types.get(a.name) == "VARCHAR"]
    if not text:
        return exprs
    guess = con.execute("SELECT " + ", ".join(f"approx_count_distinct({quote(a.name)})"
                                              for _, a in text) + " FROM leads").fetchone()
    few = [(i, a) for (i, a), n in zip(text, guess, strict=True) if n <= MAP_MAX]
    if not few:
        return exprs
    found = con.execute("SELECT " + ", ".join(
        f"list(DISTINCT {quote(a.name)}) FILTER (WHERE {quote(a.name)} IS NOT NULL)"
        for _, a in few) + " FROM leads").fetchone()
    for (i, a), values in zip(few, found, strict=True):
        values = list(values or [])
        if not values or len(values) > MAP_MAX:
            continue
        coded = con.execute(f"SELECT v, {a.sql('v')} FROM unnest(?::VARCHAR[]) AS t(v)",
                            [values]).fetchall()
        pairs = ", ".join(f"{literal(v)}: {int(c)}" for v, c in coded)
        exprs[i] = f"coalesce((MAP {{{pairs}}})[{quote(a.name)}], {a.missing_code})"
    return exprs


def _packs(enc: Encoding) -> list[list[int]]:
    """Attributes packed together, in order, each pack's product of level counts at most
    :data:`PACK` (an attribute with more levels alone)."""
    packs: list[list[int]] = []
    size = PACK + 1
    for i, a in enumerate(enc):
        if size * a.size > PACK:
            packs.append([])
            size = 1
        packs[-1].append(i)
        size *= a.size
    return packs


def _counts_sql(table: pd.DataFrame, enc: Encoding, codes: list[str]) -> str:
    """One pass over the dated leads: leads per (month, packed levels) of each pack of
    attributes and per (month, profile points, behavior points). Points as
    :mod:`calibrate.model.lead_points` adds them (the same lists and sums)."""
    coded = ", ".join(f"{c} AS _c{i}" for i, c in enumerate(codes))

    def axis_sum(axis: str) -> str:
        terms = [f"({_points_list(table, a.name)})[_c{i} + 1]"
                 for i, a in enumerate(enc) if a.axis == axis]
        return f"({' + '.join(terms) if terms else '0'})::INTEGER"

    packed = []
    for pack in _packs(enc):
        terms, weight = [], 1
        for i in reversed(pack):
            terms.append(f"_c{i}::INTEGER * {weight}")
            weight *= enc.attributes[i].size
        packed.append(" + ".join(terms))
    groups = ", ".join(f"({p}) AS _g{k}" for k, p in enumerate(packed))
    keys = ", ".join(f"_g{k}" for k in range(len(packed)))
    sets = ", ".join([f"(_m, _g{k})" for k in range(len(packed))] + ["(_m, _p, _b)"])
    return (
        f"WITH _codes AS (SELECT CAST(date_trunc('month', created_at) AS DATE) AS _m, {coded} "
        f"FROM leads WHERE created_at IS NOT NULL), "
        f"_packed AS (SELECT _m, {axis_sum('profile')} AS _p, {axis_sum('behavior')} AS _b, "
        f"{groups} FROM _codes) "
        f"SELECT _m, _p, _b, {keys}, count(*) AS _n FROM _packed "
        f"GROUP BY GROUPING SETS ({sets})"
    )


def total_of(profile: np.ndarray, behavior: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """The total score of profile and behavior points, exactly as the scoring SQL rounds it
    (:mod:`calibrate.model.lead_points`: the same double arithmetic, then floor(x + 0.5))."""
    ranges = axis_ranges(table)
    rp, rb = ranges["profile"], ranges["behavior"]
    p, b = np.asarray(profile, dtype=np.float64), np.asarray(behavior, dtype=np.float64)
    x = (p * rp + b * rb) / (rp + rb) if rp + rb > 0 else (p + b) / 2.0
    return np.floor(x + 0.5).astype(np.int64)


def _month_matrix(month: np.ndarray, values: np.ndarray, n: np.ndarray,
                  shape: tuple[int, int]) -> np.ndarray:
    """Months x values counts from grouped rows (each row's month, value and leads)."""
    out = np.zeros(shape, dtype=np.float64)
    np.add.at(out, (month, values), n)
    return out


def month_counts(con: duckdb.DuckDBPyConnection, table: pd.DataFrame,
                 enc: Encoding | None = None) -> MonthCounts:
    """Leads by month per level of every attribute of the points ``table`` (``enc``, its
    encoding, when known) and per value of each score, counted by DuckDB in one pass
    (module docs: speed)."""
    enc = enc if enc is not None else encoding_from_table(table)
    frame = con.execute(_counts_sql(table, enc, _code_exprs(con, enc))).df()
    undated = int(con.execute("SELECT count(*) - count(created_at) FROM leads").fetchone()[0])
    stamps = pd.to_datetime(frame["_m"]).to_numpy(dtype="datetime64[M]")
    unique, month_of = np.unique(stamps, return_inverse=True)
    months = [dt.date(int(str(m)[:4]), int(str(m)[5:7]), 1) for m in unique]
    n = frame["_n"].to_numpy(dtype=np.float64)
    attributes: list[np.ndarray] = [np.zeros((len(months), a.size)) for a in enc]
    for k, pack in enumerate(_packs(enc)):
        rows = frame[f"_g{k}"].notna().to_numpy()
        sizes = [enc.attributes[i].size for i in pack]
        codes = np.unravel_index(frame.loc[rows, f"_g{k}"].to_numpy(dtype=np.int64), sizes)
        for i, size, c in zip(pack, sizes, codes, strict=True):
            attributes[i] = _month_matrix(month_of[rows], c, n[rows], (len(months), size))
    rows = frame["_p"].notna().to_numpy()
    p = frame.loc[rows, "_p"].to_numpy(dtype=np.int64)
    b = frame.loc[rows, "_b"].to_numpy(dtype=np.int64)
    scores = {}
    for name, values in (("total", total_of(p, b, table)), ("profile", p), ("behavior", b)):
        lo = int(values.min(initial=0))
        hi = int(values.max(initial=0))
        matrix = _month_matrix(month_of[rows], values - lo, n[rows],
                               (len(months), hi - lo + 1))
        scores[name] = (np.arange(lo, hi + 1), matrix)
    return MonthCounts(months, attributes, scores, undated)


# ------------------------------------------------------------------------------- results


@dataclass
class Stability:
    """PSI of each later month against the reference, for the three scores and every
    attribute the weights score, with the levels that moved most.

    ``scores``: one dict per (month, score): ``month, score, leads, psi, flag, enough``.
    ``attributes``: per (month, attribute): ``month, attribute, axis, leads, psi, flag,
    enough, moved`` (the levels that moved most, in words). ``levels``: per (month,
    attribute, level): ``reference_share, share, change, term`` (its part of the PSI).
    ``months``: per later month: ``month, leads, enough``, the three scores' PSI and flags,
    and the attribute that moved most (``moved_most``, ``moved_psi``, ``moved_levels``).
    ``summary``: per attribute, most moved first: its PSI and flag in the latest month with
    at least :data:`MIN_LEADS` leads (the latest month when none has), its highest PSI and
    the month of it, and the levels that moved most. ``bands``: each score's band labels.
    """

    reference: tuple[str, str]
    reference_leads: int
    min_leads: int
    undated: int
    weights_id: int | None
    data_months: list[str]
    months: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)
    levels: list[dict[str, Any]] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)
    bands: dict[str, list[str]] = field(default_factory=dict)

    @property
    def few_leads(self) -> list[str]:
        """The later months with fewer than :data:`MIN_LEADS` leads (their PSI is rough)."""
        return [m["month"] for m in self.months if not m["enough"]]

    def months_frame(self) -> pd.DataFrame:
        """One row per later month (see the class docs)."""
        return pd.DataFrame(self.months)

    def scores_frame(self) -> pd.DataFrame:
        """One row per (month, score)."""
        return pd.DataFrame(self.scores, columns=["month", "score", "leads", "psi", "flag",
                                                  "enough"])

    def attributes_frame(self) -> pd.DataFrame:
        """One row per (month, attribute)."""
        return pd.DataFrame(self.attributes, columns=["month", "attribute", "axis", "leads",
                                                      "psi", "flag", "enough", "moved"])

    def levels_frame(self) -> pd.DataFrame:
        """One row per (month, attribute, level)."""
        return pd.DataFrame(self.levels, columns=["month", "attribute", "level",
                                                  "reference_share", "share", "change",
                                                  "term"])

    def summary_frame(self) -> pd.DataFrame:
        """One row per attribute, most moved first."""
        return pd.DataFrame(self.summary, columns=["attribute", "axis", "month", "psi",
                                                   "flag", "enough", "max_psi", "max_month",
                                                   "moved"])

    def headline(self) -> str:
        """The finding in one line: the attribute that moved most and the scores' state."""
        start, end = self.reference
        where = f"Against {start} to {end}" if start != end else f"Against {start}"
        parts = []
        if self.summary:
            top = self.summary[0]
            moved = f": {top['moved']}" if top["moved"] else ""
            parts.append(f"{top['attribute']} moved most ({top['flag']}, PSI "
                         f"{top['psi']:.2f} in {top['month']}{moved})")
        last = _latest(self.months)
        if last is not None:
            parts.append(f"in {last['month']} the scores are " + ", ".join(
                f"{s} {last[f'{s}_psi']:.2f} {last[f'{s}_flag']}" for s in SCORES))
        text = f"{where}: " + "; ".join(parts) + "."
        if self.months and not any(m["enough"] for m in self.months):
            text += (f" Every month has fewer than {self.min_leads:,} leads: read these "
                     "PSIs as rough.")
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (``calibrate drift --json``)."""
        return {
            "reference": {"start": self.reference[0], "end": self.reference[1],
                          "leads": self.reference_leads},
            "thresholds": {"watch": WATCH, "shifted": SHIFTED},
            "min_leads": self.min_leads, "smoothing": SMOOTHING, "undated": self.undated,
            "weights_id": self.weights_id, "data_months": list(self.data_months),
            "headline": self.headline(), "few_leads": self.few_leads,
            "bands": {k: list(v) for k, v in self.bands.items()},
            "months": _plain(self.months), "scores": _plain(self.scores),
            "attributes": _plain(self.attributes), "summary": _plain(self.summary),
            "levels": _plain(self.levels),
        }


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def one(v: Any) -> Any:
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return v

    return [{k: one(v) for k, v in r.items()} for r in rows]


def _latest(months: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest month with enough leads, else the latest month (None without months)."""
    enough = [m for m in months if m["enough"]]
    return (enough or months or [None])[-1]


def _moved_text(names: list[str], ref: np.ndarray, now: np.ndarray) -> str:
    """The levels whose share changed most, e.g. ``Education 8% → 52%, Software 20% → 11%``."""
    change = now - ref
    order = np.argsort(-np.abs(change), kind="stable")
    picked = [i for i in order[:TOP_LEVELS] if abs(change[i]) >= 0.005]
    return ", ".join(f"{names[i]} {ref[i]:.0%} → {now[i]:.0%}" for i in picked)


# ------------------------------------------------------------------------------ stability


def check_columns(con: duckdb.DuckDBPyConnection, table: pd.DataFrame,
                  what: str = "Drift cannot be computed") -> None:
    """Stop, saying how to fix it, when the leads have no dates or lack a column the
    points table scores (``what`` starts the no-dates message)."""
    physical = {r[0] for r in con.execute("DESCRIBE leads").fetchall()}
    if "created_at" not in physical or not any(
            c.role == "created_at" for c in store.read_columns(con)):
        raise NoDatesError(
            f"{what} without lead dates: the loaded leads have no creation date column.",
            fix="Load leads with the date each lead was created (a column such as "
                "created_at, mapped to the created date role).")
    missing = sorted(set(table["attribute"]) - physical)
    if missing:
        raise CalibrateError(
            f"The loaded leads lack {len(missing)} column(s) the weights score: "
            f"{', '.join(missing)}.", column=missing[0],
            fix="Load leads with those columns, or agree on weights fitted on these leads.")


def stability(con: duckdb.DuckDBPyConnection, weights: Any, reference: Any = None, *,
              min_leads: int = MIN_LEADS) -> Stability:
    """PSI of the scores and of every attribute of ``weights`` (a Weights or its points
    table), each later month against the ``reference`` period (``(start, end)`` months,
    ``"START:END"``, or None for the first :data:`REFERENCE_MONTHS` months with leads;
    at most half the months when the data are shorter)."""
    table = validate_table(getattr(weights, "table", weights))
    check_columns(con, table)
    enc = encoding_from_table(table)
    counted = month_counts(con, table, enc)
    all_months = counted.months
    if not all_months:
        raise NoDatesError("Drift cannot be computed without lead dates: every loaded lead's "
                           "creation date is empty.",
                           fix="Load leads with the date each lead was created.")
    start, end = _reference(reference, all_months)
    in_ref = np.array([start <= m <= end for m in all_months])
    later = [i for i, m in enumerate(all_months) if m > end]
    labels = [month_label(m) for m in all_months]
    undated = counted.undated

    # Scores: counts by value, then by the reference's decile bands.
    score_counts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    bands: dict[str, list[str]] = {}
    for score in SCORES:
        values, counts = counted.scores[score]
        cuts = score_cuts(values, counts[in_ref].sum(axis=0))
        band = np.searchsorted(cuts, values, side="left")
        banded = np.zeros((len(all_months), len(cuts) + 1))
        np.add.at(banded.T, band, counts.T)
        score_counts[score] = (banded[in_ref].sum(axis=0), banded)
        bands[score] = _band_labels(cuts)

    leads = score_counts["total"][1].sum(axis=1)
    result = Stability(
        reference=(month_label(start), month_label(end)),
        reference_leads=int(leads[in_ref].sum()), min_leads=int(min_leads),
        undated=undated, weights_id=getattr(weights, "id", None), data_months=labels,
        bands=bands)
    months: dict[int, dict[str, Any]] = {}
    for i in later:
        months[i] = {"month": labels[i], "leads": int(leads[i]),
                     "enough": bool(leads[i] >= min_leads)}
        for score in SCORES:
            ref, banded = score_counts[score]
            value = psi(ref, banded[i])
            months[i][f"{score}_psi"] = value
            months[i][f"{score}_flag"] = flag(value)
            result.scores.append({"month": labels[i], "score": score, "leads": int(leads[i]),
                                  "psi": value, "flag": flag(value),
                                  "enough": months[i]["enough"]})

    # Attributes: counts by level.
    per_attribute: dict[str, list[dict[str, Any]]] = {}
    for j, a in enumerate(enc):
        counts = counted.attributes[j]
        ref_counts = counts[in_ref].sum(axis=0)
        ref_share = ref_counts / max(ref_counts.sum(), 1.0)
        rows = []
        for i in later:
            n = counts[i].sum()
            share = counts[i] / max(n, 1.0)
            terms = psi_terms(ref_counts, counts[i])
            value = float(terms.sum())
            row = {"month": labels[i], "attribute": a.name, "axis": a.axis, "leads": int(n),
                   "psi": value, "flag": flag(value), "enough": bool(n >= min_leads),
                   "moved": _moved_text(a.levels, ref_share, share)}
            rows.append(row)
            result.attributes.append(row)
            result.levels += [{"month": labels[i], "attribute": a.name, "level": level,
                               "reference_share": float(ref_share[k]),
                               "share": float(share[k]),
                               "change": float(share[k] - ref_share[k]),
                               "term": float(terms[k])}
                              for k, level in enumerate(a.levels)]
        per_attribute[a.name] = rows

    for i in later:
        rows = [r for name in per_attribute for r in per_attribute[name]
                if r["month"] == labels[i]]
        top = max(rows, key=lambda r: r["psi"], default=None)
        months[i].update({"moved_most": top["attribute"] if top else "",
                          "moved_psi": top["psi"] if top else math.nan,
                          "moved_levels": top["moved"] if top else ""})
    result.months = [months[i] for i in later]

    for name, rows in per_attribute.items():
        if not rows:
            continue
        now = _latest(rows)
        reliable = [r for r in rows if r["enough"]] or rows
        peak = max(reliable, key=lambda r: r["psi"])
        result.summary.append({
            "attribute": name, "axis": now["axis"], "month": now["month"], "psi": now["psi"],
            "flag": now["flag"], "enough": now["enough"], "max_psi": peak["psi"],
            "max_month": peak["month"], "moved": now["moved"]})
    result.summary.sort(key=lambda r: -r["psi"])
    return result


"""The encoding of each scored attribute as a small integer code, and the SQL that applies it.

Why: the fit and the score both work on codes, not on strings. Every lead becomes a row of
small integers, so leads with the same codes collapse into one row (``GROUP BY``) and the
design matrix is built straight from the codes. An encoding is plain data, learnt once from
the closed leads (:mod:`calibrate.model.binning`), so the same CASE expressions
(:func:`encode_sql`) serve the fit, the score and the export.

Codes are positions in ``levels``. Every attribute ends with a ``"Missing"`` level (NULL),
and categorical ones have ``"Other"`` (values without a level of their own, compared without
case), even when no lead fell there while learning: new leads can. A numeric level is a bin
``lower <= x < upper`` between ``edges``; a flag is ``"No"``, ``"Yes"``, ``"Missing"``. A
recency attribute (a behavior activity date, kind ``recency``) is binned like a number, on
the whole days from the date to each lead's reference date
(:func:`calibrate.model.recency.days_since_sql`); no date is ``"Missing"``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from calibrate.model.recency import days_since_sql
from calibrate.sql import literal, quote

__all__ = [
    "ANY",
    "AXES",
    "BINNED",
    "AttributeEncoding",
    "Encoding",
    "KINDS",
    "MISSING",
    "NO",
    "OTHER",
    "TODAY",
    "YES",
    "bin_labels",
    "encode_sql",
    "fmt_number",
    "num_literal",
]

OTHER = "Other"
MISSING = "Missing"
NO, YES = "No", "Yes"
#: The one level of a numeric attribute whose values all fell in one bin.
ANY = "Any value"
AXES = ("profile", "behavior")
KINDS = ("categorical", "numeric", "flag", "recency")
#: Kinds binned on a number: a value, or the days since a date.
BINNED = ("numeric", "recency")
#: The reference date of a recency attribute without one: the scoring date, today.
TODAY = "current_date"


def num_literal(value: float) -> str:
    """A DOUBLE literal that round-trips exactly (the numeric cuts of every CASE)."""
    return f"CAST('{float(value)!r}' AS DOUBLE)"


@dataclass
class AttributeEncoding:
    """How one attribute becomes a code: its levels (display labels) and, for numbers, cuts.

    ``edges`` are the interior cut points of a numeric attribute, ascending: level ``i`` holds
    ``edges[i-1] <= x < edges[i]`` (unbounded at the ends); the last level is ``"Missing"``.
    ``counts`` and ``wins`` per level are what the encoding was learnt from (informative).
    A recency attribute's ``edges`` are in days, and ``reference`` is the SQL of each
    row's reference date (:func:`calibrate.model.recency.reference_sql`; empty: today).
    """

    name: str
    axis: str
    kind: str
    levels: list[str]
    edges: list[float] = field(default_factory=list)
    integer: bool = False
    source_type: str = ""
    trend: str = ""
    counts: list[int] = field(default_factory=list)
    wins: list[int] = field(default_factory=list)
    reference: str = ""

    def __post_init__(self) -> None:
        if self.axis not in AXES:
            raise ValueError(f"axis must be one of {AXES}; got {self.axis!r}.")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {self.kind!r}.")
        if not self.levels or self.levels[-1] != MISSING:
            raise ValueError(f"{self.name}: the last level must be {MISSING!r}.")
        if len(set(self.levels)) != len(self.levels):
            raise ValueError(f"{self.name}: level labels must be distinct.")
        if self.kind in BINNED and len(self.edges) != len(self.levels) - 2:
            raise ValueError(f"{self.name}: a {self.kind} attribute needs len(levels) - 2 "
                             "edges.")
        if self.kind == "categorical" and OTHER not in self.levels:
            raise ValueError(f"{self.name}: a categorical attribute needs an {OTHER!r} level.")

    @property
    def size(self) -> int:
        """Number of levels (codes run from 0 to size - 1)."""
        return len(self.levels)

    @property
    def missing_code(self) -> int:
        return len(self.levels) - 1

    @property
    def other_code(self) -> int | None:
        return self.levels.index(OTHER) if self.kind == "categorical" else None

    def values(self) -> list[str]:
        """Categorical: the stored values that have a level of their own, in code order."""
        if self.kind != "categorical":
            return []
        return [v for v in self.levels if v not in (OTHER, MISSING)]

    def bounds(self) -> list[tuple[float, float]]:
        """Per level ``(lower, upper)``: numeric bin bounds, NaN when unbounded or not a bin."""
        nan = float("nan")
        if self.kind not in BINNED:
            return [(nan, nan)] * self.size
        cuts = [nan, *self.edges, nan]
        return [(cuts[i], cuts[i + 1]) for i in range(self.size - 1)] + [(nan, nan)]

    def sql(self, column: str | None = None, reference: str | None = None) -> str:
        """A CASE expression giving this attribute's code for one row.

        ``column`` is the SQL expression of the stored value (default: the quoted name; a
        recency attribute's: the days since its date column to ``reference``, default
        its own ``reference``, else today). Values are written as escaped literals, never
        spliced raw.
        """
        if self.kind == "recency" and column is None:
            column = days_since_sql(quote(self.name),
                                    reference or self.reference or TODAY)
        col = column or quote(self.name)
        m = self.missing_code
        if self.kind == "categorical":
            # Without case, as marketing-automation platforms compare text ("google" is
            # the level "Google"); levels are distinct without case (see binning).
            x = f"lower(CAST({col} AS VARCHAR))"
            whens = " ".join(f"WHEN {literal(v.lower())} THEN {i}"
                             for i, v in enumerate(self.levels) if v not in (OTHER, MISSING))
            return (f"(CASE WHEN {x} IS NULL THEN {m} ELSE CASE {x} {whens} "
                    f"WHEN {literal(MISSING.lower())} THEN {m} ELSE {self.other_code} END END)")
        if self.kind == "flag":
            x = f"TRY_CAST({col} AS BOOLEAN)"
            return f"(CASE WHEN {x} IS NULL THEN {m} WHEN {x} THEN 1 ELSE 0 END)"
        x = f"TRY_CAST({col} AS DOUBLE)"
        whens = " ".join(f"WHEN {x} < {num_literal(e)} THEN {i}"
                         for i, e in enumerate(self.edges))
        return f"(CASE WHEN {x} IS NULL THEN {m} {whens} ELSE {len(self.edges)} END)"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttributeEncoding:
        return cls(**data)


@dataclass
class Encoding:
    """The encodings of all attributes of a fit, in a fixed order (the design's columns)."""

    attributes: list[AttributeEncoding]
    leads: int = 0
    min_count: int = 0
    skipped: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[AttributeEncoding]:
        return iter(self.attributes)

    def __len__(self) -> int:
        return len(self.attributes)

    def __getitem__(self, name: str) -> AttributeEncoding:
        for a in self.attributes:
            if a.name == name:
                return a
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.attributes]

    @property
    def sizes(self) -> np.ndarray:
        return np.array([a.size for a in self.attributes], dtype=np.int64)

    @property
    def offsets(self) -> np.ndarray:
        """Column offset of each attribute in the one-hot design."""
        sizes = self.sizes
        return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

    def select(self, names: Sequence[str]) -> Encoding:
        """The encoding restricted to ``names`` (in this encoding's order)."""
        keep = set(names)
        return Encoding([a for a in self.attributes if a.name in keep], self.leads,
                        self.min_count, dict(self.skipped))

    def to_dict(self) -> dict[str, Any]:
        return {"attributes": [a.to_dict() for a in self.attributes], "leads": self.leads,
                "min_count": self.min_count, "skipped": dict(self.skipped)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Encoding:
        return cls([AttributeEncoding.from_dict(a) for a in data["attributes"]],
                   int(data.get("leads", 0)), int(data.get("min_count", 0)),
                   dict(data.get("skipped", {})))


def encode_sql(encoding: Encoding | Sequence[AttributeEncoding],
               reference: str | None = None) -> str:
    """SELECT expressions turning a row of ``leads`` into one code per attribute.

    Each expression is aliased with the attribute's (quoted) name, e.g.
    ``SELECT lead_id, {encode_sql(enc)} FROM leads``. The fit and the score use this same
    function, so a lead always gets the same code in both. ``reference`` (SQL) is the
    date recency attributes count to (default: each one's own, else today).
    """
    attrs = list(encoding)
    if not attrs:
        raise ValueError("the encoding has no attributes")
    return ", ".join(f"{a.sql(reference=reference)} AS {quote(a.name)}" for a in attrs)


# ------------------------------------------------------------------------ bin labels


def fmt_number(value: float) -> str:
    """A number as a person writes it: no exponent, thousands separators, no trailing zeros."""
    if float(value).is_integer():
        return f"{int(value):,}"
    text = np.format_float_positional(float(value), trim="-", precision=12)
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}" + (f".{frac}" if frac else "")


def bin_labels(edges: Sequence[float], integer: bool, data_min: float) -> list[str]:
    """Display labels of the bins cut at ``edges`` (without the Missing level)."""
    if not edges:
        return [ANY]
    labels = []
    k = len(edges)
    for i in range(k + 1):
        lo = edges[i - 1] if i > 0 else None
        hi = edges[i] if i < k else None
        if integer:
            if lo is None:
                top = hi - 1
                if data_min == 0 and top >= 0:
                    labels.append("0" if top == 0 else f"0-{fmt_number(top)}")
                else:
                    labels.append(f"<= {fmt_number(top)}")
            elif hi is None:
                labels.append(f"{fmt_number(lo)}+")
            else:
                top = hi - 1
                sep = " to " if lo < 0 or top < 0 else "-"
                labels.append(fmt_number(lo) if top == lo
                              else f"{fmt_number(lo)}{sep}{fmt_number(top)}")
        else:
            if lo is None:
                labels.append(f"< {fmt_number(hi)}")
            elif hi is None:
                labels.append(f">= {fmt_number(lo)}")
            else:
                labels.append(f"{fmt_number(lo)} to < {fmt_number(hi)}")
    return labels

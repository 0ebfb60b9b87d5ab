"""The MQL thresholds, one typed definition for the workshop, scenarios, scoring and exports.

A :class:`Bar` is one pair of minimums (profile and behavior, mode ``both``) or one minimum
total (mode ``total``). :class:`Thresholds` is the whole definition a team agrees on: the
main bar, segments with a bar of their own, or a definition limited to one segment. Scenarios,
agreements and weights files keep it as :meth:`Thresholds.to_dict`::

    {"mode": "both", "min_profile": 60, "min_behavior": 45,
     "segments": {"Enterprise": {"mode": "both", "min_profile": 70, "min_behavior": 40}}}

Everything that takes thresholds accepts that mapping or the object; :meth:`Thresholds.of`
is the one conversion. Segment values match trimmed and without case, as the exported SQL and
rules lists match them (:func:`segment_key`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MODES = ("both", "total")
KEYS = ("mode", "min_profile", "min_behavior", "min_total")
NOBODY = 101  # a bar above every score


def segment_key(value: Any) -> str:
    """How segment values are matched: trimmed, without case (SQL ``LOWER(TRIM(x))``)."""
    return str(value).strip().lower()


@dataclass(frozen=True)
class Bar:
    """One bar: ``profile >= min_profile and behavior >= min_behavior`` (mode ``both``) or
    ``total >= min_total`` (mode ``total``). A minimum left out lets nobody through.

    Examples
    --------
    >>> from calibrate.thresholds import Bar
    >>> Bar(min_profile=60, min_behavior=45).describe()
    'profile ≥ 60 and behavior ≥ 45'
    >>> Bar(mode="total", min_total=55).passes([0], [0], [55]).tolist()
    [True]
    """

    mode: str = "both"
    min_profile: int | None = None
    min_behavior: int | None = None
    min_total: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be 'both' or 'total', not {self.mode!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Bar:
        """Read a bar as scenarios keep it (a missing mode is ``both``).

        Examples
        --------
        >>> Bar.from_dict({"min_profile": 60, "min_behavior": 45})
        Bar(mode='both', min_profile=60, min_behavior=45, min_total=None)
        """
        def number(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(value)

        return cls(str(data.get("mode") or "both"), number("min_profile"),
                   number("min_behavior"), number("min_total"))

    def to_dict(self) -> dict[str, Any]:
        """The stored form: the mode and every minimum that is set.

        Examples
        --------
        >>> Bar("total", min_total=55).to_dict()
        {'mode': 'total', 'min_total': 55}
        """
        out: dict[str, Any] = {"mode": self.mode}
        out.update({k: getattr(self, k) for k in KEYS[1:] if getattr(self, k) is not None})
        return out

    @property
    def applied(self) -> tuple[str, ...]:
        """The minimums the mode applies.

        Examples
        --------
        >>> Bar(min_profile=1, min_behavior=2, min_total=3).applied
        ('min_profile', 'min_behavior')
        """
        return ("min_total",) if self.mode == "total" else ("min_profile", "min_behavior")

    def value(self, key: str) -> int:
        """A minimum as the rule applies it (:data:`NOBODY` when it is not set).

        Examples
        --------
        >>> Bar(min_profile=60).value("min_profile"), Bar(min_profile=60).value("min_behavior")
        (60, 101)
        """
        got = getattr(self, key)
        return NOBODY if got is None else int(got)

    def same_as(self, other: Bar) -> bool:
        """Whether the two bars let exactly the same scores through.

        Examples
        --------
        >>> Bar(min_profile=60, min_behavior=45, min_total=10).same_as(Bar(min_profile=60,
        ...                                                                min_behavior=45))
        True
        """
        return self.mode == other.mode and all(
            self.value(k) == other.value(k) for k in self.applied)

    def passes(self, profile: Any, behavior: Any, total: Any) -> np.ndarray:
        """Whether each score reaches the bar (``>=``).

        Examples
        --------
        >>> Bar(min_profile=60, min_behavior=45).passes([60, 59], [45, 45], [0, 0]).tolist()
        [True, False]
        """
        if self.mode == "total":
            return np.asarray(total, dtype=float) >= self.value("min_total")
        return (np.asarray(profile, dtype=float) >= self.value("min_profile")) & (
            np.asarray(behavior, dtype=float) >= self.value("min_behavior"))

    def describe(self) -> str:
        """"profile ≥ 40 and behavior ≥ 30", or "total ≥ 55".

        Examples
        --------
        >>> Bar("total", min_total=55).describe()
        'total ≥ 55'
        """
        if self.mode == "total":
            return f"total ≥ {self.min_total}"
        return f"profile ≥ {self.min_profile} and behavior ≥ {self.min_behavior}"

    def clause(self, both: str = "and") -> str:
        """The bar as a sentence ends: "its total score is at least 55".

        Examples
        --------
        >>> Bar(min_profile=60, min_behavior=45).clause("**and**")
        'its profile score is at least 60 **and** its behavior score is at least 45'
        """
        if self.mode == "total":
            return f"its total score is at least {self.min_total}"
        return (f"its profile score is at least {self.min_profile} {both} its behavior "
                f"score is at least {self.min_behavior}")


@dataclass(frozen=True)
class Thresholds:
    """The whole MQL definition: a main bar, segments with their own, and the one segment the
    definition is limited to (if any).

    Examples
    --------
    >>> from calibrate.thresholds import Bar, Thresholds
    >>> t = Thresholds(Bar(min_profile=60, min_behavior=45),
    ...                {"Enterprise": Bar(min_profile=70, min_behavior=40)})
    >>> t.describe()
    'profile ≥ 60 and behavior ≥ 45; Enterprise: profile ≥ 70 and behavior ≥ 40'
    >>> t.reaches([65, 65], [42, 42], [0, 0], segment=["SMB", " enterprise"]).tolist()
    [False, False]
    >>> Thresholds.of(t.to_dict()) == t
    True
    """

    main: Bar | None = None
    segments: Mapping[str, Bar] = field(default_factory=dict)
    only: str | None = None

    @classmethod
    def of(cls, value: ThresholdsLike) -> Thresholds:
        """The thresholds from a stored mapping (or themselves); None or ``{}`` is none.

        Examples
        --------
        >>> Thresholds.of({"mode": "total", "min_total": 55, "segment": "SMB"}).describe()
        'SMB: total ≥ 55'
        >>> bool(Thresholds.of(None))
        False
        """
        if isinstance(value, Thresholds):
            return value
        if not value:
            return cls()
        main = Bar.from_dict(value) if any(k in value for k in KEYS) else None
        segments = {str(k): Bar.from_dict(v) for k, v in (value.get("segments") or {}).items()}
        only = value.get("segment")
        return cls(main, segments, str(only) if only not in (None, "") else None)

    @classmethod
    def build(cls, main: Bar, segments: Mapping[str, Bar] | None = None,
              only: str | None = None) -> Thresholds:
        """A definition from the main bar and per-segment bars; segments whose bar lets the
        same scores through as the main one are left out.

        Examples
        --------
        >>> main = Bar(min_profile=60, min_behavior=45)
        >>> list(Thresholds.build(main, {"SMB": main, "Enterprise": Bar("both", 70, 45)}
        ...                       ).segments)
        ['Enterprise']
        """
        own = {str(s): b for s, b in (segments or {}).items() if not b.same_as(main)}
        return cls(main, own, only or None)

    def __bool__(self) -> bool:
        return self.main is not None or bool(self.segments)

    def to_dict(self) -> dict[str, Any]:
        """The stored form (see the module docstring); ``{}`` for no thresholds.

        Examples
        --------
        >>> Thresholds(Bar(min_profile=60, min_behavior=45), {"EMEA": Bar("total",
        ...            min_total=50)}).to_dict()                  # doctest: +NORMALIZE_WHITESPACE
        {'mode': 'both', 'min_profile': 60, 'min_behavior': 45,
         'segments': {'EMEA': {'mode': 'total', 'min_total': 50}}}
        """
        out: dict[str, Any] = self.main.to_dict() if self.main is not None else {}
        if self.segments:
            out["segments"] = {s: b.to_dict() for s, b in self.segments.items()}
        if self.only:
            out["segment"] = self.only
        return out

    def bar_for(self, segment: str | None) -> Bar | None:
        """The bar a segment's leads must reach (its own, else the main one).

        Examples
        --------
        >>> t = Thresholds(Bar(min_profile=60, min_behavior=45), {"EMEA": Bar("total",
        ...                min_total=50)})
        >>> t.bar_for(" emea").describe(), t.bar_for("APAC").describe()
        ('total ≥ 50', 'profile ≥ 60 and behavior ≥ 45')
        """
        if segment is not None:
            key = segment_key(segment)
            for name, bar in self.segments.items():
                if segment_key(name) == key:
                    return bar
        return self.main

    def reaches(self, profile: Any, behavior: Any, total: Any, segment: Any = None
                ) -> np.ndarray:
        """Whether each lead reaches the bar of its segment (before the auto-rules).

        ``segment`` holds each lead's segment value; it is needed only when the thresholds
        are per segment (a ``ValueError`` says so otherwise).

        Examples
        --------
        >>> t = Thresholds(Bar("total", min_total=50), only="EMEA")
        >>> t.reaches([0, 0], [0, 0], [50, 50], segment=["EMEA", "APAC"]).tolist()
        [True, False]
        """
        if self.main is None:
            out = np.zeros(np.asarray(profile, dtype=float).shape, dtype=bool)
        else:
            out = self.main.passes(profile, behavior, total)
        if not self.segments and self.only is None:
            return out
        if segment is None:
            raise ValueError("the thresholds are per segment but the leads' segments are "
                             "unknown")
        keys = pd.Series(segment).map(
            lambda v: None if pd.isna(v) else segment_key(v)).to_numpy()
        if self.only is not None:
            out = out & (keys == segment_key(self.only))
        for name, bar in self.segments.items():
            out = np.where(keys == segment_key(name), bar.passes(profile, behavior, total), out)
        return out

    def describe(self) -> str:
        """The whole definition in a line: "profile ≥ 60 and behavior ≥ 45; Enterprise:
        total ≥ 55" (segments with their own bar after the main one).

        Examples
        --------
        >>> Thresholds().describe()
        'no thresholds'
        """
        return "; ".join(self.lines()) if self else "no thresholds"

    def lines(self) -> list[str]:
        """The definition a bar a line, as :meth:`describe` words each: the main bar
        (after its segment when limited to one), then each segment with its own bar
        (``[]`` for no thresholds).

        Examples
        --------
        >>> Thresholds(Bar(min_profile=60, min_behavior=45), {"EMEA": Bar("total",
        ...            min_total=50)}).lines()
        ['profile ≥ 60 and behavior ≥ 45', 'EMEA: total ≥ 50']
        """
        if not self:
            return []
        text = self.main.describe() if self.main is not None else "no main bar"
        if self.only is not None:
            text = f"{self.only}: {text}"
        return [text] + [f"{s}: {b.describe()}" for s, b in self.segments.items()]

    def sentences(self, *, name: Callable[[str], str] = str, both: str = "and") -> list[str]:
        """The definition as the agreement page words it, a sentence per bar; ``name``
        writes a segment's name for the page's format (escaping it), ``both`` the word
        joining two minimums ("**and**" in Markdown).

        Examples
        --------
        >>> Thresholds(Bar("total", min_total=55)).sentences()
        ['A lead is an MQL when its total score is at least 55.']
        """
        out = []
        if self.main is not None and self.only is not None:
            out += [f"In segment {name(self.only)}, a lead is an MQL when "
                    f"{self.main.clause(both)}.",
                    "Leads in other segments are not MQLs unless an auto-rule qualifies them."]
        elif self.main is not None:
            out.append(f"A lead is an MQL when {self.main.clause(both)}.")
        out += [f"In segment {name(seg)}, instead, a lead is an MQL when {bar.clause(both)}."
                for seg, bar in self.segments.items()]
        return out


ThresholdsLike = Thresholds | Mapping[str, Any] | None

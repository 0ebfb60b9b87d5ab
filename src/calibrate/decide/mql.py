"""The MQL rule on scored leads, one definition for scoring, the agreement and its wording.

A lead is an MQL when it passes the bar of its segment (profile >= min_profile and
behavior >= min_behavior; or total >= min_total in mode ``total``) and no auto-rule
disqualifies it, or an auto-rule qualifies it whatever its score. The bar is a thresholds
mapping as scenarios keep it::

    {"mode": "both", "min_profile": 60, "min_behavior": 45,
     "segments": {"Enterprise": {"mode": "both", "min_profile": 70, "min_behavior": 40}}}

``segments`` gives some segments their own bar (the others keep the main one); a
``segment`` key instead limits the whole definition to that one segment (leads elsewhere
are not MQLs unless auto-qualified). Segment values match trimmed and without case, as the
exported SQL and rules lists match them. The count grid applies the same rule to counts
(:mod:`calibrate.decide.tradeoff`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

KEYS = ("mode", "min_profile", "min_behavior", "min_total")
NOBODY = 101  # a bar above every score


@dataclass(frozen=True)
class Bars:
    """A thresholds mapping taken apart: the main bar, segments with their own, and the
    one segment the definition is limited to (if any)."""

    main: Mapping[str, Any] | None
    segments: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    only: str | None = None


def segment_key(value: Any) -> str:
    """How segment values are matched: trimmed, without case (SQL ``LOWER(TRIM(x))``)."""
    return str(value).strip().lower()


def bars(thresholds: Mapping[str, Any] | None) -> Bars:
    """Split a thresholds mapping into its main bar and per-segment bars."""
    if not thresholds:
        return Bars(None)
    main = {k: thresholds[k] for k in KEYS if k in thresholds} or None
    segments = {str(k): dict(v) for k, v in (thresholds.get("segments") or {}).items()}
    only = thresholds.get("segment")
    return Bars(main, segments, str(only) if only not in (None, "") else None)


def thresholds_of(main: Mapping[str, Any], segments: Mapping[str, Mapping[str, Any]]
                  | None = None, only: str | None = None) -> dict[str, Any]:
    """The thresholds mapping for a main bar and per-segment bars (the inverse of
    :func:`bars`); segments whose bar equals the main one are left out."""
    out: dict[str, Any] = {k: main[k] for k in KEYS if k in main}
    own = {str(s): {k: t[k] for k in KEYS if k in t} for s, t in (segments or {}).items()}
    own = {s: t for s, t in own.items() if not same_bar(t, out)}
    if own:
        out["segments"] = own
    if only:
        out["segment"] = only
    return out


def same_bar(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two bars let exactly the same scores through."""
    mode = a.get("mode", "both")
    if mode != b.get("mode", "both"):
        return False
    keys = ("min_total",) if mode == "total" else ("min_profile", "min_behavior")
    return all(int(a.get(k, NOBODY)) == int(b.get(k, NOBODY)) for k in keys)


def passes(bar: Mapping[str, Any] | None, profile: Any, behavior: Any, total: Any
           ) -> np.ndarray:
    """Whether each score reaches the bar (>=); nobody passes a missing bar."""
    profile = np.asarray(profile, dtype=float)
    if not bar:
        return np.zeros(profile.shape, dtype=bool)
    if bar.get("mode") == "total":
        return np.asarray(total, dtype=float) >= int(bar.get("min_total", NOBODY))
    return (profile >= int(bar.get("min_profile", NOBODY))) & (
        np.asarray(behavior, dtype=float) >= int(bar.get("min_behavior", NOBODY)))


def reaches_bar(thresholds: Mapping[str, Any] | None, profile: Any, behavior: Any, total: Any,
                segment: Any = None) -> np.ndarray:
    """Whether each lead reaches the bar of its segment (before the auto-rules).

    ``segment`` holds each lead's segment value; it is needed only when the thresholds
    are per segment (a ``ValueError`` says so otherwise).
    """
    b = bars(thresholds)
    out = passes(b.main, profile, behavior, total)
    if not b.segments and b.only is None:
        return out
    if segment is None:
        raise ValueError("the thresholds are per segment but the leads' segments are unknown")
    keys = pd.Series(segment).map(lambda v: None if pd.isna(v) else segment_key(v)).to_numpy()
    if b.only is not None:
        out = out & (keys == segment_key(b.only))
    for name, bar in b.segments.items():
        mine = keys == segment_key(name)
        out = np.where(mine, passes(bar, profile, behavior, total), out)
    return out


def is_mql(frame: pd.DataFrame, thresholds: Mapping[str, Any] | None,
           segment: str | None = None) -> pd.Series:
    """Whether each scored lead (``profile_points``, ``behavior_points``, ``total``,
    ``rule``) is an MQL: its segment's bar (``segment``: the frame's column holding it)
    after the auto-rules."""
    rule = frame["rule"].fillna("").astype(str)
    seg = frame[segment] if segment is not None and segment in frame else None
    passed = reaches_bar(thresholds, frame["profile_points"], frame["behavior_points"],
                         frame["total"], seg)
    qualified = rule.str.startswith("qualified")
    disqualified = rule.str.startswith("disqualified")
    return (pd.Series(passed, index=frame.index) | qualified) & ~disqualified


def describe_bar(bar: Mapping[str, Any]) -> str:
    """"profile ≥ 40 and behavior ≥ 30", or "total ≥ 55"."""
    if bar.get("mode") == "total":
        return f"total ≥ {bar.get('min_total')}"
    return f"profile ≥ {bar.get('min_profile')} and behavior ≥ {bar.get('min_behavior')}"


def describe(thresholds: Mapping[str, Any] | None) -> str:
    """The whole definition in a line: "profile ≥ 60 and behavior ≥ 45; Enterprise: total
    ≥ 55" (segments with their own bar after the main one)."""
    b = bars(thresholds)
    if b.main is None and not b.segments:
        return "no thresholds"
    text = describe_bar(b.main) if b.main is not None else "no main bar"
    if b.only is not None:
        text = f"{b.only}: {text}"
    return "; ".join([text] + [f"{s}: {describe_bar(t)}" for s, t in b.segments.items()])


def sentences(thresholds: Mapping[str, Any] | None, *,
              name: Callable[[str], str] = str, both: str = "and") -> list[str]:
    """The definition as the agreement page words it, a sentence per bar; ``name`` writes
    a segment's name for the page's format (escaping it), ``both`` the word joining two
    thresholds ("**and**" in Markdown)."""
    b = bars(thresholds)
    out = []
    if b.main is not None and b.only is not None:
        out += [f"In segment {name(b.only)}, a lead is an MQL when {_clause(b.main, both)}.",
                "Leads in other segments are not MQLs unless an auto-rule qualifies them."]
    elif b.main is not None:
        out.append(f"A lead is an MQL when {_clause(b.main, both)}.")
    out += [f"In segment {name(seg)}, instead, a lead is an MQL when {_clause(bar, both)}."
            for seg, bar in b.segments.items()]
    return out


def _clause(bar: Mapping[str, Any], both: str) -> str:
    if bar.get("mode") == "total":
        return f"its total score is at least {bar.get('min_total')}"
    return (f"its profile score is at least {bar.get('min_profile')} {both} its behavior "
            f"score is at least {bar.get('min_behavior')}")

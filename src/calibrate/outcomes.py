"""Normalising the outcome labels of CRM exports to won / lost / no_decision / open."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

OUTCOMES = ("won", "lost", "no_decision", "open")
CLOSED = ("won", "lost", "no_decision")

_KNOWN: dict[str, tuple[str, ...]] = {
    "won": (
        "won", "win", "closed won", "closedwon", "converted", "customer", "1", "1.0", "yes",
        "y", "true", "t", "success", "successful", "signed", "booked",
    ),
    "lost": (
        "lost", "loss", "closed lost", "closedlost", "0", "0.0", "no", "n", "false", "f",
        "not converted", "unsuccessful", "failure", "disqualified",
    ),
    "no_decision": (
        "no decision", "nodecision", "closed no decision", "closed nodecision", "stalled",
        "no decision made", "closed stalled", "no action", "did nothing",
    ),
    "open": (
        "", "open", "in progress", "inprogress", "working", "new", "pending", "active",
        "qualifying", "nurturing", "nurture",
    ),
}


def _key(label: str | None) -> str:
    """Lower case, with punctuation and runs of spaces folded, for matching."""
    if label is None:
        return ""
    text = re.sub(r"[\s_\-/:.]+", " ", str(label).strip().lower())
    return text.strip()


_LOOKUP = {_key(v): outcome for outcome, values in _KNOWN.items() for v in values}
_LOOKUP["1.0"] = "won"
_LOOKUP["0.0"] = "lost"


def normalise(label: str | None, extra: Mapping[str, Iterable[str]] | None = None) -> str | None:
    """The outcome a raw label stands for, or ``None`` when it is not recognised.

    ``extra`` maps an outcome to more labels (from a mapping file); it wins over the
    built-in vocabulary.
    """
    key = _key(label)
    if extra:
        for outcome, labels in extra.items():
            if key in {_key(v) for v in labels}:
                return outcome
    return _LOOKUP.get(key)


def normalise_all(
    labels: Iterable[str | None], extra: Mapping[str, Iterable[str]] | None = None
) -> tuple[dict[str | None, str], list[str | None]]:
    """Map every distinct label; return ``(mapping, unknown_labels)``."""
    mapping: dict[str | None, str] = {}
    unknown: list[str | None] = []
    for label in labels:
        outcome = normalise(label, extra)
        if outcome is None:
            unknown.append(label)
        else:
            mapping[label] = outcome
    return mapping, unknown


def looks_like_outcome_values(labels: Iterable[str | None]) -> bool:
    """Whether a column's distinct values are mostly outcome labels (used to guess it)."""
    values = [v for v in labels if _key(v)]
    if not values:
        return False
    known = sum(1 for v in values if normalise(v) is not None)
    return known / len(values) >= 0.8

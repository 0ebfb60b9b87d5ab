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


#: Fewer won leads than this and the suggested weights are flagged as unreliable.
MIN_RELIABLE_WINS = 30


def fit_warnings(counts: Mapping[str, int]) -> list[str]:
    """What the outcome counts mean for a fit: impossible (one side missing) or unreliable.

    Shown after an ingest and on the Data page, before anyone tries to fit.
    """
    won = int(counts.get("won", 0))
    not_won = int(counts.get("lost", 0)) + int(counts.get("no_decision", 0))
    if not won and not not_won:
        return ["No closed leads (won, lost or no decision): weights cannot be suggested "
                "from this file; it can only be scored with agreed weights."]
    if not won:
        return [f"No won leads among the {not_won:,} closed ones: weights cannot be "
                "suggested (a fit needs both won and not-won closed leads). Check the outcome "
                "column and its labels, or load leads that include wins."]
    if not not_won:
        return [f"Only won leads ({won:,}), none lost or no decision: weights cannot be "
                "suggested (a fit needs both won and not-won closed leads). Load the lost "
                "leads too."]
    if won < MIN_RELIABLE_WINS:
        return [f"Only {won:,} won lead{'s' if won > 1 else ''}: suggested weights will be "
                f"unreliable ({MIN_RELIABLE_WINS} or more are needed). Load a longer period "
                "of leads."]
    return []

"""Normalising the outcome labels of CRM exports to won / lost / no_decision / open.

One table, ``LABELS``, lists the labels each outcome is written as (Salesforce, HubSpot,
Dynamics 365, Pipedrive, Zoho, common words, and six European languages). Matching is on
the trimmed, case-folded, accent-folded label with punctuation runs folded to one space, so
"Closed - Won", "closed_won" and "CLOSED WON" are one label and "Gagné" is "gagne".

``rank_outcome_candidates`` finds the columns whose *values* look like an outcome; the name
of a column only breaks ties between columns whose values qualify.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from calibrate.vocabulary import PLACEHOLDERS

OUTCOMES = ("won", "lost", "no_decision", "open")
CLOSED = ("won", "lost", "no_decision")

#: The labels of each outcome. Mid-pipeline stages are open.
LABELS: dict[str, tuple[str, ...]] = {
    "won": (
        # common words and flags
        "won", "win", "converted", "customer", "success", "successful", "signed", "booked",
        "subscribed", "1", "1.0", "yes", "y", "true", "t",
        # Salesforce opportunity stage and lead status; Zoho; HubSpot deal stage
        "closed won", "closedwon", "closed converted",
        # Dynamics 365 lead status
        "qualified",
        # German, French, Spanish, Portuguese, Italian, Dutch
        "gewonnen", "abgeschlossen gewonnen",
        "gagne", "gagnee", "ferme gagne", "fermee gagnee",
        "ganado", "ganada", "cerrado ganado", "cerrada ganada",
        "ganho", "ganha", "fechado ganho", "fechada ganha",
        "vinto", "vinta", "chiuso vinto", "chiusa vinta",
        "gesloten gewonnen",
    ),
    "lost": (
        "lost", "loss", "not converted", "unsuccessful", "failure", "disqualified",
        "not subscribed", "unqualified", "0", "0.0", "no", "n", "false", "f",
        "closed lost", "closedlost", "closed not converted", "closed lost to competition",
        "verloren", "abgeschlossen verloren",
        "perdu", "perdue", "ferme perdu", "fermee perdue",
        "perdido", "perdida", "cerrado perdido", "cerrada perdida",
        "fechado perdido", "fechada perdida",
        "perso", "persa", "chiuso perso", "chiusa persa",
        "gesloten verloren",
    ),
    "no_decision": (
        "no decision", "nodecision", "closed no decision", "closed nodecision", "stalled",
        "no decision made", "closed stalled", "no action", "did nothing", "bad timing",
        "recycled",
        "keine entscheidung", "sans decision", "aucune decision", "sin decision",
        "sem decisao", "nessuna decisione", "geen beslissing",
    ),
    "open": (
        "", "open", "in progress", "inprogress", "working", "new", "pending", "active",
        "qualifying", "nurturing", "nurture", "engaging",
        # Salesforce opportunity stages and lead statuses
        "prospecting", "qualification", "needs analysis", "value proposition",
        "id decision makers", "perception analysis", "proposal price quote",
        "negotiation review", "open not contacted", "working contacted",
        # HubSpot deal stages and lead statuses
        "appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
        "decisionmakerboughtin", "contractsent", "open deal", "attempted to contact",
        "connected",
        "offen", "in bearbeitung",
        "ouvert", "ouverte", "en cours",
        "abierto", "abierta", "en curso",
        "aberto", "aberta", "em andamento",
        "aperto", "aperta", "in corso",
        "lopend",
    ),
}

#: Labels of ``LABELS`` that are generic (flags, booleans): common in columns that are not
#: outcomes ("Do Not Email", "housing"), so they count for less when a column is guessed.
GENERIC = frozenset({
    "1", "1.0", "yes", "y", "true", "t", "success", "successful", "subscribed",
    "0", "0.0", "no", "n", "false", "f", "unsuccessful", "failure", "not subscribed",
})

#: Values that mean "missing" when a column's values are weighed (those cleaning treats so).
MISSING = PLACEHOLDERS

#: The punctuation a label key folds to a space, with runs of spaces (``label_key``; the
#: count grid's portable SQL folds the same: :mod:`calibrate.export.grid_sql`).
FOLDED = "_-/:."
_FOLD = re.compile(r"[\s" + re.escape(FOLDED) + "]+")


def label_key(label: object) -> str:
    """Case- and accent-folded, with punctuation and runs of spaces folded, for matching."""
    if label is None:
        return ""
    text = unicodedata.normalize("NFKD", str(label).strip().casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _FOLD.sub(" ", text).strip()


def _lookup() -> dict[str, str]:
    """The label key -> outcome table, built from ``LABELS`` and checked against ``GENERIC``."""
    table: dict[str, str] = {}
    for outcome, labels in LABELS.items():
        for label in labels:
            key = label_key(label)
            if table.setdefault(key, outcome) != outcome:
                raise ValueError(f"label {label!r} is listed under two outcomes")
    if stray := {label_key(v) for v in GENERIC} - table.keys():
        raise ValueError(f"GENERIC lists labels LABELS does not: {sorted(stray)}")
    return table


_LOOKUP = _lookup()
_GENERIC = frozenset(label_key(v) for v in GENERIC)


def known_labels() -> dict[str, str]:
    """Every built-in label key (:func:`label_key`) and the outcome it stands for: the
    table :func:`normalise` reads."""
    return dict(_LOOKUP)


def normalise(label: str | None, extra: Mapping[str, Iterable[str]] | None = None) -> str | None:
    """The outcome a raw label stands for, or ``None`` when it is not recognised.

    ``extra`` maps an outcome to more labels (from a mapping file); it wins over the
    built-in vocabulary.
    """
    key = label_key(label)
    if extra:
        for outcome, labels in extra.items():
            if key in {label_key(v) for v in labels}:
                return outcome
    return _LOOKUP.get(key)


def label_overrides(choices: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """The ``[outcomes]`` of a mapping from (label, chosen outcome) pairs: only the labels
    whose choice differs from the built-in vocabulary (unknown ones, or overridden)."""
    out: dict[str, list[str]] = {}
    for label, chosen in choices:
        if chosen != normalise(label):
            out.setdefault(chosen, []).append(label)
    return out


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
    values = [v for v in labels if label_key(v)]
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


# --- Which column is the outcome -------------------------------------------------------------

#: Share of a column's non-missing rows that must be outcome words (rule a).
OUTCOME_WORD_SHARE = 0.8
_BASE_WORDS, _BASE_PAIR = 10.0, 3.0

_OUTCOME_NAME = re.compile(
    r"\b(?:outcomes?|status|stage|result|results|converted|conversion|won|wins?|subscribed|"
    r"response|responded|ergebnis|statut|resultat|resultado|resultados|esito|estado|stato|"
    r"fase|etapa|etape)\b"
)
_ATTRIBUTE_NAME = re.compile(
    r"\b(?:do not|dont|dnc|opt(?:ed)? out|optout|unsubscribed?|e ?mails?|mail|calls?|phone|"
    r"sms|housing|default|loans?|credit|mortgage|search|newsletter|magazine|newspaper|"
    r"advertisement|forums?|recommendations?|updates?|previous|prior|campaign)\b"
)
_BARE_OUTCOME_NAMES = frozenset({"y", "target", "label", "class"})


def outcome_name_hint(name: str) -> int:
    """What a column's name says: +1 an outcome, -1 an attribute or flag, 0 nothing or both.

    The name is case- and accent-folded and split into words (at punctuation, camelCase
    and digits); a bare ``y``, ``target``, ``label`` or ``class`` counts as an outcome.
    """
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ",
                    str(name))
    words = " ".join(re.findall(r"[^\W_]+", label_key(spaced)))
    if words in _BARE_OUTCOME_NAMES:
        return 1
    outcome, attribute = bool(_OUTCOME_NAME.search(words)), bool(_ATTRIBUTE_NAME.search(words))
    return int(outcome) - int(attribute)


@dataclass(frozen=True)
class OutcomeCandidate:
    """A column whose values look like an outcome.

    Attributes
    ----------
    column : the header as written.
    counts : its non-missing values and their rows, commonest first (from the sample;
        spellings that match alike are merged under the commonest one).
    score : higher is likelier; outcome words outrank any yes/no-style pair.
    reason : one line a user reads.
    words : whether the values are outcome words (rule a) rather than a yes/no-style pair.
    hint : what the name says (+1 outcome, -1 attribute, 0 nothing).
    """

    column: str
    counts: tuple[tuple[str, int], ...]
    score: float
    reason: str
    words: bool = False
    hint: int = 0


def _is_number(value: str) -> bool:
    """Whether a value reads as a number."""
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True


def shown_counts(counts: Sequence[tuple[str, int]], limit: int = 3) -> str:
    """``"no 36,548 / yes 4,640"``: the commonest values and their rows."""
    shown = " / ".join(f"{value} {rows:,}" for value, rows in counts[:limit])
    return shown + (" / …" if len(counts) > limit else "")


def _candidate(name: str, values: Sequence[tuple[str | None, int]], missing: frozenset[str],
               hint_of: Callable[[str], int]) -> OutcomeCandidate | None:
    """One column as a candidate, or ``None`` when its values do not qualify."""
    rows_by_key: dict[str, int] = {}
    spellings: dict[str, dict[str, int]] = {}
    blank = True
    for value, rows in values:
        key = label_key(value)
        if not key or not rows:
            continue
        blank = False
        if key in missing:
            continue
        rows_by_key[key] = rows_by_key.get(key, 0) + int(rows)
        spelling = spellings.setdefault(key, {})
        text = str(value).strip()
        spelling[text] = spelling.get(text, 0) + int(rows)
    if blank or not rows_by_key:
        return None
    order = sorted(rows_by_key, key=lambda k: (-rows_by_key[k], k))
    counts = tuple((max(spellings[k], key=lambda s: spellings[k][s]), rows_by_key[k])
                   for k in order)
    present = sum(rows_by_key.values())
    non_blank = sum(int(rows) for value, rows in values if label_key(value) and rows)
    if len(order) > 2 and all(_is_number(v) for v, _ in counts):
        return None  # a number with many values, whatever its name
    worded = {k: _LOOKUP[k] for k in order if k in _LOOKUP and k not in _GENERIC}
    worded_rows = sum(rows_by_key[k] for k in worded)
    closed = [k for k, outcome in worded.items() if outcome in CLOSED]
    if closed and worded_rows >= OUTCOME_WORD_SHARE * present:
        words, share = True, worded_rows / non_blank
        kinds = "won/lost words" if len(closed) == len(worded) else "outcome words and stages"
        reason = f"values are {kinds} ({shown_counts(counts)})"
    elif len(order) == 2 and {_LOOKUP.get(k) for k in order} == {"won", "lost"}:
        words, share = False, present / non_blank
        reason = f"two values, a yes/no-style pair ({shown_counts(counts)})"
    else:
        return None
    hint = max(-1, min(1, int(hint_of(name))))
    if hint:
        reason += "; the name says " + ("outcome" if hint > 0 else "attribute or flag")
    score = (_BASE_WORDS if words else _BASE_PAIR) + hint + 0.5 * share
    return OutcomeCandidate(name, counts, round(score, 4), reason, words, hint)


def rank_outcome_candidates(
    columns: Sequence[tuple[str, Sequence[tuple[str | None, int]]]],
    name_hint: Callable[[str], int] | None = None,
    *,
    missing: Iterable[str] | None = None,
) -> list[OutcomeCandidate]:
    """The columns whose values look like an outcome, likeliest first.

    Parameters
    ----------
    columns : each column's header and its distinct values with their rows (a sample will
        do); blank or ``None`` values are missing.
    name_hint : what a name says (+1 outcome, -1 attribute, 0 nothing); default
        ``outcome_name_hint``. It only orders columns whose values qualify.
    missing : values that mean "missing" (placeholders); default ``MISSING``.

    Returns
    -------
    A column qualifies by its values only: (a) at least ``OUTCOME_WORD_SHARE`` of its
    non-missing rows are outcome words or pipeline stages, at least one a closed outcome; or
    (b) it has two values, one won and one lost (yes/no, 1/0, true/false, won/loss...).
    Numbers with more than two values never qualify. Outcome words outrank every pair; the
    name then orders columns of one kind.
    """
    hint_of = name_hint or outcome_name_hint
    placeholders = frozenset(label_key(v) for v in (MISSING if missing is None else missing))
    found = (_candidate(name, values, placeholders, hint_of) for name, values in columns)
    return sorted((c for c in found if c is not None), key=lambda c: -c.score)


def clear_winner(cands: Sequence[OutcomeCandidate]) -> OutcomeCandidate | None:
    """The likeliest candidate when the choice is clear, else ``None`` (ask the user).

    Clear means: a single candidate; or the only one with outcome words; or, among the
    candidates of the best one's kind, the only one whose name says outcome.
    """
    if not cands:
        return None
    ranked = sorted(cands, key=lambda c: -c.score)
    best = ranked[0]
    rivals = [c for c in ranked[1:] if c.words == best.words]
    if not rivals or (best.hint > 0 and all(c.hint <= 0 for c in rivals)):
        return best
    return None


def describe_candidates(cands: Sequence[OutcomeCandidate], limit: int = 3) -> str:
    """The candidates for a message: ``"`y` (no 36,548 / yes 4,640), `loan` (...)"``."""
    text = ", ".join(f"`{c.column}` ({shown_counts(c.counts)})" for c in cands[:limit])
    if len(cands) > limit:
        text += f" and {len(cands) - limit:,} more"
    return text

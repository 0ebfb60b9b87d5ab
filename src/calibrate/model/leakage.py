"""The leakage guard: attributes that look recorded after the outcome.

An attribute filled in during or after the sale (call length, stage, close reason...) predicts
the outcome of closed leads very well and is useless, or harmful, on new leads. Recency
(the days since "Last Activity Date") goes through the same rules: activity that stops at the
close (won leads active up to it, lost ones closed after going quiet) is a classic leak.
The rules are in :func:`leakage_checks`; :func:`leakage_guard` applies them to a fit
(which leaves suspect attributes out, with a warning, unless ``leakage='keep'`` or they
are named in ``include``) and :func:`leak_screen` to a file as soon as it is loaded,
before any fit.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from calibrate.data.store import read_columns
from calibrate.model import metrics as mx
from calibrate.model.binning import learn_encoding
from calibrate.model.encode import MISSING, Encoding
from calibrate.model.patterns import Counts, encoding_counts

__all__ = [
    "LeakageWarning",
    "closed_only_shares",
    "leak_screen",
    "leakage_checks",
    "leakage_guard",
    "single_auc",
]

#: Leakage rules (documented in :func:`leakage_checks`).
LEAK_AUC = 0.95
LEAK_NAME_AUC = 0.75
LEAK_DOMINANT_AUC = 0.85
LEAK_DOMINANT_MARGIN = 0.10
LEAK_CLOSED_ONLY_SHARE = 0.05
LEAK_EXPECTED_OPEN = 5.0
_AFTER_OUTCOME_WORDS = {
    "duration", "closed", "close", "closing", "stage", "won", "lost", "win", "loss",
    "outcome", "result", "status", "reason", "converted", "conversion", "signed", "booked",
    "churn", "churned", "contract", "invoice", "invoiced", "paid",
}
_AFTER_OUTCOME_PHRASES = ("call_length", "call_time", "call_secs", "call_seconds",
                          "call_minutes", "talk_time", "days_to_close", "sales_cycle",
                          "time_to_close")


@dataclass
class LeakageWarning:
    """An attribute that looks recorded after the outcome, and why."""

    attribute: str
    rule: str
    auc: float
    message: str
    dropped: bool

    def __str__(self) -> str:
        action = "left out of the fit" if self.dropped else "kept in the fit"
        return f"{self.attribute}: {self.message} ({action})"


def _name_suggests_after_outcome(name: str) -> bool:
    key = re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")
    words = set(key.split("_"))
    return bool(words & _AFTER_OUTCOME_WORDS) or any(p in key for p in _AFTER_OUTCOME_PHRASES)


def leakage_checks(
    single_auc: dict[str, float],
    *,
    names: dict[str, str] | None = None,
    closed_only: dict[str, tuple[float, int]] | None = None,
) -> list[tuple[str, str, str]]:
    """Attributes that look recorded after the outcome: ``(attribute, rule, message)``.

    The rules, each enough on its own:

    * ``auc``: the attribute alone separates wins from non-wins with AUC >= 0.95 (nothing
      known before a sale is that good).
    * ``name``: its name reads like something recorded during or after the sale (duration,
      call length, stage, status, closed..., reason...) and its AUC alone is >= 0.75, higher
      than whole lead-scoring models usually reach. This is what catches the bank-marketing
      ``duration`` (AUC about 0.80): call length is only known once the call is over.
    * ``dominant``: its AUC alone is >= 0.85 and beats every other attribute by >= 0.10.
    * ``closed_only``: when there are open leads, levels holding >= 5% of closed leads never
      occur on open leads although at least 5 would be expected there (the value is filled in
      at closing).

    ``single_auc`` is each attribute's AUC when its levels are ranked by their win rate;
    ``names`` maps attributes to their source column names (also checked by ``name``);
    ``closed_only`` maps attributes to (share of closed leads in never-open levels, number
    of open leads).
    """
    names = names or {}
    closed_only = closed_only or {}
    out = []
    for attr, auc in single_auc.items():
        if not math.isfinite(auc):
            continue
        others = [v for k, v in single_auc.items() if k != attr and math.isfinite(v)]
        best_other = max(others) if others else 0.5
        if auc >= LEAK_AUC:
            out.append((attr, "auc", f"on its own it predicts the outcome almost perfectly "
                        f"(AUC {auc:.3f}); it is probably recorded after the outcome"))
        elif auc >= LEAK_NAME_AUC and (_name_suggests_after_outcome(attr)
                                       or _name_suggests_after_outcome(names.get(attr, ""))):
            out.append((attr, "name", f"its name suggests it is recorded during or after the "
                        f"sale and on its own it predicts the outcome strongly (AUC {auc:.3f})"))
        elif auc >= LEAK_DOMINANT_AUC and auc - best_other >= LEAK_DOMINANT_MARGIN:
            out.append((attr, "dominant", f"on its own it predicts the outcome far better than "
                        f"any other attribute (AUC {auc:.3f} against {best_other:.3f})"))
    flagged = {a for a, _, _ in out}
    for attr, (share, n_open) in closed_only.items():
        if attr not in flagged and share >= LEAK_CLOSED_ONLY_SHARE:
            out.append((attr, "closed_only", f"values held by {share:.0%} of closed leads never "
                        f"occur on the {n_open:,} open leads; it is probably filled in at "
                        "closing"))
    return out


def single_auc(enc: Encoding, counts: Counts) -> dict[str, float]:
    """Per attribute: AUC of ranking leads by their level's win rate."""
    out = {}
    for a, (leads, wins) in zip(enc, counts, strict=True):
        keep = leads > 0
        rate = wins[keep] / leads[keep]
        out[a.name] = mx.auc(rate, rate, leads[keep])
    return out


def closed_only_shares(enc: Encoding, counts: Counts, open_counts: Counts, n_open: int
                       ) -> dict[str, tuple[float, int]]:
    """Share of closed leads in levels never seen on open leads (where >= 5 were expected)."""
    out = {}
    for a, (closed, _), (opened, _) in zip(enc, counts, open_counts, strict=True):
        total = float(closed.sum())
        share = 0.0
        for code in range(a.size):
            if a.levels[code] == MISSING or closed[code] <= 0:
                continue
            expected = n_open * closed[code] / total
            if opened[code] == 0 and expected >= LEAK_EXPECTED_OPEN:
                share += closed[code] / total
        out[a.name] = (share, n_open)
    return out


def leakage_guard(enc: Encoding, counts: Counts, open_counts: Counts | None, n_open: int,
                  names: dict[str, str], *, mode: str, include: Sequence[str] | None,
                  stacklevel: int = 2) -> tuple[dict[str, float], list[LeakageWarning]]:
    """The fit's leak test: each attribute's AUC alone and the attributes flagged.

    ``counts`` are the closed leads' (leads, wins) per level, ``open_counts`` the open
    leads' (None: too few open leads to check). A flagged attribute is left out
    (``dropped``) unless ``mode`` is ``'keep'`` or it is in ``include``; with ``mode
    'warn'`` a ``UserWarning`` ("Possible leakage: ...") names them all (``stacklevel`` as
    :func:`warnings.warn`'s, counted from this function).
    """
    single = single_auc(enc, counts)
    closed_only = (closed_only_shares(enc, counts, open_counts, n_open)
                   if open_counts is not None else {})
    flagged = leakage_checks(single, names=names, closed_only=closed_only)
    forced = set(include or ())
    warns = []
    for attr, rule, message in flagged:
        drop = mode != "keep" and attr not in forced
        warns.append(LeakageWarning(attr, rule, float(single.get(attr, float("nan"))),
                                    message, drop))
    if warns and mode == "warn":
        warnings.warn("Possible leakage: " + "; ".join(str(w) for w in warns),
                      UserWarning, stacklevel=stacklevel)
    return single, warns


def leak_screen(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The attributes the fit's leak test would flag, with why: shown before any fit.

    The same rules as the fit (:func:`leakage_checks`) on all closed leads' level counts
    (no split, no open-lead check), so the Data page can warn as soon as a file is loaded.
    Empty when there are no closed wins and non-wins to compare.
    """
    attrs = [c for c in read_columns(con) if c.role in ("profile", "behavior")]
    if not attrs:
        return {}
    enc = learn_encoding(con, columns=attrs)
    if not len(enc):
        return {}
    counts = encoding_counts(enc)
    if not any(w.sum() for _, w in counts) or all(w.sum() == n.sum() for n, w in counts):
        return {}
    single = single_auc(enc, counts)
    names = {c.name: c.source_name for c in attrs}
    return {attr: message for attr, _, message in leakage_checks(single, names=names)}

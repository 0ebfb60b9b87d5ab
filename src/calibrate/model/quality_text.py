"""How good the points are, and how they were fitted, in words a workshop reads aloud.

The headline is the held-out AUC said plainly: the share of (won, not won) pairs of held-out
leads in which the won lead scores higher (a tie counting half). The fit counts no-decision
leads as not won unless they are left out, so the sentence names the right comparison: "a
random lead that was not won" or, with no-decisions left out, "a random lost lead".
Analysts' figures (KS, log loss, Brier) stay in figures; only their labels live here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calibrate import fmt

__all__ = ["counts_sentence", "edits_sentence", "fit_settings", "headline", "held_out_sentence",
           "rank_share"]


def _rival(exclude_no_decision: bool) -> str:
    return "a random lost lead" if exclude_no_decision else "a random lead that was not won"


def rank_share(auc: float | None, other: float | None = None) -> str:
    """An AUC as a whole percentage ("88%"); one decimal when ``other`` differs from it but
    would round to the same whole percentage (so "86.4%" and "86.1%" do not both read
    "86%")."""
    digits = 0
    if not fmt.is_missing(auc) and not fmt.is_missing(other) and auc != other \
            and fmt.percent(auc, 0) == fmt.percent(other, 0):
        digits = 1
    return fmt.percent(auc, digits)


def headline(auc: float | None, exclude_no_decision: bool = False, *,
             suggested_auc: float | None = None) -> str:
    """"Ranks a random won lead above a random lead that was not won 88% of the time";
    with ``suggested_auc`` (edited points in force), followed by ", against 90% for the
    suggested points"."""
    if fmt.is_missing(auc):
        return ("Cannot say yet how well the points rank leads: the held-out leads need both "
                "won leads and leads that were not won.")
    text = (f"Ranks a random won lead above {_rival(exclude_no_decision)} "
            f"{rank_share(auc, suggested_auc)} of the time")
    if suggested_auc is None or fmt.is_missing(suggested_auc):
        return text
    return f"{text}, against {rank_share(suggested_auc, auc)} for the suggested points"


def held_out_sentence(metrics: Mapping[str, Any], exclude_no_decision: bool = False) -> str:
    """Which leads the headline is measured on: the held-out count, its wins, and what
    chance alone would score."""
    leads, wins = metrics.get("leads"), metrics.get("wins")
    if fmt.is_missing(leads) or not leads:
        return "No held-out leads to measure the points on."
    which = "won or lost" if exclude_no_decision else "closed"
    won = "" if fmt.is_missing(wins) else f" ({fmt.number(wins)} won)"
    return (f"Measured on {fmt.number(leads)} {which} leads{won} held out of the fit, so "
            "the points never saw them. Drawing names from a hat would score 50%.")


def counts_sentence(data: Mapping[str, Any], every: str = "the Thresholds page"
                    ) -> str | None:
    """What the per-level leads and wins count when the fit read a sample of leads left in
    place (``Weights.data``'s ``rows_read`` below its ``rows``), and that ``every`` (where
    the place names the count grid) counts every lead; None otherwise, when they count the
    loaded leads the fit learnt from."""
    rows, read = data.get("rows"), data.get("rows_read")
    if fmt.is_missing(rows) or fmt.is_missing(read) or int(read) >= int(rows):
        return None
    return (f"Leads and wins per level count the fit's share of the {fmt.number(read)} "
            f"leads read for it, a sample of the {fmt.number(rows)} left in place; "
            f"{every} counts every lead.")


def edits_sentence(edited_auc: float | None, suggested_auc: float | None,
                   exclude_no_decision: bool = False, *, what: str = "your edits") -> str:
    """"With your edits: ranks a random won lead above a random lead that was not won 86%
    of the time, against 88% suggested." (``what``: "the constraints", say.)"""
    if fmt.is_missing(edited_auc):
        return f"With {what}: cannot say how well the points rank leads."
    tail = ("" if fmt.is_missing(suggested_auc)
            else f", against {rank_share(suggested_auc, edited_auc)} suggested")
    return (f"With {what}: ranks a random won lead above {_rival(exclude_no_decision)} "
            f"{rank_share(edited_auc, suggested_auc)} of the time{tail}.")


def _names(values: Any) -> str:
    return ", ".join(str(v) for v in values)


def _min_count(value: Any) -> str:
    if value is None:
        return "fewer than 30 leads (or 1% of the training leads, if more)"
    if isinstance(value, float) and 0 < value < 1:
        return f"fewer than {fmt.percent(value)} of the training leads"
    return f"fewer than {fmt.number(value)} leads"


def _penalty(options: Mapping[str, Any], metrics: Mapping[str, Any]) -> str:
    chosen = metrics.get("C")
    c = "" if fmt.is_missing(chosen) else f" (C = {float(chosen):.3g})"
    cs = options.get("Cs")
    if isinstance(cs, list | tuple) and len(cs) == 1:
        return f"Penalty strength fixed{c}"
    return f"Penalty strength chosen by {options.get('cv_folds', 3)}-fold cross-validation{c}"


def _constraints(value: Mapping[str, Any]) -> str | None:
    counts = [(len(value.get("locks") or {}), "lock"), (len(value.get("orders") or []),
                                                          "order"),
              (len(value.get("caps") or {}), "cap")]
    parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts if n]
    return f"Workshop constraints applied: {', '.join(parts)}" if parts else None


_LEAKAGE = {"warn": "Attributes that look like leaks left out (and named above)",
            "drop": "Attributes that look like leaks left out",
            "keep": "Attributes that look like leaks kept in the fit"}
_HANDLED = {"exclude_no_decision", "test_size", "cv_folds", "Cs", "class_weight", "leakage",
            "include", "exclude", "min_count", "max_bins", "min_share", "max_fit_rows",
            "refit", "max_iter", "tol", "random_state", "cv_max_rows", "constraints"}


def fit_settings(options: Mapping[str, Any], metrics: Mapping[str, Any] | None = None
                 ) -> list[str]:
    """A weights document's fit options as sentences, one per setting that matters to a
    reader (an unknown option as "name: value")."""
    metrics = metrics or {}
    out = ["No-decision leads left out of the fit" if options.get("exclude_no_decision")
           else "No-decision leads counted as not won"]
    if "test_size" in options:
        out.append(f"{fmt.percent(options['test_size'], 0)} of the closed leads held out to "
                   "measure the points (the newest, when leads are dated)")
    if "cv_folds" in options or "Cs" in options:
        out.append(_penalty(options, metrics))
    if "class_weight" in options:
        out.append("Won and not-won leads weighed equally while fitting, probabilities "
                   "calibrated after" if options["class_weight"] == "balanced"
                   else "Every lead weighed the same while fitting")
    if options.get("leakage") in _LEAKAGE:
        out.append(_LEAKAGE[options["leakage"]])
    if options.get("include"):
        out.append(f"Only these attributes: {_names(options['include'])}")
    if options.get("exclude"):
        out.append(f"Attributes left out by choice: {_names(options['exclude'])}")
    if "min_count" in options:
        out.append(f"Categories with {_min_count(options['min_count'])} pooled into Other")
    if "max_bins" in options:
        share = options.get("min_share")
        each = "" if share is None else f", each with at least {fmt.percent(share, 0)} of leads"
        out.append(f"Numbers cut into at most {options['max_bins']} ranges{each}")
    if options.get("max_fit_rows"):
        out.append(f"Above {fmt.number(options['max_fit_rows'])} closed training leads, a "
                   "sample of them fitted")
    if options.get("refit"):
        out.append("Refitted on every closed lead after measuring")
    if "max_iter" in options:
        out.append(f"At most {options['max_iter']} solver steps")
    if "random_state" in options:
        out.append(f"Random seed {options['random_state']}")
    if isinstance(options.get("constraints"), Mapping):
        line = _constraints(options["constraints"])
        if line:
            out.append(line)
    out += [f"{k}: {v}" for k, v in options.items() if k not in _HANDLED]
    return out

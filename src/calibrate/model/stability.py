"""Population stability over time: how far each month's leads moved from a reference period.

Why: agreed points assume that next year's leads look like the ones they were fitted on. A
new campaign, a new market or a tracking change moves the mix of an attribute, and with it
the scores and every projected figure. The population stability index (PSI) measures that
move per attribute and per score, month by month, against a reference period.

The PSI itself, its small-count guard and why a month needs :data:`MIN_LEADS` leads are in
:mod:`calibrate.model.psi`; reading months and the reference period in
:mod:`calibrate.model.periods`; the one DuckDB pass that counts leads by month in
:mod:`calibrate.model.month_counts`. 10M leads take about 6 s on 2 cores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from calibrate.data import store
from calibrate.errors import CalibrateError
from calibrate.model.month_counts import month_counts
from calibrate.model.periods import (
    NoDatesError,
    month_label,
    reference_period,
)
from calibrate.model.points import encoding_from_table, validate_table
from calibrate.model.psi import (
    MIN_LEADS,
    SHIFTED,
    SMOOTHING,
    WATCH,
    band_labels,
    flag,
    psi,
    psi_terms,
    score_cuts,
)

#: The scores whose stability is measured.
SCORES = ("total", "profile", "behavior")
#: Levels named as having moved most, per attribute.
TOP_LEVELS = 2


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
    start, end = reference_period(reference, all_months)
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
        bands[score] = band_labels(cuts)

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


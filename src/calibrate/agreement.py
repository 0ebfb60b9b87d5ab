"""The agreement as a record: the weights, data and figures a scenario was computed on.

A scenario keeps the id of the weights it was computed on and the data version. Both are
append-only in the store (an edit or a refit is a new weights row, a load a new version), so
the agreed points table can always be read back exactly, and exporting an agreement later
gives the same document whatever was fitted, edited or loaded since. When the weights or
data in force differ, :func:`drift_line` says so in one line and :func:`recompute` gives the
same thresholds' figures on what is in force now, to show beside the agreed ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from calibrate import store
from calibrate.errors import CalibrateError
from calibrate.scenarios import Scenario, current_agreement, latest_versions
from calibrate.tradeoff import Figures, Settings, figures
from calibrate.weights import Weights, load_weights


@dataclass(frozen=True)
class Basis:
    """What a set of figures was computed on: the weights, and the data with its size."""

    weights_id: int | None
    data_version: int | None
    leads: int | None = None
    loaded_at: str | None = None  # when that data was loaded (ISO), if known

    def describe(self) -> str:
        """"weights #3 and 50,000 leads loaded on 2 Nov 2026"."""
        text = f"weights #{self.weights_id}" if self.weights_id is not None else "weights ?"
        if self.leads is not None:
            text += f" and {self.leads:,} leads"
        if self.loaded_at:
            text += f" loaded on {datetime.fromisoformat(self.loaded_at):%-d %b %Y}"
        return text


def basis_now(con: duckdb.DuckDBPyConnection, weights: Weights) -> Basis:
    """The basis of figures computed now, on ``weights`` and the loaded leads."""
    last = store.last_load(con)
    loaded = last[1].isoformat(timespec="seconds") if last and last[1] else None
    return Basis(weights.id, store.data_version(con), store.lead_count(con), loaded)


def basis_of(scenario: Scenario) -> Basis:
    """The basis a scenario (or agreement) was saved on."""
    p = scenario.payload
    return Basis(p.get("weights_id"), p.get("data_version"), p.get("leads"),
                 p.get("loaded_at"))


def scenario_payload(con: duckdb.DuckDBPyConnection, weights: Weights, settings: Settings,
                     result: Figures, *, segment: str | None = None,
                     months: list[Any] | None = None) -> dict[str, Any]:
    """What a saved scenario keeps: its thresholds, settings and figures, and the basis
    (weights, data, leads) they were computed on, with the rules as then described."""
    from calibrate.rules import describe
    from calibrate.workshop import rules_of

    basis = basis_now(con, weights)
    columns = {c.name: c.type for c in store.read_columns(con)}
    return {
        "thresholds": {"mode": settings.mode, "min_profile": settings.min_profile,
                       "min_behavior": settings.min_behavior, "min_total": settings.min_total},
        "settings": settings.to_dict(), "figures": result.to_dict(), "segment": segment,
        "months": [str(m) for m in months] if months else None,
        "weights_id": basis.weights_id, "data_version": basis.data_version,
        "leads": basis.leads, "loaded_at": basis.loaded_at,
        "rules_text": describe(rules_of(weights), columns),
    }


def scenario_weights(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> Weights:
    """The weights a scenario was computed on, with its thresholds attached."""
    from calibrate.workshop import rules_of

    weights_id = scenario.payload.get("weights_id")
    if weights_id is None:
        raise CalibrateError(f"The scenario '{scenario.name}' does not say which weights it "
                             "was computed on.",
                             fix="Load it into the workshop and save it again.")
    weights = load_weights(con, int(weights_id))
    weights.thresholds = dict(scenario.thresholds)
    weights.rules = rules_of(weights).to_dict()
    return weights


def agreed_source(con: duckdb.DuckDBPyConnection) -> Scenario | None:
    """The agreement in force, else the newest scenario (None when nothing is saved)."""
    return current_agreement(con) or next(iter(latest_versions(con)), None)


def drift_line(scenario: Scenario, now: Basis) -> str | None:
    """One line saying how what is in force differs from a scenario's basis, or None.

    ("Agreed on weights #3 and 50,000 leads loaded on 2 Nov 2026; since then: new data and
    weights #7.")
    """
    then = basis_of(scenario)
    changes = []
    if then.data_version is not None and now.data_version != then.data_version:
        changes.append("new data")
    if then.weights_id is not None and now.weights_id != then.weights_id:
        changes.append(f"weights #{now.weights_id}")
    if not changes:
        return None
    verb = "Agreed" if scenario.kind == "agreement" else "Saved"
    return f"{verb} on {then.describe()}; since then: {' and '.join(changes)}."


def same_basis(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios were computed on the same weights and data."""
    x, y = basis_of(a), basis_of(b)
    return (x.weights_id, x.data_version) == (y.weights_id, y.data_version)


def recompute(scenario: Scenario, grid: Any) -> Figures:
    """The scenario's thresholds and settings on another grid (the weights and data in
    force now), its window the same number of latest months."""
    from calibrate.workshop import last_months

    settings = Settings.from_dict(scenario.payload.get("settings") or {
        k: v for k, v in scenario.thresholds.items()})
    months = scenario.payload.get("months")
    window = last_months(grid, len(months)) if months else None
    return figures(grid.cube(window, scenario.payload.get("segment")), settings)


def agreement_document(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> str:
    """The one-page agreement (Markdown) of a scenario, from its own record only: the same
    document whenever it is exported (the export date aside)."""
    from calibrate.export import agreement_markdown
    from calibrate.rules import describe
    from calibrate.workshop import rules_of

    if scenario.payload.get("weights_id") is not None:
        weights = scenario_weights(con, scenario)
    else:  # saved before scenarios named their weights: the weights in force, as then
        weights = export_source(con)[0]
    rules_text = scenario.payload.get("rules_text")
    if rules_text is None:  # saved before scenarios kept it
        columns = {c.name: c.type for c in store.read_columns(con)}
        rules_text = describe(rules_of(weights), columns)
    return agreement_markdown(
        weights, scenario.figures, title="What a sales-ready lead is: our agreement",
        thresholds=scenario.thresholds, rules_text=rules_text, date=scenario.created_at,
        signed_by=scenario.author, basis=basis_of(scenario).describe())


def export_source(con: duckdb.DuckDBPyConnection) -> tuple[Weights, Scenario | None]:
    """What an export writes: the agreement's (else the newest scenario's) own weights with
    its thresholds, or, before anything is saved, the weights in force without thresholds."""
    from calibrate.workshop import active_weights, rules_of

    source = agreed_source(con)
    if source is not None and source.payload.get("weights_id") is not None:
        return scenario_weights(con, source), source
    weights = active_weights(con)
    if source is not None:  # saved before scenarios named their weights
        weights.thresholds = dict(source.thresholds)
    weights.rules = rules_of(weights).to_dict()
    return weights, source


def figures_side_by_side(agreed: dict[str, Any], now: Figures) -> list[dict[str, str]]:
    """The agreed figures beside the same thresholds' figures on what is in force now,
    formatted as the agreement page formats them."""
    from calibrate.export import FIGURE_LABELS

    current = now.to_dict()
    rows = []
    for key, (label, show) in FIGURE_LABELS.items():
        if agreed.get(key) is None and current.get(key) is None:
            continue
        rows.append({"figure": label,
                     "as agreed": show(agreed[key]) if agreed.get(key) is not None else "–",
                     "on what is in force now": show(current[key])
                     if current.get(key) is not None else "–"})
    return rows

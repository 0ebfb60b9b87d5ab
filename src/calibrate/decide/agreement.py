"""The agreement as a record: the weights, data and figures a scenario was computed on.

A scenario keeps the id of the weights it was computed on and the data version. Both are
append-only in the store (an edit or a refit is a new weights row, a load a new version), so
the agreed points table can always be read back exactly, and exporting an agreement later
gives the same document whatever was fitted, edited or loaded since. When the weights or
data in force differ, :func:`drift_line` says so in one line and :func:`recompute` gives the
same thresholds' figures on what is in force now, to show beside the agreed ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import duckdb

from calibrate import fmt
from calibrate.data import store
from calibrate.decide.scenarios import Scenario, current_agreement, latest_versions
from calibrate.decide.tradeoff import Figures, Settings, figures_for, find_segment
from calibrate.errors import CalibrateError
from calibrate.model.weights import Weights, load_weights
from calibrate.thresholds import Thresholds, ThresholdsLike


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


def basis_now(con: duckdb.DuckDBPyConnection, weights: Weights | None) -> Basis:
    """The basis of figures computed now, on ``weights`` and the loaded leads (``None``:
    no weights are fitted on the loaded leads yet)."""
    last = store.last_load(con)
    loaded = last[1].isoformat(timespec="seconds") if last and last[1] else None
    return Basis(weights.id if weights is not None else None, store.data_version(con),
                 store.lead_count(con), loaded)


def basis_in_force(con: duckdb.DuckDBPyConnection) -> Basis:
    """What is in force now, without fitting anything: the newest weights saved for the
    loaded data (none when they are not fitted yet) and that data."""
    from calibrate.model.weights import latest_weights

    return basis_now(con, latest_weights(con, store.data_version(con)))


def basis_of(scenario: Scenario) -> Basis:
    """The basis a scenario (or agreement) was saved on."""
    p = scenario.payload
    return Basis(p.get("weights_id"), p.get("data_version"), p.get("leads"),
                 p.get("loaded_at"))


def scenario_payload(con: duckdb.DuckDBPyConnection, weights: Weights, settings: Settings,
                     result: Figures, *, segment: str | None = None,
                     months: list[Any] | None = None,
                     own_bars: Mapping[str, Settings] | None = None,
                     segment_capacity: Mapping[str, dict[str, Any]] | None = None
                     ) -> dict[str, Any]:
    """What a saved scenario keeps: its thresholds (``segment``: limited to that segment;
    ``own_bars``: segments with their own bar), settings and figures (with the 90% month
    ranges of MQLs and wins a month, None when ``result`` has none), each segment's own
    sales capacity (:func:`segment_capacity_figures`), and the basis (weights, data, leads)
    they were computed on, with the rules as then described."""
    from calibrate.decide.rules import describe
    from calibrate.decide.workshop import rules_of

    basis = basis_now(con, weights)
    columns = {c.name: c.type for c in store.read_columns(con)}
    return {
        "thresholds": Thresholds.build(
            settings.bar(), {k: v.bar() for k, v in (own_bars or {}).items()},
            segment).to_dict(),
        "settings": settings.to_dict(), "figures": result.to_dict(ranges=True),
        "segment": segment,
        "months": [str(m) for m in months] if months else None,
        "weights_id": basis.weights_id, "data_version": basis.data_version,
        "leads": basis.leads, "loaded_at": basis.loaded_at,
        "rules_text": describe(rules_of(weights), columns),
        "segment_capacity": dict(segment_capacity or {}),
    }


def segment_capacity_figures(grid: Any, window: list[Any] | None, settings: Settings,
                             own: Mapping[str, Settings],
                             capacity: Mapping[str, tuple[float | None, float | None]]
                             ) -> dict[str, dict[str, Any]]:
    """Each segment's own sales capacity (``{segment: (reps, leads per rep a month)}``)
    against that segment's MQLs at its bar (its own, else the main one): reps, leads per
    rep, capacity, MQLs a month and the share used. Segments without reps are left out."""
    out = {}
    for name, (reps, per_rep) in capacity.items():
        seg = segment_named(grid, name)
        if not reps or not per_rep:
            continue
        bar = (own.get(seg) or settings).bar()
        f = figures_for(grid, window, replace(settings.with_bar(bar), reps=reps,
                                              leads_per_rep_per_month=per_rep), only=seg)
        out[str(seg)] = {"reps": reps, "leads_per_rep": per_rep, "capacity": f.capacity,
                         "mqls_per_month": f.mqls_per_month, "capacity_used": f.capacity_used,
                         "dated": f.dated}
    return out


def capacity_lines(payload: Mapping[str, Any]) -> list[str]:
    """The sales capacity a scenario was judged against, a line per segment with its own
    ("Enterprise: 3 reps × 20 leads a month = 60; 85% used (51 MQLs a month)")."""
    lines = []
    settings = payload.get("settings") or {}
    reps, per_rep = settings.get("reps"), settings.get("leads_per_rep_per_month")
    if reps and per_rep:
        lines.append(f"All leads: {fmt.number(reps)} reps × {fmt.number(per_rep)} leads a "
                     f"month = {fmt.per_month(reps * per_rep)}"
                     + _used(payload.get("figures") or {}))
    for seg, c in (payload.get("segment_capacity") or {}).items():
        lines.append(f"{seg}: {fmt.number(c['reps'])} reps × {fmt.number(c['leads_per_rep'])}"
                     f" leads a month = {fmt.per_month(c['capacity'])}" + _used(c))
    return lines


def _used(c: Mapping[str, Any]) -> str:
    if fmt.is_missing(c.get("capacity_used")):
        return ""
    return (f"; {fmt.percent(c['capacity_used'], 0)} used "
            f"({fmt.per_month(c.get('mqls_per_month'))} MQLs a month)")


def scenario_weights(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> Weights:
    """The weights a scenario was computed on, with its thresholds attached."""
    from calibrate.decide.workshop import rules_of

    weights_id = scenario.payload.get("weights_id")
    if weights_id is None:
        raise CalibrateError(f"The scenario '{scenario.name}' does not say which weights it "
                             "was computed on.",
                             fix="Load it into the workshop and save it again.")
    weights = load_weights(con, int(weights_id))
    weights.thresholds = scenario.thresholds
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
        changes.append(f"weights #{now.weights_id}" if now.weights_id is not None
                       else "no weights fitted on it yet")
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
    from calibrate.decide.workshop import last_months

    thresholds = scenario.thresholds
    stored = scenario.payload.get("settings")
    settings = (Settings.from_dict(stored) if stored else
                Settings().with_bar(thresholds.main) if thresholds.main else Settings())
    months = scenario.payload.get("months")
    window = last_months(grid, len(months)) if months else None
    own = {name: settings.with_bar(bar) for name, bar in thresholds.segments.items()}
    return figures_for(grid, window, settings, own,
                       thresholds.only or scenario.payload.get("segment"))


def export_source(con: duckdb.DuckDBPyConnection) -> tuple[Weights, Scenario | None]:
    """What an export writes: the agreement's (else the newest scenario's) own weights with
    its thresholds, or, before anything is saved, the weights in force without thresholds."""
    from calibrate.decide.workshop import active_weights, rules_of

    source = agreed_source(con)
    if source is not None and source.payload.get("weights_id") is not None:
        return scenario_weights(con, source), source
    weights = active_weights(con)
    if source is not None:  # saved before scenarios named their weights
        weights.thresholds = source.thresholds
    weights.rules = rules_of(weights).to_dict()
    return weights, source


def figures_side_by_side(agreed: dict[str, Any], now: Figures) -> list[dict[str, str]]:
    """The agreed figures beside the same thresholds' figures on what is in force now,
    formatted as the agreement page formats them (MQLs and wins a month with their range,
    when the agreement saved one)."""
    from calibrate.decide.figure_text import FIGURE_LABELS, dated, figure_label, figure_text

    current = now.to_dict(ranges=True)
    rows = []
    for key in FIGURE_LABELS:
        if agreed.get(key) is None and current.get(key) is None:
            continue
        rows.append({"figure": figure_label(key, dated(agreed) or dated(current)),
                     "as agreed": figure_text(agreed, key),
                     "on what is in force now": figure_text(current, key)})
    return rows


# What the ``calibrate scenario`` commands do, apart from parsing and printing.

DEFAULT_MONTHS = 12  # the workshop's default window to project from ("Last 12 months")


def threshold_settings(min_profile: int | None = None, min_behavior: int | None = None,
                       min_total: int | None = None) -> Settings:
    """The settings for thresholds typed by hand: a minimum profile and a minimum behavior
    score (mode ``both``), or a minimum total score alone (mode ``total``), each a whole
    number of points from 0 to 100."""
    for axis, value in (("profile", min_profile), ("behavior", min_behavior),
                        ("total", min_total)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise CalibrateError(f"The minimum {axis} score {value!r} is not a number.",
                                 fix="Give a whole number of points from 0 to 100.")
        if value is not None and (int(value) != value or not 0 <= value <= 100):
            raise CalibrateError(f"The minimum {axis} score {value} is outside 0 to 100.",
                                 fix="Points run from 0 to 100 on each axis and for the total: "
                                     "give a whole number in that range.")
    if min_total is not None:
        if min_profile is not None or min_behavior is not None:
            raise CalibrateError("Both a minimum total score and minimum profile or behavior "
                                 "scores were given.",
                                 fix="Give a minimum profile and a minimum behavior score (two "
                                     "thresholds), or a minimum total score alone (one total "
                                     "score).")
        return Settings(mode="total", min_total=int(min_total))
    if min_profile is None or min_behavior is None:
        missing = "profile" if min_profile is None else "behavior"
        raise CalibrateError(f"No minimum {missing} score was given.",
                             fix="Give both a minimum profile and a minimum behavior score, "
                                 "or a minimum total score alone.")
    return Settings(mode="both", min_profile=int(min_profile), min_behavior=int(min_behavior))


def segment_bar(main: Settings, segment: str, values: Any) -> Settings:
    """A segment's own thresholds as settings: ``(profile, behavior)`` beside two main
    thresholds, or one total (a number or ``(total,)``) beside a main total."""
    numbers = tuple(values) if isinstance(values, tuple | list) else (values,)
    want = 1 if main.mode == "total" else 2
    if len(numbers) != want:
        raise CalibrateError(
            f"The thresholds {values!r} for segment '{segment}' do not match the main ones.",
            fix="Give (profile, behavior) per segment with two main thresholds, or one "
                "total per segment with a main total.")
    one = (threshold_settings(min_total=numbers[0]) if want == 1
           else threshold_settings(numbers[0], numbers[1]))
    return main.with_bar(one.bar())


def parse_segment_thresholds(text: str, mode: str) -> tuple[str, tuple[int, ...]]:
    """A segment's own thresholds typed as ``SEGMENT=P/B`` (minimum profile and behavior)
    or ``SEGMENT=T`` (a minimum total score, when the main thresholds are one total)."""
    segment, sep, values = (text or "").rpartition("=")
    try:
        numbers = tuple(int(p.strip()) for p in values.split("/"))
    except ValueError:
        numbers = ()
    want = 1 if mode == "total" else 2
    if not sep or not segment.strip() or len(numbers) != want:
        shape = ("SEGMENT=TOTAL (one total score, as the main thresholds)" if want == 1
                 else "SEGMENT=PROFILE/BEHAVIOR")
        example = "Enterprise=55" if want == 1 else "Enterprise=70/40"
        raise CalibrateError(f"The segment thresholds '{text}' are not {shape}.",
                             fix=f"Write them as {example}.")
    return segment.strip(), numbers


def parse_capacity(text: str) -> tuple[int, int]:
    """Sales capacity typed as ``REPSxLEADS`` (reps, and leads a rep works a month:
    ``10x40``; ``×`` and ``*`` work too)."""
    parts = (text or "").lower().replace("×", "x").replace("*", "x").split("x")
    try:
        reps, per_rep = (int(p.strip()) for p in parts)
    except ValueError:
        reps = per_rep = -1
    if reps < 0 or per_rep < 0:
        raise CalibrateError(f"The capacity '{text}' is not REPSxLEADS.",
                             fix="Write the reps and the leads a rep works a month, as "
                                 "whole numbers: 10x40.")
    return reps, per_rep


def parse_segment_capacity(text: str) -> tuple[str, tuple[int, int]]:
    """A segment's own sales capacity typed as ``SEGMENT=REPSxLEADS`` (Enterprise=3x20)."""
    segment, sep, values = (text or "").rpartition("=")
    if not sep or not segment.strip():
        raise CalibrateError(f"The segment capacity '{text}' is not SEGMENT=REPSxLEADS.",
                             fix="Write it as Enterprise=3x20 (3 reps, 20 leads a month "
                                 "each).")
    return segment.strip(), parse_capacity(values)


def segment_named(grid: Any, segment: str | None) -> str | None:
    """The grid's segment a person named (trimmed, without case), None for all segments;
    a name the loaded leads lack is a :class:`CalibrateError` listing the known ones."""
    if segment is None:
        return None
    found = find_segment(grid, segment)
    if found is not None:
        return found
    known = ", ".join(f"'{s}'" for s in grid.segments)
    raise CalibrateError(f"No segment '{segment}' in the loaded leads.",
                         fix=f"Use one of {known}, or leave the segment out for all leads."
                         if known else "The loaded leads have no segment column: leave the "
                                       "segment out.")


def save_thresholds(con: duckdb.DuckDBPyConnection, name: str, settings: Settings, *,
                    segment: str | None = None, months: int | None = DEFAULT_MONTHS,
                    own_bars: Mapping[str, Settings] | None = None,
                    segment_capacity: Mapping[str, tuple[float | None, float | None]]
                    | None = None,
                    author: str = "", note: str = "", grid: Any = None) -> Scenario:
    """Compute the figures of ``settings`` as the workshop does (the weights in force, the
    last ``months`` months of inflow, 0 or None for all history, one segment or all,
    ``own_bars`` for segments with their own bar and ``segment_capacity`` for segments
    with sales capacity of their own) and save them as a scenario: a new version when the
    name exists. ``grid``: the weights in force's count grid, when the caller keeps it
    (else it is built)."""
    from calibrate.decide.scenarios import save_scenario
    from calibrate.decide.workshop import active_weights, last_months, rules_of, workshop_grid

    if not (name or "").strip():
        raise CalibrateError("A scenario needs a name.", fix="Type a name and save again.")
    if months is not None and months < 0:
        raise CalibrateError(f"The window of {months} months is negative.",
                             fix="Give the number of latest months to project from, or 0 "
                                 "for all history.")
    if not store.lead_count(con):
        raise CalibrateError("No leads are loaded.", fix="Load leads first.")
    weights = active_weights(con)
    if grid is None:
        grid = workshop_grid(con, weights, rules_of(weights))
    segment = segment_named(grid, segment)
    own = {segment_named(grid, k): v for k, v in (own_bars or {}).items()}
    if segment is not None and own:
        raise CalibrateError("Both one segment and segments with their own thresholds "
                             "were given.",
                             fix="Give the thresholds of one segment alone, or the main "
                                 "thresholds with the segments that differ from them.")
    window = last_months(grid, months)
    settings = replace(settings, months_in_window=len(window) if window else None)
    own = {k: settings.with_bar(v.bar()) for k, v in own.items()}
    result = figures_for(grid, window, settings, own, segment)
    capacity = segment_capacity_figures(grid, window, settings, own, segment_capacity or {})
    payload = scenario_payload(con, weights, settings, result, segment=segment, months=window,
                               own_bars=own, segment_capacity=capacity)
    return save_scenario(con, name, payload, author=author, note=note)


def record_agreement(con: duckdb.DuckDBPyConnection, ref: str, *, by: str,
                     note: str = "") -> tuple[Scenario, Scenario]:
    """Mark the scenario named (or numbered) ``ref`` as the agreement: (scenario, agreement)."""
    from calibrate.decide.scenarios import find_scenario, mark_agreement

    scenario = find_scenario(con, ref)
    if not (by or "").strip():
        raise CalibrateError("An agreement needs to say who agreed.",
                             fix='Name them, for example "VP Sales and VP Marketing".')
    return scenario, mark_agreement(con, scenario, author=by.strip(), note=note)


def describe_thresholds(thresholds: ThresholdsLike) -> str:
    """"profile ≥ 40 and behavior ≥ 30", or "total ≥ 55", then any segment's own bar."""
    return Thresholds.of(thresholds).describe()


def describe_window(scenario: Scenario) -> str:
    """Which leads its figures project from: "all segments, last 12 months"."""
    segment = scenario.payload.get("segment")
    months = scenario.payload.get("months")
    return (f"segment {segment}" if segment else "all segments") + ", " + (
        f"last {len(months)} month{'s' if len(months) != 1 else ''}" if months
        else "all history")


def plain(value: Any) -> Any:
    """A JSON-ready value: NaN and infinities become null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def figure_lines(result: dict[str, Any]) -> list[tuple[str, str]]:
    """The headline figures as (label, text), as the agreement page words them: MQLs and
    wins a month with their 90% range when saved with one, the conversion with its 95%
    interval. Figures not computed are left out."""
    from calibrate.decide.figure_text import figure_label, figure_rows

    lines = figure_rows(result)
    if fmt.is_missing(result.get("conversion_low")):
        return lines
    interval = fmt.interval(result["conversion_low"], result.get("conversion_high"))
    return [(label, f"{text} (95% interval {interval})"
             if label == figure_label("conversion") else text) for label, text in lines]


def scenario_overview(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The newest version of each scenario with its thresholds and headline figures (MQLs
    and wins a month with their 90% range, None when saved without), which one is the
    agreement, and how each one's basis differs from what is in force (plain,
    JSON-ready data)."""
    from calibrate.decide.scenarios import get_scenario

    now = basis_in_force(con)
    agreement = current_agreement(con)
    agreed_id = agreement.payload.get("agreed_scenario_id") if agreement else None
    agreed_row = None
    if agreement is not None:
        version = None
        if agreed_id is not None:
            try:
                version = get_scenario(con, int(agreed_id)).version
            except CalibrateError:
                version = None
        agreed_row = {
            "id": agreement.id, "scenario_id": agreed_id, "name": agreement.name,
            "version": version, "agreed_by": agreement.author,
            "agreed_at": agreement.created_at.isoformat(timespec="seconds"),
            "note": agreement.note, "thresholds": agreement.thresholds.to_dict(),
            "thresholds_text": describe_thresholds(agreement.thresholds),
            "basis": basis_of(agreement).describe(), "drift": drift_line(agreement, now)}
    rows = []
    for s in latest_versions(con):
        f = s.figures
        rows.append({
            "id": s.id, "name": s.name, "version": s.version, "author": s.author,
            "saved_at": s.created_at.isoformat(timespec="seconds"), "note": s.note,
            "segment": s.payload.get("segment"), "window": describe_window(s),
            "thresholds": s.thresholds.to_dict(),
            "thresholds_text": describe_thresholds(s.thresholds),
            "mqls_per_month": plain(f.get("mqls_per_month")),
            "mqls_per_month_low": plain(f.get("mqls_per_month_low")),
            "mqls_per_month_high": plain(f.get("mqls_per_month_high")),
            "conversion": plain(f.get("conversion")),
            "wins_per_month": plain(f.get("wins_per_month")),
            "wins_per_month_low": plain(f.get("wins_per_month_low")),
            "wins_per_month_high": plain(f.get("wins_per_month_high")),
            "agreed": agreed_id is not None and s.id == agreed_id,
            "basis": basis_of(s).describe(), "drift": drift_line(s, now)})
    return {"in_force": now.describe() if now.weights_id is not None
            else f"{now.leads or 0:,} leads, no weights fitted on them yet",
            "agreement": agreed_row, "scenarios": rows}


NO_THRESHOLDS = ("the weights file carries no thresholds: mql is false for every lead{but}; "
                 "export the weights after saving a scenario (calibrate export --format json)")


def mql_note(thresholds: ThresholdsLike, mql: Any, rule: Any) -> tuple[str, bool]:
    """What the ``mql`` column of scored leads means, and whether that is a warning (the
    weights carry no thresholds). ``mql`` and ``rule`` are the scored columns."""
    import pandas as pd

    mql = pd.Series(mql, dtype=bool).to_numpy()
    count, total = int(mql.sum()), len(mql)
    if not thresholds:
        qualified = pd.Series(rule, dtype=object).fillna("").astype(str).str.startswith(
            "qualified").to_numpy()
        n = int((qualified & mql).sum())
        but = f" but the {n:,} an auto-rule qualifies" if n else ""
        return NO_THRESHOLDS.format(but=but), True
    return (f"mql applies the thresholds in the weights file, {describe_thresholds(thresholds)}"
            f", and the auto-rules: {count:,} of {total:,} leads are MQLs", False)

"""The Weights screen: how well the points rank leads, in words; the points per level with
the range each could lie in, edited in place, measured before saving, saved or reset; the
no-decision choice, workshop constraints and auto-rules; analysts' figures in an expander.

Nothing is refitted on a plain visit: the suggestion's figures come with the weights, edited
points are measured on the fit's held-out leads (the first time in a process, that takes
one fit), and the two no-decision fits run only when the comparison is asked for. The
session's first view draws the points tables first and the rest a moment later
(:func:`calibrate.ui.state.rest_ready`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from calibrate import fmt
from calibrate.decide.workshop import rules_of
from calibrate.errors import CalibrateError
from calibrate.model import point_intervals, quality_text, revisions
from calibrate.model.weights import Weights, not_converged
from calibrate.ui import charts, state
from calibrate.workbench import Workbench

ND_CHOICES = {"Count as not won": False, "Leave out of the fit": True}
ANALYSTS = "For analysts: AUC, KS, log loss, Brier, lift, calibration and the fit's settings"
MEASURED = "weights_measured"  # the session's held-out figures, per weights and edits
ROUND = "weights_edit_round"  # bumped to discard unsaved edits (the editors start afresh)
Edits = dict[tuple[str, str], int]


def metrics_row(metrics: dict, label: str = "Held-out leads") -> None:
    c = st.columns(5)
    c[0].metric("AUC", f"{metrics['auc']:.3f}" if metrics.get("auc") is not None else "–",
                help="Chance a random won lead scores above a random lead that was not won "
                     "(a tie counts half; 0.5 = drawing names from a hat)")
    c[1].metric("KS", f"{metrics['ks']:.3f}" if metrics.get("ks") is not None else "–")
    c[2].metric("Log loss", f"{metrics['log_loss']:.4f}" if metrics.get("log_loss") else "–")
    c[3].metric("Brier", f"{metrics['brier']:.4f}" if metrics.get("brier") else "–")
    c[4].metric(label, fmt.number(metrics.get("leads")),
                help=f"{fmt.number(metrics.get('wins'))} wins")


def measured(wb: Workbench, weights: Weights, edits: Edits | None) -> dict[str, Any]:
    """Held-out figures of the points in force with ``edits`` (None: the suggested points),
    kept for the session so a rerun measures nothing twice."""
    memo: dict[Any, dict[str, Any]] = st.session_state.setdefault(MEASURED, {})
    key = (weights.id, None if edits is None else tuple(sorted(edits.items())))
    if key not in memo:
        revised = (revisions.with_reset(weights) if edits is None
                   else revisions.with_edits(weights, edits))
        with st.spinner("Measuring the points on the held-out leads..."):
            memo[key] = wb.evaluate(revised.table)
        while len(memo) > 8:
            memo.pop(next(iter(memo)))
    return memo[key]


def headline(wb: Workbench, weights: Weights, exclude: bool) -> dict[str, Any]:
    """How well the points in force rank leads, in words, and their held-out figures (the
    fit's own for the suggestion; measured again for edited or constrained points)."""
    shown, suggested_auc = weights.metrics, None
    if revisions.is_edited(weights):
        try:
            shown = measured(wb, weights, {})
            suggested_auc = measured(wb, weights, None).get("auc")
        except (CalibrateError, ValueError) as exc:  # informative only: never block the page
            shown = weights.metrics
            st.warning(f"Could not measure the edited points ({exc}); the figures below are "
                       "the suggestion's.")
    st.subheader(quality_text.headline(shown.get("auc"), exclude, suggested_auc=suggested_auc))
    st.caption(quality_text.held_out_sentence(shown, exclude))
    return shown


def _width(values: pd.Series, least: int = 100, most: int = 380) -> int:
    """Pixels for a text column to show its longest value whole."""
    longest = int(values.astype(str).str.len().max()) if len(values) else 0
    return max(least, min(most, 8 * longest + 32))


def edit_section(table: pd.DataFrame, axis: str, key: str) -> Edits:
    """One axis's levels: points (editable) beside the suggestion and the range it could
    lie in; returns the levels edited and not saved yet."""
    part = table[table["axis"] == axis].reset_index(drop=True)
    part["could be between"] = [point_intervals.interval_text(lo, hi) for lo, hi in
                                zip(part["points_low"], part["points_high"], strict=True)]
    part["win rate"] = part["win_rate"].map(fmt.percent)
    view = part[["attribute", "level", "points", "suggested_points", "could be between",
                 "leads", "wins", "win rate"]]
    column = st.column_config
    edited = st.data_editor(
        view, hide_index=True, width="stretch", key=key, height=state.table_height(len(view)),
        disabled=[c for c in view.columns if c != "points"],
        column_config={
            "attribute": column.TextColumn("attribute", width=_width(view["attribute"])),
            "level": column.TextColumn("level", width=_width(view["level"])),
            "points": column.NumberColumn("points", min_value=0, max_value=200, step=1,
                                          help="The points in force: type to edit"),
            "suggested_points": column.NumberColumn("suggested",
                                                    help="The model's suggestion"),
            "could be between": column.TextColumn(
                "could be between", width=_width(view["could be between"]),
                help="Where the suggestion could lie (95%), in points: a wide range means "
                     "few leads back the level"),
            "leads": column.NumberColumn("leads", format="localized"),
            "wins": column.NumberColumn("wins", format="localized"),
        })
    return revisions.points_changed(view, edited)


def actions(wb: Workbench, weights: Weights, edits: Edits, exclude: bool) -> None:
    """Save, discard and reset, above the tables, with unsaved edits measured live."""
    in_force = revisions.edited_levels(weights)
    if not edits and not in_force:
        st.caption("Type over a level's points below to edit them; how well the edited "
                   "points rank leads shows here before you save.")
        return
    if edits:
        try:
            line = quality_text.edits_sentence(measured(wb, weights, edits).get("auc"),
                                               measured(wb, weights, None).get("auc"), exclude)
        except (CalibrateError, ValueError) as exc:  # informative only
            line = f"Could not measure the edits: {exc}"
        st.info(f"{len(edits)} edited value{'s' if len(edits) != 1 else ''} not saved yet. "
                f"{line}")
        c = st.columns([1, 1, 3])
        if c[0].button("Save edited points", type="primary", key="save_edits"):
            wb.edit_points(edits)
            st.rerun()
        if c[1].button("Discard unsaved edits", key="discard_edits"):
            st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
            st.rerun()
    if in_force:
        reset_controls(wb, weights, in_force)


def reset_controls(wb: Workbench, weights: Weights, levels: list[tuple[str, str]]) -> None:
    """Back to the suggested points: chosen levels, or all of them."""
    rows = weights.table.set_index(["attribute", "level"])
    labels = {f"{a}: {lv} ({int(rows.loc[(a, lv), 'points'])}, suggested "
              f"{int(rows.loc[(a, lv), 'suggested_points'])})": (a, lv) for a, lv in levels}
    differ = "1 level differs" if len(levels) == 1 else f"{len(levels)} levels differ"
    c = st.columns([3, 1, 1.3], vertical_alignment="bottom")
    chosen = c[0].multiselect("Back to the suggested points for", list(labels),
                              key=f"reset_levels_{weights.id}",
                              placeholder=f"{differ} from the suggestion")
    if c[1].button("Reset these levels", key="reset_chosen", disabled=not chosen):
        wb.reset_points([labels[x] for x in chosen])
        st.rerun()
    if c[2].button("Reset all to the suggested points", key="reset_all"):
        wb.reset_points()
        st.rerun()


def points_section(wb: Workbench, weights: Weights, exclude: bool, plots: bool) -> None:
    """The action bar, then a tab per axis: its editable table (every column in view), and
    under it, when ``plots``, the chart of its points, edits included."""
    bar = st.container()  # filled once the editors have said what is edited
    table = point_intervals.with_intervals(weights.table)
    attempt = st.session_state.get(ROUND, 0)
    edits: Edits = {}
    if sample := quality_text.counts_sentence(weights.data):
        st.caption(sample)
    tabs = st.tabs(["Profile points", "Behavior points"])
    for axis, tab in zip(("profile", "behavior"), tabs, strict=True):
        with tab:
            mine = edit_section(table, axis, f"edit_{axis}_{weights.id}_{attempt}")
            if plots:
                shown = point_intervals.with_intervals(
                    revisions.with_edits(weights, mine).table)
                st.plotly_chart(charts.weights_chart(shown, axis), key=f"wchart_{axis}")
        edits |= mine
    with bar:
        actions(wb, weights, edits, exclude)


def no_decision_section(wb: Workbench, exclude: bool) -> None:
    """Count no-decisions as not won or leave them out; how the points move, on request."""
    st.subheader("No-decision leads")
    c = st.columns([1.2, 1, 2])
    choice = c[0].radio("No-decision leads", list(ND_CHOICES),
                        index=list(ND_CHOICES.values()).index(exclude), horizontal=True,
                        key="nd_choice", label_visibility="collapsed")
    if ND_CHOICES[choice] != exclude and c[1].button("Refit with this choice", key="refit"):
        with st.spinner("Refitting on the closed leads..."):
            wb.fit(exclude_no_decision=ND_CHOICES[choice])
        st.rerun()
    with st.expander("How the points move if no-decisions are left out of the fit"):
        st.caption("The model is fitted both ways to compare them: it takes a moment the "
                   "first time.")
        if st.toggle("Fit both ways and compare", key="nd_compare"):
            try:
                with st.spinner("Fitting with no-decisions counted as not won, and left "
                                "out..."):
                    comparison = wb.no_decision_comparison()
            except CalibrateError as exc:  # loaded in place: the rows stay in the source
                state.show_error(exc)
                return
            st.dataframe(comparison, hide_index=True, width="stretch")


def rules_section(wb: Workbench, weights: Weights) -> None:
    rules = rules_of(weights)
    with st.expander("Auto-rules applied before the score"):
        flags = [c.name for c in wb.columns() if c.type == "flag"]
        qualify = st.multiselect("Auto-qualify when true", flags,
                                 default=[f for f in rules.qualify_flags if f in flags],
                                 key="rule_qualify")
        competitors = st.text_area("Competitor email domains (one per line)",
                                   "\n".join(rules.competitor_domains), key="rule_comp")
        throwaway = st.text_area("Throwaway email domains (one per line)",
                                 "\n".join(rules.throwaway_domains), key="rule_throw")
        if st.button("Save rules", key="save_rules"):
            wb.set_rules({**rules.to_dict(), "qualify_flags": qualify,
                          "competitor_domains": _lines(competitors),
                          "throwaway_domains": _lines(throwaway)})
            st.rerun()


def constraints_section(wb: Workbench, weights: Weights) -> None:
    """Locks, orders and caps the workshop agrees on, applied to the suggested points, with
    what they cost in ranking held-out leads; saved as new weights (the suggestion kept beside)."""
    from calibrate.model.constraints import Constraints, parse_constraints

    cost = st.session_state.pop("constraint_cost", None)
    if cost is not None:
        st.success("Constraints applied. " + quality_text.edits_sentence(
            cost.get("auc_constrained"), cost.get("auc_suggested"),
            bool(weights.options.get("exclude_no_decision")), what="the constraints"))
    saved = Constraints.from_dict(weights.options.get("constraints"))
    with st.expander("Workshop constraints (lock, order, cap)"):
        st.caption('One per line. Lock: seniority=Student:0 · Order: seniority:VP>Manager '
                   '(VP never below Manager) · Cap: industry:30 (at most 30 points).')
        c = st.columns(3)
        locks = c[0].text_area("Locks", "\n".join(
            f"{a}={lv}:{p}" for (a, lv), p in saved.locks.items()), key="con_locks")
        orders = c[1].text_area("Orders", "\n".join(
            f"{a}:{h}>{lo}" for a, h, lo in saved.orders), key="con_orders")
        caps = c[2].text_area("Caps", "\n".join(
            f"{a}:{p}" for a, p in saved.caps.items()), key="con_caps")
        if not st.button("Apply to the suggested points", key="apply_constraints"):
            return
        try:
            wanted = parse_constraints(_raw_lines(locks), _raw_lines(orders),
                                       _raw_lines(caps))
            with st.spinner("Applying the constraints and measuring their cost..."):
                updated = wb.constrain(wanted.locks, wanted.orders, wanted.caps)
        except CalibrateError as exc:
            state.show_error(exc)
            return
        st.session_state["constraint_cost"] = updated.metrics
        st.rerun()


def analysts_section(weights: Weights, shown: dict[str, Any]) -> None:
    """The figures an analyst checks, of the points in force (the lift and calibration
    charts among them), and the fit's settings."""
    with st.expander(ANALYSTS):
        metrics_row(shown)
        if revisions.is_edited(weights):
            st.caption("Figures of the edited points in force (leads ranked by their total "
                       "points); the fit's own held-out AUC was "
                       f"{fmt.number(weights.metrics.get('auc'), 3)}.")
        left, right = st.columns(2)
        deciles = pd.DataFrame(shown.get("deciles", []))
        calibration = pd.DataFrame(shown.get("calibration", []))
        if not deciles.empty:
            left.plotly_chart(charts.lift_chart(deciles, shown.get("base_rate")),
                              key="lift_chart")
        if not calibration.empty:
            right.plotly_chart(charts.calibration_chart(calibration), key="calibration_chart")
        st.markdown("**How the points were fitted**")
        st.markdown("\n".join(f"- {fmt.md(line)}" for line in
                              quality_text.fit_settings(weights.options, weights.metrics)))


def _raw_lines(text: str) -> list[str]:
    return [x.strip() for x in text.splitlines() if x.strip()]


def _lines(text: str) -> list[str]:
    return [x.strip().lower() for x in text.splitlines() if x.strip()]


def render() -> None:
    st.title("Weights")
    wb = state.workbench()
    weights = state.page_weights(wb)
    if weights is None:
        return
    exclude = bool(weights.options.get("exclude_no_decision", False))
    for warning in weights.metrics.get("leakage", []):
        st.warning(f"Possible leak: {fmt.md(warning)}")
    if (line := not_converged(weights)) is not None:
        st.warning(f"{line} An attribute that separates wins perfectly (see the possible "
                   "leaks) is the usual cause; more closed leads usually help.")
    shown = headline(wb, weights, exclude)
    # The session's first view draws the points tables first; the charts and the sections
    # below them come a moment later (their code would hold the tables back).
    rest = state.rest_ready("weights")
    points_section(wb, weights, exclude, plots=rest)
    if not rest:
        return
    no_decision_section(wb, exclude)
    constraints_section(wb, weights)
    rules_section(wb, weights)
    analysts_section(weights, shown)

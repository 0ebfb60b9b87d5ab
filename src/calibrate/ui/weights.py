"""The Weights screen: suggested points with their intervals, edits, metrics, auto-rules."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from calibrate import fmt
from calibrate.data import store
from calibrate.decide.workshop import rules_of
from calibrate.errors import CalibrateError
from calibrate.model import revisions
from calibrate.model.weights import Weights, not_converged
from calibrate.ui import charts, state
from calibrate.workbench import Workbench

ND_CHOICES = {"Count as not won": False, "Leave out of the fit": True}


def metrics_row(metrics: dict, label: str = "Held-out leads") -> None:
    c = st.columns(5)
    c[0].metric("AUC", f"{metrics['auc']:.3f}" if metrics.get("auc") is not None else "–",
                help="Chance a random win scores above a random non-win (0.5 = coin toss)")
    c[1].metric("KS", f"{metrics['ks']:.3f}" if metrics.get("ks") is not None else "–")
    c[2].metric("Log loss", f"{metrics['log_loss']:.4f}" if metrics.get("log_loss") else "–")
    c[3].metric("Brier", f"{metrics['brier']:.4f}" if metrics.get("brier") else "–")
    c[4].metric(label, fmt.number(metrics.get("leads")),
                help=f"{fmt.number(metrics.get('wins'))} wins")


def edit_section(weights: Weights, axis: str) -> dict[tuple[str, str], int]:
    part = weights.table[weights.table["axis"] == axis].reset_index(drop=True)
    part["interval"] = [f"{lo:+.2f} to {hi:+.2f}" if pd.notna(lo) else "–"
                        for lo, hi in zip(part["ci_low"], part["ci_high"], strict=True)]
    part["win rate"] = part["win_rate"].map(fmt.percent)
    view = part[["attribute", "level", "points", "suggested_points", "leads", "wins",
                 "win rate", "interval"]]
    edited = st.data_editor(
        view, hide_index=True, width="stretch", key=f"edit_{axis}_{weights.id}",
        height=state.table_height(len(view)),
        disabled=[c for c in view.columns if c != "points"],
        column_config={"points": st.column_config.NumberColumn("points", min_value=0,
                                                               max_value=200, step=1),
                       "suggested_points": st.column_config.NumberColumn("suggested")})
    return revisions.points_changed(view, edited)


def rules_section(wb: Workbench, weights: Weights) -> None:
    rules = rules_of(weights)
    with st.expander("Auto-rules applied before the score"):
        flags = [c.name for c in store.read_columns(wb.con) if c.type == "flag"]
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
    what they cost in held-out AUC; saved as new weights (the suggestion kept beside)."""
    from calibrate.model.constraints import Constraints, parse_constraints

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
    c = st.columns([1.2, 1, 2])
    choice = c[0].radio("No-decision leads", list(ND_CHOICES),
                        index=list(ND_CHOICES.values()).index(exclude), horizontal=True,
                        key="nd_choice")
    if ND_CHOICES[choice] != exclude and c[1].button("Refit with this choice", key="refit"):
        with st.spinner("Refitting on the closed leads..."):
            wb.fit(exclude_no_decision=ND_CHOICES[choice])
        st.rerun()
    for warning in weights.metrics.get("leakage", []):
        st.warning(f"Possible leak: {fmt.md(warning)}")
    if (line := not_converged(weights)) is not None:
        st.warning(f"{line} An attribute that separates wins perfectly (see the possible "
                   "leaks) is the usual cause; more closed leads usually help.")
    metrics_row(weights.metrics)
    if revisions.is_edited(weights):
        try:
            now = wb.evaluate()
            st.caption(f"With your edits: AUC {now['auc']:.3f} (suggested "
                       f"{weights.metrics.get('auc', float('nan')):.3f}).")
        except Exception as exc:  # evaluation is informative only; never block the page
            st.caption(f"Could not evaluate the edits: {exc}")

    edits: dict[tuple[str, str], int] = {}
    for axis in ("profile", "behavior"):
        st.subheader(f"{axis.capitalize()} points")
        left, right = st.columns([1.25, 1])
        with left:
            edits |= edit_section(weights, axis)
        right.plotly_chart(charts.weights_chart(weights.table, axis), key=f"wchart_{axis}")
    if edits:
        st.info(f"{len(edits)} edited value(s) not saved yet.")
        if st.button("Save edited points", type="primary", key="save_edits"):
            wb.edit_points(edits)
            st.rerun()
    cost = st.session_state.pop("constraint_cost", None)
    if cost is not None:
        st.success(f"Constraints applied: held-out AUC {cost['auc_constrained']:.3f} against "
                   f"{cost['auc_suggested']:.3f} suggested (they cost "
                   f"{cost['auc_cost']:.3f}).")
    constraints_section(wb, weights)
    rules_section(wb, weights)

    st.subheader("How good is the model on leads it has not seen")
    left, right = st.columns(2)
    deciles = pd.DataFrame(weights.metrics.get("deciles", []))
    calibration = pd.DataFrame(weights.metrics.get("calibration", []))
    if not deciles.empty:
        left.plotly_chart(charts.lift_chart(deciles, weights.metrics.get("base_rate")),
                          key="lift_chart")
    if not calibration.empty:
        right.plotly_chart(charts.calibration_chart(calibration), key="calibration_chart")
    with st.expander("How the points move if no-decisions are left out of the fit"):
        st.dataframe(wb.no_decision_comparison(), hide_index=True, width="stretch")
    st.caption("Fit options: " + json.dumps(weights.options, default=str))

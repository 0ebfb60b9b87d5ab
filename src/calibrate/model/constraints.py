"""Workshop constraints on the points table: lock a level, order two levels, cap an attribute.

A workshop often knows things the data cannot say: "a student is worth 0", "a VP never
scores below a Manager", "industry may not be more than 30 of the 100 profile points".
:func:`apply_constraints` turns the suggested table into the closest table that obeys them,
keeping each axis's maxima summing to its scale (100): a cap scales the attribute's points
down and gives the points it frees to the other attributes of its axis in proportion to
their maxima; a lock sets a level's points; an order lifts the lower-scoring level of a pair
to the other's points. What the constraints cost is measured, not hidden:
:func:`constraint_cost` compares the held-out AUC of the suggested and constrained tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import CalibrateError
from calibrate.model.points import AXES, apportion, round_half_up, validate_table


@dataclass(frozen=True)
class Constraints:
    """What the workshop fixed: ``locks`` (attribute, level) -> points; ``orders``
    (attribute, higher level, lower level); ``caps`` attribute -> most points."""

    locks: dict[tuple[str, str], int] = field(default_factory=dict)
    orders: list[tuple[str, str, str]] = field(default_factory=list)
    caps: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.locks or self.orders or self.caps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (saved with the weights' options)."""
        return {"locks": [[a, lv, p] for (a, lv), p in self.locks.items()],
                "orders": [list(o) for o in self.orders],
                "caps": dict(self.caps)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Constraints:
        data = data or {}
        return cls({(str(a), str(lv)): int(p) for a, lv, p in data.get("locks", [])},
                   [(str(a), str(h), str(lo)) for a, h, lo in data.get("orders", [])],
                   {str(a): int(p) for a, p in data.get("caps", {}).items()})


def parse_constraints(locks: list[str] = (), orders: list[str] = (),
                      caps: list[str] = ()) -> Constraints:
    """Constraints as a person types them: ``"seniority=Student:0"`` (lock),
    ``"seniority:VP>Manager"`` (order), ``"industry:30"`` (cap)."""
    out_locks: dict[tuple[str, str], int] = {}
    for text in locks:
        m = re.fullmatch(r"(.+?)=(.+):\s*(-?\d+)\s*", text)
        if not m:
            raise CalibrateError(f"Cannot read the lock '{text}'.",
                                 fix='Write it as ATTRIBUTE=LEVEL:POINTS, e.g. '
                                     '"seniority=Student:0".')
        out_locks[(m.group(1).strip(), m.group(2).strip())] = int(m.group(3))
    out_orders = []
    for text in orders:
        m = re.fullmatch(r"(.+?):(.+?)>(.+)", text)
        if not m:
            raise CalibrateError(f"Cannot read the order '{text}'.",
                                 fix='Write it as ATTRIBUTE:HIGHER>LOWER, e.g. '
                                     '"seniority:VP>Manager".')
        out_orders.append((m.group(1).strip(), m.group(2).strip(), m.group(3).strip()))
    out_caps = {}
    for text in caps:
        m = re.fullmatch(r"(.+):\s*(\d+)\s*", text)
        if not m:
            raise CalibrateError(f"Cannot read the cap '{text}'.",
                                 fix='Write it as ATTRIBUTE:MOST_POINTS, e.g. "industry:30".')
        out_caps[m.group(1).strip()] = int(m.group(2))
    return Constraints(out_locks, out_orders, out_caps)


def _check(table: pd.DataFrame, c: Constraints) -> None:
    attrs = set(table["attribute"])
    levels = set(zip(table["attribute"], table["level"], strict=True))
    for attr in [a for a, _ in c.locks] + [o[0] for o in c.orders] + list(c.caps):
        if attr not in attrs:
            raise CalibrateError(f"No attribute '{attr}' in the points table.", column=attr,
                                 fix="Use one of: " + ", ".join(dict.fromkeys(
                                     table["attribute"])) + ".")
    wanted = list(c.locks) + [(a, h) for a, h, _ in c.orders] + [(a, lo) for a, _, lo in
                                                                  c.orders]
    for attr, level in wanted:
        if (attr, level) not in levels:
            known = table.loc[table["attribute"] == attr, "level"]
            raise CalibrateError(f"'{attr}' has no level '{level}'.", column=attr,
                                 fix="Use one of its levels: " + ", ".join(known) + ".")
    for attr, cap in c.caps.items():
        if cap < 0:
            raise CalibrateError(f"The cap of '{attr}' is negative.", column=attr,
                                 fix="A cap is the most points the attribute may give, 0 or "
                                     "more.")


def apply_constraints(table: pd.DataFrame, constraints: Constraints) -> pd.DataFrame:
    """The points table obeying the constraints (``suggested_points`` kept as it was).

    Raises :class:`CalibrateError` for unknown attributes or levels, a lock above what its
    attribute may give, or constraints that contradict each other.
    """
    out = validate_table(table).copy()
    if not constraints:
        return out
    _check(out, constraints)
    points = out["points"].to_numpy(dtype=float)
    for axis in AXES:
        _cap_axis(out, points, axis, constraints.caps)
    out["points"] = round_half_up(points)
    where = {(a, lv): i for i, (a, lv) in enumerate(zip(out["attribute"], out["level"],
                                                        strict=True))}
    for (attr, level), value in constraints.locks.items():
        top = int(out.loc[out["attribute"] == attr, "points"].max())
        if not 0 <= value <= top:
            raise CalibrateError(
                f"'{attr}' = '{level}' is locked at {value} points, but '{attr}' gives at "
                f"most {top}.", column=attr,
                fix=f"Lock it between 0 and {top}, or raise the attribute's cap first.")
        out.iat[where[(attr, level)], out.columns.get_loc("points")] = int(value)
    col = out.columns.get_loc("points")
    for _ in range(len(constraints.orders) + 1):  # chains of orders settle in as many passes
        moved = False
        for attr, higher, lower in constraints.orders:
            hi, lo = where[(attr, higher)], where[(attr, lower)]
            if out.iat[hi, col] < out.iat[lo, col]:
                if (attr, higher) in constraints.locks:
                    raise CalibrateError(
                        f"'{higher}' is locked at {out.iat[hi, col]} points, below "
                        f"'{lower}' ({out.iat[lo, col]}), but must score at least as much.",
                        column=attr, fix="Drop the lock or the order.")
                out.iat[hi, col] = out.iat[lo, col]
                moved = True
        if not moved:
            break
    else:
        raise CalibrateError("The orders contradict each other (a cycle).",
                             fix="Check the orders of each attribute.")
    return out


def _cap_axis(table: pd.DataFrame, points: np.ndarray, axis: str,
              caps: dict[str, int]) -> None:
    """Scale capped attributes of one axis down and give the freed points to the others,
    in proportion to their maxima; the maxima stay whole and sum to what they summed to."""
    on_axis = (table["axis"] == axis).to_numpy()
    attrs = list(dict.fromkeys(table.loc[on_axis, "attribute"]))
    rows = {a: (table["attribute"] == a).to_numpy() for a in attrs}
    tops = np.array([points[rows[a]].max() for a in attrs], dtype=float)
    capped = np.array([a in caps and caps[a] < top for a, top in zip(attrs, tops,
                                                                      strict=True)])
    if not capped.any():
        return
    target = tops.copy()
    target[capped] = [caps[a] for a, c in zip(attrs, capped, strict=True) if c]
    freed = float((tops - target).sum())
    room = tops[~capped].sum()
    if room <= 0:
        raise CalibrateError(f"Capping leaves the {axis} points nowhere to go: every other "
                             f"{axis} attribute gives 0 points.",
                             fix=f"Leave at least one scoring {axis} attribute uncapped.")
    target[~capped] += freed * tops[~capped] / room
    whole = target.astype(np.int64)  # the caps, whole numbers
    whole[~capped] = apportion(target[~capped], int(round(tops.sum())) - int(
        whole[capped].sum()))
    for attr, top, new in zip(attrs, tops, whole, strict=True):
        if top > 0:
            points[rows[attr]] *= new / top


def constraint_cost(con: Any, suggested: pd.DataFrame, constrained: pd.DataFrame,
                    split: Any) -> dict[str, float]:
    """Held-out AUC of the suggested and the constrained tables, and the difference."""
    from calibrate.model.lead_points import evaluate

    before = evaluate(con, suggested.assign(points=suggested["suggested_points"]), split)
    after = evaluate(con, constrained, split)
    return {"auc_suggested": float(before.auc), "auc_constrained": float(after.auc),
            "auc_cost": float(before.auc) - float(after.auc)}

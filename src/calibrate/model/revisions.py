"""New weights from the weights in force: hand edits, auto-rules, workshop constraints.

Each revision is a new weights document (saved as a new row: nothing is overwritten) that
keeps the model's suggestion beside the points, so an edit can always be compared with the
suggestion and undone. The Weights page, the CLI and the Python API all revise weights
through these functions, and read the differences and their cost from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
import pandas as pd

from calibrate.model.constraints import Constraints, apply_constraints, constraint_cost
from calibrate.model.lead_points import evaluate
from calibrate.model.points import edit_points, points_table
from calibrate.model.weights import Weights

Edits = dict[tuple[str, str], int]
#: What :func:`with_constraints` adds to the metrics (see ``constraint_cost``).
CONSTRAINT_COST = ("auc_suggested", "auc_constrained", "auc_cost")


def copy(weights: Weights) -> Weights:
    """An unsaved copy of a weights document (no id until it is saved)."""
    out = Weights.from_dict(weights.to_dict())
    out.id = None
    return out


def points_changed(shown: pd.DataFrame, edited: pd.DataFrame) -> Edits:
    """The levels whose points differ between two versions of the same rows (the table as
    shown and as edited), as ``{(attribute, level): new points}``."""
    keys = ["attribute", "level"]
    if list(shown[keys].itertuples(index=False)) != list(edited[keys].itertuples(index=False)):
        raise ValueError("the edited table has other rows than the one shown")
    before = shown["points"].astype(int).to_numpy()
    after = edited["points"].astype(int).to_numpy()
    return {(str(a), str(lv)): int(p) for a, lv, p, changed in zip(
        edited["attribute"], edited["level"], after, before != after, strict=True) if changed}


def with_edits(weights: Weights, edits: Mapping[tuple[str, str], int]) -> Weights:
    """The weights with some levels' points set by hand (the suggestion kept beside)."""
    out = copy(weights)
    out.table = edit_points(weights.table, dict(edits))
    return out


def edited_levels(weights: Weights) -> list[tuple[str, str]]:
    """The ``(attribute, level)`` of every level whose points differ from the suggestion,
    in table order."""
    table = weights.table
    differ = (table["points"] != table["suggested_points"]).to_numpy()
    return [(str(a), str(lv)) for a, lv, d in zip(table["attribute"], table["level"], differ,
                                                   strict=True) if d]


def with_reset(weights: Weights, levels: Iterable[tuple[str, str]] | None = None) -> Weights:
    """The weights with some levels' points (default: every level) back to the model's
    suggestion; an unknown level raises ``ValueError``.

    When no level differs from the suggestion any more, the workshop constraints the points
    carried and what they cost are dropped too: the points are the suggestion again.
    """
    table = weights.table
    suggested = dict(zip(zip(table["attribute"], table["level"], strict=True),
                         table["suggested_points"].astype(int), strict=True))
    wanted = list(suggested) if levels is None else list(levels)
    if any(not (isinstance(k, tuple | list) and len(k) == 2) for k in wanted):
        raise ValueError(f"levels must be (attribute, level) pairs; got {levels!r}")
    wanted = [(str(k[0]), str(k[1])) for k in wanted]
    unknown = [k for k in wanted if k not in suggested]
    if unknown:
        raise ValueError(f"no level {unknown[0][1]!r} of attribute {unknown[0][0]!r} in the "
                         "table")
    out = with_edits(weights, {k: int(suggested[k]) for k in wanted})
    if not is_edited(out):
        out.options = {k: v for k, v in out.options.items() if k != "constraints"}
        out.metrics = {k: v for k, v in out.metrics.items() if k not in CONSTRAINT_COST}
    return out


def with_rules(weights: Weights, rules: Mapping[str, Any]) -> Weights:
    """The weights with other auto-rules (a RuleSet's ``to_dict()``)."""
    out = copy(weights)
    out.rules = dict(rules)
    return out


def with_constraints(con: duckdb.DuckDBPyConnection, weights: Weights,
                     constraints: Constraints, split: Any) -> tuple[Weights, dict[str, float]]:
    """The suggested points under workshop constraints, and what they cost in held-out AUC
    on the fit's ``split`` (:func:`calibrate.model.constraints.constraint_cost`)."""
    suggested = weights.table.assign(points=weights.table["suggested_points"])
    table = apply_constraints(suggested, constraints)
    out = copy(weights)
    out.table = table
    out.options = {**weights.options, "constraints": constraints.to_dict()}
    return out, constraint_cost(con, suggested, table, split)


def is_edited(weights: Weights) -> bool:
    """Whether any level's points differ from the model's suggestion."""
    table = weights.table
    return bool((table["points"] != table["suggested_points"]).any())


def held_out_metrics(con: duckdb.DuckDBPyConnection, table: pd.DataFrame,
                     split: Any) -> dict[str, Any]:
    """How a points table (edited or not) ranks the leads the fit held out."""
    return evaluate(con, table, split).to_dict()


def no_decision_comparison(counted: Any, left_out: Any) -> pd.DataFrame:
    """The suggested points of two fits side by side: no-decisions counted as not won, and
    left out of the fit; largest difference first."""
    keys = ["axis", "attribute", "level"]
    a, b = points_table(counted), points_table(left_out)
    merged = a[keys + ["suggested_points"]].merge(
        b[keys + ["suggested_points"]], on=keys, how="outer",
        suffixes=(" (not won)", " (left out)"))
    merged["difference"] = (merged["suggested_points (left out)"]
                            - merged["suggested_points (not won)"])
    return merged.sort_values("difference", key=abs, ascending=False).reset_index(drop=True)

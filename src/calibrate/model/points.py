"""The points table: the agreement's core, one row per attribute level with editable points.

Why points and not coefficients: a workshop agrees on whole numbers that a marketing-
automation system can add up. The model's logit coefficients are scaled per axis so that
each axis (profile = fit, behavior = engagement) runs from 0 to ``scale`` points:

* within an attribute, the level with the lowest coefficient gets 0 points and the others
  ``(coefficient - lowest) / logit range of the axis * scale``, so points keep the order of
  the coefficients;
* each attribute's maximum is apportioned by largest remainders so the maxima of an axis
  sum to exactly ``scale``; a lead's profile (behavior) points are the sum over profile
  (behavior) attributes;
* one total score proportional to the model's logit is
  ``total = round((profile * R_p + behavior * R_b) / (R_p + R_b))``, where ``R_axis`` is the
  axis's logit range (the sum over its attributes of highest minus lowest coefficient),
  available from the table itself (:func:`axis_ranges`): profile * R_p / scale is the
  profile logit above its minimum, so the total is the whole logit rescaled to 0..scale.

The table has a fixed column schema (:data:`COLUMNS`); ``lower``/``upper`` are numeric bin
bounds (lower inclusive, upper exclusive, NaN when unbounded or not numeric). A recency
attribute (kind ``recency``: an activity date, named as its column) has its bounds in
days. Rounding is half up everywhere (``floor(x + 0.5)``), the same in numpy and in SQL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from calibrate.errors import InputError
from calibrate.model.encode import BINNED, KINDS, MISSING, OTHER, AttributeEncoding, Encoding

__all__ = [
    "COLUMNS",
    "axis_ranges",
    "edit_points",
    "encoding_from_table",
    "grade",
    "level",
    "points_table",
    "reference_levels",
    "shrink_levels",
    "table_from_records",
    "TableError",
    "table_to_records",
    "total_points",
    "validate_table",
]

#: The points table's columns, in order: the one schema of the table, its JSON records,
#: its CSV and Excel exports and the weights file's ``table`` rows.
COLUMNS = ["axis", "attribute", "kind", "level", "code", "lower", "upper", "points",
           "suggested_points", "coefficient", "ci_low", "ci_high", "leads", "wins", "win_rate"]
#: The columns a row must have; the others default (no bounds or interval, no leads, the
#: suggestion equal to the points).
REQUIRED = ("axis", "attribute", "kind", "level", "code", "points")
_STR = ("axis", "attribute", "kind", "level")
_INT = ("code", "points", "suggested_points", "leads", "wins")
_FLOAT = ("lower", "upper", "coefficient", "ci_low", "ci_high", "win_rate")
AXES = ("profile", "behavior")
GRADE_LETTERS = "ABCDEFGHIJ"  # grades by profile points, best first (levels are 1, 2, ...)


def band_floors(bands: int = 4) -> list[int]:
    """Lowest points of each of ``bands`` equal bands of 0-100, best first: 4 bands ->
    [75, 50, 25, 0]. The one definition of the grade and level bands (A-D, 1-4)."""
    if not 1 <= bands <= len(GRADE_LETTERS):
        raise ValueError(f"bands must be between 1 and {len(GRADE_LETTERS)}")
    return [math.ceil(100 * (bands - 1 - k) / bands) for k in range(bands)]


GRADES = tuple(GRADE_LETTERS[:4])
DEFAULT_CUTOFFS = tuple(band_floors(4)[:-1])  # (75, 50, 25): A/B, B/C, C/D


def round_half_up(x: Any) -> np.ndarray:
    """``floor(x + 0.5)`` as int64 (the rounding used in SQL too)."""
    return np.floor(np.asarray(x, dtype=float) + 0.5).astype(np.int64)


def _conform(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with exactly :data:`COLUMNS` in order and their dtypes."""
    out = frame.loc[:, COLUMNS].copy()
    for c in _STR:
        out[c] = out[c].astype("str")
    for c in _INT:
        out[c] = out[c].astype("int64")
    for c in _FLOAT:
        out[c] = out[c].astype("float64")
    return out.reset_index(drop=True)


def apportion(quotas: np.ndarray, total: int) -> np.ndarray:
    """Integers summing to ``total`` closest to ``quotas`` (largest remainders, ties by order)."""
    base = np.floor(quotas).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - base[i]), i))
        for i in order[:short]:
            base[i] += 1
    return base


def points_table(fit: Any, scale: int = 100) -> pd.DataFrame:
    """Suggested points for every level of a :class:`~calibrate.model.fit.FitResult`.

    ``points`` starts equal to ``suggested_points``; edit it with :func:`edit_points`.
    """
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ValueError(f"The 'scale' parameter must be an int >= 1. Got {scale!r} instead.")
    lv = shrink_levels(fit.levels)
    coef = lv["coefficient"].to_numpy(dtype=float)
    group, names = pd.factorize(lv["attribute"])  # attributes in order of appearance
    low = np.full(len(names), np.inf)
    high = np.full(len(names), -np.inf)
    np.minimum.at(low, group, coef)
    np.maximum.at(high, group, coef)
    span = high - low
    axis_of = lv.groupby("attribute", sort=False)["axis"].first().reindex(names).to_numpy()
    tops = np.zeros(len(names), dtype=np.int64)
    for axis in AXES:
        mine = axis_of == axis
        total_range = float(span[mine].sum())
        if mine.any() and total_range > 0:
            tops[mine] = apportion(scale * span[mine] / total_range, scale)
    spread = span[group] > 0
    rel = np.divide(coef - low[group], span[group], out=np.zeros_like(coef), where=spread)
    lv["points"] = np.where(spread, round_half_up(rel * tops[group]), 0)
    lv["suggested_points"] = lv["points"]
    return _conform(lv)


#: How much evidence a level needs before its own coefficient counts: a level's coefficient
#: is pulled toward its attribute's reference level with weight ``info / (info +
#: SHRINK_INFO)``, where ``info = leads * p * (1 - p)`` (``p`` the attribute's win rate) is
#: about the Fisher information its leads carry. A level with no leads scores exactly like
#: the reference; a handful of leads cannot out-score well-supported levels on noise.
SHRINK_INFO = 5.0


def reference_levels(levels: pd.DataFrame) -> pd.Series:
    """Per attribute, the row index of its reference level: "Other" for a categorical
    attribute when Other has leads, else the level with the most leads (first by code)."""
    ordered = levels.sort_values("code", kind="stable")
    by_attribute = ordered.groupby("attribute", sort=False)
    most = by_attribute["leads"].idxmax()
    other = ordered[(ordered["level"] == OTHER) & (ordered["leads"] > 0)]
    first_other = pd.Series(other.index, index=other["attribute"]).groupby(level=0).first()
    return most.where(~most.index.isin(first_other.index),
                      first_other.reindex(most.index)).astype(levels.index.dtype)


def shrink_levels(levels: pd.DataFrame) -> pd.DataFrame:
    """``levels`` with each coefficient (and its interval) pulled toward the reference
    level's in proportion to how little the level's leads say (see :data:`SHRINK_INFO`).

    "Missing" follows the same rule as every other level.
    """
    out = levels.copy()
    refs = reference_levels(out)
    group, names = pd.factorize(out["attribute"])
    leads = out["leads"].to_numpy(dtype=float)
    n = np.bincount(group, weights=leads, minlength=len(names))
    wins = np.bincount(group, weights=out["wins"].to_numpy(dtype=float), minlength=len(names))
    p = np.divide(wins, n, out=np.zeros_like(n), where=n > 0)
    info = leads * p[group] * (1.0 - p[group])
    weight = info / (info + SHRINK_INFO)
    ref_rows = out.index.get_indexer(refs.reindex(names).to_numpy())
    ref = out["coefficient"].to_numpy(dtype=float)[ref_rows][group]
    for col in ("coefficient", "ci_low", "ci_high"):
        if col in out.columns:
            out[col] = ref + (out[col].to_numpy(dtype=float) - ref) * weight
    return out


class TableError(InputError, ValueError):
    """A points table that cannot be used as it is: a ``ValueError`` for code that checks
    tables, an :class:`~calibrate.errors.InputError` (file, fix, no traceback) for a person
    whose weights file holds it."""


def validate_table(table: pd.DataFrame) -> pd.DataFrame:
    """Check a points table's schema and consistency; return it conformed.

    Raises :class:`TableError` (a ``ValueError``) naming the problem (missing columns,
    unknown axis or kind, codes that are not 0..k-1 per attribute, a missing ``Missing`` or
    ``Other`` level), the row as ``table[i]`` and, when the table was read from a file
    (``table.attrs["source"]``), the file.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"a points table must be a pandas DataFrame; got {type(table).__name__}")
    source = table.attrs.get("source")

    def fail(what: str, fix: str) -> TableError:
        return TableError(what, file=source, fix=fix)

    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise fail(f"the points table lacks columns: {', '.join(missing)}",
                   "Export the weights again (calibrate export --format json).")
    out = _conform(table)
    bad_axis = sorted(set(out["axis"]) - set(AXES))
    if bad_axis:
        raise fail(f"unknown axis values: {bad_axis}; use 'profile' or 'behavior'",
                   "Set each level's axis to 'profile' or 'behavior'.")
    bad_kind = sorted(set(out["kind"]) - set(KINDS))
    if bad_kind:
        raise fail(f"unknown kind values: {bad_kind}",
                   "Set each level's kind to 'categorical', 'numeric', 'flag' or 'recency'.")
    for attr, rows in out.groupby("attribute", sort=False):
        codes = sorted(rows["code"])
        if codes != list(range(len(rows))):
            raise fail(f"{attr}: codes must be 0..{len(rows) - 1}; got {codes}",
                       f"Number the levels of {attr} 0 to {len(rows) - 1}, each once.")
        if rows["axis"].nunique() != 1 or rows["kind"].nunique() != 1:
            raise fail(f"{attr}: one axis and one kind per attribute",
                       f"Give every level of {attr} the same axis and kind.")
        ordered = rows.sort_values("code")
        kind = rows["kind"].iloc[0]
        if ordered["level"].iloc[-1] != MISSING:
            last = int(ordered.index[-1])
            raise fail(f"{attr}: the last level must be {MISSING!r} (table[{last}], code "
                       f"{len(rows) - 1}, is {ordered['level'].iloc[-1]!r})",
                       f"Every attribute ends with a level {MISSING!r} for leads without a "
                       f"value: add {{\"axis\": \"{rows['axis'].iloc[0]}\", \"attribute\": "
                       f"\"{attr}\", \"kind\": \"{kind}\", \"level\": \"{MISSING}\", "
                       f"\"code\": {len(rows)}, \"points\": 0}} to the table (or export the "
                       "weights again).")
        if kind == "categorical" and OTHER not in set(rows["level"]):
            raise fail(f"{attr}: a categorical attribute needs an {OTHER!r} level",
                       f"Add a level {OTHER!r} (every value not listed) to {attr}, before "
                       f"{MISSING!r}, with its points (or export the weights again).")
    return out


def encoding_from_table(table: pd.DataFrame) -> Encoding:
    """The encoding a points table implies: the same codes as the fit that made it.

    Categorical levels other than Other/Missing are stored values; numeric and recency
    bins are cut at the ``lower`` bounds of bins 2..k. Recency counts days to today unless
    the scoring gives another reference (:func:`calibrate.model.lead_points.score_sql`).
    """
    out = validate_table(table)
    attrs = []
    for attr, rows in out.groupby("attribute", sort=False):
        rows = rows.sort_values("code")
        kind = rows["kind"].iloc[0]
        levels = [str(v) for v in rows["level"]]
        edges: list[float] = []
        if kind in BINNED:
            lowers = rows["lower"].to_numpy()[1:-1]
            if np.isnan(lowers).any():
                raise ValueError(f"{attr}: numeric bins after the first need a lower bound")
            edges = [float(v) for v in lowers]
        attrs.append(AttributeEncoding(str(attr), rows["axis"].iloc[0], kind, levels, edges))
    return Encoding(attrs)


def axis_ranges(table: pd.DataFrame) -> dict[str, float]:
    """Logit range per axis: sum over its attributes of (highest - lowest coefficient).

    Falls back to the axis's maximum points when coefficients are missing (a hand-made
    table), which weighs points equally.
    """
    out = {}
    for axis in AXES:
        rows = table[table["axis"] == axis]
        if rows.empty:
            out[axis] = 0.0
            continue
        spans = rows.groupby("attribute")["coefficient"].agg(lambda s: s.max() - s.min())
        if spans.isna().any():
            out[axis] = float(rows.groupby("attribute")["points"].max().sum())
        else:
            out[axis] = float(spans.sum())
    return out


def total_points(profile: Any, behavior: Any, ranges: Mapping[str, float]) -> np.ndarray:
    """One score from the two axes, proportional to the model's logit (see module docs)."""
    p = np.asarray(profile, dtype=float)
    b = np.asarray(behavior, dtype=float)
    rp, rb = float(ranges.get("profile", 0.0)), float(ranges.get("behavior", 0.0))
    if rp + rb <= 0:
        return round_half_up((p + b) / 2.0)
    return round_half_up((p * rp + b * rb) / (rp + rb))


def edit_points(table: pd.DataFrame, edits: Mapping[tuple[str, str], int]) -> pd.DataFrame:
    """A copy of ``table`` with ``points`` of the given ``(attribute, level)`` rows replaced.

    ``suggested_points`` (the model's suggestion) is kept, so an edit can always be compared
    with, and reset to, the suggestion. Unknown keys and non-integer points raise.
    """
    out = validate_table(table)
    index = {(a, lv): i for i, (a, lv) in enumerate(zip(out["attribute"], out["level"],
                                                        strict=True))}
    for key, value in edits.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ValueError(f"edit keys must be (attribute, level) pairs; got {key!r}")
        if key not in index:
            raise ValueError(f"no level {key[1]!r} of attribute {key[0]!r} in the table")
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            if not (isinstance(value, float) and value.is_integer()):
                raise ValueError(f"points must be whole numbers; got {value!r} for {key}")
        out.loc[index[key], "points"] = int(value)
    return out


def _cutoffs(cutoffs: Sequence[float], n: int, name: str) -> list[float]:
    values = [float(c) for c in cutoffs]
    if len(values) != n or any(not math.isfinite(v) for v in values) or values != sorted(
            values, reverse=True) or len(set(values)) != n:
        raise ValueError(f"{name} must be {n} distinct numbers, highest first; got {cutoffs!r}")
    return values


def grade(profile_points: Any, cutoffs: Sequence[float] = DEFAULT_CUTOFFS) -> np.ndarray:
    """Profile grade per lead: 'A' at or above the first cut-off, then 'B', 'C', else 'D'."""
    cuts = _cutoffs(cutoffs, 3, "cutoffs")
    x = np.asarray(profile_points, dtype=float)
    return np.select([x >= cuts[0], x >= cuts[1], x >= cuts[2]], list(GRADES[:3]), GRADES[3])


def level(behavior_points: Any, cutoffs: Sequence[float] = DEFAULT_CUTOFFS) -> np.ndarray:
    """Behavior level per lead: 1 at or above the first cut-off, then 2, 3, else 4."""
    cuts = _cutoffs(cutoffs, 3, "cutoffs")
    x = np.asarray(behavior_points, dtype=float)
    return np.select([x >= cuts[0], x >= cuts[1], x >= cuts[2]], [1, 2, 3], 4).astype(np.int64)


def table_to_records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows (NaN as None, numpy numbers as Python ones), in :data:`COLUMNS` order.

    ``table_from_records(table_to_records(t))`` equals ``t`` exactly (floats round-trip
    through JSON's shortest representation).
    """
    out = validate_table(table)
    records = []
    for row in out.itertuples(index=False):
        rec: dict[str, Any] = {}
        for c, v in zip(COLUMNS, row, strict=True):
            if c in _STR:
                rec[c] = str(v)
            elif c in _INT:
                rec[c] = int(v)
            else:
                rec[c] = None if v is None or (isinstance(v, float) and math.isnan(v)) \
                    else float(v)
        records.append(rec)
    return records


def table_from_records(records: Sequence[Mapping[str, Any]], *, validate: bool = True
                       ) -> pd.DataFrame:
    """Rebuild a points table from records (:func:`table_to_records` output, parsed JSON, an
    export's rows); a row lacking a :data:`REQUIRED` column is an error, the others
    default. ``validate=False`` only types the columns: a weights file is read whole and
    its table checked where it is used (scoring names the file then)."""
    rows = []
    for i, rec in enumerate(records):
        missing = [c for c in REQUIRED if c not in rec]
        if missing:
            raise ValueError(f"record {i} lacks {', '.join(missing)}")
        row = {c: (float("nan") if c in _FLOAT and _blank(rec.get(c)) else rec.get(c))
               for c in COLUMNS}
        for c in ("leads", "wins"):
            row[c] = 0 if _blank(row[c]) else row[c]
        if _blank(row["suggested_points"]):
            row["suggested_points"] = row["points"]
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return validate_table(frame) if validate else _conform(frame)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))

"""Whether the agreed points still rank recent leads well, against a refit on those leads.

Why: a market moves, and points agreed a year ago may rank this quarter's leads worse than
points fitted on this quarter would. The question for the room is one line: refit or not,
and which points would move.

The steps of :func:`refresh`:

1. **The recent period**: the last ``months`` calendar months up to the month of the newest
   lead (by ``created_at``). Their leads are copied (streamed as Arrow batches) into an
   in-memory store of the same schema, so that the existing fit
   (:func:`calibrate.model.fit.fit`, which reads the table ``leads``) runs on them unchanged.
2. **The refit**: that fit, with the agreed weights' treatment of no-decision leads; its
   time split holds out the newest 20% of the recent closed leads.
3. **AUC on the held-out recent leads** of the agreed points and of the refit's suggested
   points, both ranking leads by their total score as the workshop does, so the two are
   measured alike on the same leads; with the standard error of their difference (DeLong's
   paired method, on leads grouped by both totals and the outcome: no lead is read into
   Python).
4. **Points that moved**, on every recent lead: an attribute's move is the mean, over the
   leads, of the absolute difference between its points under the two tables (this holds
   when the refit cut numbers into other bins); a level's is the refit's mean points on the
   leads in that agreed level, minus the agreed points. In 3 and 4 both tables count
   recency (days since an activity date) to the date the refit counted to: each lead's
   close date, else the newest date of the recent leads.
5. **Advice**: refit when the refit ranks the held-out leads better by at least
   :data:`REFIT_GAIN` and by at least :data:`Z_REFIT` standard errors, naming the
   attributes that moved most (at least :data:`MOVED_MIN` points a lead); no refit when it
   does not gain :data:`REFIT_GAIN`. "Cannot tell yet", suggesting more months, when the
   recent closed leads cannot support a fit, when fewer than :data:`MIN_HELD_OUT` wins or
   non-wins are held out, or when the gain could be chance.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from calibrate.data import store
from calibrate.errors import CalibrateError, ModelError
from calibrate.model.fit import fit
from calibrate.model.lead_points import points_column, score_sql
from calibrate.model.periods import NoDatesError, add_months, month_label
from calibrate.model.points import encoding_from_table, points_table, validate_table
from calibrate.model.recency import stored_reference
from calibrate.model.stability import check_columns
from calibrate.sql import literal, quote

__all__ = ["MIN_HELD_OUT", "MOVED_MIN", "REFIT_GAIN", "Refresh", "Z_REFIT", "advice_line",
           "paired_auc", "refresh"]

#: AUC points by which a refit must rank the held-out recent leads better to advise it: less
#: is within what a fit on a few months' leads gains or loses by chance.
REFIT_GAIN = 0.02
#: Standard errors of the AUC difference the gain must reach before a refit is advised.
Z_REFIT = 2.0
#: Fewest wins (and non-wins) among the held-out recent leads for their AUCs to be read:
#: with fewer, an AUC's standard error is about 0.1, five times :data:`REFIT_GAIN`.
MIN_HELD_OUT = 10
#: Mean points a lead by which an attribute must move to be named in the advice.
MOVED_MIN = 2.0
#: Attributes named in the advice.
NAMED = 2


@dataclass
class Refresh:
    """The agreed points against a refit on the last ``months`` months.

    ``status`` is ``"refit"``, ``"keep"`` or ``"unknown"`` (too few recent closed leads);
    ``advice`` the one line to read out. ``agreed_auc`` and ``refit_auc`` rank the recent
    held-out leads (``test_leads``, ``test_wins``); ``agreed_auc_then`` is the agreed
    weights' own held-out AUC when they were fitted. ``attributes``: per attribute, mean
    agreed and refit points a recent lead and ``moved`` (mean absolute difference a lead),
    most moved first. ``levels``: per agreed level, its agreed points, the refit's mean
    points on its recent leads, the change and the leads.
    """

    months: int
    period: tuple[str, str]
    status: str
    advice: str
    weights_id: int | None = None
    agreed_auc: float | None = None
    refit_auc: float | None = None
    agreed_auc_then: float | None = None
    gain_se: float | None = None
    recent_leads: int = 0
    recent_closed: int = 0
    recent_wins: int = 0
    test_leads: int = 0
    test_wins: int = 0
    attributes: list[dict[str, Any]] = field(default_factory=list)
    levels: list[dict[str, Any]] = field(default_factory=list)

    @property
    def gain(self) -> float | None:
        """How much better the refit ranks the held-out recent leads (AUC points)."""
        if self.agreed_auc is None or self.refit_auc is None:
            return None
        return self.refit_auc - self.agreed_auc

    def attributes_frame(self) -> pd.DataFrame:
        """One row per attribute, most moved first."""
        return pd.DataFrame(self.attributes, columns=["attribute", "axis", "agreed_points",
                                                      "refit_points", "moved"])

    def levels_frame(self) -> pd.DataFrame:
        """One row per level, largest change first."""
        return pd.DataFrame(self.levels, columns=["attribute", "level", "agreed_points",
                                                  "refit_points", "change", "leads"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (``calibrate refresh --json``)."""
        def plain(v: Any) -> Any:
            if isinstance(v, np.generic):
                v = v.item()
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {
            "months": self.months, "period": {"start": self.period[0], "end": self.period[1]},
            "status": self.status, "advice": self.advice, "weights_id": self.weights_id,
            "agreed_auc": plain(self.agreed_auc), "refit_auc": plain(self.refit_auc),
            "gain": plain(self.gain), "gain_se": plain(self.gain_se),
            "agreed_auc_then": plain(self.agreed_auc_then),
            "refit_gain_needed": REFIT_GAIN,
            "recent_leads": self.recent_leads, "recent_closed": self.recent_closed,
            "recent_wins": self.recent_wins, "test_leads": self.test_leads,
            "test_wins": self.test_wins,
            "attributes": [{k: plain(v) for k, v in r.items()} for r in self.attributes],
            "levels": [{k: plain(v) for k, v in r.items()} for r in self.levels],
        }


def _name(attribute: str) -> str:
    return attribute.replace("_", " ")


def _months_words(months: int) -> str:
    return "month" if months == 1 else f"{months} months"


def advice_line(months: int, agreed_auc: float, refit_auc: float, moved: list[str],
                gain_se: float = 0.0, test_wins: int | None = None) -> tuple[str, str]:
    """The status and the one line of advice for two AUCs on the recent held-out leads, the
    standard error of their difference and the attributes that moved most (most first)."""
    period = f"on the last {_months_words(months)}"
    named = " and ".join(_name(a) for a in moved[:NAMED])
    gain = refit_auc - agreed_auc
    if gain < REFIT_GAIN:
        than = "better than" if round(agreed_auc, 2) > round(refit_auc, 2) else "as well as"
        return "keep", (f"No refit needed: {period} the agreed weights rank at AUC "
                        f"{agreed_auc:.2f}, {than} a refit on them ({refit_auc:.2f}).")
    if gain < Z_REFIT * gain_se:
        wins = f" hold {test_wins:,} wins, too few" if test_wins is not None else " are too few"
        return "unknown", (f"Cannot tell yet: {period} a refit ranks the newest leads at AUC "
                           f"{refit_auc:.2f} and the agreed weights at {agreed_auc:.2f}, but "
                           f"those leads{wins} to tell that from chance. Try more months, "
                           f"e.g. {max(months * 2, months + 3)}.")
    tail = f"; {named} moved most" if named else ""
    return "refit", (f"Refit: {period} the agreed weights rank at AUC {agreed_auc:.2f}, "
                     f"a refit on them at {refit_auc:.2f}{tail}.")


def _components(won: np.ndarray, score: np.ndarray, n: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components per row of grouped leads: for wins, the share of
    non-wins scored below (ties half); for non-wins, the share of wins scored above."""
    uniq, inv = np.unique(score, return_inverse=True)
    pos = np.bincount(inv, weights=n * won, minlength=len(uniq))
    neg = np.bincount(inv, weights=n * (1 - won), minlength=len(uniq))
    below = (np.cumsum(neg) - neg + 0.5 * neg) / neg.sum()
    above = (pos.sum() - np.cumsum(pos) + 0.5 * pos) / pos.sum()
    return below[inv], above[inv]


def paired_auc(won: Any, score_a: Any, score_b: Any, n: Any) -> tuple[float, float, float]:
    """AUCs of two scores on the same leads (rows grouped by both scores and the 0/1
    outcome ``won``, ``n`` leads each) and the standard error of their difference (DeLong,
    DeLong and Clarke-Pearson, 1988); NaN without a win or a non-win."""
    won, n = np.asarray(won, dtype=float), np.asarray(n, dtype=float)
    n1, n0 = float((n * won).sum()), float((n * (1 - won)).sum())
    if n1 <= 0 or n0 <= 0:
        return math.nan, math.nan, math.nan
    v10_a, v01_a = _components(won, np.asarray(score_a, dtype=float), n)
    v10_b, v01_b = _components(won, np.asarray(score_b, dtype=float), n)
    w1, w0 = n * won, n * (1 - won)
    auc_a, auc_b = float((w1 * v10_a).sum() / n1), float((w1 * v10_b).sum() / n1)

    def var_of_difference(da: np.ndarray, db: np.ndarray, w: np.ndarray, total: float) -> float:
        if total <= 1:
            return 0.0
        d = (da - db) - float((w * (da - db)).sum() / total)
        return float((w * d * d).sum() / (total - 1)) / total

    var = var_of_difference(v10_a, v10_b, w1, n1) + var_of_difference(v01_a, v01_b, w0, n0)
    return auc_a, auc_b, math.sqrt(max(var, 0.0))


def _reference(con: duckdb.DuckDBPyConnection, agreed: pd.DataFrame, refit: pd.DataFrame,
               source: str = "leads") -> str | None:
    """SQL of each recent lead's reference date when either table scores recency: the one
    the refit counted to (its close date, else the newest date of the recent leads), so
    both tables score the same days."""
    return stored_reference(con, [*agreed["kind"], *refit["kind"]], source)


def _held_out(con: duckdb.DuckDBPyConnection, agreed: pd.DataFrame, refit: pd.DataFrame,
              split: Any) -> tuple[float, float, float, int, int]:
    """AUC of the agreed and the refit totals on the split's held-out leads, the standard
    error of their difference, and those leads and their wins."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW _held_out AS SELECT * FROM leads WHERE "
                f"{split.population_sql()} AND {split.test_sql()}")
    reference = _reference(con, agreed, refit, "_held_out")
    res = con.execute(
        f"SELECT a.total AS a, r.total AS r, (h.outcome = 'won')::INTEGER AS won, "
        f"count(*)::DOUBLE AS n FROM _held_out AS h "
        f"JOIN ({score_sql(agreed, '_held_out', reference=reference)}) AS a USING (lead_id) "
        f"JOIN ({score_sql(refit, '_held_out', reference=reference)}) AS r USING (lead_id) "
        f"GROUP BY ALL"
    ).fetchnumpy()
    won = np.asarray(res["won"], dtype=float)
    n = np.asarray(res["n"], dtype=float)
    auc_a, auc_b, se = paired_auc(won, res["a"], res["r"], n)
    return auc_a, auc_b, se, int(n.sum()), int((n * won).sum())


def _moves(con: duckdb.DuckDBPyConnection, agreed: pd.DataFrame, refit: pd.DataFrame
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per attribute and per agreed level, how the refit's points differ on recent leads."""
    axes = dict(zip(agreed["attribute"], agreed["axis"], strict=False))
    axes.update({a: x for a, x in zip(refit["attribute"], refit["axis"], strict=False)
                 if a not in axes})
    names = list(axes)
    in_a, in_r = set(agreed["attribute"]), set(refit["attribute"])

    def pts(side: str, present: set[str], a: str) -> str:
        return f"coalesce({side}.{quote(points_column(a))}, 0)" if a in present else "0"

    cols = ", ".join(
        f"avg({pts('a', in_a, a)}) AS {quote('a_' + a)}, "
        f"avg({pts('r', in_r, a)}) AS {quote('r_' + a)}, "
        f"avg(abs({pts('r', in_r, a)} - {pts('a', in_a, a)})) AS {quote('m_' + a)}"
        for a in names)
    reference = _reference(con, agreed, refit)
    agreed_sql = score_sql(agreed, "leads", reference=reference)
    refit_sql = score_sql(refit, "leads", reference=reference)
    row = con.execute(f"SELECT {cols} FROM ({agreed_sql}) AS a JOIN ({refit_sql}) AS r "
                      f"USING (lead_id)").fetchone()
    attributes = [{"attribute": a, "axis": axes[a], "agreed_points": float(row[3 * i] or 0),
                   "refit_points": float(row[3 * i + 1] or 0),
                   "moved": float(row[3 * i + 2] or 0)} for i, a in enumerate(names)]
    attributes.sort(key=lambda r: -r["moved"])

    enc = encoding_from_table(agreed)
    codes = ", ".join(f"{a.sql(reference=reference)} AS _c{i}" for i, a in enumerate(enc))
    means = ", ".join(
        f"avg({pts('r', in_r, a.name)}) AS _r{i}" for i, a in enumerate(enc))
    keys = [f"_c{i}" for i in range(len(enc))]
    frame = con.execute(
        f"SELECT {', '.join(keys)}, count(*) AS _n, {means} FROM (SELECT lead_id, {codes} "
        f"FROM leads) AS c JOIN ({refit_sql}) AS r USING (lead_id) "
        f"GROUP BY GROUPING SETS ({', '.join(f'({k})' for k in keys)})").df()
    levels = []
    for i, a in enumerate(enc):
        part = frame[frame[f"_c{i}"].notna()]
        seen = {int(c): (int(n), float(r)) for c, n, r in
                zip(part[f"_c{i}"], part["_n"], part[f"_r{i}"], strict=True)}
        rows = agreed[agreed["attribute"] == a.name].sort_values("code")
        same = refit[refit["attribute"] == a.name].set_index("level")["points"]
        for code, level, points in zip(rows["code"], rows["level"], rows["points"],
                                       strict=True):
            n, mean = seen.get(int(code), (0, math.nan))
            if n == 0:  # no recent lead at this level: the refit's own level, if any
                mean = float(same.get(level, math.nan))
            levels.append({"attribute": a.name, "level": str(level),
                           "agreed_points": int(points), "refit_points": mean,
                           "change": mean - int(points), "leads": n})
    for a in [n for n in names if n not in in_a]:  # scored by the refit alone
        for level, points in zip(refit.loc[refit["attribute"] == a, "level"],
                                 refit.loc[refit["attribute"] == a, "points"], strict=True):
            levels.append({"attribute": a, "level": str(level), "agreed_points": 0,
                           "refit_points": float(points), "change": float(points),
                           "leads": None})
    levels.sort(key=lambda r: -abs(r["change"]) if math.isfinite(r["change"]) else 0.0)
    return attributes, levels


def refresh(con: duckdb.DuckDBPyConnection, weights: Any, months: int = 3, *,
            progress: Callable[[str], None] | None = None) -> Refresh:
    """The agreed ``weights`` against a refit on the leads of the last ``months`` months
    (module docs: the steps). ``progress`` hears each step as it starts."""
    if isinstance(months, bool) or not isinstance(months, int | np.integer) or months < 1:
        raise CalibrateError(f"The recent period must be a whole number of months, 1 or "
                             f"more; got {months!r}.", fix="Give e.g. 3 (the last 3 months).")
    months = int(months)
    say = progress or (lambda _msg: None)
    table = validate_table(weights.table)
    check_columns(con, table, "A refresh cannot be judged")
    newest = con.execute("SELECT max(created_at) FROM leads").fetchone()[0]
    if newest is None:
        raise NoDatesError("A refresh cannot be judged without lead dates: every loaded "
                           "lead's creation date is empty.",
                           fix="Load leads with the date each lead was created.")
    last = dt.date(newest.year, newest.month, 1)
    first = add_months(last, 1 - months)
    period = (month_label(first), month_label(last))
    exclude = bool(weights.options.get("exclude_no_decision", False))
    then = weights.metrics.get("auc")
    base = Refresh(months=months, period=period, status="unknown", advice="",
                   weights_id=weights.id,
                   agreed_auc_then=float(then) if isinstance(then, int | float) else None)
    say(f"copying the leads of {period[0]} to {period[1]}")
    mem = store.leads_in_memory(con, f"created_at >= {literal(first.isoformat())}::DATE")
    try:
        outcomes = "('won', 'lost')" if exclude else "('won', 'lost', 'no_decision')"
        base.recent_leads, base.recent_closed, base.recent_wins = (int(x or 0) for x in (
            mem.execute(f"SELECT count(*), count(*) FILTER (WHERE outcome IN {outcomes}), "
                        "count(*) FILTER (WHERE outcome = 'won') FROM leads").fetchone()))
        say(f"refitting on {base.recent_closed:,} closed leads")
        try:
            with warnings.catch_warnings():  # leak warnings belong to the full fit
                warnings.filterwarnings("ignore", "Possible leakage", UserWarning)
                result = fit(mem, exclude_no_decision=exclude, leakage="warn")
        except ModelError as exc:
            base.advice = _cannot_tell(months, base, exc.what)
            return base
        refit_table = points_table(result)
        say("ranking the held-out recent leads with both")
        (base.agreed_auc, base.refit_auc, base.gain_se, base.test_leads,
         base.test_wins) = _held_out(mem, table, refit_table, result.split)
        base.attributes, base.levels = _moves(mem, table, refit_table)
    finally:
        mem.close()
    test_nonwins = base.test_leads - base.test_wins
    if min(base.test_wins, test_nonwins) < MIN_HELD_OUT:  # their AUCs would be noise
        base.agreed_auc = base.refit_auc = base.gain_se = None
        base.advice = _cannot_tell(
            months, base, f"the newest of them, held out of the refit to rank, hold "
                          f"{base.test_wins:,} wins and {test_nonwins:,} other closed leads "
                          f"(at least {MIN_HELD_OUT} of each are needed).")
        return base
    moved = [r["attribute"] for r in base.attributes if r["moved"] >= MOVED_MIN]
    base.status, base.advice = advice_line(months, base.agreed_auc, base.refit_auc, moved,
                                           base.gain_se or 0.0, base.test_wins)
    return base


def _cannot_tell(months: int, result: Refresh, why: str) -> str:
    start, end = result.period
    span = start if start == end else f"{start} to {end}"
    return (f"Cannot tell yet: the last {_months_words(months)} ({span}) "
            f"{'holds' if months == 1 else 'hold'} {result.recent_closed:,} closed leads, "
            f"{result.recent_wins:,} of them won, and {why[0].lower()}{why[1:]} "
            f"Try more months, e.g. {max(months * 2, months + 3)}.")

"""What thresholds would have done: a fit on the leads before a cut date, its projection
from the months before the cut, against what the leads after the cut did (issue 20).

Why: a workshop agrees on thresholds from a projection ("about 150 to 190 MQLs a month").
A backtest shows, on the team's own history, whether such a projection holds: it replays
the whole procedure at an earlier date, with only the leads known then, and sets the
projection beside what followed, month by month.

The steps of :func:`backtest`:

1. **The cut**: a date (the first day of a month: the backtest compares whole months) or the
   last ``N`` calendar months up to the newest lead's month (as
   :func:`calibrate.model.refresh.refresh` counts them: the cut is the first day of month
   newest - (N - 1)). A lead created on the cut date is after it. Leads without a creation
   date take no part.
2. **The refit** on the leads created before the cut, with the given weights' fit options
   (``exclude_no_decision``...), by :func:`calibrate.model.fit.fit` itself. The fit opens
   its own cursor, where a temporary view would not be seen, so the leads before the cut
   are copied (only the columns a fit reads) into an in-memory store, as a refresh does.
   Above :data:`MAX_FIT_LEADS` closed leads before the cut, a uniform sample by a hash of
   ``lead_id`` is copied instead (``sampled``; ``fitted_leads`` says how many), and the
   refit takes the weights' own penalty (their ``C``) instead of cross-validating one:
   with that many leads the penalty barely moves the points. Why: the whole backtest must
   stay under 10 s at 10M leads, and on the generated sample a fit on 210,000 closed leads
   ranks its held-out leads within 0.002 AUC of one on 420,000, in about half the time.
   The close date is copied too: recency (days since an activity date) counts to it, as
   in any fit. The refit's points keep the given weights' auto-rules.
3. **The count grid** of the refit's points on the leads from ``window`` months before
   the cut to the newest: the backtest's own (:func:`calibrate.decide.bar_grid.bar_grid`),
   for the bars in play only, its MQLs, wins, conversion and share of wins exactly the
   full grid's; the nurture and auto-disqualified figures would not be, and the backtest
   does not report them.
4. **Projected**: :func:`calibrate.decide.tradeoff.figures_for` over the ``window`` months
   before the cut (fewer when the history is shorter), as the Thresholds screen projects:
   MQLs a month, conversion with its Wilson interval, wins a month (conversion x MQLs, open
   MQLs converting like closed ones) and the share of all wins the MQLs take. Segments with
   their own bar, or a definition limited to one segment, count as the screen counts them.
5. **Actual**: the same figures on the leads after the cut, month by month and over the
   ``k`` months after it. Wins a month are counted as the projection counts them (the
   closed MQLs' conversion times the MQLs), so a month whose MQLs are still mostly open is
   compared like for like; ``won`` is the wins so far. Months with :data:`OPEN_FLAG` or more
   of their MQLs open are flagged: their conversion is not final.
6. **The range and the verdict**: whether the actual MQLs a month (the mean over the ``k``
   months) and wins a month lie in the projection's 90% range. The Thresholds screen's range
   (:mod:`calibrate.decide.month_ranges`) is that of the window's N-month mean: a mean over
   ``k`` later months swings more (fewer months), and the projection is itself an estimate;
   on simulated stationary months the screen's range holds the later mean only about 6
   times in 10. So the range here (:func:`expected_range`) is a predictive one, on the same
   month-by-month MQLs (:func:`~calibrate.decide.month_ranges.month_mqls`, the one MQL
   rule): a draw is the projection, plus the swing of ``k`` months drawn from the window,
   plus the projection's own error (the window's months resampled), wins pooled over the
   months as the screen pools them. A bootstrap over N months underestimates both (its
   variance is (N - 1) / N of the months', and it cannot tell how little N months say about
   it), so the deviations are widened by sqrt(N / (N - 1)) times Student's t over the
   normal quantile, N - 1 degrees of freedom. With it a 90% range holds the later mean in
   88% to 91% of simulated stationary backtests (3 to 12 months before the cut, 1 to 12
   after). A range's low end stops at 0. Each month's row has the range of a single month
   (``k`` = 1).
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from calibrate import fmt
from calibrate.data import store
from calibrate.data.outcomes import CLOSED
from calibrate.decide.bar_grid import bar_grid
from calibrate.decide.grid import CLOSED_IDX, WON, Grid, months_between
from calibrate.decide.month_ranges import DRAWS, LEVEL, MIN_MONTHS, SEED, central, month_mqls
from calibrate.decide.tradeoff import Figures, Settings, figures_for, find_segment
from calibrate.decide.workshop import rules_of, weights_from_fit
from calibrate.errors import CalibrateError, ModelError
from calibrate.model.fit import fit
from calibrate.model.periods import NoDatesError, add_months, month_label
from calibrate.model.points import points_table
from calibrate.model.weights import Weights
from calibrate.sql import literal
from calibrate.thresholds import NOBODY, Thresholds, ThresholdsLike

__all__ = ["MAX_FIT_LEADS", "OPEN_FLAG", "Backtest", "backtest", "expected_range",
           "headline_line", "parse_split"]

#: Closed leads before the cut above which the refit is fitted on a uniform sample of them.
MAX_FIT_LEADS = 250_000
#: Share of a month's MQLs still open from which its conversion is flagged as not final.
OPEN_FLAG = 0.2
_HASH_SCALE = 1_000_000
_VIEW = "_backtest_leads"
_HOW = ("Give the first day of a month (2025-07-01, or 2025-07) or the last months to test, "
        "e.g. 3, 6 or 12.")
_RANGE_KEYS = ("mqls_low", "mqls_high", "wins_low", "wins_high")


@dataclass
class Backtest:
    """Thresholds replayed at a cut date: projected from before it, against what followed.

    ``cut`` is the first day after the fitted period (ISO date); ``fit_period`` the months
    of the leads fitted, ``fitted_leads`` the closed leads the refit was fitted on (a sample
    of ``closed_before`` when ``sampled``). ``window`` and ``after`` are the first and last
    months projected from and compared (``window_months`` N and ``after_months`` k).
    ``projected`` holds the projection's MQLs and wins a month, conversion (with its 95%
    interval) and share of wins, and the 90% range of a k-month mean (``mqls_low`` ...
    ``wins_high``), with the counts they come from (``leads``, ``mqls``, ``wins`` among
    them, ``closed`` and ``open`` MQLs); ``actual`` the same over the k months, and
    ``won_per_month`` (the wins so far) and ``open_share`` (of its MQLs). ``months`` has a
    row per month after the cut (see :meth:`months_frame`). ``mqls_inside`` and
    ``wins_inside`` say whether the actual mean lies in the range (None without a range);
    ``headline`` says it in one line.
    """

    cut: str
    thresholds: str
    fit_period: tuple[str, str]
    window: tuple[str, str]
    after: tuple[str, str]
    window_months: int
    after_months: int
    closed_before: int
    fitted_leads: int
    sampled: bool
    refit_auc: float | None
    projected: dict[str, Any]
    actual: dict[str, Any]
    months: list[dict[str, Any]]
    mqls_inside: bool | None
    wins_inside: bool | None
    headline: str
    undated: int = 0
    weights: Weights | None = field(default=None, repr=False)

    def months_frame(self) -> pd.DataFrame:
        """One row per month after the cut: leads, MQLs and the projected range of one
        month's, wins a month and theirs, conversion, share of wins, open MQLs."""
        return pd.DataFrame(self.months, columns=list(_MONTH_COLUMNS))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (``calibrate backtest --json``)."""
        return {
            "cut": self.cut, "thresholds": self.thresholds,
            "fit_period": {"start": self.fit_period[0], "end": self.fit_period[1]},
            "window": {"start": self.window[0], "end": self.window[1],
                       "months": self.window_months},
            "after": {"start": self.after[0], "end": self.after[1],
                      "months": self.after_months},
            "closed_before": self.closed_before, "fitted_leads": self.fitted_leads,
            "sampled": self.sampled, "refit_auc": _plain(self.refit_auc),
            "projected": {k: _plain(v) for k, v in self.projected.items()},
            "actual": {k: _plain(v) for k, v in self.actual.items()},
            "months": [{k: _plain(v) for k, v in r.items()} for r in self.months],
            "mqls_inside": self.mqls_inside, "wins_inside": self.wins_inside,
            "headline": self.headline, "undated": self.undated, "open_flag": OPEN_FLAG,
            "range_level": LEVEL,
        }


_MONTH_COLUMNS = ("month", "leads", "mqls", "mqls_low", "mqls_high", "wins_per_month",
                  "wins_low", "wins_high", "won", "closed", "open", "open_share",
                  "conversion", "all_wins", "win_share", "still_open")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not math.isfinite(value) else value


# ------------------------------------------------------------------------------ the cut


def parse_split(value: Any) -> int | dt.date:
    """The cut as given: a number of months (``6``, ``"6"``, ``"6m"``, ``"6 months"``) or a
    date (``"2025-07-01"``, ``"2025-07"``, a date); a :class:`CalibrateError` naming the
    value otherwise."""
    if isinstance(value, bool):
        raise CalibrateError(f"The split {value!r} is neither a date nor a number of months.",
                             fix=_HOW)
    if isinstance(value, int | np.integer):
        return _months(int(value), value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().lower()
    if m := re.fullmatch(r"(-?\d+)\s*(m|mo|months?)?", text):
        return _months(int(m.group(1)), value)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", text):
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
        except ValueError:
            pass
    raise CalibrateError(f"The split {str(value)!r} is neither a date nor a number of months.",
                         fix=_HOW)


def _months(n: int, given: Any) -> int:
    if n < 1:
        raise CalibrateError(f"The split {given!r} is not a number of months to test: it "
                             "must be 1 or more.", fix=_HOW)
    return n


def _cut(split: Any, first: dt.date, last: dt.date) -> dt.date:
    """The cut date (the first day of a month), checked against the dated leads' months."""
    given = parse_split(split)
    data = f"the dated leads run from {month_label(first)} to {month_label(last)}"
    if isinstance(given, int):
        cut = add_months(last, 1 - given)
        if cut <= first:
            raise CalibrateError(
                f"The last {given} months leave no leads before them to fit on: {data}.",
                fix=f"Test fewer months, e.g. {max(1, months_between(first, last) // 3)}.")
        return cut
    if given.day != 1:
        later = add_months(dt.date(given.year, given.month, 1), 1)
        raise CalibrateError(
            f"The cut {given.isoformat()} is not the first day of a month: a backtest "
            "compares whole months.",
            fix=f"Cut at {given.replace(day=1).isoformat()} or {later.isoformat()}.")
    middle = add_months(first, months_between(first, last) // 2)
    if given <= first:
        raise CalibrateError(f"The cut {given.isoformat()} comes before the first lead: {data}.",
                             fix=f"Cut later, e.g. at {middle.isoformat()}.")
    if given > last:
        raise CalibrateError(f"The cut {given.isoformat()} comes after the last lead: {data}.",
                             fix=f"Cut earlier, e.g. at {middle.isoformat()}.")
    return given


# -------------------------------------------------------------------------- the refit


#: The columns a fit reads: the backtest copies only these of the leads before the cut.
FIT_ROLES = ("lead_id", "outcome", "created_at", "closed_at", "profile", "behavior")


def _fit_options(weights: Weights) -> dict[str, Any]:
    """The weights' fit options that :func:`fit` takes (the refit fits as they were)."""
    accepted = set(inspect.signature(fit).parameters) - {"con"}
    return {k: v for k, v in (weights.options or {}).items() if k in accepted}


def _refit(con: duckdb.DuckDBPyConnection, weights: Weights, cut: dt.date, last: dt.date,
           say: Callable[[str], None]) -> tuple[Weights, int, int, bool]:
    """The refit's weights on the leads before the cut, the closed leads before it, those
    fitted, and whether they were sampled."""
    options = _fit_options(weights)
    options.setdefault("leakage", "warn")
    closed = ("('won', 'lost')" if options.get("exclude_no_decision")
              else "(" + ", ".join(literal(o) for o in CLOSED) + ")")
    before = f"created_at < {literal(cut.isoformat())}::DATE"
    n_closed, n_won = (int(x or 0) for x in con.execute(
        f"SELECT count(*) FILTER (WHERE outcome IN {closed}), count(*) FILTER (WHERE "
        f"outcome = 'won') FROM leads WHERE {before}").fetchone())
    sampled = n_closed > MAX_FIT_LEADS
    where = before
    if sampled:
        share = math.ceil(MAX_FIT_LEADS / n_closed * _HASH_SCALE)
        where += f" AND hash(lead_id) % {_HASH_SCALE} < {share}"
        say(f"copying a sample of the {n_closed:,} closed leads before {_day(cut)} "
            f"(about {MAX_FIT_LEADS:,})")
        chosen = weights.metrics.get("C")
        if isinstance(chosen, int | float) and chosen > 0:
            options["Cs"] = [float(chosen)]
    else:
        say(f"copying the leads before {_day(cut)}")
    mem = store.leads_in_memory(con, where, FIT_ROLES)
    try:
        fitted = int(mem.execute(f"SELECT count(*) FROM leads WHERE outcome IN {closed}"
                                 ).fetchone()[0])
        say(f"fitting on {fitted:,} closed leads")
        try:
            with warnings.catch_warnings():  # leak warnings belong to the full fit
                warnings.filterwarnings("ignore", "Possible leakage", UserWarning)
                result = fit(mem, **options)
        except ModelError as exc:
            raise CalibrateError(
                f"The leads created before {_day(cut)} cannot be fitted: {n_closed:,} of them "
                f"are closed, {n_won:,} won. {exc.what}", fix=_later(cut, last)) from None
        refit = weights_from_fit(mem, result, points_table(result))
    finally:
        mem.close()
    refit.rules = rules_of(weights).to_dict()
    return refit, n_closed, fitted, sampled


def _later(cut: dt.date, last: dt.date) -> str:
    left = months_between(cut, last)
    if left <= 1:
        return "Load more leads with their outcomes, then cut later."
    return (f"Cut later, when more leads before the cut are closed: e.g. at "
            f"{add_months(cut, left // 2).isoformat()} (--split "
            f"{months_between(add_months(cut, left // 2), last)}).")


# ---------------------------------------------------------------------------- the grid


def _grid(con: duckdb.DuckDBPyConnection, weights: Weights, start: dt.date,
          bars: list[Settings]) -> Grid:
    """:func:`bar_grid` over the leads created from ``start`` on."""
    cur = con.cursor()
    try:
        cur.execute(f"CREATE OR REPLACE TEMP VIEW {_VIEW} AS SELECT * FROM leads WHERE "
                    f"created_at >= {literal(start.isoformat())}::DATE")
        return bar_grid(cur, weights, bars, _VIEW)
    finally:
        cur.close()


# --------------------------------------------------------------------- range and figures


def _mqls_and_wins(sums: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """MQLs a month and wins a month (pooled conversion x MQLs, as the screen projects
    them) of MQLs by outcome summed over ``months`` months (last axis: outcome)."""
    mqls = sums.sum(axis=-1) / months
    with np.errstate(divide="ignore", invalid="ignore"):
        wins = sums[..., WON] / sums[..., list(CLOSED_IDX)].sum(axis=-1) * mqls
    return mqls, wins


def expected_range(per_month: np.ndarray, k: int, draws: int = DRAWS, seed: int = SEED,
                   level: float = LEVEL) -> dict[str, float | None]:
    """The central ``level`` range of the mean MQLs and wins a month over ``k`` months to
    come, from the window's MQLs by month and outcome (N x outcome): module docs, step 6.
    All None below :data:`~calibrate.decide.month_ranges.MIN_MONTHS` months; the wins' None
    when no draw has a closed MQL."""
    from scipy.special import ndtri, stdtrit

    per_month = np.asarray(per_month, dtype=np.float64)
    n = len(per_month)
    if n < MIN_MONTHS or k < 1:
        return dict.fromkeys(_RANGE_KEYS)
    rng = np.random.default_rng(seed)
    point = _mqls_and_wins(per_month.sum(axis=0), n)
    again = _mqls_and_wins(per_month[rng.integers(0, n, size=(draws, n))].sum(axis=1), n)
    ahead = _mqls_and_wins(per_month[rng.integers(0, n, size=(draws, k))].sum(axis=1), k)
    tail = (1 + level) / 2
    widen = math.sqrt(n / (n - 1)) * float(stdtrit(n - 1, tail)) / float(ndtri(tail))
    ends: list[float | None] = []
    for p, a, f in zip(point, again, ahead, strict=True):
        with np.errstate(invalid="ignore"):
            draws_ = p + widen * ((f - p) + (a - p))
        draws_ = draws_[np.isfinite(draws_)]
        low, high = central(draws_, level) if draws_.size else (None, None)
        ends += [None if low is None else max(low, 0.0), high]  # no count is below 0
    return dict(zip(_RANGE_KEYS, ends, strict=True))


def _definition(value: Settings | ThresholdsLike) -> tuple[Settings, dict[str, Settings],
                                                           str | None, str]:
    """The main settings, segments with their own bar, the one segment the definition is
    limited to, and its description."""
    if isinstance(value, Settings):
        return value, {}, None, Thresholds(value.bar()).describe()
    t = Thresholds.of(value)
    if not t:
        raise CalibrateError("There are no thresholds to backtest.",
                             fix="Give a minimum profile and a minimum behavior score, or a "
                                 "minimum total score.")
    first = t.main or next(iter(t.segments.values()))
    main = Settings(mode=first.mode, min_profile=NOBODY, min_behavior=NOBODY,
                    min_total=NOBODY)
    if t.main is not None:
        main = main.with_bar(t.main)
    return main, {s: main.with_bar(b) for s, b in t.segments.items()}, t.only, t.describe()


def _figures(grid: Grid, months: list[dt.date], settings: Settings,
             own: Mapping[str, Settings], only: str | None) -> Figures:
    return figures_for(grid, months, replace(settings, months_in_window=len(months)), own,
                       only)


def _month_row(month: dt.date, f: Figures, one: Mapping[str, float | None]) -> dict[str, Any]:
    open_share = f.open / f.mqls if f.mqls else math.nan
    return {"month": month_label(month), "leads": f.leads, "mqls": f.mqls,
            "mqls_low": one["mqls_low"], "mqls_high": one["mqls_high"],
            "wins_per_month": f.wins_per_month, "wins_low": one["wins_low"],
            "wins_high": one["wins_high"], "won": f.wins, "closed": f.closed, "open": f.open,
            "open_share": open_share, "conversion": f.conversion,
            "all_wins": f.wins + f.nurture_wins + f.disqualified_wins, "win_share": f.win_share,
            "still_open": bool(f.mqls) and open_share >= OPEN_FLAG}


def _summary(f: Figures) -> dict[str, Any]:
    return {"mqls_per_month": f.mqls_per_month, "wins_per_month": f.wins_per_month,
            "conversion": f.conversion, "conversion_low": f.conversion_low,
            "conversion_high": f.conversion_high, "win_share": f.win_share,
            "mqls": f.mqls, "wins": f.wins, "closed": f.closed, "open": f.open,
            "leads": f.leads}


def _inside(value: float, low: float | None, high: float | None) -> bool | None:
    if low is None or high is None or not math.isfinite(value):
        return None
    return low <= value <= high


def _day(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


def _where(value: float, low: float | None, high: float | None) -> str:
    inside = _inside(value, low, high)
    if inside is None:
        return "no range"
    return "inside" if inside else ("above" if value > high else "below")


def _projected_words(projected: Mapping[str, Any], figure: str) -> str:
    low, high = projected[f"{figure}_low"], projected[f"{figure}_high"]
    if low is None or high is None:
        return f"projected {fmt.per_month(projected[f'{figure}_per_month'])}"
    return f"projected {fmt.per_month(low)} to {fmt.per_month(high)}"


def headline_line(cut: dt.date, k: int, actual: Mapping[str, Any],
                  projected: Mapping[str, Any]) -> str:
    """The backtest in one line, as a workshop reads it out: the actual MQLs and wins a
    month after the cut, their projected ranges, and whether they lie inside."""
    months = "month" if k == 1 else f"{k} months"
    m, w = actual["mqls_per_month"], actual["wins_per_month"]
    text = (f"In the {months} from {_day(cut)} these thresholds sent {fmt.per_month(m)} "
            f"MQLs a month ({_projected_words(projected, 'mqls')}) and won "
            f"{fmt.per_month(w)} a month ({_projected_words(projected, 'wins')})")
    where_m = _where(m, projected["mqls_low"], projected["mqls_high"])
    where_w = _where(w, projected["wins_low"], projected["wins_high"])
    if where_m == where_w == "no range":
        text += f"; no range: fewer than {MIN_MONTHS} months before the cut to project from."
    elif where_m == where_w:
        text += f": {'' if where_m == 'inside' else 'both '}{where_m} the range."
    else:
        def part(where: str, pronoun: str) -> str:
            return "no range" if where == "no range" else f"{where} {pronoun}"

        text += f": MQLs {part(where_m, 'the range')}, wins {part(where_w, 'it')}."
    share = actual["open"] / actual["mqls"] if actual["mqls"] else 0.0
    if share >= OPEN_FLAG:
        text += (f" {fmt.percent(share, 0)} of those MQLs are still open: their wins are "
                 "counted at the closed ones' conversion.")
    return text


# ---------------------------------------------------------------------------- backtest


def backtest(con: duckdb.DuckDBPyConnection, weights: Weights,
             settings_or_thresholds: Settings | ThresholdsLike, split: Any, *,
             window: int = 12, progress: Callable[[str], None] | None = None) -> Backtest:
    """Replay ``weights``' fit and the thresholds at the cut ``split`` (a date, or the last
    N months): fit on the leads before it, project from the ``window`` months before it,
    and compare with the months after it (module docs: the steps). ``progress`` hears each
    step as it starts."""
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        raise CalibrateError(f"The window {window!r} is not a number of months to project "
                             "from.", fix="Give a whole number of months, 1 or more (the "
                                          "Thresholds screen projects from 12).")
    say = progress or (lambda _msg: None)
    settings, own, only, described = _definition(settings_or_thresholds)
    parse_split(split)  # a bad value is named before any work
    say("reading the leads' dates")
    dated = any(c.name == "created_at" for c in store.read_columns(con))
    first_at, last_at, undated = con.execute(
        "SELECT min(created_at), max(created_at), count(*) - count(created_at) FROM leads"
    ).fetchone() if dated else (None, None, 0)
    if last_at is None:
        raise NoDatesError("A backtest needs lead creation dates: every loaded lead's "
                           "creation date is empty.",
                           fix="Load leads with the date each lead was created.")
    first = dt.date(first_at.year, first_at.month, 1)
    last = dt.date(last_at.year, last_at.month, 1)
    cut = _cut(split, first, last)
    refit, closed_before, fitted, sampled = _refit(con, weights, cut, last, say)

    start = max(first, add_months(cut, -int(window)))
    window_months = [add_months(start, i) for i in range(months_between(start, cut) - 1)]
    after = [add_months(cut, i) for i in range(months_between(cut, last))]
    say(f"scoring and counting the leads of {month_label(start)} to {month_label(last)} "
        "with the refit")
    bars = [settings, *own.values()]
    grid = _grid(con, refit, start, bars)

    say("projecting and comparing")
    own_named = {seg: s for name, s in own.items() if (seg := find_segment(grid, name))}
    only_named = (find_segment(grid, only) or only) if only is not None else None
    projected_f = _figures(grid, window_months, settings, own, only)
    per_month = month_mqls(grid, window_months, replace(settings, months_in_window=len(
        window_months)), list(own_named.items()) if only is None else [], only_named)
    k = len(after)
    projected = {**_summary(projected_f), **expected_range(per_month, k)}
    one_month = expected_range(per_month, 1)
    rows = [_month_row(m, _figures(grid, [m], settings, own, only), one_month) for m in after]
    actual_f = _figures(grid, after, settings, own, only)
    actual = {**_summary(actual_f),
              "won_per_month": actual_f.wins / k,
              "open_share": actual_f.open / actual_f.mqls if actual_f.mqls else math.nan}
    auc = refit.metrics.get("auc")
    return Backtest(
        cut=cut.isoformat(), thresholds=described,
        fit_period=(month_label(first), month_label(add_months(cut, -1))),
        window=(month_label(window_months[0]), month_label(window_months[-1])),
        after=(month_label(after[0]), month_label(after[-1])),
        window_months=len(window_months), after_months=k, closed_before=closed_before,
        fitted_leads=fitted, sampled=sampled,
        refit_auc=float(auc) if isinstance(auc, int | float) else None,
        projected=projected, actual=actual, months=rows,
        mqls_inside=_inside(actual["mqls_per_month"], projected["mqls_low"],
                            projected["mqls_high"]),
        wins_inside=_inside(actual["wins_per_month"], projected["wins_low"],
                            projected["wins_high"]),
        headline=headline_line(cut, k, actual, projected), undated=int(undated or 0),
        weights=refit)

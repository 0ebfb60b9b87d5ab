"""How fast behavior's effect fades without activity: a half-life per behavior group.

Why: marketing-automation users set score decay by hand (a fixed percentage, a nightly
campaign); nobody estimates it from their own outcomes. When the export has activity
dates, the closed leads say how much less a behavior point is worth the longer a lead has
been idle, and so what decay to key in (:mod:`calibrate.export.decay_settings`).

The steps of :func:`decay`:

1. **Activity dates**: behavior-role date columns (the role guess gives every date that is
   not the created or closed date the behavior role), and numbers named like days since
   the last activity ("Days Since Last Visit"). Dates named like record keeping
   (modified, updated, synced, start, end, due...) are skipped: they are not activity.
2. **Days without activity** (:func:`days_since_sql`, the one place this SQL is written):
   whole days from the activity date to the lead's reference date, 0 when the activity is
   on or after it, NULL when there is none. The reference date of a closed lead is its
   close date (``closed_at``) when it has one, else the newest date in the loaded data
   (the export's as-of date): the question is how idle the lead was when its outcome was
   decided. A days-since number is read as it is (it counts to the export date). New
   leads count to today or to a given as-of date (:func:`days_since`); the points table
   does not score dates (the decay rules in the tools do the fading).
3. **Groups**: one per activity date. A date named after a channel (email, web, form,
   content, event, demo, call, chat: "Last Email Click Date") takes the behavior
   attributes of the weights that share its channel, else a word, with it ("Email Clicks",
   "Email Opens"); an attribute goes to the date sharing the most (channels first, then
   words; file order on a tie). A date with no channel ("Last Activity Date") is the group
   "all behavior": every behavior attribute no channel date took. Behavior outside every
   group is not decayed.
4. **Patterns**: DuckDB scores every closed lead with the weights and groups them by
   profile points ``P``, the group's behavior points ``B``, the other behavior points
   ``O``, a days bucket (about 9% wide, its mean days kept) and whether a date is there,
   with wins and leads. No lead is read into Python.
5. **Profile likelihood**: for each half-life ``h`` on a grid (7 days to 2 years,
   log-spaced, and "no decay"), the weighted logistic model

   ``logit P(won) = r(d) + c_p P + c_o O + beta B 2^(-d/h)``

   is fitted by Newton's method. ``r(d)`` is a recency level: one per days bucket
   (adjacent buckets merged until each holds :data:`LEVEL_CLASS` wins and non-wins) and
   one for no date. It takes up any effect of recency itself (a lead idle for long wins
   less whatever it did; a lost lead is closed after going quiet), so the half-life
   measures only how fast the points' worth fades, which is what a decay rule changes. A
   lead without a date keeps its points (``2^0``).
6. **Interval**: the half-lives whose log-likelihood is within ``chi2(1, 95%) / 2 = 1.92``
   of the best (a likelihood-ratio interval), read off the grid by interpolation in log
   ``h``. "No decay found" when that interval reaches "no decay"; "cannot be estimated"
   without activity dates (saying what is missing), without scored behavior in the group,
   or when its points do not raise the odds; "too few leads" below :data:`MIN_CLASS` dated
   wins or non-wins.
7. **Leakage**: activity that stops at the close is a classic leak (won leads stay active
   up to the close, lost ones are closed after going quiet). The fit never sees it: date
   columns are not scored (:mod:`calibrate.model.binning` skips them), so its leak guard
   does not run on them. Here, a moderate leak is taken up by ``r(d)``: on generated
   leads whose points never fade and whose lost leads were idle four times longer at the
   close, the result is "no decay found", where a model without ``r(d)`` finds a false
   59-day half-life. A strong one is not, as the merged levels grow coarse, so each
   group's days without activity go through the fit's leak rules
   (:func:`calibrate.model.leakage.leakage_checks`, on the AUC of ranking leads by the
   win rate of their level in :data:`LEAK_EDGES`): a flagged group keeps its estimate,
   carries the warning (``leak``) in its headline, and its decay settings open with it.
   Leads active after their close date are counted (``after_close``) and taken as active
   at the close (0 days).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from calibrate.data.roles import snake
from calibrate.data.store import ColumnInfo, read_columns
from calibrate.errors import CalibrateError
from calibrate.export.conditions import headers
from calibrate.export.decay_settings import VENDORS, no_rule, rule_settings
from calibrate.model import metrics as mx
from calibrate.model.lead_points import points_column, score_sql
from calibrate.model.leakage import leakage_checks
from calibrate.model.points import validate_table
from calibrate.sql import literal, quote

__all__ = ["ALL_BEHAVIOR", "GRID", "LR_DROP", "MIN_CLASS", "Decay", "DecayGroup", "decay",
           "days_since", "days_since_sql", "decay_factor", "profile_likelihood",
           "recency_levels"]

#: Half-lives tried, in days: 7 days to 2 years, log-spaced (about 8.6% apart).
GRID = np.geomspace(7.0, 730.0, 57)
#: Drop of the log-likelihood at the edge of a 95% interval: chi2(1) 95% quantile / 2.
LR_DROP = 1.920729
#: Fewest dated closed wins, and non-wins, a group's estimate needs.
MIN_CLASS = 50
#: The group of a date that names no channel ("Last Activity Date").
ALL_BEHAVIOR = "all behavior"
#: Status of a group, and of the whole result.
ESTIMATED, NO_DECAY, CANNOT, TOO_FEW = ("estimated", "no decay found", "cannot be estimated",
                                        "too few leads")
#: Levels of days without activity the leak rules rank (upper bounds in days).
LEAK_EDGES = (7.0, 30.0, 90.0, 180.0, 365.0)
#: Days buckets of the patterns: ``floor(BUCKETS * log2(1 + days))``.
BUCKETS = 8
#: Fewest wins, and non-wins, of a recency level (buckets merge until they hold them).
LEVEL_CLASS = 20

_DATE_WORDS = {"last", "latest", "most", "recent", "recently", "date", "time", "timestamp",
               "datetime", "at", "on", "of", "the", "day", "since", "dt", "ts", "when",
               "ago", "number", "no", "num", "count", "inactive", "inactivity", "without",
               "d", "from"}
_GENERIC = {"activity", "activitie", "engagement", "engage", "engag", "touch", "touchpoint",
            "interaction", "action", "active", "seen", "response", "respond"}
_CHANNELS = {
    "email": {"email", "mail", "newsletter", "open", "bounce", "unsubscribe"},
    "web": {"web", "website", "site", "page", "pageview", "visit", "session", "view",
            "minute", "browse", "pricing", "career"},
    "form": {"form", "submission", "submit", "signup", "registration", "register",
             "contact", "contactu"},
    "content": {"download", "content", "whitepaper", "ebook", "asset", "document"},
    "event": {"webinar", "event", "meeting", "attend", "booth", "conference"},
    "demo": {"demo", "trial"},
    "call": {"call", "phone"},
    "chat": {"chat"},
}
#: Dates that record keeping writes, not a lead's activity: a word of the name starts
#: with one of these ("Last Modified Date", "Trial End Date").
_NOT_ACTIVITY = ("modif", "updat", "chang", "edit", "sync", "import", "export", "birth",
                 "renew", "due", "expir", "start", "end", "creat", "clos", "assign",
                 "convert")
#: Numbers that count days since the last activity.
_DAYS_SINCE = re.compile(r"(days_since|since_last|days_inactive|inactive_days|recency|"
                         r"days_without|idle_days|days_idle)")


# ----------------------------------------------------------------------------- days


def decay_factor(days: Any, half_life: float | None) -> np.ndarray:
    """The share of behavior points left after ``days`` without activity: ``2^(-d/h)``.

    1 at 0 days (and for negative days: activity after the reference date counts as
    none missed), 0.5 at one half-life; ``half_life`` None means no decay (always 1).
    """
    d = np.maximum(np.asarray(days, dtype=float), 0.0)
    if half_life is None or not math.isfinite(half_life):
        return np.ones_like(d)
    return np.exp2(-d / float(half_life))


def days_since_sql(column: str, reference: str) -> str:
    """SQL: whole days from the activity date ``column`` (an SQL expression) to the
    ``reference`` date (an SQL expression); 0 when the activity is on or after it, NULL
    without activity. The one definition, for the estimate and for scoring."""
    # Not greatest(..., 0): DuckDB's greatest skips NULL, and no activity must stay NULL.
    days = f"date_diff('day', CAST({column} AS DATE), CAST({reference} AS DATE))"
    return f"(CASE WHEN {days} < 0 THEN 0 ELSE {days} END)"


def days_since(column: str, as_of: dt.date | str | None = None) -> str:
    """SQL: days without activity of the stored date column ``column`` as of ``as_of``
    (a date, or ``YYYY-MM-DD``), or as of today: how new leads are measured."""
    if as_of is None:
        return days_since_sql(quote(column), "current_date")
    try:
        day = dt.date.fromisoformat(str(as_of)[:10])
    except ValueError:
        raise CalibrateError(f"The as-of date {as_of!r} is not a date.",
                             fix="Give it as YYYY-MM-DD, e.g. 2025-06-30.") from None
    return days_since_sql(quote(column), f"DATE {literal(day.isoformat())}")


# ----------------------------------------------------------------------------- result


@dataclass
class DecayGroup:
    """One behavior group's half-life: how many days without activity halve the worth of
    its behavior points, with its 95% likelihood-ratio interval.

    ``columns`` are the group's behavior attributes as the file names them,
    ``date_column`` its activity date (or days-since number). ``half_life_days`` is None
    for no decay; ``low`` and ``high`` the interval (``high`` None: it reaches no decay;
    ``low_open`` / ``high_open``: it runs past the grid's 7 days / 2 years). ``leads`` and
    ``wins`` are the closed leads used, ``dated`` those with a date; ``after_close`` those
    active after their close date; ``leak`` the leakage warning, if any.
    """

    group: str
    date_column: str
    columns: list[str]
    status: str
    message: str
    half_life_days: float | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    leads: int = 0
    wins: int = 0
    dated: int = 0
    after_close: int = 0
    beta: float | None = None
    leak: str | None = None
    curve: list[dict[str, Any]] = field(default_factory=list)

    def interval_text(self) -> str:
        """The interval as read out: "36 to 57 days", "under 7 to 20 days", "40 days to
        no decay"."""
        if self.low is None:
            return "–"
        if self.high is None and self.low >= GRID[-1] - 1e-9:
            return f"over {self.low:.0f} days to no decay"
        low = f"under {self.low:.0f}" if self.low_open else f"{self.low:.0f}"
        if self.high is None:
            return f"{low} days to no decay"
        high = f"over {self.high:.0f}" if self.high_open else f"{self.high:.0f}"
        return f"{low} to {high} days"

    def to_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in asdict(self).items()}


@dataclass
class Decay:
    """How fast behavior's effect fades, per behavior group, and the decay rules to key in.

    ``status``: "estimated" when some group has a half-life, else the groups' common
    status ("no decay found", "too few leads", "cannot be estimated"); ``message`` says
    why in a sentence. ``settings`` maps each tool ("any", "hubspot", "marketo",
    "pardot") to the lines to key in. ``as_of`` is the newest date loaded, the reference
    of closed leads without a close date; ``reference`` says which date was used.
    ``skipped``: date columns not used, with why.
    """

    status: str
    message: str
    groups: list[DecayGroup] = field(default_factory=list)
    settings: dict[str, list[str]] = field(default_factory=dict)
    as_of: str | None = None
    reference: str = ""
    weights_id: int | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    def headline(self) -> str:
        """The result in one line."""
        if not self.groups or self.status == CANNOT and all(
                g.status == CANNOT for g in self.groups):
            return self.message
        parts = []
        for g in self.groups:
            if g.status == ESTIMATED:
                text = (f"{g.group} halves after {g.half_life_days:.0f} days without activity "
                        f"(95% interval {g.interval_text()})")
            else:
                text = f"{g.group}: {g.status}"
            parts.append(text + (" — check for leakage" if g.leak else ""))
        lead = "Behavior fades: " if self.status == ESTIMATED else "Decay: "
        return lead + "; ".join(parts) + "."

    def groups_frame(self) -> pd.DataFrame:
        """One row per group."""
        return pd.DataFrame([{k: v for k, v in g.to_dict().items() if k != "curve"}
                             for g in self.groups])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (``calibrate decay --json``)."""
        return {"status": self.status, "message": self.message, "headline": self.headline(),
                "as_of": self.as_of, "reference": self.reference,
                "weights_id": self.weights_id, "skipped": dict(self.skipped),
                "groups": [g.to_dict() for g in self.groups],
                "settings": {k: list(v) for k, v in self.settings.items()}}


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


# ----------------------------------------------------------------------------- groups


def _words(name: str) -> set[str]:
    """The words of a name, singular ("Email Clicks" -> {"email", "click"})."""
    out = set()
    for w in snake(name).split("_"):
        if len(w) > 4 and w.endswith("ed"):
            w = w[:-2]
        elif len(w) > 3 and w.endswith("s"):
            w = w[:-1]
        out.add(w)
    return out


def _channels(words: set[str]) -> set[str]:
    return {c for c, vocab in _CHANNELS.items() if words & vocab}


@dataclass
class _Source:
    """An activity date (or days-since number) and the group it heads."""

    column: ColumnInfo
    label: str
    days: bool  # a days-since number, not a date
    words: set[str]
    channels: set[str]
    group: str = ""
    attributes: list[str] = field(default_factory=list)


def _group_name(label: str) -> str:
    """The date's name without its date words, as written ("Last Email Click Date" ->
    "Email Click")."""
    kept = [t for t in re.split(r"[^0-9A-Za-z]+", label) if t
            and next(iter(_words(t)), "") not in _DATE_WORDS]
    return " ".join(kept) or label


def _sources(columns: Sequence[ColumnInfo], physical: set[str]
             ) -> tuple[list[_Source], dict[str, str]]:
    """The activity dates of the loaded leads, and the date columns skipped with why."""
    out: list[_Source] = []
    skipped: dict[str, str] = {}
    generic = None
    for c in columns:
        if c.role != "behavior" or c.name not in physical:
            continue
        label = c.source_name or c.name
        key = "_" + snake(label) + "_"
        if c.type == "date":
            if any(w.startswith(_NOT_ACTIVITY) for w in _words(label)):
                skipped[label] = "named like a record-keeping date, not activity"
                continue
            days = False
        elif c.type == "numeric" and _DAYS_SINCE.search(key):
            days = True
        else:
            continue
        words = _words(label) - _DATE_WORDS
        channels = _channels(words)
        src = _Source(c, label, days, words - _GENERIC, channels)
        if not channels and not src.words:
            if generic is not None:
                skipped[label] = f"a second activity date naming no channel ('{generic}' is used)"
                continue
            generic = label
            src.group = ALL_BEHAVIOR
        else:
            src.group = _group_name(label)
        out.append(src)
    return out, skipped


def _assign(sources: list[_Source], behavior: list[str], labels: dict[str, str]) -> None:
    """Give each behavior attribute to the date it shares most with (module docs, step 3)."""
    own = {s.column.name for s in sources if s.days}  # a days number is not decayed
    generic = next((s for s in sources if s.group == ALL_BEHAVIOR), None)
    for a in behavior:
        if a in own:
            continue
        words = _words(labels.get(a, a))
        channels = _channels(words)
        best, score = None, (0, 0)
        for s in sources:
            if s is generic:
                continue
            here = (len(channels & s.channels), len(words & s.words))
            if here > score:
                best, score = s, here
        if best is None:
            best = generic
        if best is not None:
            best.attributes.append(a)


# ----------------------------------------------------------------------------- fitting


def _loglik(eta: np.ndarray, wins: np.ndarray, leads: np.ndarray) -> float:
    return float(np.sum(wins * eta - leads * np.logaddexp(0.0, eta)))


def _newton(dense: np.ndarray, level: np.ndarray, wins: np.ndarray, leads: np.ndarray,
            coef: np.ndarray) -> tuple[float, np.ndarray]:
    """Maximum of the binomial log-likelihood of grouped rows whose linear predictor is
    ``dense @ coef[:k] + coef[k + level]`` (a coefficient per level, no intercept): Newton's
    method with step halving, the Hessian's one-hot block assembled with ``bincount``."""
    k, n_lev = dense.shape[1], int(level.max()) + 1
    ridge = 1e-9 * np.eye(k + n_lev)

    def eta_of(c: np.ndarray) -> np.ndarray:
        return dense @ c[:k] + c[k:][level]

    ll = _loglik(eta_of(coef), wins, leads)
    for _ in range(100):
        eta = eta_of(coef)
        p = 0.5 * (1.0 + np.tanh(0.5 * eta))
        r = wins - leads * p
        w = leads * p * (1.0 - p)
        grad = np.concatenate([dense.T @ r, np.bincount(level, r, n_lev)])
        hess = ridge.copy()
        hess[:k, :k] += (dense * w[:, None]).T @ dense
        for j in range(k):
            hess[j, k:] = hess[k:, j] = np.bincount(level, w * dense[:, j], n_lev)
        hess[k:, k:] += np.diag(np.bincount(level, w, n_lev))
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            new = coef + t * step
            ll_new = _loglik(eta_of(new), wins, leads)
            if ll_new >= ll - 1e-10 or t < 1e-6:
                break
            t /= 2
        done = ll_new - ll < 1e-9
        coef, ll = new, ll_new
        if done:
            break
    return ll, coef


def profile_likelihood(dense: np.ndarray, level: np.ndarray, points: np.ndarray,
                       days: np.ndarray, wins: np.ndarray, leads: np.ndarray,
                       grid: np.ndarray = GRID) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood at each half-life of ``grid`` and with no decay (the last entry),
    and the decayed points' coefficient at each.

    Per row of grouped leads (``wins`` of ``leads``): ``dense`` holds the model's other
    slopes (profile and other behavior points), ``level`` its recency level (0, 1, ...:
    an intercept each), ``points`` the group's points (hundredths) and ``days`` the days
    without activity (NaN: no date, so no decay).
    """
    _, level = np.unique(level, return_inverse=True)
    d = np.where(np.isfinite(days), days, 0.0)
    lls = np.empty(len(grid) + 1)
    betas = np.empty(len(grid) + 1)
    n_lev = int(level.max()) + 1
    w_lev = np.bincount(level, wins, n_lev)
    n_lev_leads = np.bincount(level, leads, n_lev)
    rate = (w_lev + 0.5) / (n_lev_leads + 1.0)
    coef = np.concatenate([np.zeros(dense.shape[1] + 1), np.log(rate / (1 - rate))])
    # From no decay down to the shortest half-life: each fit starts from its neighbour's.
    for i, h in enumerate([math.inf, *grid[::-1]]):
        z = points * (np.exp2(-d / h) if math.isfinite(h) else 1.0)
        ll, coef = _newton(np.column_stack([dense, z]), level, wins, leads, coef)
        j = len(grid) if i == 0 else len(grid) - i
        lls[j], betas[j] = ll, coef[dense.shape[1]]
    return lls, betas


def _interval(lls: np.ndarray, grid: np.ndarray) -> dict[str, Any]:
    """The best half-life and its likelihood-ratio interval from the profile (the last
    entry of ``lls`` is no decay)."""
    on_grid = lls[:-1]
    best = int(np.argmax(on_grid))
    top = max(float(on_grid[best]), float(lls[-1]))
    cut = top - LR_DROP
    x = np.log(grid)
    out: dict[str, Any] = {"no_decay_best": float(lls[-1]) >= float(on_grid[best]),
                           "reaches_no_decay": float(lls[-1]) >= cut}
    # The best half-life, refined by a parabola through its neighbours (in log days).
    h = x[best]
    if 0 < best < len(grid) - 1:
        y0, y1, y2 = on_grid[best - 1: best + 2]
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            h = x[best] + 0.5 * (y0 - y2) / denom * (x[1] - x[0])
    out["best"] = float(np.exp(h))
    if on_grid[best] < cut:  # every half-life up to the grid's top fits worse than none
        out.update(low=float(grid[-1]), low_open=False, high=float(grid[-1]), high_open=True)
        return out
    low, low_open = grid[0], True
    for j in range(best, 0, -1):
        if on_grid[j - 1] < cut:
            f = (on_grid[j] - cut) / (on_grid[j] - on_grid[j - 1])
            low, low_open = float(np.exp(x[j] - f * (x[j] - x[j - 1]))), False
            break
    high, high_open = grid[-1], True
    for j in range(best, len(grid) - 1):
        if on_grid[j + 1] < cut:
            f = (on_grid[j] - cut) / (on_grid[j] - on_grid[j + 1])
            high, high_open = float(np.exp(x[j] + f * (x[j + 1] - x[j]))), False
            break
    out.update(low=float(low), low_open=low_open, high=float(high), high_open=high_open)
    return out


# ----------------------------------------------------------------------------- decay


def _as_of(con: duckdb.DuckDBPyConnection, names: list[str]) -> dt.date | None:
    """The newest date among the columns ``names`` of the leads (the export's as-of date)."""
    if not names:
        return None
    row = con.execute("SELECT " + ", ".join(f"max(CAST({quote(n)} AS DATE))" for n in names)
                      + " FROM leads").fetchone()
    days = [d for d in row if d is not None]
    return max(days) if days else None


def _no_dates_message(columns: Sequence[ColumnInfo], skipped: dict[str, str]) -> str:
    """What is missing for a decay estimate, naming the dates that are there."""
    named = {"created_at": "the created date", "closed_at": "the close date"}
    dates = [f"'{c.source_name or c.name}' ({named.get(c.role, c.role)})"
             for c in columns if c.type == "date" or c.role in named]
    have = (" The dates loaded are " + ", ".join(dates) + "." if dates
            else " The loaded leads have no date columns.")
    other = [f"'{c.source_name or c.name}'" for c in columns
             if c.type == "date" and c.role not in ("behavior", "created_at", "closed_at")]
    hint = (" A date with another role (" + ", ".join(other) + ") counts once its role is "
            "behavior." if other else "")
    skip = "".join(f" '{k}' is skipped: {v}." for k, v in skipped.items())
    return ("Decay cannot be estimated: the loaded leads have no activity dates. It needs, "
            "per lead, the date of its last activity (e.g. 'Last Activity Date', or one per "
            "activity such as 'Last Email Click Date') or a number of days since it (e.g. "
            "'Days Since Last Visit')." + have + hint + skip)


def decay(con: duckdb.DuckDBPyConnection, weights: Any) -> Decay:
    """Half-lives of behavior's effect per behavior group, from the closed leads and the
    points of ``weights`` (a Weights or its points table); module docs: the steps."""
    table = validate_table(getattr(weights, "table", weights))
    options = getattr(weights, "options", {}) or {}
    weights_id = getattr(weights, "id", None)
    columns = read_columns(con)
    physical = {r[0] for r in con.execute("DESCRIBE leads").fetchall()}
    labels = headers(columns)
    missing = sorted(set(table["attribute"]) - physical)
    if missing:
        shown = [labels.get(m, m) for m in missing]
        raise CalibrateError(
            f"The loaded leads lack {len(missing)} column(s) the weights score: "
            f"{', '.join(shown)}.", column=shown[0],
            fix="Load leads with those columns, or agree on weights fitted on these leads.")
    sources, skipped = _sources(columns, physical)
    if not sources:
        message = _no_dates_message(columns, skipped)
        return Decay(CANNOT, message, weights_id=weights_id, skipped=skipped,
                     settings=no_rule("behavior", "The loaded leads have no activity dates."))

    dates = [c.name for c in columns if c.name in physical and c.type == "date"
             and c.role in ("created_at", "closed_at", "behavior")]
    as_of = _as_of(con, dates) or dt.date.today()
    has_closed = "closed_at" in physical and any(c.role == "closed_at" for c in columns)
    asof_sql = f"DATE {literal(as_of.isoformat())}"
    reference_sql = f"coalesce(CAST(closed_at AS DATE), {asof_sql})" if has_closed else asof_sql
    reference = (f"the close date of each closed lead, else the newest date loaded "
                 f"({as_of.isoformat()})" if has_closed else
                 f"the newest date loaded ({as_of.isoformat()}) for every lead: without a "
                 "close date, leads closed long ago look idle, which can shorten a half-life")

    behavior = list(dict.fromkeys(table.loc[table["axis"] == "behavior", "attribute"]))
    _assign(sources, behavior, labels)
    outcomes = ("('won', 'lost')" if options.get("exclude_no_decision")
                else "('won', 'lost', 'no_decision')")
    scored = score_sql(table, "leads")
    maxima = table.groupby("attribute")["points"].max()
    groups: list[DecayGroup] = []
    settings: dict[str, list[str]] = {v: [] for v in VENDORS}
    for src in sources:
        g = _estimate(con, src, behavior, labels, scored, outcomes, reference_sql)
        groups.append(g)
        if g.status == ESTIMATED and g.half_life_days is not None:
            top = int(maxima.reindex(src.attributes).fillna(0).sum())
            rules = rule_settings(g.group, src.label, g.columns, g.half_life_days,
                                  all_behavior=set(src.attributes) >= set(behavior),
                                  top=max(top, 1), days_column=src.days)
            if g.leak:
                for v in VENDORS:
                    rules[v].insert(0, f"{g.group}: check before keying in: days since "
                                       f"'{src.label}' {g.leak}.")
        else:
            rules = no_rule(g.group, g.message)
        for v in VENDORS:
            settings[v] += rules[v]
    found = [g for g in groups if g.status == ESTIMATED]
    if found:
        status = ESTIMATED
        message = (f"Half-lives estimated for {len(found)} of {len(groups)} behavior "
                   f"group(s), with days without activity counted to {reference}.")
    else:
        status = next((s for s in (NO_DECAY, TOO_FEW) if any(g.status == s for g in groups)),
                      CANNOT)
        message = " ".join(f"{g.group}: {g.message}" for g in groups)
    return Decay(status, message, groups, settings, as_of.isoformat(), reference,
                 weights_id, skipped)


def _estimate(con: duckdb.DuckDBPyConnection, src: _Source, behavior: list[str],
              labels: dict[str, str], scored: str, outcomes: str, reference_sql: str
              ) -> DecayGroup:
    """One group's half-life (module docs, steps 4-7)."""
    shown = [labels.get(a, a) for a in src.attributes]
    group = DecayGroup(src.group, src.label, shown, CANNOT, "")
    if not src.attributes:
        group.message = (f"No scored behavior attribute shares a channel or a word with "
                         f"'{src.label}', so no points can fade with it.")
        return group
    col = quote(src.column.name)
    if src.days:
        number = f"TRY_CAST({col} AS DOUBLE)"
        days = f"(CASE WHEN {number} < 0 THEN 0 ELSE {number} END)"
        after = "false"
    else:
        days = days_since_sql(col, reference_sql)
        after = f"date_diff('day', CAST({col} AS DATE), CAST({reference_sql} AS DATE)) < 0"
    mine = " + ".join(quote(points_column(a)) for a in src.attributes)
    rest = [a for a in behavior if a not in src.attributes]
    others = " + ".join(quote(points_column(a)) for a in rest) if rest else "0"
    res = con.execute(
        f"WITH _s AS ({scored}), _l AS (SELECT lead_id, (outcome = 'won')::INTEGER AS _won, "
        f"{days} AS _d, coalesce({after}, false) AS _after FROM leads "
        f"WHERE outcome IN {outcomes}) "
        f"SELECT _s.profile_points::DOUBLE AS _p, ({others})::DOUBLE AS _o, "
        f"({mine})::DOUBLE AS _b, CASE WHEN _d IS NULL THEN -1 ELSE "
        f"floor({BUCKETS} * log2(1 + _d))::INTEGER END AS _k, avg(_d)::DOUBLE AS _days, "
        f"sum(_won)::DOUBLE AS _wins, count(*)::DOUBLE AS _leads, "
        f"count(*) FILTER (WHERE _after)::DOUBLE AS _after "
        f"FROM _l JOIN _s USING (lead_id) GROUP BY ALL").fetchnumpy()
    wins = np.asarray(res["_wins"], dtype=float)
    leads = np.asarray(res["_leads"], dtype=float)
    d = np.asarray(res["_days"], dtype=float)  # NaN: no date
    d = np.where(np.asarray(res["_k"]) < 0, np.nan, d)
    dated = np.isfinite(d)
    group.leads, group.wins = int(leads.sum()), int(wins.sum())
    group.dated = int(leads[dated].sum())
    group.after_close = int(np.asarray(res["_after"], dtype=float).sum())
    dated_wins = float(wins[dated].sum())
    if min(dated_wins, group.dated - dated_wins) < MIN_CLASS:
        group.status = TOO_FEW
        group.message = (f"{group.dated:,} closed leads have a date in '{src.label}', "
                         f"{dated_wins:,.0f} of them won; at least {MIN_CLASS} wins and "
                         f"{MIN_CLASS} other closed leads with a date are needed.")
        return group
    if np.ptp(d[dated]) == 0:
        group.message = (f"Every dated lead has the same days since '{src.label}' "
                         f"({d[dated][0]:.0f}), so no fading can be seen.")
        return group
    b = np.asarray(res["_b"], dtype=float)
    if np.ptp(b) == 0:
        group.message = (f"The points of {', '.join(shown)} are the same for every lead, so "
                         "nothing can fade.")
        return group
    dense, level = _design(np.asarray(res["_p"], dtype=float),
                           np.asarray(res["_o"], dtype=float),
                           np.asarray(res["_k"], dtype=np.int64), wins, leads)
    group.leak = _leak(d, wins, leads, src.label)
    lls, betas = profile_likelihood(dense, level, b / 100.0, d, wins, leads)
    found = _interval(lls, GRID)
    group.curve = [{"half_life_days": float(h), "loglik": float(ll)}
                   for h, ll in zip(GRID, lls[:-1], strict=True)]
    group.curve.append({"half_life_days": None, "loglik": float(lls[-1])})
    best = len(GRID) if found["no_decay_best"] else int(np.argmax(lls[:-1]))
    group.beta = float(betas[best])
    if group.beta <= 0:
        group.message = (f"The points of {', '.join(shown)} do not raise the odds of winning "
                         "once profile and recency are taken into account, so their fading "
                         "cannot be measured.")
        return group
    group.half_life_days = None if found["no_decay_best"] else found["best"]
    group.low, group.low_open = found["low"], found["low_open"]
    group.high = None if found["reaches_no_decay"] else found["high"]
    group.high_open = False if found["reaches_no_decay"] else found["high_open"]
    if found["reaches_no_decay"]:
        group.status = NO_DECAY
        group.message = (f"No decay found: closed leads won as often with these points "
                         f"however long since '{src.label}' (95% interval: "
                         f"{group.interval_text()}).")
    else:
        group.status = ESTIMATED
        group.message = (f"Points halve after {group.half_life_days:.0f} days without "
                         f"activity (95% interval {group.interval_text()}).")
    if group.after_close:
        group.message += (f" {group.after_close:,} closed leads were active after their close "
                          "date: counted as active at the close.")
    return group


def _design(profile: np.ndarray, other: np.ndarray, bucket: np.ndarray, wins: np.ndarray,
            leads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The model's slopes but the decayed points' (profile and other behavior points, in
    hundredths, when they vary) and each row's recency level (step 5)."""
    cols = [x for x in (profile / 100.0, other / 100.0) if np.ptp(x) > 0]
    dense = np.column_stack(cols) if cols else np.zeros((len(profile), 0))
    return dense, recency_levels(bucket, wins, leads)


def recency_levels(bucket: np.ndarray, wins: np.ndarray, leads: np.ndarray,
                   min_class: int = LEVEL_CLASS) -> np.ndarray:
    """A level per row: adjacent days buckets merged, from the most recent, until each
    level holds ``min_class`` wins and as many non-wins (the last joins the one before);
    no date (bucket -1) is a level of its own. Levels without both would push their
    coefficient to infinity."""
    dated = bucket >= 0
    top = int(bucket.max()) + 1 if dated.any() else 0
    w = np.bincount(bucket[dated], wins[dated], top)
    n = np.bincount(bucket[dated], leads[dated], top)
    merged = np.zeros(top, dtype=np.int64)
    level, have_w, have_l = 0, 0.0, 0.0
    for b in range(top):
        merged[b] = level
        have_w, have_l = have_w + w[b], have_l + n[b] - w[b]
        if have_w >= min_class and have_l >= min_class:
            level, have_w, have_l = level + 1, 0.0, 0.0
    if top and (have_w or have_l) and level > 0:  # a short last level joins the one before
        merged[merged == level] = level - 1
    out = np.full(len(bucket), int(merged.max()) + 1 if top else 0, dtype=np.int64)
    out[dated] = merged[bucket[dated]]
    return out


def _leak(days: np.ndarray, wins: np.ndarray, leads: np.ndarray, label: str) -> str | None:
    """The leakage rules' verdict on a group's days without activity, in the levels of
    :data:`LEAK_EDGES` and no date (module docs, step 7)."""
    level = np.where(np.isfinite(days),
                     np.searchsorted(LEAK_EDGES, np.nan_to_num(days), side="right"),
                     len(LEAK_EDGES) + 1)
    n = np.bincount(level, weights=leads)
    w = np.bincount(level, weights=wins)
    keep = n > 0
    rate = w[keep] / n[keep]
    auc = mx.auc(rate, rate, n[keep])
    name = f"days since {label}"
    flagged = leakage_checks({name: auc}, names={name: label})
    return flagged[0][2] if flagged else None

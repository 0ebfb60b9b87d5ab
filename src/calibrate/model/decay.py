"""How fast behavior's effect fades without activity: a half-life per behavior group.

Why: marketing-automation users set score decay by hand (a fixed percentage, a nightly
campaign); nobody estimates it from their own outcomes. When the export has activity
dates, the closed leads say how much less a behavior point is worth the longer a lead has
been idle, and so what decay to key in (:mod:`calibrate.export.decay_settings`).

The steps of :func:`decay`:

1. **Activity dates and groups** (:mod:`calibrate.model.recency`): one group per activity
   date (or days-since number); a lone date naming no channel is "all behavior". Behavior
   outside every group is not decayed, and recency attributes (an activity date scored by
   the days since it, "0-6 days ago") are the days themselves, not points that fade.
2. **Days without activity** (:func:`calibrate.model.recency.days_since_sql`), counted to
   each closed lead's reference date (:func:`calibrate.model.recency.reference_sql`): its
   close date, else the newest date loaded. A days-since number is read as it is.
3. **Patterns**: DuckDB scores every closed lead with the weights and groups them by
   profile points ``P``, the group's behavior points ``B``, the other behavior points
   ``O`` (the group's own recency points left out: ``r(d)`` takes them up), a days bucket
   (about 9% wide, its mean days kept) and whether a date is there, with wins and leads.
   No lead is read into Python.
4. **Profile likelihood** (:mod:`calibrate.model.half_life`): for each half-life ``h`` on
   a grid (7 days to 2 years, and "no decay"), ``logit P(won) = r(d) + c_p P + c_o O +
   beta B 2^(-d/h)``. ``r(d)`` is a recency level: one per days bucket (adjacent buckets
   merged until each holds :data:`~calibrate.model.half_life.LEVEL_CLASS` wins and
   non-wins) and one for no date. It takes up any effect of recency itself (a lead idle
   for long wins less whatever it did; a lost lead is closed after going quiet), so the
   half-life measures only how fast the points' worth fades, which is what a decay rule
   changes. A lead without a date keeps its points (``2^0``).
5. **Interval**: the likelihood-ratio interval (``chi2(1, 95%) / 2 = 1.92``). "No decay
   found" when it reaches "no decay"; "cannot be estimated" without activity dates (saying
   what is missing), without scored behavior in the group, or when its points do not raise
   the odds; "too few leads" below :data:`MIN_CLASS` dated wins or non-wins.
6. **Leakage**: activity that stops at the close is a classic leak (won leads stay active
   up to the close, lost ones are closed after going quiet). The fit's leak guard sees the
   recency attribute of each activity date (:mod:`calibrate.model.binning` scores it) and
   leaves it out when it predicts too well. Here, a moderate leak is taken up by ``r(d)``:
   on generated leads whose points never fade and whose lost leads were idle four times
   longer at the close, the result is "no decay found", where a model without ``r(d)``
   finds a false 59-day half-life. A strong one is not, as the merged levels grow coarse,
   so each group's days go through the fit's leak rules
   (:func:`calibrate.model.leakage.leakage_checks`, on the AUC of ranking leads by the win
   rate of their level in :data:`LEAK_EDGES`): a flagged group keeps its estimate, carries
   the warning (``leak``) in its headline, and its decay settings open with it. Leads
   active after their close date are counted (``after_close``) and taken as active at the
   close (0 days).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from calibrate.data.store import ColumnInfo, read_columns
from calibrate.errors import CalibrateError
from calibrate.export.conditions import headers
from calibrate.export.decay_settings import VENDORS, no_rule, rule_settings
from calibrate.model import metrics as mx
from calibrate.model.half_life import GRID, LR_DROP, decay_factor, interval, profile_likelihood
from calibrate.model.half_life import recency_levels as recency_levels
from calibrate.model.lead_points import points_column, score_sql
from calibrate.model.leakage import leakage_checks
from calibrate.model.points import validate_table
from calibrate.model.recency import (
    ALL_BEHAVIOR,
    ActivitySource,
    activity_sources,
    assign_attributes,
    data_as_of,
    days_since,
    days_since_sql,
    reference_sql,
)
from calibrate.sql import quote

__all__ = ["ALL_BEHAVIOR", "GRID", "LR_DROP", "MIN_CLASS", "Decay", "DecayGroup", "decay",
           "days_since", "days_since_sql", "decay_factor", "profile_likelihood",
           "recency_levels"]

#: Fewest dated closed wins, and non-wins, a group's estimate needs.
MIN_CLASS = 50
#: Status of a group, and of the whole result.
ESTIMATED, NO_DECAY, CANNOT, TOO_FEW = ("estimated", "no decay found", "cannot be estimated",
                                        "too few leads")
#: Levels of days without activity the leak rules rank (upper bounds in days).
LEAK_EDGES = (7.0, 30.0, 90.0, 180.0, 365.0)
#: Days buckets of the patterns: ``floor(BUCKETS * log2(1 + days))``.
BUCKETS = 8


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
        """JSON-safe form, with the interval as read out (``interval``)."""
        return {**{k: _plain(v) for k, v in asdict(self).items()},
                "interval": self.interval_text()}


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


# ----------------------------------------------------------------------------- decay


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
    kinds = table.groupby("attribute", sort=False)["kind"].first()
    missing = sorted(set(kinds.index) - physical)
    if missing:
        shown = [labels.get(m, m) for m in missing]
        raise CalibrateError(
            f"The loaded leads lack {len(missing)} column(s) the weights score: "
            f"{', '.join(shown)}.", column=shown[0],
            fix="Load leads with those columns, or agree on weights fitted on these leads.")
    sources, skipped = activity_sources(columns, physical)
    if not sources:
        message = _no_dates_message(columns, skipped)
        return Decay(CANNOT, message, weights_id=weights_id, skipped=skipped,
                     settings=no_rule("behavior", "The loaded leads have no activity dates."))

    as_of = data_as_of(con) or dt.date.today()
    has_closed = "closed_at" in physical and any(c.role == "closed_at" for c in columns)
    reference_of_lead = reference_sql(con, as_of=as_of)
    reference = (f"the close date of each closed lead, else the newest date loaded "
                 f"({as_of.isoformat()})" if has_closed else
                 f"the newest date loaded ({as_of.isoformat()}) for every lead: without a "
                 "close date, leads closed long ago look idle, which can shorten a half-life")

    behavior = list(dict.fromkeys(table.loc[table["axis"] == "behavior", "attribute"]))
    points = [a for a in behavior if kinds[a] != "recency"]  # recency is the days, not points
    assign_attributes(sources, points, labels)
    outcomes = ("('won', 'lost')" if options.get("exclude_no_decision")
                else "('won', 'lost', 'no_decision')")
    scored = score_sql(table, "leads", reference=reference_of_lead)
    maxima = table.groupby("attribute")["points"].max()
    groups: list[DecayGroup] = []
    settings: dict[str, list[str]] = {v: [] for v in VENDORS}
    for src in sources:
        own = [a for a in behavior if kinds[a] == "recency" and a == src.column.name]
        others = [a for a in behavior if a not in src.attributes and a not in own]
        g = _estimate(con, src, others, labels, scored, outcomes, reference_of_lead)
        groups.append(g)
        if g.status == ESTIMATED and g.half_life_days is not None:
            whole = set(src.attributes) >= set(points)
            # The field the rule changes: the Behavior Score (recency points included) for
            # all behavior, else a score of the group's own.
            top = int(maxima.reindex(behavior if whole else src.attributes).fillna(0).sum())
            rules = rule_settings(g.group, src.label, g.columns, g.half_life_days,
                                  all_behavior=whole, top=max(top, 1), days_column=src.days)
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


def _estimate(con: duckdb.DuckDBPyConnection, src: ActivitySource, others: list[str],
              labels: dict[str, str], scored: str, outcomes: str, reference: str
              ) -> DecayGroup:
    """One group's half-life (module docs, steps 3-6); ``others`` are the behavior
    attributes whose points are ``O``."""
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
        days = days_since_sql(col, reference)
        after = f"date_diff('day', CAST({col} AS DATE), CAST({reference} AS DATE)) < 0"
    mine = " + ".join(quote(points_column(a)) for a in src.attributes)
    other = " + ".join(quote(points_column(a)) for a in others) if others else "0"
    res = con.execute(
        f"WITH _s AS ({scored}), _l AS (SELECT lead_id, (outcome = 'won')::INTEGER AS _won, "
        f"{days} AS _d, coalesce({after}, false) AS _after FROM leads "
        f"WHERE outcome IN {outcomes}) "
        f"SELECT _s.profile_points::DOUBLE AS _p, ({other})::DOUBLE AS _o, "
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
    found = interval(lls, GRID)
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

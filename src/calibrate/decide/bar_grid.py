"""The backtest's own count grid: only the bars in play, so that replaying thresholds on
millions of leads stays fast (issue 20).

Why: the full count grid (:func:`calibrate.decide.workshop.workshop_grid`) serves every
slider position; a backtest needs only a few bars. Two things make its grid cheaper:

* **Rules only where they can change an MQL** (:func:`pruned_rule`): the auto-rules'
  regular expressions (fake names, phones, emails) cost more than the scoring itself, so
  they are evaluated only on a lead that reaches one of the bars in play or that a
  qualifying rule picks. Any other lead is not an MQL whatever its rule, and counts as
  touched by none.
* **Points collapsed to the bars' minimums**: a lead's profile, behavior and total points
  go down to the highest bar minimum they reach (0 below all), so the grid holds a few
  cells instead of up to 101 x 101.

MQLs, wins, conversion and the share of wins at any of the bars are exactly the full
grid's (a test compares them); the nurture and auto-disqualified figures are not, and the
backtest does not report them. Points are the grid's own (:func:`~calibrate.decide.
workshop.scored_sql`), recency counted to each lead's reference date as the fit counts it.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb

from calibrate.data import store
from calibrate.decide.grid import Grid, build_grid
from calibrate.decide.rules import active_rules, rule_sql
from calibrate.decide.tradeoff import Settings
from calibrate.decide.workshop import rules_of, scored_sql
from calibrate.model.rule_settings import RuleSet
from calibrate.model.weights import Weights

__all__ = ["bar_grid", "pruned_rule"]


def _qualifying_only(rules: RuleSet) -> RuleSet:
    """The rules that qualify a lead, the disqualifying ones switched off."""
    return replace(rules, competitor_domains=[], competitor_companies=[], fake_names=[],
                   fake_name_patterns=[], fake_phones=[], fake_phone_555=False,
                   fake_phone_same_digit=False, min_phone_digits=0, throwaway_domains=[],
                   check_email_format=False, students={})


def _clipped(points: str) -> str:
    return f"least(greatest(coalesce({points}, 0), 0), 100)"  # as build_grid counts points


def _reaches(s: Settings) -> str:
    if s.mode == "total":
        return f"{_clipped('_t')} >= {int(s.min_total)}"
    return (f"({_clipped('_p')} >= {int(s.min_profile)} AND {_clipped('_b')} >= "
            f"{int(s.min_behavior)})")


def pruned_rule(con: duckdb.DuckDBPyConnection, rules: RuleSet, bars: list[Settings]) -> str:
    """The auto-rules' SQL, evaluated only on a lead that reaches one of ``bars`` or that a
    qualifying rule picks (module docs): NULL for any other lead."""
    columns = [c for c in store.read_columns(con) if c.role != "ignore"]
    full = rule_sql(rules, columns)
    if not active_rules(rules, columns):  # no rule can fire
        return full
    could = " OR ".join(_reaches(s) for s in bars)
    return (f"(CASE WHEN {could} OR {rule_sql(_qualifying_only(rules), columns)} IS NOT NULL "
            f"THEN {full} END)")


def _collapsed(points: str, floors: set[int]) -> str:
    """Points down to the highest of ``floors`` they reach (0 when none): a lead reaches a
    bar of those floors exactly when its points do."""
    whens = " ".join(f"WHEN {_clipped(points)} >= {f} THEN {f}"
                     for f in sorted(floors, reverse=True) if 0 < f <= 100)
    return f"(CASE {whens} ELSE 0 END)" if whens else "0"


def bar_grid(con: duckdb.DuckDBPyConnection, weights: Weights, bars: list[Settings],
             source: str = "leads") -> Grid:
    """The count grid of ``weights`` over ``source`` (``leads`` or a view of some of them)
    for these bars only (module docs): points collapsed to the bars' minimums, the
    auto-rules evaluated where they can change an MQL. Its MQL counts at any of ``bars``
    are the full grid's."""
    both = [s for s in bars if s.mode != "total"]
    floors = {"_p": {int(s.min_profile) for s in both}, "_b": {int(s.min_behavior) for s in both},
              "_t": {int(s.min_total) for s in bars if s.mode == "total"}}
    rules = rules_of(weights)
    scored = scored_sql(con, weights, rules, source, rule=pruned_rule(con, rules, bars))
    return build_grid(con, (
        f"SELECT {_collapsed('profile_points', floors['_p'])} AS profile_points, "
        f"{_collapsed('behavior_points', floors['_b'])} AS behavior_points, "
        f"{_collapsed('total', floors['_t'])} AS total, outcome, rule, month, segment, amount "
        f"FROM ({scored}) AS _scored"))

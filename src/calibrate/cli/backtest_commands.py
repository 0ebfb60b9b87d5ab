"""``calibrate backtest`` (issue 20): calls the Workbench and prints."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from calibrate import fmt
from calibrate.cli.common import aligned_table, on_weights
from calibrate.decide.backtest import OPEN_FLAG, parse_split

if TYPE_CHECKING:
    from calibrate.decide.backtest import Backtest
    from calibrate.workbench import Workbench


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _span(low: float | None, high: float | None) -> str:
    return "–" if low is None or high is None else \
        f"{fmt.per_month(low)}–{fmt.per_month(high)}"


def _open(count: int, share: float | None) -> str:
    return f"{count:,}" + ("" if fmt.is_missing(share) else f" ({fmt.percent(share, 0)})")


def months_table(result: Backtest) -> str:
    """Each month after the cut, then their mean, against the projection: MQLs and wins a
    month with the projected range, conversion, share of wins, open MQLs."""
    rows = [[m["month"] + ("*" if m["still_open"] else ""), fmt.per_month(m["mqls"]),
             _span(m["mqls_low"], m["mqls_high"]), fmt.per_month(m["wins_per_month"]),
             _span(m["wins_low"], m["wins_high"]), fmt.percent(m["conversion"]),
             fmt.percent(m["win_share"]), _open(m["open"], m["open_share"])]
            for m in result.months]
    a, p = result.actual, result.projected
    rows.append([f"a month ({result.after_months})", fmt.per_month(a["mqls_per_month"]),
                 _span(p["mqls_low"], p["mqls_high"]), fmt.per_month(a["wins_per_month"]),
                 _span(p["wins_low"], p["wins_high"]), fmt.percent(a["conversion"]),
                 fmt.percent(a["win_share"]), _open(a["open"], a["open_share"])])
    return aligned_table(["month", "MQLs", "projected", "wins", "projected", "conversion",
                          "share of wins", "open MQLs"], rows, right={1, 2, 3, 4, 5, 6, 7})


def cmd_backtest(args: argparse.Namespace) -> int:
    split = parse_split(args.split)  # a bad value is named before the database is read

    def work(wb: Workbench) -> Any:
        _say(f"Backtesting on {wb.leads:,} leads: a fit on those created before the cut, "
             "its projection against the months after it ...")
        return wb.backtest(split, args.min_profile, args.min_behavior, args.min_total,
                           window=args.window, progress=lambda step: _say(f"  {step} ..."))

    result = on_weights(args, work, "a backtest")
    if result.undated:
        _say(f"note: {result.undated:,} leads without a creation date are left out.")
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 0
    p = result.projected
    sample = (f" (a sample of the {result.closed_before:,} closed then)" if result.sampled
              else "")
    print(result.headline)
    print(f"\nThresholds: {result.thresholds}. Fitted on {result.fitted_leads:,} closed leads "
          f"created {result.fit_period[0]} to {result.fit_period[1]}{sample}; projected from "
          f"{result.window[0]} to {result.window[1]}: {fmt.per_month(p['mqls_per_month'])} "
          f"MQLs a month, conversion {fmt.percent(p['conversion'])}, "
          f"{fmt.per_month(p['wins_per_month'])} wins a month, "
          f"{fmt.percent(p['win_share'])} of all wins.\n")
    print(months_table(result))
    print(f"\nProjected: the 90% range of one month (each month's row) and of the mean of "
          f"{result.after_months} (the last row). Wins a month count open MQLs at the closed "
          f"ones' conversion, as the projection does; * marks months with "
          f"{fmt.percent(OPEN_FLAG, 0)} or more of their MQLs still open: their conversion "
          "is not final.")
    return 0

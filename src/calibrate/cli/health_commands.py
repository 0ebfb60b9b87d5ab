"""``calibrate drift`` and ``calibrate refresh``: whether the leads and the agreed points
still hold, month by month. Each calls the Workbench and prints; none computes."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from calibrate.cli.common import aligned_table, on_weights

if TYPE_CHECKING:
    from calibrate.workbench import Workbench

#: Rows of the points-moved tables that ``calibrate refresh`` prints.
SHOWN = 10


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _psi(value: float | None, flag: str) -> str:
    return "–" if value is None else f"{value:.2f} {flag}"


def cmd_drift(args: argparse.Namespace) -> int:
    def work(wb: Workbench) -> Any:
        _say(f"Measuring drift on {wb.leads:,} leads ...")
        return wb.drift(args.reference)

    result = on_weights(args, work)
    if result.undated:
        _say(f"note: {result.undated:,} leads without a creation date are left out.")
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 0
    start, end = result.reference
    weights = f" with weights #{result.weights_id}" if result.weights_id is not None else ""
    print(f"Drift against {start} to {end} ({result.reference_leads:,} leads), scored"
          f"{weights} (the agreement's, else the newest scenario's).")
    print(f"PSI: stable below 0.10, watch from 0.10, shifted from 0.25. A month needs "
          f"{result.min_leads:,} leads for its PSI to mean something; * marks months with "
          "fewer.\n")
    rows = [[m["month"] + ("" if m["enough"] else "*"), f"{m['leads']:,}",
             _psi(m["total_psi"], m["total_flag"]), _psi(m["profile_psi"], m["profile_flag"]),
             _psi(m["behavior_psi"], m["behavior_flag"]),
             f"{m['moved_most']} {_psi(m['moved_psi'], '')}".strip()
             + (f" ({m['moved_levels']})" if m["moved_levels"] else "")]
            for m in result.months]
    print(aligned_table(["month", "leads", "total", "profile", "behavior", "moved most"],
                        rows, right={1}))
    if result.summary:
        latest = result.summary[0]["month"]
        why = ("the latest month with enough leads" if result.summary[0]["enough"]
               else "the latest month; none has enough leads")
        print(f"\nAttributes in {latest} ({why}), most moved first:")
        print(aligned_table(
            ["attribute", "axis", "PSI", "flag", "highest (month)", "levels that moved most"],
            [[r["attribute"], r["axis"], f"{r['psi']:.2f}", r["flag"],
              f"{r['max_psi']:.2f} ({r['max_month']})", r["moved"]] for r in result.summary],
            right={2}))
    if result.few_leads:
        print(f"\nFewer than {result.min_leads:,} leads (PSI may be chance): "
              + ", ".join(result.few_leads) + ".")
    print("\n" + result.headline())
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    def work(wb: Workbench) -> Any:
        _say(f"Refitting on the leads of the last {args.months} months and ranking the "
             "newest of them with the agreed weights and the refit ...")
        return wb.refresh(args.months)

    result = on_weights(args, work)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(result.advice)
    start, end = result.period
    print(f"\nThe last {args.months} months ({start} to {end}): {result.recent_leads:,} "
          f"leads, {result.recent_closed:,} closed, {result.recent_wins:,} won.")
    if result.agreed_auc is not None and result.refit_auc is not None:
        then = (f"; {result.agreed_auc_then:.3f} on the leads held out when they were fitted"
                if result.agreed_auc_then is not None else "")
        print(f"AUC on the newest {result.test_leads:,} of them ({result.test_wins:,} won, "
              f"held out of the refit): agreed weights {result.agreed_auc:.3f}, refit "
              f"{result.refit_auc:.3f}{then}.")
    if result.attributes:
        print("\nPoints a recent lead gets, by attribute (most moved first):")
        print(aligned_table(
            ["attribute", "axis", "agreed", "refit", "moved"],
            [[r["attribute"], r["axis"], f"{r['agreed_points']:.1f}",
              f"{r['refit_points']:.1f}", f"{r['moved']:.1f}"]
             for r in result.attributes[:SHOWN]], right={2, 3, 4}))
    changed = [r for r in result.levels if r["change"] == r["change"]][:SHOWN]
    if changed:
        print("\nLevels whose points moved most (the refit's mean on the level's recent "
              "leads):")
        print(aligned_table(
            ["attribute", "level", "agreed", "refit", "change", "recent leads"],
            [[r["attribute"], r["level"], str(r["agreed_points"]),
              f"{r['refit_points']:.1f}", f"{r['change']:+.1f}",
              "–" if r["leads"] is None else f"{r['leads']:,}"] for r in changed],
            right={2, 3, 4, 5}))
    return 0

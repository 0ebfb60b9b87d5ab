"""``calibrate decay`` (issue 20): how fast behavior's effect fades without activity.
Calls the Workbench and prints; computes nothing."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from calibrate.cli.common import aligned_table, on_weights

if TYPE_CHECKING:
    from calibrate.workbench import Workbench

#: How each tool's settings are titled.
TOOLS = {"any": "Any tool", "hubspot": "HubSpot", "marketo": "Marketo",
         "pardot": "Account Engagement (Pardot)"}


def _days(value: float | None) -> str:
    return "no decay" if value is None else f"{value:.0f} days"


def cmd_decay(args: argparse.Namespace) -> int:
    def work(wb: Workbench) -> Any:
        print(f"Estimating behavior decay on {wb.leads:,} leads ...", file=sys.stderr,
              flush=True)
        return wb.decay()

    result = on_weights(args, work)
    vendors = [args.vendor] if args.vendor else list(TOOLS)
    if args.json:
        doc = result.to_dict()
        doc["settings"] = {v: doc["settings"].get(v, []) for v in vendors}
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    print(result.headline())
    if result.groups:
        weights = f" with weights #{result.weights_id}" if result.weights_id is not None else ""
        print(f"\nDays without activity count to {result.reference}; behavior points"
              f"{weights} (the agreement's, else the newest scenario's).\n")
        print(aligned_table(
            ["group", "activity date", "behavior attributes", "half-life", "95% interval",
             "closed leads", "dated", "status"],
            [[g.group, g.date_column, ", ".join(g.columns) or "–",
              _days(g.half_life_days) if g.status != "cannot be estimated" else "–",
              g.interval_text(), f"{g.leads:,}", f"{g.dated:,}", g.status]
             for g in result.groups],
            notes=[g.leak and f"check for leakage: days since '{g.date_column}' {g.leak}"
                   for g in result.groups],
            right={5, 6}))
        for g in result.groups:
            if g.status != "estimated":
                print(f"\n{g.group}: {g.message}")
    for name, why in result.skipped.items():
        print(f"\nnote: '{name}' is not used: {why}.")
    for v in vendors:
        print(f"\n{TOOLS[v]}:")
        for line in result.settings.get(v, []):
            print(f"  {line}")
    return 0

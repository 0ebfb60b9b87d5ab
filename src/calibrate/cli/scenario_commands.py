"""``calibrate scenario``: save, list, show, compare and agree on thresholds."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from calibrate.cli.common import aligned_table, need_leads, open_workbench, print_auto_backup

if TYPE_CHECKING:
    from calibrate.decide.scenarios import Scenario


def when(iso: str) -> str:
    return iso.replace("T", " ")[:16]


def print_figures(scenario: Scenario) -> None:
    """A saved scenario's headline figures as the agreement page words them (MQLs and wins
    a month with their 90% range, conversion with its 95% interval), what a range means
    when one is shown, and the sales capacity they were judged against: what ``save``
    prints after saving and ``show`` prints of any saved one."""
    from calibrate.decide.agreement import capacity_lines, figure_lines
    from calibrate.decide.figure_text import RANGE_NOTE, has_range

    lines = figure_lines(scenario.figures)
    width = max((len(label) for label, _ in lines), default=0)
    for label, text in lines:
        print(f"  {label:<{width}}  {text}")
    if has_range(scenario.figures):
        print(f"  {RANGE_NOTE}")
    for line in capacity_lines(scenario.payload):
        print(f"  Sales capacity: {line}")


def cmd_scenario_save(args: argparse.Namespace) -> int:
    from calibrate.decide.agreement import (
        DEFAULT_MONTHS,
        basis_of,
        describe_thresholds,
        describe_window,
        parse_capacity,
        parse_segment_capacity,
        parse_segment_thresholds,
        threshold_settings,
    )

    settings = threshold_settings(args.min_profile, args.min_behavior, args.min_total)
    own = dict(parse_segment_thresholds(text, settings.mode)
               for text in args.segment_thresholds or ())
    reps, per_rep = parse_capacity(args.capacity) if args.capacity else (None, None)
    capacity = dict(parse_segment_capacity(text) for text in args.segment_capacity or ())
    with open_workbench(args) as wb:
        need_leads(wb)
        saved = wb.save_scenario(
            args.name, args.min_profile, args.min_behavior, args.min_total,
            segment=args.segment, months=DEFAULT_MONTHS if args.months is None else args.months,
            segment_thresholds=own, reps=reps, leads_per_rep=per_rep,
            segment_capacity=capacity, author=args.author or "", note=args.note or "")
    if saved.version > 1:
        print(f"Scenario '{saved.name}' (#{saved.id}) saved as version {saved.version} "
              "(earlier versions kept).")
    else:
        print(f"Scenario '{saved.name}' (#{saved.id}) saved.")
    print(f"MQL: {describe_thresholds(saved.thresholds)}; {describe_window(saved)}; "
          f"computed on {basis_of(saved).describe()}.")
    print_figures(saved)
    return 0


def cmd_scenario_list(args: argparse.Namespace) -> int:
    import json

    from calibrate import fmt

    with open_workbench(args, read_only=True) as wb:
        overview = wb.overview()
    if args.json:
        print(json.dumps(overview, indent=2, ensure_ascii=False))
        return 0
    if not overview["scenarios"]:
        print("No scenario is saved yet: calibrate scenario save NAME --min-profile P "
              "--min-behavior B saves one.")
        return 0
    agreed = overview["agreement"]
    if agreed:
        version = f" version {agreed['version']}" if agreed["version"] else ""
        print(f"Agreement in force: '{agreed['name']}'{version} (#{agreed['scenario_id']}), "
              f"{agreed['thresholds_text']}, agreed"
              + (f" by {agreed['agreed_by']}" if agreed["agreed_by"] else "")
              + f" on {when(agreed['agreed_at'])}.")
        if agreed["drift"]:
            print(f"    note: {agreed['drift']}")
    else:
        print('No agreement yet: calibrate scenario agree NAME --by "..." records one.')
    print(f"In force now: {overview['in_force']}.\n")
    rows = overview["scenarios"]
    print(aligned_table(
        ["#", "name", "version", "author", "saved", "thresholds", "MQLs/month", "conversion",
         "agreement"],
        [[str(r["id"]), r["name"], str(r["version"]), r["author"], when(r["saved_at"]),
          r["thresholds_text"] + (f" (segment {r['segment']})" if r["segment"] else ""),
          fmt.number(r["mqls_per_month"]), fmt.percent(r["conversion"]),
          "agreed" if r["agreed"] else ""] for r in rows],
        notes=[r["drift"] for r in rows], right={0, 2, 6, 7}))
    return 0


def cmd_scenario_show(args: argparse.Namespace) -> int:
    """One saved scenario as a room reads it: who saved it and when, its thresholds a bar
    a line, the window and basis its figures were computed on, the figures, whether it is
    the agreement in force, and whether the weights or data changed since."""
    import json

    from calibrate.decide.agreement import basis_of, describe_window

    with open_workbench(args, read_only=True) as wb:
        scenario = wb.scenario(args.name)
        changed = wb.changed_since(scenario)
        agreement = wb.agreed()  # the agreement in force, else the newest scenario
    agreed = agreement if agreement is not None and agreement.kind == "agreement" and \
        agreement.payload.get("agreed_scenario_id") == scenario.id else None
    if args.json:
        print(json.dumps({**scenario.to_dict(), "agreed": agreed is not None,
                          "changed_since": changed}, indent=2, ensure_ascii=False))
        return 0
    print(f"Scenario '{scenario.name}' version {scenario.version} (#{scenario.id}), saved "
          f"{scenario.created_at:%Y-%m-%d %H:%M}"
          + (f" by {scenario.author}" if scenario.author else "") + ".")
    if scenario.note:
        print(f"Note: {scenario.note}")
    print("MQL thresholds:")
    for line in scenario.thresholds.lines() or [scenario.thresholds.describe()]:
        print(f"  {line}")
    print(f"Projected from {describe_window(scenario)}; computed on "
          f"{basis_of(scenario).describe()}.")
    print_figures(scenario)
    if agreed is not None:
        print(f"This is the agreement in force, agreed by {agreed.author} on "
              f"{agreed.created_at:%Y-%m-%d %H:%M}.")
    if changed:
        print(f"note: {changed} The figures above are as saved; save the thresholds again "
              "to compute them on what is in force.")
    else:
        print("Nothing changed since: the weights and data in force are the ones these "
              "figures were computed on.")
    return 0


def cmd_scenario_compare(args: argparse.Namespace) -> int:
    import json

    from calibrate.decide.agreement import basis_of
    from calibrate.decide.figure_text import RANGE_NOTE, has_range

    with open_workbench(args, read_only=True) as wb:
        comparison = wb.compare(args.a, args.b)
    a, b, rows, note = comparison.a, comparison.b, comparison.rows, comparison.note
    if args.json:
        def meta(s):
            return {"id": s.id, "name": s.name, "version": s.version, "author": s.author,
                    "saved_at": s.created_at.isoformat(timespec="seconds"),
                    "basis": basis_of(s).describe(), "thresholds": s.thresholds.to_dict()}

        print(json.dumps({"a": meta(a), "b": meta(b), "same_basis": comparison.same_basis,
                          "note": note, "sentence": comparison.sentence(), "rows": rows},
                         indent=2, ensure_ascii=False))
        return 0
    for tag, s in (("A", a), ("B", b)):
        print(f"{tag}: '{s.name}' version {s.version} (#{s.id}), saved "
              f"{s.created_at:%Y-%m-%d %H:%M}" + (f" by {s.author}" if s.author else ""))
    print(("" if comparison.same_basis else "note: ") + note + "\n")
    print(comparison.sentence() + "\n")
    print(aligned_table(["", "A", "B", "B - A"],
                 [[r["item"], r["a_text"], r["b_text"], r["difference_text"]] for r in rows],
                 right={1, 2, 3}))
    if has_range(a.figures) or has_range(b.figures):
        print(f"\n{RANGE_NOTE}")
    return 0


def cmd_scenario_agree(args: argparse.Namespace) -> int:
    from calibrate.decide.agreement import describe_thresholds

    with open_workbench(args, keep_backups=args.keep_backups) as wb:
        agreement = wb.agree(args.name, by=args.by, note=args.note or "")
        scenario = wb.scenario(f"#{agreement.payload['agreed_scenario_id']}")
        line = wb.changed_since(scenario)
        saved = wb.last_backup
    print(f"Agreement recorded (#{agreement.id}): '{scenario.name}' version "
          f"{scenario.version} (#{scenario.id}), {describe_thresholds(scenario.thresholds)}, "
          f"agreed by {agreement.author}.")
    print_auto_backup(saved)
    print("calibrate export --format markdown (or html) writes it; calibrate export --format "
          "json writes the weights with these thresholds, for calibrate score.")
    if line:
        print(f"note: {line} The agreement keeps the figures as they were saved; save the "
              "thresholds again to compute them on what is in force.", file=sys.stderr)
    return 0


SCENARIO_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "save": cmd_scenario_save, "list": cmd_scenario_list, "show": cmd_scenario_show,
    "compare": cmd_scenario_compare, "agree": cmd_scenario_agree,
}


def cmd_scenario(args: argparse.Namespace) -> int:
    return SCENARIO_COMMANDS[args.scenario_command](args)

"""The ``calibrate`` commands on leads and weights: ingest, fit, score, export, backup,
restore. Each parses nothing and computes nothing: it calls the Workbench and prints."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import TYPE_CHECKING

from calibrate.cli.common import need_leads, on_weights, open_workbench, print_auto_backup
from calibrate.errors import CalibrateError

if TYPE_CHECKING:
    from calibrate.workbench import Workbench


def cmd_ingest(args: argparse.Namespace) -> int:
    from calibrate.data.roles import load_mapping

    mapping = load_mapping(args.mapping)
    if args.sheet:
        mapping.read["sheet"] = args.sheet
    if args.delimiter:
        mapping.read["delimiter"] = args.delimiter
    with open_workbench(args, keep_backups=args.keep_backups) as wb:
        try:
            report = wb.ingest(args.file, outcome=args.outcome, mapping=mapping,
                               replace=args.replace, table=args.table, query=args.query,
                               in_place=args.in_place)
        finally:  # the earlier leads' backup is named even when the load fails
            if wb.last_backup is not None:
                print_auto_backup(wb.last_backup)
    print(report.summary())
    return 0


def _print_fit(weights) -> None:
    from calibrate.model.weights import not_converged

    m = weights.metrics
    print(f"Fit on {m.get('leads', 0):,.0f} held-out leads: AUC {m.get('auc', float('nan')):.3f}"
          f", KS {m.get('ks', float('nan')):.3f}, log loss {m.get('log_loss', float('nan')):.4f}"
          f", Brier {m.get('brier', float('nan')):.4f}")
    for warning in m.get("leakage", []):
        print(f"warning: possible leak: {warning}")
    if (line := not_converged(weights)) is not None:
        print(f"warning: {line[0].lower()}{line[1:]} Raise max_iter (in Python: "
              "fit(..., max_iter=...) or LeadScorer(max_iter=...)).")
    from calibrate.model.quality_text import counts_sentence

    if sample := counts_sentence(weights.data, every="the count grid behind the thresholds"):
        print(sample)
    table = weights.table
    for axis in ("profile", "behavior"):
        print(f"\n{axis.upper()} points")
        part = table[table["axis"] == axis]
        for r in part.itertuples():
            seen = (f"({r.leads:,} leads, win rate {r.win_rate:.1%})" if r.leads else
                    "(no leads in the fit: scores like the reference level)")
            print(f"  {r.attribute:<24} {r.level:<24} {int(r.points):>4}   {seen}")


def cmd_fit(args: argparse.Namespace) -> int:
    from calibrate.model.constraints import parse_constraints
    from calibrate.model.solver import ConvergenceWarning

    with open_workbench(args) as wb:
        need_leads(wb)
        wanted = parse_constraints(args.lock or [], args.order or [], args.cap or [])
        with warnings.catch_warnings():  # _print_fit says it from the weights document
            warnings.simplefilter("ignore", ConvergenceWarning)
            weights = wb.fit(exclude_no_decision=args.exclude_no_decision,
                             lock=wanted.locks, order=wanted.orders, cap=wanted.caps)
    _print_fit(weights)
    cost = weights.metrics
    if wanted:
        print(f"\nWith the constraints: held-out AUC {cost['auc_constrained']:.3f} against "
              f"{cost['auc_suggested']:.3f} suggested (they cost {cost['auc_cost']:.3f}).")
    if args.out:
        from calibrate.errors import write_file

        write_file(args.out, weights.to_json().encode("utf-8"), what="weights file")
        print(f"\nWeights written to {args.out}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from calibrate.decide.agreement import mql_note
    from calibrate.export.files import safe_frame
    from calibrate.model.weights import Weights
    from calibrate.workbench import Workbench

    weights = Weights.read(args.weights)
    with Workbench() as wb:  # in memory: scoring a file leaves no trace
        scored = wb.score(args.file, weights=weights, mapping=args.mapping,
                          contacts=args.contacts, as_of=args.as_of)
    note, warning = mql_note(weights.thresholds, scored["mql"], scored["rule"])
    frame = safe_frame(scored)
    if args.out:
        frame.to_csv(args.out, index=False)
        counts = frame["grade"].value_counts().sort_index().to_dict()
        print(f"Scored {len(frame):,} leads into {args.out} (grades: "
              + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ")")
    else:
        frame.to_csv(sys.stdout, index=False)
    if warning:
        print(f"warning: {note}", file=sys.stderr)
    else:  # beside the summary, or out of the way of the CSV on standard output
        print(note, file=sys.stdout if args.out else sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from calibrate.errors import write_file

    if args.format == "xlsx" and not args.out:
        raise CalibrateError("An XLSX export needs a file.", fix="Pass --out weights.xlsx.")
    data = on_weights(args, lambda wb: _export_data(args, wb), "this export")
    if args.out:
        write_file(args.out, data, what=f"{args.format} export")
        print(f"Wrote {args.format} to {args.out}")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def _export_data(args: argparse.Namespace, wb: Workbench) -> bytes:
    """The bytes of an export; notes about what it is go to standard error."""
    need_leads(wb)
    source = wb.agreed()
    if source is None and args.format in ("markdown", "html"):
        raise CalibrateError("No scenario or agreement is saved yet.",
                             fix="Save one first: calibrate scenario save NAME --min-profile P "
                                 "--min-behavior B (or in the app's Thresholds page), then "
                                 "calibrate scenario agree NAME --by \"...\".")
    data = wb.export(args.format, dialect=args.dialect)
    if source is not None and (line := wb.changed_since(source)):
        print(f"note: {line} This export is the {source.kind} as it was saved.",
              file=sys.stderr)
    if source is not None and source.kind != "agreement" and args.format != "csv":
        print(f"note: no agreement is recorded yet: this is the newest scenario, "
              f"'{source.name}' (#{source.id}). calibrate scenario agree NAME --by "
              "\"...\" records one.", file=sys.stderr)
    if source is None and args.format in ("json", "xlsx"):
        print("note: no scenario is saved yet, so these weights carry no thresholds "
              "(calibrate score then marks no lead as an MQL). calibrate scenario save "
              "NAME --min-profile P --min-behavior B saves one.", file=sys.stderr)
    return data if isinstance(data, bytes) else data.encode("utf-8")


def cmd_backup(args: argparse.Namespace) -> int:
    from calibrate.data import store
    from calibrate.errors import DatabaseError

    db = store.resolve_db(args.db)
    if not db.is_file():
        raise DatabaseError("There is no database to back up at this path.", file=str(db),
                            fix="Check --db or CALIBRATE_DB.")
    with open_workbench(args, read_only=True) as wb:  # a backup only reads
        path = wb.backup(args.out)
    print(f"Backed up {db} to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from calibrate.workbench import Workbench

    done = Workbench.restore(args.backup, args.db)
    print(done.summary(args.backup))
    return 0

"""The ``calibrate`` command: thin wrappers that parse, call the library and print."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from calibrate.errors import CalibrateError


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="DuckDB file (default: $CALIBRATE_DB or data/calibrate.duckdb)")


def cmd_ingest(args: argparse.Namespace) -> int:
    from calibrate import store
    from calibrate.ingest import ingest
    from calibrate.roles import load_mapping

    mapping = load_mapping(args.mapping)
    if args.sheet:
        mapping.read["sheet"] = args.sheet
    if args.delimiter:
        mapping.read["delimiter"] = args.delimiter
    con = store.connect(args.db)
    try:
        report = ingest(con, args.file, outcome=args.outcome, mapping=mapping,
                        replace=args.replace)
    finally:
        con.close()
    print(report.summary())
    return 0


def _print_fit(weights) -> None:
    m = weights.metrics
    print(f"Fit on {m.get('leads', 0):,.0f} held-out leads: AUC {m.get('auc', float('nan')):.3f}"
          f", KS {m.get('ks', float('nan')):.3f}, log loss {m.get('log_loss', float('nan')):.4f}"
          f", Brier {m.get('brier', float('nan')):.4f}")
    for warning in m.get("leakage", []):
        print(f"warning: possible leak: {warning}")
    table = weights.table
    for axis in ("profile", "behavior"):
        print(f"\n{axis.upper()} points")
        part = table[table["axis"] == axis]
        for r in part.itertuples():
            seen = (f"({r.leads:,} leads, win rate {r.win_rate:.1%})" if r.leads else
                    "(no leads in the fit: scores like the reference level)")
            print(f"  {r.attribute:<24} {r.level:<24} {int(r.points):>4}   {seen}")


def cmd_fit(args: argparse.Namespace) -> int:
    from calibrate import store, workshop
    from calibrate.errors import ModelError
    from calibrate.weights import save_weights

    con = store.connect(args.db)
    try:
        if not store.lead_count(con):
            raise ModelError("No leads are loaded.", file=str(store.resolve_db(args.db)),
                             fix="Load leads first: calibrate ingest FILE.")
        weights = workshop.suggested_weights(con, exclude_no_decision=args.exclude_no_decision)
        save_weights(con, weights, store.data_version(con))
    finally:
        con.close()
    _print_fit(weights)
    if args.out:
        from pathlib import Path

        Path(args.out).write_text(weights.to_json(), encoding="utf-8")
        print(f"\nWeights written to {args.out}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from calibrate.export import safe_frame
    from calibrate.scoring import score_file
    from calibrate.weights import Weights

    weights = Weights.read(args.weights)
    frame = safe_frame(score_file(args.file, weights, mapping=args.mapping,
                                  contacts=args.contacts))
    if args.out:
        frame.to_csv(args.out, index=False)
        counts = frame["grade"].value_counts().sort_index().to_dict()
        print(f"Scored {len(frame):,} leads into {args.out} (grades: "
              + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ")")
    else:
        frame.to_csv(sys.stdout, index=False)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from calibrate import store
    from calibrate.agreement import agreement_document, basis_now, drift_line, export_source
    from calibrate.export import agreement_html, export_bytes
    from calibrate.workshop import active_weights

    if args.format == "xlsx" and not args.out:
        raise CalibrateError("An XLSX export needs a file.", fix="Pass --out weights.xlsx.")
    con = store.connect(args.db)
    try:
        weights, source = export_source(con)
        if source is not None and (line := drift_line(source, basis_now(
                con, active_weights(con)))):
            print(f"note: {line} This export is the {source.kind} as it was saved.",
                  file=sys.stderr)
        if args.format in ("markdown", "html"):
            if source is None:
                raise CalibrateError("No scenario or agreement is saved yet.",
                                     fix="Save a scenario in the app's Thresholds page first.")
            text = agreement_document(con, source)
            data = (agreement_html(text) if args.format == "html" else text).encode("utf-8")
        else:
            data = export_bytes(weights, args.format)
    finally:
        con.close()
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"Wrote {args.format} to {args.out}")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from calibrate import store
    from calibrate.backup import backup, default_backup_path

    db = store.resolve_db(args.db)
    con = store.connect(db)
    try:
        path = backup(con, args.out or default_backup_path(db))
    finally:
        con.close()
    print(f"Backed up {db} to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from calibrate.backup import restore

    target = restore(args.backup, args.db)
    print(f"Restored {args.backup} into {target} (the previous file was kept beside it)")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ingest": cmd_ingest, "fit": cmd_fit, "score": cmd_score, "export": cmd_export,
    "backup": cmd_backup, "restore": cmd_restore,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="calibrate", description="Agree, with numbers, on what a sales-ready lead is.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="load a CSV, Parquet or XLSX export of leads")
    p.add_argument("file")
    p.add_argument("--outcome", help="the column holding won / lost / no decision / open")
    p.add_argument("--mapping", help="TOML file overriding roles, types and outcome labels")
    p.add_argument("--sheet", help="XLSX sheet to read (default: the first with data)")
    p.add_argument("--delimiter", help="CSV delimiter (default: detected)")
    p.add_argument("--replace", action="store_true",
                   help="replace the stored leads (default: append, newer rows win)")
    _db_arg(p)

    p = sub.add_parser("fit", help="fit suggested weights on the closed leads")
    p.add_argument("--exclude-no-decision", action="store_true",
                   help="leave no-decision leads out (default: they count as not won)")
    p.add_argument("--out", help="also write the weights as JSON to this file")
    _db_arg(p)

    p = sub.add_parser("score", help="score a file of leads with agreed weights")
    p.add_argument("file")
    p.add_argument("--weights", required=True, help="weights JSON (calibrate export)")
    p.add_argument("--out", help="CSV to write (default: standard output)")
    p.add_argument("--mapping", help="TOML file overriding roles and types")
    p.add_argument("--contacts", choices=["hash", "drop", "plain"], default="hash",
                   help="how contact fields appear in the output (default: hashed)")

    p = sub.add_parser("export", help="export the weights in force, or the agreement")
    p.add_argument("--format", required=True,
                   choices=["csv", "json", "xlsx", "rules", "markdown", "html"])
    p.add_argument("--out", help="file to write (default: standard output)")
    _db_arg(p)

    p = sub.add_parser("backup", help="copy the database to a new file")
    p.add_argument("--out", help="backup file (default: data/backups/<name>-<time>.duckdb)")
    _db_arg(p)

    p = sub.add_parser("restore", help="replace the database with a backup")
    p.add_argument("backup")
    _db_arg(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; user errors print a message, not a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CalibrateError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing was changed", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the output was piped to a reader that stopped (| head)
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

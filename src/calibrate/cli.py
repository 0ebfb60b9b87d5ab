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


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"ingest": cmd_ingest}


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


if __name__ == "__main__":
    raise SystemExit(main())

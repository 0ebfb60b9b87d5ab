"""The ``calibrate`` command: thin wrappers that parse, call the library and print."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from calibrate.errors import CalibrateError

if TYPE_CHECKING:
    from calibrate.workbench import Workbench


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="DuckDB file (default: $CALIBRATE_DB or data/calibrate.duckdb)")


def _workbench(args: argparse.Namespace, **options: Any) -> Workbench:
    """The workbench on the command's database (``--db``, else ``$CALIBRATE_DB``, else
    data/calibrate.duckdb): every command goes through the Python API."""
    from calibrate.data import store
    from calibrate.workbench import Workbench

    return Workbench(store.resolve_db(args.db), **options)


def _need_leads(wb: Workbench) -> None:
    if not wb.leads:
        raise CalibrateError("No leads are loaded.", file=str(wb.db),
                             fix="Load leads first: calibrate ingest FILE.")


def cmd_ingest(args: argparse.Namespace) -> int:
    from calibrate.data.roles import load_mapping

    mapping = load_mapping(args.mapping)
    if args.sheet:
        mapping.read["sheet"] = args.sheet
    if args.delimiter:
        mapping.read["delimiter"] = args.delimiter
    with _workbench(args, keep_backups=args.keep_backups) as wb:
        try:
            report = wb.ingest(args.file, outcome=args.outcome, mapping=mapping,
                               replace=args.replace)
        finally:  # the earlier leads' backup is named even when the load fails
            if wb.last_backup is not None:
                _print_auto_backup(wb.last_backup)
    print(report.summary())
    return 0


def _print_auto_backup(done) -> None:
    """The automatic backup's file on standard output, or its warning on standard error."""
    if done.note():
        print(done.note())
    if done.warning:
        print(f"warning: {done.warning}", file=sys.stderr)


def _keep_arg(p: argparse.ArgumentParser) -> None:
    def count(text: str) -> int:
        from calibrate.data.autobackup import keep_limit

        try:
            return keep_limit(text)
        except CalibrateError:
            raise argparse.ArgumentTypeError(
                f"a whole number of automatic backups to keep (0: none), not {text!r}") \
                from None

    p.add_argument("--keep-backups", type=count, metavar="N",
                   help="automatic backups to keep in backups/ beside the database, the "
                        "oldest deleted beyond (default: $CALIBRATE_KEEP_BACKUPS or 10; 0 "
                        "makes none)")


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

    with _workbench(args) as wb:
        _need_leads(wb)
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
                          contacts=args.contacts)
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
    from calibrate.errors import DatabaseReadOnlyError, write_file

    if args.format == "xlsx" and not args.out:
        raise CalibrateError("An XLSX export needs a file.", fix="Pass --out weights.xlsx.")
    # Read-only: an export only reads, so it works on a read-only file. Before the first
    # fit of the loaded leads it fits them and saves the weights, which needs writing.
    try:
        with _workbench(args, read_only=True) as wb:
            data = _export_data(args, wb)
    except DatabaseReadOnlyError:
        try:
            wb = _workbench(args)
        except DatabaseReadOnlyError as exc:
            raise DatabaseReadOnlyError(
                "No weights are saved for the loaded leads, and the database is read-only: "
                "this export would fit them and save the weights, and cannot save.",
                file=exc.file, fix="Run calibrate fit where the file is writable (or on a "
                                   "writable copy), then export.") from None
        with wb:
            data = _export_data(args, wb)
    if args.out:
        write_file(args.out, data, what=f"{args.format} export")
        print(f"Wrote {args.format} to {args.out}")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def _export_data(args: argparse.Namespace, wb: Workbench) -> bytes:
    """The bytes of an export; notes about what it is go to standard error."""
    _need_leads(wb)
    source = wb.agreed()
    if source is None and args.format in ("markdown", "html"):
        raise CalibrateError("No scenario or agreement is saved yet.",
                             fix="Save one first: calibrate scenario save NAME --min-profile P "
                                 "--min-behavior B (or in the app's Thresholds page), then "
                                 "calibrate scenario agree NAME --by \"...\".")
    data = wb.export(args.format, dialect=args.dialect)
    if source is not None and (line := wb.drift(source)):
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


def _table(header: list[str], rows: list[list[str]], notes: list[str | None] | None = None,
           right: set[int] | frozenset[int] = frozenset()) -> str:
    """Rows in aligned columns (``right``: the columns aligned right); a note, when given,
    on its own indented line under its row."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    out = [line(header)]
    for i, r in enumerate(rows):
        out.append(line(r))
        if notes and notes[i]:
            out.append(f"    note: {notes[i]}")
    return "\n".join(out)


def _when(iso: str) -> str:
    return iso.replace("T", " ")[:16]


def cmd_scenario_save(args: argparse.Namespace) -> int:
    from calibrate.decide.agreement import (
        DEFAULT_MONTHS,
        basis_of,
        describe_thresholds,
        describe_window,
        figure_lines,
        parse_segment_thresholds,
        threshold_settings,
    )

    settings = threshold_settings(args.min_profile, args.min_behavior, args.min_total)
    own = dict(parse_segment_thresholds(text, settings.mode)
               for text in args.segment_thresholds or ())
    with _workbench(args) as wb:
        _need_leads(wb)
        saved = wb.save_scenario(
            args.name, args.min_profile, args.min_behavior, args.min_total,
            segment=args.segment, months=DEFAULT_MONTHS if args.months is None else args.months,
            segment_thresholds=own,
            author=args.author or "", note=args.note or "")
    if saved.version > 1:
        print(f"Scenario '{saved.name}' (#{saved.id}) saved as version {saved.version} "
              "(earlier versions kept).")
    else:
        print(f"Scenario '{saved.name}' (#{saved.id}) saved.")
    print(f"MQL: {describe_thresholds(saved.thresholds)}; {describe_window(saved)}; "
          f"computed on {basis_of(saved).describe()}.")
    lines = figure_lines(saved.figures)
    width = max((len(label) for label, _ in lines), default=0)
    for label, text in lines:
        print(f"  {label:<{width}}  {text}")
    return 0


def cmd_scenario_list(args: argparse.Namespace) -> int:
    import json

    from calibrate import fmt

    with _workbench(args, read_only=True) as wb:
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
              + f" on {_when(agreed['agreed_at'])}.")
        if agreed["drift"]:
            print(f"    note: {agreed['drift']}")
    else:
        print('No agreement yet: calibrate scenario agree NAME --by "..." records one.')
    print(f"In force now: {overview['in_force']}.\n")
    rows = overview["scenarios"]
    print(_table(
        ["#", "name", "version", "author", "saved", "thresholds", "MQLs/month", "conversion",
         "agreement"],
        [[str(r["id"]), r["name"], str(r["version"]), r["author"], _when(r["saved_at"]),
          r["thresholds_text"] + (f" (segment {r['segment']})" if r["segment"] else ""),
          fmt.number(r["mqls_per_month"]), fmt.percent(r["conversion"]),
          "agreed" if r["agreed"] else ""] for r in rows],
        notes=[r["drift"] for r in rows], right={0, 2, 6, 7}))
    return 0


def cmd_scenario_compare(args: argparse.Namespace) -> int:
    import json

    from calibrate.decide.agreement import basis_of

    with _workbench(args, read_only=True) as wb:
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
    print(_table(["", "A", "B", "B - A"],
                 [[r["item"], r["a_text"], r["b_text"], r["difference_text"]] for r in rows],
                 right={1, 2, 3}))
    return 0


def cmd_scenario_agree(args: argparse.Namespace) -> int:
    from calibrate.decide.agreement import describe_thresholds

    with _workbench(args, keep_backups=args.keep_backups) as wb:
        agreement = wb.agree(args.name, by=args.by, note=args.note or "")
        scenario = wb.scenario(f"#{agreement.payload['agreed_scenario_id']}")
        line = wb.drift(scenario)
        saved = wb.last_backup
    print(f"Agreement recorded (#{agreement.id}): '{scenario.name}' version "
          f"{scenario.version} (#{scenario.id}), {describe_thresholds(scenario.thresholds)}, "
          f"agreed by {agreement.author}.")
    _print_auto_backup(saved)
    print("calibrate export --format markdown (or html) writes it; calibrate export --format "
          "json writes the weights with these thresholds, for calibrate score.")
    if line:
        print(f"note: {line} The agreement keeps the figures as they were saved; save the "
              "thresholds again to compute them on what is in force.", file=sys.stderr)
    return 0


SCENARIO_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "save": cmd_scenario_save, "list": cmd_scenario_list, "compare": cmd_scenario_compare,
    "agree": cmd_scenario_agree,
}


def cmd_scenario(args: argparse.Namespace) -> int:
    return SCENARIO_COMMANDS[args.scenario_command](args)


def cmd_backup(args: argparse.Namespace) -> int:
    from calibrate.data import store
    from calibrate.errors import DatabaseError

    db = store.resolve_db(args.db)
    if not db.is_file():
        raise DatabaseError("There is no database to back up at this path.", file=str(db),
                            fix="Check --db or CALIBRATE_DB.")
    with _workbench(args, read_only=True) as wb:  # a backup only reads
        path = wb.backup(args.out)
    print(f"Backed up {db} to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from calibrate.workbench import Workbench

    done = Workbench.restore(args.backup, args.db)
    print(done.summary(args.backup))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ingest": cmd_ingest, "fit": cmd_fit, "score": cmd_score, "export": cmd_export,
    "scenario": cmd_scenario, "backup": cmd_backup, "restore": cmd_restore,
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
                   help="replace the stored leads (default: append, newer rows win); the "
                        "leads it replaces are backed up first")
    _keep_arg(p)
    _db_arg(p)

    p = sub.add_parser("fit", help="fit suggested weights on the closed leads")
    p.add_argument("--exclude-no-decision", action="store_true",
                   help="leave no-decision leads out (default: they count as not won)")
    p.add_argument("--out", help="also write the weights as JSON to this file")
    p.add_argument("--lock", action="append", metavar="ATTRIBUTE=LEVEL:POINTS",
                   help='fix a level\'s points, e.g. "seniority=Student:0" (repeatable)')
    p.add_argument("--order", action="append", metavar="ATTRIBUTE:HIGHER>LOWER",
                   help='a level never below another, e.g. "seniority:VP>Manager"')
    p.add_argument("--cap", action="append", metavar="ATTRIBUTE:POINTS",
                   help='the most points an attribute may give, e.g. "industry:30"')
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
                   choices=["csv", "json", "xlsx", "rules", "sql", "hubspot", "marketo",
                            "pardot", "mautic", "markdown", "html"],
                   help="rules: the generic rules list; sql: a SELECT adding profile, "
                        "behavior, total and mql; hubspot, marketo, pardot, mautic: files "
                        "for those systems")
    p.add_argument("--dialect", choices=["duckdb", "postgres", "snowflake", "bigquery"],
                   default="duckdb",
                   help="SQL dialect of --format sql (default: duckdb)")
    p.add_argument("--out", help="file to write (default: standard output)")
    _db_arg(p)

    p = sub.add_parser("scenario", help="save, list, compare and agree on thresholds")
    scenario = p.add_subparsers(dest="scenario_command", required=True)
    q = scenario.add_parser(
        "save", help="compute the figures of thresholds on the weights in force and save them")
    q.add_argument("name")
    q.add_argument("--min-profile", type=int, help="minimum profile score, 0-100")
    q.add_argument("--min-behavior", type=int, help="minimum behavior score, 0-100")
    q.add_argument("--min-total", type=int,
                   help="minimum total score, 0-100 (alone: one total score instead)")
    q.add_argument("--segment", help="the segment these thresholds are for (default: all)")
    q.add_argument("--segment-thresholds", action="append", metavar="SEGMENT=P/B",
                   help="a segment's own thresholds, e.g. Enterprise=70/40 (Enterprise=55 "
                        "with --min-total); repeat for more segments")
    q.add_argument("--months", type=int,
                   help="latest months to project from (default 12, as in the app; 0: all "
                        "history)")
    q.add_argument("--author", help="who proposes it")
    q.add_argument("--note", help="why")
    _db_arg(q)
    q = scenario.add_parser("list", help="the newest version of each scenario, and the "
                                         "agreement")
    q.add_argument("--json", action="store_true", help="print JSON")
    _db_arg(q)
    q = scenario.add_parser("compare", help="two scenarios side by side")
    q.add_argument("a", help="scenario A: a name or #id")
    q.add_argument("b", help="scenario B: a name or #id")
    q.add_argument("--json", action="store_true", help="print JSON")
    _db_arg(q)
    q = scenario.add_parser("agree", help="mark a scenario as the agreement")
    q.add_argument("name", help="a name (its newest version) or #id")
    q.add_argument("--by", required=True, help='who agreed ("VP Sales and VP Marketing")')
    q.add_argument("--note", help="a note for the record")
    _keep_arg(q)
    _db_arg(q)

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
    except Exception as exc:  # a full disk, a read-only or damaged file, as a message
        mapped = _storage_message(exc, args)
        if mapped is None:
            raise
        print(f"error: {mapped.message}", file=sys.stderr)
        return 2


def _storage_message(exc: Exception, args: argparse.Namespace) -> CalibrateError | None:
    """The message for an error the commands did not name themselves: a full disk, or
    DuckDB's own errors about the database file. ``None`` for anything else (a bug)."""
    import duckdb

    from calibrate.data import store
    from calibrate.errors import disk_full_error, is_disk_full

    if isinstance(exc, OSError) and is_disk_full(exc):
        return disk_full_error(exc, exc.filename or "?", outcome="")
    if isinstance(exc, duckdb.Error):
        return store.storage_error(exc, store.resolve_db(getattr(args, "db", None)))
    return None


if __name__ == "__main__":
    raise SystemExit(main())

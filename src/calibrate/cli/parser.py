"""The ``calibrate`` command line: its commands, options and help."""

from __future__ import annotations

import argparse

from calibrate.errors import CalibrateError
from calibrate.sql import DIALECTS


def db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="DuckDB file (default: $CALIBRATE_DB or data/calibrate.duckdb)")


def keep_arg(p: argparse.ArgumentParser) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="calibrate", description="Agree, with numbers, on what a sales-ready lead is.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="load a CSV, Parquet or XLSX export of leads, a folder "
                                      "of Parquet files, a Delta or Iceberg table folder (its "
                                      "current version), or a PostgreSQL table or query "
                                      "(a Spark table or query: in place)")
    p.add_argument("file", help="the file or folder (Parquet files, or a Delta or Iceberg "
                                "table), a database URL "
                                "(postgresql://user@host:port/database) or a Spark master "
                                "(local[*], spark://host:7077, sc://host:15002)")
    p.add_argument("--table", help="with a database URL or a Spark master: the table to read "
                                   "(schema.table)")
    p.add_argument("--query", help="with a database URL or a Spark master: the query to read "
                                   "instead")
    p.add_argument("--in-place", action="store_true",
                   help="with a database URL, a Spark master, Parquet files (a file, a "
                        "folder, a glob such as 'data/*.parquet') or a Delta or Iceberg "
                        "table folder: leave the leads where they are; read at "
                        "most 250,000 rows (a sample picked in the source above that) to "
                        "fit, count the grid in the source, store no lead rows")
    p.add_argument("--outcome", help="the column holding won / lost / no decision / open")
    p.add_argument("--mapping", help="TOML file overriding roles, types and outcome labels")
    p.add_argument("--sheet", help="XLSX sheet to read (default: the first with data)")
    p.add_argument("--delimiter", help="CSV delimiter (default: detected)")
    p.add_argument("--replace", action="store_true",
                   help="replace the stored leads (default: append, newer rows win); the "
                        "leads it replaces are backed up first")
    keep_arg(p)
    db_arg(p)

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
    db_arg(p)

    p = sub.add_parser("score", help="score a file of leads with agreed weights")
    p.add_argument("file")
    p.add_argument("--weights", required=True, help="weights JSON (calibrate export)")
    p.add_argument("--out", help="CSV to write (default: standard output)")
    p.add_argument("--mapping", help="TOML file overriding roles and types")
    p.add_argument("--contacts", choices=["hash", "drop", "plain"], default="hash",
                   help="how contact fields appear in the output (default: hashed)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="the scoring date open leads' days since their last activity count "
                        "to (default: today)")

    p = sub.add_parser("export", help="export the weights in force, or the agreement")
    p.add_argument("--format", required=True,
                   choices=["csv", "json", "xlsx", "rules", "sql", "hubspot", "marketo",
                            "pardot", "mautic", "markdown", "html"],
                   help="rules: the generic rules list; sql: a SELECT adding profile, "
                        "behavior, total and mql; hubspot, marketo, pardot, mautic: files "
                        "for those systems")
    p.add_argument("--dialect", choices=DIALECTS,
                   default="duckdb",
                   help="SQL dialect of --format sql (default: duckdb)")
    p.add_argument("--out", help="file to write (default: standard output)")
    db_arg(p)

    p = sub.add_parser("scenario", help="save, list, show, compare and agree on thresholds")
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
    q.add_argument("--capacity", metavar="REPSxLEADS",
                   help="sales capacity for these MQLs: reps x leads a rep works a month, "
                        "e.g. 10x40")
    q.add_argument("--segment-capacity", action="append", metavar="SEGMENT=REPSxLEADS",
                   help="a segment's own sales capacity, e.g. Enterprise=3x20; repeat for "
                        "more segments")
    q.add_argument("--months", type=int,
                   help="latest months to project from (default 12, as in the app; 0: all "
                        "history)")
    q.add_argument("--author", help="who proposes it")
    q.add_argument("--note", help="why")
    db_arg(q)
    q = scenario.add_parser("list", help="the newest version of each scenario, and the "
                                         "agreement")
    q.add_argument("--json", action="store_true", help="print JSON")
    db_arg(q)
    q = scenario.add_parser("show", help="one saved scenario: its thresholds, figures and "
                                         "basis, and what changed since")
    q.add_argument("name", help="a name (its newest version) or #id")
    q.add_argument("--json", action="store_true", help="print JSON")
    db_arg(q)
    q = scenario.add_parser("compare", help="two scenarios side by side")
    q.add_argument("a", help="scenario A: a name or #id")
    q.add_argument("b", help="scenario B: a name or #id")
    q.add_argument("--json", action="store_true", help="print JSON")
    db_arg(q)
    q = scenario.add_parser("agree", help="mark a scenario as the agreement")
    q.add_argument("name", help="a name (its newest version) or #id")
    q.add_argument("--by", required=True, help='who agreed ("VP Sales and VP Marketing")')
    q.add_argument("--note", help="a note for the record")
    keep_arg(q)
    db_arg(q)

    p = sub.add_parser("backup", help="copy the database to a new file")
    p.add_argument("--out", help="backup file (default: data/backups/<name>-<time>.duckdb)")
    db_arg(p)

    p = sub.add_parser("restore", help="replace the database with a backup")
    p.add_argument("backup")
    db_arg(p)

    p = sub.add_parser("drift", help="how far each month's leads moved from a reference "
                                     "period (PSI of the scores and every attribute)")
    p.add_argument("--reference", metavar="START:END",
                   help="the reference months, both included, e.g. 2024-01:2024-06 "
                        "(default: the first 6 months of dated leads)")
    p.add_argument("--json", action="store_true", help="print JSON")
    db_arg(p)

    p = sub.add_parser("refresh", help="the agreed weights against a refit on the last "
                                       "months, with one line of advice")
    p.add_argument("--months", type=int, default=3,
                   help="recent months to refit on and rank (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON")
    db_arg(p)

    # ---- backtest (issue 20; cli/backtest_commands.py)
    p = sub.add_parser("backtest", help="what thresholds would have done after a cut date: "
                                        "a fit on the leads before it, applied to those after")
    p.add_argument("--split", required=True, metavar="DATE|MONTHS",
                   help="the cut: a date (2025-07-01) or the last months (3, 6 or 12)")
    p.add_argument("--min-profile", type=int, help="profile threshold (default: the agreement's)")
    p.add_argument("--min-behavior", type=int,
                   help="behavior threshold (default: the agreement's)")
    p.add_argument("--min-total", type=int, help="total-score threshold instead of the two")
    p.add_argument("--window", type=int, default=12, metavar="MONTHS",
                   help="months before the cut to project from (default 12)")
    p.add_argument("--json", action="store_true", help="print JSON")
    db_arg(p)
    # ---- end backtest

    # ---- decay (issue 20; cli/decay_commands.py)
    p = sub.add_parser("decay", help="how fast behavior's effect fades without activity: "
                                     "half-lives and the decay settings to key in")
    p.add_argument("--vendor", choices=["hubspot", "marketo", "pardot"],
                   help="print that tool's decay settings only")
    p.add_argument("--json", action="store_true", help="print JSON")
    db_arg(p)
    # ---- end decay

    # ---- sql (issue 21; cli/sql_commands.py)
    p = sub.add_parser("sql", help="the count grid (or the score) as one SQL query to run "
                                   "where the leads are: DuckDB, Postgres, Spark, ...")
    p.add_argument("--dialect", default="duckdb",
                   help="duckdb (default), postgres, snowflake, bigquery or spark")
    p.add_argument("--table", default="leads",
                   help="the table holding the leads under their original columns "
                        "(default: leads; schema.table allowed)")
    p.add_argument("--what", choices=["grid", "score"], default="grid",
                   help="grid (default): the lead counts the workshop reads; score: every "
                        "lead's points, total and mql, as export --format sql")
    db_arg(p)
    # ---- end sql
    return parser

"""``calibrate sql`` (issue 21): the count grid, or the score, as one query for the engine
that holds the leads. Calls the Workbench and prints; computes nothing."""

from __future__ import annotations

import argparse

from calibrate.cli.common import open_workbench

#: How to run a query file in each engine, for the header.
RUN = {
    "duckdb": "duckdb DATABASE.duckdb < QUERY.sql",
    "postgres": "psql --dbname DATABASE --file QUERY.sql",
    "snowflake": "snowsql --filename QUERY.sql",
    "bigquery": "bq query --use_legacy_sql=false < QUERY.sql",
    "spark": "spark-sql -f QUERY.sql, or spark.sql(open('QUERY.sql').read()) in PySpark",
}
#: What each kind of query returns.
WHAT = {"grid": "the count grid's rows (a few thousand), not the leads",
        "score": "every lead with profile, behavior, auto_rule, total and mql added"}


def cmd_sql(args: argparse.Namespace) -> int:
    with open_workbench(args, read_only=True) as wb:
        query = (wb.score_sql if args.what == "score" else wb.grid_sql)(
            args.dialect, source=args.table)
        db = wb.db
    run = RUN[args.dialect]  # the Workbench refused any other dialect
    print(f"-- calibrate sql --what {args.what} --dialect {args.dialect} --table {args.table} "
          f"(database {db}).")
    print(f"-- Run it where the table is: {run}")
    print(f"-- It returns {WHAT[args.what]}.")
    print(query.rstrip().rstrip(";") + ";")
    return 0

"""SQL text from user names and values: the one quoting of identifiers and literals.

User column names and values never reach SQL raw. Identifiers are double-quoted with inner
quotes doubled; string literals single-quoted with inner quotes doubled (DuckDB, Postgres
and the SQL exports treat backslashes literally). A NUL character cannot be written in a
literal: ingest removes NULs from values and config files are checked for them, so meeting
one here is a bug, said as such.
"""

from __future__ import annotations

#: The SQL dialects calibrate writes its portable queries in (the score and the count grid,
#: transpiled with sqlglot): one list for the exports, the CLI and the Export page.
DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "spark")


def quote(name: str) -> str:
    """A safely quoted identifier (inner double quotes doubled)."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(text: object) -> str:
    """A string literal (inner single quotes doubled); a NUL character raises ValueError."""
    value = str(text)
    if "\x00" in value:
        raise ValueError("values with NUL characters cannot be written in SQL")
    return "'" + value.replace("'", "''") + "'"

"""The ``calibrate`` command: thin wrappers that parse, call the library and print.

``parser`` holds the options; ``commands``, ``scenario_commands``, ``health_commands``
(drift, refresh), ``backtest_commands``, ``decay_commands`` and ``sql_commands`` what each
command does; ``common`` what they share. :func:`main` runs one and turns errors into
messages.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from calibrate.cli.backtest_commands import cmd_backtest
from calibrate.cli.commands import (
    cmd_backup,
    cmd_export,
    cmd_fit,
    cmd_ingest,
    cmd_restore,
    cmd_score,
)
from calibrate.cli.decay_commands import cmd_decay
from calibrate.cli.health_commands import cmd_drift, cmd_refresh
from calibrate.cli.parser import build_parser
from calibrate.cli.scenario_commands import cmd_scenario
from calibrate.cli.sql_commands import cmd_sql
from calibrate.errors import CalibrateError

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ingest": cmd_ingest, "fit": cmd_fit, "score": cmd_score, "export": cmd_export,
    "scenario": cmd_scenario, "backup": cmd_backup, "restore": cmd_restore,
    "drift": cmd_drift, "refresh": cmd_refresh, "backtest": cmd_backtest, "decay": cmd_decay,
    "sql": cmd_sql,
}


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

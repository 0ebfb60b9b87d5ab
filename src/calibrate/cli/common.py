"""What every ``calibrate`` command shares: the workbench on its database, and the
notes it prints."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from calibrate.errors import CalibrateError

if TYPE_CHECKING:
    from calibrate.workbench import Workbench


def open_workbench(args: argparse.Namespace, **options: Any) -> Workbench:
    """The workbench on the command's database (``--db``, else ``$CALIBRATE_DB``, else
    data/calibrate.duckdb): every command goes through the Python API."""
    from calibrate.data import store
    from calibrate.workbench import Workbench

    return Workbench(store.resolve_db(args.db), **options)


def need_leads(wb: Workbench) -> None:
    """Stop a command that needs leads, saying how to load them."""
    if not wb.leads:
        raise CalibrateError("No leads are loaded.", file=str(wb.db),
                             fix="Load leads first: calibrate ingest FILE.")


def print_auto_backup(done) -> None:
    """The automatic backup's file on standard output, or its warning on standard error."""
    if done.note():
        print(done.note())
    if done.warning:
        print(f"warning: {done.warning}", file=sys.stderr)

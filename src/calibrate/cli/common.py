"""What every ``calibrate`` command shares: the workbench on its database, and the
notes it prints."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from calibrate.errors import CalibrateError, DatabaseReadOnlyError

if TYPE_CHECKING:
    from calibrate.workbench import Workbench

T = TypeVar("T")


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


def on_weights(args: argparse.Namespace, work: Callable[[Workbench], T],
               doing: str = "this command") -> T:
    """``work`` on the database opened to read (it works on a read-only file); opened to
    write only when the loaded leads have no saved weights yet, which ``work`` fits and
    saves first."""
    try:
        with open_workbench(args, read_only=True) as wb:
            need_leads(wb)
            return work(wb)
    except DatabaseReadOnlyError:
        try:
            wb = open_workbench(args)
        except DatabaseReadOnlyError as exc:
            raise DatabaseReadOnlyError(
                "No weights are saved for the loaded leads, and the database is read-only: "
                f"{doing} would fit them and save the weights, and cannot save.",
                file=exc.file, fix="Run calibrate fit where the file is writable (or on a "
                                   "writable copy), then run it again.") from None
        with wb:
            need_leads(wb)
            return work(wb)


def aligned_table(header: list[str], rows: list[list[str]],
                  notes: list[str | None] | None = None,
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

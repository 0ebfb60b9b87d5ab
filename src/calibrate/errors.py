"""Errors a user can act on: each names what went wrong, where, and how to fix it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


class CalibrateError(Exception):
    """A problem the user can fix; its text is shown as is, never as a traceback.

    ``file``, ``column`` and ``rows`` say where (rows are 1-based data rows, the header
    not counted), ``fix`` says what to do about it.
    """

    def __init__(
        self,
        what: str,
        *,
        file: str | None = None,
        column: str | None = None,
        rows: Sequence[int] | None = None,
        fix: str | None = None,
    ) -> None:
        self.what = what
        self.file = file
        self.column = column
        self.rows = list(rows or [])
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:5])
            more = f" (and {len(self.rows) - 5} more)" if len(self.rows) > 5 else ""
            where.append(f"row{'s' if len(self.rows) > 1 else ''} {shown}{more}")
        text = self.what
        if where:
            text += " [" + "; ".join(where) + "]"
        if self.fix:
            text += f"\nHow to fix: {self.fix}"
        return text


class InputError(CalibrateError):
    """An input file (or mapping) that cannot be loaded as it is."""


class ModelError(CalibrateError):
    """Data that cannot support a fit (no wins, one outcome, no attributes)."""


class DatabaseError(CalibrateError):
    """The database file is unreadable, from a newer version, or locked."""


class DatabaseInUseError(DatabaseError):
    """Another process holds the DuckDB file (DuckDB allows a single writer process)."""


def read_text_file(path: str | os.PathLike[str], kind: str, option: str) -> str:
    """The UTF-8 text of a file the user named (a mapping, a weights file), or an
    :class:`InputError` saying what is wrong with the path itself."""
    p = Path(path)
    if not p.is_file():
        what = "is a folder, not a file" if p.is_dir() else "does not exist"
        raise InputError(f"The {kind} file {what}.", file=str(p),
                         fix=f"Check the path given to {option}.")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"The {kind} file is not UTF-8 text ({exc.reason} at byte "
                         f"{exc.start}).", file=str(p),
                         fix="Save it again as UTF-8 text.") from None
    except OSError as exc:
        raise InputError(f"The {kind} file cannot be read: {exc.strerror}.", file=str(p),
                         fix="Check that you may read it.") from None

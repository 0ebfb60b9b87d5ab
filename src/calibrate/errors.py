"""Errors a user can act on: each names what went wrong, where, and how to fix it."""

from __future__ import annotations

from collections.abc import Sequence


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

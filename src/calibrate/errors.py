"""Errors a user can act on: each names what went wrong, where, and how to fix it."""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, Self

#: Where a message is read: the command line (and the Python API), or the app.
Place = Literal["cli", "app"]
CLI: Place = "cli"
APP: Place = "app"


class CalibrateError(Exception):
    """A problem the user can fix; its text is shown as is, never as a traceback.

    ``file``, ``column`` and ``rows`` say where (rows are 1-based data rows, the header
    not counted), ``fix`` says what to do about it in the command line's words (flags,
    commands; the Python API reads the same), ``app_fix`` in the app's (its controls) when
    they differ. :meth:`shown_in` gives the error as a place shows it.
    """

    def __init__(
        self,
        what: str,
        *,
        file: str | None = None,
        column: str | None = None,
        rows: Sequence[int] | None = None,
        fix: str | None = None,
        app_fix: str | None = None,
    ) -> None:
        self.what = what
        self.file = file
        self.column = column
        self.rows = list(rows or [])
        self.fix = fix
        self.app_fix = app_fix
        super().__init__(self.message)

    def shown_in(self, place: Place, names: Mapping[str, str] | None = None) -> Self:
        """This error as ``place`` shows it (same type and attributes).

        On the command line, itself. In the app: its ``app_fix`` (else ``fix``), and every
        file it names (``file``, a full disk's ``written``) by the name the user knows, never
        the server's folders: ``names`` maps a server path to that name (an upload's own
        name), any other path is shown by its file name.
        """
        if place == CLI or self.__dict__.get("_shown_in") == place:  # already in its words
            return self
        renames = {str(k): v for k, v in (names or {}).items()}
        for path in (self.file, getattr(self, "written", None)):
            if path and path not in renames:
                renames[path] = Path(path).name or path
        renames = {k: v for k, v in renames.items() if k != v}

        def shown(text: str | None) -> str | None:
            for old in sorted(renames, key=len, reverse=True):  # a path before its prefix
                text = text and text.replace(old, renames[old])
            return text

        out = type(self).__new__(type(self))
        out.__dict__.update(self.__dict__)
        out.what = shown(self.what) or ""
        out.file = renames.get(self.file, self.file) if self.file else self.file
        out.fix = shown(self.app_fix or self.fix)
        out.app_fix = None
        if getattr(self, "written", None):
            out.written = renames.get(self.written, self.written)
        out.args = (out.message,)
        out._shown_in = place
        return out

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


class DatabaseReadOnlyError(DatabaseError):
    """The database file (or its folder) cannot be written: reading still works."""


class DiskFullError(CalibrateError):
    """A write failed because the disk (or the user's quota) is full.

    ``invalidated``: DuckDB gave up on the database in this process (a failed checkpoint);
    the data on disk is intact, but the connection must be opened again.
    """

    invalidated = False
    written: str | None = None  # the file that could not be written


#: What the operating system and DuckDB say when a disk, or a quota, is full.
DISK_FULL_TEXTS = ("no space left on device", "disk quota exceeded", "disk is full")


def is_disk_full(exc: BaseException) -> bool:
    """Whether an error (an ``OSError`` or a DuckDB error) means the disk is full."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return any(t in text for t in DISK_FULL_TEXTS)


def is_read_only(exc: BaseException) -> bool:
    """Whether an error means a file or folder cannot be written (permissions, a read-only
    mount, an immutable file)."""
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return True
    text = str(exc).lower()
    return any(t in text for t in ("read-only file system", "permission denied",
                                   "operation not permitted"))


def size_text(n: float) -> str:
    """A size as a person reads it: 0 bytes, 12 KB, 3.4 MB, 1.2 GB."""
    if n < 1000:
        return f"{int(n)} byte{'s' if n != 1 else ''}"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1000
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if n >= 100 else f"{n:.1f} {unit}"
    raise AssertionError  # unreachable


def free_space(path: str | os.PathLike[str]) -> int | None:
    """Bytes free on the disk holding ``path`` (or its nearest existing folder)."""
    p = Path(path).absolute()
    for candidate in (p, *p.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


_WRITE_TARGET = re.compile(r'(?:write|writing|open|create)(?: to)?(?: file)? "([^"]+)"',
                           re.IGNORECASE)


def written_path(exc: BaseException) -> str | None:
    """The file a failed write was writing, when the error names it."""
    if isinstance(exc, OSError) and (exc.filename2 or exc.filename):
        # a copy names its source, then its destination
        return os.fsdecode(exc.filename2 or exc.filename)
    m = _WRITE_TARGET.search(str(exc))
    return m.group(1) if m else None


def disk_full_error(exc: BaseException | None, path: str | os.PathLike[str], *,
                    outcome: str, fix: str | None = None,
                    where: str | None = None, app_fix: str | None = None) -> DiskFullError:
    """"The disk is full" with the file being written, the space left on its disk, what was
    (not) changed (``outcome``) and what to do (``app_fix``: in the app's words)."""
    where = where or (written_path(exc) if exc is not None else None) or os.fspath(path)
    free = free_space(where)
    left = "unknown space" if free is None else size_text(free)
    err = DiskFullError(
        f"The disk is full: {where} could not be written ({left} free on that disk). "
        f"{outcome}".strip(),
        file=os.fspath(path),
        fix=fix or "Free space on that disk (delete or move files), then run it again.",
        app_fix=app_fix)
    err.written = where
    err.invalidated = exc is not None and (
        "invalidated" in str(exc) or getattr(exc, "invalidated", False))
    return err


def write_file(path: str | os.PathLike[str], data: bytes, *, what: str = "file") -> None:
    """Write a whole file or nothing: the bytes go to a temporary file beside it, renamed
    into place once complete, so a full disk never leaves half a file behind."""
    target = Path(path)
    part = target.with_name(f".{target.name}.part-{os.getpid()}")
    try:
        with open(part, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise disk_full_error(exc, target, outcome=f"The {what} was not written.") \
                from None
        raise CalibrateError(f"The {what} cannot be written: {exc.strerror}.",
                             file=str(target),
                             fix="Check the folder exists and that you may write to it.") \
            from None

"""Backups made while the app runs: on demand, at each agreement and before each replacing
load, kept in ``backups/`` beside the database with a retention limit.

Only one process may hold the database, so a backup must come from the process that has
it open: :func:`backup_now` (the app's "Back up now") and :func:`auto_backup` copy through
the open connection with :func:`calibrate.data.backup.backup`.

Names say what each file is: ``<db>-YYYYmmdd-HHMMSS.duckdb`` is a manual backup
(``calibrate backup``, "Back up now"), ``<db>-YYYYmmdd-HHMMSS-<reason>.duckdb`` an automatic
one (``-agreement``, ``-before-ingest``); a second backup within the same second gets
``-2``, ``-3``... after its time. :func:`prune_backups` deletes only the oldest automatic
backups beyond the limit: never a manual one, a schema-upgrade copy
(``<db>-schema<N>-<time>.duckdb``), a ``*.before-restore-*`` file or a file named otherwise.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from calibrate.data import store
from calibrate.data.backup import backup
from calibrate.errors import CalibrateError, DiskFullError, size_text

#: Automatic backups kept per database (``$CALIBRATE_KEEP_BACKUPS``; 0 turns them off).
DEFAULT_KEEP = 10
ENV_KEEP = "CALIBRATE_KEEP_BACKUPS"

AGREEMENT = "agreement"
BEFORE_INGEST = "before-ingest"
SCHEMA_UPGRADE = "schema-upgrade"
#: How each reason reads in the app and the command line.
REASONS = {AGREEMENT: "at an agreement", BEFORE_INGEST: "before a replacing load",
           SCHEMA_UPGRADE: "before a schema upgrade"}

_NAME = re.compile(r"^(?P<stem>.+?)-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?"
                   r"(?:-(?P<reason>[a-z][a-z0-9-]*))?\.duckdb$")
_SCHEMA = re.compile(r"^(?P<stem>.+)-schema\d+$")


@dataclass(frozen=True)
class BackupFile:
    """One backup in the folder: when, manual or automatic and why, how large."""

    path: Path
    time: datetime
    kind: str  # "manual" or "automatic"
    reason: str  # "" for a manual backup, else e.g. "agreement", "before-ingest"
    size: int  # bytes (with its journal, if one was left)
    database: str = ""  # the name (stem) of the database it copies, when its name says

    def why(self) -> str:
        """"manual", or "automatic, at an agreement" and the like."""
        if self.kind == "manual":
            return "manual"
        return f"automatic, {REASONS.get(self.reason, self.reason.replace('-', ' '))}"

    def describe(self) -> str:
        """One line: time, kind and reason, size."""
        return f"{self.time:%Y-%m-%d %H:%M:%S} · {self.why()} · {size_text(self.size)}"


@dataclass(frozen=True)
class AutoBackup:
    """What an automatic backup did: the file written (``None``: none was needed), the
    automatic backups deleted by the retention limit, or a warning when it failed (the
    action it guarded went ahead)."""

    path: Path | None = None
    removed: tuple[Path, ...] = ()
    warning: str | None = None
    reason: str = ""

    def note(self) -> str | None:
        """"Automatic backup before this load: FILE (2.1 MB)." for the user, or ``None``
        when none was made."""
        if self.path is None:
            return None
        which = {AGREEMENT: " of this agreement", BEFORE_INGEST: " before this load"}
        return (f"Automatic backup{which.get(self.reason, '')}: {shown(self.path)} "
                f"({size_text(_size(self.path))}).")


def shown(path: Path) -> str:
    """A path as a user reads it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _size(path: Path) -> int:
    total = 0
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            total += p.stat().st_size
        except OSError:
            pass
    return total


def backups_folder(db: Path) -> Path:
    """``backups/`` beside the database (``data/backups/`` by default)."""
    return Path(db).parent / "backups"


def backup_path(db: Path, reason: str | None = None, when: datetime | None = None) -> Path:
    """A new file name in the backups folder: ``<db>-<time>[-N][-<reason>].duckdb``. The
    number ``-2``, ``-3``... is one no backup of that database and second has (whatever its
    reason), so names order backups even within a second."""
    if reason is not None and not re.fullmatch(r"[a-z][a-z0-9-]*", reason):
        raise ValueError(f"a backup reason is a lowercase word with dashes, not {reason!r}")
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    folder, stem = backups_folder(db), Path(db).stem
    taken = set()
    try:
        pattern = f"{glob_escape(stem)}-{stamp}*"
        for p in [*folder.glob(pattern), *folder.glob("." + pattern)]:
            parsed = _parse(p.with_name(p.name.lstrip(".").split(".duckdb")[0] + ".duckdb"))
            if parsed is not None and parsed[0] == stem:
                taken.add(parsed[2])
    except OSError:
        pass
    n = max(taken, default=0) + 1
    return folder / f"{stem}-{stamp}{f'-{n}' if n > 1 else ''}" \
                    f"{f'-{reason}' if reason else ''}.duckdb"


def keep_limit(value: str | None = None) -> int:
    """The number of automatic backups to keep: ``value``, else ``$CALIBRATE_KEEP_BACKUPS``,
    else :data:`DEFAULT_KEEP`; a :class:`CalibrateError` when it is not a whole number >= 0."""
    text = os.environ.get(ENV_KEEP) if value is None else value
    if text is None or not text.strip():
        return DEFAULT_KEEP
    try:
        keep = int(text.strip())
    except ValueError:
        keep = -1
    if keep < 0:
        raise CalibrateError(
            f"{ENV_KEEP} must be a whole number of automatic backups to keep (0 turns "
            f"them off), not '{text}'.", fix=f"Set {ENV_KEEP} to a number such as "
                                             f"{DEFAULT_KEEP}, or unset it.")
    return keep


def _parse(path: Path) -> tuple[str, datetime, int, str] | None:
    """(stem, time, sequence, reason) from a backup's name; ``None`` for other names."""
    m = _NAME.match(path.name)
    if m is None:
        return None
    try:
        when = datetime.strptime(m["stamp"], "%Y%m%d-%H%M%S")
    except ValueError:
        return None
    return m["stem"], when, int(m["n"] or 1), m["reason"] or ""


def list_backups(folder: str | os.PathLike[str], stem: str | None = None
                 ) -> list[BackupFile]:
    """The backups in ``folder``, newest first; only those of database ``stem`` when given.

    A file named otherwise (``calibrate backup --out``) is listed as manual with its
    modification time, unless ``stem`` is given."""
    found: list[tuple[tuple[datetime, int], BackupFile]] = []
    try:
        paths = [p for p in Path(folder).glob("*.duckdb")
                 if not p.name.startswith(".") and p.is_file()]
    except OSError:
        return []
    for p in paths:
        size = _size(p)
        parsed = _parse(p)
        if parsed is None:
            if stem is not None:
                continue
            when = datetime.fromtimestamp(p.stat().st_mtime)
            found.append(((when, 0), BackupFile(p, when, "manual", "", size)))
            continue
        name, when, n, reason = parsed
        schema = _SCHEMA.match(name)
        if schema is not None and not reason:
            name, reason = schema["stem"], SCHEMA_UPGRADE
        if stem is not None and name != stem:
            continue
        kind = "automatic" if reason else "manual"
        found.append(((when, n), BackupFile(p, when, kind, reason, size, name)))
    found.sort(key=lambda item: item[0], reverse=True)
    return [b for _, b in found]


def prune_backups(folder: str | os.PathLike[str], stem: str, keep: int) -> list[Path]:
    """Delete the oldest automatic backups of database ``stem`` beyond the newest ``keep``;
    the deleted files. Manual backups, schema-upgrade copies and files named otherwise are
    never touched."""
    if keep < 0:
        raise ValueError("keep must be 0 or more")
    automatic = []
    for p in Path(folder).glob(f"{glob_escape(stem)}-*.duckdb"):
        parsed = _parse(p)
        if parsed is None or parsed[0] != stem or not parsed[3] or not p.is_file():
            continue
        automatic.append(((parsed[1], parsed[2]), p))
    automatic.sort()
    removed = []
    for _, p in automatic[:max(0, len(automatic) - keep)]:
        try:
            p.unlink()
            p.with_name(p.name + ".wal").unlink(missing_ok=True)
        except OSError:
            continue  # best effort: the next backup tries again
        removed.append(p)
    return removed


def glob_escape(text: str) -> str:
    """``text`` as a literal inside a glob pattern."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def backup_now(con: duckdb.DuckDBPyConnection, db: str | os.PathLike[str] | None = None
               ) -> BackupFile:
    """A manual backup of the open database into its backups folder (never pruned)."""
    path = Path(db) if db is not None else store.db_file(con)
    if path is None:
        raise CalibrateError("This database is held in memory: there is no file to back up.",
                             fix="Open a database file (--db or CALIBRATE_DB).")
    with store.WRITE_LOCK:  # the name is chosen and taken in one step
        out = backup(con, backup_path(path))
    stamp = _parse(out)
    when = stamp[1] if stamp else datetime.now()
    return BackupFile(out, when, "manual", "", _size(out), path.stem)


def auto_backup(con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike[str] | None,
                reason: str, keep: int | None = None) -> Path | None:
    """An automatic backup named for ``reason``, then the retention limit applied.

    ``keep`` defaults to :func:`keep_limit`; 0 makes no backup. ``None`` when none is
    needed (a database in memory, or with no leads). Failures raise
    :class:`CalibrateError` (a full disk: ``DiskFullError``), leaving no partial file."""
    return _auto(con, db_path, reason, keep)[0]


def _auto(con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike[str] | None,
          reason: str, keep: int | None) -> tuple[Path | None, list[Path]]:
    """(the backup written or ``None``, the automatic backups the limit deleted)."""
    keep = keep_limit() if keep is None else keep
    path = Path(db_path) if db_path is not None else store.db_file(con)
    if keep <= 0 or path is None or not store.lead_count(con):
        return None, []
    with store.WRITE_LOCK:  # the name is chosen and taken in one step
        out = backup(con, backup_path(path, reason))
    return out, prune_backups(out.parent, path.stem, keep)


#: What an automatic backup guards, as the warning names it.
_GUARDS = {AGREEMENT: "of this agreement was not made (the agreement itself is recorded)",
           BEFORE_INGEST: "before this load was not made, so the leads it replaces have no "
                          "automatic copy"}


def _guarded(con: duckdb.DuckDBPyConnection, db_path: str | os.PathLike[str] | None,
             reason: str, keep: int | None) -> AutoBackup:
    """:func:`auto_backup` that never stops the action it guards: a failure is a warning."""
    warnings = []
    if keep is None:
        try:
            keep = keep_limit()
        except CalibrateError as exc:
            warnings.append(f"{exc.message} (the default, {DEFAULT_KEEP}, was used)")
            keep = DEFAULT_KEEP
    out, removed = None, []
    try:
        out, removed = _auto(con, db_path, reason, keep)
    except DiskFullError as exc:  # said for the app and the command line alike
        full = exc.what.split(" No backup was written")[0]
        warnings.append(f"The automatic backup {_GUARDS.get(reason, 'was not made')}. {full}"
                        "\nHow to fix: Free space on that disk, then make a backup: Back up "
                        "now in the app, or calibrate backup while the app is not running.")
    except CalibrateError as exc:
        warnings.append(f"The automatic backup {_GUARDS.get(reason, 'was not made')}. "
                        f"{exc.message}")
    return AutoBackup(out, tuple(removed), "\n\n".join(warnings) or None, reason)


def backup_before_ingest(con: duckdb.DuckDBPyConnection, replace: bool,
                         db_path: str | os.PathLike[str] | None = None,
                         keep: int | None = None) -> AutoBackup:
    """Before a load that replaces the stored leads: a copy of them (``-before-ingest``).
    Nothing for an append or an empty database; never raises for a failed backup."""
    if not replace:
        return AutoBackup()
    return _guarded(con, db_path, BEFORE_INGEST, keep)


def backup_at_agreement(con: duckdb.DuckDBPyConnection,
                        db_path: str | os.PathLike[str] | None = None,
                        keep: int | None = None) -> AutoBackup:
    """After an agreement is recorded: a copy with it (``-agreement``); never raises for a
    failed backup."""
    return _guarded(con, db_path, AGREEMENT, keep)

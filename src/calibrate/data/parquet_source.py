"""Leads in Parquet files read in place (issue 21): a file, a folder or a glob, read where
they are by an in-memory DuckDB.

Why: a folder of Parquet files is how a lake hands over a big lead table; copying 100M rows
into a DuckDB file to fit on 250,000 of them is the cost loading in place avoids. The
files are named by absolute path and stamped (size, modification time) when loaded, so a
refit reads the same rows or says the files changed; nothing is ever written next to them.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from calibrate.errors import CalibrateError, InputError
from calibrate.sql import literal

if TYPE_CHECKING:
    import pandas as pd

    from calibrate.data.ingest import IngestReport

__all__ = ["ROOTS_ENV", "FileStamp", "ParquetSource", "open_parquet", "parquet_roots",
           "served_path"]

#: Characters that make a path a glob (``data/*.parquet``).
GLOB_CHARS = frozenset("*?[")
#: The folders (``os.pathsep``-separated) the app may read Parquet files from in place.
ROOTS_ENV = "CALIBRATE_PARQUET_ROOTS"


def parquet_roots(env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """The folders the app reads Parquet files from in place: ``$CALIBRATE_PARQUET_ROOTS``
    (resolved), else the folder the app runs in. The app reads server paths a browser
    user types, so whoever runs it says where."""
    given = (os.environ if env is None else env).get(ROOTS_ENV, "")
    roots = [Path(r).expanduser().resolve() for r in given.split(os.pathsep) if r.strip()]
    return tuple(roots) or (Path.cwd().resolve(),)


def served_path(given: str, roots: Sequence[Path]) -> str:
    """``given`` (a file, a folder or a glob; relative to the first root) as an absolute
    path under one of ``roots``; an :class:`InputError` when it is empty or outside them.
    Links and ``..`` are resolved first, so neither leads out."""
    text = given.strip()
    if not text:
        raise InputError("No path given.", fix="Type the path of a Parquet file, a folder "
                                                "of Parquet files or a pattern.")
    path = Path(text) if os.path.isabs(text) else Path(roots[0]) / text
    parts = path.parts
    fixed = next((i for i, part in enumerate(parts) if GLOB_CHARS & set(part)), len(parts))
    base = Path(*parts[:fixed]).resolve()  # the part before any pattern, links resolved
    if not any(base == r or r in base.parents for r in roots):
        raise InputError(
            "This path is outside the folders this app reads Parquet files from.",
            file=text, fix="Give a path under " + ", ".join(f"{r}" for r in roots)
            + f", or ask whoever runs the app to add its folder to {ROOTS_ENV}.")
    return str(base.joinpath(*parts[fixed:]))


@dataclass(frozen=True)
class FileStamp:
    """One file of the source as it was when loaded: absolute path, bytes, mtime (ns)."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        stat = path.stat()
        return cls(str(path), int(stat.st_size), int(stat.st_mtime_ns))


def _again(given: str) -> str:
    return f"Load it again: calibrate ingest {given} --in-place (wb.ingest(path, in_place=True))."


#: The same fix in the app's words.
_AGAIN_IN_APP = ("Load the files again on the Data page (Parquet files on this server, in "
                 "place), or load other leads there.")


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def _files(given: str) -> tuple[list[Path], bool]:
    """The Parquet files ``given`` (absolute) names, sorted, and whether it is a folder;
    an :class:`InputError` naming it when there are none or one is not Parquet."""
    from calibrate.data.file_format import sniff_format
    from calibrate.data.readers import parquet_files
    from calibrate.data.table_formats import check_plain_folder, table_folder

    p = Path(given)
    if GLOB_CHARS & set(given):
        files = sorted(Path(f) for f in glob.glob(given, recursive=True) if Path(f).is_file())
        if not files:
            raise InputError("No file matches this pattern.", file=given,
                             fix="Check the folder and the pattern, e.g. data/*.parquet.")
        folder = False
    elif not p.exists():
        raise InputError("The file does not exist.", file=given, fix="Check the path.",
                         app_fix="Check the path.")
    elif p.is_dir():
        table = table_folder(p)
        if table is not None:
            raise InputError(
                f"This folder is a {table.kind} table: its Parquet files include earlier "
                "versions and deleted rows, so it cannot be read in place.", file=given,
                fix="Load it without --in-place (its current version is read), or write "
                    "its current version as plain Parquet files.",
                app_fix="Write its current version as plain Parquet files and load those, "
                        "or upload it as a file on this page.")
        check_plain_folder(p)
        files = parquet_files(p)
        if not files:
            raise InputError("This folder holds no Parquet files.", file=given,
                             fix="Give a Parquet file, a folder of Parquet files or a pattern "
                                 "(data/*.parquet) to load in place.")
        folder = True
    else:
        files, folder = [p], False
    for f in files:
        if f.stat().st_size == 0 or not _is_parquet(f):
            kind = "empty (0 bytes)" if f.stat().st_size == 0 else sniff_format(f).upper()
            raise InputError(
                f"In place reads Parquet files only; this file is {kind}.", file=str(f),
                fix="Load it without --in-place (calibrate ingest FILE), or write the "
                    "leads as Parquet.",
                app_fix="Upload it as a file on this page instead, or write the leads as "
                        "Parquet.")
    return files, folder


def open_parquet(path: str | os.PathLike[str]) -> ParquetSource:
    """The Parquet source at ``path`` (a file, a folder of files, a glob), its files checked
    and stamped now; an :class:`InputError` naming the path when it cannot be read so."""
    given = os.path.abspath(os.path.expanduser(os.fspath(path)))
    files, folder = _files(given)
    return ParquetSource(given, tuple(FileStamp.of(f) for f in files), folder)


@dataclass(frozen=True)
class ParquetSource:
    """Leads in Parquet files, read in place by DuckDB (:mod:`calibrate.in_place`): the
    path as given (absolute) and the stamp of each file it names."""

    path: str
    files: tuple[FileStamp, ...]
    folder: bool = False

    kind = "parquet"
    dialect = "duckdb"
    #: How a sample above the cap is picked, as the load's summary says it.
    picked = "DuckDB's hash of each row"

    @property
    def name(self) -> str:
        """The source as messages name it: its absolute path (or pattern)."""
        return self.path

    def where(self) -> dict[str, Any]:
        """What the store's record keeps to read it again."""
        return {"url": "", "table": None, "query": None, "kind": self.kind,
                "path": self.path, "folder": self.folder,
                "files": [dataclasses.asdict(f) for f in self.files]}

    @classmethod
    def reopen(cls, path: str, files: list[dict[str, Any]], folder: bool) -> ParquetSource:
        """The source a record names, when its files are still as they were loaded; else an
        :class:`InputError` naming the file that is gone or changed."""
        kept = [FileStamp(**f) for f in files]
        for f in kept:
            p = Path(f.path)
            if not p.is_file():
                raise InputError("A file loaded in place is gone.", file=f.path,
                                 fix=_again(path), app_fix=_AGAIN_IN_APP)
            if FileStamp.of(p) != f:
                raise InputError("A file loaded in place has changed since (its size or "
                                 "modification time).", file=f.path, fix=_again(path),
                                 app_fix=_AGAIN_IN_APP)
        try:
            now = [str(f) for f in _files(path)[0]]
        except InputError:
            now = []
        if now and now != [f.path for f in kept]:
            added = sorted(set(now) - {f.path for f in kept})
            raise InputError(
                "The files loaded in place have changed since: "
                + (f"{len(added)} more now ({added[0]}...)." if added else "some are gone."),
                file=path, fix=_again(path), app_fix=_AGAIN_IN_APP)
        return cls(path, tuple(kept), folder)

    def relation(self) -> str:
        """DuckDB's ``read_parquet`` of the files, read as the file path reads them (a
        folder: hive partitions, columns matched by name)."""
        files = ", ".join(literal(f.path) for f in self.files)
        options = (", hive_partitioning = true, union_by_name = true" if self.folder else
                   ", union_by_name = true" if len(self.files) > 1 else "")
        return f"read_parquet([{files}]{options})"

    def sql(self) -> str:
        """The rows, as a query."""
        return f"SELECT * FROM {self.relation()}"

    def sample_sql(self, rows: int, cap: int) -> str:
        """All the rows up to ``cap``; above, ``cap`` of them, those with the smallest hash
        of the whole row: the same rows on every run, whatever the thread count. The
        cap-th smallest hash is found first (a top-N of hashes alone), then the rows at or
        below it are read: a top-N of whole rows keeps ``cap`` rows per thread (6.7 GB for
        10M leads on 2 threads against 0.7 GB so)."""
        if rows <= cap:
            return self.sql()
        cap = int(cap)
        bound = (f"(SELECT max(h) FROM (SELECT hash(r) AS h FROM ({self.sql()}) AS r "
                 f"ORDER BY h LIMIT {cap}))")
        return (f"SELECT s.* FROM ({self.sql()}) AS s WHERE hash(s) <= {bound} "
                f"ORDER BY hash(s) LIMIT {cap}")

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB reading instants as UTC dates, as the file path does."""
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'UTC'")
        except duckdb.Error:  # no time zone support: instants are read as stored
            pass
        return con

    def _failed(self, exc: duckdb.Error) -> InputError:
        from calibrate.data.table_formats import first_line

        return InputError(f"Reading {self.name} failed: {first_line(exc)}",
                          fix="Check that the files are whole Parquet files with the same "
                              "columns, then load them again.")

    def fetch_frame(self, sql: str) -> pd.DataFrame:
        """The rows of ``sql`` (a count, the count grid), read whole; DuckDB's errors as
        an :class:`InputError` ``Reading PATH failed: ...``."""
        con = self.connect()
        try:
            return con.execute(sql).df()
        except duckdb.Error as exc:
            raise self._failed(exc) from None
        finally:
            con.close()

    def count(self) -> int:
        """How many rows the files hold (from their metadata)."""
        return int(self.fetch_frame(f"SELECT count(*) AS n FROM {self.relation()}").iloc[0, 0])

    def no_rows(self) -> InputError:
        """The message for files that hold no rows."""
        return InputError("The Parquet files hold no rows.", file=self.name,
                          fix="Write the leads again, one row per lead.")

    def ingest_rows(self, con: duckdb.DuckDBPyConnection, sql: str, *,
                    progress: Callable[[str], None] | None = None,
                    **options: Any) -> IngestReport:
        """Write the rows of ``sql`` to a Parquet file in a private temporary folder and load
        it with the file path's ingest, under the source's name."""

        say = progress or (lambda _msg: None)
        say(f"reading from {self.name}")
        with tempfile.TemporaryDirectory(prefix="calibrate-parquet-") as folder:
            os.chmod(folder, 0o700)
            path = Path(folder) / "leads.parquet"
            duck = self.connect()
            try:
                duck.execute(f"COPY ({sql}) TO {literal(str(path))} (FORMAT parquet)")
            except duckdb.Error as exc:
                raise self._failed(exc) from None
            finally:
                duck.close()
            return ingest_sample(con, path, self.name, self.kind, progress=progress,
                                 **options)


def ingest_sample(con: duckdb.DuckDBPyConnection, path: Path, name: str, kind: str, *,
                  progress: Callable[[str], None] | None = None,
                  **options: Any) -> IngestReport:
    """Load the rows a source in place wrote to the temporary Parquet file ``path`` with
    the file path's ingest, reported and named as the source (``name``, format ``kind``),
    never as the temporary file."""
    from calibrate.data.ingest import ingest

    try:
        report = ingest(con, path, name=name, progress=progress, **options)
    except CalibrateError as exc:  # name the source, not the temporary file
        exc.file = name if exc.file else None
        exc.what = exc.what.replace(str(path), name)
        exc.args = (exc.message,)
        raise
    return dataclasses.replace(report, format=kind, details={})

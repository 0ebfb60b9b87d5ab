"""Leads in Parquet files read in place (issue 21): a file, a folder or a glob, or the
current version of a Delta Lake or Apache Iceberg table folder, read where they are by an
in-memory DuckDB.

Why: a folder of Parquet files is how a lake hands over a big lead table; copying 100M rows
into a DuckDB file to fit on 250,000 of them is the cost loading in place avoids. The
files are named by absolute path and stamped (size, modification time) when loaded, so a
refit reads the same rows or says the files changed; nothing is ever written next to them.

A table folder also holds earlier versions' files, so its files are the ones its own log
(Delta, with ``deltalake``) or metadata (Iceberg, with ``pyiceberg``) names for its current
version, read by DuckDB's ``read_parquet`` over exactly that list; Delta's partition values,
kept in the log and not in the files, are added from the log. A table whose current rows
are not its files' rows (deletion vectors, delete files, column mapping, a column renamed
since a file was written) is refused. The record keeps the version: a refit reads that
version again (its files stay until vacuumed), whatever was written since.
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

from calibrate.data.table_formats import AGAIN_IN_APP, TableFiles, again_in_place
from calibrate.errors import CalibrateError, InputError
from calibrate.sql import literal, quote

if TYPE_CHECKING:
    import pandas as pd

    from calibrate.data.ingest import IngestReport

__all__ = ["ROOTS_ENV", "FileStamp", "ParquetSource", "open_parquet", "parquet_roots",
           "served_path"]

#: Characters that make a path a glob (``data/*.parquet``).
GLOB_CHARS = frozenset("*?[")
#: The folders (``os.pathsep``-separated) the app may read Parquet files from in place.
ROOTS_ENV = "CALIBRATE_PARQUET_ROOTS"
#: The column DuckDB names each row's file in, for a table's partition values.
FILE_COLUMN = "__calibrate_file"


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
        if table is not None:  # read from its log or metadata instead (open_parquet)
            raise InputError(
                f"This folder is a {table.kind}: its Parquet files include earlier versions "
                "and deleted rows, so they cannot be read as plain Parquet files.",
                file=given, fix=again_in_place(given), app_fix=AGAIN_IN_APP)
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
    """The Parquet source at ``path`` (a file, a folder of files, a glob, or a Delta or
    Iceberg table folder: its current version), its files checked and stamped now; an
    :class:`InputError` naming the path when it cannot be read so."""
    given = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if not GLOB_CHARS & set(given) and os.path.isdir(given):
        from calibrate.data.table_formats import table_folder

        table = table_folder(Path(given))
        if table is not None:
            return _open_table(given, table.kind, None)
    files, folder = _files(given)
    return ParquetSource(given, tuple(FileStamp.of(f) for f in files), folder)


def _open_table(given: str, kind: str, version: int | None) -> ParquetSource:
    """The table folder ``given`` read in place: the files of its current version (or of
    ``version``, read before), stamped now, and the query reading exactly them."""
    from calibrate.data.table_formats import DELTA, table_folder

    table = table_folder(Path(given))
    if table is None or table.kind != kind:
        raise InputError(f"This folder is no longer a {kind}.", file=given,
                         fix=again_in_place(given), app_fix=AGAIN_IN_APP)
    if kind == DELTA:
        from calibrate.data.delta_table import delta_files

        found = delta_files(table.path, version)
    else:
        from calibrate.data.iceberg_table import iceberg_files

        assert table.metadata is not None
        found = iceberg_files(table.path, table.metadata, version)
    if not found.files:
        raise InputError(f"The {found.label} holds no rows.", file=given,
                         fix="Load it once the table has rows.")
    stamps = tuple(FileStamp.of(f) for f in found.files)
    source = ParquetSource(given, stamps, table_format=kind, version=found.version)
    return dataclasses.replace(source, select=source.projection(found))


@dataclass(frozen=True)
class ParquetSource:
    """Leads in Parquet files, read in place by DuckDB (:mod:`calibrate.in_place`): the
    path as given (absolute) and the stamp of each file it names. A Delta or Iceberg table
    folder: also its ``table_format`` and the ``version`` (Delta) or snapshot id (Iceberg)
    read, and ``select``, the columns read from its files (partition values added)."""

    path: str
    files: tuple[FileStamp, ...]
    folder: bool = False
    table_format: str | None = None
    version: int | None = None
    select: str = "*"

    kind = "parquet"
    dialect = "duckdb"
    #: How a sample above the cap is picked, as the load's summary says it.
    picked = "DuckDB's hash of each row"
    #: The same when a sample is picked by its lead id column ``{key}``.
    picked_by = "DuckDB's hash of each row's {key}"

    @property
    def name(self) -> str:
        """The source as messages name it: its absolute path (or pattern)."""
        return self.path

    @property
    def label(self) -> str | None:
        """A table's format and version as summaries name it (``Delta table, version 2``);
        None for plain Parquet files."""
        from calibrate.data.table_formats import version_label

        if self.table_format is None or self.version is None:
            return None
        return version_label(self.table_format, self.version)

    def where(self) -> dict[str, Any]:
        """What the store's record keeps to read it again."""
        return {"url": "", "table": None, "query": None, "kind": self.kind,
                "path": self.path, "folder": self.folder,
                "files": [dataclasses.asdict(f) for f in self.files],
                "table_format": self.table_format, "version": self.version}

    @classmethod
    def reopen(cls, path: str, files: list[dict[str, Any]], folder: bool,
               table_format: str | None = None, version: int | None = None) -> ParquetSource:
        """The source a record names, when its files are still as they were loaded; else an
        :class:`InputError` naming the file that is gone or changed. A table: the version
        loaded, read again from its log or metadata (what was written since is not read)."""
        kept = [FileStamp(**f) for f in files]
        for f in kept:
            p = Path(f.path)
            if not p.is_file():
                raise InputError("A file loaded in place is gone.", file=f.path,
                                 fix=again_in_place(path), app_fix=AGAIN_IN_APP)
            if FileStamp.of(p) != f:
                raise InputError("A file loaded in place has changed since (its size or "
                                 "modification time).", file=f.path, fix=again_in_place(path),
                                 app_fix=AGAIN_IN_APP)
        if table_format is not None:
            source = _open_table(path, table_format, version)
            if sorted(f.path for f in source.files) != sorted(f.path for f in kept):
                raise InputError(f"The files of the {source.label} are not those loaded in "
                                 "place.", file=path, fix=again_in_place(path),
                                 app_fix=AGAIN_IN_APP)
            return source
        try:
            now = [str(f) for f in _files(path)[0]]
        except InputError:
            now = []
        if now and now != [f.path for f in kept]:
            added = sorted(set(now) - {f.path for f in kept})
            raise InputError(
                "The files loaded in place have changed since: "
                + (f"{len(added)} more now ({added[0]}...)." if added else "some are gone."),
                file=path, fix=again_in_place(path), app_fix=AGAIN_IN_APP)
        return cls(path, tuple(kept), folder)

    def relation(self) -> str:
        """DuckDB's ``read_parquet`` of the files, read as the file path reads them (a
        folder: hive partitions, columns matched by name; a table: its columns, with the
        partition values its log keeps)."""
        files = ", ".join(literal(f.path) for f in self.files)
        if self.table_format is not None:
            return (f"(SELECT {self.select} FROM read_parquet([{files}], hive_partitioning "
                    f"= false, union_by_name = true, filename = {literal(FILE_COLUMN)}))")
        options = (", hive_partitioning = true, union_by_name = true" if self.folder else
                   ", union_by_name = true" if len(self.files) > 1 else "")
        return f"read_parquet([{files}]{options})"

    def projection(self, table: TableFiles) -> str:
        """The columns of ``table`` in its schema's order, read from its files (by name): a
        partition column is its value for the file each row is in, a column in none of the
        files NULL (as the table reads it)."""
        files = ", ".join(literal(f.path) for f in self.files)
        con = self.connect()
        try:
            held = {r[0] for r in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet([{files}], hive_partitioning = false, "
                "union_by_name = true)").fetchall()}
        except duckdb.Error as exc:
            raise self._failed(exc) from None
        finally:
            con.close()
        out = []
        for name, duck in table.columns:
            if name in table.partitions:
                cases = {}
                for f, value in zip(self.files, table.partitions[name], strict=True):
                    cases.setdefault(value, []).append(literal(f.path))
                whens = " ".join(f"WHEN {quote(FILE_COLUMN)} IN ({', '.join(paths)}) THEN "
                                 f"{'NULL' if value is None else literal(value)}"
                                 for value, paths in cases.items())
                out.append(f"CAST(CASE {whens} END AS {duck}) AS {quote(name)}")
            elif name in held:
                out.append(quote(name))
            elif duck is not None:
                out.append(f"CAST(NULL AS {duck}) AS {quote(name)}")
            else:
                raise InputError(f"The {self.label}'s column {name} is in none of its files, "
                                 "and of a type in place cannot read.", file=self.path,
                                 fix=again_in_place(self.path), app_fix=AGAIN_IN_APP)
        return ", ".join(out)

    def sql(self) -> str:
        """The rows, as a query."""
        return f"SELECT * FROM {self.relation()}"

    def sample_sql(self, rows: int, cap: int, key: str | None = None) -> str:
        """All the rows up to ``cap``; above, ``cap`` of them, those with the smallest hash
        of column ``key`` (the lead id: :func:`~calibrate.in_place.sample_key`), else of the
        whole row: the same rows on every run, whatever the thread count. The cap-th
        smallest hash is found first (a top-N of hashes alone: by ``key``, that column alone
        is read), then the rows at or below it are read: a top-N of whole rows keeps ``cap``
        rows per thread (6.7 GB for 10M leads on 2 threads against 0.7 GB so)."""
        if rows <= cap:
            return self.sql()
        cap = int(cap)
        of = (lambda t: t) if key is None else (lambda t: f"{t}.{quote(key)}")
        bound = (f"(SELECT max(h) FROM (SELECT hash({of('r')}) AS h FROM ({self.sql()}) AS r "
                 f"ORDER BY h LIMIT {cap}))")
        return (f"SELECT s.* FROM ({self.sql()}) AS s WHERE hash({of('s')}) <= {bound} "
                f"ORDER BY hash({of('s')}) LIMIT {cap}")

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
        if self.label is not None:
            return InputError(f"The {self.label} holds no rows.", file=self.name,
                              fix="Load it once the table has rows.")
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

"""A real PostgreSQL server for the tests, private to the test session.

:func:`running` finds Debian's server binaries (``/usr/lib/postgresql/<version>/bin``, the
newest; ``make test`` installs the ``postgresql`` package), makes a throwaway cluster and
starts ``postgres`` on a Unix socket in a private folder (no TCP), tuned for speed rather
than durability (``fsync=off``). PostgreSQL refuses to run as root, so as root (here and in
CI) the cluster belongs to, and the server runs as, the ``postgres`` system user that the
package creates. The fixture ``postgres_server`` (in ``conftest.py``) wraps it for a session;
:func:`copy_from_duckdb` copies a DuckDB table or view into it.

The cluster lives in a folder of its own under the system's temporary folder, not in
pytest's: pytest keeps root's temporary folders closed to other users, the ``postgres`` user
included, and a socket path must stay short (about 100 characters).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

SUPERUSER = "postgres"  # the cluster's superuser, and the system user when we are root
PORT = 5432  # names only the socket file (.s.PGSQL.5432): the folder is private
BIN_GLOB = "/usr/lib/postgresql/*/bin"
#: Settings for a throwaway server: socket only, no durability, small and quiet.
SETTINGS = {
    "listen_addresses": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "20",
    "shared_buffers": "32MB",
    "max_wal_size": "1GB",
    "log_min_messages": "warning",
}


class PostgresUnavailable(RuntimeError):
    """The server could not be found or started (the message says why and what to do)."""


@dataclass(frozen=True)
class Server:
    """A running server: where its socket is and who to connect as."""

    socket_dir: Path
    port: int = PORT
    user: str = SUPERUSER
    dbname: str = "postgres"

    def conninfo(self, dbname: str | None = None) -> str:
        """A libpq connection string (``host=<socket folder> port=... user=... dbname=...``)."""
        return make_conninfo(host=str(self.socket_dir), port=str(self.port), user=self.user,
                             dbname=dbname or self.dbname)

    def url(self, dbname: str | None = None) -> str:
        """The same as a URL (``postgresql://postgres@/db?host=...&port=...``)."""
        return (f"postgresql://{self.user}@/{dbname or self.dbname}"
                f"?host={self.socket_dir}&port={self.port}")

    def connect(self, dbname: str | None = None, **kwargs: Any) -> psycopg.Connection:
        """A psycopg connection (``autocommit`` and other options as keywords)."""
        return psycopg.connect(self.conninfo(dbname), **kwargs)

    def sign_in_with_password(self, user: str) -> None:
        """Make ``user`` (a role already created) sign in with its password over the socket,
        as a real server would ask; every other role keeps the test server's trust."""
        with self.connect(autocommit=True) as con:
            hba = con.execute("SHOW hba_file").fetchone()[0]
            rules = Path(hba).read_text()
            Path(hba).write_text(f"local all {user} scram-sha-256\n{rules}")
            con.execute("SELECT pg_reload_conf()")

    def create_database(self, name: str) -> str:
        """A new empty database (dropped first if it exists), so that tests do not share
        tables; returns its name."""
        with self.connect(autocommit=True) as con:
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", Path(path).parent.name))


def find_bin(pattern: str | None = None) -> Path:
    """The newest installed server's binaries folder (it holds ``initdb``, ``postgres``,
    ``pg_ctl``; ``pattern`` defaults to :data:`BIN_GLOB`); ``PostgresUnavailable`` when
    there is none."""
    pattern = pattern or BIN_GLOB
    found = [d for d in glob.glob(pattern)
             if all(os.access(Path(d) / b, os.X_OK) for b in ("initdb", "postgres", "pg_ctl"))]
    if not found:
        raise PostgresUnavailable(
            f"no PostgreSQL server under {pattern} (initdb, postgres and pg_ctl); `make test` "
            "installs Debian's postgresql package, or run: apt-get install postgresql")
    return Path(max(found, key=_version))


def _as_owner() -> list[str]:
    """The command prefix that runs a program as the cluster's owner: the ``postgres``
    system user when we are root (the server will not run as root), else ourselves."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root but runuser (util-linux) is missing")
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root but there is no {SUPERUSER!r} system user to run the server "
            "as; Debian's postgresql package creates it (apt-get install postgresql)"
        ) from None
    return ["runuser", "-u", SUPERUSER, "--"]


def _env() -> dict[str, str]:
    """Our environment without libpq's variables (PGHOST, PGDATA, ...) and in a C locale."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C")
    return env


def _run(cmd: Sequence[str], cwd: Path, what: str) -> None:
    done = subprocess.run(list(cmd), cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        raise PostgresUnavailable(f"{what} failed ({' '.join(cmd)}):\n{done.stdout}"
                                  f"{done.stderr}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_ready(server: Server, process: subprocess.Popen[bytes], log: Path,
               timeout: float = 60.0) -> None:
    """Poll until the server accepts a connection, up to ``timeout`` seconds; a server
    that exits or misses the deadline raises ``PostgresUnavailable`` with its log."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        if process.poll() is not None:
            raise PostgresUnavailable(f"postgres exited with status {process.returncode}; "
                                      f"its log ({log}):\n{_tail(log)}")
        try:
            with server.connect(connect_timeout=2) as con:
                con.execute("SELECT 1")
            return
        except psycopg.OperationalError as e:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"postgres did not accept connections within "
                                          f"{timeout:.0f} s ({e}); its log ({log}):\n"
                                          f"{_tail(log)}") from None
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


@contextmanager
def running(log_dir: Path | None = None, *, bindir: Path | None = None,
            settings: dict[str, str] | None = None, timeout: float = 60.0
            ) -> Iterator[Server]:
    """A fresh cluster and its server for the duration of the ``with``: initdb, start
    ``postgres`` on a private socket, wait until it accepts connections, yield the
    :class:`Server`, then ``pg_ctl stop -m fast`` and delete the cluster.

    ``log_dir`` keeps the server's log (``postgres.log``) after the run, e.g. a pytest
    temporary folder; ``settings`` add to or override :data:`SETTINGS`.
    """
    bindir = bindir or find_bin()
    owner = _as_owner()
    root = Path(tempfile.mkdtemp(prefix="calibrate-pg-"))  # mode 0700
    data, sockets = root / "data", root / "socket"
    sockets.mkdir()
    log = (log_dir or root) / "postgres.log"
    if owner:
        for path in (root, sockets):
            shutil.chown(path, user=SUPERUSER, group=SUPERUSER)
    process: subprocess.Popen[bytes] | None = None
    try:
        _run([*owner, str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER,
              "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"], root, "initdb")
        options = [f"-c{k}={v}" for k, v in {**SETTINGS, **(settings or {})}.items()]
        with open(log, "ab") as out:  # the server writes through our descriptor
            process = subprocess.Popen(
                [*owner, str(bindir / "postgres"), "-D", str(data), "-k", str(sockets),
                 "-p", str(PORT), *options],
                cwd=root, env=_env(), stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT)
        server = Server(sockets)
        wait_ready(server, process, log, timeout)
        yield server
    finally:
        if process is not None:
            _stop(bindir, owner, data, root, process)
        shutil.rmtree(root, ignore_errors=True)


def _stop(bindir: Path, owner: list[str], data: Path, root: Path,
          process: subprocess.Popen[bytes]) -> None:
    """``pg_ctl stop -m fast``; the process is killed if that does not end it."""
    if process.poll() is None:
        subprocess.run([*owner, str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast",
                        "-w", "-t", "30"], cwd=root, env=_env(), capture_output=True,
                       timeout=60, check=False)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ------------------------------------------------------------------ data

#: Postgres column types for DuckDB's (by the type name's start); anything else is text.
TYPES = [("BOOLEAN", "boolean"), ("DOUBLE", "double precision"), ("FLOAT", "real"),
         ("DECIMAL", "numeric"), ("HUGEINT", "numeric"), ("UBIGINT", "numeric"),
         ("BIGINT", "bigint"), ("UINTEGER", "bigint"), ("INTEGER", "integer"),
         ("USMALLINT", "integer"), ("SMALLINT", "smallint"), ("UTINYINT", "smallint"),
         ("TINYINT", "smallint"), ("DATE", "date"), ("TIMESTAMP WITH TIME ZONE", "timestamptz"),
         ("TIMESTAMP", "timestamp"), ("TIME", "time"), ("UUID", "uuid"),
         ("VARCHAR", "text")]


def pg_type(duckdb_type: str) -> str:
    """The Postgres type holding a DuckDB column's values (text when none fits)."""
    return next((pg for duck, pg in TYPES if duckdb_type.upper().startswith(duck)), "text")


def copy_from_duckdb(pg: psycopg.Connection, table: str, duck: duckdb.DuckDBPyConnection,
                     relation: str) -> dict[str, str]:
    """Create ``table`` in Postgres with the columns (names as written) of DuckDB's
    ``relation`` (a table or view) and copy its rows in, through a CSV file that DuckDB
    writes (NULL unquoted, empty text quoted) and ``COPY ... FROM STDIN`` reads. Returns
    the Postgres type of each column."""
    described = duck.execute(f'DESCRIBE "{relation}"').fetchall()
    types = {name: pg_type(kind) for name, kind, *_ in described}
    select = ", ".join(
        f'"{n.replace(chr(34), chr(34) * 2)}"' + ("::VARCHAR" if t == "text" else "")
        for n, t in types.items())
    with tempfile.TemporaryDirectory(prefix="calibrate-copy-") as tmp:
        path = Path(tmp) / "rows.csv"
        duck.execute(f"COPY (SELECT {select} FROM \"{relation}\") TO '{path}' "
                     "(FORMAT csv, HEADER true)")
        with pg.transaction():
            pg.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
            pg.execute(sql.SQL("CREATE TABLE {} ({})").format(
                sql.Identifier(table),
                sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t))
                                   for n, t in types.items())))
            with pg.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT csv, HEADER true)")
                                  .format(sql.Identifier(table))) as copy, open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
    return types

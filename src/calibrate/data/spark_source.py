"""Leads in Apache Spark read in place (issue 21): a table of Spark's catalog or a Spark SQL
query, on the Spark a master URL names (``local[N]``, ``spark://host:7077``, or Spark
Connect's ``sc://host:15002``).

Why: a lead history too big for one machine is fitted where it lives. Spark counts the rows,
picks the sample above the cap (the ``cap`` rows with the smallest md5 of the row's JSON,
``md5(to_json(struct(*)))``: the same rows on every run, whatever the partitions) and counts
the grid over every row (:func:`~calibrate.export.grid_sql.grid_sql` in its ``spark``
dialect); only the sample and the small answers come back, as Arrow. The sample is written
to a Parquet file in a private temporary folder and loaded by the file path's own ingest.

The session: the one already running in this process when its master is the one named (a
notebook's, the tests'); else one is built (``SparkSession.builder.master(...)``) and kept
for the process. Spark runs one classic session per process, so naming another master than
the running one's is said as such. A Spark Connect session is one of Spark Connect's own
(beside a classic one, if one runs), per URL, in UTC, built once the server answers on the
channel the URL asks for (a few seconds at most, not the client's minutes of retries). A Spark
Connect URL may carry a ``token`` (``sc://host:15002/;token=...``): it is used, never kept;
the store keeps the URL without it (:func:`redact_master`), and a refit in a new process
reads the token from ``SPARK_CONNECT_AUTHENTICATE_TOKEN`` (as PySpark does) or from the URL
given again.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import socket
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calibrate.errors import CalibrateError, InputError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

    from calibrate.data.ingest import IngestReport

__all__ = ["SparkSource", "is_spark_master", "redact_master"]

#: ``local``, ``local[4]``, ``local[*]`` (and ``local[4, 2]``: with retries).
LOCAL = re.compile(r"local(\[\s*(\d+|\*)\s*(,\s*\d+\s*)?\])?")
#: The schemes of a master URL: a standalone cluster, Spark Connect.
SCHEMES = {"spark": 7077, "sc": 15002}
#: Spark Connect parameters (``;name=value``) that may hold a secret: never kept or shown.
SECRET_WORDS = ("token", "secret", "password", "key", "auth")
#: Seconds to wait for a master's port before saying it cannot be reached.
REACH_TIMEOUT = 5.0
#: The fix for a Spark that is not running, or not where the URL says.
_REACH_FIX = ("Check the host and port in the master URL (spark://host:7077, "
              "sc://host:15002), and that the Spark master or Spark Connect server runs.")

#: The sample's hash column (dropped from the rows read).
HASH = "calibrate_row_md5"
#: PySpark's loggers that print each SQL error, with the server's JVM stack, as it is raised.
ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")
#: PySpark's warning on a pandas newer than it has been tested with (no pandas API is used).
PANDAS_NOTE = "PySpark does not yet fully support pandas"

_sessions: dict[str, Any] = {}  # sessions built here, by master URL (given, with any token)


def is_spark_master(text: object) -> bool:
    """Whether ``text`` names a Spark master: ``local[N]``, ``spark://...``, ``sc://...``."""
    if not isinstance(text, str):
        return False
    given = text.strip()
    scheme = given.split("://", 1)[0].lower() if "://" in given else ""
    if LOCAL.fullmatch(given):
        return not os.path.exists(given)  # a file named "local" is a file
    return scheme in SCHEMES


def _secret(param: str) -> bool:
    name = param.split("=", 1)[0].strip().lower()
    return any(w in name for w in SECRET_WORDS)


def redact_master(url: str) -> str:
    """The master URL without secrets: a Spark Connect ``token`` (any parameter whose name
    says token, secret, password, key or auth) and a password in a user part."""
    given = url.strip()
    if "://" not in given:
        return given
    scheme, rest = given.split("://", 1)
    base, *params = rest.split(";")
    if "@" in base.split("/", 1)[0]:
        user, _, host = base.partition("/")[0].rpartition("@")
        base = f"{user.split(':', 1)[0]}@{host}" + (base[len(base.partition('/')[0]):])
    kept = [p for p in params if p and not _secret(p)]
    return f"{scheme}://{base}" + "".join(f";{p}" for p in kept)


def _hosts(url: str) -> list[tuple[str, int]]:
    """The (host, port) pairs a ``spark://`` (several, for a standby master) or ``sc://``
    URL names."""
    scheme, rest = url.strip().split("://", 1)
    hosts = rest.split("/", 1)[0].split(";", 1)[0].rpartition("@")[2]
    out = []
    for h in hosts.split(","):
        h = h.strip()
        m = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|([^:]+)(?::(\d+))?", h)
        if not h or m is None:
            raise InputError(f"{redact_master(url)!r} is not a Spark master URL.",
                             fix="Give spark://host:7077, sc://host:15002 or local[*].")
        host = m.group(1) or m.group(3)
        port = m.group(2) or m.group(4)
        out.append((host, int(port) if port else SCHEMES[scheme.lower()]))
    return out


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@contextmanager
def _quiet() -> Iterator[None]:
    """PySpark's error loggers off while calibrate runs its SQL: they print a failing query's
    JVM stack to the terminal before the error is raised, and calibrate says the error
    itself, naming the source (:meth:`SparkSource._problem`). PySpark's note on pandas
    (:data:`PANDAS_NOTE`) is not shown either."""
    loggers = [logging.getLogger(name) for name in ERROR_LOGGERS]
    were = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", PANDAS_NOTE, FutureWarning)
            yield
    finally:
        for lg, was in zip(loggers, were, strict=True):
            lg.disabled = was


def _close_at_exit(session: Any) -> None:
    """Closes a Spark Connect session's channel, without a call to the server. Left open,
    PySpark's client asks the server to clear its ML cache as the process exits, retrying
    for ten minutes when the server has gone by then; the server ends idle sessions
    itself."""
    with contextlib.suppress(Exception):
        session.client.close()


def _detail(exc: BaseException) -> str:
    """The first line of Spark's error (its error class and message, no JVM stack), at most
    400 characters; for a gRPC error (Spark Connect), its status and details."""
    from calibrate.data.table_formats import first_line

    text = str(exc)
    status = re.search(r"status = StatusCode\.(\w+)", text)
    if status:
        said = re.search(r'details = "([^"\n]*)"', text)
        return (status.group(1) + (f": {said.group(1)}" if said else ""))[:400]
    return first_line(exc).strip()[:400]


@dataclass(frozen=True)
class SparkSource:
    """A Spark table (``crm.leads``) or Spark SQL query on the Spark that ``url`` names,
    as a :class:`~calibrate.in_place.Source`. ``url`` is kept as given (with a Spark
    Connect token: in memory only); messages and the store name :func:`redact_master`."""

    url: str
    table: str | None = None
    query: str | None = None

    kind = "spark"
    dialect = "spark"
    #: How a sample above the cap is picked, as the load's summary says it.
    picked = "md5 of each row's JSON, in Spark"
    #: The same when a sample is picked by its lead id column ``{key}``.
    picked_by = "md5 of each row's {key}, in Spark"

    def __post_init__(self) -> None:
        if not is_spark_master(self.url):
            raise InputError(f"{redact_master(str(self.url))!r} is not a Spark master URL.",
                             fix="Give spark://host:7077, sc://host:15002 or local[*].")
        if bool(self.table) == bool(self.query):
            raise InputError(
                f"Say what to read from Spark at {self.master}: a table or a query, one of "
                "them.", fix="Add --table catalog.table, or --query \"select ...\".",
                app_fix="Give a table (catalog.table) or a query.")

    @property
    def master(self) -> str:
        """The master URL without secrets."""
        return redact_master(self.url)

    @property
    def connect(self) -> bool:
        """Whether the master is a Spark Connect server (``sc://``)."""
        return self.url.strip().lower().startswith("sc://")

    @property
    def name(self) -> str:
        """The source as messages name it: Spark, its master URL (no token), the table."""
        what = f"table {self.table}" if self.table else "a query"
        return f"Spark at {self.master} ({what})"

    def where(self) -> dict[str, Any]:
        """What the store's record keeps to read it again (no token)."""
        return {"url": self.master, "table": self.table, "query": self.query,
                "kind": self.kind}

    def sql(self) -> str:
        """The rows, as a Spark SQL query (a table name quoted as Spark reads it)."""
        if self.query:
            return self.query.strip().rstrip(";").strip()
        import sqlglot
        from sqlglot import exp

        try:
            table = exp.to_table(str(self.table).strip(), dialect="spark")
        except sqlglot.errors.ParseError:
            table = None
        if table is None or not table.name:
            raise InputError(f"{self.table!r} is not a table name.",
                             fix="Write it as the catalog names it, e.g. crm.leads.")
        return f"SELECT * FROM {table.sql(dialect='spark')}"

    def sample_sql(self, rows: int, cap: int, key: str | None = None) -> str:
        """All the rows up to ``cap``; above, the ``cap`` rows with the smallest md5 of
        column ``key`` (the lead id: :func:`~calibrate.in_place.sample_key`) as text, else
        of the row as JSON: the same rows on every run, whatever the partitions. Spark
        keeps the ``cap`` smallest per partition (a top-N), it sorts no whole table. The
        hash is a column of its own, :data:`HASH` (Spark sorts by no ``*``): :meth:`arrow`
        drops it."""
        if rows <= cap:
            return self.sql()
        of = ("to_json(struct(s.*))" if key is None
              else f"CAST(s.`{key.replace('`', '``')}` AS STRING)")
        return (f"SELECT * FROM (SELECT s.*, md5({of}) AS {HASH} FROM "
                f"({self.sql()}) AS s) AS h ORDER BY {HASH} LIMIT {int(cap)}")

    # ------------------------------------------------------------------ the session

    def _pyspark(self) -> Any:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            extra = "pyspark[connect]>=4.0" if self.connect else "pyspark>=4.0"
            raise InputError(
                f"Reading {self.name} needs PySpark, which is not installed.",
                fix=f"Install it in calibrate's environment: pip install '{extra}' "
                    "(local[*] also needs Java 17 or newer).") from None
        return SparkSession

    def _reach(self) -> None:
        """An :class:`InputError` when no master the URL names answers on its port."""
        errors = []
        for host, port in _hosts(self.url):
            try:
                socket.create_connection((host, port), timeout=REACH_TIMEOUT).close()
                return
            except OSError as exc:
                errors.append(f"{host}:{port}: {exc.strerror or exc}")
        raise InputError(f"Spark cannot be reached at {self.master}: {'; '.join(errors)}",
                         fix=_REACH_FIX)

    def session(self) -> Any:
        """The Spark session to run on: the running one with this master, one built before
        in this process, or a new one."""
        spark_session = self._pyspark()
        if (kept := _sessions.get(self.url.strip())) is not None and not self._stopped(kept):
            return kept
        if not self.url.strip().startswith("local"):
            self._reach()
        if self.connect:
            built = self._connect_session()
            _sessions[self.url.strip()] = built
            return built
        running = self._running(spark_session)
        if running is not None:
            master = running.sparkContext.master
            if master == self.url.strip():
                return running
            raise CalibrateError(
                f"This process already runs Spark on {master}, and Spark runs one session "
                f"per process: it cannot also open {self.master}.",
                fix=f"Give {master} as the master, or load from a new process (the "
                    "command line: calibrate ingest MASTER --table T --in-place).",
                app_fix=f"Give {master} as the master, or restart the app to use another "
                        "Spark.")
        try:
            built = (spark_session.builder.master(self.url.strip()).appName("calibrate")
                     .config("spark.ui.showConsoleProgress", "false")
                     .config("spark.sql.session.timeZone", "UTC")  # instants as UTC dates
                     .getOrCreate())
        except Exception as exc:  # no Java, an old Java, no memory
            raise InputError(f"Spark did not start on {self.master}: {_detail(exc)}",
                             fix="Spark 4 needs Java 17 or newer (JAVA_HOME or java on the "
                                 "PATH), and the master URL must be one Spark knows.") from None
        _sessions[self.url.strip()] = built
        return built

    def _connect_session(self) -> Any:
        """A new Spark Connect session on the server the URL names, in UTC.

        Built with Spark Connect's own session class, not ``SparkSession.builder.remote``:
        that one refuses to start while a classic session runs in the process (a notebook's,
        the tests') and marks the whole process as Spark Connect, and its ``getOrCreate``
        hands back the first server's session for any URL. The server is asked first, for
        a few seconds, whether it answers on the channel the URL asks for: PySpark's client
        otherwise retries for minutes."""
        missing = [m for m in ("grpc", "grpc_status", "google.rpc", "zstandard")
                   if not _importable(m)]
        try:
            if missing:  # said before PySpark's own check, which may exit the process
                raise ImportError(f"No module named {missing[0]!r}")
            import grpc

            with _quiet():
                from pyspark.sql.connect.client import DefaultChannelBuilder
                from pyspark.sql.connect.session import SparkSession as ConnectSession
        except ImportError as exc:  # grpcio and the rest of Spark Connect's client
            raise InputError(
                f"Reading {self.name} needs Spark Connect's client, which is not "
                f"installed: {_detail(exc)}",
                fix="Install it in calibrate's environment: pip install "
                    "'pyspark[connect]>=4.0'.") from None
        try:
            channel = DefaultChannelBuilder(self.url.strip())
        except Exception as exc:  # a parameter the client does not read
            raise InputError(f"{self.master!r} is not a Spark Connect URL: "
                             f"{self._scrub(_detail(exc))}",
                             fix="Give sc://host:15002, with ;name=value parameters.") from None
        self._answers(grpc, channel)
        try:
            built = (ConnectSession.builder.remote(self.url.strip())
                     .config("spark.sql.session.timeZone", "UTC")  # instants as UTC dates
                     .create())
        except Exception as exc:
            raise self._refused(exc) or InputError(
                f"Spark Connect at {self.master} did not answer: "
                f"{self._scrub(_detail(exc))}", fix=_REACH_FIX) from None
        atexit.register(_close_at_exit, built)  # after the client's own: runs before it
        return built

    def _answers(self, grpc: Any, channel: Any) -> None:
        """An :class:`InputError` unless a gRPC server answers on the channel the URL asks
        for within :data:`REACH_TIMEOUT` seconds. A token makes PySpark's client speak TLS
        (to any host but ``localhost``), which a server without TLS never answers."""
        opened = channel.toChannel()
        try:
            grpc.channel_ready_future(opened).result(timeout=REACH_TIMEOUT)
        except grpc.FutureTimeoutError:
            if channel.secure and not channel.use_ssl and channel.host != "localhost":
                raise InputError(
                    f"Spark Connect at {self.master} did not answer over TLS within "
                    f"{REACH_TIMEOUT:g} s: with a token, Spark Connect's client speaks TLS "
                    "to any host but localhost.",
                    fix="For a server on this machine without TLS, give the host as "
                        "localhost (sc://localhost:15002/;token=...); else check that the "
                        "server (or a proxy in front of it) serves TLS.") from None
            raise InputError(
                f"Spark Connect at {self.master} did not answer within {REACH_TIMEOUT:g} s"
                + (" over TLS" if channel.secure else "") + ": the port is open, but no "
                "Spark Connect server answers there.", fix=_REACH_FIX) from None
        finally:
            opened.close()

    @staticmethod
    def _running(spark_session: Any) -> Any:
        """The classic session running in this process (this thread's, else the default
        one), or None."""
        active = spark_session.getActiveSession()
        if active is not None:
            return active
        from pyspark import SparkContext

        if getattr(SparkContext, "_active_spark_context", None) is None:
            return None
        return spark_session.builder.getOrCreate()  # the session on that context

    @staticmethod
    def _stopped(session: Any) -> bool:
        """Whether a kept session can no longer run: a classic one stopped, a Spark
        Connect one closed."""
        try:
            if getattr(session, "is_stopped", False):  # Spark Connect
                return True
            context = getattr(session, "_sc", None)
            return context is not None and context._jsc is None
        except Exception:
            return True

    def _scrub(self, text: str) -> str:
        """``text`` without the URL's secrets."""
        text = text.replace(self.url.strip(), self.master)
        for p in self.url.split(";")[1:]:
            if _secret(p) and "=" in p:
                secret = p.split("=", 1)[1].strip()
                if secret:
                    text = text.replace(secret, "***")
        return text

    # ------------------------------------------------------------------ reading

    def _refused(self, exc: Exception) -> InputError | None:
        """The message for a Spark Connect server that refuses the client (no token, a
        wrong one, no right), else None."""
        text = str(exc)
        if not re.search(r"UNAUTHENTICATED|PERMISSION_DENIED", text):
            return None
        return InputError(
            f"Spark Connect at {self.master} refused the connection: "
            f"{self._scrub(_detail(exc))}",
            fix="Give the server's token in the URL (sc://host:15002/;token=...) or in "
                "SPARK_CONNECT_AUTHENTICATE_TOKEN, and check that it lets you read.")

    def _problem(self, exc: Exception) -> InputError:
        """Spark's error as a message a user can act on, naming the source."""
        if (refused := self._refused(exc)) is not None:
            return refused
        text = self._scrub(str(exc))
        detail = self._scrub(_detail(exc))
        if re.search(r"TABLE_OR_VIEW_NOT_FOUND|Table or view not found|"
                     r"SCHEMA_NOT_FOUND|NoSuchTable", text):
            what = (f"table {self.table}" if self.table else
                    "table " + (m.group(1) if (m := re.search(r"`([^`]+(?:`\.`[^`]+)*)`",
                                                              text)) else "the query reads"))
            return InputError(f"The {what} does not exist in Spark at {self.master}.",
                              fix="Check the name (catalog.table, e.g. crm.leads) and that "
                                  "this Spark's catalog holds it.")
        if re.search(r"Connection refused|UNAVAILABLE|failed to connect|"
                     r"Failed to connect", text):
            return InputError(f"Spark cannot be reached at {self.master}: {detail}",
                              fix=_REACH_FIX)
        if self.query:
            return InputError(f"The query failed in {self.name}: {detail}",
                              fix="Run it in spark-sql to see why, then give it again.")
        return InputError(f"Reading {self.name} failed: {detail}",
                          fix="Check the master URL and the table name.")

    def arrow(self, sql: str) -> pa.Table:
        """The rows of ``sql`` run in Spark, as an Arrow table; Spark's errors as an
        :class:`InputError` naming the source."""
        spark = self.session()
        try:
            with _quiet():
                frame = spark.sql(sql)
                if HASH in frame.columns:  # the sample's order, not a column of the leads
                    frame = frame.drop(HASH)
                if hasattr(frame, "toArrow"):  # PySpark 4: Arrow all the way
                    return frame.toArrow()
                import pyarrow as pa

                return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)
        except CalibrateError:
            raise
        except Exception as exc:  # AnalysisException, a Py4J or gRPC error
            raise self._problem(exc) from None

    def fetch_frame(self, sql: str) -> pd.DataFrame:
        """The rows of ``sql`` run in Spark (a count, the newest date, the count grid),
        read whole, as a DataFrame."""
        return self.arrow(sql).to_pandas()

    def count(self) -> int:
        """How many rows the table or query holds (counted in Spark)."""
        return int(self.fetch_frame(f"SELECT count(*) AS n FROM ({self.sql()}) AS s"
                                    ).iloc[0, 0])

    def no_rows(self) -> InputError:
        """The message for a table or query that gives no rows."""
        what = f"table {self.table}" if self.table else "query"
        return InputError(f"The {what} in Spark at {self.master} gives no rows.",
                          fix="Check the table, or the query's WHERE clause.")

    def ingest_rows(self, con: duckdb.DuckDBPyConnection, sql: str, *,
                    progress: Callable[[str], None] | None = None,
                    **options: Any) -> IngestReport:
        """Read the rows of ``sql`` from Spark (Arrow), write them to a Parquet file in a
        private temporary folder and load it with the file path's ingest, under the
        source's name."""
        import pyarrow.parquet as pq

        from calibrate.data.parquet_source import ingest_sample

        say = progress or (lambda _msg: None)
        say(f"reading from {self.name}")
        table = self.arrow(sql)
        if table.num_rows == 0:
            raise self.no_rows()
        with tempfile.TemporaryDirectory(prefix="calibrate-spark-") as folder:
            os.chmod(folder, 0o700)
            path = Path(folder) / "leads.parquet"
            pq.write_table(table, path)
            del table
            return ingest_sample(con, path, self.name, self.kind, progress=progress,
                                 **options)

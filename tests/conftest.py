"""Shared fixtures: a fresh DuckDB file per test and the bundled data files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from calibrate import sql
from calibrate.data import store

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

    from calibrate.model.weights import Weights

    from postgres import Server

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
BANK_CSV = DATA / "bank-marketing" / "bank-additional-full.csv"
SAMPLE_CSV = ROOT / "data" / "sample" / "leads.csv"
TRUTH_JSON = ROOT / "data" / "sample" / "truth.json"


def pytest_sessionstart(session: pytest.Session) -> None:
    """The bundled sample is generated (deterministically) rather than committed."""
    if not SAMPLE_CSV.exists():
        from calibrate.tools import sample

        SAMPLE_CSV.parent.mkdir(parents=True, exist_ok=True)
        sample.write(SAMPLE_CSV)
        if not TRUTH_JSON.exists():
            sample.write_truth(TRUTH_JSON)


@pytest.fixture(scope="session")
def sample_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample leads ingested and fitted once; tests copy the file (see ``sample_db``)."""
    from calibrate.data.ingest import ingest
    from calibrate.decide import workshop
    from calibrate.model.weights import save_weights

    path = tmp_path_factory.mktemp("template") / "sample.duckdb"
    con = store.connect(path)
    ingest(con, SAMPLE_CSV, replace=True)
    save_weights(con, workshop.suggested_weights(con), store.data_version(con))
    con.close()
    return path


@pytest.fixture
def sample_db(sample_db_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the fitted sample database, set as the app's database."""
    import shutil

    path = tmp_path / "app.duckdb"
    shutil.copy(sample_db_template, path)
    monkeypatch.setenv(store.ENV_DB, str(path))
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "calibrate.duckdb"


@pytest.fixture
def con(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = store.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write text to a CSV file in the test's folder and return its path."""

    def _write(text: str, name: str = "leads.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write


@pytest.fixture
def small_sample(monkeypatch):
    """Profile from 100 rows, so that a file of a few thousand rows counts as large and is
    sampled in chunks spread over it instead of by a full pass."""
    from calibrate.data import csv_reader, sampling

    for module in (sampling, csv_reader):  # each reads it by its own name
        monkeypatch.setattr(module, "PROFILE_SAMPLE", 100)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real PostgreSQL server for the session, on a private Unix socket (no TCP); see
    ``tests/postgres.py``. Fails, not skips, when it cannot start: `make test` installs it."""
    import postgres

    try:
        with postgres.running(tmp_path_factory.mktemp("postgres")) as server:
            yield server
    except postgres.PostgresUnavailable as e:
        why = str(e)
    else:
        return
    pytest.fail(f"PostgreSQL is needed for this test: {why}", pytrace=False)


# ------------------------------------------------------------------ exported rules and SQL
# The original files' leads, fitted, as the rules-list and SQL-export proofs read them
# (tests/test_rules_export.py in DuckDB, tests/test_rules_export_postgres.py on Postgres).

Fitted = tuple[duckdb.DuckDBPyConnection, "Weights", "pd.DataFrame"]


@pytest.fixture(scope="session")
def sample(sample_db_template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Fitted]:
    """The fitted sample (copied), its weights, and the original file's rows."""
    import shutil

    import pandas as pd

    from calibrate.model.weights import latest_weights

    path = tmp_path_factory.mktemp("rules_sample") / "sample.duckdb"
    shutil.copy(sample_db_template, path)
    con = store.connect(path)
    weights = latest_weights(con, store.data_version(con))
    raw = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False)
    raw = raw.drop_duplicates("lead_id", keep="last").set_index("lead_id")
    yield con, weights, raw
    con.close()


@pytest.fixture(scope="session")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fitted]:
    """The bank export loaded and fitted, its weights, and the original file's rows."""
    import pandas as pd

    from calibrate.data.ingest import ingest
    from calibrate.decide import workshop

    con = store.connect(tmp_path_factory.mktemp("rules_bank") / "bank.duckdb")
    ingest(con, BANK_CSV, replace=True)
    weights = workshop.suggested_weights(con)
    raw = pd.read_csv(BANK_CSV, sep=";", dtype=str, keep_default_na=False)
    raw.index = [f"row-{i}" for i in range(1, len(raw) + 1)]
    yield con, weights, raw
    con.close()


def original(con: duckdb.DuckDBPyConnection, every: int = 1) -> str:
    """A view of the stored leads under the headers as written (the segment column is
    stored as "segment", its header is "sales_team"): the table the SQL export reads.
    ``every`` > 1 keeps one lead in ``every`` (a fixed hash sample) for quicker checks."""
    stored = {r[0] for r in con.execute("DESCRIBE leads").fetchall()}
    cols = ", ".join(f"{sql.quote(c.name)} AS {sql.quote(c.source_name or c.name)}"
                     for c in store.read_columns(con) if c.name in stored)
    name = "original" if every == 1 else f"original_{every}"
    where = f" WHERE hash(lead_id) % {every} = 0" if every > 1 else ""
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {cols} FROM leads{where}")
    return name


def dated_bank() -> pd.DataFrame:
    """The bank export with its month of contact as each lead's date: the file is in time
    order (May 2008 to November 2010) and names the month only, so the year moves on each
    time the month goes back."""
    import pandas as pd

    raw = pd.read_csv(BANK_CSV, sep=";", dtype=str, keep_default_na=False)
    order = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
             "dec"]
    month = raw["month"].map(order.index)
    year = 2008 + (month.diff().fillna(0) < 0).cumsum()
    raw.insert(0, "created_at", [f"{y}-{m + 1:02d}-01" for y, m in zip(year, month,
                                                                        strict=True)])
    return raw


@pytest.fixture
def undated_grid(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fitted sample as a screen sees it when no lead has a creation date: its count
    grid with every month taken away (the screens' undated wording, without a second fit)."""
    import pandas as pd

    from calibrate.decide.grid import Grid
    from calibrate.workbench import Workbench

    real = Workbench.grid

    def undated(self: Workbench) -> Grid:
        g = real(self)
        return Grid(frame=g.frame.assign(month=pd.NaT), months=[], segments=g.segments)

    monkeypatch.setattr(Workbench, "grid", undated)
    return sample_db


# ------------------------------------------------------------------ Apache Spark


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """A local Apache Spark session (PySpark, two threads, no UI, 4 shuffle partitions, 1 GB
    driver, on the loopback address, in UTC) for the session, stopped after it; ``JAVA_HOME``
    is set from the ``java`` on the path when unset. Fails, not skips, without Java 17+ or
    PySpark: `make test` installs both (the Makefile's ``java`` target, the test extra)."""
    import os
    import warnings

    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        pytest.fail(f"PySpark is needed for this test ({e}): `make test` installs it with the "
                    "test extra, or run: .venv/bin/pip install 'pyspark>=4.0'", pytrace=False)
    java = find_java()
    set_home = "JAVA_HOME" not in os.environ
    if set_home:
        os.environ["JAVA_HOME"] = str(Path(java).resolve().parents[1])
    try:
        try:
            with warnings.catch_warnings():  # PySpark's note on pandas 3 (no pandas API used)
                warnings.simplefilter("ignore", FutureWarning)
                session = (SparkSession.builder.master("local[2]").appName("calibrate-tests")
                           .config("spark.ui.enabled", "false")
                           .config("spark.ui.showConsoleProgress", "false")
                           .config("spark.sql.shuffle.partitions", "4")
                           .config("spark.driver.memory", "1g")
                           .config("spark.sql.session.timeZone", "UTC")
                           .config("spark.driver.bindAddress", "127.0.0.1")  # no network
                           .config("spark.driver.host", "127.0.0.1")
                           .config("spark.sql.warehouse.dir",  # not in the project's folder
                                   str(tmp_path_factory.mktemp("spark-warehouse")))
                           .getOrCreate())
        except Exception as e:  # the JVM did not start (an old Java, no memory)
            pytest.fail(f"Spark did not start with {java} (Spark 4 needs Java 17 or newer): "
                        f"{type(e).__name__}: {e}", pytrace=False)
        session.sparkContext.setLogLevel("ERROR")
        try:
            yield session
        finally:
            session.stop()
    finally:
        if set_home:
            os.environ.pop("JAVA_HOME", None)


def find_java() -> str:
    """The ``java`` Spark runs with (``JAVA_HOME``'s, else the path's); the test fails,
    not skips, saying how to install it, when there is none."""
    import os
    import shutil

    home = os.environ.get("JAVA_HOME")
    java = shutil.which("java", path=os.path.join(home, "bin")) if home else shutil.which("java")
    if java is None:
        pytest.fail("Java 17 or newer is needed for Spark and none was found (JAVA_HOME, PATH): "
                    "`make test` installs it, or run: apt-get install openjdk-17-jre-headless",
                    pytrace=False)
    return java


def _spark_env(folder: Path) -> dict[str, str]:
    """The environment to run the pip PySpark's own scripts (``bin/spark-submit``,
    ``bin/spark-class``) with: its folder as ``SPARK_HOME``, ``JAVA_HOME`` from the ``java``
    on the path, logs and an empty configuration folder in ``folder``, everything on the
    loopback address. Fails, not skips, without PySpark, Java or the Spark Connect jar."""
    import os
    import sys

    try:
        import pyspark
    except ImportError as e:
        pytest.fail(f"PySpark is needed for this test ({e}): `make test` installs it with the "
                    "test extra, or run: .venv/bin/pip install 'pyspark[connect]>=4.0'",
                    pytrace=False)
    home = Path(pyspark.__file__).resolve().parent
    java = find_java()
    if not list((home / "jars").glob("spark-connect_*.jar")):
        pytest.fail(f"The Spark Connect server's jar is not in {home / 'jars'}: PySpark 4 "
                    "ships it; reinstall it: .venv/bin/pip install 'pyspark[connect]>=4.0'",
                    pytrace=False)
    (folder / "conf").mkdir(parents=True, exist_ok=True)  # no spark-defaults of the machine's
    (folder / "logs").mkdir(exist_ok=True)
    return {**os.environ, "SPARK_HOME": str(home),
            "JAVA_HOME": os.environ.get("JAVA_HOME") or str(Path(java).resolve().parents[1]),
            "SPARK_CONF_DIR": str(folder / "conf"), "SPARK_LOG_DIR": str(folder / "logs"),
            "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_CONNECT_MODE": "0",
            "PYSPARK_PYTHON": sys.executable}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Daemon:
    """A Spark server process started here (in a process group of its own, its output in
    ``log``), stopped with :meth:`stop`."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        import subprocess

        self.name, self.log = name, log
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, env=env, cwd=log.parent, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float = 180) -> None:
        """Polls ``ready`` until it holds; fails with the log's end if the process ends or
        ``timeout`` seconds pass first."""
        import time

        end = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None or time.monotonic() > end:
                tail = self.log.read_text(errors="replace")[-3000:]
                self.stop()
                pytest.fail(f"The {self.name} did not start ({what} not seen in {timeout:g} s; "
                            f"exit code {self.process.returncode}). Its log ({self.log}):\n"
                            f"{tail}", pytrace=False)
            time.sleep(0.5)

    def stop(self) -> None:
        """SIGTERM to the process group (the JVM and any launcher), SIGKILL after 30 s."""
        import os
        import signal
        import subprocess

        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            if self.process.poll() is not None:
                return
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _answers(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@contextmanager
def _connect_server(folder: Path, token: str | None = None) -> Iterator[int]:
    """A real Spark Connect server (the pip PySpark's ``spark-submit`` running
    ``SparkConnectServer`` on ``local[2]``, on a free loopback port, warehouse and logs in
    ``folder``; with ``token``, it asks every client for it) while the block runs: its port.
    Ready when its log says it started and the port answers. Its sessions' default time zone
    is not UTC: calibrate sets its own session's."""
    env = _spark_env(folder)
    port = _free_port()
    conf = {"spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(port),
            "spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4",
            "spark.driver.bindAddress": "127.0.0.1", "spark.driver.host": "127.0.0.1",
            "spark.sql.warehouse.dir": str(folder / "warehouse"),
            "spark.sql.session.timeZone": "America/Los_Angeles",
            "spark.eventLog.enabled": "false"}
    if token:
        conf["spark.connect.authenticate.token"] = token
    command = [str(Path(env["SPARK_HOME"]) / "bin" / "spark-submit"),
               "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
               "--name", "calibrate-tests-connect", "--master", "local[2]",
               "--driver-memory", "1g"]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    server = _Daemon("Spark Connect server", command, env, folder / "server.log")

    def started() -> bool:
        return ("Spark Connect server started at" in server.log.read_text(errors="replace")
                and _answers(port))

    try:
        server.wait_until(started, "'Spark Connect server started at'")
        yield port
    finally:
        server.stop()


@pytest.fixture(scope="session")
def spark_connect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Spark Connect server for the session (:func:`_connect_server`), stopped after
    it: its URL, ``sc://127.0.0.1:PORT``."""
    with _connect_server(tmp_path_factory.mktemp("spark-connect")) as port:
        yield f"sc://127.0.0.1:{port}"


#: The token the ``spark_connect_token`` server asks for.
CONNECT_TOKEN = "s3cret-T0ken"


@pytest.fixture(scope="session")
def spark_connect_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Spark Connect server for the session that asks every client for
    :data:`CONNECT_TOKEN` (``spark.connect.authenticate.token``), stopped after it: its URL
    without the token, ``sc://localhost:PORT/`` (PySpark's client sends a token without TLS
    to localhost only)."""
    with _connect_server(tmp_path_factory.mktemp("spark-connect-token"),
                         CONNECT_TOKEN) as port:
        yield f"sc://localhost:{port}/"


@pytest.fixture(scope="session")
def spark_standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real Spark standalone cluster (the pip PySpark's ``spark-class`` running a
    ``Master`` and one ``Worker``, 1 core and 1 GB, on free loopback ports, work and logs in
    a temporary folder) for the session, stopped after it: its master URL,
    ``spark://127.0.0.1:PORT``, and its web UI's JSON address. Ready when the web UI's JSON
    shows the worker ALIVE."""
    import json
    import urllib.request

    folder = tmp_path_factory.mktemp("spark-standalone")
    env = {**_spark_env(folder), "SPARK_WORKER_DIR": str(folder / "work"),
           "SPARK_DAEMON_MEMORY": "512m"}
    port, ui = _free_port(), _free_port()
    url, status = f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui}/json/"
    spark_class = str(Path(env["SPARK_HOME"]) / "bin" / "spark-class")

    def alive() -> int:
        try:
            with urllib.request.urlopen(status, timeout=2) as answer:
                state = json.load(answer)
        except (OSError, ValueError):
            return -1
        return sum(w.get("state") == "ALIVE" for w in state.get("workers", []))

    master = _Daemon("Spark standalone master",
                     [spark_class, "org.apache.spark.deploy.master.Master", "--host",
                      "127.0.0.1", "--port", str(port), "--webui-port", str(ui)],
                     env, folder / "master.log")
    worker = None
    try:
        master.wait_until(lambda: alive() >= 0, f"its web UI at {status}")
        worker = _Daemon("Spark standalone worker",
                         [spark_class, "org.apache.spark.deploy.worker.Worker", url,
                          "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
                          "--webui-port", str(_free_port()), "--work-dir",
                          str(folder / "work")], env, folder / "worker.log")
        worker.wait_until(lambda: alive() >= 1, f"a worker ALIVE at {status}")
        yield url, status
    finally:
        if worker is not None:
            worker.stop()
        master.stop()

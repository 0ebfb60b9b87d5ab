"""Leads from a database: a table or a query on a PostgreSQL server, read with ADBC.

Why: companies keep lead history in a database, and exporting it to a CSV first is the
first friction and the first place data goes stale. The rows are read as Arrow batches by
the ADBC PostgreSQL driver (libpq underneath, so the password may come from the URL,
``PGPASSWORD`` or ``~/.pgpass`` as for any libpq client), streamed to a Parquet file in a
private temporary folder, and loaded by the same ingest as a file: the same cleaning, role
guessing, outcome labels and report. Nothing is stored until every row has been read, so a
failure on the way changes nothing.

No password ever reaches a message, a log or the DuckDB file: the source is named by
:func:`redact` (the URL without its password), and error texts from the driver are
scrubbed of it too.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from calibrate.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["DatabaseSource", "fetch_frame", "is_database_url", "no_rows",
           "read_to_parquet", "redact", "with_password"]

SCHEMES = ("postgresql", "postgres")
#: Query parameters of a libpq URL that hold a secret.
SECRET_PARAMS = {"password", "sslpassword"}
#: Rows between two progress messages.
PROGRESS_ROWS = 250_000


def is_database_url(text: object) -> bool:
    """Whether ``text`` names a database server (``postgresql://...``), not a file."""
    return isinstance(text, str) and urlsplit(text.strip()).scheme.lower() in SCHEMES


def redact(url: str) -> str:
    """The URL without its password (in the user part or as a parameter)."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() not in SECRET_PARAMS], safe="/")
    # Built by hand: urlunsplit drops the "//" of an empty host (postgresql:///db?host=...).
    return (f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
            + (f"#{parts.fragment}" if parts.fragment else ""))


def with_password(url: str, password: str | None) -> str:
    """``url`` signing in with ``password`` (kept in memory only; none: as it is, so libpq
    may still find one in ``PGPASSWORD`` or ``~/.pgpass``)."""
    if not password:
        return url.strip()
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() != "password"] + [("password", password)]
    rest = url.strip()[len(parts.scheme) + 3:]
    base = f"{parts.scheme}://{rest.split('?', 1)[0].split('#', 1)[0]}"
    return f"{base}?{urlencode(query, safe='/', quote_via=quote)}"


def _secrets(url: str) -> list[str]:
    parts = urlsplit(url.strip())
    found = [parts.password] if parts.password else []
    found += [v for k, v in parse_qsl(parts.query) if k.lower() in SECRET_PARAMS and v]
    return found


@dataclass(frozen=True)
class DatabaseSource:
    """Where leads are read from: a server URL and a ``table`` (``schema.table``) or a
    ``query``. Its :attr:`name` (no password) is what messages and the store keep."""

    url: str
    table: str | None = None
    query: str | None = None

    def __post_init__(self) -> None:
        if not is_database_url(self.url):
            raise InputError(f"{self.url!r} is not a database URL.",
                             fix="Give postgresql://user@host:port/database.")
        if bool(self.table) == bool(self.query):
            raise InputError(
                f"Say what to read from {redact(self.url)}: a table or a query, one of them.",
                fix="Add --table schema.table, or --query \"select ...\".",
                app_fix="Fill in the table name, or the query.")

    @property
    def name(self) -> str:
        """The source as messages name it: the URL without password, and the table."""
        what = f"table {self.table}" if self.table else "a query"
        return f"{redact(self.url)} ({what})"

    def sql(self) -> str:
        """The query run on the server (a table name quoted as PostgreSQL reads it)."""
        if self.query:
            return self.query.strip().rstrip(";")
        import sqlglot
        from sqlglot import exp

        try:
            table = exp.to_table(self.table, dialect="postgres")
        except sqlglot.errors.ParseError:
            raise InputError(f"{self.table!r} is not a table name.",
                             fix="Write it as schema.table, e.g. crm.leads.") from None
        return f"SELECT * FROM {table.sql(dialect='postgres')}"

    def scrub(self, text: str) -> str:
        """``text`` with every secret of the URL (and the URL itself) removed."""
        text = text.replace(self.url, redact(self.url))
        for secret in _secrets(self.url):
            text = text.replace(secret, "***")
        return text


def _plain(batch):  # type: ignore[no-untyped-def]
    """A batch whose PostgreSQL-specific columns (numeric, json...) are read as text."""
    import pyarrow as pa

    if not any(isinstance(f.type, pa.ExtensionType) for f in batch.schema):
        return batch
    arrays, fields = [], []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if isinstance(field.type, pa.ExtensionType):
            column = column.storage
            field = pa.field(field.name, column.type)
        arrays.append(column)
        fields.append(pa.field(field.name, field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def _problem(source: DatabaseSource, exc: Exception) -> InputError:
    """The driver's error as a message a user can act on, without any secret."""
    text = source.scrub(str(exc))
    detail = re.sub(r"^\w+: (\[libpq\] )?", "", text.strip()).splitlines()[0]
    where = redact(source.url)
    if m := re.search(r'database "([^"]+)" does not exist', text):
        return InputError(f"The database {m.group(1)!r} does not exist on {where}.",
                          fix="Check the database name at the end of the URL.")
    if re.search(r"password authentication failed|role \"[^\"]+\" does not exist|"
                 r"no password supplied|authentication failed", text):
        return InputError(f"The server at {where} refused the sign-in: {detail}",
                          fix="Check the user and the password (in the URL, PGPASSWORD or "
                              "~/.pgpass).",
                          app_fix="Check the user and the password.")
    if re.search(r"Connection refused|could not connect|No such file or directory|"
                 r"could not translate host name|timeout expired|Failed to connect", text):
        return InputError(f"The database server cannot be reached at {where}: {detail}",
                          fix="Check the host and port in the URL, and that the server runs.")
    if m := re.search(r'relation "([^"]+)" does not exist', text):
        what = f"table {source.table}" if source.table else f"table {m.group(1)}"
        return InputError(f"The {what} does not exist in {where}.",
                          fix="Check the name (schema.table) and that this user may read it.")
    if re.search(r"permission denied", text):
        return InputError(f"This user may not read it on {where}: {detail}",
                          fix="Ask for SELECT on the table, or sign in as another user.")
    if source.query:
        return InputError(f"The query failed on {where}: {detail}",
                          fix="Run it in psql to see why, then give it again.")
    return InputError(f"Reading from {where} failed: {detail}",
                      fix="Check the URL and the table name.")


@contextmanager
def _batches(source: DatabaseSource, sql: str) -> Iterator[pa.RecordBatchReader]:
    """The Arrow record batches of ``sql`` run on ``source``'s server, streamed; the
    server's errors, raised while connecting, running or streaming the rows, become an
    :class:`InputError` naming the source (:func:`_problem`)."""
    import adbc_driver_manager
    import adbc_driver_postgresql.dbapi as pg

    try:
        with pg.connect(source.url.strip()) as conn:
            cur = conn.cursor()
            try:
                cur.execute(sql)
                yield cur.fetch_record_batch()
            finally:
                cur.close()
    except adbc_driver_manager.Error as exc:
        raise _problem(source, exc) from None
    except OSError as exc:  # the server's error while the rows stream in, as pyarrow says it
        if "[libpq]" not in str(exc):
            raise  # not the server's (a full disk while writing): as it is
        raise _problem(source, exc) from None


def no_rows(source: DatabaseSource) -> InputError:
    """The message for a table or query that gives no rows."""
    what = f"table {source.table}" if source.table else "query"
    return InputError(f"The {what} on {redact(source.url)} gives no rows.",
                      fix="Check the table, or the query's WHERE clause.")


@contextmanager
def read_to_parquet(source: DatabaseSource,
                    progress: Callable[[str], None] | None = None, *,
                    sql: str | None = None) -> Iterator[Path]:
    """Read every row of ``source`` (or of ``sql`` run on its server: a sample of it) into
    a Parquet file in a private temporary folder, yield its path, and remove the folder
    afterwards. Raises :class:`InputError` naming the source (never its password) when the
    server, the credentials or the table fail."""
    import pyarrow.parquet as pq

    say = progress or (lambda _msg: None)
    say(f"reading from {source.name}")
    with tempfile.TemporaryDirectory(prefix="calibrate-db-") as folder:
        os.chmod(folder, 0o700)
        path = Path(folder) / "leads.parquet"
        writer = None
        rows = shown = 0
        try:
            with _batches(source, sql or source.sql()) as reader:
                for batch in map(_plain, reader):
                    if writer is None:
                        writer = pq.ParquetWriter(path, batch.schema)
                    writer.write_batch(batch)
                    rows += batch.num_rows
                    if rows - shown >= PROGRESS_ROWS:
                        say(f"read {rows:,} rows")
                        shown = rows
        finally:
            if writer is not None:
                writer.close()
        if rows == 0:
            raise no_rows(source)
        yield path


def fetch_frame(source: DatabaseSource, sql: str) -> pd.DataFrame:
    """The rows of ``sql`` run on ``source``'s server, as a DataFrame: for small answers
    (a count, the count grid), read whole. Errors as :func:`read_to_parquet` says them."""
    import pyarrow as pa

    with _batches(source, sql) as reader:
        table = reader.read_all()
    batches = [_plain(b) for b in table.to_batches()]
    if batches:
        table = pa.Table.from_batches(batches)
    return table.to_pandas()

"""Proof: the SQL export in the Postgres dialect runs on a real PostgreSQL server and gives
calibrate's own profile, behavior, total, auto-rule and MQL for every lead.

The leads of the original files (the sample and the bank export) are copied into Postgres
under their headers as written, with Postgres types (text, double precision, boolean,
timestamp); the exported SQL is run there as a user would run it, and compared lead by
lead with calibrate's scoring in DuckDB (``score_leads``, ``rule_sql``, ``is_mql``). The
server is the session's private one (``postgres_server``, tests/postgres.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd
import psycopg
import pytest
from test_rules_export import FAKE_RULES, boundary_table, fake_name_leads

from calibrate import sql
from calibrate.data import store
from calibrate.decide.mql import is_mql
from calibrate.decide.rules import rule_sql
from calibrate.export.score_sql import portable_sql
from calibrate.model.lead_points import score_leads
from calibrate.model.rule_settings import RuleSet
from calibrate.model.weights import Weights

from conftest import original
from postgres import Server, copy_from_duckdb

BOTH = {"mode": "both", "min_profile": 45, "min_behavior": 25}
TOTAL = {"mode": "total", "min_total": 40}
PER_SEGMENT = BOTH | {"segments": {"Enterprise": {"mode": "total", "min_total": 30}}}
ONLY_ONE_SEGMENT = BOTH | {"segment": "Enterprise"}
SEGMENT_HEADER = "sales_team"  # the sample's segment column, as its header is written


@pytest.fixture(scope="module")
def pg(postgres_server: Server) -> Iterator[psycopg.Connection]:
    """A connection to a database of this module's own on the session's server."""
    name = postgres_server.create_database("rules_export")
    with postgres_server.connect(name, autocommit=True) as con:
        yield con


def query(pg: psycopg.Connection, sql: str) -> pd.DataFrame:
    """The rows of ``sql`` run on the server, under their column names."""
    cur = pg.execute(sql)
    return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def calibrates(con: duckdb.DuckDBPyConnection, weights: Weights) -> pd.DataFrame:
    """calibrate's own points, total and auto-rule per lead (and the segment value, under
    its header), from the stored leads in DuckDB."""
    columns = store.read_columns(con)
    types = {c.name: c.type for c in columns if c.role != "ignore"}
    rule = rule_sql(RuleSet(), types)
    segment = next((c.name for c in columns if c.role == "segment"), None)
    extra = f", {sql.quote(segment)} AS {SEGMENT_HEADER}" if segment else ""
    own = con.execute(f"SELECT lead_id, {rule} AS rule{extra} FROM leads").df()
    return score_leads(con, weights.table).set_index("lead_id").join(own.set_index("lead_id"))


#: The bars tried per data set, each on every lead (1) or on one lead in 4 (a fixed hash
#: sample, as the DuckDB proofs take): Postgres takes about 6 s over the whole sample.
VARIANTS: dict[str, list[tuple[dict[str, Any] | None, int]]] = {
    "sample": [(BOTH, 1), (PER_SEGMENT, 1), (TOTAL, 4), (None, 4), (ONLY_ONE_SEGMENT, 4)],
    "bank": [(BOTH, 1), (TOTAL, 4), (None, 4)],
}


@pytest.mark.parametrize("data", ["sample", "bank"])
def test_postgres_sql_gives_calibrates_scores_on_a_real_server(
        data: str, request: pytest.FixtureRequest, pg: psycopg.Connection) -> None:
    con, weights, _ = request.getfixturevalue(data)
    columns = store.read_columns(con)
    want = calibrates(con, weights)
    segment = SEGMENT_HEADER if data == "sample" else None
    tables: dict[int, str] = {}
    mqls: dict[str, pd.Series] = {}
    for thresholds, every in VARIANTS[data]:
        if every not in tables:  # the leads under their headers, copied to Postgres
            tables[every] = table = f"leads_{data}_{every}"
            types = copy_from_duckdb(pg, table, con, original(con, every))
            # Typed as a warehouse holds them, so the SQL's casts meet numbers and booleans.
            assert {"text", "double precision", "boolean"} <= set(types.values())
        sql = portable_sql(weights.table, thresholds=thresholds, rules=RuleSet(),
                           columns=columns, source=tables[every], dialect="postgres")
        assert sql.startswith("-- calibrate lead score (postgres)")
        assert "Not included" not in sql  # the fake-name patterns are Postgres regexps
        got = query(pg, sql).set_index("lead_id").sort_index()  # rows come in any order
        assert got.index.is_unique and got.index.isin(want.index).all()
        assert every > 1 or len(got) == len(want)
        mine = want.loc[got.index]
        mql = is_mql(mine, thresholds, segment=segment)
        assert (got["profile"] == mine["profile_points"]).all(), thresholds
        assert (got["behavior"] == mine["behavior_points"]).all(), thresholds
        assert (got["total"] == mine["total"]).all(), thresholds
        assert (got["auto_rule"].fillna("") == mine["rule"].fillna("")).all(), thresholds
        assert (got["mql"] == mql).all(), thresholds
        assert 0 < mql.sum() < len(mql) or thresholds is None, thresholds
        mqls[str(thresholds)] = mql
    if data == "sample":  # not vacuous: rules fire, and the segment's bar is its own
        assert want["rule"].str.startswith("disqualified").any()
        assert want["rule"].str.startswith("qualified").any()
        enterprise = want[SEGMENT_HEADER].str.strip().str.lower() == "enterprise"
        assert enterprise.any() and not enterprise.all()
        changed = mqls[str(PER_SEGMENT)] != mqls[str(BOTH)]
        assert changed.any() and not (changed & ~enterprise).any()
        only = mqls[str(ONLY_ONE_SEGMENT)]
        assert not (only & ~enterprise.loc[only.index] & want["rule"].isna()
                    .loc[only.index]).any()


def test_postgres_sql_fake_name_patterns_disqualify_as_calibrates_rules(
        pg: psycopg.Connection) -> None:
    """The leads only a fake-name pattern disqualifies (tests/test_rules_export.py, which
    holds them to calibrate's rules in DuckDB): Postgres's own regular expressions."""
    leads = fake_name_leads()
    with duckdb.connect() as duck:
        duck.register("_l", leads)
        duck.execute("CREATE TABLE fake_names AS SELECT * FROM _l")
        copy_from_duckdb(pg, "fake_names", duck, "fake_names")
    sql = portable_sql(boundary_table(), rules=RuleSet(), columns=list(leads.columns),
                       source="fake_names", dialect="postgres")
    assert "Not included" not in sql and " ~* " in sql
    got = query(pg, f"SELECT lead_id, auto_rule FROM ({sql}) AS s ORDER BY lead_id")
    assert got["auto_rule"].fillna("").tolist() == FAKE_RULES


def test_the_server_is_private_and_quick(postgres_server: Server, pg: psycopg.Connection
                                         ) -> None:
    """Socket only (no TCP), in the private folder, with durability off."""
    settings = dict(pg.execute(
        "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', "
        "'unix_socket_directories', 'fsync', 'port')").fetchall())
    assert settings == {"listen_addresses": "", "fsync": "off", "port": "5432",
                        "unix_socket_directories": str(postgres_server.socket_dir)}


#: RE2 patterns beyond the defaults that Postgres is given in its own syntax, and names
#: to try them on (lower-cased, as the SQL's name is).
PATTERNS = [r"^\d+$", r"[.\-_]{2}", r"^(mr|mrs)\.?\s", r"x{2,3}y", r"[^a-z ]", r"a.b$",
            r"\w+@", r"(?i)TEST", r"[[:digit:]]{3}", r"^[]x]", r"\{", r"a|b$", r"[\s\d]z",
            r"n(?:o|e)+t", r"^[^\p{L}\d]+$",
            # bounds on one character or bracket, which Postgres is given written out
            r"(^|\s)(a{3,}|b{3,})(\s|$)", r"\d{2,}", r"[ab]{1,3}c", r"^a{0,2}b", r"x{3}?y",
            r"^.{2}$", r"o{0,}t"]
NAMES = ["123", "a..b", "mr. x", "mrs smith", "xxy", "xxxxy", "josé", "a\nb", "axb",
         "ann@x", "a test", "9876", "]ab", "x", "{", "bob", "3z", "a z", "noot", "--!",
         "ωμέγα", "a1b", "aaa", "bbbb x", "x aa", "aaab", "abbbc", "xxxy", "ab", "t"]


def test_postgres_runs_other_patterns_as_re2_does(pg: psycopg.Connection) -> None:
    from calibrate.export.score_sql import _regex

    with duckdb.connect() as duck:
        for p in PATTERNS:
            t = _regex(p, "postgres")
            assert t is not None, p
            want = [duck.execute("SELECT regexp_matches(?, ?)", [n, "(?i)" + p]).fetchone()[0]
                    for n in NAMES]
            got = [pg.execute("SELECT %s ~* %s", [n, t]).fetchone()[0] for n in NAMES]
            if r"\p{L}" in p:  # [[:alpha:]] of this C-locale server: a to z (the header's
                # note); Greek letters are no letters here
                i = NAMES.index("ωμέγα")
                assert (got.pop(i), want.pop(i)) == (True, False)
            assert got == want, (p, t)
    assert _regex(r"\bx", "postgres") is None and _regex(r"(?P<a>x)", "postgres") is None


def test_postgres_is_given_a_bound_on_one_letter_written_out() -> None:
    """PostgreSQL's engine runs ``a{3,}`` about six times slower than ``aaa+`` (the default
    fake-name pattern: 3.9 s against 0.67 s on 300,000 names), so it is given copies."""
    from calibrate.export.score_sql import _regex
    from calibrate.model.rule_settings import DEFAULT_FAKE_NAME_PATTERNS

    for p in DEFAULT_FAKE_NAME_PATTERNS:
        assert "{" not in (_regex(p, "postgres") or ""), p
    assert _regex(r"(a{3,}|[xy]{2})", "postgres") == "(aaa+|[xy][xy])"
    assert _regex(r"a{3}?", "postgres") == "a{3}?"  # non-greedy: kept as written
    assert _regex(r"(ab){2,}", "postgres") == "(ab){2,}"  # a group: kept
    assert _regex(r"a{17}", "postgres") == "a{17}"  # longer than 16 copies: kept

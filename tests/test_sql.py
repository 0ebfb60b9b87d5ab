"""The one quoting of names and values in SQL, read back by DuckDB itself."""

from __future__ import annotations

import duckdb
import pytest

from calibrate.sql import literal, quote

AWKWARD = ["O'Brien", 'say "hi"', "back\\slash", "", "; DROP TABLE leads; --", "Zürich ✓",
           "'", '"', "a''b"]


@pytest.mark.parametrize("text", AWKWARD)
def test_values_and_names_come_back_exactly(text):
    con = duckdb.connect()
    assert con.execute(f"SELECT {literal(text)}").fetchone()[0] == text
    if text:
        con.execute(f"CREATE TABLE t ({quote(text)} INTEGER)")
        assert [r[0] for r in con.execute("DESCRIBE t").fetchall()] == [text]


def test_a_nul_character_is_refused_not_dropped():
    with pytest.raises(ValueError, match="NUL"):
        literal("a\x00b")

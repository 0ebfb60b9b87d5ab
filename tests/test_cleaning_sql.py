"""Cleaning SQL: placeholders, yes/no spellings, trimmed spaces and decorated numbers read as
the general rules read them."""

from __future__ import annotations

from calibrate.data.cleaning_sql import DECORATED_NUMBER, Sql
from calibrate.vocabulary import PLACEHOLDERS


def test_placeholders_match_whole_values_in_any_case(con):
    sql = Sql(("N/A", "(blank)", "-- select --", "?"))
    values = ["n/a", "N/A", "(Blank)", "-- Select --", "?", "", "n/ab", "blank", "x?", "NA"]
    query = f"SELECT {sql.is_placeholder('v')} FROM (SELECT ? AS v)"
    got = [con.execute(query, [v]).fetchone()[0] for v in values]
    assert got == [True, True, True, True, True, False, False, False, False, False]


def test_a_flags_usual_spellings_read_as_the_general_rule_reads_them(con):
    """The spellings a column uses most are tested by equality before the regexes."""
    values = ["Yes", "No", "yes", "NO", "y", "N", "true", "0", "1.0", "x", "Checked", "off",
              "maybe", "", "Nope", "yes ", None]
    general = Sql.flag("v")
    quick = Sql.flag("v", ("No", "Yes", "yes", "maybe"))
    assert "WHEN v = 'No' THEN false" in quick and "'maybe'" not in quick
    for v in values:
        got = con.execute(f"SELECT {general}, {quick} FROM (SELECT ? AS v)", [v]).fetchone()
        assert got[0] == got[1], v


def test_spaces_around_values_are_trimmed_unicode_ones_too(con):
    """An export pads cells with spaces (ASCII or, from spreadsheets, no-break and wide
    spaces); the stored value and the placeholder test ignore them, inner spaces and tabs
    stay."""
    values = ["  VP", "VP  ", "\u00a0VP\u00a0", "\u3000VP", "VP\u2003", " Vice  President ",
              "\tVP", "", "  N/A  ", "\u00a0Select"]
    rows = [tuple(r) for r in con.execute(
        f"SELECT {Sql(PLACEHOLDERS).text(Sql.trimmed('v'))} "
        "FROM (SELECT unnest(?) AS v, generate_subscripts(?, 1) AS i) ORDER BY i",
        [values, values]).fetchall()]
    assert [r[0] for r in rows] == ["VP", "VP", "VP", "VP", "VP", "Vice  President", "\tVP",
                                    None, None, None]


def test_decorated_numbers_read_as_the_one_regexp_replace_would(con):
    """The percent and thousands fast paths are shortcuts: every value reads as the general
    rule (strip currency, %, commas and spaces from a decorated number) reads it."""
    values = ["35%", "-5%", "+5%", "5.50%", "5.%", ".5%", "35 %", "1,200", "-1,200.25",
              "12,34", "1,2345", "1,200,300", "$1,200", "€ 5", "£3.5", "1,200%", "%", "5%%",
              "1e3%", "0%", "007%", ",200", "1,200.", "abc", "", " 5%"]
    rule = (f"CASE WHEN regexp_full_match(v, '{DECORATED_NUMBER}') "
            f"THEN CAST(regexp_replace(v, '[$€£%,\\s]', '', 'g') AS DOUBLE) END")
    query = f"SELECT {Sql.decorated_number('v')}, {rule} FROM (SELECT unnest(?) AS v)"
    got = con.execute(query, [values]).fetchall()
    comma = {"12,34": 12.34, "1,2345": 1.2345}  # a decimal comma, where nothing else reads
    assert [a for v, (a, _) in zip(values, got, strict=True) if v not in comma] == [
        b for v, (_, b) in zip(values, got, strict=True) if v not in comma]
    read = dict(zip(values, (a for a, _ in got), strict=True))
    assert read["-1,200.25"] == -1200.25 and read["1,200"] == 1200  # US thousands first
    assert {v: read[v] for v in comma} == comma


def test_a_decimal_comma_reads_as_european_exports_write_it(con):
    values = ["12.500,00", "0,75", "1.234.567,5 €", "-3,5", "€ 1.200,50", "12.5", "1,200"]
    got = con.execute(f"SELECT {Sql.decorated_number('v')} FROM (SELECT unnest(?) AS v)",
                      [values]).fetchall()
    assert [g[0] for g in got] == [12500.0, 0.75, 1234567.5, -3.5, 1200.5, 12.5, 1200.0]

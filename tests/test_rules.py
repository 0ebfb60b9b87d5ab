"""Auto-qualify / auto-disqualify rules: each rule on a hand-made table, precedence, missing
columns, hostile values, hit counts."""

from __future__ import annotations

import json
import math

import duckdb
import pytest

from calibrate.data.store import ColumnInfo
from calibrate.decide.rules import (
    RuleSet,
    active_rules,
    describe,
    rule_hits,
    rule_sql,
    source_columns,
)

COLUMNS = ("lead_id", "outcome", "email", "phone", "first_name", "last_name", "company",
           "seniority", "demo_request", "contact_us")

# (lead_id, outcome, email, phone, first, last, company, seniority, demo, contact, expected)
ROWS = [
    ("c01", "won", " Ann@RivalSoft.COM ", "415-222-3333", "Ann", "Lee", "Corp", "VP",
     True, False, "disqualified:competitor"),
    ("c02", "lost", "bob@eu.rivalsoft.com", "415-222-3333", "Bob", "Ek", "Corp", "VP",
     False, False, "disqualified:competitor"),
    ("c03", "lost", "x@notrivalsoft.com", "415-222-3333", "Cy", "Ng", "Corp", "VP",
     False, False, None),
    ("c04", "open", "x@corp.com", "415-222-3333", "Di", "Ho", "  Acme   Analytics ", "VP",
     False, False, "disqualified:competitor"),
    ("n01", "lost", "j@corp.com", "415-222-3333", "Johnny", "Prospect", "Corp", "VP",
     True, False, "disqualified:fake_name"),
    ("n02", "lost", "j@corp.com", "415-222-3333", "  TEST ", None, "Corp", "VP",
     False, False, "disqualified:fake_name"),
    ("n03", "lost", "j@corp.com", "415-222-3333", "asdfgh", "Smith", "Corp", "VP",
     False, False, "disqualified:fake_name"),
    ("n04", "lost", "j@corp.com", "415-222-3333", "123", "456", "Corp", "VP",
     False, False, "disqualified:fake_name"),
    ("n05", "lost", "j@corp.com", "415-222-3333", "Xxx", "Smith", "Corp", "VP",
     False, False, "disqualified:fake_name"),
    ("n06", "won", "j@corp.com", "415-222-3333", "Zoë", "Ng", "Corp", "VP",
     False, False, None),
    ("n07", "lost", "j@corp.com", "415-222-3333", "Mickey", "  Mouse", "Corp", "VP",
     False, False, "disqualified:fake_name"),
    ("p01", "lost", "k@corp.com", "555-555-5555", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:fake_phone"),
    ("p02", "lost", "k@corp.com", "(555) 555-0100", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:fake_phone"),
    ("p03", "lost", "k@corp.com", "+1-555-555-0199", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:fake_phone"),
    ("p04", "lost", "k@corp.com", "+44 20 555 1234", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:fake_phone"),
    ("p05", "lost", "k@corp.com", "111-111-1111", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:fake_phone"),
    ("p06", "lost", "k@corp.com", "12345", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:fake_phone"),
    ("p07", "won", "k@corp.com", "+1-555-234-5678", "Al", "Bo", "Corp", "VP",
     False, False, None),
    ("p08", "won", "k@corp.com", "+1-415-556-1234", "Al", "Bo", "Corp", "VP",
     False, False, None),
    ("t01", "lost", "a@mailinator.com", "415-222-3333", "Al", "Bo", "Corp", "VP",
     False, True, "disqualified:throwaway_email"),
    ("t02", "lost", "b@x.YOPMAIL.com", "415-222-3333", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:throwaway_email"),
    ("m01", "lost", "nobody", "415-222-3333", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:malformed_email"),
    ("m02", "lost", "x@", "415-222-3333", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:malformed_email"),
    ("m03", "lost", "a@b@c.com", "415-222-3333", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:malformed_email"),
    ("m04", "lost", "a@localhost", "415-222-3333", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:malformed_email"),
    ("m05", "lost", "a b@c.com", "415-222-3333", "Al", "Bo", "Corp", "VP",
     False, False, "disqualified:malformed_email"),
    ("m06", "won", "first.last@corp.co.uk", "415-222-3333", "Al", "Bo", "Corp", "VP",
     False, False, None),
    ("m07", "won", "o'brien@corp.com", "415-222-3333", "Al", "Bo", "Corp", "VP",
     False, False, None),
    ("s01", "lost", "k@corp.com", "415-222-3333", "Al", "Bo", "Corp", "Student",
     True, False, "disqualified:student"),
    ("s02", "lost", "k@corp.com", "415-222-3333", "Al", "Bo", "Corp", "PhD STUDENT",
     False, False, "disqualified:student"),
    ("q01", "won", "k@corp.com", "415-222-3333", "Al", "Bo", "Corp", "VP",
     True, True, "qualified:demo_request"),
    ("q02", "no_decision", "k@corp.com", "415-222-3333", "Al", "Bo", "Corp", "VP",
     False, True, "qualified:contact_us"),
    ("q03", "open", "k@corp.com", "415-222-3333", "Al", "Bo", "Corp", "VP",
     None, None, None),
    ("z01", "won", None, None, None, None, None, None, None, None, None),
]

RULES = RuleSet(competitor_domains=["rivalsoft.com"], competitor_companies=["Acme Analytics"])


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    cols = ", ".join(f"{c} {'BOOLEAN' if c in ('demo_request', 'contact_us') else 'VARCHAR'}"
                     for c in COLUMNS)
    c.execute(f"CREATE TABLE leads ({cols})")
    c.executemany(f"INSERT INTO leads VALUES ({', '.join('?' * len(COLUMNS))})",
                  [r[:-1] for r in ROWS])
    yield c
    c.close()


def applied(con: duckdb.DuckDBPyConnection, rules: RuleSet, columns: object = None,
            table: str = "leads") -> dict[str, str | None]:
    cols = source_columns(con, table) if columns is None else columns
    return dict(con.execute(
        f"SELECT lead_id, {rule_sql(rules, cols)} FROM {table} ORDER BY lead_id").fetchall())


def test_every_rule_on_hand_made_leads(con: duckdb.DuckDBPyConnection) -> None:
    got = applied(con, RULES)
    expected = {r[0]: r[-1] for r in ROWS}
    assert got == expected


def test_column_names_without_types_read_flags_from_text(
        con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE text_leads AS SELECT * REPLACE ("
                "CASE WHEN demo_request THEN 'Yes' ELSE 'no' END AS demo_request, "
                "CASE WHEN contact_us THEN ' TRUE ' END AS contact_us) FROM leads")
    as_names = applied(con, RULES, list(COLUMNS), "text_leads")
    as_infos = applied(con, RULES, [ColumnInfo(c, c, "profile", "") for c in COLUMNS],
                       "text_leads")
    expected = {r[0]: r[-1] for r in ROWS}
    assert as_names == expected
    assert as_infos == expected


def test_disqualifiers_beat_qualifiers(con: duckdb.DuckDBPyConnection) -> None:
    got = applied(con, RULES)
    # c01, n01, s01 asked for a demo, t01 used the contact form: still disqualified
    assert got["c01"] == "disqualified:competitor"
    assert got["n01"] == "disqualified:fake_name"
    assert got["s01"] == "disqualified:student"
    assert got["t01"] == "disqualified:throwaway_email"


def test_missing_columns_disable_rules(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE slim AS SELECT lead_id, outcome, seniority, demo_request "
                "FROM leads")
    assert active_rules(RULES, source_columns(con, "slim")) == [
        "disqualified:student", "qualified:demo_request"]
    got = applied(con, RULES, table="slim")
    assert got["c01"] == "qualified:demo_request"  # no email column: not a competitor
    assert got["s01"] == "disqualified:student"
    assert got["p01"] is None
    con.execute("CREATE TABLE bare AS SELECT lead_id, outcome FROM leads")
    assert rule_sql(RULES, source_columns(con, "bare")) == "CAST(NULL AS VARCHAR)"
    assert set(applied(con, RULES, table="bare").values()) == {None}


def test_emptied_lists_switch_rules_off(con: duckdb.DuckDBPyConnection) -> None:
    off = RuleSet(qualify_flags=[], fake_names=[], fake_name_patterns=[], fake_phones=[],
                  fake_phone_555=False, fake_phone_same_digit=False, min_phone_digits=0,
                  throwaway_domains=[], check_email_format=False, students={})
    assert active_rules(off, source_columns(con)) == []
    assert set(applied(con, off).values()) == {None}
    assert RuleSet().competitor_domains == []  # competitors are opt-in


def test_value_matches_qualify(con: duckdb.DuckDBPyConnection) -> None:
    rules = RuleSet(qualify_flags=[], qualify_values={"seniority": ["vp"]})
    got = applied(con, rules)
    assert got["q03"] == "qualified:seniority"
    assert got["c03"] == "qualified:seniority"
    assert got["s01"] == "disqualified:student"
    assert got["z01"] is None


def test_hostile_values_and_names_do_not_break_sql(con: duckdb.DuckDBPyConnection) -> None:
    evil = "o'hara.com'); DROP TABLE leads; --"
    con.execute('CREATE TABLE odd AS SELECT *, seniority AS "we""ird col" FROM leads')
    insert = ("INSERT INTO odd (lead_id, outcome, email, first_name, \"we\"\"ird col\") "
              "VALUES (?, 'lost', ?, ?, ?)")
    con.execute(insert, ["h01", "x@" + evil, "Al", None])
    con.execute(insert, ["h02", None, "D'Arcy", None])
    con.execute(insert, ["h03", None, "Al", "it's \\ ok"])
    rules = RuleSet(
        competitor_domains=[evil, "a\\b.com", "(.*)"],
        competitor_companies=["'; SELECT 1; --"],
        fake_names=["d'arcy", "a\\\\b"],
        qualify_flags=['we"ird col', "no such col"],
        qualify_values={'we"ird col': ["it's \\ ok"]},
        students={'we"ird col': ["o'neil"]},
    )
    got = applied(con, rules, table="odd")
    assert got["h01"] == "disqualified:competitor"  # matched literally, not as SQL
    assert got["h02"] == "disqualified:fake_name"
    assert got["h03"] == 'qualified:we"ird col'
    assert got["m06"] is None  # "(.*)" is a literal domain, not a regex
    assert con.execute("SELECT count(*) FROM leads").fetchone()[0] == len(ROWS)
    hits = rule_hits(con, rules, "odd")
    assert hits["leads"].sum() == len(ROWS) + 3
    assert 'qualified:we"ird col' in set(hits["rule"].dropna())


def test_rule_hits_counts_and_win_rates(con: duckdb.DuckDBPyConnection) -> None:
    hits = rule_hits(con, RULES)
    assert list(hits.columns) == ["rule", "kind", "leads", "share", "closed", "wins",
                                  "win_rate"]
    labels = list(hits["rule"])
    assert labels[:-1] == active_rules(RULES, source_columns(con))
    assert hits["rule"].isna().iloc[-1] and hits["kind"].iloc[-1] == "none"
    by = hits.set_index(hits["rule"].fillna("none"))
    expected: dict[str, list[int]] = {}
    for r in ROWS:
        key = r[-1] or "none"
        e = expected.setdefault(key, [0, 0, 0])
        e[0] += 1
        e[1] += r[1] in ("won", "lost", "no_decision")
        e[2] += r[1] == "won"
    for key, (leads, closed, wins) in expected.items():
        assert (by.loc[key, "leads"], by.loc[key, "closed"], by.loc[key, "wins"]) == (
            leads, closed, wins), key
    comp = by.loc["disqualified:competitor"]
    assert comp["win_rate"] == pytest.approx(1 / 2)  # c01 won, c02 lost, c04 open
    assert by.loc["qualified:contact_us", "win_rate"] == 0.0
    assert hits["share"].sum() == pytest.approx(1.0)


def test_rule_hits_lists_silent_rules_with_zeros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM leads WHERE seniority ILIKE '%student%'")
    hits = rule_hits(con, RULES).set_index("rule", drop=False)
    row = hits.loc["disqualified:student"]
    assert (row["leads"], row["closed"], row["wins"]) == (0, 0, 0)
    assert math.isnan(row["win_rate"])


def test_ruleset_json_round_trip() -> None:
    rules = RuleSet(competitor_domains=["rival.com"], qualify_values={"title": ["CIO"]})
    data = json.loads(json.dumps(rules.to_dict()))
    assert RuleSet.from_dict(data) == rules
    assert RuleSet.from_dict({}) == RuleSet()
    with pytest.raises(ValueError, match="unknown"):
        RuleSet.from_dict({"nope": 1})


def test_describe_lists_active_rules(con: duckdb.DuckDBPyConnection) -> None:
    lines = describe(RULES, source_columns(con))
    assert len(lines) == len(active_rules(RULES, source_columns(con)))
    assert any("rivalsoft.com" in line for line in lines)
    assert lines[-1] == "Auto-qualify when contact_us is yes."


def test_rules_find_their_columns_under_the_names_the_file_wrote() -> None:
    from calibrate.decide.rules import column_finder, summary

    con = duckdb.connect()
    con.execute('CREATE TABLE leads (lead_id VARCHAR, "Demo Request" VARCHAR, '
                '"Job Title" VARCHAR)')
    con.execute("INSERT INTO leads VALUES ('1', 'Yes', 'Analyst'), ('2', 'No', 'Student'), "
                "('3', 'no', 'VP')")
    got = applied(con, RuleSet())
    assert got == {"1": "qualified:Demo Request", "2": "disqualified:student", "3": None}
    find = column_finder(["Demo Request", "demo_request"])
    assert find("demo_request") == "demo_request"  # the exact name first
    assert find("DEMO-REQUEST") in ("Demo Request", "demo_request")
    assert summary(RuleSet(), source_columns(con)) == "Demo Request qualifies; student disqualifies"
    assert summary(RuleSet(), ["lead_id", "industry"]) == "none"

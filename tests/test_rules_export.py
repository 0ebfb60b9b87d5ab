"""Proof: the exported rules list and SQL give calibrate's own points for every lead.

The interpreter below reads the generic rules list with the csv module and applies it, with
pandas, to the rows of the ORIGINAL files (the sample and the bank export) as the README
documents the operators; it uses nothing of calibrate's scoring. It must give calibrate's
profile and behavior points for every lead, with exactly one line holding per field. The SQL
export runs in DuckDB over the stored leads and must give calibrate's points, total and MQL.
"""

from __future__ import annotations

import csv
import io
import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlglot

from calibrate.data import store
from calibrate.decide.mql import is_mql
from calibrate.decide.rules import rule_sql, source_columns
from calibrate.export.files import FORMATS, export_bytes, rules_list
from calibrate.export.rules_list import COLUMNS
from calibrate.export.score_sql import DIALECTS, portable_sql
from calibrate.model.lead_points import score_leads
from calibrate.model.points import table_from_records
from calibrate.model.rule_settings import DEFAULT_FAKE_NAME_PATTERNS, RuleSet
from calibrate.model.weights import Weights

from conftest import original

# ------------------------------------------------------------------ the interpreter

#: The README's yes and no words.
YES = {"yes", "y", "true", "t", "1", "1.0", "x", "checked", "on", "ja", "j", "oui", "si", "sí",
       "sim", "wahr", "vrai", "verdadero", "vero"}
NO = {"no", "n", "false", "f", "0", "0.0", "unchecked", "off", "nein", "non", "não", "nao",
      "nee", "falsch", "faux", "falso"}
NUMBER_OPS = {"less than", "at least", "between", "is not empty"}


def plain(cell: str) -> str:
    """A cell without the quote that neutralises a formula."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@") else cell


def items(cell: str) -> list[str]:
    """A '; '-separated list (values holding ';' or '"' come in double quotes)."""
    return [v for v in next(csv.reader([plain(cell)], delimiter=";", skipinitialspace=True))]


def read_list(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def holds(line: dict[str, str], kind: str, text: pd.Series,
          number: pd.Series | None) -> pd.Series:
    """Where one line holds, per the README's operators."""
    op, value = line["operator"], line["value"]
    if kind == "number":
        if op == "less than":
            return number < float(value)
        if op == "at least":
            return number >= float(value)
        if op == "between":
            low, high = (float(x) for x in value.split(" and "))
            return (number >= low) & (number < high)
        return number.isna() if op == "is empty" else number.notna()
    if kind == "flag":
        if op == "is true":
            return text.isin(YES)
        if op == "is false":
            return text.isin(NO)
        return ~text.isin(YES | NO)
    if op == "equals":
        return text == plain(value).lower()
    if op == "is one of":
        return text.isin({v.lower() for v in items(value)})
    if op == "is not one of":
        return (text != "") & ~text.isin({v.lower() for v in items(value)})
    assert op == "is empty", op
    return text == ""


def apply_list(lines: list[dict[str, str]], leads: pd.DataFrame) -> pd.DataFrame:
    """Profile and behavior points of every row of ``leads`` (the original file's text)."""
    out = pd.DataFrame({"profile": 0, "behavior": 0}, index=leads.index)
    fields: dict[str, list[dict[str, str]]] = {}
    for line in lines:
        if line["score"] in ("profile", "behavior"):
            fields.setdefault(plain(line["field"]), []).append(line)
    for field, own in fields.items():
        ops = {line["operator"] for line in own}
        kind = ("number" if ops & NUMBER_OPS else "flag" if ops & {"is true", "is false"}
                else "text")
        raw = leads[field].fillna("").astype(str)
        text = raw.str.strip().str.lower()
        number = None
        if kind == "number":  # 1,200 is 1200 and 35% is 35, as the README says
            number = pd.to_numeric(raw.str.replace(r"[$€£%,\s]", "", regex=True),
                                   errors="coerce")
            number = number.where(np.isfinite(number))
        hits = pd.Series(0, index=leads.index)
        for line in own:
            mask = holds(line, kind, text, number).astype(int)
            hits += mask
            out[line["score"]] += mask * int(line["points"])
        assert hits.min() == 1 and hits.max() == 1, (
            f"{field}: {int((hits == 0).sum())} leads match no line, "
            f"{int((hits > 1).sum())} more than one")
    return out


# ------------------------------------------------------------------ data


def scores(con: duckdb.DuckDBPyConnection, weights: Weights) -> pd.DataFrame:
    return score_leads(con, weights.table).set_index("lead_id")


# ------------------------------------------------------------------ the proofs


@pytest.mark.parametrize("data", ["sample", "bank"])
def test_rules_list_gives_calibrates_points_for_every_lead(data, request):
    con, weights, raw = request.getfixturevalue(data)
    weights.thresholds = {"mode": "both", "min_profile": 45, "min_behavior": 25}
    lines = read_list(export_bytes(weights, "rules", columns=store.read_columns(con)))
    assert list(lines[0]) == COLUMNS
    got = apply_list(lines, raw)
    want = scores(con, weights)
    assert len(want) == len(got) == len(raw)
    got = got.loc[want.index]
    assert (got["profile"] == want["profile_points"]).all()
    assert (got["behavior"] == want["behavior_points"]).all()
    mql = [line for line in lines if line["score"] == "mql"]
    assert [(m["field"], m["value"]) for m in mql] == [("profile score", "45"),
                                                       ("behavior score", "25")]


@pytest.mark.parametrize("data", ["sample", "bank"])
def test_sql_gives_calibrates_points_total_and_mql_for_every_lead(data, request):
    con, weights, _ = request.getfixturevalue(data)
    columns = store.read_columns(con)
    types = {c.name: c.type for c in columns if c.role != "ignore"}
    rule = con.execute(f"SELECT lead_id, {rule_sql(RuleSet(), types)} AS rule FROM leads"
                       ).df().set_index("lead_id")["rule"]
    want = scores(con, weights).join(rule)
    variants = [{"mode": "both", "min_profile": 45, "min_behavior": 25}]
    if data == "bank":  # quick to run: every way of writing the MQL
        variants += [{"mode": "total", "min_total": 40}, None]
    for thresholds in variants:
        sql = portable_sql(weights.table, thresholds=thresholds, rules=RuleSet(),
                           columns=columns, source=original(con))
        got = con.execute(sql).df().set_index("lead_id").loc[want.index]
        assert (got["profile"] == want["profile_points"]).all()
        assert (got["behavior"] == want["behavior_points"]).all()
        assert (got["total"] == want["total"]).all()
        assert (got["auto_rule"].fillna("") == want["rule"].fillna("")).all()
        assert (got["mql"] == is_mql(want, thresholds)).all()
    assert "Not included" not in sql  # the fake-name patterns are regular expressions


def test_sql_in_other_dialects_reads_back_to_the_same_scores(sample):
    con, weights, _ = sample
    columns = store.read_columns(con)
    thresholds = {"mode": "both", "min_profile": 45, "min_behavior": 25}
    source = original(con, every=8)
    base = con.execute(portable_sql(weights.table, thresholds=thresholds, rules=RuleSet(),
                                    columns=columns, source=source)).df().set_index("lead_id")
    for dialect in ("postgres", "snowflake", "bigquery"):
        sql = portable_sql(weights.table, thresholds=thresholds, rules=RuleSet(),
                           columns=columns, source=source, dialect=dialect)
        assert sql.startswith(f"-- calibrate lead score ({dialect})")
        back = sqlglot.transpile(sql, read=dialect, write="duckdb")[0]
        got = con.execute(back).df().set_index("lead_id").loc[base.index]
        for col in ("profile", "behavior", "total", "mql", "auto_rule"):
            assert got[col].fillna("").tolist() == base[col].fillna("").tolist(), (dialect, col)
    assert "`sales_team`" in portable_sql(weights.table, thresholds={
        "mode": "both", "min_profile": 1, "min_behavior": 1, "segments": {
            "Enterprise": {"mode": "total", "min_total": 30}}}, columns=columns,
        dialect="bigquery")


def test_sql_thresholds_per_segment(sample):
    con, weights, _ = sample
    columns = store.read_columns(con)
    thresholds = {"mode": "both", "min_profile": 45, "min_behavior": 25,
                  "segments": {"Enterprise": {"mode": "total", "min_total": 30}}}
    got = con.execute(portable_sql(weights.table, thresholds=thresholds, columns=columns,
                                   source=original(con, every=4))).df()
    enterprise = got["sales_team"] == "Enterprise"
    want = np.where(enterprise, got["total"] >= 30,
                    (got["profile"] >= 45) & (got["behavior"] >= 25))
    assert enterprise.any() and (got["mql"] == want).all()
    lines = rules_list(weights.table, thresholds=thresholds, columns=columns)
    seg = lines[lines.segment == "Enterprise"]
    assert seg[["field", "operator", "value"]].values.tolist() == [
        ["total score", "at least", 30]]


# ------------------------------------------------------------------ boundaries


def boundary_table() -> pd.DataFrame:
    nan = math.nan
    rows = [
        ("profile", "Rate (%)", "numeric", "< 1", 0, nan, 1.0, 5),
        ("profile", "Rate (%)", "numeric", "1 to < 1.3", 1, 1.0, 1.3, 10),
        ("profile", "Rate (%)", "numeric", ">= 1.3", 2, 1.3, nan, 20),
        ("profile", "Rate (%)", "numeric", "Missing", 3, nan, nan, 3),
        ("profile", "Balance", "numeric", "< -47", 0, nan, -47.0, 1),
        ("profile", "Balance", "numeric", "-47+", 1, -47.0, nan, 6),
        ("profile", "Balance", "numeric", "Missing", 2, nan, nan, 0),
        ("profile", "Seniority", "categorical", "VP", 0, nan, nan, 30),
        ("profile", "Seniority", "categorical", "=cmd|' /C calc'!A0", 1, nan, nan, 12),
        ("profile", "Seniority", "categorical", "Other", 2, nan, nan, 2),
        ("profile", "Seniority", "categorical", "Missing", 3, nan, nan, 9),
        ("behavior", "visits", "numeric", "0", 0, nan, 1.0, 0),
        ("behavior", "visits", "numeric", "1-2", 1, 1.0, 3.0, 7),
        ("behavior", "visits", "numeric", "3+", 2, 3.0, nan, 15),
        ("behavior", "visits", "numeric", "Missing", 3, nan, nan, 4),
        ("behavior", "Demo", "flag", "No", 0, nan, nan, 0),
        ("behavior", "Demo", "flag", "Yes", 1, nan, nan, 22),
        ("behavior", "Demo", "flag", "Missing", 2, nan, nan, 11),
    ]
    keys = ["axis", "attribute", "kind", "level", "code", "lower", "upper", "points"]
    return table_from_records([dict(zip(keys, r, strict=True)) | {
        "suggested_points": r[-1], "coefficient": None, "ci_low": None, "ci_high": None,
        "leads": 10, "wins": 1, "win_rate": 0.1} for r in rows])


BOUNDARY_LEADS = pd.DataFrame({
    "lead_id": [f"L{i}" for i in range(10)],
    "Rate (%)": [0.63, 0.999999, 1.0, 1.0000001, 1.2999999, 1.3, 1.31, -47.0, None, 0.0],
    "Balance": [-47.0, -47.5, -46.9, 0.0, None, 1.0, -100.0, 5.0, 2.0, -47.0],
    "Seniority": ["vp", "vP", "=cmd|' /C calc'!A0", "Manager", None, "VP", "Director", "x",
                  "VP", "Vp"],
    "visits": [0.0, 0.5, 1.0, 2.9, 3.0, 2.9999, 47.0, None, 1.5, 0.999],
    "Demo": [True, False, None, True, False, True, None, False, True, False],
})


def test_a_cut_point_lands_in_the_upper_range_and_decimals_in_exactly_one():
    table = boundary_table()
    con = duckdb.connect()
    con.register("_l", BOUNDARY_LEADS)
    con.execute("CREATE TABLE leads AS SELECT * FROM _l")
    want = score_leads(con, table).set_index("lead_id")
    lines = read_list(rules_list(table).to_csv(index=False).encode())
    text = BOUNDARY_LEADS.set_index("lead_id").astype(object).where(
        BOUNDARY_LEADS.set_index("lead_id").notna(), "").astype(str)
    got = apply_list(lines, text)
    assert (got["profile"] == want["profile_points"]).all()
    assert (got["behavior"] == want["behavior_points"]).all()
    rate = want["points_Rate (%)"].tolist()
    assert rate[:8] == [5, 5, 10, 10, 10, 20, 20, 5]  # 1 and 1.3 go up; 0.63 is below 1
    assert want["points_visits"].tolist()[:8] == [0, 0, 7, 7, 15, 7, 15, 4]
    sql = con.execute(portable_sql(table)).df().set_index("lead_id")
    assert (sql["profile"] == want["profile_points"]).all()
    assert (sql["behavior"] == want["behavior_points"]).all()
    # The ranges as written: half-open and covering the line.
    rate_lines = [(x["operator"], x["value"]) for x in lines if x["field"] == "Rate (%)"]
    assert rate_lines == [("less than", "1"), ("between", "1 and 1.3"), ("at least", "1.3"),
                          ("is empty", "")]


def test_numbers_stay_numbers_and_only_level_texts_are_neutralised():
    csv_text = rules_list(boundary_table()).to_csv(index=False)
    assert "profile,Balance,less than,-47,1,< -47," in csv_text  # not '-47
    assert "profile,Balance,at least,-47,6,'-47+," in csv_text  # a level text
    assert "equals,'=cmd|' /C calc'!A0,12,'=cmd" in csv_text
    assert ",behavior,visits,less than,0,4,Missing," in "," + csv_text.replace("\n", "\n,")


# ------------------------------------------------------------------ fake-name patterns

#: Names only a fake-name pattern (DEFAULT_FAKE_NAME_PATTERNS) disqualifies, or, on a
#: boundary, does not: (full name, first name, last name, disqualified). The name is the
#: full name, else first and last; a name with no letter, a word starting with a keyboard
#: row, a word of 3+ times one letter is fake; accented letters are letters.
FAKE_NAMES = [
    (None, "1234", "!!", True),
    ("1234 !!", None, None, True),
    (None, "Asdf", "Smith", True),
    (None, "Mary", "Qwerty", True),
    (None, "Smith", "jkl", False),  # no keyboard row (hjkl is one)
    (None, "Xxx", "Yyy", True),
    (None, "Aaa", "Lee", True),
    (None, "Aa", "Lee", False),  # two letters are a name
    (None, "Aaaa-Lee", None, False),  # a word of one letter repeated, not a prefix
    ("Zoë Ångström", None, None, False),
    ("José 123", None, None, False),
    ("  ", "Sdfg", None, True),  # a blank full name: first and last
    ("O'Brien", "1234", None, False),  # the full name first
    ("\t", None, None, True),  # a tab is not trimmed, and no letter
    (None, None, None, False),  # no name
    (None, "", " ", False),
]


def fake_name_leads() -> pd.DataFrame:
    """The FAKE_NAMES as leads, each with the first boundary lead's scoring columns."""
    names = pd.DataFrame([f[:3] for f in FAKE_NAMES],
                         columns=["full_name", "first_name", "last_name"])
    names.insert(0, "lead_id", [f"F{i:02d}" for i in range(len(FAKE_NAMES))])
    return names.merge(BOUNDARY_LEADS.drop(columns="lead_id").head(1), how="cross")


#: What each name's lead must get.
FAKE_RULES = ["disqualified:fake_name" if f[3] else "" for f in FAKE_NAMES]


def test_sql_fake_name_patterns_disqualify_as_calibrates_rules():
    leads = fake_name_leads()
    con = duckdb.connect()
    con.register("_l", leads)
    con.execute("CREATE TABLE leads AS SELECT * FROM _l")
    own = rule_sql(RuleSet(), source_columns(con))
    want = con.execute(f"SELECT lead_id, {own} AS rule FROM leads ORDER BY lead_id").df()
    assert want["rule"].fillna("").tolist() == FAKE_RULES
    sql = portable_sql(boundary_table(), rules=RuleSet(), columns=list(leads.columns))
    assert "Not included" not in sql
    got = con.execute(f"SELECT lead_id, auto_rule FROM ({sql}) AS s ORDER BY lead_id").df()
    assert got["auto_rule"].fillna("").tolist() == FAKE_RULES
    # Not vacuous: without the patterns, only the listed fake names ("asdf") are fake.
    sql = portable_sql(boundary_table(), rules=RuleSet(fake_name_patterns=[]),
                       columns=list(leads.columns))
    assert not con.execute(f"SELECT count(auto_rule) FROM ({sql}) AS s").fetchone()[0]


def test_sql_fake_name_patterns_are_each_dialects_own_regular_expressions():
    """Snowflake and BigQuery are not here: their text is checked (sqlglot does not write a
    case-insensitive search right for them from one neutral form), and DuckDB runs its
    reading of it back. PostgreSQL and Spark run in tests/test_grid_sql.py."""
    leads = fake_name_leads()
    columns = list(leads.columns)
    rules = RuleSet(fake_name_patterns=[*DEFAULT_FAKE_NAME_PATTERNS, r"\pN{2}", r"a.b$"])
    sql = {d: portable_sql(boundary_table(), rules=rules, columns=columns, dialect=d)
           for d in DIALECTS}
    flat = {d: " ".join(s.split()) for d, s in sql.items()}
    defaults = {"duckdb": r"REGEXP_MATCHES( * END, '(?i)(?:^[^\p{L}]+$)|(?:(^|\s)(asdf|",
                "postgres": r"END ~* '(?:^[^[:alpha:]]+$)|(?:(^|\s)(asdf|",
                "snowflake": r"REGEXP_INSTR( * END, '(^[^[:alpha:]]+$)|((^|\\s)(asdf|",
                "bigquery": r"REGEXP_CONTAINS( * END, '(?i)(?:^[^\\p{L}]+$)|(?:(^|\\s)(asdf|",
                "spark": r"END RLIKE '(?iu)(?:^[^\\p{L}]+\\z)|(?:(^|\\s)(asdf|"}
    for d, s in flat.items():  # * : the name (full name, else first and last)
        call, _, pattern = defaults[d].partition(" * ")
        assert call in s and pattern in s, d
    # Snowflake: a search with 'i' (its REGEXP_LIKE matches the whole text), POSIX groups.
    assert r"|(a.b$)', 1, 1, 0, 'i' ) > 0" in flat["snowflake"]
    assert "(?" not in flat["snowflake"].split("REGEXP_INSTR(")[1].split("'i'")[0]
    # BigQuery: RE2 with (?i) in the pattern, for REGEXP_CONTAINS takes two arguments.
    assert r"|(?:\\pN{2})|(?:a.b$)' ) )" in flat["bigquery"]
    assert "'i'" not in flat["bigquery"] and "REGEXP_LIKE" not in flat["bigquery"]
    # RE2's . stops at a line break and its $ ends the text: Postgres and Spark are told.
    assert r"(?:a[^\n]b$)'" in flat["postgres"] and r"(?:a[^\\n]b\\z)'" in flat["spark"]
    # A pattern a dialect cannot run is left out there, and the header names it.
    for d in DIALECTS:
        lost = d in ("postgres", "snowflake", "spark")
        named = r'-- Not included: the fake-name pattern "\pN{2}", a regular expression ' + d
        assert (named in sql[d]) == lost and sql[d].count("-- Not included") == lost, d
        letters = "-- Note: a letter in the fake-name patterns is [[:alpha:]]"
        assert (letters in sql[d]) == (d in ("postgres", "snowflake")), d
    # DuckDB reads Snowflake's and BigQuery's text back as the same matches.
    con = duckdb.connect()
    con.register("_l", leads)
    con.execute("CREATE TABLE leads AS SELECT * FROM _l")
    for d in ("duckdb", "snowflake", "bigquery"):
        written = portable_sql(boundary_table(), rules=RuleSet(), columns=columns, dialect=d)
        back = sqlglot.transpile(written, read=d, write="duckdb")[0]
        got = con.execute(f"SELECT lead_id, auto_rule FROM ({back}) AS s ORDER BY lead_id"
                          ).df()
        assert got["auto_rule"].fillna("").tolist() == FAKE_RULES, d


# ------------------------------------------------------------------ vendor files and wiring


def test_vendor_files_carry_every_scoring_line(sample):
    con, weights, _ = sample
    columns = store.read_columns(con)
    weights.thresholds = {"mode": "both", "min_profile": 45, "min_behavior": 25}
    scoring = [x for x in read_list(export_bytes(weights, "rules", columns=columns))
               if x["score"] in ("profile", "behavior") and x["points"] != "0"]

    hub = json.loads(export_bytes(weights, "hubspot", columns=columns))
    groups = hub["score"]["groupConfigs"]
    assert sum(len(g["ruleConfigurations"]) for g in groups) == len(scoring)
    for g in groups:
        assert g["maxValue"] == max(r["configuration"]["calculation"]["value"]
                                    for r in g["ruleConfigurations"])
    assert {g["groupCategory"] for g in groups} == {"FIT", "ENGAGEMENT"}
    assert [m["operation"]["value"] for m in hub["mql"]] == [45, 25]

    marketo = pd.read_csv(io.BytesIO(export_bytes(weights, "marketo", columns=columns)),
                          dtype=str, keep_default_na=False)
    changes = marketo[(marketo.type == "Change Score") & (marketo.change != "'=0")]
    assert len(changes) == len(scoring)
    assert sorted(int(c) for c in changes.change) == sorted(int(x["points"]) for x in scoring)
    assert "calibrate MQL" in set(marketo.campaign)

    pardot = pd.read_csv(io.BytesIO(export_bytes(weights, "pardot", columns=columns)),
                         dtype=str, keep_default_na=False)
    assert pardot[pardot.section == "grading profile"].rule.nunique() == 3
    assert (pardot.section == "mql").any() and (pardot.section == "scoring rule").any()

    mautic = json.loads(export_bytes(weights, "mautic", columns=columns))
    assert len(mautic["campaigns"]) == len(scoring)
    assert [t["points"] for t in mautic["point_triggers"]] == [45, 25]
    assert mautic["mql_segments"][0]["name"] == "calibrate MQL"


def test_cli_offers_every_format(sample_db, capsys):
    from calibrate.cli import main

    for format in FORMATS:
        if format == "xlsx":
            continue
        assert main(["export", "--format", format, "--db", str(sample_db)]) == 0
    assert main(["export", "--format", "sql", "--dialect", "snowflake",
                 "--db", str(sample_db)]) == 0
    out = capsys.readouterr().out
    assert "-- calibrate lead score (snowflake)" in out and '"seniority"' in out


def test_export_page_offers_the_automation_files(sample_db):
    from apptest import assert_clean, page

    at = page("export")
    assert_clean(at)
    labels = {b.label for b in at.get("download_button")}
    assert {"Rules list for marketing automation", "Score in SQL (profile, behavior, total, MQL)",
            "HubSpot lead score (JSON)", "Marketo campaigns (CSV)",
            "Account Engagement rules and grading (CSV)", "Mautic points (JSON)"} <= labels
    at.selectbox(key="sql_dialect").set_value("bigquery").run()
    assert_clean(at)

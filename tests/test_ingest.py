"""Ingest: every format, every cleaning rule, every failure message, and atomicity."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from calibrate.data import store
from calibrate.data.ingest import MEMORY_CAP, MEMORY_FLOOR, ingest, memory_cap
from calibrate.errors import InputError

from conftest import BANK_CSV, SAMPLE_CSV
from dbstate import expect_error, leads, snapshot

GOOD = """lead_id,created_at,status,title,industry,employees,page_views,demo_request,email
L1,2025-01-05,Closed Won,VP,Software,"1,200",12,Yes,a@x.com
L2,2025-01-06 10:00:00,Closed Lost,Manager,Retail,40,3,No,b@y.com
L3,01/31/2025,No Decision,Select,Unknown,N/A,-1,no,c@z.com
L4,2025-02-01,Open,Director,Software,300,0,,d@w.com
L5,,In Progress,VP,-,"2,500",7,YES,e@v.com
"""


def test_a_clean_load_with_its_summary(con, write_csv):
    report = ingest(con, write_csv(GOOD))
    assert report.rows_loaded == 5
    assert report.outcome_counts == {"won": 1, "lost": 1, "no_decision": 1, "open": 2}
    assert report.date_range == (dt.datetime(2025, 1, 5), dt.datetime(2025, 2, 1))
    roles = report.by_role()
    assert roles["profile"] == ["title", "industry", "employees"]
    assert roles["behavior"] == ["page_views", "demo_request"]
    text = report.summary()
    assert "Loaded 5 leads" in text and "won 1" in text and "behavior: page_views" in text
    cols = {c.name: (c.role, c.type) for c in store.read_columns(con)}
    assert cols["employees"] == ("profile", "numeric")
    assert cols["demo_request"] == ("behavior", "flag")
    assert cols["email"] == ("email", "text")


def test_messy_values_are_cleaned_and_reported(con, write_csv):
    report = ingest(con, write_csv(GOOD))
    df = leads(con)
    assert df.loc["L1", "employees"] == 1200 and df.loc["L5", "employees"] == 2500
    assert pd.isna(df.loc["L3", "employees"])  # N/A placeholder
    assert pd.isna(df.loc["L3", "title"]) and pd.isna(df.loc["L3", "industry"])  # Select, Unknown
    assert pd.isna(df.loc["L5", "industry"])  # "-"
    assert pd.isna(df.loc["L3", "page_views"])  # negative count
    assert list(df["demo_request"].astype("object")) == [True, False, False, None, True] or \
        df["demo_request"].tolist()[:3] == [True, False, False]
    assert df.loc["L3", "created_at"] == pd.Timestamp("2025-01-31")  # US date
    kinds = {(i.column, i.kind): i for i in report.issues}
    assert kinds[("page_views", "negative counts")].rows == [3]
    assert kinds[("title", "placeholder values")].count == 1
    sep = kinds[("employees", "values with separators or symbols (1,200 / 35% / $)")]
    assert sep.count == 2 and sep.rows == [1, 5]


def test_percent_signs_and_currency(con, write_csv):
    ingest(con, write_csv("id,outcome,open_rate,amount\n1,won,35%,\"$1,200.50\"\n2,lost,5 %,\n"))
    df = leads(con)
    assert df["open_rate"].tolist() == [35.0, 5.0]
    assert df.loc["1", "amount"] == 1200.5


def test_day_first_dates_are_detected_per_column(con, write_csv):
    ingest(con, write_csv("id,outcome,created_at,visits\n1,won,25/12/2024,1\n2,lost,03/01/2025,2\n"
                          "3,lost,14.02.2025,0\n"))
    df = leads(con)
    assert df["created_at"].tolist() == [pd.Timestamp("2024-12-25"), pd.Timestamp("2025-01-03"),
                                         pd.Timestamp("2025-02-14")]


def test_dates_in_the_future_or_before_1990_become_missing(con, write_csv):
    report = ingest(con, write_csv(
        "id,outcome,created_at,visits\n1,won,2099-01-01,1\n2,lost,1970-01-01,2\n3,lost,2024-01-01,0\n"))
    assert leads(con)["created_at"].isna().tolist() == [True, True, False]
    kinds = {i.kind for i in report.issues}
    assert {"dates in the future", "dates before 1990"} <= kinds


def test_duplicated_lead_ids_keep_the_last_row_and_are_reported(con, write_csv):
    report = ingest(con, write_csv("id,outcome,visits\nA,open,1\nA,won,2\nB,lost,1\nB,lost,1\n"))
    df = leads(con)
    assert len(df) == 2 and df.loc["A", "outcome"] == "won"
    kinds = {i.kind: i for i in report.issues}
    assert kinds["duplicated lead ids with different outcomes"].rows == [1, 2]
    assert kinds["duplicated lead ids with the same outcome"].count == 1
    assert report.rows_read == 4 and report.rows_loaded == 2


def test_text_in_a_numeric_column_is_reported(con, write_csv):
    rows = "".join(f"{i},lost,{i % 7}\n" for i in range(60))
    body = "id,outcome,visits\n" + rows + "x,won,n/a\ny,won,lots\n"
    report = ingest(con, write_csv(body))
    issue = next(i for i in report.issues if i.kind == "non-numeric values")
    assert issue.column == "visits" and issue.count == 1 and issue.rows == [62]
    assert pd.isna(leads(con).loc["y", "visits"])


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_common_delimiters(con, write_csv, delimiter):
    text = GOOD.replace('"1,200"', "1200").replace('"2,500"', "2500").replace(",", delimiter)
    assert ingest(con, write_csv(text)).rows_loaded == 5


def test_bom_and_latin1(con, write_csv):
    text = "lead_id,status,industry,visits\n1,won,Café,1\n2,lost,Métallurgie,2\n"
    ingest(con, write_csv("\ufeff" + text))
    assert [c.name for c in store.read_columns(con)][0] == "lead_id"
    report = ingest(con, write_csv(text, "latin.csv", encoding="latin-1"), replace=True)
    assert report.details["encoding"] == "latin-1"
    assert sorted(leads(con)["industry"]) == ["Café", "Métallurgie"]


def test_parquet_and_xlsx_load_to_the_same_table(tmp_path, write_csv):
    csv = write_csv(GOOD)
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "leads.parquet")
    with pd.ExcelWriter(tmp_path / "leads.xlsx") as xl:
        pd.DataFrame({"note": ["exported by CRM"]}).iloc[:0].to_excel(xl, sheet_name="Cover")
        frame.to_excel(xl, sheet_name="Leads", index=False)
    tables = []
    for name in ("leads.csv", "leads.parquet", "leads.xlsx"):
        c = store.connect(tmp_path / f"{name}.duckdb")
        report = ingest(c, tmp_path / name)
        tables.append(leads(c))
        c.close()
        assert report.rows_loaded == 5
    assert report.details["sheet"] == "Leads"
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(tables[0], tables[2])


def test_xlsx_sheet_can_be_chosen(tmp_path):
    with pd.ExcelWriter(tmp_path / "book.xlsx") as xl:
        pd.DataFrame({"id": [1, 2], "status": ["won", "lost"], "visits": [1, 2]}).to_excel(
            xl, sheet_name="A", index=False)
        pd.DataFrame({"id": [1], "status": ["won"], "visits": [5]}).to_excel(
            xl, sheet_name="B", index=False)
    c = store.connect(tmp_path / "x.duckdb")
    from calibrate.data.roles import Mapping

    assert ingest(c, tmp_path / "book.xlsx", mapping=Mapping(read={"sheet": "B"})).rows_loaded == 1
    with pytest.raises(InputError, match="no sheet named 'C'") as err:
        ingest(c, tmp_path / "book.xlsx", mapping=Mapping(read={"sheet": "C"}))
    assert "A, B" in err.value.fix


def test_bank_marketing_export_loads_with_only_the_outcome_named(con):
    report = ingest(con, BANK_CSV, outcome="y")
    assert report.rows_loaded == 41_188
    assert report.outcome_counts["won"] == 4_640 and report.outcome_counts["lost"] == 36_548
    columns = {c.name: c for c in store.read_columns(con)}
    roles = {name: c.role for name, c in columns.items()}
    assert roles["duration"] == "behavior" and roles["job"] == "profile"
    assert roles["outcome"] == "outcome" and columns["outcome"].source_name == "y"
    # Economic context, one value per month of contact: suggested ignore, with the reason.
    for name in ("emp.var.rate", "cons.price.idx", "nr.employed"):
        assert roles[name] == "ignore" and "time of contact" in columns[name].reason
    # "unknown" stands for missing
    assert con.execute("SELECT count(*) FROM leads WHERE job IS NULL").fetchone()[0] == 330


def test_bank_marketing_export_finds_its_bare_y_outcome_by_its_values(con):
    report = ingest(con, BANK_CSV)
    assert report.outcome_counts["won"] == 4_640 and report.outcome_counts["lost"] == 36_548
    by_source = {c.source_name: c for c in report.columns}
    assert by_source["y"].role == "outcome" and "yes" in by_source["y"].reason
    # yes/no columns named like attributes stay attributes
    assert by_source["housing"].role == "profile" and by_source["loan"].role == "profile"


# ------------------------------------------------------------------ failures


def test_empty_file(con, write_csv):
    expect_error(con, write_csv(""), "empty")


def test_header_only(con, write_csv):
    expect_error(con, write_csv("lead_id,status,visits\n"), "header but no rows")


def test_file_that_is_not_what_its_extension_says(con, write_csv, tmp_path):
    expect_error(con, write_csv(GOOD, "leads.xlsx"), r"ends in \.xlsx but its content is CSV")
    (tmp_path / "x.csv").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    expect_error(con, tmp_path / "x.csv", "binary")


def test_ragged_row(con, write_csv):
    err = expect_error(con, write_csv("id,status,visits\n1,won,1\n2,lost,1,5,6\n"), "ragged")
    assert err.rows == [2] and "5 fields but the header has 3" in err.what
    assert "delimiter" in err.fix


def test_missing_file_and_mapping_column(con, write_csv, tmp_path):
    expect_error(con, tmp_path / "nope.csv", "does not exist")
    expect_error(con, write_csv(GOOD), "'visits' named in the mapping",
                 mapping=_mapping_file(tmp_path, '[columns.visits]\nrole = "behavior"\n'))


def _mapping_file(tmp_path, text):
    path = tmp_path / "mapping.toml"
    path.write_text(text)
    return path


def test_failed_replace_keeps_the_previous_load(con, write_csv):
    ingest(con, write_csv(GOOD))
    before = snapshot(con)
    expect_error(con, write_csv("id,status,visits\n1,won,1\n2,Nope,1\n", "bad.csv"),
                 "not recognised", replace=True)
    assert snapshot(con) == before


def test_append_merges_newer_rows_and_refuses_other_columns(con, write_csv):
    ingest(con, write_csv(GOOD))
    report = ingest(con, write_csv(GOOD.splitlines()[0] + "\nL4,2025-02-01,Closed Won,Director,"
                                   "Software,300,4,Yes,d@w.com\nL9,2025-03-01,Open,VP,Retail,10,"
                                   "1,No,z@z.com\n", "more.csv"))
    assert report.mode == "append" and report.rows_loaded == 6
    assert leads(con).loc["L4", "outcome"] == "won"
    expect_error(con, write_csv("id,status,visits\n1,won,1\n", "other.csv"), "columns differ")


def test_hostile_column_names_and_values_are_safe(con, write_csv):
    text = ('id,status,"x"";DROP TABLE leads;--","a\'b",visits\n'
            "1,won,'); DROP TABLE leads; --,=cmd(),1\n2,lost,\"O'Brien\",+1,2\n")
    ingest(con, write_csv(text))
    names = [c.name for c in store.read_columns(con)]
    hostile = 'x";DROP TABLE leads;--'
    assert hostile in names and "a'b" in names  # as written, always quoted in SQL
    df = leads(con)
    assert df.loc["1", hostile] == "'); DROP TABLE leads; --"
    assert df.loc["2", hostile] == "O'Brien"


def test_the_sample_as_csv_parquet_and_xlsx_loads_to_the_same_table(tmp_path):

    # A slice keeps the XLSX writer quick; the full sample goes through the CSV path elsewhere.
    frame = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False, nrows=3_000)
    frame.to_csv(tmp_path / "s.csv", index=False)
    frame.to_parquet(tmp_path / "s.parquet")
    frame.to_excel(tmp_path / "s.xlsx", index=False)
    tables = []
    for name in ("s.csv", "s.parquet", "s.xlsx"):
        c = store.connect(tmp_path / f"{name}.duckdb")
        ingest(c, tmp_path / name)
        tables.append(leads(c))
        roles = [(x.name, x.role, x.type) for x in store.read_columns(c)]
        c.close()
        if name == "s.csv":
            first_roles = roles
        assert roles == first_roles
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(tables[0], tables[2])


def test_the_leak_screen_flags_a_call_duration_before_any_fit(con):
    from calibrate.model.leakage import leak_screen

    ingest(con, BANK_CSV)
    leaks = leak_screen(con)
    assert "duration" in leaks and "after the sale" in leaks["duration"]
    assert "age" not in leaks and "job" not in leaks


def test_nul_characters_are_removed_at_ingest_and_the_fit_runs(con, tmp_path):
    from calibrate.decide.workshop import suggested_weights

    path = tmp_path / "nul.csv"
    with open(path, "wb") as f:  # past the first kilobytes, which the binary check reads
        f.write(b"lead_id,status,industry,visits\n")
        for i in range(3000):
            industry = b"Re\x00tail" if i > 2500 and i % 10 == 0 else (
                b"Bank" if i % 2 else b"Retail")
            f.write(b"L%d,%s,%s,%d\n" % (i, b"won" if i % 3 == 0 else b"lost", industry, i % 7))
    report = ingest(con, path)
    issue = next(i for i in report.issues if "NUL" in i.kind)
    assert (issue.column, issue.count, issue.rows[:2], issue.action) == (
        "industry", 49, [2511, 2521], "removed")
    assert con.execute("SELECT count(*) FROM leads WHERE contains(industry, chr(0))"
                       ).fetchone()[0] == 0
    assert con.execute("SELECT industry FROM leads WHERE lead_id = 'L2510'").fetchone()[0] \
        == "Retail"
    weights = suggested_weights(con)  # no "values with NUL characters cannot be encoded"
    assert "Retail" in set(weights.table["level"])


def test_memory_cap_is_twice_the_file_within_its_bounds():
    assert memory_cap(0) == MEMORY_FLOOR
    assert memory_cap(MEMORY_FLOOR // 2) == MEMORY_FLOOR
    assert memory_cap(MEMORY_FLOOR // 2 + 1) == MEMORY_FLOOR + 2
    assert memory_cap(MEMORY_CAP // 2) == MEMORY_CAP
    assert memory_cap(10 * MEMORY_CAP) == MEMORY_CAP


def test_an_ingest_restores_the_memory_limit(tmp_path):
    con = store.connect(tmp_path / "x.duckdb")
    con.execute("SET memory_limit = '20GiB'")
    before = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    ingest(con, SAMPLE_CSV)
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == before
    con.close()

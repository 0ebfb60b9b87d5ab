"""Cleaning: rows staged in file order, numbers and dates read by DuckDB's own parser."""

from __future__ import annotations

import datetime as dt

import pytest

from calibrate.data import cleaning, store
from calibrate.data.cleaning import _DECORATED_NUMBER, Sql, profile_columns
from calibrate.data.ingest import ingest
from calibrate.vocabulary import PLACEHOLDERS

from conftest import BANK_CSV, SAMPLE_CSV
from dbstate import large_csv, leads


def test_placeholders_match_whole_values_in_any_case(con):
    sql = Sql(("N/A", "(blank)", "-- select --", "?"))
    values = ["n/a", "N/A", "(Blank)", "-- Select --", "?", "", "n/ab", "blank", "x?", "NA"]
    query = f"SELECT {sql.is_placeholder('v')} FROM (SELECT ? AS v)"
    got = [con.execute(query, [v]).fetchone()[0] for v in values]
    assert got == [True, True, True, True, True, False, False, False, False, False]


def test_the_profile_measures_what_the_plan_needs(con):
    """The one query over the sample's distinct values also tells which numeric columns
    hold counts, which slash dates are day first, and which columns are written plainly
    enough for DuckDB's own parser."""
    con.execute(
        "CREATE TEMP TABLE _sample AS SELECT * FROM (VALUES "
        "('3', '12%', ' 4', '1.5', '2025-01-31', '31/01/2025', '01/31/2025', 'No'), "
        "('0', '7%', '5', '2', '2025-02-01 10:00', '15/02/2025', '02/15/2025', 'yes'), "
        "('n/a', '1%', '6', '3', 'n/a', NULL, '03/01/2025', 'No'), "
        "('3', '1%', '6', '3', '2025-02-01', NULL, NULL, 'Yes')) "
        "t(visits, rate, padded, frac, iso, dmy, mdy, demo)")
    names = ["visits", "rate", "padded", "frac", "iso", "dmy", "mdy", "demo"]
    stats = {s.name: s for s in profile_columns(con, names, Sql(PLACEHOLDERS), 4)}
    assert [stats[c].counts for c in names[:4]] == [True, False, True, False]
    assert [stats[c].not_plain for c in names[:4]] == [1, 4, 1, 0]
    assert stats["iso"].not_iso == 1 and stats["dmy"].not_iso == 2
    assert [stats[c].day_first for c in ("iso", "dmy", "mdy")] == [False, True, False]
    assert stats["visits"].numeric == 3 and stats["visits"].present == 3
    assert stats["demo"].flag_spellings == ("No", "Yes", "yes")  # commonest first


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


def test_row_numbers_follow_the_file_on_a_file_read_in_parallel(con, tmp_path):
    """Example rows and the duplicate that wins rest on the rows being stored in file
    order; a file this size is read and written by both threads in parallel."""
    rows = 1_000_000  # 30 MB: at 400,000 rows the bug this guards against did not show
    path = tmp_path / "many.csv"
    with open(path, "w") as fh:
        fh.write("lead_id,status,industry,visits,demo_request\n")
        for i in range(1, rows + 1):
            industry = "Select" if i % 50_000 == 7 else ("Retail", "Software")[i % 2]
            fh.write(f"L{i:07d},{('won', 'lost')[i % 2]},{industry},{i % 9},"
                     f"{('Yes', 'No')[i % 3 == 0]}\n")
        fh.write("L0000003,lost,Retail,5,No\n")  # a later duplicate of row 3
    report = ingest(con, path)
    placeholders = next(i for i in report.issues if i.column == "industry")
    assert placeholders.count == 20 and placeholders.rows == [7, 50_007, 100_007, 150_007,
                                                              200_007]
    duplicate = next(i for i in report.issues if i.column == "lead_id")
    assert duplicate.rows == [3, rows + 1]
    stored = [r[0] for r in con.execute("SELECT lead_id FROM leads ORDER BY rowid").fetchall()]
    assert stored[:3] == ["L0000001", "L0000002", "L0000004"] and stored[-1] == "L0000003"
    assert stored[2:-1] == sorted(stored[2:-1]), "stored in file order"
    assert leads(con).loc["L0000003", "visits"] == 5, "the last row of a duplicate wins"


def _load(con, path, outcome, monkeypatch=None, text_only=False):
    """Ingest, optionally with every column read as text (no native-type fast path)."""
    if text_only:
        monkeypatch.setattr(cleaning, "_fast_types", lambda *args: {})
    report = ingest(con, path, outcome=outcome, replace=True)
    rows = con.execute("SELECT * FROM leads ORDER BY lead_id").fetchall()
    return [str(i) for i in report.issues], rows


def test_native_types_give_the_same_leads_and_issues_as_text(tmp_path, monkeypatch):
    for source, outcome in ((SAMPLE_CSV, None), (BANK_CSV, "y")):
        fast = _load(store.connect(tmp_path / f"fast-{source.name}.duckdb"), source, outcome)
        text = _load(store.connect(tmp_path / f"text-{source.name}.duckdb"), source, outcome,
                     monkeypatch, text_only=True)
        assert fast == text, source.name
        monkeypatch.undo()


def test_a_value_the_sample_missed_falls_back_to_text(con, write_csv, small_sample):
    late = {3990: "L3990,won,Retail,N/A,ok", 3995: 'L3995,lost,Software,"1,200",ok'}
    report = ingest(con, write_csv(large_csv(4000, late)))
    found = {(i.column, i.kind): i for i in report.issues}
    assert found["visits", "placeholder values"].rows == [3990]
    assert found["visits", "values with separators or symbols (1,200 / 35% / $)"].rows == [3995]
    assert leads(con).loc["L3995", "visits"] == 1200 and report.rows_loaded == 4000


def test_parquet_numbers_and_timestamps_are_checked_as_read(con, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "lead_id": ["a", "b", "c", "d"], "status": ["won", "lost", "lost", "open"],
        "created_at": pa.array([dt.datetime(2025, 1, 2), dt.datetime(1980, 5, 5),
                                dt.datetime(2099, 1, 1), None]),
        "visits": pa.array([3.0, float("nan"), -2.0, None]),  # NaN as written by numpy
        "employees": pa.array([10, 20, 30, 40], pa.int32())})
    pq.write_table(table, tmp_path / "typed.parquet")
    report = ingest(con, tmp_path / "typed.parquet")
    found = {(i.column, i.kind): i.rows for i in report.issues}
    assert found == {("created_at", "dates before 1990"): [2],
                     ("created_at", "dates in the future"): [3],
                     ("visits", "placeholder values"): [2], ("visits", "negative counts"): [3]}
    stored = leads(con)
    assert stored["employees"].tolist() == [10, 20, 30, 40]
    assert stored["created_at"].isna().tolist() == [False, True, True, True]
    assert stored["visits"].isna().tolist() == [False, True, True, True]


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


@pytest.mark.parametrize("combinations", [10_000, 0], ids=["grouped", "in_sql"])
def test_every_columns_issues_are_counted_when_the_codes_fill_several_words(
        con, tmp_path, monkeypatch, combinations):
    """Each column's codes take a few bits of a 64-bit word; with 24 count columns that can
    be negative, fractional, decorated or a placeholder they spill into three words, and
    every column must still get exactly its own issues and rows, counted from the words'
    combinations or, when there are too many of them, by one aggregate per check."""
    monkeypatch.setattr(cleaning, "MAX_STATE_COMBINATIONS", combinations)
    n_cols, rows = 24, 200
    path = tmp_path / "wide.csv"
    names = [f"clicks_{j:02d}" for j in range(n_cols)]
    with open(path, "w") as fh:
        fh.write("lead_id,status," + ",".join(names) + "\n")
        for r in range(1, rows + 1):
            cells = []
            for j in range(n_cols):
                # Column j: a placeholder on row j+1, a negative on row j+2, a fraction on
                # row j+3, a separator on row j+4 (a different row set per column).
                cells.append({j + 1: "N/A", j + 2: "-3", j + 3: "2.5", j + 4: '"1,200"'}
                             .get(r, str(r % 7)))
            fh.write(f"L{r},{('won', 'lost')[r % 2]}," + ",".join(cells) + "\n")
    report = ingest(con, path)
    got = {(i.column, i.kind.split(" ")[0]): (i.count, i.rows) for i in report.issues}
    for j, name in enumerate(names):
        assert got[(name, "placeholder")] == (1, [j + 1])
        assert got[(name, "negative")] == (1, [j + 2])
        assert got[(name, "fractional")] == (1, [j + 3])
        assert got[(name, "values")] == (1, [j + 4])


def test_decorated_numbers_read_as_the_one_regexp_replace_would(con):
    """The percent and thousands fast paths are shortcuts: every value reads as the general
    rule (strip currency, %, commas and spaces from a decorated number) reads it."""
    values = ["35%", "-5%", "+5%", "5.50%", "5.%", ".5%", "35 %", "1,200", "-1,200.25",
              "12,34", "1,2345", "1,200,300", "$1,200", "€ 5", "£3.5", "1,200%", "%", "5%%",
              "1e3%", "0%", "007%", ",200", "1,200.", "abc", "", " 5%"]
    rule = (f"CASE WHEN regexp_full_match(v, '{_DECORATED_NUMBER}') "
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

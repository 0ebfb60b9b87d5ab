"""Property: any small table either fails with a clean InputError or loads every lead with
exactly the outcome counts of its labels (hostile names, messy cells, quoted delimiters)."""

from __future__ import annotations

import csv
import io
from collections import Counter

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from calibrate.data import store
from calibrate.data.ingest import ingest
from calibrate.data.outcomes import normalise
from calibrate.data.roles import guess_role
from calibrate.errors import InputError

LABELS = ["won", "Closed Won", "CLOSED WON", " converted ", "1", "yes", "lost", "Closed Lost",
          "closed_lost", "0", "no", "No Decision", "stalled", "open", "In Progress", ""]
CELLS = st.one_of(
    st.sampled_from(["", " ", "Select", "N/A", "-", "unknown", "null", "1,200", "35%",
                     "$1,200.50", "-3", "2.5", "=1+2", "+44 20", "@SUM(A1)", "-", "a\nb",
                     "a,b", "a;b", "a\tb", 'say "hi"', "Zürich ⚡", "2024-01-05",
                     "01/31/2025", "2099-01-01", "Yes", "no", "0", "12"]),
    st.integers(-5, 10_000).map(str),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
            max_size=8),
)
NAME = st.text(st.sampled_from(list("abcXY _-'\";,.()é⚡1")), min_size=1, max_size=10)


@st.composite
def tables(draw):
    """(header, rows, outcome column index, id column index or None)."""
    names = draw(st.lists(NAME, min_size=1, max_size=4, unique_by=lambda s: s.strip().lower()))
    # Attribute names that a role rule would claim (an id, a second outcome) change what
    # the property means; those roles get their own columns below.
    names = [n for n in names if guess_role(n)[0] not in ("lead_id", "outcome")]
    with_id = draw(st.booleans())
    header = ["outcome"] + (["lead_id"] if with_id else []) + names
    n = draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        row = [draw(st.sampled_from(LABELS))]
        if with_id:
            row.append(draw(st.sampled_from(["A", "B", "C", "D17", "x-1"])))
        row += [draw(CELLS) for _ in names]
        rows.append(row)
    order = draw(st.permutations(range(len(header))))
    header = [header[i] for i in order]
    rows = [[r[i] for i in order] for r in rows]
    return header, rows, header.index("outcome"), header.index("lead_id") if with_id else None


def expected(rows, outcome_col: int, id_col: int | None) -> Counter:
    """The outcome of each lead: every row, or the last row of each lead id."""
    kept = list({r[id_col]: r for r in rows}.values()) if id_col is not None else rows
    return Counter(normalise(r[outcome_col]) for r in kept)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(table=tables())
# Semicolons in a comma file's column name (unquoted by the csv module) once made the
# header's delimiter look like ';'.
@example(table=(["outcome", "a;;;b", "c"], [["won", "1", "x"], ["lost", "2", "y"]], 0, None))
def test_random_tables_load_exactly_or_fail_cleanly(table, tmp_path_factory):
    header, rows, outcome_col, id_col = table
    folder = tmp_path_factory.mktemp("prop")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = folder / "leads.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    con = store.connect(folder / "p.duckdb")
    try:
        try:
            report = ingest(con, path)
        except InputError as err:
            event(f"error: {err.what[:40]}")
            assert err.what and err.fix and str(path) in err.message
            assert not store.table_exists(con, "leads")  # nothing half-loaded
            return
        event("loaded")
        want = expected(rows, outcome_col, id_col)
        assert report.rows_loaded == sum(want.values()) == store.lead_count(con)
        assert report.rows_read == len(rows)
        got = Counter(dict(con.execute("SELECT outcome, count(*) FROM leads GROUP BY 1")
                           .fetchall()))
        assert got == want
        assert {k: v for k, v in report.outcome_counts.items() if v} == dict(want)
    finally:
        con.close()

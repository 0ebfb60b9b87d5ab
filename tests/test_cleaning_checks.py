"""Cleaning checks: every column's issues counted from the state words, grouped or in SQL."""

from __future__ import annotations

import pytest

from calibrate.data import cleaning_checks
from calibrate.data.ingest import ingest


@pytest.mark.parametrize("combinations", [10_000, 0], ids=["grouped", "in_sql"])
def test_every_columns_issues_are_counted_when_the_codes_fill_several_words(
        con, tmp_path, monkeypatch, combinations):
    """Each column's codes take a few bits of a 64-bit word; with 24 count columns that can
    be negative, fractional, decorated or a placeholder they spill into three words, and
    every column must still get exactly its own issues and rows, counted from the words'
    combinations or, when there are too many of them, by one aggregate per check."""
    monkeypatch.setattr(cleaning_checks, "MAX_STATE_COMBINATIONS", combinations)
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

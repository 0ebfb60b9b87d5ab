"""CSV dialect: the sniffed dialect pinned with DuckDB's defaults, no row taken for a comment."""

from __future__ import annotations

from pathlib import Path

import duckdb

from calibrate.data import readers, store
from calibrate.data.ingest import ingest
from calibrate.data.roles import mapping_from_dict

from dbstate import body, leads

#: Notes are free text, not stored unless a user keeps them: this test keeps them.
KEEP_NOTE = mapping_from_dict({"columns": {"note": {"role": "profile"}}})


def test_a_row_whose_first_cell_starts_with_a_hash_is_a_row(con, write_csv):
    report = ingest(con, write_csv("note,lead_id,outcome,visits\n,A,won,1\n#1,B,lost,2\n"),
                    mapping=KEEP_NOTE)
    assert report.rows_loaded == 2 and leads(con).loc["B", "note"] == "#1"
    assert store.lead_count(con) == 2


def test_normal_files_are_read_as_before(tmp_path: Path):
    """A file without title lines or long rows is read with DuckDB's defaults (skip 0, no
    raised row limit: DuckDB sizes its buffers from that limit)."""
    path = tmp_path / "leads.csv"
    path.write_text(body())
    cur = duckdb.connect()
    source = readers.open_source(cur, path, {})
    call = source.csv_read({})
    assert "skip = 0," in call and "max_line_size" not in call
    assert source.details == {"encoding": "utf-8"}

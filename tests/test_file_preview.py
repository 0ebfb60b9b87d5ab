"""File preview: guesses without storing, and the error when no outcome column is clear."""

from __future__ import annotations

from calibrate.data import store
from calibrate.data.file_preview import preview

from conftest import BANK_CSV
from dbstate import expect_error


def test_preview_guesses_without_storing(con):
    guesses = preview(BANK_CSV, outcome="y")
    assert {g.name: g.role for g in guesses}["pdays"] == "behavior"
    assert not store.table_exists(con, "leads")


def test_no_outcome_column(con, write_csv):
    err = expect_error(con, write_csv("id,visits,industry\n1,2,Retail\n"), "No outcome column")
    assert "--outcome" in err.fix and "industry" in err.fix

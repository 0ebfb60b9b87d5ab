"""Errors as each place shows them: the command line's words as raised; the app's with its
own fix (its controls, never a flag) and files by the names the user knows (no server path)."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import duckdb
import pytest

from calibrate.data.csv_failures import csv_error, long_row_error
from calibrate.data.csv_layout import Layout
from calibrate.data.file_preview import OutcomeNotFound
from calibrate.data.ingest import ingest
from calibrate.data.ingest_errors import duckdb_errors
from calibrate.errors import (
    APP,
    CLI,
    CalibrateError,
    DiskFullError,
    InputError,
    disk_full_error,
)

from dbstate import expect_error

BAD = Path(__file__).resolve().parent / "data" / "bad"
#: What the app never tells a user: a command-line flag, or a command to run.
CLI_WORDS = re.compile(r"(?<![\w-])--[a-z]|\bcalibrate (ingest|fit|score|export|backup|restore)")
KEPT = "/srv/calibrate/data/uploads/20261129-084457/leads.csv"


def app_text(err: CalibrateError) -> str:
    """The message as the app shows it, checked to hold no flag and no server folder."""
    shown = err.shown_in(APP).message
    assert not CLI_WORDS.search(shown), shown
    assert "/" not in (err.shown_in(APP).file or ""), shown
    return shown


def test_the_command_line_shows_an_error_as_raised():
    err = InputError("No outcome.", file=KEPT, fix="Name it with --outcome COLUMN.",
                     app_fix="Pick it in the list 'Outcome column'.")
    assert err.shown_in(CLI) is err
    assert err.message == f"No outcome. [file {KEPT}]\nHow to fix: Name it with --outcome COLUMN."


def test_the_app_shows_its_own_fix_and_the_name_the_file_was_uploaded_as():
    err = InputError(f"{KEPT} could not be read.", file=KEPT, column="status", rows=[3],
                     fix="Name it with --outcome COLUMN.",
                     app_fix="Pick it in the list 'Outcome column'.")
    shown = err.shown_in(APP, {KEPT: "Leads (Q3).csv"})
    assert type(shown) is InputError and shown is not err
    assert shown.message == ("Leads (Q3).csv could not be read. [file Leads (Q3).csv; column "
                             "'status'; row 3]\nHow to fix: Pick it in the list 'Outcome "
                             "column'.")
    assert str(shown) == shown.message and shown.shown_in(APP).message == shown.message
    assert err.file == KEPT and err.fix.startswith("Name it with --outcome")  # unchanged
    # Without a name for it, a path is shown by its file name; a fix the app does not word
    # its own way reads the same in both places.
    plain = CalibrateError("Bad.", file=KEPT, fix="Export it again.").shown_in(APP)
    assert plain.message == "Bad. [file leads.csv]\nHow to fix: Export it again."


def test_the_app_keeps_the_kind_and_details_of_an_error():
    found = OutcomeNotFound("No outcome column found.", [], file=KEPT, fix="--outcome",
                            app_fix="Pick it.").shown_in(APP)
    assert isinstance(found, OutcomeNotFound) and found.candidates == []
    full = disk_full_error(OSError(errno.ENOSPC, "No space left on device"), KEPT,
                           where=KEPT, outcome="Nothing was kept.",
                           fix="Free space, or pass --db.", app_fix="Ask for space.")
    shown = full.shown_in(APP, {KEPT: "Leads.csv"})
    assert isinstance(shown, DiskFullError) and shown.written == "Leads.csv"
    assert shown.message.startswith("The disk is full: Leads.csv could not be written (")
    assert shown.message.endswith("How to fix: Ask for space.") and "/srv" not in shown.message
    assert full.written == KEPT and "--db" in full.fix


@pytest.mark.parametrize("name", ["empty.csv", "header_only.csv", "no_outcome.csv",
                                  "unknown_labels.csv", "ragged.csv", "merged_header.xlsx",
                                  "csv_named.xlsx", "binary.csv", "zip_archive.csv"])
def test_every_failed_load_of_the_gallery_reads_in_the_app_without_flags_or_folders(
        con, name):
    with pytest.raises(InputError) as err:
        ingest(con, BAD / name)
    shown = app_text(err.value)
    assert f"[file {name}" in shown and str(BAD) not in shown and "How to fix: " in shown


def test_fixes_the_command_line_gives_as_flags_name_the_app_controls(con, write_csv):
    no_outcome = expect_error(con, write_csv("id,visits,industry\n1,2,Retail\n"),
                              "No outcome column")
    assert "--outcome COLUMN" in no_outcome.fix  # the command line's, as before
    assert "Pick the outcome column in the list 'Outcome column'" in app_text(no_outcome)

    emails = "lead_id,email,visits\n" + "".join(f"L{i},u{i}@x.com,{i % 7}\n"
                                                 for i in range(80))
    too_many = expect_error(con, write_csv(emails), "does not look like an outcome",
                            outcome="email")
    assert "--outcome COLUMN" in too_many.fix
    assert "Pick the right column in the list 'Outcome column'" in app_text(too_many)

    unknown = expect_error(con, write_csv("id,status,visits\n1,won,1\n2,Verbal Yes,1\n"
                                          "3,Verbal Yes,2\n"), "not recognised")
    assert "--mapping" in unknown.fix
    assert "Choose what 'Verbal Yes' and each other label means in step 2" in app_text(unknown)

    rows = range(1, 41)
    ingest(con, write_csv("id,status,visits\n" + "".join(
        f"{i},{'won' if i % 4 else 'lost'},{i % 6}\n" for i in rows)))
    other = expect_error(con, write_csv("id,status,industry\n" + "".join(
        f"{i},{'won' if i % 4 else 'lost'},{'Retail' if i % 2 else 'Bank'}\n" for i in rows),
        "other.csv"), "columns differ", replace=False)
    assert "Pass --replace" in other.fix
    assert "Untick 'Append to the leads already loaded (same columns)'" in app_text(other)


def test_read_failures_in_the_app_say_what_to_do_with_the_export(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("id,notes\n1," + "x" * 3000 + "\n", encoding="utf-8")
    long = long_row_error(path, {}, "utf-8", Layout(","), 1000, 3010)
    assert "--mapping" in long.fix and "Row 1" in long.what
    shown = app_text(long)
    assert "Shorten that cell in the export and upload it again" in shown
    assert "[read] max_line_size = 8388608" in shown

    ragged = csv_error(path, duckdb.InvalidInputException(
        "Invalid Input Error: Expected Number of Columns: 2 Found: 3\nLine: 4"))
    assert "stray delimiter" in app_text(ragged) and "upload the file again" in app_text(ragged)
    encoding = csv_error(path, duckdb.InvalidInputException("Invalid unicode in file"))
    assert "upload it again" in app_text(encoding) and "mapping file" not in app_text(encoding)

    for raised, words in ((duckdb.OutOfMemoryException("out of memory"), "'Append to the"),
                          (OSError(errno.ENOSPC, "No space left on device"),
                           "Ask whoever runs calibrate to free space")):
        with pytest.raises(CalibrateError) as err:
            with duckdb_errors(path):
                raise raised
        assert "--" in err.value.fix and words in app_text(err.value)

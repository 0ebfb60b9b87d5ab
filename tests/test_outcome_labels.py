"""Outcome labels: unknown ones listed with rows and a mapping example, late ones mapped
after the pass, too many refused before it, ignored ones left out."""

from __future__ import annotations

from calibrate.data.ingest import ingest
from calibrate.data.roles import mapping_from_dict

from dbstate import expect_error, large_csv, leads


def test_unknown_outcome_labels_are_listed_with_rows_and_a_mapping_example(con, write_csv):
    text = "id,status,visits\n1,won,1\n2,Verbal Yes,1\n3,Verbal Yes,2\n"
    err = expect_error(con, write_csv(text), "not recognised")
    assert "'Verbal Yes' (2 rows)" in err.what and err.rows == [2, 3] and err.column == "status"
    assert '[outcomes]' in err.fix and 'won = ["Verbal Yes"]' in err.fix


def test_unknown_labels_can_be_mapped(con, write_csv, tmp_path):
    (tmp_path / "m.toml").write_text('[outcomes]\nwon = ["Verbal Yes"]\n')
    report = ingest(con, write_csv("id,status,visits\n1,won,1\n2,Verbal Yes,1\n"),
                    mapping=tmp_path / "m.toml")
    assert report.outcome_counts["won"] == 2


def test_labels_the_sample_missed_are_mapped_or_reported_after_the_pass(
        con, write_csv, small_sample):
    """Labels are mapped while the file is read, from those of the sample; the rest are
    mapped once it is read, and an unknown one fails with its real count and rows."""
    late = {3990: "L3990,Closed Won,Retail,1,ok", 3995: "L3995,Stalled,Software,2,ok"}
    path = write_csv(large_csv(4000, late))
    report = ingest(con, path)
    stored = leads(con)
    assert stored.loc["L3990", "outcome"] == "won"
    assert stored.loc["L3995", "outcome"] == "no_decision"
    assert report.outcome_counts["won"] == 1 + sum(i % 3 == 0 for i in range(1, 4001)
                                                    if i not in late)
    late[3996] = "L3996,Verbal Yes,Retail,1,ok"
    late[3997] = "L3997,Verbal Yes,Retail,1,ok"
    err = expect_error(con, write_csv(large_csv(4000, late), "unknown.csv"), "not recognised")
    assert "'Verbal Yes' (2 rows)" in err.what and err.rows == [3996, 3997]


def test_an_outcome_column_with_too_many_values_is_refused_before_the_file_is_read(
        con, write_csv):
    text = "lead_id,email,visits\n" + "".join(f"L{i},u{i}@x.com,{i % 7}\n" for i in range(80))
    err = expect_error(con, write_csv(text), "does not look like an outcome",
                       outcome="email")
    assert "80 different values" in err.what and err.column == "email"


def test_labels_mapped_to_ignore_are_left_out_and_reported(con, write_csv):
    text = "lead_id,status,industry\n" + "".join(
        f"L{i},{label},{'Retail' if i % 2 else 'Bank'}\n"
        for i, label in enumerate(["Won", "Lost", "Duplicate", "Lost", "Duplicate"] * 20,
                                  start=1))
    mapping = mapping_from_dict({"outcomes": {"ignore": ["duplicate"]}})
    report = ingest(con, write_csv(text), mapping=mapping)
    assert report.rows_loaded == 60 and report.outcome_counts == {
        "won": 20, "lost": 40, "no_decision": 0, "open": 0}
    issue = report.issues[0]
    assert (issue.column, issue.count, issue.rows[:3], issue.action) == (
        "status", 40, [3, 5, 8], "not loaded")

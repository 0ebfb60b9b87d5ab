import pytest

from calibrate.errors import InputError
from calibrate.roles import (
    ColumnStats,
    guess_columns,
    guess_role,
    guess_type,
    load_mapping,
    mapping_from_dict,
    snake,
    unique_names,
)


@pytest.mark.parametrize(
    "name, role",
    [
        ("lead_id", "lead_id"), ("Lead ID", "lead_id"), ("status", "outcome"),
        ("Stage", "outcome"), ("converted", "outcome"), ("created_at", "created_at"),
        ("Close Date", "closed_at"), ("amount", "amount"), ("sales_team", "segment"),
        ("Email", "email"), ("phone", "phone"), ("Company", "company"),
        ("first_name", "first_name"), ("title", "profile"), ("Job Title", "profile"),
        ("industry", "profile"), ("country", "profile"), ("employees", "profile"),
        ("Annual Revenue", "profile"), ("visits", "behavior"), ("page_views", "behavior"),
        ("email_clicks", "behavior"), ("webinars_attended", "behavior"),
        ("demo_request", "behavior"), ("last_activity", "behavior"),
        ("duration", "behavior"), ("emp.var.rate", None),
    ],
)
def test_roles_are_guessed_from_names(name, role):
    assert guess_role(name)[0] == role


def stats(name, present=100, distinct=10, numeric=0, flag=0, date=0):
    return ColumnStats(name, 100, present, distinct, numeric, flag, date)


def test_types_are_guessed_from_values():
    assert guess_type(stats("x", distinct=2, flag=100))[0] == "flag"
    assert guess_type(stats("x", distinct=40, numeric=97))[0] == "numeric"
    assert guess_type(stats("x", distinct=40, date=100))[0] == "date"
    assert guess_type(stats("x", distinct=8))[0] == "categorical"
    assert guess_type(ColumnStats("x", 10_000, 10_000, 9_000, 0, 0, 0))[0] == "text"


def test_guess_columns_renames_special_roles_and_keeps_one_of_each():
    guesses = guess_columns([stats("Status"), stats("stage"), stats("Visits", numeric=100)])
    assert [(g.name, g.role) for g in guesses] == [
        ("outcome", "outcome"), ("stage", "profile"), ("Visits", "behavior")]


def test_outcome_argument_and_mapping_override_the_guess():
    mapping = mapping_from_dict({"columns": {"Visits": {"role": "profile", "type": "categorical"}}})
    guesses = guess_columns(
        [stats("status"), stats("y", distinct=2, flag=100), stats("Visits", numeric=100)],
        mapping, outcome="y")
    by = {g.source_name: g for g in guesses}
    assert by["y"].role == "outcome"
    assert by["status"].role == "profile"
    assert (by["Visits"].role, by["Visits"].type) == ("profile", "categorical")
    assert "mapping" in by["Visits"].reason


def test_names_keep_the_headers_as_written_and_stay_distinct_without_case():
    assert snake('Page Views (30d)') == "page_views_30d"
    assert snake("Branche (Größe)") == "branche_grosse"
    assert snake("2024 spend") == "c_2024_spend"
    assert unique_names(["Branche (Größe)", " Lead Nr. ", "Sourcé 🚀"]) == [
        "Branche (Größe)", "Lead Nr.", "Sourcé 🚀"]
    assert unique_names(["Source", "source", "SOURCE", ""]) == [
        "Source", "source (2)", "SOURCE (3)", "Column 4"]
    assert unique_names(["outcome"], reserved=("Outcome",)) == ["outcome (2)"]


def test_mapping_file_errors_name_the_file_and_fix(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text("[columns.visits]\nrole = 'hot'\n")
    with pytest.raises(InputError) as err:
        load_mapping(bad)
    assert "Unknown role 'hot'" in str(err.value) and "m.toml" in str(err.value)
    assert "profile" in err.value.fix
    bad.write_text("[columns\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_mapping(bad)
    with pytest.raises(InputError, match="does not exist"):
        load_mapping(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="is a folder, not a file") as err:
        load_mapping(tmp_path)
    assert "--mapping" in err.value.fix
    bad.write_bytes(b"[columns.visits]\nrole = '\xe9'\n")
    with pytest.raises(InputError, match="not UTF-8 text") as err:
        load_mapping(bad)
    assert "UTF-8" in err.value.fix


def test_mapping_file_is_read(tmp_path):
    good = tmp_path / "m.toml"
    good.write_text(
        '[columns."Lead Status"]\nrole = "outcome"\n[outcomes]\nwon = ["Signed"]\n'
        '[placeholders]\nvalues = ["TBD"]\n[read]\ndelimiter = ";"\n')
    m = load_mapping(good)
    assert m.role_for("Lead Status") == "outcome"
    assert m.outcomes == {"won": ["Signed"]}
    assert m.placeholders == ["TBD"] and m.read == {"delimiter": ";"}

import pytest

from calibrate.data.roles import (
    ColumnStats,
    guess_columns,
    guess_role,
    guess_type,
    load_mapping,
    mapping_from_dict,
    snake,
    unique_names,
)
from calibrate.errors import InputError


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


def profiled(name, values, rows=None, numeric=False, changes=-1, flag=False):
    """ColumnStats of a column from its values (value -> rows), as the profile measures it."""
    present = sum(n for v, n in values.items() if v is not None)
    rows = rows or sum(values.values())
    top = tuple(sorted(((v, n) for v, n in values.items() if v is not None),
                       key=lambda t: (-t[1], t[0])))
    distinct = len({v.lower() for v in values if v is not None})
    nums = present if numeric else 0
    whole = sum(n for v, n in values.items() if numeric and v is not None
                and float(v).is_integer())
    return ColumnStats(name, rows, present, distinct, nums, present if flag else 0, 0,
                       whole=whole, top=top[:60], changes=changes)


def by_source(guesses):
    return {g.source_name: g for g in guesses}


def test_identifiers_empty_and_constant_columns_are_not_scored():
    n = 400
    guesses = by_source(guess_columns([
        profiled("Lead Number", {str(600_000 + i): 1 for i in range(n)}, numeric=True),
        profiled("Prospect ID", {f"7927b2df-8bba-4d29-b9a2-{i:012d}": 1 for i in range(n)}),
        profiled("Converted", {"1": 100, "0": 300}, numeric=True),
        profiled("Magazine", {"No": n}, flag=True),
        profiled("Custom Field 1", {None: n}),
        profiled("Total Time Spent on Website", {str(i * 7): 1 for i in range(n)},
                 numeric=True),
        profiled("Lead Source", {"Google": 200, "google": 20, "Direct": 180}),
    ]))
    assert guesses["Lead Number"].role == "lead_id"  # named like an id: the lead id
    assert guesses["Prospect ID"].role == "ignore"
    assert "identifier" in guesses["Prospect ID"].reason
    assert guesses["Magazine"].role == "ignore" and "same value" in guesses["Magazine"].reason
    assert guesses["Custom Field 1"].role == "ignore" and "empty" in guesses[
        "Custom Field 1"].reason
    # a measure with many values stays an attribute, whatever its spread
    assert guesses["Total Time Spent on Website"].role in ("profile", "behavior")
    assert guesses["Lead Source"].role == "profile"
    assert guesses["Converted"].role == "outcome"


def test_at_the_identifier_cut_point():
    """98% distinct is an identifier; one duplicate more is not."""
    at = {str(i): 1 for i in range(98)} | {"x": 2}  # 99 distinct in 100 rows
    below = {str(i): 1 for i in range(96)} | {"x": 4}  # 97 distinct in 100 rows
    assert guess_columns([profiled("tag", at)])[0].role == "ignore"
    assert guess_columns([profiled("tag", below)])[0].role == "profile"
    edge = {str(i): 1 for i in range(96)} | {"x": 2, "y": 2}  # exactly 98 in 100
    assert guess_columns([profiled("tag", edge)])[0].role == "ignore"


def test_a_contact_role_needs_values_that_look_like_it():
    guesses = by_source(guess_columns([
        profiled("Do Not Email", {"No": 380, "Yes": 20}, flag=True),
        profiled("Phone", {"Yes": 200, "No": 200}, flag=True),
        profiled("Work Email", {f"a{i}@corp.com": 1 for i in range(300)}),
    ]))
    assert guesses["Do Not Email"].role in ("profile", "behavior")
    assert "values are not" in guesses["Do Not Email"].reason
    assert guesses["Phone"].role == "profile"
    assert guesses["Work Email"].role == "email"


def test_e_mail_addresses_under_any_name_feed_the_rules():
    guesses = by_source(guess_columns([
        profiled("Kontakt", {f"a{i}@firma.de": 1 for i in range(300)})]))
    assert guesses["Kontakt"].role == "email"


def test_a_rate_that_changes_only_with_the_month_is_suggested_ignore():
    values = {"1.1": 200, "-1.8": 200, "1.4": 200}
    # 600 rows in file order: the value changes 2 times (2 / 600 < 2%)
    rate = guess_columns([profiled("emp.var.rate", values, numeric=True, changes=2)])[0]
    assert rate.role == "ignore" and "time of contact" in rate.reason
    # at the cut point: 12 changes in 600 rows is 2%, no longer below it
    kept = guess_columns([profiled("emp.var.rate", values, numeric=True, changes=12)])[0]
    assert kept.role == "profile"


def test_the_outcome_is_found_by_values_over_names():
    guesses = by_source(guess_columns([
        profiled("Elapsed Days In Sales Stage", {str(i): 5 for i in range(80)}, numeric=True),
        profiled("Opportunity Result", {"Won": 100, "Loss": 300}),
        profiled("Supplies Group", {"Car Accessories": 200, "Performance": 200}),
    ]))
    assert guesses["Opportunity Result"].role == "outcome"
    assert guesses["Elapsed Days In Sales Stage"].role in ("profile", "behavior")


def test_a_lone_yes_no_flag_is_not_taken_as_the_outcome():
    guesses = guess_columns([profiled("demo_request", {"Yes": 100, "No": 300}, flag=True),
                             profiled("industry", {"Retail": 200, "Bank": 200})])
    assert "outcome" not in {g.role for g in guesses}
    named = guess_columns([profiled("y", {"yes": 100, "no": 300}, flag=True),
                           profiled("housing", {"yes": 200, "no": 200}, flag=True)])
    assert [g.role for g in named] == ["outcome", "profile"]


def test_an_attribute_named_like_an_internal_column_steps_aside():
    guesses = guess_columns([profiled("Outcome", {"Won": 100, "Lost": 300}),
                             profiled("OUTCOME", {"a": 200, "b": 200})])
    assert [(g.name, g.role) for g in guesses] == [
        ("outcome", "outcome"), ("OUTCOME (2)", "profile")]


def test_a_mapping_round_trips_through_its_toml(tmp_path):
    from calibrate.data.roles import mapping_to_toml

    mapping = mapping_from_dict({
        "columns": {"Lead Status": {"role": "outcome"}, "Größe (€)": {"type": "numeric"}},
        "outcomes": {"won": ["Signed"], "ignore": ["Duplicate"]},
        "placeholders": {"values": ["TBD"]}, "read": {"delimiter": ";"}})
    path = tmp_path / "m.toml"
    path.write_text(mapping_to_toml(mapping), encoding="utf-8")
    assert load_mapping(path) == mapping

"""Choices remembered per file layout, the mapping a user's choices make, and the roles a
user changed."""

from __future__ import annotations

from calibrate.data import store
from calibrate.data.mappings import (
    changed_roles,
    columns_key,
    mapping_from_choices,
    save_mapping,
    saved_mapping,
)
from calibrate.data.roles import load_mapping


def test_the_same_columns_in_any_order_and_case_share_their_choices(tmp_path):
    assert columns_key(["Lead ID", "Status"]) == columns_key([" status", "lead id"])
    assert columns_key(["Lead ID", "Status"]) != columns_key(["Lead ID", "Stage"])
    con = store.connect(tmp_path / "c.duckdb")
    mapping = mapping_from_choices(
        [{"column": "Title", "role": "profile", "type": "categorical"},
         {"column": "Visits", "role": "behavior", "type": "numeric"}],
        "Stage", {"won": ["Closed Won"], "ignore": ["Duplicate"]}, load_mapping(None))
    save_mapping(con, ["Title", "Visits", "Stage"], mapping)
    found = saved_mapping(con, ["stage", "title", "visits"])
    assert saved_mapping(con, ["Title", "Visits"]) is None  # other columns: nothing saved
    con.close()
    assert found is not None
    back, saved_at = found
    assert saved_at
    assert back.role_for("Stage") == "outcome" and back.role_for("Visits") == "behavior"
    assert back.type_for("Title") == "categorical"
    assert back.outcomes == {"won": ["Closed Won"], "ignore": ["Duplicate"]}


def test_only_the_roles_a_user_changed_are_changes():
    shown = [{"name": "title", "role": "profile"}, {"name": "visits", "role": "behavior"},
             {"name": "notes", "role": "ignore"}]
    edited = [{"name": "title", "role": "profile"}, {"name": "visits", "role": "ignore"},
              {"name": "notes", "role": "profile"}]
    assert changed_roles(shown, shown) == {}
    assert changed_roles(shown, edited) == {"visits": "ignore", "notes": "profile"}

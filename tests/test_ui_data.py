"""The Data screen under AppTest: sample, upload with roles, clear errors, role edits."""

from __future__ import annotations

from calibrate import store

from apptest import assert_clean, metric, page

CSV = ("lead_id,status,industry,page_views,demo_request\n"
       + "".join(f"{i},{'won' if i % 5 == 0 else 'lost'},{'Software' if i % 2 else 'Retail'},"
                 f"{i % 7},{'Yes' if i % 9 == 0 else 'No'}\n" for i in range(200)))


def test_empty_database_invites_a_load(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    at = page("data")
    assert "No leads loaded yet" in at.info[0].value


def test_loaded_sample_shows_its_quality(sample_db):
    at = page("data")
    assert metric(at, "Leads") == "50k"
    assert metric(at, "Won") == "2k"
    assert any(df.value.shape[0] > 5 for df in at.dataframe)  # the auto-rules table


def test_upload_shows_the_guess_and_loads(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    at = page("data")
    at.file_uploader[0].upload("leads.csv", CSV.encode(), "text/csv").run()
    assert_clean(at)
    roles = at.data_editor[0].value.set_index("source_name")["role"].to_dict()
    assert roles == {"lead_id": "lead_id", "status": "outcome", "industry": "profile",
                     "page_views": "behavior", "demo_request": "behavior"}
    at.button(key="load_upload").click().run()
    assert_clean(at)
    assert "Loaded 200 leads" in at.success[0].value
    con = store.connect(tmp_path / "x.duckdb")
    assert store.lead_count(con) == 200
    con.close()


def test_a_bad_upload_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    at = page("data")
    at.file_uploader[0].upload("leads.csv", b"id,visits\n1,2\n", "text/csv").run()
    at.button(key="load_upload").click().run()
    assert_clean(at)
    assert "No outcome column found" in at.error[0].value
    assert "How to fix" in at.error[0].value


def test_roles_can_be_moved_in_the_app(sample_db):
    at = page("data")
    editor = at.data_editor[0]
    names = list(editor.value["name"])
    row = names.index("career_page_views")
    at.session_state[editor.key] = {"edited_rows": {row: {"role": "ignore"}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="apply_roles").click().run()
    assert_clean(at)
    con = store.connect(sample_db)
    roles = {c.name: c.role for c in store.read_columns(con)}
    con.close()
    assert roles["career_page_views"] == "ignore"

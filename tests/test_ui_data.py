"""The Data screen under AppTest: sample, upload with roles, clear errors, role edits."""

from __future__ import annotations

from calibrate.data import store

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


def editor(at, key_start: str):
    """The data editor whose widget key starts with ``key_start``."""
    return next(e for e in at.data_editor if e.key.startswith(key_start))


def test_upload_shows_the_guess_and_loads(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    at = page("data")
    at.file_uploader[0].upload("leads.csv", CSV.encode(), "text/csv").run()
    assert_clean(at)
    assert next(sb for sb in at.selectbox if sb.label == "Outcome column").value == "status"
    assert any("mapping file" in b.proto.label for b in at.get("download_button"))
    labels = editor(at, "labels_").value.set_index("label")
    assert labels.loc["lost", "rows"] == 160 and labels.loc["won", "becomes"] == "won"
    roles = editor(at, "roles_").value.set_index("column")["role"].to_dict()
    assert roles == {"lead_id": "lead_id", "industry": "profile",
                     "page_views": "behavior", "demo_request": "behavior"}
    at.button(key="load_upload").click().run()
    assert_clean(at)
    assert "Loaded 200 leads" in at.success[0].value
    con = store.connect(tmp_path / "x.duckdb")
    assert store.lead_count(con) == 200
    con.close()


UNKNOWN = ("Lead Status,Branche (Größe),Seitenaufrufe\n" + "".join(
    f"{['Verbal Yes', 'Went dark', 'Lost', 'Lost'][i % 4]},"
    f"{'Handel' if i % 2 else 'Bank'},{i % 7}\n"
    for i in range(200)))


def test_unknown_labels_are_mapped_in_the_app_remembered_and_downloadable(
        tmp_path, monkeypatch):

    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    at = page("data")
    at.file_uploader[0].upload("crm.csv", UNKNOWN.encode(), "text/csv").run()
    assert_clean(at)
    assert any("Choose what 2 labels mean" in w.value for w in at.warning)
    assert at.button(key="load_upload").disabled
    labels = editor(at, "labels_")
    order = list(labels.value["label"])
    at.session_state[labels.key] = {"edited_rows": {
        order.index("Verbal Yes"): {"becomes": "won"},
        order.index("Went dark"): {"becomes": "ignore (not loaded)"}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    assert_clean(at)
    assert not at.button(key="load_upload").disabled
    at.button(key="load_upload").click().run()
    assert_clean(at)
    assert "Loaded 150 leads from crm.csv" in at.success[0].value  # 50 "Went dark" left out
    con = store.connect(tmp_path / "x.duckdb")
    assert dict(con.execute("SELECT outcome, count(*) FROM leads GROUP BY 1").fetchall()) == {
        "won": 50, "lost": 100}
    names = [c.source_name for c in store.read_columns(con)]
    con.close()
    assert "Branche (Größe)" in names and "Seitenaufrufe" in names

    # The next upload with the same columns starts from the saved choices.
    at = page("data")
    at.file_uploader[0].upload("crm-december.csv", UNKNOWN.encode(), "text/csv").run()
    assert_clean(at)
    assert any("Using the choices saved on" in i.value for i in at.info)
    labels = editor(at, "labels_").value.set_index("label")["becomes"].to_dict()
    assert labels["Verbal Yes"] == "won" and labels["Went dark"] == "ignore (not loaded)"
    assert not at.button(key="load_upload").disabled


def test_a_file_without_an_outcome_asks_for_it(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    at = page("data")
    at.file_uploader[0].upload("leads.csv", b"id,visits\n1,2\n", "text/csv").run()
    assert_clean(at)
    assert not at.error
    assert any("No column looks like an outcome" in w.value for w in at.warning)
    assert at.button(key="load_upload").disabled


def test_roles_can_be_moved_in_the_app(sample_db):
    at = page("data")
    editor = at.data_editor[0]
    names = list(editor.value["name"])  # "column" on screen
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

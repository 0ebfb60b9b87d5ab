"""The Data screen under AppTest: sample, upload with roles, clear errors, role edits."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from streamlit.testing.v1.element_tree import Block

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


# ------------------------------------------------------------------------------ issue 19


def test_the_upload_comes_first_without_switching_tabs(sample_db):
    at = page("data")
    shown = [n.type for n in at.main if not isinstance(n, Block)]
    assert shown[:3] == ["title", "subheader", "file_uploader"], shown
    assert shown.index("file_uploader") < shown.index("metric")  # above the loaded leads
    assert not at.tabs


def editor_heights(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[int, object]]:
    """The rows and height of each ``st.data_editor`` the page draws, by key."""
    import streamlit

    real, seen = streamlit.data_editor, {}

    def spy(data, *args, **kwargs):
        seen[kwargs.get("key")] = (len(data), kwargs.get("height"))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "data_editor", spy)
    return seen


def fits(rows: int, height: object) -> bool:
    """Whether a table of ``height`` pixels shows ``rows`` rows and its header at once."""
    return isinstance(height, int) and height >= 35 * (rows + 1)


WIDE = ("lead_id,status," + ",".join(f"attribute {j}" for j in range(58)) + "\n" + "".join(
    f"{i},{'won' if i % 5 == 0 else 'lost'}," + ",".join(f"v{(i + j) % 3}" for j in range(58))
    + "\n" for i in range(200)))


def test_the_role_tables_show_every_row(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    seen = editor_heights(monkeypatch)
    at = page("data")
    at.file_uploader[0].upload("wide.csv", WIDE.encode(), "text/csv").run()
    assert_clean(at)
    rows, height = next(v for k, v in seen.items() if k.startswith("roles_"))
    assert rows == 59 and fits(rows, height), height  # every column but the outcome
    at.button(key="load_upload").click().run()
    assert_clean(at)
    rows, height = next(v for k, v in seen.items() if k.startswith("attr_roles_"))
    assert rows == 58 and fits(rows, height), height


def app_error(at, tmp_path) -> str:
    """The one error on the page, checked to be worded for the app: no flag, no folder."""
    assert_clean(at)
    (error,) = [e.value for e in at.error]
    assert " --" not in error and "calibrate ingest" not in error, error
    assert str(tmp_path) not in error and "uploads" not in error, error
    assert "How to fix: " in error
    return error


STAGES = ("lead_id,stage,industry\n" + "".join(
    f"{i},{['won', 'lost'][i % 2] if i < 100 else f'stage {i % 53}'},"
    f"{'Retail' if i % 3 else 'Bank'}\n" for i in range(200)))


def test_an_upload_without_a_clear_outcome_is_told_to_pick_it_in_the_list(
        tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    at = page("data")
    at.file_uploader[0].upload("Pipeline (Q3).csv", STAGES.encode(), "text/csv").run()
    assert_clean(at)
    choice = next(sb for sb in at.selectbox if sb.label == "Outcome column")
    assert choice.value is None
    choice.set_value("stage").run()
    labels = editor(at, "labels_")
    order = list(labels.value["label"])
    assert len(order) == 55
    at.session_state[labels.key] = {"edited_rows": {
        i: {"becomes": "lost"} for i, label in enumerate(order) if label.startswith("stage")},
        "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="load_upload").click().run()
    error = app_error(at, tmp_path)
    assert "does not look like an outcome" in error and "[file Pipeline (Q3).csv;" in error
    assert "How to fix: Pick the right column in the list 'Outcome column'" in error


def test_a_refused_append_names_the_uploaded_file_and_the_app_control(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    at = page("data")
    at.file_uploader[0].upload("leads.csv", CSV.encode(), "text/csv").run()
    at.button(key="load_upload").click().run()
    assert_clean(at)
    other = CSV.replace("page_views", "visits")
    at.file_uploader[0].upload("December export.csv", other.encode(), "text/csv").run()
    at.checkbox(key="append").check().run()
    at.button(key="load_upload").click().run()
    error = app_error(at, tmp_path)
    assert error.startswith("The file's columns differ from the leads already loaded")
    assert "[file December export.csv]" in error
    assert f"How to fix: Untick '{at.checkbox(key='append').label}'" in error


def test_an_upload_is_removed_once_loaded_or_left(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    uploads = tmp_path / "uploads"
    at = page("data")

    def kept() -> list[str]:
        return sorted(p.name for p in uploads.rglob("*") if p.is_file())

    at.file_uploader[0].upload("first.csv", CSV.encode(), "text/csv").run()
    assert kept() == [".gitignore", "first.csv"]
    at.file_uploader[0].clear().run()  # removed from the uploader
    assert kept() == [".gitignore"]
    at.file_uploader[0].upload("second.csv", CSV.encode(), "text/csv").run()
    at.file_uploader[0].upload("leads.csv", CSV.encode(), "text/csv").run()  # another file
    assert kept() == [".gitignore", "leads.csv"]
    at.button(key="load_upload").click().run()
    assert_clean(at)
    assert "Loaded 200 leads from leads.csv" in at.success[0].value
    assert kept() == [".gitignore"] and [p.name for p in uploads.iterdir()] == [".gitignore"]
    assert at.file_uploader[0].value is None  # the uploader starts afresh
    con = store.connect(tmp_path / "x.duckdb")
    assert store.lead_count(con) == 200
    con.close()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_uploads_folder_is_git_ignored_wherever_the_database_is(tmp_path, monkeypatch):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "elsewhere" / "x.duckdb"))
    at = page("data")
    at.file_uploader[0].upload("leads.csv", CSV.encode(), "text/csv").run()
    assert_clean(at)
    status = subprocess.run(["git", "-C", str(tmp_path), "status", "--porcelain",
                             "--untracked-files=all"], capture_output=True, text=True,
                            check=True).stdout
    assert (tmp_path / "elsewhere" / "uploads" / ".gitignore").exists()
    assert "uploads" not in status, status

"""Optional passphrase: off by default, required and checked when configured."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from calibrate.ui.access import ENV, check

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_check_is_exact():
    assert check("open sesame", "open sesame")
    assert not check("open sesame ", "open sesame") and not check("", "x")


def test_no_passphrase_means_no_prompt(sample_db, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert not any(t.label == "Workshop passphrase" for t in at.text_input)
    assert any(m.label == "MQLs per month" for m in at.metric)


def test_passphrase_guards_the_app(sample_db, monkeypatch):
    monkeypatch.setenv(ENV, "tuesday-workshop")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not any(m.label == "MQLs per month" for m in at.metric)
    at.text_input(key="passphrase_input").input("wrong")
    at.button[0].click().run()
    assert "not right" in at.error[0].value
    at.text_input(key="passphrase_input").input("tuesday-workshop")
    at.button[0].click().run()
    assert not at.exception
    assert any(m.label == "MQLs per month" for m in at.metric)


# ------------------------------------------------------------------------------ sign-in

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32,
        "client_id": "calibrate", "client_secret": "secret",
        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}


def signed_in_app(user: dict | None = None, allowed: dict | None = None) -> AppTest:
    """The app with ``[auth]`` configured, as ``user`` (default: nobody signed in)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    if allowed is not None:
        at.secrets["calibrate"] = allowed
    if user is not None:
        at.user = user
    return at.run()


def nothing_behind(at: AppTest) -> None:
    """Only the gate: no page, no navigation, no uploader."""
    assert not at.exception
    assert not any(m.label == "MQLs per month" for m in at.metric)
    assert not at.file_uploader and not at.sidebar.button
    assert not any(t.label == "Workshop passphrase" for t in at.text_input)


def test_sign_in_configured_asks_to_log_in_and_shows_nothing_else(sample_db, monkeypatch):
    monkeypatch.setenv(ENV, "tuesday-workshop")  # sign-in wins over the passphrase
    at = signed_in_app()
    nothing_behind(at)
    assert [b.label for b in at.button] == ["Log in"]
    at = signed_in_app({"is_logged_in": False, "email": "ada@example.com"})
    nothing_behind(at)
    assert [b.label for b in at.button] == ["Log in"]


def test_a_signed_in_user_on_the_list_sees_the_app_and_can_log_out(sample_db, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    at = signed_in_app({"is_logged_in": True, "email": "ada@example.com", "name": "Ada"},
                       {"allowed_domains": ["example.com"]})
    assert not at.exception
    assert any(m.label == "MQLs per month" for m in at.metric)
    assert any(c.value == "Signed in as ada@example.com" for c in at.sidebar.caption)
    at.sidebar.button(key="logout").click().run()  # st.logout: the user is cleared
    at.run()
    nothing_behind(at)
    assert [b.label for b in at.button] == ["Log in"]


def test_a_signed_in_user_not_on_the_list_gets_a_message_only(sample_db):
    allowed = {"allowed_emails": ["ada@example.com"], "allowed_domains": ["partner.org"]}
    at = signed_in_app({"is_logged_in": True, "email": "*mallory*@elsewhere.org"}, allowed)
    nothing_behind(at)
    assert "is not on this workshop's list of participants" in at.error[0].value
    assert "\\*mallory\\*@elsewhere.org" in at.error[0].value  # shown as text, not markup
    assert [b.label for b in at.button] == ["Log out"]
    # An address the provider did not verify is not taken at its word.
    at = signed_in_app({"is_logged_in": True, "email": "bob@partner.org",
                        "email_verified": False}, allowed)
    nothing_behind(at)
    assert "not on this workshop's list" in at.error[0].value


def test_a_malformed_allow_list_lets_nobody_in(sample_db):
    at = signed_in_app({"is_logged_in": True, "email": "ada@example.com"},
                       {"allowed_domains": 5})
    nothing_behind(at)
    assert "allowed_domains in .streamlit/secrets.toml must be a list" in at.error[0].value
    assert "nobody can use the app" in at.error[0].value


# ---------------------------------------------------------------------------- uploads


def _gate_with_a_held_upload() -> None:
    """A script: put a file in this session's upload store, run the gate, report."""
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    from calibrate.ui import access

    ctx = get_script_run_ctx()
    ctx.uploaded_file_mgr.add_file(ctx.session_id,
                                   UploadedFileRec("f1", "leads.csv", "text/csv", b"x" * 4096))
    passed = access.gate()
    held = ctx.uploaded_file_mgr.get_files(ctx.session_id, ["f1"])
    st.write(f"passed {passed}, held {len(held)}")


def test_a_session_that_fails_the_gate_drops_its_uploads(monkeypatch):
    monkeypatch.setenv(ENV, "tuesday-workshop")
    at = AppTest.from_function(_gate_with_a_held_upload, default_timeout=30).run()
    assert not at.exception
    assert at.markdown[-1].value == "passed False, held 0"
    monkeypatch.delenv(ENV)
    at = AppTest.from_function(_gate_with_a_held_upload, default_timeout=30).run()
    assert at.markdown[-1].value == "passed True, held 1"


def test_the_data_page_keeps_to_the_upload_budget(tmp_path, monkeypatch):
    from calibrate.data import store

    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "x.duckdb"))
    monkeypatch.delenv(ENV, raising=False)
    at = AppTest.from_string("from calibrate.ui import data\ndata.render()\n",
                             default_timeout=120)
    at.secrets["calibrate"] = {"uploads_per_session": 2}
    at.run()
    csv = "lead_id,status,visits\n" + "".join(f"{i},{'won' if i % 3 else 'lost'},{i}\n"
                                              for i in range(50))
    for n in (1, 2):
        at.file_uploader[0].upload(f"leads-{n}.csv", csv.encode(), "text/csv").run()
        assert not at.exception and not at.error
    at.file_uploader[0].upload("leads-3.csv", csv.encode(), "text/csv").run()
    assert not at.exception
    assert at.error[0].value.startswith("This session has already uploaded 2 files")
    kept = sorted(p.name for p in (tmp_path / "uploads").rglob("*.csv"))
    assert "leads-3.csv" not in kept  # the refused one was not written

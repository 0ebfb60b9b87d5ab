"""Sign-in for a hosted workshop, end to end: the real app under ``streamlit run`` with an
``[auth]`` secrets section pointing at a real (tiny) OpenID Connect provider, driven in
headless Chromium; and what a client that has not signed in can make the server hold."""

from __future__ import annotations

import re
import secrets
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from browser import assert_no_exception, browser, free_port, streamlit_server, wait_idle
from oidc_provider import OIDCProvider, oidc_provider

pytestmark = pytest.mark.browser

MB = 1024 * 1024


class Hosted:
    """The running app, its provider and one Chromium profile."""

    def __init__(self, url: str, provider: OIDCProvider, ctx: object) -> None:
        self.url, self.provider, self.ctx = url, provider, ctx


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosted]:
    """The app with sign-in on (allowed: anyone at example.com) and a browser. Its database
    starts empty, so each page is quick to draw: these tests are about who gets in."""
    tmp = tmp_path_factory.mktemp("sign-in")
    db = tmp / "app.duckdb"
    port = free_port()
    with oidc_provider() as provider:
        secrets_toml = tmp / "secrets.toml"
        secrets_toml.write_text(f'''
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secrets.token_urlsafe(32)}"
client_id = "{provider.client_id}"
client_secret = "{provider.client_secret}"
server_metadata_url = "{provider.url}/.well-known/openid-configuration"

[calibrate]
allowed_domains = ["example.com"]
''')
        # Only this secrets file (not the repository's or ~/.streamlit's), no passphrase.
        env = {"STREAMLIT_SECRETS_FILES": str(secrets_toml), "CALIBRATE_PASSPHRASE": ""}
        with streamlit_server(db, env, port=port) as url, \
                browser(tmp / "profile", downloads=False) as ctx:
            yield Hosted(url, provider, ctx)


def signed_out(page) -> None:
    """The sign-in screen, and nothing of the app behind it."""
    page.get_by_role("button", name="Log in").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.locator("[data-testid=stFileUploader]").count() == 0
    assert page.locator("[data-testid=stSidebarNav]").count() == 0
    assert page.locator("[data-testid=stMetric]").count() == 0
    assert_no_exception(page)


def signed_in(page, email: str) -> None:
    """Back from the provider: the Thresholds page, its navigation and who is signed in."""
    page.get_by_role("heading", name="Thresholds: what is a sales-ready lead?").wait_for(
        timeout=60_000)
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text(f"Signed in as {email}").wait_for(timeout=30_000)
    assert sidebar.get_by_role("link", name="Data").count() == 1
    assert_no_exception(page)


def test_sign_in_shows_the_app_and_log_out_leaves_it(hosted: Hosted):
    page = hosted.ctx.new_page()
    page.goto(hosted.url)
    signed_out(page)

    issued = hosted.provider.tokens_issued
    page.get_by_role("button", name="Log in").click()  # to the provider and back
    signed_in(page, "ada@example.com")
    assert hosted.provider.tokens_issued == issued + 1
    assert page.url.rstrip("/") == hosted.url  # back on the app, not the callback

    page.locator("[data-testid=stSidebar]").get_by_role("button", name="Log out").click()
    signed_out(page)
    page.reload()  # the identity cookie is gone: a new session is signed out too
    signed_out(page)

    # Someone the provider knows, but who is not on the allow-list, gets a message only.
    ada = hosted.provider.user
    hosted.provider.user = {"sub": "u-2", "email": "mallory@elsewhere.org",
                            "email_verified": True, "name": "Mallory"}
    try:
        page.get_by_role("button", name="Log in").click()
        page.get_by_text("is not on this workshop's list of participants").wait_for(
            timeout=60_000)
        wait_idle(page)
        assert "mallory@elsewhere.org" in page.locator("[data-testid=stMain]").inner_text()
        assert page.locator("[data-testid=stMetric]").count() == 0
        assert page.locator("[data-testid=stSidebarNav]").count() == 0
        page.get_by_role("button", name="Log out").click()
        signed_out(page)
    finally:
        hosted.provider.user = ada
    page.close()


# ---------------------------------------------------- what the upload endpoint will keep


def watch_session_ids(page) -> list[str]:
    """Session ids the server gives this page, newest last (from its websocket messages)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ids: list[str] = []

    def frame(payload: bytes | str) -> None:
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            try:
                msg.ParseFromString(payload)
            except Exception:
                return
            if msg.HasField("new_session"):
                ids.append(msg.new_session.initialize.session_id)

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    return ids


def put_upload(hosted: Hosted, page, session_id: str, size: int) -> tuple[int, str]:
    """PUT a file straight to Streamlit's upload endpoint, as a script would; the status
    and the reply's text."""
    xsrf = next((c["value"] for c in hosted.ctx.cookies() if c["name"] == "_streamlit_xsrf"),
                "")
    response = page.request.put(
        f"{hosted.url}/_stcore/upload_file/{session_id}/{uuid.uuid4()}",
        multipart={"file": {"name": "leads.csv", "mimeType": "text/csv",
                            "buffer": b"x" * size}},
        headers={"X-Xsrftoken": xsrf})
    return response.status, response.text()


def held_upload_bytes(url: str) -> int:
    """Bytes Streamlit's upload store holds, from its own metrics endpoint."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics?families=cache_memory_bytes") as r:
        text = r.read().decode()
    found = re.search(r'cache_type="UploadedFileManager"[^}]*}\s+(\d+)', text)
    return int(found.group(1)) if found else 0


def test_a_session_that_has_not_signed_in_keeps_no_upload(hosted: Hosted):
    page = hosted.ctx.new_page()
    ids = watch_session_ids(page)
    page.goto(hosted.url)
    signed_out(page)
    anonymous = ids[-1]
    # Streamlit takes uploads from any live session; the gate's guard refuses them.
    for _ in range(2):
        status, text = put_upload(hosted, page, anonymous, 2 * MB)
        assert status == 403 and text.startswith("Sign in"), (status, text)

    page.get_by_role("button", name="Log in").click()
    signed_in(page, "ada@example.com")
    member = ids[-1]
    assert member != anonymous
    assert put_upload(hosted, page, member, MB)[0] == 204  # the same request, signed in
    # The store's own accounting (refreshed every 5 s) shows exactly the signed-in file:
    # none of the 4 MB sent before signing in was kept.
    held = 0
    for _ in range(100):
        held = held_upload_bytes(hosted.url)
        if held:
            break
        page.wait_for_timeout(200)
    assert held == MB
    # A signed-in session may hold three files at once, no more.
    assert put_upload(hosted, page, member, 1000)[0] == 204
    assert put_upload(hosted, page, member, 1000)[0] == 204
    status, text = put_upload(hosted, page, member, 1000)
    assert status == 413 and "holds as many uploads as it may" in text
    page.get_by_role("button", name="Log out").click()
    signed_out(page)
    page.close()

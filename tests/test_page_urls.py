"""Every page's URL opens that page in the real app (``streamlit run``, headless Chromium),
and the workshop sees no Deploy button or developer menu.

AppTest cannot open a URL: Streamlit resolves the page of a URL in the server, from the
path the browser sends, so this drives the real app. Issue 19: ``/thresholds`` said "Page
not found" (the default page is served at the root only, whatever its ``url_path``).
"""

from __future__ import annotations

import tomllib
import urllib.request
from pathlib import Path

import pytest

from browser import assert_no_exception, browser, streamlit_server, wait_idle

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"": "Thresholds: what is a sales-ready lead?",
         "thresholds": "Thresholds: what is a sales-ready lead?",
         "present": "What is a sales-ready lead?", "weights": "Weights", "data": "Data",
         "scenarios": "Scenarios", "export": "Export", "room": "Workshop room",
         "health": "Health"}

pytestmark = pytest.mark.browser


def test_the_toolbar_is_for_viewers():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "minimal"


def test_every_page_has_a_working_url(tmp_path):
    with streamlit_server(tmp_path / "empty.duckdb") as url, \
            browser(tmp_path / "profile", downloads=False) as ctx:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as r:
            assert r.read() == b"ok"
        page = ctx.new_page()
        for path, title in PAGES.items():
            page.goto(f"{url}/{path}")
            page.get_by_role("heading", name=title).wait_for(timeout=60_000)
            wait_idle(page, 60_000)
            assert page.get_by_text("Page not found").count() == 0, path
            assert_no_exception(page)
            want = "" if path == "thresholds" else path  # the workshop lives at the root
            assert page.url.rstrip("/") == f"{url}/{want}".rstrip("/"), (path, page.url)
            # Developers' tools stay out of the workshop's way, on localhost too.
            assert page.locator("[data-testid=stAppDeployButton]").count() == 0
            assert page.locator("[data-testid=stMainMenu]").count() == 0
        links = page.locator("[data-testid=stSidebarNav]").get_by_role("link")
        names = ["Thresholds", "Present", "Weights", "Data", "Scenarios", "Export", "Room",
                 "Health"]  # no hidden alias
        texts = links.all_inner_texts()
        assert len(texts) == len(names) and all(n in t for n, t in zip(names, texts,
                                                                         strict=True))

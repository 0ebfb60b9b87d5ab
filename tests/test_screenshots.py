"""Every page at 1920x1080, as a projector shows it, in the real app (``streamlit run``,
headless Chromium): it opens without an error, and its screenshot is the one in docs/ that
the README shows.

``make screenshots`` (``CALIBRATE_SCREENSHOTS=docs/screenshots``) takes them into docs/.
A plain ``make test`` checks only that docs/ and the README hold one for every page: every
page's opening in the browser is tested by ``test_page_urls.py`` (and Present's layout at
1920x1080 by ``test_ui_present.py``), so the suite does not take them twice.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, assert_no_exception, streamlit_server, wait_idle

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "screenshots"
SIZE = (1920, 1080)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (read here, not by the code that wrote it)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return struct.unpack(">II", head[16:24])


def page_paths() -> list[str]:
    """Each page's URL path as app.py registers it ("" for the workshop at the root)."""
    text = (ROOT / "app.py").read_text(encoding="utf-8")
    paths = re.findall(r'url_path="([^"]+)"(?![^)]*visibility="hidden")', text)
    return ["" if p == "workshop" else p for p in paths]


def shot_name(path: str) -> str:
    return f"{path or 'thresholds'}.png"


def test_every_page_has_a_screenshot_in_docs_and_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in page_paths():
        shot = DOCS / shot_name(path)
        assert shot.is_file(), f"{shot} missing: run make screenshots"
        assert png_size(shot) == SIZE, shot
        assert f"docs/screenshots/{shot.name}" in readme, shot.name


@pytest.mark.browser
@pytest.mark.skipif(not os.environ.get("CALIBRATE_SCREENSHOTS"),
                    reason="takes the README's screenshots: make screenshots")
def test_every_page_opens_at_1920_by_1080(sample_db, tmp_path):
    from playwright.sync_api import sync_playwright

    import calibrate

    out = Path(os.environ["CALIBRATE_SCREENSHOTS"])
    out.mkdir(parents=True, exist_ok=True)
    with calibrate.Workbench(sample_db, keep_backups=0) as wb:  # a workshop under way
        wb.save_scenario("Marketing proposal", 40, 30, reps=10, leads_per_rep=40,
                         author="Mia")
        wb.save_scenario("Sales proposal", 60, 50, reps=10, leads_per_rep=40, author="Sam")
        wb.agree("Sales proposal", by="VP Sales and VP Marketing")
    with streamlit_server(sample_db) as url, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": SIZE[0], "height": SIZE[1]})
        for path in page_paths():
            page.goto(f"{url}/{path}")
            page.locator("[data-testid=stMainBlockContainer] h1").first.wait_for(
                timeout=60_000)
            wait_idle(page, 60_000)
            # every element's code is fetched and drawn (no placeholder left), charts too
            page.wait_for_function(
                "() => !document.querySelector('[data-testid^=stSkeleton]')",
                timeout=60_000)
            page.wait_for_timeout(500)  # charts finish their first animation frame
            assert_no_exception(page)
            assert page.get_by_text("Page not found").count() == 0, path
            shot = out / shot_name(path)
            page.screenshot(path=str(shot))
            assert png_size(shot) == SIZE
        chromium.close()

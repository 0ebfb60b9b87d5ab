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
from dataclasses import dataclass
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
    """Each page's URL path as app.py registers it ("" for the workshop at the root). The
    workshop's page is made by ``calibrate.ui.thresholds.page()``, so its url_path is read
    there (app.py names only the hidden alias "thresholds")."""
    text = "\n".join((ROOT / name).read_text(encoding="utf-8")
                     for name in ("src/calibrate/ui/thresholds.py", "app.py"))
    paths = re.findall(r'url_path="([^"]+)"(?![^)]*visibility="hidden")', text)
    return list(dict.fromkeys("" if p == "workshop" else p for p in paths))


def shot_name(path: str) -> str:
    return f"{path or 'thresholds'}.png"


@dataclass(frozen=True)
class Shows:
    """What a page draws once it is complete, on the workshop the test sets up: its plotly
    charts (those in a tab not shown are drawn too) and its tables drawn on a canvas (a
    table in a closed expander or a tab not shown draws none)."""

    charts: int = 0
    tables: int = 0


#: Each page's charts and tables, by URL path; a page added to app.py needs its line.
SHOWS = {"": Shows(charts=4), "present": Shows(charts=1), "weights": Shows(charts=4, tables=1),
         "data": Shows(tables=2), "scenarios": Shows(tables=1), "export": Shows(),
         "room": Shows(), "health": Shows(charts=1, tables=1)}

#: In the page: how many charts and tables are drawn (a plotly chart is drawn once its
#: ``.main-svg`` is there; a dataframe once its canvas is), whether an element's code is
#: still loading (a skeleton in its place) and whether the fonts (the navigation's icons)
#: are in.
DRAWN = """() => ({
  charts: [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
    .filter(c => c.querySelector('.main-svg')).length,
  tables: [...document.querySelectorAll('[data-testid=stDataFrame]')]
    .filter(t => t.querySelector('canvas')).length,
  loading: !!document.querySelector('[data-testid^=stSkeleton]'),
  fonts: document.fonts.status === 'loaded'})"""


def wait_drawn(page, path: str, timeout: float = 60_000) -> None:
    """Wait until the page shows what :data:`SHOWS` says, with Streamlit idle.

    Why not a fixed pause: a session's first view draws its charts only after a timer's
    rerun (``calibrate.ui.state.charts_ready``), and plotly.js and each element's code
    arrive when the machine gets to them, so any fixed pause is too short on a busy machine
    (a screenshot without its charts) and too long on a quiet one."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    want = SHOWS[path]
    try:
        page.wait_for_function(
            f"([charts, tables]) => {{ const d = ({DRAWN})(); return d.charts >= charts"
            " && d.tables >= tables && !d.loading && d.fonts; }",
            arg=[want.charts, want.tables], timeout=timeout)
        wait_idle(page, timeout)  # the charts' rerun finished, nothing stale left
    except PlaywrightTimeout:
        pytest.fail(f"/{path} did not draw {want} within {timeout / 1000:.0f} s: "
                    f"{page.evaluate(DRAWN)}")
    drawn = page.evaluate(DRAWN)
    assert Shows(drawn["charts"], drawn["tables"]) == want, (path, drawn)
    assert not drawn["loading"], path


def test_every_page_has_a_screenshot_in_docs_and_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(page_paths()) == set(SHOWS)  # every page says what its screenshot waits for
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
            wait_drawn(page, path)
            assert_no_exception(page)
            assert page.get_by_text("Page not found").count() == 0, path
            shot = out / shot_name(path)
            page.screenshot(path=str(shot))
            assert png_size(shot) == SIZE
        chromium.close()

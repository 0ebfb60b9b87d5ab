"""Issue 19's start-up: the server opens what the first screen needs before anyone visits
(``st.App``'s lifespan, :mod:`calibrate.ui.serve`), a page view imports only its own page,
and a session's first view draws its figures before plotly.js is asked for."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.web.server.app_discovery import discover_asgi_app

from calibrate.ui import serve, state

from apptest import TIMEOUT, assert_clean
from browser import assert_no_exception, browser, streamlit_server, wait_idle

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
#: The pages a first view of the Thresholds page does not need.
OTHER_PAGES = ("present", "weights", "data", "scenarios", "export", "room", "health")


def test_streamlit_run_finds_the_app_with_its_start_up_hook():
    found = discover_asgi_app(APP)
    assert found.is_asgi_app and found.import_string == "app:app"
    # The page wiring runs as the script of each page view, never on import.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import app; "
            "print(type(app.app).__name__, app.app.script_path.name)")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["App", "app.py"]


def _restart() -> None:
    """Forget the process's workbench, as a new server would start without it."""
    shared = state.shared()
    state._shared.clear()
    shared.close()


def test_warming_opens_the_workbench_weights_and_grid_once(sample_db):
    state._shared.clear()
    try:
        steps = serve.warm()
        assert list(steps)[:4] == ["import the pages", "open the store",
                                   "the weights in force", "the count grid (built)"]
        shared = state.shared()
        assert state.shared() is shared  # the page views' workbench, kept by the process
        view = state.workbench()  # a page view's cursor finds the grid in memory
        assert view.grid() is shared.grid()
        view.close()
        _restart()  # the grid was kept in the file: a new start reads it
        assert "the count grid (stored)" in serve.warm()
    finally:
        _restart()


def test_warming_an_empty_or_unreadable_database_still_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("CALIBRATE_DB", str(tmp_path / "empty.duckdb"))
    state._shared.clear()
    try:
        assert list(serve.warm()) == ["import the pages", "open the store"]
        _restart()
        folder = tmp_path / "not-a-file.duckdb"
        folder.mkdir()  # DuckDB cannot open a folder: the page says so, the server starts
        monkeypatch.setenv("CALIBRATE_DB", str(folder))
        assert list(serve.warm()) == ["import the pages"]
    finally:
        state._shared.clear()


def test_a_page_that_does_not_import_leaves_the_others_warm(sample_db, monkeypatch):
    real = serve.importlib.import_module

    def broken(name: str):
        if name == "calibrate.ui.health":
            raise ImportError("half a file")
        return real(name)

    monkeypatch.setattr(serve.importlib, "import_module", broken)
    state._shared.clear()
    try:
        assert "the count grid (built)" in serve.warm()
    finally:
        _restart()


def test_a_page_view_imports_only_its_page(sample_db):
    """The first view imports the Thresholds page, not the others (the Data page's ingest
    modules alone take about a second): a page is imported on its first view. In a fresh
    process, as a server's first view."""
    code = ("import sys\n"
            "from streamlit.testing.v1 import AppTest\n"
            "at = AppTest.from_file(sys.argv[1], default_timeout=120).run()\n"
            "assert not at.exception, at.exception\n"
            "assert any(m.label == 'MQLs per month' for m in at.metric)\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('calibrate.'))))\n")
    done = subprocess.run([sys.executable, "-c", code, str(APP)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = set(done.stdout.split())
    assert {"calibrate.ui.thresholds", "calibrate.ui.sidebar"} <= loaded
    assert not loaded & {f"calibrate.ui.{p}" for p in OTHER_PAGES}
    assert not any(m.startswith(("calibrate.data.ingest", "calibrate.data.readers"))
                   for m in loaded)


# ------------------------------------------------------------- charts after the figures


def test_a_first_view_draws_the_figures_and_keeps_the_charts_place(sample_db):
    at = AppTest.from_string("from calibrate.ui import thresholds\nthresholds.render()\n",
                             default_timeout=TIMEOUT).run()
    assert_clean(at)
    assert any(m.label == "MQLs per month" for m in at.metric)
    assert not at.get("plotly_chart")  # plotly.js would hold the figures back
    at.session_state[state.CHARTS] = True  # the timer's rerun (or a later view)
    at.run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 4


@pytest.mark.browser
def test_the_real_app_shows_the_figures_then_its_charts(sample_db, tmp_path):
    """Opened fresh: the figures, then (a moment later, by the timer) the four charts.
    Then the Weights page, opened from the navigation: its points table first, its charts
    and sections by the timer; on a later visit, all of it at once."""
    db = tmp_path / "served.duckdb"
    shutil.copy(sample_db, db)
    with streamlit_server(db) as url, \
            browser(tmp_path / "profile", downloads=False) as ctx:
        log = db.with_suffix(".server.log").read_text()
        assert re.search(r"calibrate: ready at start-up \(weights #\d+\)", log), log
        page = ctx.new_page()
        page.goto(url)
        page.locator("[data-testid=stMetric]", has_text="MQLs per month").wait_for(
            timeout=120_000)
        charts = page.locator("[data-testid=stPlotlyChart] .main-svg")
        charts.nth(3).wait_for(timeout=60_000)
        wait_idle(page, 60_000)
        assert page.locator("[data-testid=stPlotlyChart]").count() == 4
        assert_no_exception(page)
        nav = page.locator("[data-testid=stSidebarNav]")
        nav.get_by_role("link", name="Weights").click()
        page.get_by_role("heading", name="Weights").wait_for(timeout=60_000)
        page.locator("[data-testid=stDataFrame] canvas").first.wait_for(timeout=60_000)
        page.get_by_role("heading", name="No-decision leads").wait_for(timeout=60_000)
        # the points of each axis (one in a tab not shown), lift and calibration (in an
        # expander)
        charts.nth(3).wait_for(state="attached", timeout=60_000)
        wait_idle(page, 60_000)
        assert_no_exception(page)
        nav.get_by_role("link", name="Thresholds").click()
        charts.nth(3).wait_for(timeout=60_000)
        wait_idle(page, 60_000)
        nav.get_by_role("link", name="Weights").click()
        page.get_by_role("heading", name="Weights").wait_for(timeout=60_000)
        wait_idle(page, 60_000)  # a later visit: one run draws it all
        assert page.get_by_role("heading", name="No-decision leads").count() == 1
        assert page.locator("[data-testid=stPlotlyChart]").count() == 4
        assert_no_exception(page)

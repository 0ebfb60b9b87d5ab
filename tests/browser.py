"""Helpers to run the real app under ``streamlit run`` and drive it in headless Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(db: Path, env: dict[str, str] | None = None,
                     port: int | None = None, script: Path | None = None) -> Iterator[str]:
    """Start ``streamlit run app.py`` (or ``script``) on ``port`` (a free one by default)
    against ``db``; yield its URL."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app.py"),
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    log = open(db.with_suffix(".server.log"), "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "CALIBRATE_DB": str(db),
                                                **(env or {})},
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("streamlit did not start: "
                                   + db.with_suffix(".server.log").read_text()[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def browser(profile: Path, downloads: bool = True) -> Iterator[object]:
    """A headless Chromium context (Debian's chromium driven by Playwright)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            accept_downloads=downloads, viewport={"width": 1600, "height": 1000})
        try:
            yield ctx
        finally:
            ctx.close()


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until the script run has finished and nothing is stale on screen."""
    page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=stApp]');"
        " return app && app.getAttribute('data-test-script-state') === 'notRunning'"
        " && !document.querySelector('[data-stale=true]'); }", timeout=timeout)


def assert_no_exception(page) -> None:
    errors = page.locator("[data-testid=stException]")
    assert errors.count() == 0, errors.first.inner_text()


def full_screenshot(page, path: Path) -> None:
    """A screenshot of the whole page (Streamlit scrolls inside stMain)."""
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }")
    page.set_viewport_size({"width": 1600, "height": max(1000, int(height) + 40)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)


def press(page, slider_label: str, key: str, times: int) -> None:
    """Move a slider with the keyboard, as a facilitator does, and wait for the rerun."""
    slider = page.get_by_role("slider", name=slider_label)
    slider.focus()
    for _ in range(times):
        slider.press(key)
    wait_idle(page)

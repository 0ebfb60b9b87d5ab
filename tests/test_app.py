"""The real app under ``streamlit run``, driven in headless Chromium like a workshop would.

Loads the sample from the Data page, moves both sliders by keyboard and watches the MQL
figure change, saves a scenario, reloads and finds it, downloads the weight table and the
agreement, and takes the README's screenshot of the thresholds screen.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser import (
    assert_no_exception,
    browser,
    full_screenshot,
    press,
    streamlit_server,
    wait_idle,
)
from conftest import BANK_CSV

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
GALLERY = ROOT / "tests" / "data" / "gallery"

pytestmark = pytest.mark.browser


def metric_value(page, label: str) -> str:
    box = page.locator("[data-testid=stMetric]", has_text=label).first
    return box.locator("[data-testid=stMetricValue]").inner_text()


def test_a_workshop_end_to_end(tmp_path):
    db = tmp_path / "workshop.duckdb"
    with streamlit_server(db) as url, browser(tmp_path / "profile") as ctx:
        page = ctx.new_page()
        page.goto(f"{url}/data")
        page.get_by_text("No leads loaded yet").wait_for(timeout=60_000)
        page.get_by_text("Or load the bundled sample").click()
        page.get_by_role("button", name="Load the sample data").click()
        page.get_by_text("Loaded 50,000 leads").wait_for(timeout=120_000)
        assert_no_exception(page)

        page.goto(url)  # the default page (Thresholds) lives at the root
        page.locator("[data-testid=stMetric]", has_text="MQLs per month").wait_for(
            timeout=120_000)
        wait_idle(page, 120_000)
        assert_no_exception(page)
        first = metric_value(page, "MQLs per month")
        press(page, "Minimum profile score", "ArrowRight", 15)
        page.wait_for_function(
            "(old) => [...document.querySelectorAll('[data-testid=stMetric]')].some("
            "m => m.innerText.includes('MQLs per month') && !m.innerText.includes(old))",
            arg=first, timeout=30_000)
        second = metric_value(page, "MQLs per month")
        assert second != first
        press(page, "Minimum behavior score", "ArrowLeft", 20)
        third = metric_value(page, "MQLs per month")
        assert third != second
        assert_no_exception(page)
        # The page drawn whole (the README's screenshots are tests/test_screenshots.py's).
        shot = tmp_path / "thresholds.png"
        full_screenshot(page, shot)

        page.get_by_label("Scenario name").fill("Sales proposal")
        page.get_by_label("Author").fill("Sam")
        page.get_by_role("button", name="Save scenario").click()
        page.get_by_text("Saved scenario 'Sales proposal'").wait_for(timeout=30_000)

        page.goto(f"{url}/scenarios")  # a fresh page load: the save must come from the file
        # The table is drawn on a canvas; its accessible cells carry the text.
        page.locator("[data-testid=stDataFrame] td", has_text="Sales proposal").first.wait_for(
            state="attached", timeout=60_000)
        wait_idle(page)
        assert_no_exception(page)

        page.goto(f"{url}/export")
        page.get_by_text("Weight table").wait_for(timeout=60_000)
        wait_idle(page)
        downloads = {}
        for label in ("Points table (CSV)", "Agreement (Markdown)"):
            with page.expect_download() as info:
                page.get_by_role("button", name=label).click()
            path = tmp_path / info.value.suggested_filename
            info.value.save_as(path)
            downloads[label] = path.read_text(encoding="utf-8")
        assert downloads["Points table (CSV)"].startswith("axis,attribute,kind,level")
        agreement = downloads["Agreement (Markdown)"]
        assert re.search(r"profile score is at least \d+ \*\*and\*\* its behavior score", agreement)
        assert "MQLs per month" in agreement
        assert_no_exception(page)

        # Every download button clicked in quick succession, each as soon as the last
        # file arrived: a download must not rerun the page, or the rerun cancels the next
        # click (the page re-renders the button under the pointer).
        buttons = page.locator("[data-testid=stDownloadButton] button")
        assert buttons.count() >= 10
        # Chromium here stops delivering files after about ten downloads from one page, so
        # the browser checks six in a row; every button's no-rerun flag is checked in
        # tests/test_ui_export.py.
        count = 6
        names = []
        for i in range(count):
            label = buttons.nth(i).inner_text()
            try:
                with page.expect_download(timeout=60_000) as info:
                    buttons.nth(i).click()
            except Exception as exc:
                raise AssertionError(f"no download from button {i} {label!r} after "
                                     f"{names}") from exc
            names.append(info.value.suggested_filename)
        assert len(set(names)) == count, names
        assert_no_exception(page)
    assert shot.stat().st_size > 20_000


def test_two_sessions_save_at_once_and_bad_uploads_are_messages(sample_db, tmp_path):
    from calibrate.data import store
    from calibrate.decide.scenarios import list_scenarios

    bad = tmp_path / "no-outcome.csv"
    bad.write_text("id,visits,industry\n1,2,Retail\n2,5,Software\n")
    with streamlit_server(sample_db) as url, browser(tmp_path / "profile") as ctx:
        pages = [ctx.new_page(), ctx.new_page()]
        for p, name in zip(pages, ("Marketing proposal", "Sales proposal"), strict=True):
            p.goto(url)
            p.locator("[data-testid=stMetric]", has_text="MQLs per month").wait_for(
                timeout=120_000)
            wait_idle(p, 120_000)
            p.get_by_label("Scenario name").fill(name)
        for p in pages:  # both clicks go out before either save is answered
            p.get_by_role("button", name="Save scenario").click(no_wait_after=True)
        for p, name in zip(pages, ("Marketing proposal", "Sales proposal"), strict=True):
            p.get_by_text(f"Saved scenario '{name}'").wait_for(timeout=60_000)
            assert_no_exception(p)

        page = pages[0]
        page.goto(f"{url}/data")
        page.get_by_text("Load leads").wait_for(timeout=60_000)
        uploader = page.locator("[data-testid=stFileUploader] input[type=file]")
        # Bad files from tests/data/bad in turn, through the real uploader: each is a
        # readable message as soon as the file is read.
        for path, message in (
                (BAD / "ragged.csv", "Row 7 has 9 fields but the header has 7"),
                (BAD / "merged_header.xlsx", "has merged cells in its header")):
            uploader.set_input_files(str(path))
            error = page.locator("[data-testid=stAlertContentError]", has_text=message)
            error.wait_for(timeout=60_000)
            assert "How to fix" in error.inner_text()
            assert_no_exception(page)
            assert "Traceback" not in page.locator("[data-testid=stMain]").inner_text()
        # What it cannot guess, the app asks for, and loads nothing until it is answered.
        for path, message in (
                (bad, "No column looks like an outcome"),
                (BAD / "unknown_labels.csv", "Choose what 2 labels mean: 'Verbal Yes'")):
            uploader.set_input_files(str(path))
            page.locator("[data-testid=stAlertContentWarning]", has_text=message).wait_for(
                timeout=60_000)
            wait_idle(page)
            assert page.get_by_role("button", name="Load this file").is_disabled()
            assert_no_exception(page)
        assert metric_value(page, "Leads") == "50k"  # the failed uploads changed nothing

        uploader.set_input_files(str(BAD / "few_wins.csv"))  # a good file, with a warning
        page.get_by_role("button", name="Load this file").wait_for(timeout=60_000)
        page.get_by_role("button", name="Load this file").click()
        page.get_by_text("Loaded 200 leads from").wait_for(timeout=60_000)
        page.get_by_text("Only 20 won leads: suggested weights will be unreliable").wait_for(
            timeout=30_000)
        wait_idle(page)
        assert metric_value(page, "Leads") == "200"
        assert_no_exception(page)
    con = store.connect(sample_db)
    names = sorted(s.name for s in list_scenarios(con))
    leads = store.lead_count(con)
    files = [r[0] for r in con.execute("SELECT file FROM ingests ORDER BY id").fetchall()]
    con.close()
    assert names == ["Marketing proposal", "Sales proposal"]
    assert leads == 200
    assert len(files) == 2 and files[1].endswith("/few_wins.csv")  # no trace of the bad ones


def test_the_bank_export_loads_from_the_uploader_as_it_comes(tmp_path):
    """A real export nobody here wrote: no flag, no mapping, no manual step."""
    import tomllib

    from calibrate.data import store

    db = tmp_path / "bank.duckdb"
    with streamlit_server(db) as url, browser(tmp_path / "profile") as ctx:
        page = ctx.new_page()
        page.goto(f"{url}/data")
        page.get_by_text("Load leads").wait_for(timeout=60_000)
        page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
            str(BANK_CSV))
        load = page.get_by_role("button", name="Load this file")
        load.wait_for(timeout=120_000)
        wait_idle(page, 120_000)
        chosen = page.get_by_role("combobox", name="Outcome column")
        assert chosen.input_value() == "y (no 36,548 / yes 4,640)"  # counted over every row
        with page.expect_download() as info:
            page.get_by_role("button", name="Download these choices (mapping file)").click()
        mapping = tomllib.loads(Path(info.value.path()).read_text(encoding="utf-8"))
        assert mapping["columns"]["y"] == {"role": "outcome"}
        assert mapping["columns"]["emp.var.rate"]["role"] == "ignore"
        load.click()
        page.get_by_text("Loaded 41,188 leads from bank-additional-full.csv").wait_for(
            timeout=180_000)
        page.locator("[data-testid=stAlertContentWarning]",
                     has_text="Possible leak: duration").wait_for(timeout=120_000)
        wait_idle(page, 120_000)
        assert_no_exception(page)
        assert metric_value(page, "Won") == "4.6k"
        # A report export with title lines above its header, as Salesforce writes it.
        page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
            str(GALLERY / "salesforce_opportunities.csv"))
        page.wait_for_function(
            "() => [...document.querySelectorAll('input[aria-label=\"Outcome column\"]')]"
            ".some(e => e.value.startsWith('Stage (Closed Lost 728 / Closed Won 347'))",
            timeout=60_000)
        wait_idle(page)
        page.get_by_role("button", name="Load this file").click()
        page.get_by_text("Loaded 1,200 leads from salesforce_opportunities.csv").wait_for(
            timeout=120_000)
        page.get_by_text("The 3 lines above the header (a report title) were skipped").wait_for(
            timeout=30_000)
        assert_no_exception(page)
    con = store.connect(db)  # the Salesforce report replaced the bank's leads
    names = {c.source_name: c.role for c in store.read_columns(con)}
    files = [r[0] for r in con.execute("SELECT file FROM ingests ORDER BY id").fetchall()]
    con.close()
    assert names["Stage"] == "outcome" and names["Opportunity ID"] == "lead_id"
    assert [Path(f).name for f in files] == ["bank-additional-full.csv",
                                             "salesforce_opportunities.csv"]

"""``calibrate decay`` (issue 20): the headline, a table per group and each tool's decay
settings; its JSON read back; leads without activity dates, and no leads, as messages."""

from __future__ import annotations

import json
import warnings

import pytest
from test_decay import planted_leads

from calibrate.cli import main
from calibrate.workbench import Workbench


def store(path, frame) -> str:
    with Workbench(path, keep_backups=0) as wb:
        wb.ingest(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            wb.fit()
    return str(path)


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    """Leads whose behavior halves every 45 days without activity, fitted."""
    return store(tmp_path_factory.mktemp("dated") / "d.duckdb", planted_leads(12_000, seed=11))


@pytest.fixture(scope="module")
def undated(tmp_path_factory):
    frame = planted_leads(2_000, seed=12).drop(columns=["Last Activity Date"])
    return store(tmp_path_factory.mktemp("undated") / "u.duckdb", frame)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_decay_prints_the_headline_a_table_and_every_tools_settings(dated, capsys):
    code, out, err = run(capsys, "decay", "--db", dated)
    assert code == 0 and "Estimating behavior decay on 12,000 leads" in err
    lines = out.splitlines()
    assert lines[0].startswith("Behavior fades: all behavior halves after ")
    header = next(i for i, line in enumerate(lines) if line.startswith("group "))
    assert lines[header].split()[:4] == ["group", "activity", "date", "behavior"]
    row = lines[header + 1]
    assert row.startswith("all behavior") and "Last Activity Date" in row
    assert "Email Clicks, Web Visits" in row and "12,000" in row and row.endswith("estimated")
    for title in ("Any tool:", "HubSpot:", "Marketo:", "Account Engagement (Pardot):"):
        assert title in lines
    assert "Days without activity count to the close date of each closed lead" in out


def test_decay_for_one_vendor_prints_only_its_settings(dated, capsys):
    code, out, _ = run(capsys, "decay", "--db", dated, "--vendor", "marketo")
    assert code == 0 and "Marketo:" in out.splitlines()
    assert "HubSpot:" not in out and "Any tool:" not in out
    assert "Change Score 'Behavior Score'" in out and "not in past" in out


def test_decay_json_reads_back(dated, capsys):
    code, out, _ = run(capsys, "decay", "--db", dated, "--json", "--vendor", "hubspot")
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "estimated"
    (g,) = doc["groups"]
    assert g["date_column"] == "Last Activity Date"
    assert g["low"] <= g["half_life_days"] <= g["high"]
    assert list(doc["settings"]) == ["hubspot"]
    assert doc["settings"]["hubspot"][0].startswith("all behavior: in the engagement score")


def test_decay_without_activity_dates_says_what_is_missing(undated, capsys):
    code, out, err = run(capsys, "decay", "--db", undated)
    assert code == 0 and "Traceback" not in err
    assert out.startswith("Decay cannot be estimated: the loaded leads have no activity "
                          "dates.")
    assert "'Created Date' (the created date), 'Close Date' (the close date)" in out
    assert "group " not in out  # no table without groups
    assert "  behavior: no decay rule. The loaded leads have no activity dates." in out


def test_decay_without_leads_says_how_to_load_them(tmp_path, capsys):
    code, _, err = run(capsys, "decay", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "No leads are loaded" in err and "calibrate ingest" in err

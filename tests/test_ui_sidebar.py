"""The sidebar under AppTest: which data, scenario and agreement are active."""

from __future__ import annotations

from calibrate import fmt
from calibrate.data import store
from calibrate.decide.scenarios import mark_agreement, save_scenario

from apptest import page


def sidebar_text(at) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


def test_names_the_loaded_file_and_its_leads(sample_db):
    con = store.connect(sample_db)
    file = store.last_load(con)[0]
    leads = store.lead_count(con)
    con.close()
    text = sidebar_text(page("sidebar"))
    assert file.rsplit("/", 1)[-1] in text
    assert f"{fmt.number(leads)} leads" in text
    assert "**Scenario:** unsaved" in text and "Agreement" not in text


def test_shows_the_agreement_once_marked(sample_db):
    con = store.connect(sample_db)
    scenario = save_scenario(con, "Joint proposal", {
        "thresholds": {"mode": "both", "min_profile": 40, "min_behavior": 30, "min_total": 50},
        "figures": {}, "segment": None}, author="Mia")
    mark_agreement(con, scenario, author="Sam")
    con.close()
    assert "**Agreement:** Joint proposal" in sidebar_text(page("sidebar"))


def test_with_no_leads_says_so(db_path, monkeypatch):
    monkeypatch.setenv("CALIBRATE_DB", str(db_path))
    assert "**Data:** none loaded" in sidebar_text(page("sidebar"))

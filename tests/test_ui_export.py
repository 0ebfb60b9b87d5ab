"""The Export screen under AppTest: every download is there and holds the right thing."""

from __future__ import annotations

import io
import json

import pandas as pd
from test_ui_scenarios import _save_two

from calibrate.data import store
from calibrate.decide.scenarios import latest_versions, mark_agreement

from apptest import assert_clean, page


def test_weight_downloads(sample_db):
    at = page("export")
    labels = [b.label for b in at.get("download_button")]
    assert "Points table (CSV)" in labels and "Rules list for marketing automation" in labels
    assert "Lead counts in SQL (the count grid)" in labels  # for a data team (issue 21)
    assert "Save a scenario" in at.info[0].value


def test_agreement_uses_the_agreed_thresholds(sample_db):
    _save_two(sample_db)
    con = store.connect(sample_db)
    mark_agreement(con, latest_versions(con)[0], author="Both VPs")
    con.close()
    at = page("export")
    assert_clean(at)
    labels = [b.label for b in at.get("download_button")]
    assert {"Agreement (Markdown)", "Agreement (HTML)"} <= set(labels)
    preview = [m.value for m in at.markdown if "sales-ready lead" in m.value]
    assert preview and "at least 60 **and**" in preview[0]


def test_scored_leads_hash_contacts(sample_db):
    at = page("export")
    at.button(key="prepare_scored").click().run()
    assert_clean(at)
    data = at.session_state["scored_csv"]
    frame = pd.read_csv(io.BytesIO(data))
    assert len(frame) == 50_000
    assert {"lead_id", "status (outcome)", "profile_points", "behavior_points", "total",
            "grade", "level", "rule", "reasons", "email (hashed)"} <= set(frame.columns)
    assert "email" not in frame.columns
    assert json.dumps(frame["email (hashed)"].iloc[0]).count("@") == 0


def test_an_agreement_on_older_weights_says_so_and_recomputes_on_request(sample_db):
    import dataclasses

    from calibrate.decide.agreement import scenario_payload
    from calibrate.decide.scenarios import save_scenario
    from calibrate.decide.tradeoff import Settings, figures_for
    from calibrate.decide.workshop import active_weights, rules_of, workshop_grid
    from calibrate.model.weights import save_weights

    con = store.connect(sample_db)
    weights = active_weights(con)
    settings = Settings(mode="both", min_profile=50, min_behavior=40)
    result = figures_for(workshop_grid(con, weights, rules_of(weights)), None, settings)
    mark_agreement(con, save_scenario(
        con, "Joint", scenario_payload(con, weights, settings, result)), author="Both VPs")
    newer = save_weights(con, dataclasses.replace(weights, id=None), store.data_version(con))
    con.close()
    at = page("export")
    assert_clean(at)
    warning = next(w.value for w in at.warning if "since then" in w.value)
    assert warning.startswith(f"Agreed on weights #{weights.id} and 50,000 leads")
    assert f"since then: weights #{newer}." in warning
    assert f"on weights #{weights.id}" in at.caption[0].value  # the export is the agreed one
    at.toggle(key="recompute").set_value(True).run()
    assert_clean(at)
    side = at.dataframe[-1].value.set_index("figure")
    assert list(side.columns) == ["as agreed", "on what is in force now"]
    # Same points in a new weights row: the same figures either way.
    assert side.loc["MQLs per month", "as agreed"] == side.loc[
        "MQLs per month", "on what is in force now"]



def test_the_scored_leads_download_neutralises_formulas(db_path, tmp_path, monkeypatch):
    """The app's download shares the CLI's guard: no cell a spreadsheet would run."""
    import csv

    from calibrate.data.ingest import ingest

    hostile = ['=HYPERLINK("http://x","click")', "+Corp", "@evil", "-2+3", "=cmd|' /C calc'!A0"]
    lines = ["lead_id,status,company,email,industry,visits"]
    for i in range(200):
        company = hostile[i % 5] if i < 20 else f"Company {i % 17}"
        quoted = '"' + company.replace('"', '""') + '"'
        outcome = "won" if i % 4 == 0 else "lost"
        industry = "Retail" if i % 3 else "Bank"
        lines.append(f"L{i},{outcome},{quoted},u{i}@corp{i % 9}.com,{industry},{i % 6}")
    path = tmp_path / "hostile.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = store.connect(db_path)
    ingest(con, path)
    con.close()
    monkeypatch.setenv(store.ENV_DB, str(db_path))
    at = page("export")
    at.radio(key="contacts").set_value("plain").run()
    at.button(key="prepare_scored").click().run()
    assert_clean(at)
    text = at.session_state["scored_csv"].decode("utf-8")
    cells = [c for r in csv.reader(io.StringIO(text)) for c in r]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], "a formula got through"
    assert "'=HYPERLINK" in text and "'+Corp" in text  # kept, made inert


def test_no_download_reruns_the_page(sample_db):
    """A download that reran the page would cancel a click on the next button mid-rerun."""
    _save_two(sample_db)
    at = page("export")
    at.button(key="prepare_scored").click().run()
    buttons = at.get("download_button")
    assert len(buttons) >= 12
    assert [b.proto.label for b in buttons if not b.proto.ignore_rerun] == []

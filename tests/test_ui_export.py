"""The Export screen under AppTest: every download is there and holds the right thing."""

from __future__ import annotations

import io
import json

import pandas as pd
from test_ui_scenarios import _save_two

from calibrate import store
from calibrate.scenarios import latest_versions, mark_agreement

from apptest import assert_clean, page


def test_weight_downloads(sample_db):
    at = page("export")
    labels = [b.label for b in at.get("download_button")]
    assert "Points table (CSV)" in labels and "Rules list for marketing automation" in labels
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

"""The Health screen under AppTest (issue 20): drift by month on the sample, the attributes
with their flags in words, another reference period, the refit advice; undated leads; the
decay of behavior on leads with an activity date, and why there is none without."""

from __future__ import annotations

import json
import warnings

import pytest

from calibrate.data import store
from calibrate.model.psi import FLAGS
from calibrate.tools.sample import generate
from calibrate.ui import state
from calibrate.workbench import Workbench

from apptest import assert_clean, page


def test_the_page_renders_on_the_sample(sample_db):
    at = page("health", charts=True)
    assert at.title[0].value == "Health"
    assert any(m.value.startswith("Against 2024-11 to 2025-04: ") for m in at.markdown)
    assert len(at.get("plotly_chart")) == 1
    attributes = at.dataframe[0].value
    assert list(attributes.columns[:5]) == ["attribute", "axis", "month", "PSI", "stability"]
    assert set(attributes["stability"]) <= set(FLAGS)
    months = at.dataframe[1].value
    assert set(months["enough leads"]) == {"yes"}  # about 2,000 leads a month
    assert all(p.split()[1] in FLAGS for p in months["total score"])
    advice = [e.value for e in (*at.info, *at.warning)]
    assert any(a.split(":")[0] in ("Refit", "No refit needed", "Cannot tell yet")
               for a in advice), advice
    assert at.select_slider[0].value == ("2024-11", "2025-04")


def test_a_first_view_draws_its_figures_first_and_its_charts_a_moment_later(sample_db):
    at = page("health")  # plotly.js would hold the figures back (state.charts_ready)
    assert at.dataframe and not at.get("plotly_chart")
    at.session_state[state.CHARTS] = True  # what the timer's rerun sets
    at.run()
    assert len(at.get("plotly_chart")) == 1


def test_another_reference_period(sample_db):
    at = page("health")
    at.select_slider[0].set_range("2025-01", "2025-06").run()
    assert_clean(at)
    assert any(m.value.startswith("Against 2025-01 to 2025-06: ") for m in at.markdown)
    at.select_slider[0].set_range("2026-01", "2026-10").run()
    assert_clean(at)  # nothing follows it: the message, then the default period again
    assert "No month follows the reference period 2026-01:2026-10" in at.error[0].value
    assert any(m.value.startswith("Against 2024-11 to 2025-04: ") for m in at.markdown)


def test_months_with_few_leads_are_marked(tmp_path, monkeypatch):
    path = tmp_path / "few.duckdb"
    raw, _ = generate(3_000, seed=5)  # about 125 leads a month
    with Workbench(path, keep_backups=0) as wb:
        wb.ingest(raw)
        wb.fit()
    monkeypatch.setenv(store.ENV_DB, str(path))
    at = page("health")
    assert any("Fewer than 300 leads (hollow markers" in c.value for c in at.caption)
    assert set(at.dataframe[1].value["enough leads"]) == {"no: fewer than 300"}
    assert all(m.endswith("(few leads)") for m in at.dataframe[0].value["month"])


@pytest.fixture
def undated_db(tmp_path, monkeypatch):
    path = tmp_path / "undated.duckdb"
    raw, _ = generate(2_000, seed=2)
    with Workbench(path, keep_backups=0) as wb:
        wb.ingest(raw.drop(columns=["created_at"]))
        wb.fit()
    monkeypatch.setenv(store.ENV_DB, str(path))
    return path


def test_undated_leads_say_drift_needs_dates(undated_db):
    at = page("health")
    assert at.info[0].value.startswith("Drift cannot be computed without lead dates")
    assert not at.dataframe and not at.get("plotly_chart")


# ------------------------------------------------------------------ decay


@pytest.fixture(scope="module")
def activity_db(tmp_path_factory):
    """Leads whose behavior halves every 45 days without activity, fitted."""
    from test_decay import planted_leads

    path = tmp_path_factory.mktemp("activity") / "activity.duckdb"
    with Workbench(path, keep_backups=0) as wb:
        wb.ingest(planted_leads(12_000, seed=11))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            wb.fit()
    return path


def test_decay_shows_each_groups_half_life_its_curve_and_the_settings(activity_db,
                                                                      monkeypatch):
    monkeypatch.setenv(store.ENV_DB, str(activity_db))
    at = page("health", charts=True)
    assert "Decay of behavior" in [s.value for s in at.subheader]
    assert at.success[0].value.startswith("Behavior fades: all behavior halves after ")
    groups = next(d.value for d in at.dataframe if "half-life" in d.value.columns)
    assert list(groups.columns) == ["group", "activity date", "behavior", "half-life",
                                    "95% interval", "leads", "with a date", "status"]
    (row,) = groups.to_dict("records")
    assert (row["group"], row["activity date"], row["status"]) == (
        "all behavior", "Last Activity Date", "estimated")
    assert row["behavior"] == "Email Clicks, Web Visits"  # as the file names them
    low, high = (int(v) for v in row["95% interval"].removesuffix(" days").split(" to "))
    assert low <= 45 <= high and row["leads"] == "12,000"
    chart = next(c for c in at.get("plotly_chart") if "half-life" in c.proto.spec)
    spec = json.loads(chart.proto.spec)
    assert spec["layout"]["xaxis"]["type"] == "log"
    assert spec["layout"]["font"]["size"] >= 16
    notes = sorted(a["text"] for a in spec["layout"]["annotations"])
    assert notes[0] == "95% interval: above this line" and notes[1].startswith("no decay")
    assert [t.label for t in at.tabs] == ["Any tool", "HubSpot", "Marketo",
                                          "Account Engagement (Pardot)"]
    settings = "\n".join(c.value for c in at.code)
    assert "'Last Activity Date' not in past" in settings and "turn on decay" in settings


def test_without_activity_dates_decay_says_it_cannot_be_estimated_and_why(sample_db):
    at = page("health")
    assert "Decay of behavior" in [s.value for s in at.subheader]
    said = [i.value for i in at.info if "Decay cannot be estimated" in i.value]
    assert said and "no activity dates" in said[0] and "Last Activity Date" in said[0]
    assert not at.tabs and not at.code

"""The Health screen under AppTest (issue 20): drift by month on the sample, the attributes
with their flags in words, another reference period, the refit advice; undated leads."""

from __future__ import annotations

import pytest

from calibrate.data import store
from calibrate.model.psi import FLAGS
from calibrate.tools.sample import generate
from calibrate.workbench import Workbench

from apptest import assert_clean, page


def test_the_page_renders_on_the_sample(sample_db):
    at = page("health")
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

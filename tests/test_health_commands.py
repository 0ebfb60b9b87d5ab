"""``calibrate drift`` and ``calibrate refresh`` (issue 20): their JSON read back, their text,
and every bad input as a message naming the value and the fix, never a traceback."""

from __future__ import annotations

import json

import pytest

from calibrate.cli import main
from calibrate.model.psi import MIN_LEADS
from calibrate.tools.sample import generate
from calibrate.workbench import Workbench


@pytest.fixture(scope="module")
def undated(tmp_path_factory):
    """Generated leads loaded without their creation dates, fitted."""
    path = tmp_path_factory.mktemp("undated") / "u.duckdb"
    raw, _ = generate(2_000, seed=2)
    with Workbench(path, keep_backups=0) as wb:
        wb.ingest(raw.drop(columns=["created_at"]))
        wb.fit()
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_drift_json_reads_back(sample_db, capsys):
    code, out, err = run(capsys, "drift", "--db", str(sample_db), "--json")
    assert code == 0 and "Measuring drift on 50,000 leads" in err
    data = json.loads(out)
    assert data["reference"]["start"] == "2024-11" and data["reference"]["end"] == "2025-04"
    assert data["min_leads"] == MIN_LEADS and data["thresholds"] == {"watch": 0.1,
                                                                     "shifted": 0.25}
    assert [m["month"] for m in data["months"]][:2] == ["2025-05", "2025-06"]
    assert len(data["scores"]) == 3 * len(data["months"])
    assert all(r["flag"] in ("stable", "watch", "shifted") for r in data["attributes"])
    assert data["summary"][0]["psi"] >= data["summary"][-1]["psi"]
    assert data["headline"].startswith("Against 2024-11 to 2025-04: ")


def test_drift_text_with_a_reference(sample_db, capsys):
    code, out, _ = run(capsys, "drift", "--db", str(sample_db), "--reference",
                       "2025-01:2025-03")
    assert code == 0
    assert out.startswith("Drift against 2025-01 to 2025-03 (")
    assert "PSI: stable below 0.10, watch from 0.10, shifted from 0.25." in out
    assert f"A month needs {MIN_LEADS} leads" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("month"))
    assert lines[header + 1].startswith("2025-04")
    assert "Attributes in 2026-10 (the latest month with enough leads)" in out


@pytest.mark.parametrize("reference, words", [
    ("2025-06:2025-01", ["The reference period 2025-06:2025-01 starts after it ends.",
                         "Put the earlier month first: 2025-01:2025-06."]),
    ("june", ["The reference period 'june' is not START:END.", "e.g. 2024-01:2024-06"]),
    ("2025-13:2026-01", ["'2025-13' is not a month"]),
    ("2019-01:2019-06", ["The reference period 2019-01:2019-06 holds no leads: the dated "
                         "leads run from 2024-11 to 2026-10.",
                         "Pick months within that range, e.g. 2024-11:2025-04."]),
    ("2026-01:2026-10", ["No month follows the reference period 2026-01:2026-10",
                         "End the reference before 2026-10"]),
])
def test_a_bad_reference_is_a_message(sample_db, capsys, reference, words):
    code, out, err = run(capsys, "drift", "--db", str(sample_db), "--reference", reference)
    assert code == 2 and out == ""
    assert err.count("error: ") == 1 and "Traceback" not in err and "How to fix:" in err
    for w in words:
        assert w in err


def test_drift_without_dates_says_so(undated, capsys):
    code, _, err = run(capsys, "drift", "--db", str(undated))
    assert code == 2 and "Traceback" not in err
    assert "error: Drift cannot be computed without lead dates" in err


def test_drift_without_leads_says_how_to_load_them(tmp_path, capsys):
    code, _, err = run(capsys, "drift", "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "No leads are loaded" in err and "calibrate ingest" in err


def test_refresh_json_reads_back(sample_db, capsys):
    code, out, err = run(capsys, "refresh", "--db", str(sample_db), "--months", "6", "--json")
    assert code == 0 and "Refitting on the leads of the last 6 months" in err
    data = json.loads(out)
    assert data["months"] == 6 and data["period"] == {"start": "2026-05", "end": "2026-10"}
    assert data["status"] in ("refit", "keep", "unknown")
    assert data["advice"].split(":")[0] in ("Refit", "No refit needed", "Cannot tell yet")
    assert data["recent_leads"] > 0 and isinstance(data["attributes"], list)


def test_refresh_text(sample_db, capsys):
    code, out, _ = run(capsys, "refresh", "--db", str(sample_db), "--months", "6")
    assert code == 0
    first = out.splitlines()[0]
    assert first.split(":")[0] in ("Refit", "No refit needed", "Cannot tell yet")
    assert "The last 6 months (2026-05 to 2026-10):" in out


@pytest.mark.parametrize("months", ["0", "-1"])
def test_refresh_bad_months(sample_db, capsys, months):
    code, _, err = run(capsys, "refresh", "--db", str(sample_db), "--months", months)
    assert code == 2 and "Traceback" not in err
    assert f"The recent period must be a whole number of months, 1 or more; got {months}." \
        in err


def test_refresh_months_not_a_number(sample_db, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["refresh", "--db", str(sample_db), "--months", "three"])
    assert exit_.value.code == 2
    assert "invalid int value: 'three'" in capsys.readouterr().err


def test_refresh_without_dates_says_so(undated, capsys):
    code, _, err = run(capsys, "refresh", "--db", str(undated))
    assert code == 2 and "error: A refresh cannot be judged without lead dates" in err


# ------------------------------------------------------------------------- backtest


def test_backtest_json_reads_back(sample_db, capsys):
    code, out, err = run(capsys, "backtest", "--db", str(sample_db), "--split", "6", "--json")
    assert code == 0 and "Backtesting on 50,000 leads" in err
    assert "  fitting on " in err and "  projecting and comparing ..." in err
    data = json.loads(out)
    assert data["cut"] == "2026-05-01" and data["window"] == {"start": "2025-05",
                                                              "end": "2026-04", "months": 12}
    assert data["after"] == {"start": "2026-05", "end": "2026-10", "months": 6}
    assert data["thresholds"] == "profile ≥ 50 and behavior ≥ 50"  # nothing saved: defaults
    assert [m["month"] for m in data["months"]] == ["2026-05", "2026-06", "2026-07",
                                                    "2026-08", "2026-09", "2026-10"]
    p = data["projected"]
    assert p["mqls_low"] <= p["mqls_per_month"] <= p["mqls_high"]
    assert data["mqls_inside"] == (p["mqls_low"] <= data["actual"]["mqls_per_month"]
                                   <= p["mqls_high"])
    assert data["headline"].startswith("In the 6 months from 1 May 2026 these thresholds sent ")


def test_backtest_text(sample_db, capsys):
    code, out, _ = run(capsys, "backtest", "--db", str(sample_db), "--split", "6m",
                       "--min-profile", "60", "--min-behavior", "45")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("In the 6 months from 1 May 2026 these thresholds sent ")
    assert "Thresholds: profile ≥ 60 and behavior ≥ 45. Fitted on " in out
    header = next(i for i, line in enumerate(lines) if line.startswith("month"))
    assert lines[header].split() == ["month", "MQLs", "projected", "wins", "projected",
                                     "conversion", "share", "of", "wins", "open", "MQLs"]
    months = [line.split()[0] for line in lines[header + 1:header + 8]]
    assert months == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09*", "2026-10*",
                      "a"]  # the newest months' MQLs mostly still open; then the mean
    assert "* marks months with 20% or more of their MQLs still open" in out


@pytest.mark.parametrize("split, words", [
    ("soon", "The split 'soon' is neither a date nor a number of months."),
    ("0", "The split '0' is not a number of months to test: it must be 1 or more."),
    ("2026-05-15", "The cut 2026-05-15 is not the first day of a month"),
])
def test_backtest_bad_split_is_a_message(sample_db, capsys, split, words):
    code, out, err = run(capsys, "backtest", "--db", str(sample_db), "--split", split)
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"error: {words}" in err and "How to fix:" in err


def test_backtest_without_dates_says_so(undated, capsys):
    code, _, err = run(capsys, "backtest", "--db", str(undated), "--split", "6")
    assert code == 2 and "error: A backtest needs lead creation dates" in err

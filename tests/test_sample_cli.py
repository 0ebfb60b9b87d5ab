"""Tests for the sample's command line (calibrate.tools.sample.cli, python -m ...sample)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from calibrate.tools.sample import main


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def test_main_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sample" / "leads.csv"
    assert main(["--n", "2000", "--seed", "3", "--out", str(out)]) == 0
    truth = json.loads((out.parent / "truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 3 and truth["n"] == 2000
    assert _read_csv(out)["lead_id"].nunique() == 2000
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "2,000 leads" in lines[0]

    pq_out = tmp_path / "leads.parquet"
    main(["--n", "500", "--out", str(pq_out), "--truth", str(tmp_path / "t.json")])
    assert pd.read_parquet(pq_out)["lead_id"].nunique() == 500
    assert (tmp_path / "t.json").exists()


def test_default_paths_are_relative_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--n", "300"]) == 0
    assert (tmp_path / "data" / "sample" / "leads.csv").exists()
    assert (tmp_path / "data" / "sample" / "truth.json").exists()

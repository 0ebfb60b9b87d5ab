"""Tests for writing the sample export (calibrate.tools.sample.files): CSV and Parquet, chunks."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from calibrate.tools.sample import COLUMNS, generate, write


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_round_trips(tmp_path: Path, fmt: str) -> None:
    expected, _ = generate(6_000, seed=5, chunk=2_500)
    path = write(tmp_path / f"leads.{fmt}", n=6_000, seed=5, fmt=fmt, chunk=2_500)
    got = _read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_csv_quotes_only_where_needed(tmp_path: Path) -> None:
    path = write(tmp_path / "leads.csv", n=3_000, seed=2)
    text = path.read_text(encoding="utf-8")
    header, first = text.splitlines()[:2]
    assert header == ",".join(COLUMNS)
    assert first.startswith("L0000001,")
    assert '""' not in text  # blanks are empty, not quoted
    quoted = re.findall(r'"([^"]*)"', text)
    assert quoted and all("," in q for q in quoted)


def test_chunked_write_is_deterministic_with_unique_ids(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", n=10_000, seed=9, chunk=3_000)
    b = write(tmp_path / "b.csv", n=10_000, seed=9, chunk=3_000)
    assert a.read_bytes() == b.read_bytes()
    frame = _read_csv(a)
    distinct = frame.drop_duplicates()
    assert distinct["lead_id"].is_unique and len(distinct) == 10_000
    assert distinct["lead_id"].tolist() == [f"L{i:07d}" for i in range(1, 10_001)]
    assert len(frame) > len(distinct)  # deliberate duplicates remain
    # chunks differ from each other (each chunk has its own seed)
    assert (
        not frame.iloc[:100, 1:]
        .reset_index(drop=True)
        .equals(distinct.iloc[3000:3100, 1:].reset_index(drop=True))
    )
    # but share the company pool
    assert set(distinct["company"][:3000]) & set(distinct["company"][6000:9000])


def test_write_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write(tmp_path / "x.json", n=10, fmt="json")


def test_empty_export(tmp_path: Path) -> None:
    frame, logit = generate(0)
    assert list(frame.columns) == COLUMNS and len(frame) == 0 and len(logit) == 0
    path = write(tmp_path / "empty.csv", n=0)
    assert path.read_text(encoding="utf-8") == ",".join(COLUMNS) + "\n"

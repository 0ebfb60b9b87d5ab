"""File format: ZIP archives and random bytes refused, a Latin-1 file whose start reads as
UTF-8 read again as Latin-1."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from calibrate.data.file_format import sniff_encoding
from calibrate.data.ingest import ingest

from dbstate import body, expect_error, large_csv, leads


def test_a_large_csv_with_latin1_late_is_read_as_latin1(con, write_csv, small_sample):
    text = large_csv(60_000, {59_990: "L59990,won,Métallurgie,1,ok"})
    path = write_csv(text, encoding="latin-1")
    assert sniff_encoding(path) == "utf-8", "the first megabyte alone reads as UTF-8"
    report = ingest(con, path)
    assert report.details["encoding"] == "latin-1" and report.rows_loaded == 60_000
    assert leads(con).loc["L59990", "industry"] == "Métallurgie"


@pytest.mark.parametrize("name", ["leads.csv", "leads.zip", "leads.xlsx"])
def test_a_zip_of_csv_exports_is_refused_as_a_zip_archive(con, tmp_path: Path, name: str):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("export/leads.csv", body())
    err = expect_error(con, path, "is a ZIP archive")
    assert err.what.startswith("The file is a ZIP archive (holding export/leads.csv)")
    assert "XLSX" not in err.what.split(",")[0] and "workbook" not in err.what
    assert err.fix == "Unzip it and load the CSV inside (export/leads.csv) instead."


@pytest.mark.parametrize("size", [64, 1000, 100_000])
@pytest.mark.parametrize("kind", ["any", "no-nul", "high"])
def test_random_bytes_are_called_binary(con, tmp_path: Path, kind: str, size: int):
    data = random.Random(size).randbytes(size)
    if kind == "no-nul":
        data = data.replace(b"\0", b"\1")
    elif kind == "high":  # no control bytes at all, and not UTF-8
        data = bytes(0x80 | b for b in data)
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    err = expect_error(con, path, "The file is binary")
    assert "header" not in err.what

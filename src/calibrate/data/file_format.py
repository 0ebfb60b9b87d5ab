"""A file's real format and text encoding, from its first bytes: a file that is no export
(a ZIP of CSVs, an .xls or .ods workbook, random bytes) is refused with what to do.

The encoding is a guess from the start of the file: a UTF-8 guess that fails further on
(:class:`NotUtf8`, :func:`not_utf8`) has the file read again as Latin-1.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import duckdb

from calibrate.errors import InputError


def sniff_format(path: Path) -> str:
    """The file's real format from its first bytes: parquet, xlsx, xls, zip, ods or csv.

    A ZIP archive is an XLSX workbook only when it holds one; one that cannot be listed
    (a damaged workbook) is still taken for the workbook its first bytes announce.
    """
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


def _zip_members(path: Path) -> list[str] | None:
    """The names in a ZIP archive (read from its directory at the end), or None."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def _zip_kind(path: Path) -> str:
    """What a ZIP archive is: an XLSX workbook, an OpenDocument spreadsheet or a plain zip."""
    names = _zip_members(path)
    if names is None:
        return "xlsx"
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "mimetype" in names and "content.xml" in names:
        return "ods"
    return "zip"


def _some(names: list[str], shown: int = 3) -> str:
    """A few names, then how many more."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _zip_error(path: Path) -> InputError:
    """A ZIP archive that is not a workbook (a zip of CSV exports): say so, and what is in it."""
    names = [n for n in _zip_members(path) or []
             if not n.endswith("/") and not n.startswith("__MACOSX/")]
    tables = [n for n in names if Path(n).suffix.lower() in (".csv", ".tsv", ".txt")]
    others = [n for n in names if Path(n).suffix.lower() in (".xlsx", ".xlsm", ".parquet")]
    what = (f"The file is a ZIP archive (holding {_some(names)}), not a CSV, Parquet or "
            "XLSX export." if names else
            "The file is an empty ZIP archive, not a CSV, Parquet or XLSX export.")
    if tables:
        fix = f"Unzip it and load the CSV inside ({_some(tables)}) instead."
    elif others:
        fix = f"Unzip it and load the file inside ({_some(others)}) instead."
    else:
        fix = "Unzip it and load the CSV inside, or export the leads again as CSV or XLSX."
    return InputError(what, file=str(path), fix=fix)


def check_format(path: Path, real: str) -> None:
    ext = path.suffix.lower().lstrip(".")
    expected = {"csv": "csv", "txt": "csv", "tsv": "csv", "parquet": "parquet", "pq": "parquet",
                "xlsx": "xlsx", "xlsm": "xlsx", "xls": "xls"}.get(ext)
    if real == "zip":
        raise _zip_error(path)
    if real == "ods":
        raise InputError("This is an OpenDocument (.ods) spreadsheet, which is not supported.",
                         file=str(path), fix="Open it and save it as .xlsx or .csv.")
    if real == "xls":
        raise InputError("This is an old Excel 97-2003 (.xls) workbook, which is not supported.",
                         file=str(path), fix="Open it in Excel and save as .xlsx or .csv.")
    if expected and expected != real:
        raise InputError(f"The file name ends in .{ext} but its content is {real.upper()}.",
                         file=str(path),
                         fix=f"Rename it to .{'csv' if real == 'csv' else real} or export "
                             f"it again as {expected.upper()}.")
    if real == "csv":
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if _looks_binary(head):
            raise InputError("The file is binary, not a CSV, Parquet or XLSX export.",
                             file=str(path), fix="Export the leads as CSV, Parquet or XLSX.")


#: Control bytes no text export holds (tab, line feed and carriage return are text).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13))
#: C1 control bytes: no encoding DuckDB reads as text (UTF-8 aside) has characters there.
_C1 = bytes(range(0x80, 0xA0))


def _looks_binary(head: bytes) -> bool:
    """NUL bytes (outside UTF-16), many control bytes, or, when the bytes are not UTF-8,
    more than a tenth of control or C1 bytes (random bytes): not a text export."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    control = len(head) - len(head.translate(None, _CONTROL))
    if control > max(8, len(head) // 20):
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return False
    except UnicodeDecodeError:
        odd = control + len(head) - len(head.translate(None, _C1))
        return odd * 10 >= len(head)


def sniff_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes, else Latin-1."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "latin-1"


class NotUtf8(Exception):
    """A file read as UTF-8 (its start decoded) holds other bytes further on."""


def not_utf8(exc: duckdb.Error, encoding: str, read: dict[str, Any]) -> bool:
    """Whether a read failed on bytes that are not UTF-8 while UTF-8 was only a guess (no
    encoding set in the mapping): then the file is read again as Latin-1."""
    return "unicode" in str(exc).lower() and encoding == "utf-8" and "encoding" not in read

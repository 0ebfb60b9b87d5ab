"""The CSV sheets of the vendor files (Marketo, Account Engagement), safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from calibrate.cells import neutralise

__all__ = ["csv_bytes"]

_SIGNED = re.compile(r"[+-]\d+")


def csv_bytes(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    """CSV text; text cells a spreadsheet could run are neutralised, signed whole numbers
    ("+12", a score change) are not (a spreadsheet reads them as numbers)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (neutralise(v) if isinstance(v, str) and not _SIGNED.fullmatch(v)
                             else v) for k, v in r.items()})
    return buf.getvalue().encode("utf-8")

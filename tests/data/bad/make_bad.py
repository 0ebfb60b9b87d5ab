"""Write the gallery of bad input files beside this script (deterministic; run to refresh).

    .venv/bin/python tests/data/bad/make_bad.py

Every file is small (a few dozen rows) except where a case needs its rows: "few wins" and
"enough wins" (200 rows), fractional counts (120 rows) and "5,000 distinct values". The
200 MB case is written by its test in a temporary folder. README.md beside this script
says what is wrong with each file and what calibrate must say or do.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = ["lead_id", "created_at", "status", "industry", "employees", "page_views",
          "demo_request"]
INDUSTRIES = ["Software", "Retail", "Finance", "Health", "Manufacturing"]


def rows(n: int, *, seed: int = 1, won_every: int = 4, statuses: tuple[str, ...] | None = None
         ) -> list[list[str]]:
    """``n`` plausible leads: ids L1..Ln, 2024 dates, won every ``won_every``-th lead."""
    rng = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        if statuses is not None:
            status = statuses[(i - 1) % len(statuses)]
        else:
            status = "Closed Won" if i % won_every == 0 else "Closed Lost"
        out.append([f"L{i}", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", status,
                    INDUSTRIES[i % len(INDUSTRIES)], str(rng.randint(5, 5000)),
                    str(rng.randint(0, 30)), rng.choice(["Yes", "No", "No"])])
    return out


def text(header: list[str], body: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return buf.getvalue()


def write(name: str, content: str | bytes, encoding: str = "utf-8") -> None:
    data = content if isinstance(content, bytes) else content.encode(encoding)
    (HERE / name).write_bytes(data)


def _fixed_zip_times(path: Path) -> None:
    """Rewrite an XLSX with fixed member times and core properties, so it is byte-stable."""
    with zipfile.ZipFile(path) as src:
        members = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members:
            if name == "docProps/core.xml":
                data = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                        b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
                        b'package/2006/metadata/core-properties"/>')
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


def archive(name: str, members: dict[str, str]) -> None:
    """A ZIP archive of text files, with fixed member times so it is byte-stable."""
    with zipfile.ZipFile(HERE / name, "w", zipfile.ZIP_DEFLATED) as dst:
        for member, content in members.items():
            info = zipfile.ZipInfo(member, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, content.encode("utf-8"))


def xlsx(name: str, sheets: list[tuple[str, list[list[object]], list[str]]]) -> Path:
    """A workbook with the given sheets: (title, rows, ranges of merged cells)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, cells, merged in sheets:
        sheet = book.create_sheet(title)
        for r in cells:
            sheet.append(r)
        for cells_range in merged:
            sheet.merge_cells(cells_range)
    path = HERE / name
    book.save(path)
    _fixed_zip_times(path)
    return path


def main() -> None:
    good = rows(40)
    write("empty.csv", b"")
    write("header_only.csv", ",".join(HEADER) + "\n")
    write("no_outcome.csv", text([h for h in HEADER if h != "status"],
                                 [[v for j, v in enumerate(r) if j != 2] for r in good]))
    write("unknown_labels.csv", text(HEADER, rows(40, statuses=(
        "Closed Won", "Closed Lost", "Verbal Yes", "Closed Lost", "Parked", "Verbal Yes"))))
    write("one_outcome.csv", text(HEADER, rows(40, statuses=("Closed Lost",))))
    write("few_wins.csv", text(HEADER, rows(200, won_every=10)))  # 20 wins
    write("enough_wins.csv", text(HEADER, rows(200, won_every=5)))  # 40 wins
    write("bom.csv", "\ufeff" + text(HEADER, good))
    latin = [r[:3] + [["Café", "Métallurgie", "Société Générale", "Zürich AG"][i % 4]] + r[4:]
             for i, r in enumerate(good)]
    write("latin1.csv", text(HEADER, latin), encoding="latin-1")
    write("semicolon.csv", text(HEADER, good, delimiter=";"))
    write("tab.tsv", text(HEADER, good, delimiter="\t"))
    notes = [r + [f"Called twice,\nleft a message\n\"call back\" in {i % 3 + 1} weeks"
                  if i % 5 == 0 else "no notes"] for i, r in enumerate(good)]
    write("quoted_newlines.csv", text(HEADER + ["notes"], notes))
    ragged = text(HEADER, good).splitlines(keepends=True)
    ragged[7] = ragged[7].rstrip("\n") + ",extra,fields\n"  # data row 7
    write("ragged.csv", "".join(ragged))
    dup = good[:30] + [["L3", "2024-05-01", "Closed Won", "Retail", "40", "3", "Yes"],
                       ["L4", "2024-05-02", "Closed Lost", "Retail", "41", "2", "No"]]
    dup[2][2], dup[3][2] = "Closed Lost", "Closed Lost"  # L3: lost, then won; L4: lost twice
    write("duplicate_ids.csv", text(HEADER, dup))
    counts = rows(120)
    counts[4][5], counts[9][5] = "-3", "-1"
    counts[14][5] = "2.5"
    write("negative_fractional_counts.csv", text(HEADER, counts))
    numeric = rows(60)
    numeric[10][4], numeric[20][4], numeric[30][4] = "lots", "about 200", "n/a"
    write("text_in_numeric.csv", text(HEADER, numeric))
    dates = rows(40)
    dates[1][1], dates[5][1] = "2099-03-01", "2150-12-31"
    dates[3][1], dates[8][1] = "1975-06-30", "01/01/1901"
    write("dates_out_of_range.csv", text(HEADER, dates))
    many = [r[:3] + [f"City {i:04d}"] + r[3:] for i, r in enumerate(rows(5000, seed=7))]
    write("many_distinct.csv", text(HEADER[:3] + ["city"] + HEADER[3:], many))
    hostile = ["lead_id", "status", 'x";DROP TABLE leads;--', "a'b", "Robert'); DROP TABLE "
               "ingests;--", "semi;colon;name;here", "Ünïcödé ⚡ column", "page_views"]
    write("hostile_names.csv", text(hostile, [
        [r[0], r[2], "'); DROP TABLE leads; --", "O'Brien", "x", "a;b", "ü", r[5]]
        for r in good]))
    formula = [r[:3] + [["=HYPERLINK(\"http://x\",\"click\")", "+1 555 0100", "-2+3",
                         "@SUM(A1:A9)", "Retail"][i % 5]] + r[4:] for i, r in enumerate(good)]
    write("formula_cells.csv", text(HEADER, formula))
    write("csv_named.xlsx", text(HEADER, good))
    cells: list[list[object]] = [list(HEADER)] + [list(r) for r in good]
    xlsx("xlsx_named.csv", [("Leads", cells, [])])
    write("binary.csv", bytes(range(256)) * 4)
    xlsx("multi_sheet.xlsx", [
        ("Cover", [["Lead export, Q3 2024"]], []),
        ("Leads", cells, []),
        ("Notes", [["note"], ["exported by the CRM"], ["ask sales about L7"]], []),
    ])
    merged = [["Lead", None, None, "Firmographics", None, "Activity", None]] + cells
    xlsx("merged_header.xlsx", [("Leads", merged, ["A1:C1", "D1:E1", "F1:G1"])])
    write("title_lines.csv", "Leads report\nGenerated 2026-11-02 by Jane Doe\n\n"
          + text(HEADER, good))
    archive("zip_archive.csv", {"leads.csv": text(HEADER, good),
                                "opportunities.csv": "id,amount\nO1,1200\n"})
    write("random_bytes.csv", bytes(0x80 | b for b in random.Random(5).randbytes(1000)))


if __name__ == "__main__":
    main()

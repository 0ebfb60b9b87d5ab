"""Readers: blank and repeated headers named clearly and stably in every format."""

from __future__ import annotations


def test_blank_and_repeated_headers_get_clear_stable_names_in_csv_and_xlsx(tmp_path):
    import pandas as pd

    from calibrate.data.file_preview import inspect_file

    rows = [[i, "Web", "Direct", "Won" if i % 3 else "Lost", i % 5] for i in range(60)]
    header = ["", "Source", "Source", "Status", "Visits"]
    pd.DataFrame(rows, columns=header).to_excel(tmp_path / "dup.xlsx", index=False)
    (tmp_path / "dup.csv").write_text(
        ",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    for name in ("dup.csv", "dup.xlsx"):
        seen = inspect_file(tmp_path / name)
        assert seen.headers == ["Column 1", "Source", "Source (2)", "Status", "Visits"], name
    assert inspect_file(tmp_path / "dup.csv").details["headers renamed"] == (
        "a blank header in column 1 named 'Column 1'; 'Source' again in column 3 named "
        "'Source (2)'")

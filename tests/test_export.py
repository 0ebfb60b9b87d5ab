"""Exports: each format re-read equals the table; formulas neutralised; the agreement page."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from calibrate.errors import InputError
from calibrate.export.agreement_page import agreement_html, agreement_markdown
from calibrate.export.files import (
    export_bytes,
    read_export,
    rules_list,
    write_export,
)
from calibrate.model.points import COLUMNS, table_from_records
from calibrate.model.weights import Weights

INF = math.inf


def table() -> pd.DataFrame:
    rows = [
        ("profile", "seniority", "categorical", "VP", 0, None, None, 30, 28),
        ("profile", "seniority", "categorical", "Manager", 1, None, None, 10, 10),
        ("profile", "seniority", "categorical", "Other", 2, None, None, 0, 0),
        ("profile", "seniority", "categorical", "Missing", 3, None, None, 5, 5),
        ("profile", "industry", "categorical", "=HYPERLINK(\"x\")", 0, None, None, 70, 70),
        ("profile", "industry", "categorical", "Retail", 1, None, None, 0, 0),
        ("behavior", "page_views", "numeric", "0", 0, 0.0, 1.0, 0, 0),
        ("behavior", "page_views", "numeric", "1-2", 1, 1.0, 3.0, 10, 10),
        ("behavior", "page_views", "numeric", "3-5", 2, 3.0, 6.0, 25, 25),
        ("behavior", "page_views", "numeric", "6+", 3, 6.0, INF, 40, 40),
        ("behavior", "minutes", "numeric", "2.5-7.5", 0, 2.5, 7.5, 5, 5),
        ("behavior", "demo_request", "flag", "Yes", 0, None, None, 55, 55),
        ("behavior", "demo_request", "flag", "No", 1, None, None, 0, 0),
    ]
    records = [dict(zip(["axis", "attribute", "kind", "level", "code", "lower", "upper",
                         "points", "suggested_points"], r, strict=True))
               | {"coefficient": 0.1 * i, "ci_low": 0.1 * i - 0.2, "ci_high": 0.1 * i + 0.2,
                  "leads": 100 + i, "wins": i, "win_rate": i / (100 + i)}
               for i, r in enumerate(rows)]
    return table_from_records(records, validate=False)


def weights() -> Weights:
    return Weights(table=table(), data={"rows": 50_000, "created_from": "2024-11-01T00:00:00",
                                        "created_to": "2026-10-31T00:00:00"},
                   metrics={"auc": 0.81}, thresholds={"min_profile": 40, "min_behavior": 30})


@pytest.mark.parametrize("format", ["csv", "json", "xlsx"])
def test_each_export_format_reads_back_equal(tmp_path, format):
    path = write_export(weights(), format, tmp_path / f"weights.{format}")
    back = read_export(path, format)
    pd.testing.assert_frame_equal(back[COLUMNS], table()[COLUMNS])


def test_json_carries_provenance_and_thresholds(tmp_path):
    path = write_export(weights(), "json", tmp_path / "w.json")
    w = Weights.read(path)
    assert w.data["rows"] == 50_000 and w.metrics == {"auc": 0.81}
    assert w.thresholds.to_dict() == {"mode": "both", "min_profile": 40, "min_behavior": 30}


def test_csv_and_xlsx_neutralise_formulas(tmp_path):
    text = export_bytes(weights(), "csv").decode()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    path = write_export(weights(), "xlsx", tmp_path / "w.xlsx")
    raw = pd.read_excel(path, sheet_name="Points")
    assert raw.loc[4, "level"].startswith("'=")


def test_rules_list_is_keyable(tmp_path):
    rules = rules_list(table())
    got = {(r.field, r.operator, r.value): r.points for r in rules.itertuples()}
    assert got[("seniority", "equals", "VP")] == 30
    assert got[("seniority", "is empty", "")] == 5
    assert got[("page_views", "between", "1 and 3")] == 10  # 1 inclusive, 3 exclusive
    assert got[("page_views", "at least", 6)] == 40
    assert got[("page_views", "less than", 0)] == 0  # a negative count reads as missing
    assert got[("minutes", "at least", 0)] == 5  # a single range: every count
    assert got[("demo_request", "is true", "")] == 55
    assert got[("industry", "equals", "'=HYPERLINK(\"x\")")] == 70  # neutralised
    csv = export_bytes(weights(), "rules").decode().splitlines()
    assert csv[0] == "score,field,operator,value,points,level,segment"
    assert "mql,profile score,at least,40,,MQL (both lines)," in csv
    assert "auto-qualify,demo_request,is true,,,qualified:demo_request," in csv


def test_other_level_lists_what_it_excludes():
    t = table()
    t.loc[2, "points"] = 3
    rules = rules_list(t)
    row = rules[(rules.field == "seniority") & (rules.operator == "is not one of")].iloc[0]
    # Other and Missing score differently: the values read as missing are not "Other".
    assert row.value.startswith("VP; Manager; select; ") and "; unknown; " in row.value
    blank = rules[(rules.field == "seniority") & (rules.operator == "is one of")].iloc[0]
    assert blank.points == 5 and blank.level == "Missing" and "n/a" in blank.value


def test_bad_weights_files_are_clear(tmp_path):
    p = tmp_path / "w.json"
    p.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        Weights.read(p)
    p.write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a calibrate weights file"):
        Weights.read(p)
    with pytest.raises(InputError, match="does not exist") as err:
        Weights.read(tmp_path / "missing.json")
    assert "--weights" in err.value.fix
    with pytest.raises(InputError, match="is a folder, not a file"):
        Weights.read(tmp_path)


def test_agreement_states_definition_figures_and_date():
    md = agreement_markdown(weights(), {"mqls_per_month": 1234.0, "conversion": 0.0834},
                            title="MQL agreement", thresholds={"min_profile": 40,
                                                               "min_behavior": 30},
                            rules_text=["Demo request: always an MQL"], signed_by="Ana & Sam")
    assert "profile score is at least 40 **and** its behavior score is at least 30" in md
    assert "| MQLs per month | 1.2k |" in md and "| Conversion (win rate of MQLs) | 8.3% |" in md
    assert "Agreed on " in md and "Demo request: always an MQL" in md
    page = agreement_html(md)
    assert page.startswith("<!doctype html>") and "<td>8.3%</td>" in page
    assert "<h1>MQL agreement</h1>" in page and "=HYPERLINK(&quot;x&quot;)" in page


def test_user_text_in_the_agreement_is_never_markup():
    import re

    hostile = "![x](http://127.0.0.1:9/pixel.png) <script>alert(1)</script>"
    w = weights()
    w.table.loc[0, "level"] = hostile
    md = agreement_markdown(w, {"mqls_per_month": 10.0}, title="MQL agreement",
                            thresholds={"min_profile": 40, "min_behavior": 30},
                            rules_text=[f"Auto-qualify when {hostile} is yes."],
                            signed_by=hostile)
    # No image, link or tag survives unescaped in the Markdown...
    assert not re.search(r"(?<!\\)!(?<!\\)\[", md) and not re.search(r"(?<!\\)<script", md)
    assert "\\<script\\>" in md
    # ...and the HTML page shows the text, with no element made from it.
    page = agreement_html(md)
    assert "<script" not in page and "<img" not in page
    assert "![x](http://127.0.0.1:9/pixel.png) &lt;script&gt;" in page

"""Write the gallery of bad config files beside this script (deterministic; run to refresh).

    .venv/bin/python tests/data/bad/config/make_config.py            # write the files
    .venv/bin/python tests/data/bad/config/make_config.py --readme   # print the README table

Weights files (``weights_*``, for ``calibrate score FILE --weights``) start from one good
weights document written by :meth:`calibrate.model.weights.Weights.to_json` from a small
hand-made points table (``weights_good.json``), each with one realistic fault: a hand
edit, a spreadsheet round trip, the wrong export. Mapping files (``mapping_*.toml``, for
``calibrate ingest FILE --mapping``) are written as a person types them. ``leads.csv`` is
40 leads the good files load and score.

:data:`WEIGHTS` and :data:`MAPPINGS` say, per file, what is wrong, the key calibrate must
name and words its fix must hold; ``tests/test_config_files.py`` feeds every file to
:meth:`Weights.read` / :func:`calibrate.data.roles.load_mapping` and to the command line, and
``tests/data/bad/README.md`` ("Config files") lists what calibrate says.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import io
import json
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LEADS = "leads.csv"
GOOD_WEIGHTS = "weights_good.json"
GOOD_MAPPING = "mapping_good.toml"


@dataclass(frozen=True)
class Case:
    """One bad file: what is wrong with it, the key calibrate must name, words of the fix.

    ``at`` says where it is refused: ``"read"`` by ``Weights.read`` / ``load_mapping``
    (so by the CLI before anything else), ``"score"`` by ``calibrate score`` once the
    table is used (a schema-valid table that cannot score leads).
    """

    file: str
    wrong: str
    key: str
    fix: str
    make: Callable[[], str | bytes]
    at: str = "read"


# ----------------------------------------------------------------------------- the good files

NAN = math.nan


def good_table() -> list[dict[str, Any]]:
    """A small points table as a fit writes one: two profile and two behavior attributes,
    every categorical one with Other, every one ending with Missing."""
    rows = [
        # axis, attribute, kind, level, code, lower, upper, points, leads, wins
        ("profile", "industry", "categorical", "Software", 0, NAN, NAN, 60, 40, 16),
        ("profile", "industry", "categorical", "Finance", 1, NAN, NAN, 35, 30, 8),
        ("profile", "industry", "categorical", "Other", 2, NAN, NAN, 0, 90, 10),
        ("profile", "industry", "categorical", "Missing", 3, NAN, NAN, 0, 0, 0),
        ("profile", "employees", "numeric", "1-49", 0, NAN, 50.0, 0, 50, 5),
        ("profile", "employees", "numeric", "50-499", 1, 50.0, 500.0, 25, 60, 12),
        ("profile", "employees", "numeric", "500+", 2, 500.0, NAN, 40, 50, 17),
        ("profile", "employees", "numeric", "Missing", 3, NAN, NAN, 0, 0, 0),
        ("behavior", "page_views", "numeric", "0", 0, NAN, 1.0, 0, 40, 2),
        ("behavior", "page_views", "numeric", "1-5", 1, 1.0, 6.0, 20, 70, 12),
        ("behavior", "page_views", "numeric", "6+", 2, 6.0, NAN, 45, 50, 20),
        ("behavior", "page_views", "numeric", "Missing", 3, NAN, NAN, 0, 0, 0),
        ("behavior", "demo_request", "flag", "No", 0, NAN, NAN, 0, 110, 14),
        ("behavior", "demo_request", "flag", "Yes", 1, NAN, NAN, 55, 50, 20),
        ("behavior", "demo_request", "flag", "Missing", 2, NAN, NAN, 0, 0, 0),
    ]
    keys = ["axis", "attribute", "kind", "level", "code", "lower", "upper", "points",
            "leads", "wins"]
    out = []
    for r in rows:
        row = dict(zip(keys, r, strict=True))
        rate = row["wins"] / row["leads"] if row["leads"] else NAN
        coef = round(math.log((row["wins"] + 0.5) / (row["leads"] - row["wins"] + 0.5)), 4)
        out.append(row | {"suggested_points": row["points"], "coefficient": coef,
                          "ci_low": round(coef - 0.4, 4), "ci_high": round(coef + 0.4, 4),
                          "win_rate": rate})
    return out


def good_doc() -> dict[str, Any]:
    """The good weights document, as ``calibrate export --format json`` writes it."""
    from calibrate.model.points import table_from_records
    from calibrate.model.rule_settings import RuleSet
    from calibrate.model.weights import Weights

    weights = Weights(
        table=table_from_records(good_table(), validate=False),
        created_at=datetime(2025, 1, 31, 9, 0, 0),
        data={"rows": 200, "created_from": "2024-01-01T00:00:00",
              "created_to": "2024-12-28T00:00:00"},
        metrics={"auc": 0.71, "leads": 40.0, "wins": 10.0},
        thresholds={"mode": "both", "min_profile": 40, "min_behavior": 30, "min_total": 50},
        rules=RuleSet().to_dict())
    return json.loads(weights.to_json())


def dumps(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def changed(edit: Callable[[dict[str, Any]], Any]) -> Callable[[], str]:
    """The good document with ``edit`` applied in place (what ``edit`` returns is ignored:
    ``dict.pop`` returns the value it removed)."""
    def make() -> str:
        doc = copy.deepcopy(good_doc())
        edit(doc)
        return dumps(doc)
    return make


def row(doc: dict[str, Any], attribute: str, level: str) -> dict[str, Any]:
    return next(r for r in doc["table"] if r["attribute"] == attribute and r["level"] == level)


def index(attribute: str, level: str) -> int:
    return next(i for i, r in enumerate(good_table())
                if r["attribute"] == attribute and r["level"] == level)


def leads() -> str:
    """40 leads with the columns the good weights score (won every fourth lead)."""
    rng = random.Random(17)
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["lead_id", "created_at", "status", "industry", "employees", "page_views",
                  "demo_request"])
    industries = ["Software", "Finance", "Retail", "Health", ""]
    for i in range(1, 41):
        out.writerow([f"L{i}", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                      "Closed Won" if i % 4 == 0 else "Closed Lost", industries[i % 5],
                      rng.randint(5, 2000), rng.randint(0, 20),
                      rng.choice(["Yes", "No", "No"])])
    return buf.getvalue()


def export(format: str) -> bytes:
    """The good weights as another export format (what a person might pass instead)."""
    from calibrate.export.files import export_bytes
    from calibrate.model.weights import Weights

    data = export_bytes(Weights.from_dict(good_doc()), format)
    if format != "xlsx":
        return data
    path = HERE / "_workbook.tmp"
    path.write_bytes(data)
    spec = importlib.util.spec_from_file_location("make_bad", HERE.parent / "make_bad.py")
    make_bad = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_bad)
    make_bad._fixed_zip_times(path)  # byte-stable: fixed member times and properties
    data = path.read_bytes()
    path.unlink()
    return data


# ----------------------------------------------------------------------------- weights cases

P = index("employees", "50-499")  # the row most cases edit: table[5]
P_KEY = f"table[{P}].points"


def _edit_points(value: Any) -> Callable[[], str]:
    return changed(lambda d: row(d, "employees", "50-499").__setitem__("points", value))


def _drop_level(attribute: str, level: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["table"] = [r for r in doc["table"]
                        if not (r["attribute"] == attribute and r["level"] == level)]
        code = 0
        for r in doc["table"]:
            if r["attribute"] == attribute:
                r["code"] = code
                code += 1
    return edit


WEIGHTS: list[Case] = [
    Case("weights_truncated.json", "the JSON cut off half way (a copy that did not finish)",
         "line", "Export the weights again",
         lambda: dumps(good_doc())[: len(dumps(good_doc())) // 2]),
    Case("weights_points_table.csv", "the CSV export of the points table passed as weights",
         "CSV export", "reads the JSON export", lambda: export("csv")),
    Case("weights_workbook.xlsx", "the XLSX export passed as weights", "workbook",
         "--format json", lambda: export("xlsx")),
    Case("weights_bare_table.json", "only the table: a JSON list of rows", "a list",
         "Export the weights again", lambda: dumps(good_doc()["table"])),
    Case("weights_other_format.json", "another tool's JSON (a format of its own)",
         "format", "Export the weights again",
         lambda: dumps({"format": "hubspot-score", "score": {"name": "Lead score"}})),
    Case("weights_no_format.json", "the `format` key deleted", "format",
         '"format": "calibrate-weights"', changed(lambda d: d.pop("format"))),
    Case("weights_newer_version.json", "`version` 2, from a newer calibrate",
         "format version 2", "Upgrade calibrate", changed(lambda d: d.update(version=2))),
    Case("weights_no_table.json", "the `table` key deleted", "table", "Export the weights",
         changed(lambda d: d.pop("table"))),
    Case("weights_table_by_attribute.json",
         "`table` an object keyed by attribute instead of a list", "table",
         "one object per level",
         changed(lambda d: d.update(table={a: [r for r in d["table"] if r["attribute"] == a]
                                           for a in ("industry", "employees")}))),
    Case("weights_row_is_list.json", "one row a list of values (a CSV row pasted in)",
         f"table[{P}]", "Each row is one level",
         changed(lambda d: d["table"].__setitem__(P, list(d["table"][P].values())))),
    Case("weights_points_text.json", '`points` "ten"', P_KEY, "whole number from 0 to 1000",
         _edit_points("ten")),
    Case("weights_points_quoted.json", '`points` "25", a number in quotes', P_KEY,
         "without quotes", _edit_points("25")),
    Case("weights_points_thousands.json", '`points` "1,200" (a thousands separator)', P_KEY,
         "without quotes", _edit_points("1,200")),
    Case("weights_points_huge.json", "`points` 1e308", P_KEY, "Points run from 0 to 1000",
         _edit_points(1e308)),
    Case("weights_points_infinite.json", "`points` Infinity", P_KEY,
         "whole number from 0 to 1000", _edit_points(math.inf)),
    Case("weights_points_nan.json", "`points` NaN (was read as 0)", P_KEY,
         "0 when it should add nothing", _edit_points(math.nan)),
    Case("weights_points_null.json", "`points` null (was read as 0)", P_KEY,
         "0 when it should add nothing", _edit_points(None)),
    Case("weights_points_negative.json", "`points` -20 (passed unchecked)", P_KEY,
         "give this level 0", _edit_points(-20)),
    Case("weights_points_above_range.json", "`points` 5000", P_KEY, "scale them down",
         _edit_points(5000)),
    Case("weights_points_fraction.json", "`points` 12.5", P_KEY, "write 13",
         _edit_points(12.5)),
    Case("weights_points_missing.json", "a row without `points` (was read as 0)", P_KEY,
         "Give every level its points",
         changed(lambda d: row(d, "employees", "50-499").pop("points"))),
    Case("weights_points_misspelled.json", '`"point": 25` instead of `"points"`',
         f"table[{P}].point", 'Did you mean "points"?',
         changed(lambda d: row(d, "employees", "50-499").__setitem__(
             "point", row(d, "employees", "50-499").pop("points")))),
    Case("weights_axis_unknown.json", '`axis` "engagement"',
         f"table[{index('page_views', '1-5')}].axis", 'Did you mean "behavior"?',
         changed(lambda d: row(d, "page_views", "1-5").update(axis="engagement"))),
    Case("weights_axis_british.json", '`axis` "behaviour"',
         f"table[{index('demo_request', 'Yes')}].axis", 'Did you mean "behavior"?',
         changed(lambda d: row(d, "demo_request", "Yes").update(axis="behaviour"))),
    Case("weights_kind_unknown.json", '`kind` "number"', f"table[{P}].kind",
         'Did you mean "numeric"?',
         changed(lambda d: row(d, "employees", "50-499").update(kind="number"))),
    Case("weights_level_number.json", "`level` 0, a number, not the text \"0\"",
         f"table[{index('page_views', '0')}].level", 'in quotes: "level": "0"',
         changed(lambda d: row(d, "page_views", "0").update(level=0))),
    Case("weights_code_twice.json", "two levels of one attribute with code 1",
         f"table[{index('industry', 'Other')}].code", "each once",
         changed(lambda d: row(d, "industry", "Other").update(code=1))),
    Case("weights_axis_mixed.json", "one level of `industry` on the behavior axis",
         f"table[{index('industry', 'Finance')}].axis", "one axis",
         changed(lambda d: row(d, "industry", "Finance").update(axis="behavior"))),
    Case("weights_numeric_no_bound.json", "a middle bin of `employees` without `lower`",
         f"table[{P}].lower", '"lower": 50.0 (where the bin before ends)',
         changed(lambda d: row(d, "employees", "50-499").update(lower=None))),
    Case("weights_no_missing_level.json", "`demo_request` without its Missing level",
         f"table[{index('demo_request', 'Yes')}]", "add {", at="score",
         make=changed(_drop_level("demo_request", "Missing"))),
    Case("weights_no_other_level.json", "`industry` (categorical) without its Other level",
         "industry", "Add a level 'Other'", at="score",
         make=changed(_drop_level("industry", "Other"))),
    Case("weights_thresholds_out_of_range.json", "`min_profile` 150",
         "thresholds.min_profile", "from 0 to 100",
         changed(lambda d: d["thresholds"].update(min_profile=150))),
    Case("weights_thresholds_quoted.json", '`min_behavior` "30"', "thresholds.min_behavior",
         "without quotes", changed(lambda d: d["thresholds"].update(min_behavior="30"))),
    Case("weights_thresholds_no_mode.json",
         '`{"min_total": 55}` without `"mode": "total"` (no lead would be an MQL)',
         "thresholds.mode", '"mode": "total"',
         changed(lambda d: d.update(thresholds={"min_total": 55}))),
    Case("weights_thresholds_misspelled.json", "`min_behaviour` for `min_behavior`",
         "thresholds.min_behaviour", 'Did you mean "min_behavior"?',
         changed(lambda d: d["thresholds"].__setitem__(
             "min_behaviour", d["thresholds"].pop("min_behavior")))),
    Case("weights_key_misspelled.json", "`treshold` for `thresholds` (they were dropped)",
         "treshold", 'Did you mean "thresholds"?',
         changed(lambda d: d.__setitem__("treshold", d.pop("thresholds")))),
    Case("weights_rules_unknown.json", "`rules.qualify_flag` for `qualify_flags`",
         "rules.qualify_flag", 'Did you mean "qualify_flags"?',
         changed(lambda d: d["rules"].__setitem__(
             "qualify_flag", d["rules"].pop("qualify_flags")))),
    Case("weights_rules_text.json", '`competitor_domains` "rivalsoft.com", not a list',
         "rules.competitor_domains", '["rivalsoft.com"]',
         changed(lambda d: d["rules"].update(competitor_domains="rivalsoft.com"))),
    Case("weights_rules_pattern.json", "a fake-name pattern that is not a regular expression",
         "rules.fake_name_patterns[3]", "RE2",
         changed(lambda d: d["rules"]["fake_name_patterns"].append("(test"))),
    Case("weights_created_at.json", '`created_at` "last Tuesday"', "created_at", "ISO 8601",
         changed(lambda d: d.update(created_at="last Tuesday"))),
]


# ----------------------------------------------------------------------------- mapping cases


def text(content: str) -> Callable[[], str]:
    return lambda: content


GOOD_MAPPING_TEXT = """\
# The columns of leads.csv, as calibrate would guess them, said outright.
[columns.status]
role = "outcome"
[columns.industry]
role = "profile"
type = "categorical"
[columns.page_views]
role = "behavior"
type = "numeric"

[outcomes]
won = ["Verbal Yes"]
no_decision = ["Went dark"]
ignore = ["Duplicate"]

[placeholders]
values = ["TBD", "n/v"]

[read]
delimiter = ","
encoding = "utf-8"
quote = '"'
skip = 0
max_line_size = 100000000
"""

MAPPINGS: list[Case] = [
    Case("mapping_not_toml.toml", "a section header without its closing bracket", "line",
         "Mapping file", text('[columns."Lead Status"\nrole = "outcome"\n')),
    Case("mapping_section_misspelled.toml", "`[colums.status]` (was silently ignored)",
         "[colums]", "[columns.status]", text('[colums.status]\nrole = "outcome"\n')),
    Case("mapping_section_singular.toml", "`[placeholder]` for `[placeholders]`",
         "[placeholder]", "[placeholders]", text('[placeholder]\nvalues = ["TBD"]\n')),
    Case("mapping_section_unknown.toml", "a `[weights]` section calibrate has none of",
         "[weights]", "The sections are", text("[weights]\nindustry = 30\n")),
    Case("mapping_key_outside_section.toml", "`delimiter` above any section",
         "delimiter", "under [read]", text('delimiter = ";"\n\n[columns.status]\n'
                                           'role = "outcome"\n')),
    Case("mapping_columns_list.toml", "`columns` a list where a table is expected",
         "[columns]", 'role = "outcome"', text('columns = ["industry", "employees"]\n')),
    Case("mapping_column_is_text.toml", '`industry = "profile"` under `[columns]`',
         "[columns.industry]", 'role = "profile"',
         text('[columns]\nindustry = "profile"\n')),
    Case("mapping_role_unknown.toml", 'role "behaviour"', "[columns.page_views] role",
         'Did you mean "behavior"?', text('[columns.page_views]\nrole = "behaviour"\n')),
    Case("mapping_role_number.toml", "role 1, a number", "[columns.status] role",
         "Use one of", text("[columns.status]\nrole = 1\n")),
    Case("mapping_type_unknown.toml", 'type "number"', "[columns.employees] type",
         'Did you mean "numeric"?', text('[columns.employees]\ntype = "number"\n')),
    Case("mapping_column_key_misspelled.toml", "`rol` for `role`", "[columns.status] rol",
         "Did you mean role?", text('[columns.status]\nrol = "outcome"\n')),
    Case("mapping_two_outcomes.toml", "two columns with role outcome",
         "[columns.industry] role", 'role = "ignore"',
         text('[columns.status]\nrole = "outcome"\n[columns.industry]\nrole = "outcome"\n')),
    Case("mapping_outcomes_list.toml", "`outcomes` a list where a table is expected",
         "[outcomes]", 'won = ["Verbal Yes"]', text('outcomes = ["Verbal Yes"]\n')),
    Case("mapping_outcome_unknown.toml", "`win` for `won`", "[outcomes] win",
         "Did you mean won?", text('[outcomes]\nwin = ["Verbal Yes"]\n')),
    Case("mapping_outcome_text.toml", '`won = "Verbal Yes"`, one text, not a list',
         "[outcomes] won", 'won = ["Verbal Yes"]', text('[outcomes]\nwon = "Verbal Yes"\n')),
    Case("mapping_outcome_numbers.toml", "`won = [1]`, labels as numbers", "[outcomes] won",
         'won = ["1"]', text("[outcomes]\nwon = [1]\nlost = [0]\n")),
    Case("mapping_label_twice.toml", '"Parked" under both `lost` and `no_decision`',
         "[outcomes] no_decision", "keep it under one",
         text('[outcomes]\nlost = ["Parked", "Lost to rival"]\nno_decision = ["Parked"]\n')),
    Case("mapping_placeholders_text.toml",
         '`values = "TBD"` (became the placeholders T, B and D)', "[placeholders] values",
         'values = ["TBD"]', text('[placeholders]\nvalues = "TBD"\n')),
    Case("mapping_placeholders_list.toml", "`placeholders = [...]` without `values`",
         "[placeholders]", 'values = ["TBD", "n/v"]',
         text('placeholders = ["TBD", "n/v"]\n')),
    Case("mapping_placeholders_key.toml", "`value` for `values`", "[placeholders] value",
         "Did you mean values?", text('[placeholders]\nvalue = ["TBD"]\n')),
    Case("mapping_read_array.toml", "`[[read]]` (an array of tables) for `[read]`", "[read]",
         "Write [read] on its own line", text('[[read]]\ndelimiter = ";"\n')),
    Case("mapping_read_key_misspelled.toml", "`delimeter` for `delimiter`",
         "[read] delimeter", "Did you mean delimiter?", text('[read]\ndelimeter = ";"\n')),
    Case("mapping_delimiter_number.toml", "`delimiter = 9` (the tab's code), not text",
         "[read] delimiter", "one character in quotes", text("[read]\ndelimiter = 9\n")),
    Case("mapping_delimiter_word.toml", '`delimiter = "tab"`', "[read] delimiter",
         'delimiter = "\\t"', text('[read]\ndelimiter = "tab"\n')),
    Case("mapping_delimiter_long.toml", '`delimiter = ";;"`', "[read] delimiter",
         "one character", text('[read]\ndelimiter = ";;"\n')),
    Case("mapping_encoding_unknown.toml", '`encoding = "ANSI"` (Windows\' word; no codec)',
         "[read] encoding", "utf-8, utf-16 or latin-1", text('[read]\nencoding = "ANSI"\n')),
    Case("mapping_encoding_windows.toml",
         '`encoding = "windows-1252"` (Python knows it, DuckDB does not)', "[read] encoding",
         'encoding = "latin-1"', text('[read]\nencoding = "windows-1252"\n')),
    Case("mapping_skip_negative.toml", "`skip = -1`", "[read] skip", "0 or more",
         text("[read]\nskip = -1\n")),
    Case("mapping_skip_text.toml", '`skip = "3"`', "[read] skip", "without quotes",
         text('[read]\nskip = "3"\n')),
    Case("mapping_max_line_size_text.toml", '`max_line_size = "100MB"`',
         "[read] max_line_size", "max_line_size = 100000000",
         text('[read]\nmax_line_size = "100MB"\n')),
    Case("mapping_sheet_number.toml", "`sheet = 2` (a position, not the sheet's name)",
         "[read] sheet", 'sheet = "Leads"', text("[read]\nsheet = 2\n")),
]


# ----------------------------------------------------------------------------- writing


def write_all() -> list[str]:
    files = {LEADS: leads(), GOOD_WEIGHTS: dumps(good_doc()), GOOD_MAPPING: GOOD_MAPPING_TEXT}
    for case in WEIGHTS + MAPPINGS:
        files[case.file] = case.make()
    assert len(files) == 3 + len(WEIGHTS) + len(MAPPINGS), "two cases share a file name"
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (HERE / name).write_bytes(data)
    return sorted(files)


def said(case: Case) -> str:
    """What calibrate says about the case's file (for the README table)."""
    from calibrate.data.roles import load_mapping
    from calibrate.decide.scored_leads import score_file
    from calibrate.errors import CalibrateError
    from calibrate.model.weights import Weights

    path = HERE / case.file
    try:
        if case.file.startswith("weights_"):
            weights = Weights.read(path)
            score_file(HERE / LEADS, weights)
        else:
            load_mapping(path)
    except CalibrateError as exc:
        fix = " ".join((exc.fix or "").split())
        return f"{exc.what} — fix: {fix}".replace(str(path), case.file).replace("|", "\\|")
    return "(accepted)"


def readme_table() -> str:
    lines = ["| file | what is wrong | what calibrate says |", "|---|---|---|"]
    for case in WEIGHTS + MAPPINGS:
        where = " (*at score*)" if case.at == "score" else ""
        lines.append(f"| `{case.file}` | {case.wrong}{where} | {said(case)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if "--readme" in sys.argv[1:]:
        print(readme_table())
    else:
        names = write_all()
        print(f"wrote {len(names)} files to {HERE}")

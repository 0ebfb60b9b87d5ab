"""``calibrate scenario save|list|show|compare|agree``, the agreement's exports and ``score``'s MQL
column, through the command line (``main`` in-process, and the installed console script)."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from calibrate import fmt
from calibrate.cli import main
from calibrate.data import store
from calibrate.decide.agreement import figure_lines, mql_note, threshold_settings
from calibrate.decide.comparison import compare
from calibrate.decide.scenarios import find_scenario, get_scenario, list_scenarios
from calibrate.decide.tradeoff import Settings, figures, figures_for
from calibrate.decide.workshop import active_weights, last_months, rules_of, workshop_grid
from calibrate.errors import CalibrateError
from calibrate.model.weights import save_weights

from conftest import SAMPLE_CSV

CALIBRATE = Path(sys.executable).parent / "calibrate"  # the installed console script


def _slice(path: Path, first: int, last: int) -> Path:
    """Sample leads ``first`` to ``last`` (1-based data rows) with the header."""
    with open(SAMPLE_CSV, encoding="utf-8") as src, open(path, "w", encoding="utf-8") as out:
        for i, line in enumerate(src):
            if i == 0 or first <= i <= last:
                out.write(line)
            elif i > last:
                break
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Two slices of the sample (the second overlaps and goes further: new data) and a
    small file of new leads to score."""
    folder = tmp_path_factory.mktemp("cli-scenarios")
    return {"leads": _slice(folder / "leads.csv", 1, 5_000),
            "newer": _slice(folder / "newer.csv", 2_001, 7_000),
            "new": _slice(folder / "new.csv", 5_001, 5_400)}


@pytest.fixture(scope="module")
def template(tmp_path_factory, files):
    """The first slice ingested with its weights fitted, once; each test copies it."""
    path = tmp_path_factory.mktemp("cli-template") / "c.duckdb"
    con = store.connect(path)
    from calibrate.data.ingest import ingest

    ingest(con, files["leads"])
    active_weights(con)
    con.close()
    return path


@pytest.fixture
def db(template, tmp_path) -> str:
    path = tmp_path / "c.duckdb"
    shutil.copy(template, path)
    return str(path)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def ok(capsys, *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    return out


def test_save_computes_what_the_app_computes_and_names_versions(db, capsys):
    out = ok(capsys, "scenario", "save", "Marketing proposal", "--min-profile", "40",
             "--min-behavior", "30", "--author", "Mia", "--note", "volume", "--db", db)
    assert "Scenario 'Marketing proposal' (#1) saved." in out
    assert "profile ≥ 40 and behavior ≥ 30; all segments, last 12 months" in out
    assert "Conversion (win rate of MQLs)" in out and "95% interval" in out

    con = store.connect(db)
    saved = find_scenario(con, "Marketing proposal")
    weights = active_weights(con)  # the weights in force, as the Thresholds page uses them
    grid = workshop_grid(con, weights, rules_of(weights))
    window = last_months(grid, 12)
    settings = Settings(min_profile=40, min_behavior=30, months_in_window=len(window))
    expected = figures_for(grid, window, settings)
    raw = con.execute("SELECT payload FROM scenarios WHERE id = ?", [saved.id]).fetchone()[0]
    con.close()
    assert expected.point() == figures(grid.cube(window, None), settings)
    assert saved.figures == expected.to_dict(ranges=True)  # the month ranges are saved too
    stored = json.loads(raw)["figures"]  # the stored JSON, read without the writer's code
    for key in ("mqls_per_month", "wins_per_month"):
        assert stored[f"{key}_low"] == pytest.approx(getattr(expected, f"{key}_low"))
        assert stored[f"{key}_low"] < stored[key] < stored[f"{key}_high"]
    shown = re.search(r"^  MQLs per month +(.+)$", out, re.MULTILINE).group(1)
    assert shown == (f"{fmt.per_month(stored['mqls_per_month'])} (range "
                     f"{fmt.per_month(stored['mqls_per_month_low'])}–"
                     f"{fmt.per_month(stored['mqls_per_month_high'])})")
    assert "90% of resamples" in out
    assert (saved.author, saved.note, saved.payload["weights_id"]) == ("Mia", "volume",
                                                                      weights.id)
    for label, text in figure_lines(saved.figures):
        assert f"{label}  " in out and text in out  # headline figures, as people read them

    out = ok(capsys, "scenario", "save", "Marketing proposal", "--min-profile", "45",
             "--min-behavior", "30", "--db", db)
    assert "saved as version 2 (earlier versions kept)" in out

    out = ok(capsys, "scenario", "save", "Enterprise", "--min-total", "55", "--segment",
             "enterprise", "--months", "0", "--db", db)
    assert "total ≥ 55; segment Enterprise, all history" in out
    con = store.connect(db)
    total = find_scenario(con, "Enterprise")
    grid = workshop_grid(con, weights, rules_of(weights))
    assert total.thresholds.main.mode == "total" and total.payload["months"] is None
    assert total.payload["segment"] == "Enterprise"
    assert total.figures == figures_for(grid, None, Settings(mode="total", min_total=55),
                                        only="Enterprise").to_dict(ranges=True)
    assert len(list_scenarios(con)) == 3  # the first version is kept
    con.close()


def test_list_compare_and_agree(db, capsys):
    for name, p, b in (("Marketing proposal", "40", "30"), ("Sales proposal", "60", "50"),
                       ("Marketing proposal", "45", "30")):
        ok(capsys, "scenario", "save", name, "--min-profile", p, "--min-behavior", b,
           "--author", name.split()[0], "--db", db)

    out = ok(capsys, "scenario", "list", "--db", db)
    assert "No agreement yet" in out
    lines = out.splitlines()
    assert [ln.split()[0] for ln in lines if "proposal" in ln] == ["3", "2"]  # newest first
    assert "profile ≥ 45 and behavior ≥ 30" in out and "profile ≥ 40" not in out
    assert "%" in out and "note:" not in out  # same basis as what is in force

    out = ok(capsys, "scenario", "agree", "sales proposal", "--by", "VP Sales and VP Marketing",
             "--note", "signed", "--db", db)
    assert "Agreement recorded (#4): 'Sales proposal' version 1 (#2)" in out
    listing = json.loads(ok(capsys, "scenario", "list", "--json", "--db", db))
    assert listing["agreement"]["scenario_id"] == 2
    assert listing["agreement"]["agreed_by"] == "VP Sales and VP Marketing"
    assert [(r["id"], r["version"], r["agreed"]) for r in listing["scenarios"]] == [
        (3, 2, False), (2, 1, True)]
    row = listing["scenarios"][1]
    assert row["thresholds"]["min_profile"] == 60 and 0 < row["conversion"] < 1
    assert row["drift"] is None
    out = ok(capsys, "scenario", "list", "--db", db)
    assert "Agreement in force: 'Sales proposal' version 1 (#2)" in out
    assert [ln.rstrip().endswith("agreed") for ln in out.splitlines() if "proposal" in ln
            and ln[0].isdigit()] == [False, True]

    out = ok(capsys, "scenario", "compare", "Marketing proposal", "#2", "--db", db)
    assert "A: 'Marketing proposal' version 2 (#3)" in out and "Both computed on weights #" in out
    # The sentence, B against A in whole leads, between the basis note and the table.
    said = next(ln for ln in out.splitlines() if ", against " in ln)
    assert re.fullmatch(r"Sales proposal, against Marketing proposal, sends [\d,]+ fewer leads "
                        r"a month and wins .+ deals?, at .+ conversion\.", said), said
    con = store.connect(db)
    assert said == compare(get_scenario(con, 3), get_scenario(con, 2)).sentence()
    con.close()
    assert out.index("Both computed on") < out.index(said) < out.index("Minimum profile score")
    assert "Minimum profile score" in out and "+15" in out  # 45 -> 60
    assert "Conversion (win rate of MQLs)" in out and " pts" in out
    for key in ("min_profile", "mqls_per_month", "conversion_low", "win_share"):
        assert key not in out  # labels, not internal keys
    data = json.loads(ok(capsys, "scenario", "compare", "#3", "#2", "--json", "--db", db))
    assert data["same_basis"] is True and data["sentence"] == said
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["min_profile"]["difference"] == 15
    conv = rows["conversion"]
    assert conv["a_text"].endswith("%") and conv["difference_text"] == (
        f"{100 * (conv['b'] - conv['a']):+.1f} pts")
    # A scenario's id picks that version, older ones included.
    assert "version 1 (#1)" in ok(capsys, "scenario", "compare", "#1", "#3", "--db", db)


def test_compare_says_when_the_weights_differ(db, capsys):
    ok(capsys, "scenario", "save", "A", "--min-profile", "40", "--min-behavior", "30",
       "--db", db)
    con = store.connect(db)
    weights = active_weights(con)
    save_weights(con, dataclasses.replace(weights, id=None), store.data_version(con))
    con.close()
    ok(capsys, "scenario", "save", "B", "--min-profile", "40", "--min-behavior", "30",
       "--db", db)
    out = ok(capsys, "scenario", "compare", "A", "B", "--db", db)
    assert "note: These two were computed on different weights or data" in out
    said = "so these figures are not comparable as they stand."
    assert re.search(r"^B, against A, sends .+ " + said + "$", out, re.MULTILINE)
    data = json.loads(ok(capsys, "scenario", "compare", "A", "B", "--json", "--db", db))
    assert data["same_basis"] is False and data["sentence"].endswith(said)
    out = ok(capsys, "scenario", "list", "--db", db)
    assert out.count("note:") == 1 and "since then: weights #" in out  # only A drifted


def test_a_scenario_saved_before_ranges_were_kept_still_shows(db, capsys):
    """A row as an earlier version wrote it (figures without the month ranges) compares,
    lists and exports beside one saved now: no range for it, no error."""
    ok(capsys, "scenario", "save", "Now", "--min-profile", "40", "--min-behavior", "30",
       "--db", db)
    con = store.connect(db)
    payload = json.loads(con.execute("SELECT payload FROM scenarios").fetchone()[0])
    payload["figures"] = {k: v for k, v in payload["figures"].items()
                          if k not in ("mqls_per_month_low", "mqls_per_month_high",
                                       "wins_per_month_low", "wins_per_month_high")}
    con.execute("INSERT INTO scenarios VALUES (nextval('scenario_id_seq'), now(), "
                "'Long ago', 'Mia', '', 'scenario', ?)", [json.dumps(payload)])
    con.close()
    out = ok(capsys, "scenario", "compare", "Long ago", "Now", "--db", db)
    for label in ("MQLs per month", "Wins per month"):
        line = next(ln for ln in out.splitlines() if ln.startswith(label))
        a, b = re.split(r" {2,}", line)[1:3]
        assert "range" not in a and re.fullmatch(r"[\d.,k]+ \(range [\d.,k]+–[\d.,k]+\)", b)
    assert "same number of leads a month" in out  # same thresholds, same figures
    data = json.loads(ok(capsys, "scenario", "compare", "Long ago", "Now", "--json", "--db",
                         db))
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["mqls_per_month"]["a_range"] is None
    assert rows["mqls_per_month"]["b_range"][0] < rows["mqls_per_month"]["b"]
    listing = {r["name"]: r for r in json.loads(ok(capsys, "scenario", "list", "--json",
                                                   "--db", db))["scenarios"]}
    assert listing["Long ago"]["mqls_per_month_low"] is None
    assert listing["Now"]["mqls_per_month_low"] < listing["Now"]["mqls_per_month"]
    ok(capsys, "scenario", "agree", "Long ago", "--by", "VP Sales", "--db", db)
    document = ok(capsys, "export", "--format", "markdown", "--db", db)
    assert "| MQLs per month | " in document and "range" not in document


def _shown_figure(out: str, label: str) -> str:
    """The text ``scenario show`` prints beside a figure's label."""
    return re.search(rf"^  {re.escape(label)} +(.+)$", out, re.MULTILINE).group(1)


def test_show_prints_one_scenario_as_saved_and_what_changed_since(db, capsys):
    """``scenario show`` prints the saved thresholds a bar a line and the saved figures, read
    back here from the stored JSON (not through the code that prints them); --json is that
    row; an agreement and a refit since are said."""
    ok(capsys, "scenario", "save", "Per team", "--min-profile", "40", "--min-behavior", "30",
       "--segment-thresholds", "Enterprise=70/10", "--capacity", "10x40", "--author", "Mia",
       "--note", "volume first", "--db", db)
    ok(capsys, "scenario", "save", "Sales proposal", "--min-profile", "60", "--min-behavior",
       "50", "--db", db)
    con = store.connect(db)
    sid, raw, saved_at = con.execute("SELECT id, payload, created_at FROM scenarios "
                                     "WHERE name = 'Per team'").fetchone()
    con.close()
    payload = json.loads(raw)
    f, t = payload["figures"], payload["thresholds"]

    out = ok(capsys, "scenario", "show", "per team", "--db", db)  # a name without case
    assert out.startswith(f"Scenario 'Per team' version 1 (#{sid}), saved "
                          f"{saved_at:%Y-%m-%d %H:%M} by Mia.\nNote: volume first\n")
    own = t["segments"]["Enterprise"]
    assert (f"MQL thresholds:\n  profile ≥ {t['min_profile']} and behavior ≥ "
            f"{t['min_behavior']}\n  Enterprise: profile ≥ {own['min_profile']} and "
            f"behavior ≥ {own['min_behavior']}\n") in out
    assert (t["min_profile"], t["min_behavior"], own["min_profile"]) == (40, 30, 70)
    assert f"computed on weights #{payload['weights_id']} and " in out
    assert "all segments, last 12 months" in out
    for key, label in (("mqls_per_month", "MQLs per month"),
                       ("wins_per_month", "Wins per month")):
        assert _shown_figure(out, label) == (
            f"{fmt.per_month(f[key])} (range {fmt.per_month(f[key + '_low'])}–"
            f"{fmt.per_month(f[key + '_high'])})")
    assert _shown_figure(out, "Conversion (win rate of MQLs)") == (
        f"{fmt.percent(f['conversion'])} (95% interval {fmt.percent(f['conversion_low'])} "
        f"to {fmt.percent(f['conversion_high'])})")
    assert _shown_figure(out, "Share of all wins captured") == fmt.percent(f["win_share"])
    assert _shown_figure(out, "Sales capacity used") == fmt.percent(f["capacity_used"])
    assert f["capacity_used"] == pytest.approx(f["mqls_per_month"] / 400)
    assert "Sales capacity: All leads: 10 reps × 40 leads a month = 400" in out
    assert "90% of resamples" in out and "Nothing changed since" in out
    assert "agreement in force" not in out

    data = json.loads(ok(capsys, "scenario", "show", f"#{sid}", "--json", "--db", db))
    assert data["payload"] == payload  # the stored row, as stored
    assert (data["id"], data["name"], data["version"], data["author"], data["note"]) == (
        sid, "Per team", 1, "Mia", "volume first")
    assert data["saved_at"] == saved_at.isoformat(timespec="seconds")
    assert data["agreed"] is False and data["changed_since"] is None

    # Agreed on, then weights refitted: both said, the figures still the saved ones.
    ok(capsys, "scenario", "agree", "Per team", "--by", "VP Sales", "--db", db)
    con = store.connect(db)
    weights = active_weights(con)
    new_id = save_weights(con, dataclasses.replace(weights, id=None), store.data_version(con))
    con.close()
    out = ok(capsys, "scenario", "show", "Per team", "--db", db)
    assert "This is the agreement in force, agreed by VP Sales on " in out
    assert re.search(rf"^note: Saved on weights #{payload['weights_id']} and [\d,]+ leads "
                     rf"loaded on .+; since then: weights #{new_id}\. ", out, re.MULTILINE)
    assert _shown_figure(out, "Share of all wins captured") == fmt.percent(f["win_share"])
    data = json.loads(ok(capsys, "scenario", "show", "Per team", "--json", "--db", db))
    assert data["agreed"] is True
    assert data["changed_since"].endswith(f"since then: weights #{new_id}.")
    assert "agreement in force" not in ok(capsys, "scenario", "show", "Sales proposal",
                                          "--db", db)


def test_show_an_unknown_name_lists_the_saved_ones(db, capsys):
    code, out, err = run(capsys, "scenario", "show", "Anything", "--db", db)
    assert code == 2 and out == "" and "none is saved yet" in err
    ok(capsys, "scenario", "save", "Sales proposal", "--min-profile", "60", "--min-behavior",
       "50", "--db", db)
    ok(capsys, "scenario", "save", "Marketing proposal", "--min-profile", "40",
       "--min-behavior", "30", "--db", db)
    done = subprocess.run([str(CALIBRATE), "scenario", "show", "Finance proposal", "--db", db],
                          capture_output=True, text=True)  # the console script, a process
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: No scenario named 'Finance proposal'.")
    assert "the saved ones are 'Marketing proposal' (#2), 'Sales proposal' (#1)" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["--min-profile", "101", "--min-behavior", "30"], "minimum profile score 101 is outside"),
    (["--min-profile", "40", "--min-behavior", "-1"], "minimum behavior score -1 is outside"),
    (["--min-total", "120"], "minimum total score 120 is outside"),
    (["--min-profile", "40"], "No minimum behavior score"),
    (["--min-profile", "40", "--min-behavior", "30", "--min-total", "50"], "Both a minimum"),
    (["--min-profile", "40", "--min-behavior", "30", "--segment", "SMB"],
     "Use one of 'Enterprise', 'Field', 'Inside Sales'"),
    (["--min-profile", "40", "--min-behavior", "30", "--months", "-3"], "negative"),
])
def test_save_refuses_what_it_cannot_compute(db, capsys, args, message):
    code, out, err = run(capsys, "scenario", "save", "X", *args, "--db", db)
    assert code == 2 and message in err and "How to fix:" in err
    con = store.connect(db)
    assert list_scenarios(con) == []  # nothing saved
    con.close()


def test_unknown_names_list_the_known_ones(db, capsys):
    code, _, err = run(capsys, "scenario", "agree", "Sales", "--by", "me", "--db", db)
    assert code == 2 and "none is saved yet" in err and "calibrate scenario save" in err
    ok(capsys, "scenario", "save", "Sales proposal", "--min-profile", "60", "--min-behavior",
       "50", "--db", db)
    for args in (["agree", "Sales", "--by", "me"], ["compare", "Sales proposal", "#9"]):
        code, _, err = run(capsys, "scenario", *args, "--db", db)
        assert code == 2 and "'Sales proposal' (#1)" in err
    code, _, err = run(capsys, "scenario", "agree", "Sales proposal", "--by", " ", "--db", db)
    assert code == 2 and "who agreed" in err


def test_threshold_settings_typed_by_hand():
    assert threshold_settings(0, 100) == Settings(mode="both", min_profile=0, min_behavior=100)
    assert threshold_settings(min_total=0).mode == "total"
    with pytest.raises(CalibrateError, match="outside 0 to 100"):
        threshold_settings(40.5, 30)


def _score(capsys, db, files, tmp_path, *save_args: str) -> tuple[pd.DataFrame, str]:
    """Save thresholds, agree on them, export the weights and score the new leads."""
    ok(capsys, "scenario", "save", "Edge", *save_args, "--db", db)
    ok(capsys, "scenario", "agree", "Edge", "--by", "both", "--db", db)
    weights = tmp_path / "weights.json"
    ok(capsys, "export", "--format", "json", "--out", str(weights), "--db", db)
    scored = tmp_path / "scored.csv"
    out = ok(capsys, "score", str(files["new"]), "--weights", str(weights), "--out",
             str(scored))
    return pd.read_csv(scored).set_index("lead_id"), out


def test_a_lead_at_the_thresholds_is_an_mql_and_one_point_below_is_not(
        db, capsys, files, tmp_path):
    weights = tmp_path / "plain.json"
    _, _, err = run(capsys, "export", "--format", "json", "--out", str(weights), "--db", db)
    assert "no scenario is saved yet" in err
    assert json.loads(weights.read_text())["thresholds"] is None
    code, out, err = run(capsys, "score", str(files["new"]), "--weights", str(weights),
                         "--out", str(tmp_path / "s.csv"))
    assert code == 0
    assert "warning: the weights file carries no thresholds: mql is false for every lead" \
        in err and "export the weights after saving a scenario" in err
    plain = pd.read_csv(tmp_path / "s.csv").set_index("lead_id")
    assert not plain.loc[plain["rule"].isna(), "mql"].any()

    # A lead no auto-rule touches, with room for one point more on each axis.
    free = plain[plain["rule"].isna() & (plain["profile_points"] < 100)
                 & (plain["behavior_points"] < 100) & (plain["total"] < 100)]
    lead = free.sort_values("total").index[len(free) // 2]
    p, b, t = (int(free.loc[lead, c]) for c in ("profile_points", "behavior_points", "total"))

    frame, out = _score(capsys, db, files, tmp_path, "--min-profile", str(p),
                        "--min-behavior", str(b))
    assert f"mql applies the thresholds in the weights file, profile ≥ {p} and behavior ≥ {b}" \
        in out
    assert bool(frame.loc[lead, "mql"]) is True  # equal to both thresholds: an MQL (>=)
    unruled = frame[frame["rule"].isna()]
    assert (unruled["mql"] == ((unruled["profile_points"] >= p)
                               & (unruled["behavior_points"] >= b))).all()
    for args in (("--min-profile", str(p + 1), "--min-behavior", str(b)),
                 ("--min-profile", str(p), "--min-behavior", str(b + 1))):
        frame, _ = _score(capsys, db, files, tmp_path, *args)
        assert bool(frame.loc[lead, "mql"]) is False  # one point below a threshold

    frame, out = _score(capsys, db, files, tmp_path, "--min-total", str(t))
    assert f"total ≥ {t}" in out and bool(frame.loc[lead, "mql"]) is True
    frame, _ = _score(capsys, db, files, tmp_path, "--min-total", str(t + 1))
    assert bool(frame.loc[lead, "mql"]) is False


def test_mql_note_counts_auto_qualified_leads_without_thresholds():
    text, warning = mql_note(None, [True, False, False], ["qualified:demo_request", None, ""])
    assert warning and "but the 1 an auto-rule qualifies" in text
    text, warning = mql_note({"mode": "total", "min_total": 60}, [True, False], [None, None])
    assert not warning and "total ≥ 60" in text and "1 of 2 leads are MQLs" in text


def test_the_agreement_exports_the_same_after_refit_edit_and_new_ingest(
        db, capsys, files, tmp_path):
    """Through the installed console script as real processes, and ``main`` in-process."""
    def cli(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([str(CALIBRATE), *args, "--db", db], capture_output=True,
                              text=True)
        assert "Traceback" not in done.stderr
        return done

    done = cli("scenario", "save", "Sales proposal", "--min-profile", "55", "--min-behavior",
               "40", "--author", "Sam")
    assert done.returncode == 0, done.stderr
    ok(capsys, "scenario", "save", "Marketing proposal", "--min-profile", "35",
       "--min-behavior", "25", "--db", db)
    code, _, err = run(capsys, "scenario", "agree", "Nobody's proposal", "--by", "VP Sales",
                       "--db", db)
    assert code == 2 and "'Sales proposal' (#1)" in err
    assert "Agreement recorded" in ok(capsys, "scenario", "agree", "Sales proposal", "--by",
                                      "VP Sales", "--db", db)

    def exports() -> tuple[dict[str, bytes], str]:
        errors = ""
        written = {}
        for kind in ("markdown", "html", "json", "rules"):
            out = tmp_path / f"agreement.{kind}"
            code, _, err = run(capsys, "export", "--format", kind, "--out", str(out), "--db",
                               db)
            assert code == 0, err
            written[kind], errors = out.read_bytes(), errors + err
        return written, errors

    before, err = exports()
    assert err == ""  # nothing differs yet
    document = before["markdown"].decode()
    assert "profile score is at least 55 **and** its behavior score is at least 40" in document
    assert "by VP Sales" in document
    assert re.search(r"Computed on weights #1 and [\d,]+ leads loaded on", document)
    assert json.loads(before["json"])["thresholds"]["min_profile"] == 55

    ok(capsys, "fit", "--db", db)  # a refit: new weights in force
    con = store.connect(db)  # an edit of the points: newer weights again
    from calibrate.model.points import edit_points

    weights = active_weights(con)
    first = weights.table.iloc[0]
    save_weights(con, dataclasses.replace(weights, id=None, table=edit_points(
        weights.table, {(first.attribute, first.level): int(first.points) + 9})),
        store.data_version(con))
    con.close()
    after, err = exports()
    assert after == before
    assert "since then: weights #3. This export is the agreement as it was saved." in err

    ok(capsys, "ingest", str(files["newer"]), "--replace", "--db", db)  # new data
    after, err = exports()
    assert after == before
    # The exports wrote the agreement's own weights: nothing was fitted on the new data.
    assert "since then: new data and no weights fitted on it yet." in err
    ok(capsys, "fit", "--db", db)
    done = cli("export", "--format", "markdown")
    assert done.returncode == 0 and done.stdout == document
    assert "since then: new data and weights #4." in done.stderr

    done = cli("scenario", "list")
    assert done.returncode == 0
    assert "Agreement in force: 'Sales proposal' version 1 (#1)" in done.stdout
    assert done.stdout.count("since then: new data and weights #4.") == 3  # agreement + 2


def test_an_empty_database_says_what_to_do(tmp_path, capsys):
    db = str(tmp_path / "empty.duckdb")
    code, _, err = run(capsys, "scenario", "save", "X", "--min-profile", "40",
                       "--min-behavior", "30", "--db", db)
    assert code == 2 and "No leads are loaded" in err and "calibrate ingest" in err
    assert "No scenario is saved yet" in ok(capsys, "scenario", "list", "--db", db)
    assert json.loads(ok(capsys, "scenario", "list", "--json", "--db", db))["scenarios"] == []


def test_segments_with_their_own_thresholds_are_scored_and_exported_as_agreed(
        db, capsys, files, tmp_path):
    frame, out = _score(capsys, db, files, tmp_path, "--min-profile", "40", "--min-behavior",
                        "30", "--segment-thresholds", " enterprise =70/10",
                        "--segment-thresholds", "Field=40/30")  # Field: the main bar
    assert "profile ≥ 40 and behavior ≥ 30; Enterprise: profile ≥ 70 and behavior ≥ 10" in out
    con = store.connect(db)
    saved = find_scenario(con, "Edge")
    assert saved.thresholds.to_dict()["segments"] == {
        "Enterprise": {"mode": "both", "min_profile": 70, "min_behavior": 10, "min_total": 50}}
    weights = active_weights(con)
    grid = workshop_grid(con, weights, rules_of(weights))
    window = last_months(grid, 12)
    main = Settings(min_profile=40, min_behavior=30, months_in_window=len(window))
    own = {"Enterprise": dataclasses.replace(main, min_profile=70, min_behavior=10)}
    assert saved.figures == figures_for(grid, window, main, own).to_dict(ranges=True)
    con.close()

    # Scoring new leads applies each team's bar: read their team from the file itself.
    team = pd.read_csv(files["new"], usecols=["lead_id", "sales_team"]).set_index("lead_id")
    frame = frame.join(team)
    free = frame[frame["rule"].isna()]
    enterprise = free["sales_team"] == "Enterprise"
    want = ((free["profile_points"] >= 70) & (free["behavior_points"] >= 10)).where(
        enterprise, (free["profile_points"] >= 40) & (free["behavior_points"] >= 30))
    assert enterprise.any() and (~enterprise).any()
    assert (free["mql"] == want).all()
    assert (free["mql"] != ((free["profile_points"] >= 40)
                            & (free["behavior_points"] >= 30))).any()  # the bar mattered

    document = ok(capsys, "export", "--format", "markdown", "--db", db)
    assert "In segment Enterprise, instead, a lead is an MQL when its profile score is at " \
           "least 70 **and** its behavior score is at least 10." in document
    rules = tmp_path / "rules.csv"
    ok(capsys, "export", "--format", "rules", "--out", str(rules), "--db", db)
    lines = pd.read_csv(rules, dtype=str, keep_default_na=False)
    mql = lines[lines["score"] == "mql"]
    assert mql[["segment", "field", "value"]].values.tolist() == [
        ["", "profile score", "40"], ["", "behavior score", "30"],
        ["Enterprise", "profile score", "70"], ["Enterprise", "behavior score", "10"]]


@pytest.mark.parametrize("args,message", [
    (["--segment-thresholds", "Enterprise:70/10"], "are not SEGMENT=PROFILE/BEHAVIOR"),
    (["--segment-thresholds", "Enterprise=70"], "are not SEGMENT=PROFILE/BEHAVIOR"),
    (["--segment-thresholds", "Enterprise=70/101"], "outside 0 to 100"),
    (["--segment-thresholds", "Nowhere=70/10"], "No segment 'Nowhere'"),
    (["--segment", "Field", "--segment-thresholds", "Enterprise=70/10"], "Both one segment"),
])
def test_segment_thresholds_that_cannot_be_used_are_refused(db, capsys, args, message):
    code, _, err = run(capsys, "scenario", "save", "X", "--min-profile", "40",
                       "--min-behavior", "30", *args, "--db", db)
    assert code == 2 and message in err and "How to fix:" in err


def test_each_segment_keeps_its_own_sales_capacity(db, capsys):
    out = ok(capsys, "scenario", "save", "Split teams", "--min-profile", "40",
             "--min-behavior", "30", "--segment-thresholds", "Enterprise=70/10",
             "--capacity", "10x40", "--segment-capacity", "enterprise=2x15",
             "--segment-capacity", "Field=0x50", "--db", db)
    con = store.connect(db)
    saved = find_scenario(con, "Split teams")
    weights = active_weights(con)
    grid = workshop_grid(con, weights, rules_of(weights))
    window = last_months(grid, 12)
    con.close()
    # Enterprise's capacity is judged against Enterprise's MQLs at its own bar (70/10)
    alone = figures(grid.cube(window, "Enterprise"), Settings(
        min_profile=70, min_behavior=10, months_in_window=len(window), reps=2,
        leads_per_rep_per_month=15))
    kept = saved.payload["segment_capacity"]
    assert list(kept) == ["Enterprise"]  # Field has no reps: no capacity of its own
    assert kept["Enterprise"]["capacity"] == 30
    assert kept["Enterprise"]["mqls_per_month"] == pytest.approx(alone.mqls_per_month)
    assert kept["Enterprise"]["capacity_used"] == pytest.approx(alone.mqls_per_month / 30)
    assert saved.payload["settings"]["reps"] == 10
    assert "Sales capacity: All leads: 10 reps × 40 leads a month = 400" in out
    assert "Sales capacity: Enterprise: 2 reps × 15 leads a month = 30; " in out
    md = ok(capsys, "export", "--format", "markdown", "--db", db)
    assert "- Enterprise: 2 reps × 15 leads a month = 30; " in md


@pytest.mark.parametrize("args,message", [
    (["--capacity", "10/40"], "is not REPSxLEADS"),
    (["--capacity", "10x-4"], "is not REPSxLEADS"),
    (["--segment-capacity", "Enterprise:3x20"], "is not SEGMENT=REPSxLEADS"),
    (["--segment-capacity", "Nowhere=3x20"], "No segment 'Nowhere'"),
])
def test_capacity_that_cannot_be_used_is_refused(db, capsys, args, message):
    code, _, err = run(capsys, "scenario", "save", "X", "--min-profile", "40",
                       "--min-behavior", "30", *args, "--db", db)
    assert code == 2 and message in err and "How to fix:" in err
    con = store.connect(db)
    assert list_scenarios(con) == []
    con.close()

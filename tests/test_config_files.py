"""Bad weights and mapping files: every fault is a message naming the file, the key and a fix.

The files are in ``tests/data/bad/config/`` (written by ``make_config.py``, whose ``WEIGHTS``
and ``MAPPINGS`` say what is wrong with each and what calibrate must name). Each goes to the
library (``Weights.read``, ``load_mapping``) and to the command line as a process of its own
(``calibrate score LEADS --weights BAD``, ``calibrate ingest LEADS --mapping BAD``): exit
code 2, the file, the key and "How to fix" on standard error, never a traceback, nothing
written. Every file runs in a process forked from one interpreter that has imported the
command once (:data:`FORKING_CLI`; a fresh start-up costs seconds on two shared cores); a
few, and the good files, run through the installed console script itself.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from calibrate.data.roles import Mapping, load_mapping, mapping_from_dict
from calibrate.errors import InputError
from calibrate.model.weights import Weights

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).resolve().parent / "data" / "bad" / "config"
README = CONFIG.parent / "README.md"
CLI = ROOT / ".venv" / "bin" / "calibrate"

_spec = importlib.util.spec_from_file_location("make_config", CONFIG / "make_config.py")
make_config = importlib.util.module_from_spec(_spec)
sys.modules["make_config"] = make_config  # dataclasses look their module up
_spec.loader.exec_module(make_config)
WEIGHTS, MAPPINGS = make_config.WEIGHTS, make_config.MAPPINGS
LEADS = CONFIG / make_config.LEADS
GOOD_WEIGHTS = CONFIG / make_config.GOOD_WEIGHTS
GOOD_MAPPING = CONFIG / make_config.GOOD_MAPPING


def ids(cases):
    return [c.file for c in cases]


def test_the_gallery_holds_every_case_the_issue_counts():
    # Issue 17 tried 22 bad weights files and 23 bad mapping files.
    assert len(WEIGHTS) >= 22 and len(MAPPINGS) >= 23
    assert len({c.file for c in WEIGHTS + MAPPINGS}) == len(WEIGHTS) + len(MAPPINGS)
    for case in WEIGHTS + MAPPINGS:
        assert (CONFIG / case.file).is_file(), f"run {CONFIG / 'make_config.py'}"


@pytest.mark.parametrize("case", WEIGHTS + MAPPINGS, ids=ids(WEIGHTS + MAPPINGS))
def test_each_file_is_what_the_generator_writes(case):
    made = case.make()
    assert (CONFIG / case.file).read_bytes() == (
        made if isinstance(made, bytes) else made.encode("utf-8"))


def test_every_case_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Config files"):]
    for case in WEIGHTS + MAPPINGS:
        assert f"`{case.file}`" in section, case.file


def check_message(err: InputError, path: Path, case) -> None:
    text = err.message
    assert err.file == str(path)
    assert case.key in text, (case.key, text)
    assert err.fix and case.fix in err.fix, (case.fix, err.fix)


# ----------------------------------------------------------------------------- library


@pytest.mark.parametrize("case", [c for c in WEIGHTS if c.at == "read"],
                         ids=ids([c for c in WEIGHTS if c.at == "read"]))
def test_weights_read_refuses_each_bad_file(case):
    path = CONFIG / case.file
    with pytest.raises(InputError) as err:
        Weights.read(path)
    check_message(err.value, path, case)


@pytest.mark.parametrize("case", [c for c in WEIGHTS if c.at == "score"],
                         ids=ids([c for c in WEIGHTS if c.at == "score"]))
def test_a_well_formed_table_that_cannot_score_is_refused_when_scoring(case):
    from calibrate.decide.scored_leads import score_file

    path = CONFIG / case.file
    weights = Weights.read(path)  # well formed: other exports read it
    with pytest.raises(InputError) as err:
        score_file(LEADS, weights)
    check_message(err.value, path, case)
    assert isinstance(err.value, ValueError)  # what code checking tables catches


@pytest.mark.parametrize("case", MAPPINGS, ids=ids(MAPPINGS))
def test_load_mapping_refuses_each_bad_file(case):
    path = CONFIG / case.file
    with pytest.raises(InputError) as err:
        load_mapping(path)
    check_message(err.value, path, case)


def test_the_good_files_load():
    weights = Weights.read(GOOD_WEIGHTS)
    assert len(weights.table) == 15 and weights.thresholds.main.min_profile == 40
    assert weights.table["points"].between(0, 1000).all()
    mapping = load_mapping(GOOD_MAPPING)
    assert mapping.role_for("status") == "outcome" and mapping.type_for("page_views") == "numeric"
    assert mapping.outcomes == {"won": ["Verbal Yes"], "no_decision": ["Went dark"],
                                "ignore": ["Duplicate"]}
    assert mapping.placeholders == ["TBD", "n/v"]
    assert mapping.read == {"delimiter": ",", "encoding": "utf-8", "quote": '"', "skip": 0,
                            "max_line_size": 100_000_000}


@pytest.mark.parametrize(("written", "read"), [
    ("UTF8", "utf-8"), ("utf_8", "utf-8"), ("ascii", "utf-8"), ("utf-8-sig", "utf-8"),
    ("latin1", "latin-1"), ("ISO-8859-1", "latin-1"), ("Latin-1", "latin-1"),
    ("UTF-16", "utf-16")])
def test_an_encoding_duckdb_reads_is_taken_under_any_of_its_names(written, read):
    assert mapping_from_dict({"read": {"encoding": written}}).read == {"encoding": read}


def test_every_fault_of_a_file_is_reported_at_once():
    doc = json.loads(GOOD_WEIGHTS.read_text(encoding="utf-8"))
    doc["table"][0]["points"] = "ten"
    doc["table"][9]["axis"] = "engagement"
    doc["thresholds"]["min_profile"] = 150
    with pytest.raises(InputError) as err:
        Weights.from_dict(doc, "w.json", points_range=(0, 1000))
    text = err.value.message
    assert "has 3 problems" in text
    for key in ("table[0].points", "table[9].axis", "thresholds.min_profile"):
        assert key in err.value.what and key in err.value.fix


def test_a_single_bad_value_does_not_make_its_attribute_look_wrong():
    doc = json.loads(GOOD_WEIGHTS.read_text(encoding="utf-8"))
    doc["table"][5]["points"] = "ten"
    with pytest.raises(InputError) as err:
        Weights.from_dict(doc, "w.json")
    assert "table[5].points" in err.value.message and "code" not in err.value.message


def test_stored_weights_keep_whatever_whole_points_the_app_allows():
    # The Weights page's editor takes points from -100 to 200 and a lock may be negative:
    # what the store holds reads back. Only a file handed to calibrate (Weights.read) is
    # held to 0..1000.
    doc = json.loads(GOOD_WEIGHTS.read_text(encoding="utf-8"))
    doc["table"][5]["points"] = -20
    assert Weights.from_dict(doc).table.loc[5, "points"] == -20
    for bad in (math.nan, math.inf, 12.5, "ten", None):
        doc["table"][5]["points"] = bad
        with pytest.raises(InputError, match=r"table\[5\]\.points"):
            Weights.from_dict(doc)


def test_the_app_leaves_a_special_role_given_twice_to_ingest():
    # A file is held to one column per special role; the app's column table (edited a cell
    # at a time) is not, and ingest names the clash when the file is loaded.
    both = {"columns": {"status": {"role": "outcome"}, "industry": {"role": "outcome"}}}
    assert mapping_from_dict(both).role_for("industry") == "outcome"


def test_what_calibrate_writes_reads_back(tmp_path):
    weights = Weights.read(GOOD_WEIGHTS)
    path = tmp_path / "again.json"
    path.write_text(weights.to_json(), encoding="utf-8")
    again = Weights.read(path)
    assert again.to_dict() == weights.to_dict()
    mapping = Mapping(columns={"Größe (€)": {"type": "numeric"}}, outcomes={"won": ["Signed"]},
                      placeholders=["TBD"], read={"delimiter": "\t", "encoding": "latin-1"})
    from calibrate.data.roles import mapping_to_toml

    p = tmp_path / "m.toml"
    p.write_text(mapping_to_toml(mapping), encoding="utf-8")
    assert load_mapping(p) == mapping


def test_the_schema_knows_the_points_table_columns():
    from calibrate.model.points import COLUMNS, REQUIRED
    from calibrate.model.weights_file import ROW_KEYS, ROW_REQUIRED

    assert list(ROW_KEYS) == COLUMNS and ROW_REQUIRED == REQUIRED


# ----------------------------------------------------------------------------- command line

#: Runs ``calibrate`` once per job, each in a process of its own forked from one interpreter
#: that has imported the command's modules (a start-up of the console script imports
#: pandas, SciPy and DuckDB: seconds per file on two shared cores). Each child runs the
#: console script's code (``sys.exit(main())`` with ``sys.argv``) with its own standard
#: output and error files and exit code, and prints a traceback as the interpreter would.
FORKING_CLI = r"""
import json, os, sys, traceback
from calibrate.cli import main
import calibrate.decide.agreement, calibrate.export.files  # noqa
import calibrate.decide.scored_leads, calibrate.data.ingest  # noqa
results = []
for job in json.load(sys.stdin):
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        for fd, path in ((1, job["stdout"]), (2, job["stderr"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        sys.argv = ["calibrate", *job["args"]]
        try:
            code = main()
        except SystemExit as exc:
            code = exc.code
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)
    results.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
print(json.dumps(results))
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "CALIBRATE_DB"}


def _args(name: str, out: Path) -> tuple[list[str], Path]:
    """The command for a config file, and the file it writes only when it succeeds."""
    if name.startswith("weights_"):
        written = out / f"{name}.scored.csv"
        return ["score", str(LEADS), "--weights", str(CONFIG / name), "--out",
                str(written)], written
    written = out / f"{name}.duckdb"
    return ["ingest", str(LEADS), "--mapping", str(CONFIG / name), "--db", str(written)], \
        written


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """Every config file through ``calibrate`` (see :data:`FORKING_CLI`):
    file -> (exit code, stdout, stderr, the file it must not have written)."""
    out = tmp_path_factory.mktemp("cli")
    names = [c.file for c in WEIGHTS + MAPPINGS] + [make_config.GOOD_WEIGHTS,
                                                   make_config.GOOD_MAPPING]
    jobs = []
    for name in names:
        args, _ = _args(name, out)
        jobs.append({"args": args, "stdout": str(out / f"{name}.out"),
                     "stderr": str(out / f"{name}.err")})
    done = subprocess.run([str(CLI.parent / "python"), "-c", FORKING_CLI], input=json.dumps(jobs),
                          capture_output=True, text=True, timeout=600, env=_env())
    assert done.returncode == 0, done.stderr
    codes = json.loads(done.stdout.strip().splitlines()[-1])
    return {name: (code, Path(job["stdout"]).read_text(encoding="utf-8"),
                   Path(job["stderr"]).read_text(encoding="utf-8"), _args(name, out)[1])
            for name, job, code in zip(names, jobs, codes, strict=True)}


def assert_refused(case, code: int, stdout: str, stderr: str, written: Path) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr + stdout
    assert stderr.startswith("error: ")
    assert str(CONFIG / case.file) in stderr and case.key in stderr
    assert "How to fix:" in stderr and case.fix in stderr
    assert not written.exists()  # no scored file, no database: nothing was written


@pytest.mark.parametrize("case", WEIGHTS + MAPPINGS, ids=ids(WEIGHTS + MAPPINGS))
def test_the_command_line_names_file_key_and_fix(cli_runs, case):
    assert_refused(case, *cli_runs[case.file])


def test_the_command_line_takes_the_good_files(cli_runs):
    code, stdout, stderr, written = cli_runs[make_config.GOOD_WEIGHTS]
    assert code == 0, stderr
    assert "Scored 40 leads" in stdout and written.exists()
    assert "profile ≥ 40 and behavior ≥ 30" in stdout
    code, stdout, stderr, written = cli_runs[make_config.GOOD_MAPPING]
    assert code == 0, stderr
    assert "Loaded 40 leads" in stdout and written.exists()


#: Through the installed console script itself, one process each: a file refused on
#: reading and one refused when scoring, two mappings, and the good files.
CONSOLE = ["weights_points_infinite.json", "weights_no_missing_level.json",
           "mapping_section_misspelled.toml", "mapping_placeholders_text.toml"]


def test_the_console_script_as_installed(tmp_path):
    by_file = {c.file: c for c in WEIGHTS + MAPPINGS}
    for name in CONSOLE + [make_config.GOOD_WEIGHTS, make_config.GOOD_MAPPING]:
        args, written = _args(name, tmp_path)
        done = subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=300,
                              env=_env())
        if name in by_file:
            assert_refused(by_file[name], done.returncode, done.stdout, done.stderr, written)
        else:
            assert done.returncode == 0, done.stderr
            assert written.exists()


def test_a_nul_character_in_an_auto_rule_is_named_not_written_into_sql():
    doc = json.loads(GOOD_WEIGHTS.read_text(encoding="utf-8"))
    doc["rules"] = {"competitor_domains": ["rival\x00.com"],
                    "students": {"seniority": ["stu\x00dent"]}}
    with pytest.raises(InputError) as err:
        Weights.from_dict(doc, "w.json")
    for key in ("rules.competitor_domains", "rules.students"):
        assert key in err.value.what
    assert "NUL character" in err.value.fix and "Remove it" in err.value.fix


@pytest.mark.parametrize(("toml", "key", "words"), [
    ('[placeholders]\nvalues = ""\n', "[placeholders] values", "one empty text"),
    ('[read]\nencoding = "utf\\u0000-8"\n', "[read] encoding", "not an encoding Python knows"),
])
def test_odd_mapping_values_are_problems_not_crashes(tmp_path, toml, key, words):
    path = tmp_path / "mapping.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_mapping(path)
    assert key in err.value.what and words in err.value.fix + err.value.what

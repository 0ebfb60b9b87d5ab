"""The public API reads like a manual: every public name has a numpydoc docstring with an
example, and every example runs, on sample leads, as a notebook user would type it."""

from __future__ import annotations

import doctest
import inspect
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

import calibrate
from calibrate.estimator import LeadScorer
from calibrate.thresholds import Bar, Thresholds
from calibrate.tools.sample import generate
from calibrate.workbench import Workbench

#: The public API: what ``import calibrate`` offers, and the thresholds type it takes.
PUBLIC = [Workbench, LeadScorer, Bar, Thresholds]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _members(cls: type) -> list[tuple[str, object]]:
    own = [(n, v) for n, v in vars(cls).items() if not n.startswith("_")]
    return [(n, v.fget if isinstance(v, property) else v) for n, v in own
            if callable(v) or isinstance(v, property | staticmethod | classmethod)]


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_every_public_name_has_a_docstring_with_an_example(cls: type) -> None:
    assert "Examples\n" in inspect.getdoc(cls), cls.__name__
    lacking = [n for n, v in _members(cls)
               if "Examples\n" not in (inspect.getdoc(getattr(v, "__func__", v)) or "")]
    assert lacking == [], f"{cls.__name__}: no example in {lacking}"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with 3,000 sample leads, fitted, and two scenarios saved."""
    folder = tmp_path_factory.mktemp("docs")
    raw, _ = generate(3_000, seed=5)
    raw.to_csv(folder / "leads.csv", index=False)
    path = folder / "calibrate.duckdb"
    with Workbench(path, keep_backups=0) as wb:
        wb.ingest(folder / "leads.csv")
        wb.fit()
        wb.save_scenario("Sales", min_profile=60, min_behavior=45)
        wb.save_scenario("Marketing", min_profile=40, min_behavior=30)
    return path


def _examples() -> list[doctest.DocTest]:
    """Every example in the modules of the public names (with those modules' globals)."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    modules = {inspect.getmodule(obj) for obj in PUBLIC}
    tests = [t for m in modules for t in finder.find(m) if t.examples]
    return sorted(tests, key=lambda t: t.name)


@pytest.mark.parametrize("test", _examples(), ids=lambda t: t.name)
def test_the_example_runs(test: doctest.DocTest, prepared: Path, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(prepared.parent, tmp_path / "data")
    monkeypatch.chdir(tmp_path)  # examples name files: "data/leads.csv", "weights.json"
    wb = Workbench("data/calibrate.duckdb", keep_backups=0)
    test.globs.update({"calibrate": calibrate, "pd": pd, "wb": wb})
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    try:
        runner.run(test, out=out.write, clear_globs=False)
    finally:
        test.globs["wb"].close()
    assert runner.failures == 0, out.getvalue()

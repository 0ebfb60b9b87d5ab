"""The layers keep to their jobs: the screens reach the store only through the Workbench."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENS = sorted((ROOT / "src" / "calibrate" / "ui").glob("*.py")) + [ROOT / "app.py"]
#: What a screen may take from the store module: where the database is, not what it holds.
STORE_PATHS = {"resolve_db", "DEFAULT_DB", "ENV_DB", "shell_quote"}


def _reaches(path: Path) -> list[str]:
    """The places a module touches a database connection or the store's data functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr == "con":
            found.append(f"line {node.lineno}: .con")
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "store" and node.attr not in STORE_PATHS):
            found.append(f"line {node.lineno}: store.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module == "calibrate.data.store":
            found += [f"line {node.lineno}: import {a.name}" for a in node.names
                      if a.name not in STORE_PATHS]
    return found


@pytest.mark.parametrize("path", SCREENS, ids=lambda p: p.name)
def test_a_screen_reads_and_writes_through_the_workbench(path):
    assert _reaches(path) == []


def test_the_check_sees_a_screen_that_reads_the_store_itself(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from calibrate.data import store\n"
                   "rows = store.lead_count(wb.con)\n")
    assert sorted(_reaches(bad)) == ["line 2: .con", "line 2: store.lead_count"]

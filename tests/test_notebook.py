"""The walkthrough notebook runs top to bottom with the library's public functions."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def test_walkthrough_runs_top_to_bottom():
    nb = nbformat.read(ROOT / "notebooks" / "walkthrough.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = "\n".join(
        o.get("text", "") or str(o.get("data", {}).get("text/plain", ""))
        for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", []))
    assert "held-out AUC 0.8" in outputs
    assert "MQLs a month" in outputs and "wrote" in outputs
    assert not any(o.get("output_type") == "error" for c in nb.cells
                   for o in c.get("outputs", []))

"""Tests for the sample's true model (calibrate.tools.sample.truth): true_logit and truth.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibrate.tools import sample
from calibrate.tools.sample import TRUTH, true_logit, write_truth
from calibrate.tools.sample.vocabulary import COMPETITORS


def test_true_logit_by_hand() -> None:
    row = {
        "seniority": "Student",
        "department": "IT",
        "industry": "Software",
        "region": "EMEA",
        "lead_source": "Purchased List",
        "demo_request": "Yes",
        "contact_us": "No",
    }
    row |= {col: 0 for col in TRUTH["numeric"]}
    row["pricing_page_views"] = 3
    got = true_logit(pd.DataFrame([row]))
    cat = TRUTH["categorical"]
    want = (
        TRUTH["intercept"]
        + cat["seniority"]["Student"]
        + cat["department"]["IT"]
        + cat["industry"]["Software"]
        + cat["region"]["EMEA"]
        + cat["lead_source"]["Purchased List"]
        + TRUTH["numeric"]["pricing_page_views"]["weight"] * np.log1p(3)
        + TRUTH["flags"]["demo_request"]
    )
    assert got[0] == pytest.approx(want)
    with pytest.raises(ValueError, match="seniority"):
        true_logit(pd.DataFrame([row | {"seniority": "Select"}]))


def test_truth_is_documented(tmp_path: Path) -> None:
    path = tmp_path / "truth.json"
    write_truth(path)
    truth = json.loads(path.read_text(encoding="utf-8"))
    assert truth == json.loads(json.dumps(TRUTH))
    for key in ("description", "seed", "end", "months", "intercept", "categorical", "numeric"):
        assert key in truth
    assert truth["categorical"]["seniority"]["Student"] == pytest.approx(-3.0)
    sen = truth["categorical"]["seniority"]
    assert min(sen["C-Level"], sen["VP"], sen["Director"]) > sen["Manager"] > sen["Student"]
    assert truth["flags"]["demo_request"] == pytest.approx(2.0)
    assert truth["numeric"]["career_page_views"]["weight"] < 0
    assert all(v["transform"] == "log1p" for v in truth["numeric"].values())
    assert truth["junk"]["never_wins"] is True
    assert set(truth["categorical"]["industry"]) >= {"Agriculture", "Software"}


def test_module_constants_are_consistent() -> None:
    assert len(sample.COLUMNS) == 30
    assert set(TRUTH["junk"]["competitor_domains"]) == {d for _, d in COMPETITORS}

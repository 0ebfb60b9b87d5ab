"""Cut points: readable round numbers from data quantiles, and DuckDB's quantiles from a
value histogram."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from calibrate.model.binning import QUANTILES
from calibrate.model.cut_points import candidate_cuts, quantile_disc, readable


@pytest.mark.parametrize("n", [1, 5, 37, 100, 1001])
def test_quantiles_from_counts_match_duckdbs_quantile_disc(n):
    rng = np.random.default_rng(n)
    x = rng.integers(0, max(2, n // 3), n).astype(float)
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest(?) AS x", [list(x)])
    qlist = "[" + ", ".join(str(q) for q in QUANTILES) + "]"
    expected = con.execute(f"SELECT quantile_disc(x, {qlist}) FROM t").fetchone()[0]
    values, counts = np.unique(x, return_counts=True)
    assert quantile_disc(values, counts, QUANTILES) == expected


def test_readable_numbers_and_cut_points():
    assert candidate_cuts([0, 0, 0, 1, 2, 3, 5, 12, 30], 0, 100, True) == [
        1, 2, 3, 4, 6, 11, 26]
    assert readable(237, 28, True) == 250
    assert readable(4.857, 0.05, False) == 4.9
    assert readable(0.0123, 0.002, False) == 0.0125
    # cut points of spread-out continuous data stay within the data's resolution
    cuts = candidate_cuts([92.2, 92.9, 93.2, 93.44, 93.9, 94.5], 92.1, 94.8, False)
    assert len(cuts) >= 4 and all(92.1 < c <= 94.8 for c in cuts)

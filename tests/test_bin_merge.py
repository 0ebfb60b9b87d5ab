"""Merging candidate bins: small bins, pool-adjacent-violators of a clear trend, the most
similar neighbours; and the rank helper the trend test uses."""

from __future__ import annotations

import numpy as np
import pytest

from calibrate.model.bin_merge import average_ranks, merge_bins


def test_merge_bins_pools_violators_of_a_clear_trend():
    n = [1000] * 6
    w = [50, 80, 70, 120, 150, 200]  # increasing except bins 1-2
    groups, trend = merge_bins(n, w, min_n=10, max_bins=10)
    assert trend == "increasing"
    assert groups == [(0, 0), (1, 2), (3, 3), (4, 4), (5, 5)]


def test_merge_bins_keeps_a_u_shape_and_honours_min_and_max():
    n = [1000] * 5
    w = [150, 80, 50, 90, 160]  # U shape: no monotone trend
    groups, trend = merge_bins(n, w, min_n=10, max_bins=10)
    assert trend == "" and len(groups) == 5
    groups, _ = merge_bins([5, 1000, 1000, 3], [1, 100, 200, 2], min_n=50, max_bins=10)
    assert groups[0][0] == 0 and groups[-1][1] == 3 and len(groups) == 2
    groups, _ = merge_bins([100] * 8, [5, 50, 6, 60, 7, 70, 8, 80], min_n=1, max_bins=3)
    assert len(groups) == 3


@pytest.mark.parametrize("values", [[0.3, 0.1, 0.2], [0.1, 0.1, 0.2, 0.0, 0.2, 0.2], [5.0],
                                    [0.0, 0.0, 0.0], list(np.random.default_rng(3).integers(
                                        0, 7, 200) / 7)])
def test_average_ranks_match_scipy_rankdata(values):
    from scipy.stats import rankdata

    assert average_ranks(np.array(values)).tolist() == rankdata(values).tolist()


def test_fitting_does_not_import_scipy_stats():
    """scipy.stats costs the CLI's fit about 0.7 s of imports for one rank function."""
    import subprocess
    import sys

    code = ("import sys, calibrate.model.fit, calibrate.decide.workshop, calibrate.cli; "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"

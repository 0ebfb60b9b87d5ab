"""The population stability index: the formula on hand-computed counts, the small-count
guard, the conventional flags at their exact lines, and a score's bands."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calibrate.model.psi import SHIFTED, SMOOTHING, WATCH, flag, psi, psi_terms, score_cuts


def test_psi_on_hand_computed_counts():
    # shares 50/30/20 against 30/30/40: (0.3-0.5)ln(0.3/0.5) + 0 + (0.4-0.2)ln(0.4/0.2)
    by_hand = -0.2 * math.log(0.6) + 0.2 * math.log(2.0)
    assert psi([50, 30, 20], [30, 30, 40], smoothing=0) == pytest.approx(by_hand, abs=1e-12)
    assert by_hand == pytest.approx(0.240794, abs=1e-6)
    # The guard adds half a lead to every bin before taking shares.
    e = np.array([50.5, 30.5, 20.5]) / 101.5
    a = np.array([30.5, 30.5, 40.5]) / 101.5
    assert SMOOTHING == 0.5
    assert psi([50, 30, 20], [30, 30, 40]) == pytest.approx(float(np.sum((a - e) * np.log(
        a / e))), abs=1e-12)
    terms = psi_terms([50, 30, 20], [30, 30, 40], smoothing=0)
    assert terms[1] == 0 and terms.sum() == pytest.approx(by_hand)
    # Counts, not shares: the same mix at another size reads the same without smoothing.
    assert psi([5, 3, 2], [300, 300, 400], smoothing=0) == pytest.approx(by_hand)
    assert psi([7, 1, 2], [7, 1, 2]) == 0.0


def test_an_empty_bin_is_infinite_without_the_guard_and_finite_with_it():
    assert psi([10, 0], [5, 5], smoothing=0) == math.inf
    assert psi([5, 5, 0], [4, 6, 0], smoothing=0) == pytest.approx(psi([5, 5], [4, 6], 0))
    e = np.array([10.5, 0.5]) / 11
    a = np.array([5.5, 5.5]) / 11
    assert psi([10, 0], [5, 5]) == pytest.approx(float(np.sum((a - e) * np.log(a / e))))
    # A fixed epsilon would call a tiny month shifted; half a lead weighs by its size.
    assert psi([9000, 1000, 0], [36, 4, 0]) < WATCH
    with pytest.raises(ValueError):
        psi([1, 2], [1, 2, 3])


def test_flags_at_exactly_the_conventional_lines():
    assert (WATCH, SHIFTED) == (0.1, 0.25)
    assert flag(0.0) == "stable"
    assert flag(math.nextafter(0.1, 0)) == "stable"
    assert flag(0.1) == "watch"
    assert flag(math.nextafter(0.25, 0)) == "watch"
    assert flag(0.25) == "shifted"
    assert flag(3.0) == "shifted"
    assert flag(math.nan) == ""


def test_score_bands_are_the_reference_deciles_with_ties_merged():
    values = np.arange(100)
    assert list(score_cuts(values, np.ones(100))) == [9, 19, 29, 39, 49, 59, 69, 79, 89]
    tied = np.ones(100)
    tied[0] = 100  # half the leads at 0 points: the first five deciles are one band
    cuts = score_cuts(values, tied)
    assert cuts[0] == 0 and len(cuts) < 9 and list(cuts) == sorted(set(cuts))
    assert len(score_cuts([5], [10])) == 0  # one value: one band

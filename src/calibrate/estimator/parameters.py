"""``LeadScorer``'s parameters: their declared constraints (checked by scikit-learn before a
fit) and how they become the keyword arguments of :func:`calibrate.model.fit.fit`."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

if TYPE_CHECKING:
    from calibrate.estimator.lead_scorer import LeadScorer

__all__ = ["PARAMETER_CONSTRAINTS", "fit_options"]

#: ``LeadScorer._parameter_constraints``: a bad value raises scikit-learn's
#: ``InvalidParameterError`` naming the parameter before any work is done.
PARAMETER_CONSTRAINTS: dict = {
    "exclude_no_decision": ["boolean"],
    "C": [Interval(Real, 0, None, closed="right"), None],
    "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
    "cv_folds": [Interval(Integral, 2, None, closed="left")],
    "class_weight": [StrOptions({"balanced"}), None],
    "leakage": [StrOptions({"warn", "drop", "keep"})],
    "include": [list, tuple, None],
    "exclude": [list, tuple, None],
    "random_state": [Interval(Integral, 0, None, closed="left")],
    "test_size": [Interval(Real, 0, 1, closed="neither")],
    "min_count": [Interval(Integral, 1, None, closed="left"),
                  Interval(Real, 0, 1, closed="neither"), None],
    "max_bins": [Interval(Integral, 1, None, closed="left")],
    "min_share": [Interval(Real, 0, 0.5, closed="left")],
    "refit": ["boolean"],
    "cv_max_rows": [Interval(Integral, 100, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "max_fit_rows": [Interval(Integral, 100, None, closed="left"), None],
}


def fit_options(scorer: LeadScorer) -> dict[str, Any]:
    """The keyword arguments of :func:`calibrate.model.fit.fit` for ``scorer``'s
    parameters."""
    cs = (float(scorer.C),) if scorer.C is not None else scorer.Cs
    if not isinstance(cs, int | np.integer):
        cs = tuple(float(c) for c in np.asarray(cs, dtype=float).ravel())
    return dict(
        exclude_no_decision=bool(scorer.exclude_no_decision), min_count=scorer.min_count,
        cv_folds=int(scorer.cv_folds), Cs=cs, class_weight=scorer.class_weight,
        leakage=scorer.leakage,
        include=list(scorer.include) if scorer.include is not None else None,
        exclude=list(scorer.exclude) if scorer.exclude is not None else None,
        random_state=int(scorer.random_state), test_size=float(scorer.test_size),
        max_bins=int(scorer.max_bins), min_share=float(scorer.min_share),
        refit=bool(scorer.refit), cv_max_rows=int(scorer.cv_max_rows),
        tol=float(scorer.tol), max_iter=int(scorer.max_iter),
        max_fit_rows=None if scorer.max_fit_rows is None else int(scorer.max_fit_rows))


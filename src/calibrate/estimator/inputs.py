"""Reading ``LeadScorer``'s inputs: ``X`` checked into a DataFrame with string headers, and
``y``'s labels read as outcomes, with the ``classes_`` they give."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _assert_all_finite,
    check_array,
    column_or_1d,
    validate_data,
)

from calibrate.data.frames import as_pandas
from calibrate.data.outcomes import normalise

__all__ = ["NOT_WON", "WON", "as_frame", "fitted_classes", "read_outcomes"]

#: The two classes when ``y`` has more than one label for a side (``"Closed Lost"`` and
#: ``"No Decision"`` are both not won): ``classes_`` is then ``[NOT_WON, WON]``.
NOT_WON = "not won"
WON = "won"


def _is_missing(value: Any) -> bool:
    """A missing label: None, NaN, pandas NA or NaT."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def read_outcomes(y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``y`` as a 1-D array, and the outcome of each row (won / lost / no_decision / open).

    A numeric or boolean ``y`` holds at most two values, the greater meaning won (1 / 0,
    True / False, or as scikit-learn takes ``classes_[1]`` as the positive class, 1 / -1),
    and must be finite. Labels (strings) are read as ingest reads an outcome column
    (:func:`calibrate.data.outcomes.normalise`): won / lost / no decision and their CRM
    spellings (Closed Won, Closed - No Decision...), yes / no, 1 / 0; a missing or blank
    label is open. Anything else is a ``ValueError``.
    """
    y = column_or_1d(y, warn=True)
    if y.dtype.kind in "biufc":
        return y, _numeric_outcomes(y)
    codes, values = pd.factorize(y.astype(object), use_na_sentinel=True)
    outcomes = np.empty(len(values) + 1, dtype=object)
    outcomes[-1] = "open"  # code -1: a missing label
    unknown = []
    for i, value in enumerate(values):
        found = "open" if _is_missing(value) else normalise(str(value))
        if found is None:
            unknown.append(value)
        outcomes[i] = found
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:10])
        raise ValueError(
            f"y holds labels that are not outcomes: {shown}. LeadScorer predicts won against "
            "not won: pass labels such as won / lost / no decision (or Closed Won, Closed "
            "Lost, Closed - No Decision as CRM exports write them), 1 / 0 or True / False; "
            "a blank or missing label is an open lead (not fitted).")
    return y, outcomes[codes].astype(str)


def _numeric_outcomes(y: np.ndarray) -> np.ndarray:
    """won / lost of a numeric ``y``: the greater of its two values is won."""
    if y.dtype.kind in "fc":
        _assert_all_finite(y, input_name="y")
    kind = type_of_target(y, input_name="y")
    if kind == "continuous":
        raise ValueError("Unknown label type: continuous. LeadScorer is a classifier: y must "
                         "be won / lost labels, 1 / 0 or True / False.")
    values = np.unique(y)
    if len(values) > 2:
        raise ValueError(
            f"Only binary classification is supported: y holds {len(values)} different "
            f"numbers ({', '.join(str(v) for v in values[:5])}...). LeadScorer predicts won "
            "against not won: a numeric y holds two values, the greater meaning won (1 / 0, "
            "True / False); or pass labels (won / lost / no decision).")
    won = y == values[-1] if len(values) == 2 else np.full(len(y), bool(values[0] == 1))
    return np.where(won, "won", "lost")


def fitted_classes(y: np.ndarray, outcomes: np.ndarray, *, exclude_no_decision: bool
                   ) -> tuple[np.ndarray, int]:
    """``classes_`` and ``won_index_`` from the labels of the leads the model fits."""
    not_won = ("lost",) if exclude_no_decision else ("lost", "no_decision")
    won = outcomes == "won"
    lost = np.isin(outcomes, not_won)
    if not won.any() or not lost.any():
        present = "won" if won.any() else "not won" if lost.any() else "open"
        raise ValueError(
            "LeadScorer needs two classes in y, won and not won closed leads; only one "
            f"class is present ({present}).")
    pos = pd.unique(y[won])
    neg = pd.unique(y[lost])
    if len(pos) == 1 and len(neg) == 1:
        pair = np.concatenate([pos, neg])
        try:
            classes = np.unique(pair)
        except TypeError:  # labels of types that do not sort together
            classes = pair[::-1]
        return classes, 0 if classes[0] == pos[0] else 1
    return np.array([NOT_WON, WON], dtype=object), 1


def as_frame(estimator: BaseEstimator, X: Any, *, reset: bool) -> pd.DataFrame:
    """``X`` checked (feature count and names) as a DataFrame with string headers.

    ``validate_data`` records (``reset=True``) or checks ``X``'s feature count and names on
    ``estimator``."""
    if sp.issparse(X):
        check_array(X, accept_sparse=False)  # raises: dense data is required
    if not isinstance(X, pd.DataFrame) and hasattr(X, "to_pandas"):
        X = as_pandas(X)
    if isinstance(X, pd.DataFrame):
        validate_data(estimator, X, reset=reset, skip_check_array=True)
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} "
                             f"feature(s) (shape={X.shape}) while a minimum of 1 is "
                             "required by LeadScorer.")
        if all(isinstance(c, str) for c in X.columns) and not X.columns.duplicated().any():
            return X
        return X.set_axis([f"x{i}" for i in range(X.shape[1])], axis=1)
    arr = validate_data(estimator, X, reset=reset, dtype=None, ensure_all_finite="allow-nan")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])

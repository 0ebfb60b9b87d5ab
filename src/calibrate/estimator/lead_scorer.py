"""``LeadScorer``: calibrate's model as a scikit-learn classifier and transformer, fitted and
scored through the ``calibrate fit`` path (see :mod:`calibrate.estimator`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, _fit_context
from sklearn.utils import Tags
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_consistent_length,
    check_is_fitted,
)

from calibrate.estimator.inputs import as_frame, fitted_classes, read_outcomes
from calibrate.estimator.leads_table import fit_in_memory, score_in_memory
from calibrate.estimator.parameters import PARAMETER_CONSTRAINTS, fit_options
from calibrate.model import fit as fitting

__all__ = ["LeadScorer"]

#: The columns of :meth:`LeadScorer.transform`.
_POINTS = ("profile_points", "behavior_points", "total")


class LeadScorer(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Lead scoring with calibrate's model: won against not won, and points per lead.

    A scikit-learn classifier and transformer wrapping ``calibrate fit``: ``X`` (a pandas
    DataFrame of CRM fields, or any 2-D array-like, whose columns are then named ``x0``,
    ``x1``...) goes through calibrate's ingest, so each column's role (profile, behavior,
    id, dates, contacts...) and type (categorical, numeric, yes/no) is guessed as for an
    export, and the model is fitted on the closed leads. :meth:`predict_proba` gives each
    lead's probability of a win, :meth:`transform` its profile, behavior and total points.

    Parameters
    ----------
    exclude_no_decision : bool, default=False
        Leave "no decision" leads out of the fit instead of counting them as not won.
    C : float or None, default=None
        Inverse strength of the L2 penalty on the level coefficients. ``None`` chooses it by
        cross-validation over ``Cs``, as ``calibrate fit`` does; a number fits at that C
        only (``Cs`` is then not used).
    Cs : int or array-like of float, default=(0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
        Candidate values of C for the cross-validation (an int: that many values between
        1e-3 and 10).
    cv_folds : int, default=3
        Number of cross-validation folds (assigned per lead by a hash of its id).
    class_weight : {"balanced"} or None, default="balanced"
        Weigh wins and non-wins to carry half the weight each during the fit; the
        probabilities are calibrated in the large either way.
    leakage : {"warn", "drop", "keep"}, default="warn"
        What to do with attributes that look recorded after the outcome: leave them out
        with a ``UserWarning`` ("warn"), leave them out silently ("drop"), or keep them.
    include, exclude : list of str or None, default=None
        Attributes (column names) to use only / to leave out. An included attribute is kept
        even when it looks leaky.
    random_state : int, default=0
        Seed of the test split (without dates), the CV folds and the CV subsampling. The
        fit is deterministic for a given value.
    test_size : float, default=0.2
        Share of the closed leads held out to compute ``metrics_`` (the most recent ones
        when a creation date column is found).
    min_count : int, float or None, default=None
        Leads a categorical value needs for a level of its own (an int), or a share of the
        training leads (a float in (0, 1)); None: max(30, 1% of the training leads).
    max_bins : int, default=5
        Most bins of a numeric attribute.
    min_share : float, default=0.03
        Smallest share of the training leads in a numeric bin.
    refit : bool, default=False
        After testing, refit on all closed leads at the chosen C (``metrics_`` stay those of
        the model fitted on the training split).
    cv_max_rows : int, default=30000
        Most distinct training patterns used by the cross-validation.
    tol : float, default=1e-6
        Newton's method stops when no coefficient moves by more than ``tol``.
    max_iter : int, default=100
        Most Newton steps per fit; a fit stopped there warns (a ``ConvergenceWarning`` of
        :mod:`calibrate.model.solver`) and ``metrics_["converged"]`` is False.
    max_fit_rows : int or None, default=2000000
        With more closed training leads, the closed leads are case-control sampled down to
        about this many; None never samples.

    Attributes
    ----------
    points_ : pandas.DataFrame
        The points table, one row per attribute level: ``axis, attribute, kind, level,
        code, lower, upper, points, suggested_points, coefficient, ci_low, ci_high, leads,
        wins, win_rate`` (the table ``calibrate fit`` prints and exports).
    coef_ : ndarray of shape (1, n_levels)
        The model's logit coefficient of each level: the features of this linear model are
        the one-hot encoded levels, ``coef_[0, j]`` being that of row ``j`` of ``points_``
        (centred per attribute). ``points_["coefficient"]`` holds the same coefficients
        pulled toward the reference level where a level has few leads, which the points
        come from; ``coef_`` is what :meth:`decision_function` adds up.
    intercept_ : ndarray of shape (1,)
        The calibrated intercept: ``logit = intercept_ + the lead's level coefficients``.
    n_iter_ : ndarray of shape (1,)
        Newton steps of the final fit (also ``metrics_["n_iter"]``).
    C_ : float
        The C used (chosen by cross-validation when ``C`` is None).
    classes_ : ndarray of shape (2,)
        The labels :meth:`predict` returns, sorted as ``numpy.unique`` sorts them. When
        ``y`` has one label for wins and one for the rest (``[0, 1]``, ``[False, True]``,
        ``["Closed Lost", "Closed Won"]``...) they are those labels, so predictions compare
        with ``y``; when a side has several labels (lost and no decision) they are
        ``["not won", "won"]``. Open leads (blank labels) are not fitted and are no class.
    won_index_ : int
        The position of the won class in ``classes_`` (1 unless the labels sort otherwise,
        e.g. ``["Won", "lost"]``).
    metrics_ : dict
        Held-out metrics of the fit (``auc``, ``ks``, ``log_loss``, ``brier``, ``leads``,
        ``wins``, ``base_rate``, deciles and calibration tables), with the attributes left
        out as possible leakage (``leakage``, ``dropped``), those not scored (``skipped``),
        ``C``, and the solver's ``n_iter`` and ``converged``.
    weights_ : calibrate.model.weights.Weights
        The weights document (``calibrate score --weights`` reads its JSON,
        ``weights_.to_json()``).
    fit_result_ : calibrate.model.fit.FitResult
        Everything the model fit produced (encoding, intervals, split, counts).
    columns_ : pandas.DataFrame
        How ingest read each column of ``X``: ``name, source_name, role, type, reason``.
    n_features_in_ : int
        Number of columns of ``X`` seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of ``X`` seen during fit, when they are all strings.

    See Also
    --------
    calibrate.model.fit.fit : The model fit on a store of leads.
    calibrate.decide.scored_leads.score_file : Score a file of leads with agreed weights.

    Notes
    -----
    The model is scikit-learn's ``LogisticRegression`` objective on the one-hot levels
    (see :mod:`calibrate.model.fit`), fitted on closed leads only: rows whose label is open
    (blank, "Open", "In Progress") are loaded like an export's open leads, used by the
    leakage check, and scored, but not fitted. A fit needs at least 10 won and 10 not-won
    closed leads.

    ``y`` is read as ingest reads an outcome column: won / lost / no decision in any
    spelling it knows ("Closed Won", "Closed - No Decision", "yes" / "no"...). A numeric or
    boolean ``y`` holds two values and the greater is won (1 / 0, True / False, 1 / -1), as
    scikit-learn takes ``classes_[1]`` as the positive class. Scikit-learn's metrics and
    scorers (``roc_auc``) need such a two-valued ``y``.

    Scoring (:meth:`predict_proba`, :meth:`transform`...) loads ``X`` through ingest with
    the roles and types found at fit time, so a single row reads as the training rows
    did; columns other than the scored attributes are ignored.

    Examples
    --------
    >>> from calibrate.estimator import LeadScorer
    >>> from calibrate.tools.sample import generate
    >>> leads, _ = generate(n=5_000)
    >>> X, y = leads.drop(columns="status"), leads["status"]
    >>> scorer = LeadScorer().fit(X, y)
    >>> scorer.classes_
    array(['not won', 'won'], dtype=object)
    >>> scorer.predict_proba(X.head(3)).shape
    (3, 2)
    >>> list(scorer.transform(X.head(3)).columns)
    ['profile_points', 'behavior_points', 'total']
    >>> scorer.points_[["attribute", "level", "points"]].head(2)  # doctest: +SKIP
      attribute level  points
    0 seniority  C-Level   100
    1 seniority       VP    71
    """

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        *,
        exclude_no_decision: bool = False,
        C: float | None = None,
        Cs: int | tuple[float, ...] = fitting.DEFAULT_CS,
        cv_folds: int = 3,
        class_weight: str | None = "balanced",
        leakage: str = "warn",
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        random_state: int = 0,
        test_size: float = 0.2,
        min_count: int | float | None = None,
        max_bins: int = 5,
        min_share: float = 0.03,
        refit: bool = False,
        cv_max_rows: int = 30_000,
        tol: float = 1e-6,
        max_iter: int = 100,
        max_fit_rows: int | None = 2_000_000,
    ) -> None:
        self.exclude_no_decision = exclude_no_decision
        self.C = C
        self.Cs = Cs
        self.cv_folds = cv_folds
        self.class_weight = class_weight
        self.leakage = leakage
        self.include = include
        self.exclude = exclude
        self.random_state = random_state
        self.test_size = test_size
        self.min_count = min_count
        self.max_bins = max_bins
        self.min_share = min_share
        self.refit = refit
        self.cv_max_rows = cv_max_rows
        self.tol = tol
        self.max_iter = max_iter
        self.max_fit_rows = max_fit_rows

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing value is the level "Missing"
        tags.input_tags.string = True  # CRM fields are mostly text
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False  # won against not won
        tags.transformer_tags.preserves_dtype = []  # points are whole numbers
        return tags

    # ------------------------------------------------------------------------- fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> LeadScorer:
        """Fit the model on the closed leads of ``X`` and build the points table.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            The leads' fields, one row per lead. A DataFrame keeps its column names (which
            guide the role guess, as an export's headers do); other input is read as a 2-D
            array whose columns are named ``x0``, ``x1``... Missing values are allowed.
        y : array-like of shape (n_samples,)
            Each lead's outcome: won / lost / no decision (any spelling ingest knows, such as
            "Closed Won", "Closed Lost", "Closed - No Decision"). A blank label, or one such
            as "Open" or "In Progress", is an open lead: loaded and scored, but not fitted.
            A numeric or boolean ``y`` holds two values, the greater meaning won: 1 / 0,
            True / False (or 1 / -1, as scikit-learn reads a binary target).

        Returns
        -------
        self : LeadScorer
            The fitted estimator.

        Raises
        ------
        ValueError
            When ``y`` holds labels that are not outcomes or only one class, when no column
            of ``X`` can be scored, or when there are fewer than 10 won or not-won closed
            leads.

        Examples
        --------
        >>> from calibrate.estimator import LeadScorer
        >>> from calibrate.tools.sample import generate
        >>> leads, _ = generate(n=5_000)
        >>> scorer = LeadScorer(exclude_no_decision=True)
        >>> scorer.fit(leads.drop(columns="status"), leads["status"])
        LeadScorer(exclude_no_decision=True)
        >>> round(scorer.metrics_["auc"], 1)  # doctest: +SKIP
        0.8
        """
        frame = as_frame(self, X, reset=True)
        check_consistent_length(frame, y)
        y, outcomes = read_outcomes(y)
        classes, won_index = fitted_classes(y, outcomes,
                                            exclude_no_decision=self.exclude_no_decision)
        result, weights, columns = fit_in_memory(frame, outcomes, fit_options(self))
        self.classes_ = classes
        self.won_index_ = won_index
        self.fit_result_ = result
        self.weights_ = weights
        self.points_ = weights.table
        self.metrics_ = weights.metrics
        self.columns_ = pd.DataFrame(
            [(c.name, c.source_name, c.role, c.type, c.reason) for c in columns],
            columns=["name", "source_name", "role", "type", "reason"])
        self.coef_ = result.levels["coefficient"].to_numpy(dtype=float).reshape(1, -1)
        self.intercept_ = np.array([result.intercept])
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.C_ = float(result.C)
        return self

    # ------------------------------------------------------------------------- scoring

    def _score(self, X: Any, what: str) -> tuple[pd.DataFrame, pd.Index]:
        """Every row of ``X`` scored, in ``X``'s order, and ``X``'s index: its points
        (``what="points"``, :func:`calibrate.model.lead_points.score_leads`) or its logit and win
        probability (``"proba"``, :func:`calibrate.model.fit.predict`)."""
        check_is_fitted(self)
        frame = as_frame(self, X, reset=False)
        out = score_in_memory(frame, what, points=self.points_, fitted_columns=self.columns_,
                              fit_result=self.fit_result_)
        return out, frame.index

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's logit for ``classes_[1]``: positive where :meth:`predict` says so.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Leads with the columns seen during fit.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``intercept_`` plus the coefficients of the lead's levels (the log odds of a
            win), negated when the won class is ``classes_[0]``.

        Examples
        --------
        >>> from calibrate.estimator import LeadScorer
        >>> from calibrate.tools.sample import generate
        >>> leads, _ = generate(n=5_000)
        >>> X, y = leads.drop(columns="status"), leads["status"]
        >>> scorer = LeadScorer().fit(X, y)
        >>> scorer.decision_function(X.head(3)).shape
        (3,)
        """
        proba, _ = self._score(X, "proba")
        logit = proba["logit"].to_numpy(dtype=float)
        return logit if self.won_index_ == 1 else -logit

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class for every lead (the won column is the win probability).

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Leads with the columns seen during fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns in the order of ``classes_``; rows in the order of ``X``. The
            probabilities are calibrated in the large (predicted wins match observed wins
            on the training leads).

        Examples
        --------
        >>> from calibrate.estimator import LeadScorer
        >>> from calibrate.tools.sample import generate
        >>> leads, _ = generate(n=5_000)
        >>> X, y = leads.drop(columns="status"), leads["status"]
        >>> scorer = LeadScorer().fit(X, y)
        >>> proba = scorer.predict_proba(X.head(3))
        >>> proba.shape, bool((proba.sum(axis=1).round(12) == 1).all())
        ((3, 2), True)
        """
        proba, _ = self._score(X, "proba")
        won = proba["probability"].to_numpy(dtype=float)
        out = np.empty((len(won), 2))
        out[:, self.won_index_] = won
        out[:, 1 - self.won_index_] = 1.0 - won
        return out

    def predict(self, X: Any) -> np.ndarray:
        """The likelier class of every lead (won where the win probability exceeds 0.5).

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Leads with the columns seen during fit.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Labels from ``classes_``. Wins are usually rare, so few leads are predicted won:
            rank leads by :meth:`predict_proba` or :meth:`transform` instead.

        Examples
        --------
        >>> from calibrate.estimator import LeadScorer
        >>> from calibrate.tools.sample import generate
        >>> leads, _ = generate(n=5_000)
        >>> X, y = leads.drop(columns="status"), leads["status"]
        >>> scorer = LeadScorer().fit(X, y)
        >>> set(scorer.predict(X.head(5))) <= {"not won", "won"}
        True
        """
        scores = self.decision_function(X)
        return self.classes_[(scores > 0).astype(np.intp)]

    def transform(self, X: Any) -> pd.DataFrame:
        """Profile points, behavior points and total points of every lead.

        The points the agreed table gives
        (:func:`calibrate.model.lead_points.score_leads`): each axis
        runs from 0 to 100, and the total is proportional to the model's logit.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Leads with the columns seen during fit.

        Returns
        -------
        points : pandas.DataFrame of shape (n_samples, 3)
            Integer columns ``profile_points``, ``behavior_points`` and ``total``, rows in
            the order (and with the index) of ``X``.

        Examples
        --------
        >>> from calibrate.estimator import LeadScorer
        >>> from calibrate.tools.sample import generate
        >>> leads, _ = generate(n=5_000)
        >>> X, y = leads.drop(columns="status"), leads["status"]
        >>> points = LeadScorer().fit(X, y).transform(X.head(3))
        >>> list(points.columns), len(points)
        (['profile_points', 'behavior_points', 'total'], 3)
        """
        points, index = self._score(X, "points")
        out = points.loc[:, list(_POINTS)].astype("int64")
        out.index = index
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the columns :meth:`transform` returns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the input features seen during fit; not used otherwise.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``["profile_points", "behavior_points", "total"]``.

        Examples
        --------
        >>> from calibrate.estimator import LeadScorer
        >>> from calibrate.tools.sample import generate
        >>> leads, _ = generate(n=5_000)
        >>> scorer = LeadScorer().fit(leads.drop(columns="status"), leads["status"])
        >>> scorer.get_feature_names_out()
        array(['profile_points', 'behavior_points', 'total'], dtype=object)
        """
        check_is_fitted(self, "n_features_in_")
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray(_POINTS, dtype=object)

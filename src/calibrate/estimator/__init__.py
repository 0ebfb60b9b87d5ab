"""``LeadScorer``: calibrate's model as a scikit-learn estimator, for pipelines and notebooks.

It is the ``calibrate fit`` path, not a re-implementation: :meth:`LeadScorer.fit` writes
``X`` and ``y`` through the normal ingest (:func:`calibrate.data.frames.ingest_any`, so the same
cleaning and role and type guessing as a CRM export) into an in-memory store
(:func:`calibrate.data.store.connect_memory`), fits :func:`calibrate.model.fit.fit` and turns the
result into the points table (:func:`calibrate.model.points.points_table`) and the weights
document (:func:`calibrate.decide.workshop.weights_from_fit`), exactly as ``calibrate fit`` does.
Scoring loads ``X`` the same way, with the roles and types learnt at fit time, and reuses
:func:`calibrate.model.lead_points.score_leads` (points) and :func:`calibrate.model.fit.predict`
(probabilities). Rows come back in ``X``'s order, one per row, whatever ``X`` holds.

Parameter checks are declarative (``_parameter_constraints``, checked by
``sklearn.base._fit_context``), so a bad value raises scikit-learn's
``InvalidParameterError`` naming the parameter before any work is done.

One module per job: ``lead_scorer`` (the estimator class), ``parameters`` (its parameter
constraints and the fit's keyword arguments), ``inputs`` (``X`` checked, ``y`` read as
outcomes and classes) and ``leads_table`` (fitting and scoring in the in-memory store).
"""

from __future__ import annotations

from calibrate.estimator.inputs import NOT_WON, WON
from calibrate.estimator.lead_scorer import LeadScorer

__all__ = ["LeadScorer", "NOT_WON", "WON"]

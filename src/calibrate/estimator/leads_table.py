"""``X`` (and ``y``) as a temporary in-memory table of leads, through calibrate's own ingest:
the ``calibrate fit`` path and the scoring of new rows, with rows back in ``X``'s order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from calibrate.data import store
from calibrate.data.frames import ingest_any
from calibrate.data.roles import ATTRIBUTE_ROLES, Mapping
from calibrate.decide.workshop import weights_from_fit
from calibrate.errors import CalibrateError
from calibrate.model import fit as fitting
from calibrate.model.lead_points import score_leads
from calibrate.model.points import points_table
from calibrate.model.weights import Weights

__all__ = ["fit_in_memory", "score_in_memory"]

#: Headers of the helper columns the estimator adds to the frame it ingests.
_Y = "__calibrate_y__"
_ROW = "__calibrate_row__"
#: The words written in the outcome column: each is a label ingest knows for its outcome.
_WORDS = {"won": "won", "lost": "lost", "no_decision": "no decision", "open": "open"}


def fit_in_memory(frame: pd.DataFrame, outcomes: np.ndarray, options: dict[str, Any]
                  ) -> tuple[fitting.FitResult, Weights, list[store.ColumnInfo]]:
    """``frame`` with each row's outcome ingested into an in-memory store and fitted there
    with ``options`` as ``calibrate fit`` does: the fit, its weights document and how ingest
    read each column. A calibrate error is a ``ValueError``."""
    if _Y in frame.columns:
        raise ValueError(f"X has a column named {_Y!r}, which LeadScorer reserves.")
    data = frame.assign(**{_Y: [_WORDS[o] for o in outcomes]})
    con = store.connect_memory()
    try:
        ingest_any(con, data, outcome=_Y, replace=True)
        columns = store.read_columns(con)
        result = fitting.fit(con, **options)
        weights = weights_from_fit(con, result, points_table(result))
    except CalibrateError as exc:
        raise ValueError(str(exc)) from exc
    finally:
        con.close()
    return result, weights, columns


def _scoring_mapping(frame: pd.DataFrame, points: pd.DataFrame, fitted_columns: pd.DataFrame
                     ) -> Mapping:
    """Roles and types as at fit time (``fitted_columns``) for the scored attributes (those
    of ``points``); every other column ignored; the helper row number as the lead id (so
    rows are never merged)."""
    scored = set(points["attribute"])
    columns: dict[str, dict[str, str]] = {c: {"role": "ignore"} for c in frame.columns}
    for c in fitted_columns.itertuples(index=False):
        if c.role in ATTRIBUTE_ROLES and c.name in scored and c.source_name in columns:
            columns[c.source_name] = {"role": c.role, "type": c.type}
    columns[_ROW] = {"role": "lead_id", "type": "text"}
    return Mapping(columns=columns)


def score_in_memory(frame: pd.DataFrame, what: str, *, points: pd.DataFrame,
                    fitted_columns: pd.DataFrame, fit_result: fitting.FitResult
                    ) -> pd.DataFrame:
    """Every row of ``frame`` ingested into an in-memory store with the roles and types of
    the fit and scored, in ``frame``'s order: its points (``what="points"``,
    :func:`calibrate.model.lead_points.score_leads`) or its logit and win probability
    (``"proba"``, :func:`calibrate.model.fit.predict`)."""
    if _ROW in frame.columns:
        raise ValueError(f"X has a column named {_ROW!r}, which LeadScorer reserves.")
    data = frame.assign(**{_ROW: np.arange(len(frame))})
    con = store.connect_memory()
    try:
        ingest_any(con, data, mapping=_scoring_mapping(frame, points, fitted_columns),
                   replace=True, require_outcome=False)
        if what == "points":
            out = score_leads(con, points, "leads")
        else:
            out = fitting.predict(con, fit_result, "leads")
    except CalibrateError as exc:
        raise ValueError(str(exc)) from exc
    finally:
        con.close()
    return _in_row_order(out, len(frame))


def _in_row_order(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """The rows of a scoring result by the helper row number (the lead id), each of the
    ``n`` rows of ``X`` exactly once."""
    rows = pd.to_numeric(frame["lead_id"]).astype("int64").to_numpy()
    out = frame.set_axis(rows, axis=0).reindex(np.arange(n))
    if out["lead_id"].isna().any():  # pragma: no cover - every row is loaded with its id
        raise RuntimeError("some rows of X were not scored")
    return out.reset_index(drop=True)

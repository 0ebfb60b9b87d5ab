"""Drift's one pass (:mod:`calibrate.model.month_counts`) on leads with a last activity
date: every lead counted at the score it gets and the recency level it is in, its days
counted as the fit counted them (to the close date, else the newest date loaded)."""

from __future__ import annotations

import pandas as pd
import pytest
from test_recency import DATE, activity_bench

from calibrate.model.encode import encode_sql
from calibrate.model.lead_points import lead_reference, score_leads
from calibrate.model.month_counts import month_counts
from calibrate.model.points import encoding_from_table
from calibrate.model.recency import data_as_of


@pytest.fixture(scope="module")
def active():
    """Generated leads with a last activity date, fitted: recency is scored."""
    with activity_bench() as wb:
        yield wb


def by_month(con, sql: str) -> pd.DataFrame:
    """``sql`` (one row per lead) joined to each dated lead's month of creation."""
    frame = con.execute(f"SELECT strftime(l.created_at, '%Y-%m') AS month, s.* FROM ({sql}) "
                        f"AS s JOIN leads AS l USING (lead_id) "
                        f"WHERE l.created_at IS NOT NULL").df()
    return frame.set_index("lead_id")


def test_the_drift_pass_counts_each_lead_at_the_score_it_is_given(active):
    """Per month, the leads at each total, profile and behavior score are those of scoring
    every lead with the newest date loaded as the date open leads count to; and per
    recency level, the leads that scoring puts there."""
    con, table = active.con, active.weights.table
    as_of = data_as_of(con)
    counted = month_counts(con, table)
    labels = [m.strftime("%Y-%m") for m in counted.months]
    scores = score_leads(con, table, as_of=as_of).set_index("lead_id")
    dated = by_month(con, "SELECT lead_id FROM leads").join(scores)
    for score, column in (("total", "total"), ("profile", "profile_points"),
                          ("behavior", "behavior_points")):
        values, matrix = counted.scores[score]
        expected = pd.crosstab(dated["month"], dated[column]).reindex(
            index=labels, columns=values, fill_value=0)
        assert (matrix == expected.to_numpy()).all(), score
    enc = encoding_from_table(table)
    reference = lead_reference(con, table, as_of=as_of)
    codes = by_month(con, f"SELECT lead_id, {encode_sql(enc, reference)} FROM leads")
    i = enc.names.index(DATE)
    expected = pd.crosstab(codes["month"], codes[DATE]).reindex(
        index=labels, columns=range(enc[DATE].size), fill_value=0)
    assert (counted.attributes[i] == expected.to_numpy()).all()
    assert expected.to_numpy()[:, :-1].sum(axis=0).min() > 0  # leads in every dated level


def test_drift_measures_recency_and_counts_every_lead(active):
    d = active.drift()
    rows = d.attributes_frame()
    assert DATE in set(rows["attribute"])
    assert sum(m["leads"] for m in d.months) + d.reference_leads + d.undated == active.leads

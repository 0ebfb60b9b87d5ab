"""The Data screen's summary and role edits on stored leads."""

from __future__ import annotations

import pytest

from calibrate.data import store
from calibrate.data.ingest import ingest
from calibrate.data.quality import quality, set_roles
from calibrate.errors import CalibrateError

CSV = """id,created_at,status,industry,visits,duration
1,2025-01-01,won,Software,3,10
2,2025-02-01,lost,,1,20
3,2025-03-01,open,Retail,,30
4,2025-03-05,No Decision,Retail,0,40
"""


def test_nothing_loaded_is_none(con):
    assert quality(con) is None


def test_summary_counts_rows_outcomes_dates_and_missing(con, write_csv):
    ingest(con, write_csv(CSV))
    q = quality(con)
    assert q.rows == 4 and q.closed == 3 and q.win_rate == pytest.approx(1 / 3)
    assert q.outcomes == {"won": 1, "lost": 1, "no_decision": 1, "open": 1}
    assert (q.created_from.month, q.created_to.month) == (1, 3)
    cols = q.columns.set_index("name")
    assert cols.loc["industry", "missing"] == 1 and cols.loc["visits", "missing"] == 1
    assert cols.loc["industry", "distinct"] == 2
    assert q.last_file.endswith("leads.csv")


def test_roles_move_between_profile_behavior_and_ignore(con, write_csv):
    ingest(con, write_csv(CSV))
    version = store.data_version(con)
    assert set_roles(con, {"duration": "ignore", "visits": "profile"}) == 2
    roles = {c.name: c.role for c in store.read_columns(con)}
    assert roles["duration"] == "ignore" and roles["visits"] == "profile"
    assert store.data_version(con) > version  # caches keyed by version see the change
    assert set_roles(con, {"duration": "behavior"}) == 1  # still stored, so it can come back
    with pytest.raises(CalibrateError, match="without reloading"):
        set_roles(con, {"outcome": "profile"})
    with pytest.raises(CalibrateError, match="No stored column"):
        set_roles(con, {"nope": "profile"})

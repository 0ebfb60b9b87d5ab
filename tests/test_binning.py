"""Learning the levels: pooling into Other, Missing, readable and monotone bins."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from calibrate.model import binning
from calibrate.model.binning import learn_encoding
from calibrate.model.encode import MISSING, OTHER

from model_fixtures import attribute_store, encoded, make_store


def test_rare_values_pool_into_other_and_null_is_missing():
    con, frame = attribute_store()
    enc = learn_encoding(con, min_count=30)
    title = enc["title"]
    assert title.kind == "categorical" and title.axis == "profile"
    assert title.levels[-2:] == [OTHER, MISSING]
    assert "Rare Title" not in title.levels and "O'Brien & Co" not in title.levels
    assert set(title.levels[:-2]) == {"VP", "Manager", "Analyst"}
    assert title.levels[:-2] == sorted(title.levels[:-2], key=lambda v: -int(
        (frame["title"] == v).sum()))  # most common first
    codes = encoded(con, enc).set_index("lead_id")["title"]
    assert (codes.loc[["L0", "L11"]] == title.other_code).all()  # rare -> Other
    assert (codes.loc[["L12", "L39"]] == title.missing_code).all()  # NULL -> Missing
    assert (codes.loc[["L40", "L44"]] == title.other_code).all()  # stored "Other"
    assert (codes.loc[["L45"]] == title.other_code).all()  # quote in value, pooled
    # learnt counts cover every closed lead exactly once
    closed = int((frame["outcome"] != "open").sum())
    assert sum(title.counts) == closed == enc.leads



def test_free_text_is_pooled_like_a_category():
    rng = np.random.default_rng(0)
    n = 2000
    company = np.where(rng.random(n) < 0.5, "Acme", [f"Co {i}" for i in range(n)])
    frame = pd.DataFrame({"outcome": np.where(rng.random(n) < 0.2, "won", "lost"),
                          "lead_id": [f"L{i}" for i in range(n)], "company": company})
    con = make_store(frame, {"company": ("profile", "text")})
    enc = learn_encoding(con)
    assert enc["company"].kind == "categorical" and enc["company"].source_type == "text"
    assert enc["company"].levels == ["Acme", OTHER, MISSING]



def test_min_count_as_share_and_default():
    con, _ = attribute_store()
    n = learn_encoding(con).leads
    assert learn_encoding(con).min_count == max(30, int(np.ceil(0.01 * n)))
    assert learn_encoding(con, min_count=0.005).min_count == int(np.ceil(0.005 * n))
    with pytest.raises(ValueError, match="min_count"):
        learn_encoding(con, min_count=0)
    with pytest.raises(ValueError, match="max_bins"):
        learn_encoding(con, max_bins=0)



def test_flags_and_dates():
    con, frame = attribute_store()
    enc = learn_encoding(con)
    optin = enc["optin"]
    assert optin.levels == ["No", "Yes", MISSING]
    codes = encoded(con, enc).set_index("lead_id")["optin"]
    raw = frame.set_index("lead_id")["optin"]
    expected = raw.map(lambda v: 2 if v is None else (1 if v else 0))
    assert (codes == expected.loc[codes.index]).all()
    # A behavior date is scored as the days since it (every lead seen on the newest day
    # loaded: 0 days, one bin); a profile date is skipped, saying why.
    recency = enc["last_seen"]
    assert (recency.kind, recency.axis, recency.levels) == ("recency", "behavior",
                                                            ["Any value", MISSING])
    assert set(encoded(con, enc)["last_seen"]) == {0}
    con.execute("UPDATE columns SET role = 'profile' WHERE name = 'last_seen'")
    enc = learn_encoding(con)
    assert "last_seen" not in enc.names
    assert "profile date is not scored" in enc.skipped["last_seen"]



def test_numeric_bins_readable_monotone_and_consistent_with_sql():
    con, frame = attribute_store(n=6000)
    enc = learn_encoding(con, max_bins=5)
    visits = enc["visits"]
    assert visits.kind == "numeric" and visits.integer
    assert all(float(e).is_integer() for e in visits.edges)
    assert visits.levels[-1] == MISSING and 2 <= len(visits.levels) - 1 <= 5
    # readable integer labels: "0", "1-2", ..., "11+"
    assert visits.levels[-2].endswith("+")
    assert visits.trend == "increasing"
    rates = np.array(visits.wins[:-1]) / np.array(visits.counts[:-1])
    assert np.all(np.diff(rates) > 0)
    # the SQL codes put every value in the bin its bounds say
    codes = encoded(con, enc).set_index("lead_id")["visits"]
    x = frame.set_index("lead_id")["visits"].loc[codes.index]
    for code, (lo, hi) in enumerate(visits.bounds()[:-1]):
        inside = x[codes == code]
        assert not inside.isna().any()
        if not np.isnan(lo):
            assert (inside >= lo).all()
        if not np.isnan(hi):
            assert (inside < hi).all()
    assert x[codes == visits.missing_code].isna().all()



def test_numeric_bins_are_the_same_counted_by_value_or_by_cut(monkeypatch):
    """Columns with few distinct values are binned from one count per value, others from
    quantile_disc and CASE; both give the same encoding (exact quantiles below the sample
    size), with a continuous column and NULLs."""
    _, frame = attribute_store(n=6000)
    rng = np.random.default_rng(3)
    minutes = np.round(rng.gamma(1.5, 6.0, len(frame)), 2)
    minutes[::50] = np.nan
    frame["minutes"] = minutes
    con = make_store(frame[["outcome", "lead_id", "visits", "minutes"]],
                     {"visits": ("behavior", "numeric"), "minutes": ("behavior", "numeric")})
    by_value = learn_encoding(con, max_bins=5)
    monkeypatch.setattr(binning, "BY_VALUE_DISTINCT", 0)
    by_cut = learn_encoding(con, max_bins=5)
    for name in ("visits", "minutes"):
        assert by_value[name].to_dict() == by_cut[name].to_dict()
    assert len(by_value["minutes"].edges) >= 2
    closed = (frame["outcome"] != "open").to_numpy()
    assert by_value["minutes"].counts[-1] == int(np.isnan(minutes[closed]).sum())


def test_values_that_differ_only_by_case_are_one_level_in_their_commonest_spelling():
    n = 600
    source = np.array(["Google"] * 300 + ["google"] * 40 + ["GOOGLE"] * 10 + ["Direct"] * 250,
                      dtype=object)
    won = np.zeros(n, dtype=bool)
    won[::3] = True
    frame = pd.DataFrame({"lead_id": [f"L{i}" for i in range(n)],
                          "outcome": np.where(won, "won", "lost"), "Lead Source": source})
    con = make_store(frame, {"Lead Source": ("profile", "categorical")})
    enc = learn_encoding(con, min_count=5)
    attr = enc["Lead Source"]
    assert attr.levels[:2] == ["Google", "Direct"]
    assert attr.counts[0] == 350  # Google 300 + google 40 + GOOGLE 10
    assert attr.wins[0] == int(won[:350].sum())
    # New leads score the same whatever their case, as marketing automation compares text.
    codes = duckdb.sql(
        "SELECT " + attr.sql("v") + " FROM (VALUES ('google'), ('GoOgLe'), ('Google'), "
        "('direct'), ('Bing'), (NULL)) t(v)").fetchall()
    assert [c[0] for c in codes] == [0, 0, 0, 1, attr.other_code, attr.missing_code]

"""Learning the levels: pooling into Other, Missing, readable and monotone bins."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from calibrate.model import binning
from calibrate.model.binning import (
    QUANTILES,
    candidate_cuts,
    learn_encoding,
    merge_bins,
    quantile_disc,
    readable,
)
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
    assert "last_seen" not in enc.names
    assert "date" in enc.skipped["last_seen"]



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



@pytest.mark.parametrize("n", [1, 5, 37, 100, 1001])
def test_quantiles_from_counts_match_duckdbs_quantile_disc(n):
    rng = np.random.default_rng(n)
    x = rng.integers(0, max(2, n // 3), n).astype(float)
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest(?) AS x", [list(x)])
    qlist = "[" + ", ".join(str(q) for q in QUANTILES) + "]"
    expected = con.execute(f"SELECT quantile_disc(x, {qlist}) FROM t").fetchone()[0]
    values, counts = np.unique(x, return_counts=True)
    assert quantile_disc(values, counts, QUANTILES) == expected



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



def test_readable_numbers_and_cut_points():
    assert candidate_cuts([0, 0, 0, 1, 2, 3, 5, 12, 30], 0, 100, True) == [
        1, 2, 3, 4, 6, 11, 26]
    assert readable(237, 28, True) == 250
    assert readable(4.857, 0.05, False) == 4.9
    assert readable(0.0123, 0.002, False) == 0.0125
    # cut points of spread-out continuous data stay within the data's resolution
    cuts = candidate_cuts([92.2, 92.9, 93.2, 93.44, 93.9, 94.5], 92.1, 94.8, False)
    assert len(cuts) >= 4 and all(92.1 < c <= 94.8 for c in cuts)


@pytest.mark.parametrize("values", [[0.3, 0.1, 0.2], [0.1, 0.1, 0.2, 0.0, 0.2, 0.2], [5.0],
                                    [0.0, 0.0, 0.0], list(np.random.default_rng(3).integers(
                                        0, 7, 200) / 7)])
def test_average_ranks_match_scipy_rankdata(values):
    from scipy.stats import rankdata

    from calibrate.model.binning import average_ranks

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

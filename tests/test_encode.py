"""The encoding as data and as SQL: codes, escaped values, round trips, bin labels."""

from __future__ import annotations

import pytest

from calibrate.model.binning import learn_encoding
from calibrate.model.encode import (
    ANY,
    MISSING,
    AttributeEncoding,
    Encoding,
    bin_labels,
    encode_sql,
    fmt_number,
)
from calibrate.sql import literal

from model_fixtures import attribute_store, encoded


def test_values_with_quotes_keep_their_own_level():
    con, _ = attribute_store()
    enc = learn_encoding(con, min_count=5)
    title = enc["title"]
    assert "O'Brien & Co" in title.levels
    codes = encoded(con, enc).set_index("lead_id")["title"]
    assert codes.loc["L45"] == title.levels.index("O'Brien & Co")
    assert literal("it's") == "'it''s'"


def test_encoding_round_trips_and_validates():
    con, _ = attribute_store()
    enc = learn_encoding(con)
    again = Encoding.from_dict(enc.to_dict())
    assert encode_sql(again) == encode_sql(enc)
    with pytest.raises(ValueError, match="last level"):
        AttributeEncoding("x", "profile", "flag", ["No", "Yes"])
    with pytest.raises(ValueError, match="axis"):
        AttributeEncoding("x", "fit", "flag", ["No", "Yes", MISSING])


def test_bin_labels_read_as_people_write_numbers():
    assert bin_labels([1, 3, 6, 11], True, 0) == ["0", "1-2", "3-5", "6-10", "11+"]
    assert bin_labels([30, 40], True, 18) == ["<= 29", "30-39", "40+"]
    assert bin_labels([93, 93.5], False, 90) == ["< 93", "93 to < 93.5", ">= 93.5"]
    assert bin_labels([], True, 0) == [ANY]
    assert fmt_number(12500) == "12,500" and fmt_number(-0.25) == "-0.25"

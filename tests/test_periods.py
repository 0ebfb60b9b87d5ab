"""Months as drift reads them: a reference period typed as START:END, or as dates."""

from __future__ import annotations

import pytest

from calibrate.errors import CalibrateError
from calibrate.model.periods import parse_reference


@pytest.mark.parametrize("text, words", [
    ("2024-06:2024-01", "starts after it ends"),
    ("2024-01", "is not START:END"),
    ("jan:jun", "'jan' is not a month"),
    ("2024-13:2025-01", "'2024-13' is not a month"),
    ("2024-01:", "is not START:END"),
])
def test_a_bad_reference_is_a_message_naming_it(text, words):
    with pytest.raises(CalibrateError) as err:
        parse_reference(text)
    assert words in err.value.message and "How to fix" in err.value.message


def test_a_reference_reads_months_and_dates():
    import datetime as dt

    assert parse_reference("2024-1:2024-06-30") == (dt.date(2024, 1, 1), dt.date(2024, 6, 1))

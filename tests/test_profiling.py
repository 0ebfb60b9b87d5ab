"""Profiling: the one query over the sample measures what the cleaning plan needs."""

from __future__ import annotations

from calibrate.data.cleaning_sql import Sql
from calibrate.data.profiling import profile_columns
from calibrate.vocabulary import PLACEHOLDERS


def test_the_profile_measures_what_the_plan_needs(con):
    """The one query over the sample's distinct values also tells which numeric columns
    hold counts, which slash dates are day first, and which columns are written plainly
    enough for DuckDB's own parser."""
    con.execute(
        "CREATE TEMP TABLE _sample AS SELECT * FROM (VALUES "
        "('3', '12%', ' 4', '1.5', '2025-01-31', '31/01/2025', '01/31/2025', 'No'), "
        "('0', '7%', '5', '2', '2025-02-01 10:00', '15/02/2025', '02/15/2025', 'yes'), "
        "('n/a', '1%', '6', '3', 'n/a', NULL, '03/01/2025', 'No'), "
        "('3', '1%', '6', '3', '2025-02-01', NULL, NULL, 'Yes')) "
        "t(visits, rate, padded, frac, iso, dmy, mdy, demo)")
    names = ["visits", "rate", "padded", "frac", "iso", "dmy", "mdy", "demo"]
    stats = {s.name: s for s in profile_columns(con, names, Sql(PLACEHOLDERS), 4)}
    assert [stats[c].counts for c in names[:4]] == [True, False, True, False]
    assert [stats[c].not_plain for c in names[:4]] == [1, 4, 1, 0]
    assert stats["iso"].not_iso == 1 and stats["dmy"].not_iso == 2
    assert [stats[c].day_first for c in ("iso", "dmy", "mdy")] == [False, True, False]
    assert stats["visits"].numeric == 3 and stats["visits"].present == 3
    assert stats["demo"].flag_spellings == ("No", "Yes", "yes")  # commonest first

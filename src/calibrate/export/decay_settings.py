"""A behavior half-life as the decay rules each marketing-automation tool can take.

Why: a half-life in days is not a setting anyone can key in. Each tool takes decay in its
own form, so the half-life ``h`` is turned into what that tool offers, with the rounding
said and the half-life the rounded rule really gives:

* **any tool**: "halve behavior points after ``h`` days without activity" (whole days).
* **HubSpot** (its lead scoring tool, 2025): an engagement score group can decay its
  points by a percentage every 1, 3, 6 or 12 months (decay and a timeframe exclude each
  other in a group). The period is the one nearest ``h`` (so the percentage is near 50%),
  the percentage that period removes is rounded to 5%; a month is taken as 30.4 days and
  each period removes the percentage of what is left.
* **Marketo**: the Change Score flow step adds, subtracts or sets a number (+5, -5, =5);
  it takes no percentage. So a batch campaign, run every night, takes leads without
  activity for ``h`` days (whole days), at most once every ``h`` days, and subtracts half
  the middle of their score's band (bands of 10 points, finer below 10).
* **Account Engagement (Pardot)**: no decay setting of its own in the tool calibrate
  writes for; one automation rule per band, repeating every ``h`` days, adjusts the
  prospect score by the same amounts.

Halving every ``h`` days without activity matches the fitted curve ``2^(-d/h)`` at ``h``,
``2h``, ``3h``... days and lies above it in between. The vendors' wording is from their
documentation as far as it could be checked (Marketo's Change Score page; HubSpot's decay
options from descriptions of its lead scoring tool); see the module :mod:`calibrate.model.decay`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["HUBSPOT_MONTHS", "VENDORS", "halving_bands", "hubspot_decay", "no_rule",
           "rule_settings"]

#: The tools with decay wording, in the order they are printed ("any" is plain words).
VENDORS = ("any", "hubspot", "marketo", "pardot")
#: The periods HubSpot's score decay runs on, in months.
HUBSPOT_MONTHS = (1, 3, 6, 12)
DAYS_PER_MONTH = 365.25 / 12
#: HubSpot percentages are rounded to this many percent.
PERCENT_STEP = 5


def _half_up(x: float) -> int:
    return math.floor(x + 0.5)


def _days(h: float) -> int:
    """A half-life in whole days (at least 1)."""
    return max(1, _half_up(h))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def hubspot_decay(half_life: float) -> tuple[int, int, float]:
    """(months, percent, implied half-life in days): HubSpot's decay nearest ``half_life``.

    The period of :data:`HUBSPOT_MONTHS` nearest ``half_life`` (by ratio; the shorter on a
    tie) and the share of points it removes, ``1 - 2^(-period / half_life)``, rounded to
    :data:`PERCENT_STEP` percent (5 to 95); the implied half-life is that rounded rule's.
    """
    months = min(HUBSPOT_MONTHS,
                 key=lambda m: abs(math.log(m * DAYS_PER_MONTH / half_life)))
    period = months * DAYS_PER_MONTH
    exact = 100 * (1 - 2 ** (-period / half_life))
    percent = min(100 - PERCENT_STEP,
                  max(PERCENT_STEP, PERCENT_STEP * _half_up(exact / PERCENT_STEP)))
    return months, percent, -period / math.log2(1 - percent / 100)


def halving_bands(top: int) -> tuple[list[tuple[int, int, int]], float]:
    """Bands ``(low, high, subtract)`` of a score from 1 to ``top`` (both included) that
    halve it, and the most a score can end away from its exact half.

    Bands: 1-3, 4-9, then 10 points each (the last up to ``top``); each subtracts half its
    middle, rounded half up, and never more than its lowest score (no score goes below 0).
    """
    top = max(1, int(top))
    lows = [1, 4] + list(range(10, top + 1, 10))
    lows = [x for x in lows if x <= top]
    bands = []
    for i, lo in enumerate(lows):
        hi = lows[i + 1] - 1 if i + 1 < len(lows) else top
        bands.append((lo, hi, min(lo, max(1, _half_up((lo + hi) / 4)))))
    worst = max(abs(s - minus - s / 2) for lo, hi, minus in bands for s in (lo, hi))
    return bands, worst


def _band(lo: int, hi: int) -> str:
    return f"is {lo}" if lo == hi else f"is between {lo} and {hi}"


def _names(attributes: Sequence[str]) -> str:
    shown = [f"'{a}'" for a in attributes]
    return ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else shown[0]


def rule_settings(group: str, date_column: str, attributes: Sequence[str],
                  half_life: float, *, all_behavior: bool, top: int = 100,
                  days_column: bool = False) -> dict[str, list[str]]:
    """The decay rules for one behavior group with half-life ``half_life`` days, per tool.

    ``date_column`` is the activity date (or days-since number, ``days_column``) as the
    file names it; ``attributes`` the group's behavior attributes as the file names them;
    ``all_behavior`` whether the group is the whole behavior score (else a score field or
    scoring category of its own holds the group's points, up to ``top``).
    """
    days = _days(half_life)
    inactive = (f"'{date_column}' is greater than {days}" if days_column
                else f"'{date_column}' is more than {_plural(days, 'day')} ago")
    idle = (f"'{date_column}' is at least {days}" if days_column
            else f"'{date_column}' not in past {_plural(days, 'day')}")
    what = "behavior points" if all_behavior else f"the points of {_names(attributes)}"
    out: dict[str, list[str]] = {v: [] for v in VENDORS}
    out["any"].append(f"{group}: halve {what} after {_plural(days, 'day')} without activity "
                      f"(by {inactive}); the half-life rounded to whole days.")

    months, percent, implied = hubspot_decay(half_life)
    out["hubspot"] += [
        f"{group}: in the engagement score, on the group(s) of {_names(attributes)} (the "
        f"HubSpot file names each group by its property), turn on decay: {percent}% every "
        f"{_plural(months, 'month')}.",
        f"  Rounding: {percent}% every {_plural(months, 'month')} halves points after "
        f"{_half_up(implied)} days (the estimate: {days}); the period is the one of 1, 3, 6 "
        f"or 12 months nearest the half-life and the percentage is rounded to "
        f"{PERCENT_STEP}%. Use decay, not a timeframe, on these groups: HubSpot takes one "
        "of the two.",
    ]

    bands, worst = halving_bands(top)
    field = "Behavior Score" if all_behavior else f"{group} Score"
    own = "" if all_behavior else (f" ('{field}': a score field of its own holding only the "
                                   f"points of {_names(attributes)})")
    out["marketo"] += [
        f"{group}: a batch smart campaign 'calibrate decay: {group}', scheduled every night.",
        f"  Smart List: {idle}; '{field}' at least 1{own}.",
        f"  Qualification rule: each person can run through the flow once every "
        f"{_plural(days, 'day')}.",
        f"  Flow: Change Score '{field}', one choice per band (Change Score adds, subtracts "
        "or sets a number; it takes no percentage):",
        *[f"    if '{field}' {_band(lo, hi)}: change -{minus}"
          for lo, hi, minus in reversed(bands)],
        f"  Rounding: {_plural(days, 'day')} is the half-life in whole days; each band "
        f"subtracts half its middle, so a score ends within {worst:g} points of its half.",
    ]

    score = "Prospect score" if all_behavior else f"Scoring category score: {group}"
    adjust = ("Adjust prospect score" if all_behavior
              else f"Adjust prospect score for scoring category '{group}'")
    out["pardot"] += [
        f"{group}: one automation rule per band (Account Engagement has no percentage "
        f"decay), each matching all of: Prospect custom field {inactive}; {score} in the "
        f"band; each set to repeat, so prospects match again after {_plural(days, 'day')}:",
        *[f"  Rule 'calibrate decay: {group} {lo}-{hi}': {score} {_band(lo, hi)}; action: "
          f"{adjust} by -{minus}." for lo, hi, minus in reversed(bands)],
        f"  Rounding: as Marketo's: {_plural(days, 'day')} in whole days, each band "
        f"subtracts half its middle, so a score ends within {worst:g} points of its half.",
    ]
    return out


def no_rule(group: str, why: str) -> dict[str, list[str]]:
    """The same line for every tool: no decay rule for this group, and why."""
    line = f"{group}: no decay rule. {why}"
    return {v: [line] for v in VENDORS}

"""Two scenarios side by side as a room reads them: labels, formats, the difference B - A,
the headline figures with which way each moves (MQLs and wins a month with the 90% range
each scenario saved, if any), one sentence saying it, and whether their figures were
computed on the same weights and data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from calibrate import fmt
from calibrate.decide.agreement import basis_of, describe_window, plain, same_basis
from calibrate.decide.scenarios import Scenario
from calibrate.thresholds import Bar


@dataclass(frozen=True)
class Comparison:
    """Scenario ``a`` against ``b``: one row per threshold and figure (``item``,
    ``a_text``, ``b_text``, ``difference_text``, and the raw ``a``, ``b``,
    ``difference``), and a note on their bases."""

    a: Scenario
    b: Scenario
    rows: list[dict[str, Any]]
    note: str
    same_basis: bool

    def table(self) -> list[dict[str, str]]:
        """The rows as a person reads them: item, A, B and B - A, all text."""
        return [{"": r["item"], "A": r["a_text"], "B": r["b_text"],
                 "B - A": r["difference_text"]} for r in self.rows]

    def labels(self) -> tuple[str, str]:
        """A's and B's names as saved; two versions of one name say which version."""
        return scenario_label(self.a, self.b), scenario_label(self.b, self.a)

    def sentence(self) -> str:
        """B against A in one sentence, as the room says it (see :func:`sentence`)."""
        a, b = self.labels()
        return sentence(a, figures_as_read(self.a), b, figures_as_read(self.b),
                        comparable=self.same_basis)

    def headline(self) -> list[Headline]:
        """The four figures a VP reads, A and B side by side (see :func:`headline`)."""
        return headline(figures_as_read(self.a), figures_as_read(self.b))


def compare(a: Scenario, b: Scenario) -> Comparison:
    """Compare two scenarios (the Scenarios page, ``calibrate scenario compare``)."""
    return Comparison(a, b, compare_rows(a, b), basis_note(a, b), same_basis(a, b))


_THRESHOLD_LABELS = {"min_profile": "Minimum profile score",
                     "min_behavior": "Minimum behavior score",
                     "min_total": "Minimum total score"}


def _signed(diff: float, show: Any) -> str:

    if fmt.is_missing(diff):
        return "–"
    if diff == 0:
        return "0"
    if show is fmt.percent:
        return f"{100 * diff:+.1f} pts"
    return ("+" if diff > 0 else "-") + show(abs(diff))


def compare_rows(a: Scenario, b: Scenario) -> list[dict[str, Any]]:
    """Two scenarios' thresholds and figures side by side as a person reads them: labels,
    percentages as percentages, MQLs and wins a month with the range each saved ("182
    (range 150–190)"; none for scenarios saved before ranges were), and the difference
    B - A (percentage points for rates). Each row keeps the raw values too (``key``,
    ``a``, ``b``, ``difference``; ``a_range`` and ``b_range``, [low, high] or None, for
    the counts with a range)."""
    from calibrate.decide.figure_text import (
        FIGURE_LABELS,
        RANGE_ENDS,
        dated,
        figure_label,
        range_text,
    )

    def row(key: str, label: str, x: Any, y: Any, show: Any) -> dict[str, Any]:
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y))
        diff = y - x if numeric and not (fmt.is_missing(x) or fmt.is_missing(y)) else None
        return {"key": key, "item": label, "a": plain(x), "b": plain(y),
                "difference": plain(diff),
                "a_text": "–" if fmt.is_missing(x) else show(x),
                "b_text": "–" if fmt.is_missing(y) else show(y),
                "difference_text": _signed(diff, show) if diff is not None else
                "–" if fmt.is_missing(x) or fmt.is_missing(y) else "same" if x == y else "differs"}

    def with_range(r: dict[str, Any], key: str) -> dict[str, Any]:
        """A count's row with each side's range, in its text and as raw ends."""
        for side, f in (("a", fa), ("b", fb)):
            ends = [plain(f.get(end)) for end in RANGE_ENDS[key]]
            span = range_text(f, key)
            r[f"{side}_range"] = ends if span else None
            if span and r[f"{side}_text"] != "–":
                r[f"{side}_text"] += f" ({span})"
        return r

    ta, tb = a.thresholds.main or Bar(), b.thresholds.main or Bar()
    rule = {"both": "profile and behavior", "total": "one total score"}
    rows = [row("mode", "MQL rule", rule[ta.mode], rule[tb.mode], str)]
    for key in _THRESHOLD_LABELS:  # a mode's minimums; the others are idle
        if key in ta.applied or key in tb.applied:
            rows.append(row(key, _THRESHOLD_LABELS[key],
                            getattr(ta, key) if key in ta.applied else None,
                            getattr(tb, key) if key in tb.applied else None, str))
    own_a, own_b = a.thresholds.segments, b.thresholds.segments
    for seg in dict.fromkeys([*own_a, *own_b]):
        rows.append(row(f"segment:{seg}", f"{seg}'s own thresholds",
                        own_a[seg].describe() if seg in own_a else "the main ones",
                        own_b[seg].describe() if seg in own_b else "the main ones", str))
    rows.append(row("window", "Projected from", describe_window(a), describe_window(b), str))
    fa, fb = a.figures, b.figures
    per_month = dated(fa) or dated(fb)
    for key, (_, show) in FIGURE_LABELS.items():
        if fa.get(key) is None and fb.get(key) is None:
            continue
        got = row(key, figure_label(key, per_month), fa.get(key), fb.get(key), show)
        rows.append(with_range(got, key) if key in RANGE_ENDS else got)
    rows.append(row("conversion_interval", "Conversion 95% interval",
                    fmt.interval(fa.get("conversion_low"), fa.get("conversion_high")),
                    fmt.interval(fb.get("conversion_low"), fb.get("conversion_high")), str))
    return rows


def scenario_label(s: Scenario, other: Scenario) -> str:
    """``s``'s name as its author wrote it; when ``other`` is another save of the same name,
    with the version (or the id) that tells them apart."""
    if s.name != other.name or s.id == other.id:
        return s.name
    return f"{s.name} (version {s.version})" if s.version != other.version else (
        f"{s.name} (#{s.id})")


def figures_as_read(s: Scenario) -> dict[str, Any]:
    """A scenario's figures, ``months`` None when its counts "per month" are totals: the
    figures say so (``dated`` False: the leads had no dates). Figures saved before they
    said so are read as totals when projected from a whole history of one month, which is
    what undated leads gave (for one dated month it is the same count either way)."""
    figures = dict(s.figures)
    dated = figures.get("dated")
    if dated is False or (dated is None and not s.payload.get("months")
                          and _value(figures, "months") == 1):
        figures["months"] = None
    return figures


def _value(figures: Mapping[str, Any], key: str) -> float | None:
    x = figures.get(key)
    if isinstance(x, bool) or not isinstance(x, int | float) or fmt.is_missing(x):
        return None
    return float(x)


def per_month(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether both figures are monthly: both know their window's ``months``. Without
    (undated leads, or figures saved without it) the counts are totals, read "in all"."""
    return all(_value(f, "months") is not None for f in (a, b))


def _count_clause(verb: str, noun: str, x: float | None, y: float | None,
                  per: str) -> str | None:
    """"sends 224 fewer leads a month", "wins 1 more deal", "sends the same number of
    leads" (None when either count is missing). Whole units: people count whole leads."""
    if x is None or y is None:
        return None
    diff = y - x
    n = int(fmt.round_half_up(diff))
    if n == 0:
        return f"{verb} {'the' if diff == 0 else 'about the'} same number of {noun}s{per}"
    return (f"{verb} {abs(n):,} {'more' if n > 0 else 'fewer'} "
            f"{noun if abs(n) == 1 else noun + 's'}{per}")


def _conversion_clause(x: float | None, y: float | None) -> str | None:
    """"at 8.8 points higher conversion" (None when either rate is missing)."""
    if x is None or y is None:
        return None
    points = fmt.round_half_up(100 * (y - x), 1)
    if points == 0:
        return f"at {'the' if y == x else 'about the'} same conversion"
    return f"at {abs(points):.1f} points {'higher' if points > 0 else 'lower'} conversion"


def _or_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


#: What the sentence compares: the figure's key and its name when it is missing.
_SENTENCE_FIGURES = {"mqls_per_month": "MQLs", "wins_per_month": "wins",
                     "conversion": "conversion"}


def sentence(a_name: str, a: Mapping[str, Any], b_name: str, b: Mapping[str, Any], *,
             comparable: bool = True) -> str:
    """Scenario B against A in the words a room uses: "Marketing proposal, against Sales
    proposal, sends 600 more leads a month and wins 8 more deals, at 7.0 points lower
    conversion."

    Why: a table of differences makes people do the subtraction aloud; one sentence says
    what choosing B over A changes. Whole leads and deals, conversion in points to one
    decimal (half away from zero); "a month" when both figures know their window's months,
    else "in all". A figure missing on either side (None or NaN) is left out of the
    comparison and named ("Sales proposal has no figure for conversion."); ``comparable``
    False (different weights or data) says the figures are not comparable as they stand.

    Examples
    --------
    >>> print(sentence("Sales", {"months": 12, "mqls_per_month": 300, "conversion": 0.12},
    ...                "Mkt", {"months": 12, "mqls_per_month": 301, "conversion": 0.05}))
    ... # doctest: +NORMALIZE_WHITESPACE
    Mkt, against Sales, sends 1 more lead a month, at 7.0 points lower conversion.
    Neither scenario has a figure for wins.
    >>> print(sentence("Sales", {"mqls_per_month": 300}, "Mkt", {"mqls_per_month": 300}))
    ... # doctest: +NORMALIZE_WHITESPACE
    Mkt, against Sales, sends the same number of leads in all.
    Neither scenario has a figure for wins or conversion.
    """
    x = {k: _value(a, k) for k in _SENTENCE_FIGURES}
    y = {k: _value(b, k) for k in _SENTENCE_FIGURES}
    per = " a month" if per_month(a, b) else " in all"
    counts = [c for c in (_count_clause("sends", "lead", x["mqls_per_month"],
                                        y["mqls_per_month"], per),
                          _count_clause("wins", "deal", x["wins_per_month"],
                                        y["wins_per_month"], per)) if c]
    if len(counts) == 2:  # "a month" said once, with the leads
        counts[1] = counts[1].removesuffix(per)
    conversion = _conversion_clause(x["conversion"], y["conversion"])
    if counts:
        text = " and ".join(counts) + (f", {conversion}" if conversion else "")
    elif conversion:  # "has 7.0 points lower conversion"
        text = "has " + conversion.removeprefix("at ")
    else:
        text = ""
    parts = [f"{b_name}, against {a_name}, {text}." if text else
             f"There are no figures to compare {b_name} against {a_name}."]
    lacking: dict[str, list[str]] = {}
    for key, what in _SENTENCE_FIGURES.items():
        if x[key] is None or y[key] is None:
            who = ("Neither scenario has" if x[key] is None and y[key] is None else
                   f"{a_name} has" if x[key] is None else f"{b_name} has")
            lacking.setdefault(who, []).append(what)
    for who, what in lacking.items():
        parts.append(f"{who} {'a' if who.startswith('Neither') else 'no'} figure for "
                     f"{_or_list(what)}.")
    if not comparable:
        parts.append("The two were computed on different weights or data, so these figures "
                     "are not comparable as they stand.")
    return " ".join(parts)


@dataclass(frozen=True)
class Headline:
    """One headline figure for A and B: texts as people read them, the difference B - A
    with its sign, and which way it moves.

    ``direction`` is 1 (up), -1 (down), 0 (the same, as shown) or None (a side missing);
    ``word`` says it ("more", "fewer", "higher", "lower", "the same"); ``verdict`` is
    "better", "worse" or "" (no side is better: more MQLs is what the room argues about,
    not a gain). ``a_interval``/``b_interval``: the 95% interval, for conversion;
    ``a_range``/``b_range``: the 90% month-to-month range, for MQLs and wins a month
    ("range 150–190 a month"; None when the scenario saved none).
    """

    key: str
    label: str
    a_text: str
    b_text: str
    difference_text: str
    direction: int | None
    word: str
    verdict: str
    a_interval: str | None = None
    b_interval: str | None = None
    a_range: str | None = None
    b_range: str | None = None

    @property
    def a_note(self) -> str | None:
        """What reads under A's figure: its interval or its range (None: neither)."""
        return self.a_interval or self.a_range

    @property
    def b_note(self) -> str | None:
        """What reads under B's figure: its interval or its range (None: neither)."""
        return self.b_interval or self.b_range

    @property
    def arrow(self) -> str:
        """↑, ↓ or = for the direction ("" when a side is missing)."""
        return {1: "↑", -1: "↓", 0: "="}.get(self.direction, "")


#: The four a VP reads: key, (label a month, label in all), format, words up/down, and
#: whether up is better (None: neither better nor worse).
_HEADLINE = {
    "mqls_per_month": (("MQLs a month", "MQLs in all"), fmt.number, ("more", "fewer"), None),
    "conversion": (("Conversion", "Conversion"), fmt.percent, ("higher", "lower"), True),
    "wins_per_month": (("Wins a month", "Wins in all"), fmt.number, ("more", "fewer"), True),
    "win_share": (("Share of all wins", "Share of all wins"), fmt.percent,
                  ("higher", "lower"), True),
}


def _interval(figures: Mapping[str, Any]) -> str | None:
    low, high = _value(figures, "conversion_low"), _value(figures, "conversion_high")
    return None if low is None or high is None else f"95% interval {fmt.interval(low, high)}"


def _range(figures: Mapping[str, Any], key: str) -> str | None:
    """A count's saved 90% range a month ("range 150–190 a month"), or None."""
    from calibrate.decide.figure_text import RANGE_ENDS

    ends = RANGE_ENDS.get(key)
    if ends is None:
        return None
    return fmt.span(_value(figures, ends[0]), _value(figures, ends[1]), fmt.per_month,
                    " a month")


def headline(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Headline]:
    """MQLs and wins (with their 90% range a month, when saved), conversion (with its 95%
    interval) and share of all wins for A and B, each with the difference B - A as shown
    (a sign; "0" when it rounds away) and which way it moves, so a page can draw an arrow
    and a colour that never carries the meaning alone.

    Examples
    --------
    >>> h = headline({"months": 12, "conversion": 0.05}, {"months": 12, "conversion": 0.12})
    >>> [(x.label, x.difference_text, x.arrow, x.word, x.verdict) for x in h][1]
    ('Conversion', '+7.0 pts', '↑', 'higher', 'better')
    """
    monthly = per_month(a, b)
    rows = []
    for key, ((month_label, all_label), show, (up, down), up_is_better) in _HEADLINE.items():
        x, y = _value(a, key), _value(b, key)
        direction: int | None = None
        text, word, verdict = "–", "not known", ""
        if x is not None and y is not None:
            text = _signed(y - x, show)
            direction = 0 if not any(ch in "123456789" for ch in text) else (
                1 if y > x else -1)
            if direction == 0:
                text, word = "0", "the same"
            else:
                word = up if direction > 0 else down
                if up_is_better is not None:
                    verdict = "better" if (direction > 0) == up_is_better else "worse"
        conversion = key == "conversion"
        rows.append(Headline(
            key, month_label if monthly else all_label,
            "–" if x is None else show(x), "–" if y is None else show(y), text, direction,
            word, verdict, a_interval=_interval(a) if conversion else None,
            b_interval=_interval(b) if conversion else None, a_range=_range(a, key),
            b_range=_range(b, key)))
    return rows


def basis_note(a: Scenario, b: Scenario) -> str:
    """One line: the two were computed on the same weights and data, or on different ones."""
    if same_basis(a, b):
        return f"Both computed on {basis_of(a).describe()}."
    return (f"These two were computed on different weights or data (A: "
            f"{basis_of(a).describe()}; B: {basis_of(b).describe()}): their figures are not "
            "comparable as they stand. Save them again on the weights in force to compare "
            "like with like.")

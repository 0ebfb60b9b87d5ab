"""Which closed leads are held out for testing: the time split when dates allow, else a hash.

With a ``created_at`` column, the most recent ``test_size`` of closed leads (by creation
time) is the test split and the older ones train the model, as the model will be used on
leads newer than those it learnt from. Without dates (or if a side would lack wins or
non-wins) the split is stratified by a hash of ``lead_id``: within wins and within non-wins,
the leads with the lowest hashes form the test split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from calibrate.sql import literal

__all__ = ["Split", "make_split"]


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


@dataclass(frozen=True)
class Split:
    """Which closed leads are held out for testing; reproducible from this spec alone.

    ``kind`` is ``"time"`` (test = ``created_at >= cutoff``) or ``"hash"``: within wins and
    within non-wins, the ``test_size`` share with the lowest ``hash(lead_id, seed)``, stored
    as the two hash thresholds ``hash_cuts = (wins, non-wins)`` so that the test expression
    needs no window function (DuckDB's ``hash`` is stable within a DuckDB version, so a
    stored hash split is reproducible as long as DuckDB is not upgraded). ``outcomes`` are
    the closed outcomes in the population.
    """

    kind: str
    outcomes: tuple[str, ...]
    test_size: float
    seed: int
    cutoff: datetime | None = None
    hash_cuts: tuple[int, int] | None = None

    def population_sql(self) -> str:
        """Condition selecting the fitted leads from ``leads``."""
        return f"outcome IN {_in_list(self.outcomes)}"

    def test_sql(self) -> str:
        """Boolean SQL expression over a row of ``leads``: is it in the test split."""
        if self.kind == "time":
            stamp = self.cutoff.isoformat(sep=" ") if self.cutoff else "infinity"
            return f"coalesce(created_at >= TIMESTAMP {literal(stamp)}, false)"
        won, other = self.hash_cuts or (0, 0)
        return (f"(hash(lead_id, {int(self.seed)}) <= CASE WHEN outcome = 'won' "
                f"THEN {int(won)}::UBIGINT ELSE {int(other)}::UBIGINT END)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (read back by :meth:`from_dict`)."""
        return {"kind": self.kind, "outcomes": list(self.outcomes),
                "test_size": self.test_size, "seed": self.seed,
                "cutoff": self.cutoff.isoformat() if self.cutoff else None,
                "hash_cuts": list(self.hash_cuts) if self.hash_cuts else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Split:
        """The split of a :meth:`to_dict` record."""
        cutoff = data.get("cutoff")
        cuts = data.get("hash_cuts")
        return cls(data["kind"], tuple(data["outcomes"]), float(data["test_size"]),
                   int(data["seed"]), datetime.fromisoformat(cutoff) if cutoff else None,
                   (int(cuts[0]), int(cuts[1])) if cuts else None)


def make_split(cur: duckdb.DuckDBPyConnection, has_created: bool, outcomes: tuple[str, ...],
               test_size: float, seed: int) -> tuple[Split, tuple[Any, Any]]:
    """The time split when dates allow it (both classes on both sides), else the hash split;
    and the range of ``created_at`` over the population (None, None without dates)."""
    pop = f"outcome IN {_in_list(outcomes)}"
    data_range: tuple[Any, Any] = (None, None)
    if has_created:
        n, dated, cutoff, lo, hi = cur.execute(
            f"SELECT count(*), count(created_at), quantile_disc(created_at, "
            f"{1 - test_size!r}), min(created_at), max(created_at) FROM leads WHERE {pop}"
        ).fetchone()
        data_range = (lo, hi)
        if dated and dated >= 0.5 * n and cutoff is not None:
            split = Split("time", outcomes, test_size, seed, cutoff)
            sides = cur.execute(
                f"SELECT {split.test_sql()} AS t, count(*) FILTER (WHERE outcome = 'won'), "
                f"count(*) FILTER (WHERE outcome <> 'won') FROM leads WHERE {pop} GROUP BY t"
            ).fetchall()
            ok = {bool(t): (w >= 1 and nw >= 1) for t, w, nw in sides}
            if ok.get(True) and ok.get(False):
                return split, data_range
    cuts = dict(cur.execute(
        f"SELECT outcome = 'won', quantile_disc(hash(lead_id, {int(seed)}), {test_size!r}) "
        f"FROM leads WHERE {pop} GROUP BY ALL").fetchall())
    return Split("hash", outcomes, test_size, seed,
                 hash_cuts=(int(cuts.get(True, 0)), int(cuts.get(False, 0)))), data_range

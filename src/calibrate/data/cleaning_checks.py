"""Counting the cleaning's checks: each column's issues (how many rows, the first few, what
was done) from the state words of the staged rows."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from calibrate.data.cleaning_plan import Plan
from calibrate.data.store import STAGING

EXAMPLES = 5


@dataclass
class Issue:
    """One kind of problem found in one column, with how many rows and what was done."""

    column: str
    kind: str
    count: int
    rows: list[int]
    action: str

    def __str__(self) -> str:
        rows = ", ".join(str(r) for r in self.rows)
        return f"{self.column}: {self.count:,} {self.kind} ({self.action}; e.g. rows {rows})"


def state_columns(plans: list[Plan]) -> list[str]:
    """The helper columns holding the state words (dropped once the checks are counted)."""
    return [f"_w{j}" for j in range(max((p.slot[0] for p in plans), default=-1) + 1)]


#: Above this many distinct combinations of state words, checks are counted in SQL.
MAX_STATE_COMBINATIONS = 10_000


def run_checks(cur: duckdb.DuckDBPyConnection, plans: list[Plan], row: str) -> list[Issue]:
    """Count every check, with its first example rows, from the state words of
    ``_calibrate_new``.

    Usually from one GROUP BY over the words: a file has few distinct combinations of
    issues, and each combination's count and first rows (``min(x, n)`` lists the n
    smallest) are summed up per check. A file with very many combinations is counted with
    one aggregate per check instead.
    """
    tests = [(plan, kind, plan.slot[0], bit << plan.slot[1], action)
             for plan in plans for kind, bit, action in plan.checks]
    if not tests:
        return []
    combos = cur.execute(
        f"SELECT {', '.join(state_columns(plans))}, count(*), min({row}, {EXAMPLES}) "
        f"FROM {STAGING} GROUP BY ALL LIMIT {MAX_STATE_COMBINATIONS + 1}").fetchall()
    if len(combos) > MAX_STATE_COMBINATIONS:
        return _checks_in_sql(cur, tests, row)
    issues = []
    for plan, kind, word, mask, action in tests:
        hits = [c for c in combos if c[word] & mask]
        if hits:
            rows = sorted(r for c in hits for r in c[-1])[:EXAMPLES]
            issues.append(Issue(plan.guess.label, kind, sum(int(c[-2]) for c in hits),
                                [int(r) for r in rows], action))
    return issues


def _checks_in_sql(cur: duckdb.DuckDBPyConnection, tests: list[tuple[Plan, str, int, int, str]],
                   row: str) -> list[Issue]:
    """The checks' counts and first rows as aggregates with FILTERs (two scans)."""
    where = [f"(_w{word} & {mask}::UBIGINT) <> 0" for _, _, word, mask, _ in tests]
    counts = cur.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {w})" for w in where)
                         + f" FROM {STAGING}").fetchone()
    found = [(test, w, int(n)) for test, w, n in zip(tests, where, counts, strict=True) if n]
    if not found:
        return []
    examples = cur.execute("SELECT " + ", ".join(
        f"min({row}, {EXAMPLES}) FILTER (WHERE {w})" for _, w, _ in found)
        + f" FROM {STAGING}").fetchone()
    return [Issue(plan.guess.label, kind, n, [int(r) for r in rows], action)
            for ((plan, kind, _, _, action), _, n), rows in zip(found, examples, strict=True)]

"""Auto-qualifiers and auto-disqualifiers: rules applied before (and instead of) the score.

Why: some leads need no score. A demo request or a contact-us form goes straight to sales
(auto-qualified); a competitor, a fake name or number, a throwaway or malformed email, or a
student never does (auto-disqualified), however high the score. The rules are part of the
agreement, so they are plain data (:class:`~calibrate.model.rule_settings.RuleSet`, JSON
round-trip; defined with the weights document that carries them, and imported here) and
become ONE SQL ``CASE`` expression (:func:`rule_sql`) that DuckDB evaluates over every lead,
with no Python loop over leads.

Precedence: disqualifiers first, in the order competitor, fake_name, fake_phone,
throwaway_email, malformed_email, student; then qualifiers (flags in list order, then value
matches). The first rule that fires names the lead's rule, so disqualifiers win over
qualifiers. A rule whose column is missing is simply off.

Matching is on lower-cased, trimmed text. Every configured value reaches SQL as an escaped
string literal and every column name through :func:`calibrate.sql.quote`, so values with
quotes cannot break (or change) the SQL.

Rule labels (the values of the ``CASE``): ``disqualified:competitor``,
``disqualified:fake_name``, ``disqualified:fake_phone``, ``disqualified:throwaway_email``,
``disqualified:malformed_email``, ``disqualified:student``, ``qualified:<flag column>``
(e.g. ``qualified:demo_request``), ``qualified:<value column>``, or NULL (scored normally).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import duckdb
import pandas as pd

from calibrate.data.outcomes import CLOSED
from calibrate.data.roles import snake
from calibrate.data.store import ColumnInfo
from calibrate.model.rule_settings import RuleSet
from calibrate.sql import literal, quote
from calibrate.vocabulary import YES

DISQUALIFIERS = (
    "competitor", "fake_name", "fake_phone", "throwaway_email", "malformed_email", "student",
)

_TRUE_TEXT = YES  # the same yes as the cleaning of stored flags
_WELL_FORMED_EMAIL = r"\s*[^@\s]+@[^@\s.]+(\.[^@\s.]+)+\s*"


# ----------------------------------------------------------------------------- SQL pieces


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def _norm(values: Iterable[str]) -> list[str]:
    """Lower-cased, trimmed, blank-free, de-duplicated (order kept) values."""
    out: list[str] = []
    for v in values:
        t = " ".join(str(v).lower().split())
        if t and t not in out:
            out.append(t)
    return out


def _text(col: str) -> str:
    """Lower-cased trimmed text of a column (NULL for blanks)."""
    return f"nullif(lower(trim(CAST({quote(col)} AS VARCHAR))), '')"


def _column_types(columns: Any) -> dict[str, str]:
    """Column name -> DuckDB type ('' when unknown) from names, ColumnInfo or a mapping."""
    if isinstance(columns, Mapping):
        return {str(k): str(v or "").upper() for k, v in columns.items()}
    out: dict[str, str] = {}
    for c in columns:
        if isinstance(c, ColumnInfo):  # ingest stores flag columns as BOOLEAN
            out[c.name] = "BOOLEAN" if c.type == "flag" else ""
        else:
            out[str(c)] = ""
    return out


def _flag(col: str, type_: str) -> str:
    if type_ == "BOOLEAN":
        return f"{quote(col)} IS TRUE"
    return f"coalesce({_text(col)} IN {_in(_TRUE_TEXT)}, false)"


def _re_escape(text: str) -> str:
    """RE2-safe literal text: ASCII punctuation is backslash-escaped, the rest kept."""
    return "".join("\\" + ch if ch in string.punctuation else ch for ch in text)


def _words(text: str) -> str:
    """RE2 for a normalised phrase: words escaped, any run of whitespace between them."""
    return r"\s+".join(_re_escape(w) for w in text.split())


def _email_at(domains: list[str]) -> str:
    """RE2 for a well-formed email whose domain is one of ``domains`` or a subdomain of one."""
    alts = "|".join(_re_escape(d) for d in domains)
    return rf"(?i)\s*[^@\s]+@([^@\s.]+\.)*({alts})\s*"


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _phone_pattern(rules: RuleSet) -> str:
    r"""One RE2 over the raw phone text (separators ignored) for the configured fake numbers.

    Working on the raw text with ``\D*`` between digits avoids building a digits-only copy
    several times per lead (a single ``CASE`` cannot bind a variable).
    """
    sep = r"\D*"
    alts = []
    for number in sorted({_digits(p) for p in rules.fake_phones if _digits(p)}):
        alts.append("^" + sep + sep.join(number) + sep + "$")
    if rules.fake_phone_555:  # exchange: the 3 digits just before the last 4
        alts.append(sep.join("555") + sep + (r"\d" + sep) * 4 + "$")
    if rules.fake_phone_same_digit:
        alts.append("^" + sep + "(" + "|".join(f"{d}({sep}{d}){{6,}}" for d in "0123456789")
                    + ")" + sep + "$")
    return "|".join(f"(?:{a})" for a in alts)


def _conditions(rules: RuleSet, types: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, SQL condition) of every active rule, in precedence order.

    Text rules are case-insensitive RE2 matches on the raw text (leading and trailing
    spaces allowed) rather than matches on ``lower(trim(...))`` copies: the same result,
    about twice as fast, and one pass over a million leads takes about a second.
    """
    has = set(types)
    out: list[tuple[str, str]] = []
    find = column_finder(has)

    def raw(col: str) -> str:
        return quote(col) if types[col] == "VARCHAR" else f"CAST({quote(col)} AS VARCHAR)"

    def phrases(values: list[str]) -> str:
        return r"(?i)^\s*(" + "|".join(_words(v) for v in values) + r")\s*$"

    email = raw("email") if "email" in has else None

    comp: list[str] = []
    domains = _norm(rules.competitor_domains)
    if email and domains:
        comp.append(f"regexp_full_match({email}, {literal(_email_at(domains))})")
    companies = _norm(rules.competitor_companies)
    if "company" in has and companies:
        comp.append(f"regexp_matches({raw('company')}, {literal(phrases(companies))})")
    if comp:
        out.append(("disqualified:competitor", f"coalesce({' OR '.join(comp)}, false)"))

    parts = [raw(c) for c in ("first_name", "last_name") if c in has]
    joined = f"nullif(trim(concat_ws(' ', {', '.join(parts)})), '')" if parts else ""
    if "full_name" in has:
        full = f"nullif(trim({raw('full_name')}), '')"
        name = f"coalesce({full}, {joined})" if joined else full
    else:
        name = joined
    fakes = _norm(rules.fake_names)
    alts = ([phrases(fakes)] if fakes else []) + [p for p in rules.fake_name_patterns if p]
    if name and alts:
        pattern = "(?i)" + "|".join(f"(?:{a})" for a in alts)
        out.append(("disqualified:fake_name",
                    f"coalesce(regexp_matches({name}, {literal(pattern)}), false)"))

    if "phone" in has:
        phone = raw("phone")
        tests = []
        pattern = _phone_pattern(rules)
        if pattern:
            tests.append(f"regexp_matches({phone}, {literal(pattern)})")
        if rules.min_phone_digits > 0:
            need = r"\d\D*" * int(rules.min_phone_digits)
            tests.append(f"(trim({phone}) <> '' AND NOT regexp_matches({phone}, {literal(need)}))")
        if tests:
            out.append(("disqualified:fake_phone", f"coalesce({' OR '.join(tests)}, false)"))

    throwaway = _norm(rules.throwaway_domains)
    if email and throwaway:
        out.append(("disqualified:throwaway_email",
                    f"coalesce(regexp_full_match({email}, "
                    f"{literal(_email_at(throwaway))}), false)"))
    if email and rules.check_email_format:
        out.append(("disqualified:malformed_email",
                    f"coalesce(trim({email}) <> '' AND "
                    f"NOT regexp_full_match({email}, {literal(_WELL_FORMED_EMAIL)}), false)"))

    student = []
    for key, words in rules.students.items():
        words = _norm(words)
        col = find(key)
        if col and words:
            pattern = "(?i)" + "|".join(_words(w) for w in words)
            student.append(f"regexp_matches({raw(col)}, {literal(pattern)})")
    if student:
        out.append(("disqualified:student", f"coalesce({' OR '.join(student)}, false)"))

    for key in rules.qualify_flags:
        if col := find(key):
            out.append((f"qualified:{col}", _flag(col, types[col])))
    for key, values in rules.qualify_values.items():
        values = _norm(values)
        col = find(key)
        if col and values:
            out.append((f"qualified:{col}",
                        f"coalesce(regexp_matches({raw(col)}, {literal(phrases(values))}), false)"))
    return out


def column_finder(names: Iterable[str]) -> Callable[[str], str | None]:
    """Find a rule's column among ``names``: the exact name, else the one written alike
    ("demo_request" finds the header "Demo Request"; "job_title" finds "Job Title")."""
    exact = set(names)
    alike = {snake(n): n for n in sorted(exact, reverse=True)}

    def find(key: str) -> str | None:
        return key if key in exact else alike.get(snake(key))

    return find


def active_rules(rules: RuleSet, columns: Any) -> list[str]:
    """Labels of the rules that can fire on these columns, in precedence order.

    ``columns``: column names, :class:`~calibrate.data.store.ColumnInfo` rows, or a mapping of
    name to DuckDB type. Rules whose columns are missing are off and not listed.
    """
    seen: list[str] = []
    for label, _ in _conditions(rules, _column_types(columns)):
        if label not in seen:
            seen.append(label)
    return seen


def rule_sql(rules: RuleSet, columns: Any) -> str:
    """ONE SQL ``CASE`` expression naming the rule applied to each lead (NULL: none).

    ``columns`` as in :func:`active_rules` (a name -> type mapping lets boolean flags use
    ``IS TRUE``; otherwise flags are read from their text: true/yes/1/x...). The expression
    refers to the lead columns by name, so it goes in ``SELECT ... FROM leads``.
    """
    conds = _conditions(rules, _column_types(columns))
    if not conds:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {cond} THEN {literal(label)}" for label, cond in conds)
    return f"(CASE {whens} ELSE NULL END)"


def source_columns(con: duckdb.DuckDBPyConnection, source: str = "leads") -> dict[str, str]:
    """Name -> DuckDB type of a table or view's columns."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {quote(source)}").fetchall()
    return {str(r[0]): str(r[1]).upper() for r in rows}


def rule_hits(
    con: duckdb.DuckDBPyConnection, rules: RuleSet, source: str = "leads"
) -> pd.DataFrame:
    """How often each rule fires, and how its leads turned out (one GROUP BY in DuckDB).

    One row per active rule in precedence order (zeros when it never fires), then a row
    with ``rule`` None for the leads no rule touches. A lead is counted under the first rule
    that fires only. Columns: rule, kind ('disqualified' / 'qualified' / 'none'), leads,
    share (of all leads), closed, wins, win_rate (wins / closed; NaN with no closed lead).
    ``source`` is a table or view name (quoted, never raw SQL).
    """
    types = source_columns(con, source)
    expr = rule_sql(rules, types)
    closed = _in(CLOSED)
    rows = con.execute(
        f"SELECT rule, count(*) AS leads, count(*) FILTER (WHERE outcome IN {closed}) AS closed, "
        f"count(*) FILTER (WHERE outcome = 'won') AS wins "
        f"FROM (SELECT {expr} AS rule, outcome FROM {quote(source)}) GROUP BY rule"
    ).fetchall()
    found = {r[0]: r[1:] for r in rows}
    labels: list[str | None] = [*active_rules(rules, types), None]
    labels += sorted(k for k in found if k not in labels)  # cannot happen; kept for safety
    total = sum(int(v[0]) for v in found.values())
    records = []
    for label in labels:
        leads, n_closed, wins = (int(x) for x in found.get(label, (0, 0, 0)))
        kind = "none" if label is None else label.split(":", 1)[0]
        records.append({
            "rule": label, "kind": kind, "leads": leads,
            "share": leads / total if total else float("nan"),
            "closed": n_closed, "wins": wins,
            "win_rate": wins / n_closed if n_closed else float("nan"),
        })
    return pd.DataFrame.from_records(
        records, columns=["rule", "kind", "leads", "share", "closed", "wins", "win_rate"]
    )


def describe(rules: RuleSet, columns: Any) -> list[str]:
    """The active rules in plain words, in precedence order (for the agreement page)."""
    types = _column_types(columns)
    find = column_finder(types)
    text = {
        "disqualified:competitor": "Disqualify direct competitors (email domain: "
        + (", ".join(_norm(rules.competitor_domains)) or "none")
        + "; company: " + (", ".join(_norm(rules.competitor_companies)) or "none") + ").",
        "disqualified:fake_name": "Disqualify fake names (e.g. "
        + ", ".join(f'"{n}"' for n in _norm(rules.fake_names)[:4])
        + "; names with no letters; keyboard mashes).",
        "disqualified:fake_phone": "Disqualify fake phone numbers (555 exchange, one repeated "
        "digit, known fakes, too few digits).",
        "disqualified:throwaway_email": "Disqualify throwaway email domains ("
        + ", ".join(_norm(rules.throwaway_domains)[:5]) + ", ...).",
        "disqualified:malformed_email": "Disqualify malformed emails (not name@domain.tld).",
        "disqualified:student": "Disqualify students ("
        + "; ".join(f"{find(c)} contains {', '.join(_norm(w))}"
                    for c, w in rules.students.items() if find(c) and _norm(w)) + ").",
    }
    out = []
    for label in active_rules(rules, types):
        if label in text:
            out.append(text[label])
        else:
            col = label.split(":", 1)[1]
            values = next((_norm(v) for k, v in rules.qualify_values.items()
                           if find(k) == col), [])
            if any(find(k) == col for k in rules.qualify_flags):
                out.append(f"Auto-qualify when {col} is yes.")
            if values:
                out.append(f"Auto-qualify when {col} is one of: {', '.join(values)}.")
    return out


def summary(rules: RuleSet, columns: Any) -> str:
    """The active rules in a few words ("Demo Request qualifies; fake phone, throwaway
    email disqualify"), or "none" when no rule's columns exist."""
    labels = active_rules(rules, columns)
    qualify = [label.split(":", 1)[1] for label in labels if label.startswith("qualified:")]
    disqualify = [label.split(":", 1)[1].replace("_", " ") for label in labels
                  if label.startswith("disqualified:")]
    parts = []
    if qualify:
        parts.append(", ".join(qualify) + (" qualifies" if len(qualify) == 1 else " qualify"))
    if disqualify:
        parts.append(", ".join(disqualify) + " disqualif"
                     + ("ies" if len(disqualify) == 1 else "y"))
    return "; ".join(parts) or "none"

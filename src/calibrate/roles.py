"""Guessing what each column of an export is (profile, behavior, outcome...) and its type.

The guess uses the column's name first and its values second; every guess carries a
reason so the user can see why, and a TOML mapping file (or the app) overrides it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calibrate.errors import InputError, read_text_file
from calibrate.outcomes import OUTCOMES

#: Roles a column can have. ``profile`` and ``behavior`` are the scored attributes.
ATTRIBUTE_ROLES = ("profile", "behavior")
SPECIAL_ROLES = (
    "lead_id", "outcome", "created_at", "closed_at", "amount", "segment",
    "email", "phone", "company", "first_name", "last_name", "full_name",
)
ROLES = ATTRIBUTE_ROLES + SPECIAL_ROLES + ("ignore",)
CONTACT_ROLES = ("email", "phone", "company", "first_name", "last_name", "full_name")
TYPES = ("categorical", "numeric", "flag", "date", "text")

# Name patterns, tried in order: the first match decides. Patterns see the name in
# snake_case with a leading and trailing underscore, so "_x_" matches a whole word.
_NAME_RULES: list[tuple[str, str]] = [
    ("lead_id", r"_(lead_?id|id|record_?id|contact_?id|leadid|lead_number)_$"),
    ("outcome", r"_(outcome|status|lead_status|stage|opportunity_stage|deal_stage|converted|"
                r"is_won|won|result|conversion|target|label)_$"),
    ("created_at", r"_(created(_at|_on|_date)?|create_date|date_created|lead_created(_at|_date)?|"
                   r"creation_date|inquiry_date|created_time)_$"),
    ("closed_at", r"_(closed(_at|_on|_date)?|close_date|date_closed|closed_time)_$"),
    ("amount", r"_(amount|deal_amount|deal_value|opportunity_amount|opp_amount|"
               r"won_amount|deal_size|acv)_$"),
    ("segment", r"_(segment|sales_team|team|territory|business_unit|sales_region|queue)_$"),
    ("email", r"_(e_?mail|email_address|work_email)_$"),
    ("phone", r"_(phone|phone_number|telephone_number|mobile|mobile_phone|tel)_$"),
    ("company", r"_(company|company_name|account|account_name|organization|organisation)_$"),
    ("first_name", r"_(first_?name|given_name|forename)_$"),
    ("last_name", r"_(last_?name|surname|family_name)_$"),
    ("full_name", r"_(name|full_name|contact_name|lead_name)_$"),
    ("behavior", r"(visit|page|view|session|minute|second|time_on|email_open|open_rate|opens|"
                 r"click|download|webinar|demo|contact_us|contactus|form|trial|chat|event|"
                 r"campaign|pdays|previous|poutcome|activity|engage|_score_|duration|"
                 r"_contact_|_month_|day_of_week|call|meeting|signup|registration|whitepaper|"
                 r"content|video|unsubscribe|bounce|last_)"),
    ("profile", r"(title|senior|_role_|department|_dept|function|industry|sector|vertical|"
                r"country|region|state|city|geo|employee|headcount|company_size|_size_|"
                r"revenue|_age_|_job_|marital|education|default|housing|loan|gender|income|"
                r"source|channel|persona|tier|language|timezone|budget)"),
]

_FLAG_VALUES = {"yes", "no", "y", "n", "true", "false", "t", "f", "1", "0", "x", "checked",
                "unchecked", "1.0", "0.0"}


@dataclass(frozen=True)
class ColumnStats:
    """What the values of one raw column look like (computed by ingest in one SQL pass)."""

    name: str
    rows: int
    present: int  # neither blank nor a placeholder
    distinct: int
    numeric: int  # values that parse as numbers after cleaning
    flag: int  # values in the yes/no vocabulary
    date: int  # values that parse as dates
    examples: tuple[str, ...] = ()
    # What the cleaning plan needs to know, from the same pass (see ``profile_columns``):
    whole: int = 0  # numbers that are whole
    percent: int = 0  # values with a percent sign
    not_plain: int = 0  # values, placeholders included, not written as plain numbers
    not_iso: int = 0  # values, placeholders included, not written as ISO dates
    day_first: bool = False  # slash dates with a first part above 12, none with a second
    flag_spellings: tuple[str, ...] = ()  # the commonest values read as yes/no ("Yes", "No")

    @property
    def counts(self) -> bool:
        """Whether the column holds counts: whole numbers, no percentages."""
        return self.numeric > 0 and self.percent == 0 and self.whole >= 0.99 * self.numeric


@dataclass
class ColumnGuess:
    """A column's guessed (or mapped) role and type, with the reason shown to the user."""

    source_name: str
    name: str
    role: str
    type: str
    reason: str


@dataclass
class Mapping:
    """Overrides from a TOML mapping file or the app: roles, types, outcome labels, reading."""

    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    outcomes: dict[str, list[str]] = field(default_factory=dict)
    placeholders: list[str] = field(default_factory=list)
    read: dict[str, Any] = field(default_factory=dict)

    def role_for(self, source_name: str) -> str | None:
        return self.columns.get(source_name, {}).get("role")

    def type_for(self, source_name: str) -> str | None:
        return self.columns.get(source_name, {}).get("type")


def snake(name: str) -> str:
    """A column name as a safe snake_case identifier ("Page Views (30d)" -> "page_views_30d")."""
    text = re.sub(r"[^0-9a-zA-Z]+", "_", str(name).strip()).strip("_").lower()
    if not text:
        return "column"
    if text[0].isdigit():
        text = "c_" + text
    return text


def unique_names(names: list[str]) -> list[str]:
    """Snake-case every name, suffixing ``_2``, ``_3``... so they stay distinct."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        base = snake(name)
        candidate = base
        n = 1
        while candidate in seen:
            n += 1
            candidate = f"{base}_{n}"
        seen[candidate] = 1
        out.append(candidate)
    return out


def guess_type(stats: ColumnStats) -> tuple[str, str]:
    """The type a column's values suggest, with the reason."""
    if stats.present == 0:
        return "categorical", "no values"
    share = stats.present
    if stats.distinct <= 3 and stats.flag >= 0.98 * share:
        return "flag", "values are yes/no"
    if stats.numeric >= 0.95 * share:
        return "numeric", f"{stats.numeric / share:.0%} of values are numbers"
    if stats.date >= 0.95 * share:
        return "date", f"{stats.date / share:.0%} of values are dates"
    if stats.distinct > 100 and stats.distinct > 0.5 * share:
        return "text", f"{stats.distinct:,} distinct values (free text or identifiers)"
    return "categorical", f"{stats.distinct:,} distinct values"


def guess_role(name: str) -> tuple[str | None, str]:
    """The role a column's name suggests, or ``None`` when the name says nothing."""
    key = "_" + snake(name) + "_"
    for role, pattern in _NAME_RULES:
        if re.search(pattern, key):
            return role, f"name matches {role}"
    return None, ""


def guess_columns(
    stats: list[ColumnStats], mapping: Mapping | None = None, outcome: str | None = None
) -> list[ColumnGuess]:
    """Guess role and type of every column; the mapping and ``outcome`` override the guess.

    Only one column may hold each special role; later name matches fall back to an
    attribute role. Dates that are not the created/closed dates are behavior (recency).
    """
    mapping = mapping or Mapping()
    names = unique_names([s.name for s in stats])
    taken: set[str] = set()
    guesses: list[ColumnGuess] = []
    # Mapped special roles claim their role first, so a name guess cannot take it.
    for s in stats:
        role = outcome == s.name and "outcome" or mapping.role_for(s.name)
        if role in SPECIAL_ROLES:
            taken.add(role)
    for s, name in zip(stats, names, strict=True):
        type_, type_reason = guess_type(s)
        if mapping.type_for(s.name):
            type_, type_reason = mapping.type_for(s.name), "set by mapping"
        if outcome is not None and s.name == outcome:
            role, reason = "outcome", "set by --outcome"
        elif mapping.role_for(s.name):
            role, reason = mapping.role_for(s.name), "set by mapping"
        else:
            role, reason = guess_role(s.name)
            if role == "outcome" and outcome is not None:
                role, reason = None, ""
            if role in SPECIAL_ROLES and role in taken:
                role, reason = None, ""
            if role is None:
                role = "behavior" if type_ == "date" else "profile"
                reason = "no name match; default"
                if type_ == "text":
                    role, reason = "ignore", "free text or identifiers; not scored"
            if role in SPECIAL_ROLES:
                taken.add(role)
        guesses.append(ColumnGuess(s.name, name, role, type_, f"{reason}; {type_reason}"))
    _rename_special(guesses)
    return guesses


def _rename_special(guesses: list[ColumnGuess]) -> None:
    """Special-role columns take their canonical name (status -> outcome)."""
    used = {g.name for g in guesses if g.role not in SPECIAL_ROLES}
    for g in guesses:
        if g.role in SPECIAL_ROLES:
            if g.role in used:  # an attribute already carries that name: rename it
                for other in guesses:
                    if other.name == g.role and other.role not in SPECIAL_ROLES:
                        other.name = other.name + "_attr"
            g.name = g.role


def load_mapping(path: str | Path | None) -> Mapping:
    """Read a TOML mapping file; a bad file is an :class:`InputError` naming the problem."""
    if path is None:
        return Mapping()
    p = Path(path)
    text = read_text_file(p, "mapping", "--mapping")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"The mapping file is not valid TOML: {exc}", file=str(p),
                         fix="See README.md, section 'Mapping file', for an example.") from None
    return mapping_from_dict(data, str(p))


def mapping_from_dict(data: dict[str, Any], source: str = "mapping") -> Mapping:
    """Validate a mapping given as a dict (from TOML or the app)."""
    columns = data.get("columns", {})
    for col, spec in columns.items():
        if not isinstance(spec, dict):
            raise InputError(f"[columns.{col}] must be a table with role and/or type.",
                             file=source, column=col,
                             fix=f'Write it as [columns."{col}"] then role = "profile".')
        if "role" in spec and spec["role"] not in ROLES:
            raise InputError(f"Unknown role '{spec['role']}'.", file=source, column=col,
                             fix=f"Use one of: {', '.join(ROLES)}.")
        if "type" in spec and spec["type"] not in TYPES:
            raise InputError(f"Unknown type '{spec['type']}'.", file=source, column=col,
                             fix=f"Use one of: {', '.join(TYPES)}.")
    outcomes = data.get("outcomes", {})
    for key, labels in outcomes.items():
        if key not in OUTCOMES:
            raise InputError(f"Unknown outcome '{key}' in [outcomes].", file=source,
                             fix=f"Use one of: {', '.join(OUTCOMES)}.")
        if not isinstance(labels, list):
            raise InputError(f"[outcomes] {key} must be a list of labels.", file=source,
                             fix=f'Write it as {key} = ["Label one", "Label two"].')
    return Mapping(
        columns={str(k): dict(v) for k, v in columns.items()},
        outcomes={k: [str(x) for x in v] for k, v in outcomes.items()},
        placeholders=[str(x) for x in data.get("placeholders", {}).get("values", [])],
        read=dict(data.get("read", {})),
    )


def mapping_from_choices(choices: list[dict[str, str]], base: Mapping | None = None) -> Mapping:
    """A mapping from the roles and types a user picked in the app (one dict per column).

    Each dict has ``source_name``, ``role`` and ``type``; the rest of ``base`` (outcome
    labels, placeholders, read options) is kept.
    """
    base = base or Mapping()
    columns = {c["source_name"]: {"role": c["role"], "type": c["type"]} for c in choices
               if c.get("source_name")}
    return mapping_from_dict({
        "columns": columns,
        "outcomes": base.outcomes,
        "placeholders": {"values": base.placeholders},
        "read": base.read,
    }, "the column table")

"""Guessing what each column of an export is (profile, behavior, outcome...) and its type.

The guess uses the column's name first and its values second; every guess carries a
reason so the user can see why, and a TOML mapping file (or the app) overrides it.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calibrate.data.mapping_file import check_mapping
from calibrate.data.outcomes import (
    OUTCOMES,
    OutcomeCandidate,
    clear_winner,
    rank_outcome_candidates,
)
from calibrate.errors import InputError, read_text_file

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
# Columns named like these are not scored: the sales rep who owned the deal describes the
# sales side, not the lead; notes and descriptions are free text.
_SALES_REP = (r"_(owner|lead_owner|deal_owner|opportunity_owner|assigned_to|sales_rep|"
              r"account_manager|bearbeiter)_$")
_FREE_TEXT = (r"_(notes?|comments?|description|remarks?|body|message|details|notizen?|"
              r"bemerkungen?|kommentare?|beschreibung|commentaires?)_$")
_NAME_RULES: list[tuple[str, str]] = [
    ("lead_id", r"_(lead_?id|id|record_?id|contact_?id|leadid|lead_number|opportunity_id|"
                r"deal_id|prospect_id|lead_nr)_$"),
    ("outcome", r"_(outcome|status|lead_status|stage|opportunity_stage|deal_stage|converted|"
                r"is_won|won|result|conversion|target|label)_$"),
    ("created_at", r"_(created(_at|_on|_date|_time)?|create_date|date_created|"
                   r"lead_created(_at|_date)?|creation_date|inquiry_date|deal_created|"
                   r"erstellt(_am)?|erstellungsdatum|angelegt(_am)?|date_de_creation|"
                   r"fecha_de_creacion|data_de_criacao|data_creazione)_$"),
    ("closed_at", r"_(closed(_at|_on|_date)?|close_date|closing_date|date_closed|closed_time|"
                  r"won_time|lost_time|abschlussdatum)_$"),
    ("amount", r"_(amount|deal_amount|deal_value|opportunity_amount|opp_amount|"
               r"won_amount|deal_size|acv|auftragswert|betrag|montant|importe|valor)_$"),
    ("segment", r"_(segment|sales_team|team|territory|business_unit|sales_region|queue)_$"),
    ("email", r"_(e_?mail|email_address|work_email|e_mail_adresse|courriel|correo)_$"),
    ("phone", r"_(phone|phone_number|telephone_number|mobile|mobile_phone|tel|telefon|"
              r"telefono|telephone|telefonnummer|business_phone|handy)_$"),
    ("company", r"_(company|company_name|account|account_name|organization|organisation|"
                r"firma|unternehmen|entreprise|societe|empresa|azienda|bedrijf)_$"),
    ("first_name", r"_(first_?name|given_name|forename|vorname|prenom|nombre|nome)_$"),
    ("last_name", r"_(last_?name|surname|family_name|nachname|nom|apellidos?|cognome)_$"),
    ("full_name", r"(^_(name|full_name|contact_name|lead_name|person_name)_$)|"
                  r"_(contact_person|ansprechpartner)_$"),
    ("ignore", _SALES_REP + "|" + _FREE_TEXT),
    ("behavior", r"(visit|page|view|session|minute|second|time_on|time_spent|website|"
                 r"email_open|open_rate|opens|opened|activit|contacted|messages|emails|rating|"
                 r"do_not|elapsed|days_in|"
                 r"click|download|webinar|demo|contact_us|contactus|form|trial|chat|event|"
                 r"campaign|pdays|previous|poutcome|activity|engage|_score_|duration|"
                 r"_contact_|_month_|day_of_week|call|meeting|signup|registration|whitepaper|"
                 r"content|video|unsubscribe|bounce|last_|seitenaufruf|besuch|anfrage|"
                 r"kontaktformular|visite|telechargement)"),
    ("profile", r"(title|senior|_role_|department|_dept|function|industry|sector|vertical|"
                r"country|region|state|city|geo|employee|headcount|company_size|_size_|"
                r"revenue|_age_|_job_|marital|education|default|housing|loan|gender|income|"
                r"source|channel|persona|tier|language|timezone|budget|branche|position|"
                r"land|abteilung|mitarbeiter|umsatz|pays|secteur|poste|pais|cargo)"),
]

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
    # What the role guess needs, from the same pass:
    top: tuple[tuple[str, int], ...] = ()  # commonest cleaned values with their rows
    changes: int = -1  # rows whose value differs from the row before (file order); -1 unknown

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

    @property
    def label(self) -> str:
        """The name a person reads: the header as written (the SQL name if generated)."""
        return self.source_name or self.name


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
    """A column name in snake_case, accents folded, for matching name patterns.

    ("Page Views (30d)" -> "page_views_30d", "Größe" -> "grosse"). Only the role guess
    reads it: stored and shown names are the headers as written (:func:`unique_names`).
    """
    folded = unicodedata.normalize("NFKD", str(name).replace("ß", "ss"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    text = re.sub(r"[^0-9a-zA-Z]+", "_", folded.strip()).strip("_").lower()
    if not text:
        return "column"
    if text[0].isdigit():
        text = "c_" + text
    return text


def unique_names(names: list[str], reserved: tuple[str, ...] = ()) -> list[str]:
    """Each header as written (spaces around it trimmed), distinct without regard to case.

    A blank header becomes "Column N" (its position); a repeated one, or one equal to a
    ``reserved`` name, takes " (2)", " (3)"... DuckDB compares identifiers without case,
    so "Source" and "source" must differ by more than case.
    """
    seen = {r.casefold() for r in reserved}
    out = []
    for i, name in enumerate(names, start=1):
        base = str(name).strip() or f"Column {i}"
        candidate = base
        n = 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{base} ({n})"
        seen.add(candidate.casefold())
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


def guess_role(name: str, skip: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """The role a column's name suggests (not one of ``skip``), or ``None`` when the name
    says nothing."""
    key = "_" + snake(name) + "_"
    for role, pattern in _NAME_RULES:
        if role not in skip and re.search(pattern, key):
            return role, f"name matches {role}"
    return None, ""


#: At least this many sampled rows before a column is called an identifier or constant.
MIN_ROWS_TO_JUDGE = 50
#: A measure whose name says so is never an identifier, however many distinct values.
_MEASURE = re.compile(r"(time|amount|revenue|value|price|duration|second|minute|size|"
                      r"employee|score|spent|rate|percent|age|count|number_of|num_)")
_ID_NAME = re.compile(r"_(id|ids|nr|no|number|num|key|guid|uuid|code|ref|record|lead)_")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PERSON = re.compile(r"^[^\W\d_][^@\d]*$")  # letters first, no @, no digits
_PHONE = re.compile(r"^\+?[\d\s().\-/x]{7,}$")


def _share(stats: ColumnStats, test: re.Pattern[str]) -> float:
    """Share of the rows among the commonest values that match ``test``."""
    rows = sum(n for _, n in stats.top)
    hits = sum(n for v, n in stats.top if test.match(v))
    return hits / rows if rows else 0.0


def _contact_fits(role: str, stats: ColumnStats, type_: str) -> bool:
    """Whether the values look like what a contact role needs (an address, a number, text)."""
    if not stats.top:
        return True  # nothing known of the values: trust the name
    if role == "email":
        return _share(stats, _EMAIL) >= 0.5
    if role == "phone":
        return _share(stats, _PHONE) >= 0.5 and sum(
            ch.isdigit() for ch in stats.top[0][0]) >= 7
    if type_ not in ("categorical", "text"):
        return False
    return role == "company" or _share(stats, _PERSON) >= 0.8


def _not_scored(stats: ColumnStats, type_: str) -> str | None:
    """Why a column cannot be scored (empty, constant, an identifier), or ``None``."""
    if stats.present == 0:
        return "empty in every row"
    if stats.distinct == 1 and stats.present >= 0.99 * stats.rows \
            and stats.rows >= MIN_ROWS_TO_JUDGE:
        value = stats.top[0][0] if stats.top else ""
        return f"the same value in every row ({value!r})"
    if stats.present >= MIN_ROWS_TO_JUDGE and stats.distinct >= 0.98 * stats.present:
        whole = stats.numeric and stats.whole >= 0.99 * stats.numeric
        key = "_" + snake(stats.name) + "_"
        if type_ == "text" or (type_ == "numeric" and whole and not _MEASURE.search(key)) \
                or (type_ == "categorical" and not stats.numeric):
            return IDENTIFIER
    return None


IDENTIFIER = "an identifier: a different value in nearly every row"

#: A numeric column whose value changes at fewer than this share of rows down the file
#: describes the moment of contact (a rate, an index), not the lead.
CAMPAIGN_CHANGES = 0.02


def _campaign_level(stats: ColumnStats) -> str | None:
    """Why a numeric column looks like context shared by everyone contacted at one time."""
    if stats.changes < 0 or stats.present < 200 or stats.distinct < 2:
        return None
    if stats.changes < CAMPAIGN_CHANGES * stats.present:
        return (f"follows the file's order: its value changes only {stats.changes:,} times "
                f"in {stats.present:,} rows down the file, as a rate or an index at the time "
                "of contact does (or a stage, when the file is sorted by it), so it describes "
                "the moment rather than the lead; suggested ignore (set its role to profile "
                "to keep it)")
    return None


def guess_columns(
    stats: list[ColumnStats], mapping: Mapping | None = None, outcome: str | None = None
) -> list[ColumnGuess]:
    """Guess role and type of every column; the mapping and ``outcome`` override the guess.

    The outcome is found by its values first (:func:`calibrate.data.outcomes.choose_outcome`);
    identifiers, empty and constant columns are not scored; a contact role goes only to
    values that look like it. Only one column may hold each special role; later name
    matches fall back to an attribute role. Dates that are not the created/closed dates
    are behavior (recency).
    """
    mapping = mapping or Mapping()
    guesses = _guess_columns(stats, mapping, outcome)
    if not mapping.columns:
        return guesses
    # A mapping that says what would have been guessed keeps the guess's reason (the app
    # saves every column's role, most of them as guessed).
    plain = {g.source_name: g for g in _guess_columns(stats, Mapping(), None)}
    for g in guesses:
        p = plain.get(g.source_name)
        if p is None:
            continue
        role_why, _, type_why = g.reason.partition("; ")
        p_role, _, p_type = p.reason.partition("; ")
        if role_why == "set by mapping" and g.role == p.role:
            role_why = p_role
        if type_why == "set by mapping" and g.type == p.type:
            type_why = p_type
        g.reason = f"{role_why}; {type_why}"
    return guesses


def _guess_columns(stats: list[ColumnStats], mapping: Mapping,
                   outcome: str | None) -> list[ColumnGuess]:
    """:func:`guess_columns` without the care for reasons."""
    names = unique_names([s.name for s in stats])
    taken: set[str] = set()
    guesses: list[ColumnGuess] = []
    # Mapped special roles claim their role first, so a name guess cannot take it.
    for s in stats:
        role = outcome == s.name and "outcome" or mapping.role_for(s.name)
        if role in SPECIAL_ROLES:
            taken.add(role)
    chosen = None
    if "outcome" not in taken:
        chosen, why = choose_outcome(stats)
        if chosen is not None:
            taken.add("outcome")
    for s, name in zip(stats, names, strict=True):
        type_, type_reason = guess_type(s)
        if mapping.type_for(s.name):
            type_, type_reason = mapping.type_for(s.name), "set by mapping"
        if outcome is not None and s.name == outcome:
            role, reason = "outcome", "set by --outcome"
        elif mapping.role_for(s.name):
            role, reason = mapping.role_for(s.name), "set by mapping"
        elif s.name == chosen:
            role, reason = "outcome", why
        else:
            # The outcome was chosen by its values, above: "Elapsed Days In Stage" is not it.
            role, reason = guess_role(s.name, skip=("outcome",))
            if role == "ignore":
                reason = ("the sales rep who owned it describes the sales side, not the lead"
                          if re.search(_SALES_REP, "_" + snake(s.name) + "_")
                          else "free text: notes are not scored")
            if role in SPECIAL_ROLES and role in taken:
                role, reason = None, ""
            if role in CONTACT_ROLES and not _contact_fits(role, s, type_):
                role, reason = None, f"named like {role} but the values are not"
            if role is None or role in ATTRIBUTE_ROLES:
                role, reason = _attribute_or_not(s, type_, role, reason, taken)
            if role in SPECIAL_ROLES:
                taken.add(role)
        guesses.append(ColumnGuess(s.name, name, role, type_, f"{reason}; {type_reason}"))
    _rename_special(guesses)
    return guesses


def _attribute_or_not(s: ColumnStats, type_: str, role: str | None, reason: str,
                      taken: set[str]) -> tuple[str, str]:
    """The role of a column no special name claimed: an attribute, unless it cannot be."""
    why_not = _not_scored(s, type_)
    if why_not == IDENTIFIER:
        if "lead_id" not in taken and re.search(_ID_NAME, "_" + snake(s.name) + "_"):
            return "lead_id", "a different value in nearly every row"
        if "email" not in taken and _share(s, _EMAIL) >= 0.9:
            return "email", "values are e-mail addresses"
    if why_not:
        return "ignore", why_not
    if type_ == "numeric" and (campaign := _campaign_level(s)):
        return "ignore", campaign
    if type_ == "text":
        return "ignore", "free text: too many different values to score"
    if role is None:
        role = "behavior" if type_ == "date" else "profile"
        reason = (reason + "; " if reason else "") + "no name match; default"
    return role, reason


def _rename_special(guesses: list[ColumnGuess]) -> None:
    """Special-role columns take their canonical name (status -> outcome); an attribute
    whose header is that name (in any case) takes " (2)"."""
    specials = {g.role for g in guesses if g.role in SPECIAL_ROLES}
    for g in guesses:
        if g.role not in SPECIAL_ROLES and g.name.casefold() in specials:
            g.name = step_aside(g.name, {x.name for x in guesses} | specials)
    for g in guesses:
        if g.role in SPECIAL_ROLES:
            g.name = g.role


def step_aside(name: str, taken: set[str]) -> str:
    """``name`` with the first " (N)" suffix that no name in ``taken`` has (any case)."""
    folded = {t.casefold() for t in taken}
    n = 2
    while f"{name} ({n})".casefold() in folded:
        n += 1
    return f"{name} ({n})"


#: The outcome a label maps to when its rows are not to be loaded at all (the app's
#: "ignore" choice, ``ignore = [...]`` under ``[outcomes]`` in a mapping file).
IGNORED = "ignore"

#: A column with more different values than this in the sample is not an outcome.
MAX_OUTCOME_LABELS = 50


def outcome_candidates(stats: list[ColumnStats]) -> list[OutcomeCandidate]:
    """The columns whose values could be the outcome, likeliest first."""
    return rank_outcome_candidates(
        [(s.name, s.top) for s in stats if s.top and s.distinct <= MAX_OUTCOME_LABELS])


def choose_outcome(stats: list[ColumnStats]) -> tuple[str | None, str]:
    """The outcome column, by its values first, with the reason; ``None`` when unsure.

    A clear best candidate by values wins. With no candidate by values, a column named
    like an outcome (status, stage) is taken when it has few values and is not numbers,
    so that unknown labels are reported rather than the column missed.
    """
    best = clear_winner(outcome_candidates(stats))
    # A lone yes/no pair is an outcome only when its name says so ("y", "Converted"):
    # ordinary flags ("Do Not Email", "demo_request") are yes/no too.
    if best is not None and (best.words or best.hint > 0):
        return best.column, best.reason
    for s in stats:
        if guess_role(s.name)[0] == "outcome" and s.distinct <= MAX_OUTCOME_LABELS \
                and not (s.present and s.numeric >= 0.95 * s.present and s.distinct > 2):
            return s.name, "name matches outcome"
    return None, ""


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
    return _checked(data, str(p), one_column_per_role=True)


def mapping_from_dict(data: dict[str, Any], source: str = "mapping") -> Mapping:
    """Validate a mapping given as a dict (from TOML or the app): only the sections
    ``columns``, ``outcomes``, ``placeholders`` and ``read``, every key known and of its
    type; a bad one is an :class:`InputError` naming each faulty key with its fix
    (:func:`calibrate.data.mapping_file.check_mapping`). A file (:func:`load_mapping`) is
    also held to one column per special role."""
    return _checked(data, source)


def _checked(data: Any, source: str, one_column_per_role: bool = False) -> Mapping:
    """The mapping, checked against the roles, types and outcomes named here."""
    checked = check_mapping(data, source, roles=ROLES, special_roles=SPECIAL_ROLES,
                            types=TYPES, outcomes=OUTCOMES + (IGNORED,),
                            one_column_per_role=one_column_per_role)
    return Mapping(columns=checked["columns"], outcomes=checked["outcomes"],
                   placeholders=checked["placeholders"], read=checked["read"])


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


def mapping_to_toml(mapping: Mapping) -> str:
    """The mapping as the TOML file ``calibrate ingest --mapping`` reads (round-trips)."""
    import tomli_w

    data: dict[str, Any] = {}
    if mapping.columns:
        data["columns"] = {k: dict(v) for k, v in mapping.columns.items()}
    if mapping.outcomes:
        data["outcomes"] = {k: list(v) for k, v in mapping.outcomes.items()}
    if mapping.placeholders:
        data["placeholders"] = {"values": list(mapping.placeholders)}
    if mapping.read:
        data["read"] = dict(mapping.read)
    return "# calibrate mapping: roles, types and outcome labels (see README, 'Mapping file')\n" \
        + tomli_w.dumps(data)

"""Deterministic generator of realistic, deliberately messy B2B lead exports.

Why: calibrate fits a logistic lead-scoring model on historical leads. To test that the fitter
recovers sensible points, we need data whose outcomes come from a *known* logistic model, but
which looks like a real CRM export (mixed date formats, placeholders, junk leads, duplicates).

Everything is vectorised (numpy + pyarrow compute). Data is generated in chunks of distinct leads;
chunk ``i`` is seeded from ``SeedSequence(seed, spawn_key=(1, i))`` and lead ids continue across
chunks, so 10M rows can be streamed to disk without ever holding them in memory. The company pool
(name, domain, industry, country, size) is seeded from ``seed`` alone and shared by all chunks.
The content depends on ``(n, seed, months, end, chunk)``; ``write(..., chunk=c)`` writes exactly
``generate(..., chunk=c)``. CSV is encoded with arrow compute (quoting only fields containing
commas, quotes or line breaks) because ``pyarrow.csv.CSVWriter`` quotes every string value;
Parquet goes through ``pyarrow.parquet.ParquetWriter`` (string columns, a row group per chunk).

Rows: ``n`` distinct leads (ids ``L0000001`` ... ``Ln``, at least 7 digits) plus ~0.3% exact
duplicate rows, each placed right after its original. So ``len(frame) == n + duplicates``.

True model (``TRUTH``; computed by ``true_logit`` from the CLEAN values, before masking)::

    logit = intercept (-6.9)
          + seniority   C-Level 1.4, VP 1.2, Director 1.0, Manager 0.4,
                        Individual Contributor 0.0, Student -3.0
          + department  IT 0.5, Engineering 0.35, Finance 0.3, Operations 0.1,
                        Marketing 0.0, Sales -0.1, HR -0.6
          + industry    Software 0.9, Financial Services 0.7, Telecom 0.3, Manufacturing 0.2,
                        Healthcare 0.1, Retail 0.0, Government -0.4, Education -0.5,
                        Agriculture 0.0 (rare, ~0.3%)
          + region      North America 0.3, EMEA 0.1, APAC -0.1, LATAM -0.3 (via country)
          + lead_source Partner Referral 0.9, Trade Show 0.4, Webinar 0.4, Organic Search 0.3,
                        Paid Search 0.0, Content Syndication -0.4, Purchased List -1.2
          + w * log1p(x) for employees 0.12, page_views 0.15, visits 0.2, minutes_on_site 0.1,
                        pricing_page_views 0.85, career_page_views -0.2, email_opens 0.05,
                        email_clicks 0.3, content_downloads 0.35, webinars_attended 0.7
          + demo_request 2.0, contact_us 1.2 (Yes = 1)

email_open_rate, sales_team and country have no direct effect (derived / via region).

Outcomes: leads created in the last 60 days before ``end`` are open with probability 0.8, older
ones with 0.04 (independent of attributes). A closed, non-junk lead is won with probability
sigmoid(logit) (about 4-5% of closed leads overall); a closed lead that is not won is
no_decision with probability 0.3, else lost. Junk leads never win (the returned logit is still
the attribute logit). Junk: ~1% competitor email domains, ~1% throwaway email domains, ~0.3%
malformed emails, ~0.5% fake names, ~0.5% fake 555 phones (kinds may overlap).

Status labels: won "Closed Won" 85% / "Won"; lost "Closed Lost" 80% / "Lost"; no_decision
"No Decision" 70% / "Closed - No Decision"; open "Open" 60% / "In Progress" 30% / "" 10%.

Messy values (rates per row, clean values are kept for the logit):

* created_at: 85% "YYYY-MM-DD HH:MM:SS", 10% "YYYY-MM-DD", 5% "MM/DD/YYYY".
* seniority 3% "Select", department 2% "-", industry 2% "Unknown", country 1% "N/A",
  employees 1% "N/A"; 2% blanks each in phone, seniority, department, industry, country,
  employees. region is blank whenever country is blank or "N/A".
* employees >= 1000 written with thousands separators in ~50% of rows ("1,200").
* page_views 0.2% "-1"; visits 0.1% "n/a"; visits > page_views in ~1.5% (tracking mismatch).
* ~0.3% exact duplicate rows.

Behaviour (clean values): a latent interest ``z ~ N(shift(lead_source), 1)`` drives right-skewed,
zero-heavy counts; visits <= page_views, email_clicks <= email_opens; Students view career pages
more; competitors view pricing pages more (but never win); demo_request ~3%, contact_us ~4%.
Employees come from a log-normal company pool (5..200,000); sales_team is Inside Sales (< 200),
Field (< 5000) or Enterprise. amount (won only) is log-normal around 15,000, rising with size.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

COLUMNS: list[str] = [
    "lead_id",
    "created_at",
    "closed_at",
    "status",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "seniority",
    "department",
    "industry",
    "country",
    "region",
    "employees",
    "lead_source",
    "sales_team",
    "page_views",
    "visits",
    "minutes_on_site",
    "pricing_page_views",
    "career_page_views",
    "email_opens",
    "email_clicks",
    "email_open_rate",
    "content_downloads",
    "webinars_attended",
    "demo_request",
    "contact_us",
    "amount",
]
SCHEMA = pa.schema([(c, pa.string()) for c in COLUMNS])
DEFAULT_END = date(2026, 10, 31)
DEFAULT_CHUNK = 1_000_000

# --- attribute distributions (level -> share) -------------------------------------------------
SENIORITY = {
    "C-Level": 0.06,
    "VP": 0.08,
    "Director": 0.14,
    "Manager": 0.25,
    "Individual Contributor": 0.40,
    "Student": 0.07,
}
DEPARTMENT = {
    "IT": 0.22,
    "Finance": 0.12,
    "Marketing": 0.18,
    "Sales": 0.14,
    "Operations": 0.12,
    "HR": 0.07,
    "Engineering": 0.15,
}
INDUSTRY = {
    "Software": 0.22,
    "Financial Services": 0.14,
    "Manufacturing": 0.15,
    "Healthcare": 0.13,
    "Retail": 0.12,
    "Education": 0.08,
    "Government": 0.07,
    "Telecom": 0.087,
    "Agriculture": 0.003,
}
COUNTRY = {
    "United States": 0.38,
    "United Kingdom": 0.09,
    "Germany": 0.08,
    "Canada": 0.06,
    "France": 0.05,
    "Netherlands": 0.04,
    "Sweden": 0.03,
    "India": 0.06,
    "Japan": 0.04,
    "Australia": 0.05,
    "Singapore": 0.03,
    "Brazil": 0.04,
    "Mexico": 0.047,
    "New Zealand": 0.003,
}
REGION_OF = {
    "United States": "North America",
    "Canada": "North America",
    "United Kingdom": "EMEA",
    "Germany": "EMEA",
    "France": "EMEA",
    "Netherlands": "EMEA",
    "Sweden": "EMEA",
    "India": "APAC",
    "Japan": "APAC",
    "Australia": "APAC",
    "Singapore": "APAC",
    "New Zealand": "APAC",
    "Brazil": "LATAM",
    "Mexico": "LATAM",
}
DIAL = {
    "United States": "1",
    "Canada": "1",
    "United Kingdom": "44",
    "Germany": "49",
    "France": "33",
    "Netherlands": "31",
    "Sweden": "46",
    "India": "91",
    "Japan": "81",
    "Australia": "61",
    "Singapore": "65",
    "New Zealand": "64",
    "Brazil": "55",
    "Mexico": "52",
}
TLD = {
    "United Kingdom": "co.uk",
    "Germany": "de",
    "France": "fr",
    "Netherlands": "nl",
    "Sweden": "se",
    "Japan": "jp",
    "Australia": "com.au",
    "Brazil": "com.br",
}
LEAD_SOURCE = {
    "Webinar": 0.12,
    "Paid Search": 0.20,
    "Organic Search": 0.22,
    "Trade Show": 0.09,
    "Partner Referral": 0.07,
    "Purchased List": 0.15,
    "Content Syndication": 0.15,
}
REGIONS = ["North America", "EMEA", "APAC", "LATAM"]

FIRST_NAMES = [
    ("James", "james"),
    ("Mary", "mary"),
    ("Robert", "robert"),
    ("Patricia", "patricia"),
    ("Michael", "michael"),
    ("Jennifer", "jennifer"),
    ("David", "david"),
    ("Linda", "linda"),
    ("William", "william"),
    ("Elizabeth", "elizabeth"),
    ("Richard", "richard"),
    ("Susan", "susan"),
    ("Thomas", "thomas"),
    ("Jessica", "jessica"),
    ("Daniel", "daniel"),
    ("Sarah", "sarah"),
    ("Matthew", "matthew"),
    ("Karen", "karen"),
    ("Anthony", "anthony"),
    ("Emily", "emily"),
    ("Mark", "mark"),
    ("Laura", "laura"),
    ("Steven", "steven"),
    ("Anna", "anna"),
    ("Paul", "paul"),
    ("Olivia", "olivia"),
    ("Kevin", "kevin"),
    ("Sophie", "sophie"),
    ("Lukas", "lukas"),
    ("Hannah", "hannah"),
    ("Pierre", "pierre"),
    ("Camille", "camille"),
    ("José", "jose"),
    ("Lucía", "lucia"),
    ("Søren", "soren"),
    ("Zoë", "zoe"),
    ("Chloé", "chloe"),
    ("Priya", "priya"),
    ("Rahul", "rahul"),
    ("Wei", "wei"),
    ("Mei", "mei"),
    ("Hiroshi", "hiroshi"),
    ("Yuki", "yuki"),
    ("Ana", "ana"),
    ("Mateo", "mateo"),
    ("Liam", "liam"),
    ("Noah", "noah"),
    ("Emma", "emma"),
    ("Ava", "ava"),
    ("Ethan", "ethan"),
]
LAST_NAMES = [
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Jones", "jones"),
    ("Miller", "miller"),
    ("Davis", "davis"),
    ("Wilson", "wilson"),
    ("Anderson", "anderson"),
    ("Taylor", "taylor"),
    ("Thomas", "thomas"),
    ("Moore", "moore"),
    ("Martin", "martin"),
    ("Jackson", "jackson"),
    ("Thompson", "thompson"),
    ("White", "white"),
    ("Harris", "harris"),
    ("Clark", "clark"),
    ("Lewis", "lewis"),
    ("Walker", "walker"),
    ("Young", "young"),
    ("Allen", "allen"),
    ("King", "king"),
    ("Wright", "wright"),
    ("Scott", "scott"),
    ("Green", "green"),
    ("Baker", "baker"),
    ("Adams", "adams"),
    ("Müller", "mueller"),
    ("Schmidt", "schmidt"),
    ("Dubois", "dubois"),
    ("Lefèvre", "lefevre"),
    ("García", "garcia"),
    ("Fernández", "fernandez"),
    ("O'Brien", "obrien"),
    ("Nguyen", "nguyen"),
    ("Kim", "kim"),
    ("Patel", "patel"),
    ("Sharma", "sharma"),
    ("Chen", "chen"),
    ("Wang", "wang"),
    ("Tanaka", "tanaka"),
    ("Sato", "sato"),
    ("Silva", "silva"),
    ("Santos", "santos"),
    ("Jensen", "jensen"),
    ("Andersson", "andersson"),
    ("de Vries", "devries"),
    ("Rossi", "rossi"),
    ("Kowalski", "kowalski"),
]
COMPANY_A = [
    "North",
    "Blue",
    "Apex",
    "Silver",
    "Bright",
    "Iron",
    "Cedar",
    "Summit",
    "Pioneer",
    "Quantum",
    "Harbor",
    "Granite",
    "Nova",
    "Vertex",
    "Crescent",
    "Evergreen",
    "Atlas",
    "Falcon",
    "Maple",
    "Orion",
    "Sterling",
    "Lumen",
    "Meridian",
    "Vista",
    "Coral",
    "Redwood",
    "Beacon",
    "Cobalt",
    "Horizon",
    "Keystone",
    "Aspen",
    "Willow",
    "Polar",
    "Crimson",
    "Golden",
    "Swift",
    "Prime",
    "Clear",
    "True",
    "Bold",
]
COMPANY_B = [
    "wind",
    "stone",
    "field",
    "bridge",
    "point",
    "line",
    "gate",
    "ridge",
    "works",
    "forge",
    "path",
    "wave",
    "light",
    "peak",
    "river",
    "core",
    "scale",
    "logic",
    "grid",
    "sphere",
    "leaf",
    "star",
    "vale",
    "port",
    "crest",
]
COMPANY_S = [
    "Systems",
    "Labs",
    "Group",
    "Partners",
    "Technologies",
    "Solutions",
    "Holdings",
    "Industries",
    "Networks",
    "Dynamics",
    "Consulting",
    "Analytics",
]
LEGAL = ["", ", Inc.", " LLC", " Ltd", ", Inc", " GmbH"]
LEGAL_P = [0.55, 0.15, 0.12, 0.08, 0.05, 0.05]

COMPETITORS = [
    ("RivalSoft", "rivalsoft.com"),
    ("Acme Analytics", "acmeanalytics.io"),
    ("LeadLens", "leadlens.ai"),
]
THROWAWAY = ["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com"]
FAKE_NAMES = [("Johnny", "Prospect"), ("Test", "Test"), ("Mickey", "Mouse"), ("asdf", "asdf")]
FAKE_PHONES = ["555-555-5555", "(555) 555-0100", "+1-555-555-0199"]
MALFORMED_EMAILS = ["nobody", "noemail", "x@", "n/a"]

STATUS_LABELS = {
    "won": (["Closed Won", "Won"], [0.85, 0.15]),
    "lost": (["Closed Lost", "Lost"], [0.80, 0.20]),
    "no_decision": (["No Decision", "Closed - No Decision"], [0.70, 0.30]),
    "open": (["Open", "In Progress", ""], [0.60, 0.30, 0.10]),
}
RATES = {
    "duplicate_rows": 0.003,
    "competitor_email": 0.01,
    "throwaway_email": 0.01,
    "malformed_email": 0.003,
    "fake_name": 0.005,
    "fake_phone": 0.005,
    "created_at_formats": {"%Y-%m-%d %H:%M:%S": 0.85, "%Y-%m-%d": 0.10, "%m/%d/%Y": 0.05},
    "placeholders": {
        "seniority": ["Select", 0.03],
        "department": ["-", 0.02],
        "industry": ["Unknown", 0.02],
        "country": ["N/A", 0.01],
        "employees": ["N/A", 0.01],
    },
    "blanks": {
        c: 0.02 for c in ("phone", "seniority", "department", "industry", "country", "employees")
    },
    "employees_thousands_separator": 0.5,
    "page_views_negative": 0.002,
    "visits_text_na": 0.001,
    "visits_gt_page_views": 0.015,
}
OUTCOME = {
    "open_window_days": 60,
    "open_prob_recent": 0.8,
    "open_prob_older": 0.04,
    "no_decision_prob_if_closed_not_won": 0.3,
    "won_prob_if_closed": "sigmoid(logit), 0 for junk",
    "closed_days_min": 5,
    "closed_days_max": 180,
    "expected_won_share_of_closed": 0.045,
    "status_labels": {k: dict(zip(v[0], v[1], strict=True)) for k, v in STATUS_LABELS.items()},
}

TRUTH: dict[str, Any] = {
    "description": (
        "True logistic model behind calibrate.tools.sample: "
        "P(won | closed, not junk) = sigmoid(logit), "
        "logit = intercept + categorical level effects + sum(weight * log1p(value)) + flags, "
        "computed from clean values before messy values are injected. Categorical effects are "
        "relative within an attribute (compare centred). Junk leads never win. "
        "email_open_rate, sales_team and country have no direct effect (country acts via region)."
    ),
    "seed": 7,
    "end": DEFAULT_END.isoformat(),
    "months": 24,
    "intercept": -6.9,
    "categorical": {
        "seniority": {
            "C-Level": 1.4,
            "VP": 1.2,
            "Director": 1.0,
            "Manager": 0.4,
            "Individual Contributor": 0.0,
            "Student": -3.0,
        },
        "department": {
            "IT": 0.5,
            "Engineering": 0.35,
            "Finance": 0.3,
            "Operations": 0.1,
            "Marketing": 0.0,
            "Sales": -0.1,
            "HR": -0.6,
        },
        "industry": {
            "Software": 0.9,
            "Financial Services": 0.7,
            "Telecom": 0.3,
            "Manufacturing": 0.2,
            "Healthcare": 0.1,
            "Retail": 0.0,
            "Government": -0.4,
            "Education": -0.5,
            "Agriculture": 0.0,
        },
        "region": {"North America": 0.3, "EMEA": 0.1, "APAC": -0.1, "LATAM": -0.3},
        "lead_source": {
            "Partner Referral": 0.9,
            "Trade Show": 0.4,
            "Webinar": 0.4,
            "Organic Search": 0.3,
            "Paid Search": 0.0,
            "Content Syndication": -0.4,
            "Purchased List": -1.2,
        },
    },
    "numeric": {
        name: {"transform": "log1p", "weight": w}
        for name, w in [
            ("employees", 0.12),
            ("page_views", 0.15),
            ("visits", 0.2),
            ("minutes_on_site", 0.1),
            ("pricing_page_views", 0.85),
            ("career_page_views", -0.2),
            ("email_opens", 0.05),
            ("email_clicks", 0.3),
            ("content_downloads", 0.35),
            ("webinars_attended", 0.7),
        ]
    },
    "flags": {"demo_request": 2.0, "contact_us": 1.2},
    "no_direct_effect": ["email_open_rate", "sales_team", "country"],
    "junk": {
        "competitor_domains": [d for _, d in COMPETITORS],
        "throwaway_domains": THROWAWAY,
        "fake_names": [f"{a} {b}" for a, b in FAKE_NAMES],
        "fake_phones": FAKE_PHONES,
        "malformed_emails": ["first.last@ (no domain)", *MALFORMED_EMAILS],
        "never_wins": True,
    },
    "outcome": OUTCOME,
    "messy": RATES,
}


def write_truth(path: Path, *, seed: int | None = None, n: int | None = None) -> None:
    """Write ``TRUTH`` as pretty JSON so the fitted model can be compared with it.

    ``seed`` and ``n`` (optional) record how the matching export was generated.
    """
    truth = dict(TRUTH)
    if seed is not None:
        truth["seed"] = seed
    if n is not None:
        truth["n"] = n
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- the true model ---------------------------------------------------------------------------
def _effects(values: pd.Series, table: dict[str, float], attr: str) -> np.ndarray:
    """Map category levels to effects (fast path for pandas categoricals); unknown levels fail."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = np.array([table.get(c, np.nan) for c in values.cat.categories], dtype=float)
        codes = values.cat.codes.to_numpy()
        out = np.where(codes >= 0, lookup[codes], np.nan)
    else:
        out = values.map(table).to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(out).any():
        bad = sorted(set(values[np.isnan(out)].astype(str)))[:5]
        raise ValueError(f"{attr}: levels without a true effect: {bad}")
    return out


def _flag(values: pd.Series) -> np.ndarray:
    """0/1 from booleans, numbers or "Yes"/"No" strings."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float)
    return (values.astype(str).str.strip().str.lower() == "yes").to_numpy(dtype=float)


def true_logit(frame: pd.DataFrame) -> np.ndarray:
    """True logit from CLEAN values (levels as in ``TRUTH``, numbers >= 0, flags 0/1 or Yes/No).

    Used by ``generate`` on the underlying values before placeholders and junk are injected,
    so it documents exactly how outcomes were drawn.
    """
    out = np.full(len(frame), float(TRUTH["intercept"]))
    for attr, table in TRUTH["categorical"].items():
        out += _effects(frame[attr], table, attr)
    for attr, spec in TRUTH["numeric"].items():
        x = pd.to_numeric(frame[attr]).to_numpy(dtype=float)
        if np.isnan(x).any() or (x < 0).any():
            raise ValueError(f"{attr}: needs clean non-negative numbers")
        out += spec["weight"] * np.log1p(x)
    for attr, w in TRUTH["flags"].items():
        out += w * _flag(frame[attr])
    return out


# --- helpers ----------------------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _draw(rng: np.random.Generator, probs: Any, n: int) -> np.ndarray:
    """Vectorised categorical draw: codes 0..k-1 with the given probabilities."""
    cdf = np.cumsum(np.asarray(list(probs), dtype=float))
    return np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(n), side="right"), len(cdf) - 1)


def _s(values: Any) -> pa.Array:
    """Strings from a numpy array (ints are cast by arrow, which is fast)."""
    arr = pa.array(values)
    return arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())


def _pick(levels: list[str], codes: np.ndarray) -> pa.Array:
    """Level strings for integer codes."""
    return pa.array(levels, pa.string()).take(pa.array(codes, pa.int64()))


def _join(*parts: Any) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _where(mask: np.ndarray, value: Any, other: pa.Array) -> pa.Array:
    if not mask.any():
        return other
    return pc.if_else(pa.array(mask), value, other)


def _pad(x: np.ndarray, width: int = 2) -> pa.Array:
    """Zero-padded integer strings."""
    return pc.utf8_lpad(_s(np.asarray(x, dtype=np.int64)), width=width, padding="0")


def _ymd(days: np.ndarray) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Year, month, day strings ("2026", "03", "07") of datetime64[D] values.

    Integer arithmetic instead of ``pc.strftime``, which is ~50x slower.
    """
    month = days.astype("datetime64[M]")
    year = month.astype("datetime64[Y]").astype(np.int64) + 1970
    mon = month.astype(np.int64) % 12 + 1
    day = (days - month.astype("datetime64[D]")).astype(np.int64) + 1
    return _s(year), _pad(mon), _pad(day)


def _fill(mask: np.ndarray, subset: pa.Array, other: Any) -> pa.Array:
    """Put ``subset`` (one value per True in ``mask``) at the masked rows, ``other`` elsewhere."""
    idx = pa.array(np.cumsum(mask) - 1, mask=~mask)
    return pc.coalesce(subset.take(idx), other)


def _thousands(x: np.ndarray) -> pa.Array:
    """Non-negative ints with thousands separators: 1200 -> "1,200", 2500000 -> "2,500,000"."""
    x = np.asarray(x, dtype=np.int64)
    small = _s(x)
    sep = x >= 1000
    if not sep.any():
        return small
    y = x[sep]
    mid = _join(_s(y // 1000), ",", _pad(y % 1000, 3))
    big = _join(_s(y // 1_000_000), ",", _pad(y // 1000 % 1000, 3), ",", _pad(y % 1000, 3))
    return _fill(sep, pc.if_else(pa.array(y >= 1_000_000), big, mid), small)


# --- company pool -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Pool:
    """Companies shared by all chunks: leads of one company agree on size, industry, country."""

    name: pa.Array
    domain: pa.Array
    industry: np.ndarray
    country: np.ndarray
    employees: np.ndarray
    cdf: np.ndarray


def _pool(seed: int) -> _Pool:
    """Build the company pool from ``seed`` (all name combinations, shuffled)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    a, b, s = np.meshgrid(
        np.arange(len(COMPANY_A)), np.arange(len(COMPANY_B)), np.arange(len(COMPANY_S))
    )
    a, b, s = (rng.permutation(v.ravel()) for v in (a, b, s))  # independent shuffles
    order = rng.permutation(a.size)
    a, b, s = a[order], b[order], s[order]
    key = a * 10_000 + b * 100 + s
    _, first = np.unique(key, return_index=True)  # drop repeated combinations
    first.sort()
    a, b, s = a[first], b[first], s[first]
    k = a.size
    country = _draw(rng, COUNTRY.values(), k)
    countries = list(COUNTRY)
    tld = np.array([TLD.get(c, "com") for c in countries], dtype=object)[country]
    word_a = pa.array(COMPANY_A).take(pa.array(a))
    word_b = pa.array(COMPANY_B).take(pa.array(b))
    word_s = pa.array(COMPANY_S).take(pa.array(s))
    legal = _pick(LEGAL, _draw(rng, LEGAL_P, k))
    name = _join(word_a, word_b, " ", word_s, legal)
    domain = _join(pc.utf8_lower(_join(word_a, word_b, word_s)), ".", pa.array(tld, pa.string()))
    employees = np.clip(np.round(np.exp(rng.normal(np.log(250), 1.9, k))), 5, 200_000)
    weight = np.exp(rng.normal(0.0, 0.5, k))
    return _Pool(
        name=name,
        domain=domain,
        industry=_draw(rng, INDUSTRY.values(), k),
        country=country,
        employees=employees.astype(np.int64),
        cdf=np.cumsum(weight) / weight.sum(),
    )


# --- one chunk --------------------------------------------------------------------------------
def _window(months: int, end: date) -> tuple[np.datetime64, np.datetime64]:
    """First and last day of the creation window: ``months`` months ending at ``end``."""
    start = (pd.Timestamp(end) - pd.DateOffset(months=months) + pd.Timedelta(days=1)).date()
    return np.datetime64(start, "D"), np.datetime64(end, "D")


def _chunk(
    rng: np.random.Generator,
    pool: _Pool,
    n: int,
    first_id: int,
    width: int,
    months: int,
    end: date,
) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """``n`` distinct leads as an all-string table, their logit, and the row index with dups."""
    u = rng.random  # short alias
    comp = np.minimum(np.searchsorted(pool.cdf, u(n), side="right"), pool.cdf.size - 1)
    sen = _draw(rng, SENIORITY.values(), n)
    dep = _draw(rng, DEPARTMENT.values(), n)
    src = _draw(rng, LEAD_SOURCE.values(), n)
    ind = pool.industry[comp]
    cty = pool.country[comp]
    emp = pool.employees[comp]
    region_code = np.array([REGIONS.index(REGION_OF[c]) for c in COUNTRY])[cty]
    sources, seniorities = list(LEAD_SOURCE), list(SENIORITY)
    student = sen == seniorities.index("Student")

    # junk identities (decided up front: competitors browse pricing pages a lot)
    email_kind = _draw(
        rng,
        [RATES["competitor_email"], RATES["throwaway_email"], RATES["malformed_email"], 1 - 0.023],
        n,
    )
    competitor, throwaway, malformed = email_kind == 0, email_kind == 1, email_kind == 2
    fake_name = u(n) < RATES["fake_name"]
    fake_phone = u(n) < RATES["fake_phone"]
    junk = competitor | throwaway | malformed | fake_name | fake_phone

    # behaviour driven by a latent interest
    shift = np.array([0.3, 0.0, 0.2, 0.1, 0.3, -0.6, -0.3])[src] + 0.1 * student
    z = rng.standard_normal(n) + shift
    active = u(n) < _sigmoid(0.8 + 1.2 * z)
    pv = active * (1 + rng.poisson(np.exp(0.9 + 0.7 * z + 0.5 * rng.standard_normal(n))))
    pricing = rng.binomial(pv, _sigmoid(-2.6 + 0.9 * z))
    extra = np.where(competitor, rng.poisson(3.0, n), 0)
    pricing, pv = pricing + extra, pv + extra
    visits = np.where(pv > 0, 1 + rng.binomial(np.maximum(pv - 1, 0), 0.35), 0)
    mismatch = u(n) < RATES["visits_gt_page_views"]
    visits = np.where(mismatch, pv + 1 + rng.poisson(1.0, n), visits)
    tenths = np.round(10 * pv * rng.gamma(2.0, 0.8 * np.exp(0.2 * z))).astype(np.int64)
    career = rng.binomial(pv, 0.03) + student * active * rng.poisson(1.2, n)
    sent = np.where(u(n) < 0.08, 0, rng.integers(3, 25, n))
    opens = rng.binomial(sent, _sigmoid(-0.9 + 0.6 * z + 0.4 * rng.standard_normal(n)))
    clicks = rng.binomial(opens, _sigmoid(-1.9 + 0.7 * z))
    open_rate = np.round(100 * opens / np.maximum(sent, 1)).astype(np.int64)
    downloads = rng.poisson(np.exp(-1.3 + 0.8 * z)) + (src == sources.index("Content Syndication"))
    webinars = rng.poisson(np.exp(-1.9 + 0.7 * z)) + (
        (src == sources.index("Webinar")) & (u(n) < 0.75)
    )
    demo = u(n) < _sigmoid(-3.95 + 1.0 * z)
    contact = u(n) < _sigmoid(-3.45 + 0.7 * z)

    def cat(levels: list[str], codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=levels)

    clean = pd.DataFrame(
        {
            "seniority": cat(seniorities, sen),
            "department": cat(list(DEPARTMENT), dep),
            "industry": cat(list(INDUSTRY), ind),
            "region": cat(REGIONS, region_code),
            "lead_source": cat(sources, src),
            "employees": emp,
            "page_views": pv,
            "visits": visits,
            "minutes_on_site": tenths / 10,
            "pricing_page_views": pricing,
            "career_page_views": career,
            "email_opens": opens,
            "email_clicks": clicks,
            "content_downloads": downloads,
            "webinars_attended": webinars,
            "demo_request": demo,
            "contact_us": contact,
        }
    )
    logit = true_logit(clean)

    # dates and outcomes
    first_day, last_day = _window(months, end)
    span = int((last_day - first_day).astype(np.int64) + 1) * 86_400
    created = first_day.astype("datetime64[s]") + rng.integers(0, span, n).astype("timedelta64[s]")
    cday = created.astype("datetime64[D]")
    age = (last_day - cday).astype(np.int64)
    recent = age < OUTCOME["open_window_days"]
    is_open = u(n) < np.where(recent, OUTCOME["open_prob_recent"], OUTCOME["open_prob_older"])
    won = ~is_open & ~junk & (u(n) < _sigmoid(logit))
    nodec = ~is_open & ~won & (u(n) < OUTCOME["no_decision_prob_if_closed_not_won"])
    outcome = np.where(is_open, 3, np.where(won, 0, np.where(nodec, 2, 1)))
    cap = np.minimum(OUTCOME["closed_days_max"], age)
    lo = OUTCOME["closed_days_min"]
    dur = np.where(cap >= lo, lo + np.floor(rng.beta(1.2, 2.5, n) * (cap - lo + 1)), age)
    closed = cday + dur.astype(np.int64).astype("timedelta64[D]")

    # strings
    fmt = _draw(rng, RATES["created_at_formats"].values(), n)
    y, mo, d = _ymd(cday)
    secs = (created - cday.astype("datetime64[s]")).astype(np.int64)
    iso = _join(y, "-", mo, "-", d)
    clock = _join(_pad(secs // 3600), ":", _pad(secs // 60 % 60), ":", _pad(secs % 60))
    created_s = pc.if_else(
        pa.array(fmt == 0),
        _join(iso, " ", clock),
        pc.if_else(pa.array(fmt == 1), iso, _join(mo, "/", d, "/", y)),
    )
    cy, cm, cd = _ymd(closed)
    closed_s = _where(is_open, "", _join(cy, "-", cm, "-", cd))
    all_labels: list[str] = []
    label = np.zeros(n, dtype=np.int64)
    for code, key in enumerate(["won", "lost", "no_decision", "open"]):
        labels, probs = STATUS_LABELS[key]
        label = np.where(outcome == code, len(all_labels) + _draw(rng, probs, n), label)
        all_labels += labels
    status = _pick(all_labels, label)

    fi, li = rng.integers(0, len(FIRST_NAMES), n), rng.integers(0, len(LAST_NAMES), n)
    first = _pick([f for f, _ in FIRST_NAMES], fi)
    last = _pick([f for f, _ in LAST_NAMES], li)
    first_a = _pick([a for _, a in FIRST_NAMES], fi)
    last_a = _pick([a for _, a in LAST_NAMES], li)
    fake = rng.integers(0, len(FAKE_NAMES), n)
    first = _where(fake_name, _pick([a for a, _ in FAKE_NAMES], fake), first)
    last = _where(fake_name, _pick([b for _, b in FAKE_NAMES], fake), last)
    first_a = _where(fake_name, pc.utf8_lower(first), first_a)
    last_a = _where(fake_name, pc.utf8_lower(last), last_a)
    company = pool.name.take(pa.array(comp))
    domain = pool.domain.take(pa.array(comp))
    rival = rng.integers(0, len(COMPETITORS), n)
    company = _where(competitor, _pick([c for c, _ in COMPETITORS], rival), company)
    domain = _where(competitor, _pick([d for _, d in COMPETITORS], rival), domain)
    domain = _where(throwaway, _pick(THROWAWAY, rng.integers(0, len(THROWAWAY), n)), domain)
    local = _join(first_a, ".", last_a)
    email = _join(local, "@", domain)
    bad = _where(
        u(n) < 0.5,
        _join(local, "@"),
        _pick(MALFORMED_EMAILS, rng.integers(0, len(MALFORMED_EMAILS), n)),
    )
    email = _where(malformed, bad, email)

    area, exch = rng.integers(201, 990, n), rng.integers(200, 1000, n)
    area, exch = np.where(area == 555, 556, area), np.where(exch == 555, 556, exch)  # 555 = fake
    dial = np.array([DIAL[c] for c in COUNTRY], dtype=object)
    phone = _join(
        "+",
        pa.array(dial[cty], pa.string()),
        "-",
        _s(area),
        "-",
        _s(exch),
        "-",
        pc.utf8_lpad(_s(rng.integers(0, 10_000, n)), width=4, padding="0"),
    )
    phone = _where(fake_phone, _pick(FAKE_PHONES, rng.integers(0, len(FAKE_PHONES), n)), phone)

    def messy(values: pa.Array, column: str) -> pa.Array:
        """Inject the placeholder and blank rates of ``column``."""
        r = u(n)
        p = RATES["placeholders"].get(column, ["", 0.0])
        values = _where(r < p[1], p[0], values)
        return _where((r >= p[1]) & (r < p[1] + RATES["blanks"].get(column, 0.0)), "", values)

    countries = list(COUNTRY)
    country_s = messy(_pick(countries, cty), "country")
    known = pc.is_in(country_s, value_set=pa.array(countries)).to_numpy(zero_copy_only=False)
    region_s = _where(~known, "", _pick(REGIONS, region_code))
    sep = (u(n) < RATES["employees_thousands_separator"]) & (emp >= 1000)
    emp_s = _fill(sep, _thousands(emp[sep]), _s(emp))
    team = np.where(emp < 200, 0, np.where(emp < 5000, 1, 2))
    pv_s = _where(u(n) < RATES["page_views_negative"], "-1", _s(pv))
    visits_s = _where(u(n) < RATES["visits_text_na"], "n/a", _s(visits))
    amount = (
        np.round(
            np.exp(np.log(15_000) + 0.35 * np.log(emp / 250) + 0.6 * rng.standard_normal(n)) / 500
        )
        * 500
    )
    amount = np.clip(amount, 1_000, 2_000_000).astype(np.int64)
    yes_no = ["No", "Yes"]

    width_ids = pc.utf8_lpad(
        _s(np.arange(first_id, first_id + n, dtype=np.int64)), width=width, padding="0"
    )
    table = pa.table(
        {
            "lead_id": _join("L", width_ids),
            "created_at": created_s,
            "closed_at": closed_s,
            "status": status,
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": messy(phone, "phone"),
            "company": company,
            "seniority": messy(_pick(seniorities, sen), "seniority"),
            "department": messy(_pick(list(DEPARTMENT), dep), "department"),
            "industry": messy(_pick(list(INDUSTRY), ind), "industry"),
            "country": country_s,
            "region": region_s,
            "employees": messy(emp_s, "employees"),
            "lead_source": _pick(sources, src),
            "sales_team": _pick(["Inside Sales", "Field", "Enterprise"], team),
            "page_views": pv_s,
            "visits": visits_s,
            "minutes_on_site": _join(_s(tenths // 10), ".", _s(tenths % 10)),
            "pricing_page_views": _s(pricing),
            "career_page_views": _s(career),
            "email_opens": _s(opens),
            "email_clicks": _s(clicks),
            "email_open_rate": _join(_s(open_rate), "%"),
            "content_downloads": _s(downloads),
            "webinars_attended": _s(webinars),
            "demo_request": _pick(yes_no, demo.astype(np.int64)),
            "contact_us": _pick(yes_no, contact.astype(np.int64)),
            "amount": _fill(won, _thousands(amount[won]), pa.scalar("")),
        },
        schema=SCHEMA,
    )

    dup = u(n) < RATES["duplicate_rows"]
    return table, logit, np.repeat(np.arange(n), 1 + dup.astype(np.int64))


def _chunks(
    n: int, seed: int, months: int, end: date, chunk: int
) -> Iterator[tuple[pa.Table, np.ndarray, np.ndarray]]:
    """Yield ``(distinct leads, their logit, row index)`` per chunk of at most ``chunk`` leads.

    The row index repeats the ~0.3% duplicated leads (``table.take(index)`` is the export);
    the CSV writer applies it to encoded lines instead, which is cheaper.
    """
    if n < 0 or chunk < 1:
        raise ValueError("n must be >= 0 and chunk >= 1")
    pool = _pool(seed)
    width = max(7, len(str(n)))
    for i, start in enumerate(range(0, n, chunk)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, i)))
        yield _chunk(rng, pool, min(chunk, n - start), start + 1, width, months, end)


def generate(
    n: int = 50_000,
    seed: int = 7,
    months: int = 24,
    end: date = DEFAULT_END,
    chunk: int = DEFAULT_CHUNK,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The raw export (all columns strings, blanks "") and the true logit of every row.

    ``n`` distinct leads plus ~0.3% exact duplicate rows; generated in chunks of ``chunk`` leads
    exactly as ``write`` does, so ``write(..., chunk=c)`` writes ``generate(..., chunk=c)``.
    """
    tables, logits = [], []
    for table, logit, idx in _chunks(n, seed, months, end, chunk):
        tables.append(table.take(pa.array(idx)))
        logits.append(logit[idx])
    table = pa.concat_tables(tables) if tables else SCHEMA.empty_table()
    frame = table.to_pandas()
    return frame, np.concatenate(logits) if logits else np.empty(0)


# --- writing ----------------------------------------------------------------------------------
def _csv_field(col: pa.Array, kind: pa.DataType) -> pa.Array:
    """Quote a string column only where needed (RFC 4180: commas, quotes, line breaks)."""
    col = pc.cast(col, kind)
    data = col.buffers()[2]
    raw = data.to_pybytes() if data is not None else b""
    if not any(ch in raw for ch in (b",", b'"', b"\n", b"\r")):  # fast path: memchr
        return col
    needs = pc.match_substring_regex(col, r'[",\r\n]')
    quote, empty = pa.scalar('"', kind), pa.scalar("", kind)
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(col, '"', '""'), quote, empty)
    return pc.if_else(needs, quoted, col)


def _csv_bytes(table: pa.Table, idx: np.ndarray) -> memoryview:
    """Encode ``table.take(idx)`` as CSV lines (no header) with arrow compute, into one buffer.

    pyarrow's CSVWriter quotes every string value; exports should only quote where needed.
    """
    if len(idx) == 0:
        return memoryview(b"")
    table = table.combine_chunks()
    cols = [table.column(i).chunk(0) for i in range(table.num_columns)]
    size = sum(c.buffers()[2].size for c in cols if c.buffers()[2] is not None)
    kind = pa.string() if size + 40 * len(table) < 2**31 - 1 else pa.large_string()
    fields = [_csv_field(c, kind) for c in cols]
    fields[-1] = pc.binary_join_element_wise(fields[-1], pa.scalar("\n", kind), pa.scalar("", kind))
    lines = pc.binary_join_element_wise(*fields, pa.scalar(",", kind)).take(pa.array(idx))
    width = np.int32 if kind == pa.string() else np.int64
    offsets = np.frombuffer(lines.buffers()[1], dtype=width)
    lo, hi = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return memoryview(lines.buffers()[2])[lo:hi]


def _write(
    path: Path,
    n: int,
    seed: int,
    fmt: str,
    chunk: int,
    months: int = 24,
    end: date = DEFAULT_END,
) -> dict[str, int]:
    """Stream chunks to ``path``; return row and outcome counts for the summary."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stats = {"rows": 0, "won": 0, "closed": 0}
    chunks = _chunks(n, seed, months, end, chunk)

    def count(table: pa.Table, idx: np.ndarray) -> None:
        status = table.column("status").take(pa.array(idx))
        stats["rows"] += len(idx)
        stats["won"] += pc.sum(pc.is_in(status, pa.array(STATUS_LABELS["won"][0]))).as_py() or 0
        open_ = pc.sum(pc.is_in(status, pa.array(STATUS_LABELS["open"][0]))).as_py() or 0
        stats["closed"] += len(idx) - open_

    if fmt == "csv":
        with open(path, "wb") as fh:
            fh.write((",".join(COLUMNS) + "\n").encode("utf-8"))
            for table, _, idx in chunks:
                fh.write(_csv_bytes(table, idx))
                count(table, idx)
    else:
        with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
            for table, _, idx in chunks:
                writer.write_table(table.take(pa.array(idx)))
                count(table, idx)
    return stats


def write(
    path: Path, n: int = 50_000, seed: int = 7, fmt: str = "csv", chunk: int = DEFAULT_CHUNK
) -> Path:
    """Write the export (CSV: UTF-8, header, minimal quoting; or Parquet), chunk by chunk.

    At most ``chunk`` leads are in memory at once, so 10M rows stream fine.
    """
    _write(Path(path), n, seed, fmt, chunk)
    return Path(path)


def main(argv: list[str] | None = None) -> int:
    """CLI: write the sample export and the true model, print a one-line summary."""
    parser = argparse.ArgumentParser(
        prog="python -m calibrate.tools.sample", description="Generate a messy B2B lead export."
    )
    parser.add_argument("--n", type=int, default=50_000, help="distinct leads (default 50000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("data/sample/leads.csv"))
    parser.add_argument(
        "--format",
        choices=["csv", "parquet"],
        default=None,
        help="default: from the --out suffix (.parquet) else csv",
    )
    parser.add_argument(
        "--truth", type=Path, default=None, help="default: truth.json next to --out"
    )
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    fmt = args.format or ("parquet" if args.out.suffix.lower() == ".parquet" else "csv")
    truth = args.truth or args.out.with_name("truth.json")
    t0 = time.perf_counter()
    stats = _write(args.out, args.n, args.seed, fmt, args.chunk)
    write_truth(truth, seed=args.seed, n=args.n)
    size = args.out.stat().st_size / 1e6
    share = stats["won"] / max(stats["closed"], 1)
    print(
        f"wrote {stats['rows']:,} rows ({args.n:,} leads, seed {args.seed}) to {args.out} "
        f"({size:.1f} MB, won {share:.1%} of closed) and {truth} in "
        f"{time.perf_counter() - t0:.1f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

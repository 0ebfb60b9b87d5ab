"""The true logistic model the outcomes are drawn from (TRUTH, true_logit) and truth.json, so
tests can check that a fit recovers it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibrate.tools.sample.columns import DEFAULT_END
from calibrate.tools.sample.rates import OUTCOME, RATES
from calibrate.tools.sample.vocabulary import (
    COMPETITORS,
    FAKE_NAMES,
    FAKE_PHONES,
    MALFORMED_EMAILS,
    THROWAWAY,
)

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

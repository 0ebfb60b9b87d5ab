"""How often values are messy and how outcomes are drawn (status labels, open/won/no-decision
rules); the generator uses them and truth.json records them."""

from __future__ import annotations

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

"""The export's columns and Arrow schema (every value a string) and the defaults of a run
(the window's end date, leads per chunk), shared by the generator, the writers and the CLI."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

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

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

from calibrate.tools.sample.cli import main
from calibrate.tools.sample.columns import COLUMNS
from calibrate.tools.sample.files import write
from calibrate.tools.sample.leads import generate
from calibrate.tools.sample.truth import TRUTH, true_logit, write_truth

__all__ = ["COLUMNS", "TRUTH", "generate", "main", "true_logit", "write", "write_truth"]

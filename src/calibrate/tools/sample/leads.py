"""The leads themselves: one seeded chunk of distinct leads (profile, junk, behaviour, outcome,
messy strings) at a time, and generate(), the export as a DataFrame with its true logit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from calibrate.tools.sample.columns import DEFAULT_CHUNK, DEFAULT_END, SCHEMA
from calibrate.tools.sample.companies import CompanyPool, company_pool
from calibrate.tools.sample.draws import draw, sigmoid
from calibrate.tools.sample.rates import OUTCOME, RATES, STATUS_LABELS
from calibrate.tools.sample.strings import fill, join, pad, pick, thousands, to_str, where, ymd
from calibrate.tools.sample.truth import true_logit
from calibrate.tools.sample.vocabulary import (
    COMPETITORS,
    COUNTRY,
    DEPARTMENT,
    DIAL,
    FAKE_NAMES,
    FAKE_PHONES,
    FIRST_NAMES,
    INDUSTRY,
    LAST_NAMES,
    LEAD_SOURCE,
    MALFORMED_EMAILS,
    REGION_OF,
    REGIONS,
    SENIORITY,
    THROWAWAY,
)


def _window(months: int, end: date) -> tuple[np.datetime64, np.datetime64]:
    """First and last day of the creation window: ``months`` months ending at ``end``."""
    start = (pd.Timestamp(end) - pd.DateOffset(months=months) + pd.Timedelta(days=1)).date()
    return np.datetime64(start, "D"), np.datetime64(end, "D")


def _chunk(
    rng: np.random.Generator,
    pool: CompanyPool,
    n: int,
    first_id: int,
    width: int,
    months: int,
    end: date,
) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """``n`` distinct leads as an all-string table, their logit, and the row index with dups."""
    u = rng.random  # short alias
    comp = np.minimum(np.searchsorted(pool.cdf, u(n), side="right"), pool.cdf.size - 1)
    sen = draw(rng, SENIORITY.values(), n)
    dep = draw(rng, DEPARTMENT.values(), n)
    src = draw(rng, LEAD_SOURCE.values(), n)
    ind = pool.industry[comp]
    cty = pool.country[comp]
    emp = pool.employees[comp]
    region_code = np.array([REGIONS.index(REGION_OF[c]) for c in COUNTRY])[cty]
    sources, seniorities = list(LEAD_SOURCE), list(SENIORITY)
    student = sen == seniorities.index("Student")

    # junk identities (decided up front: competitors browse pricing pages a lot)
    email_kind = draw(
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
    active = u(n) < sigmoid(0.8 + 1.2 * z)
    pv = active * (1 + rng.poisson(np.exp(0.9 + 0.7 * z + 0.5 * rng.standard_normal(n))))
    pricing = rng.binomial(pv, sigmoid(-2.6 + 0.9 * z))
    extra = np.where(competitor, rng.poisson(3.0, n), 0)
    pricing, pv = pricing + extra, pv + extra
    visits = np.where(pv > 0, 1 + rng.binomial(np.maximum(pv - 1, 0), 0.35), 0)
    mismatch = u(n) < RATES["visits_gt_page_views"]
    visits = np.where(mismatch, pv + 1 + rng.poisson(1.0, n), visits)
    tenths = np.round(10 * pv * rng.gamma(2.0, 0.8 * np.exp(0.2 * z))).astype(np.int64)
    career = rng.binomial(pv, 0.03) + student * active * rng.poisson(1.2, n)
    sent = np.where(u(n) < 0.08, 0, rng.integers(3, 25, n))
    opens = rng.binomial(sent, sigmoid(-0.9 + 0.6 * z + 0.4 * rng.standard_normal(n)))
    clicks = rng.binomial(opens, sigmoid(-1.9 + 0.7 * z))
    open_rate = np.round(100 * opens / np.maximum(sent, 1)).astype(np.int64)
    downloads = rng.poisson(np.exp(-1.3 + 0.8 * z)) + (src == sources.index("Content Syndication"))
    webinars = rng.poisson(np.exp(-1.9 + 0.7 * z)) + (
        (src == sources.index("Webinar")) & (u(n) < 0.75)
    )
    demo = u(n) < sigmoid(-3.95 + 1.0 * z)
    contact = u(n) < sigmoid(-3.45 + 0.7 * z)

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
    won = ~is_open & ~junk & (u(n) < sigmoid(logit))
    nodec = ~is_open & ~won & (u(n) < OUTCOME["no_decision_prob_if_closed_not_won"])
    outcome = np.where(is_open, 3, np.where(won, 0, np.where(nodec, 2, 1)))
    cap = np.minimum(OUTCOME["closed_days_max"], age)
    lo = OUTCOME["closed_days_min"]
    dur = np.where(cap >= lo, lo + np.floor(rng.beta(1.2, 2.5, n) * (cap - lo + 1)), age)
    closed = cday + dur.astype(np.int64).astype("timedelta64[D]")

    # strings
    fmt = draw(rng, RATES["created_at_formats"].values(), n)
    y, mo, d = ymd(cday)
    secs = (created - cday.astype("datetime64[s]")).astype(np.int64)
    iso = join(y, "-", mo, "-", d)
    clock = join(pad(secs // 3600), ":", pad(secs // 60 % 60), ":", pad(secs % 60))
    created_s = pc.if_else(
        pa.array(fmt == 0),
        join(iso, " ", clock),
        pc.if_else(pa.array(fmt == 1), iso, join(mo, "/", d, "/", y)),
    )
    cy, cm, cd = ymd(closed)
    closed_s = where(is_open, "", join(cy, "-", cm, "-", cd))
    all_labels: list[str] = []
    label = np.zeros(n, dtype=np.int64)
    for code, key in enumerate(["won", "lost", "no_decision", "open"]):
        labels, probs = STATUS_LABELS[key]
        label = np.where(outcome == code, len(all_labels) + draw(rng, probs, n), label)
        all_labels += labels
    status = pick(all_labels, label)

    fi, li = rng.integers(0, len(FIRST_NAMES), n), rng.integers(0, len(LAST_NAMES), n)
    first = pick([f for f, _ in FIRST_NAMES], fi)
    last = pick([f for f, _ in LAST_NAMES], li)
    first_a = pick([a for _, a in FIRST_NAMES], fi)
    last_a = pick([a for _, a in LAST_NAMES], li)
    fake = rng.integers(0, len(FAKE_NAMES), n)
    first = where(fake_name, pick([a for a, _ in FAKE_NAMES], fake), first)
    last = where(fake_name, pick([b for _, b in FAKE_NAMES], fake), last)
    first_a = where(fake_name, pc.utf8_lower(first), first_a)
    last_a = where(fake_name, pc.utf8_lower(last), last_a)
    company = pool.name.take(pa.array(comp))
    domain = pool.domain.take(pa.array(comp))
    rival = rng.integers(0, len(COMPETITORS), n)
    company = where(competitor, pick([c for c, _ in COMPETITORS], rival), company)
    domain = where(competitor, pick([d for _, d in COMPETITORS], rival), domain)
    domain = where(throwaway, pick(THROWAWAY, rng.integers(0, len(THROWAWAY), n)), domain)
    local = join(first_a, ".", last_a)
    email = join(local, "@", domain)
    bad = where(
        u(n) < 0.5,
        join(local, "@"),
        pick(MALFORMED_EMAILS, rng.integers(0, len(MALFORMED_EMAILS), n)),
    )
    email = where(malformed, bad, email)

    area, exch = rng.integers(201, 990, n), rng.integers(200, 1000, n)
    area, exch = np.where(area == 555, 556, area), np.where(exch == 555, 556, exch)  # 555 = fake
    dial = np.array([DIAL[c] for c in COUNTRY], dtype=object)
    phone = join(
        "+",
        pa.array(dial[cty], pa.string()),
        "-",
        to_str(area),
        "-",
        to_str(exch),
        "-",
        pc.utf8_lpad(to_str(rng.integers(0, 10_000, n)), width=4, padding="0"),
    )
    phone = where(fake_phone, pick(FAKE_PHONES, rng.integers(0, len(FAKE_PHONES), n)), phone)

    def messy(values: pa.Array, column: str) -> pa.Array:
        """Inject the placeholder and blank rates of ``column``."""
        r = u(n)
        p = RATES["placeholders"].get(column, ["", 0.0])
        values = where(r < p[1], p[0], values)
        return where((r >= p[1]) & (r < p[1] + RATES["blanks"].get(column, 0.0)), "", values)

    countries = list(COUNTRY)
    country_s = messy(pick(countries, cty), "country")
    known = pc.is_in(country_s, value_set=pa.array(countries)).to_numpy(zero_copy_only=False)
    region_s = where(~known, "", pick(REGIONS, region_code))
    sep = (u(n) < RATES["employees_thousands_separator"]) & (emp >= 1000)
    emp_s = fill(sep, thousands(emp[sep]), to_str(emp))
    team = np.where(emp < 200, 0, np.where(emp < 5000, 1, 2))
    pv_s = where(u(n) < RATES["page_views_negative"], "-1", to_str(pv))
    visits_s = where(u(n) < RATES["visits_text_na"], "n/a", to_str(visits))
    amount = (
        np.round(
            np.exp(np.log(15_000) + 0.35 * np.log(emp / 250) + 0.6 * rng.standard_normal(n)) / 500
        )
        * 500
    )
    amount = np.clip(amount, 1_000, 2_000_000).astype(np.int64)
    yes_no = ["No", "Yes"]

    width_ids = pc.utf8_lpad(
        to_str(np.arange(first_id, first_id + n, dtype=np.int64)), width=width, padding="0"
    )
    table = pa.table(
        {
            "lead_id": join("L", width_ids),
            "created_at": created_s,
            "closed_at": closed_s,
            "status": status,
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": messy(phone, "phone"),
            "company": company,
            "seniority": messy(pick(seniorities, sen), "seniority"),
            "department": messy(pick(list(DEPARTMENT), dep), "department"),
            "industry": messy(pick(list(INDUSTRY), ind), "industry"),
            "country": country_s,
            "region": region_s,
            "employees": messy(emp_s, "employees"),
            "lead_source": pick(sources, src),
            "sales_team": pick(["Inside Sales", "Field", "Enterprise"], team),
            "page_views": pv_s,
            "visits": visits_s,
            "minutes_on_site": join(to_str(tenths // 10), ".", to_str(tenths % 10)),
            "pricing_page_views": to_str(pricing),
            "career_page_views": to_str(career),
            "email_opens": to_str(opens),
            "email_clicks": to_str(clicks),
            "email_open_rate": join(to_str(open_rate), "%"),
            "content_downloads": to_str(downloads),
            "webinars_attended": to_str(webinars),
            "demo_request": pick(yes_no, demo.astype(np.int64)),
            "contact_us": pick(yes_no, contact.astype(np.int64)),
            "amount": fill(won, thousands(amount[won]), pa.scalar("")),
        },
        schema=SCHEMA,
    )

    dup = u(n) < RATES["duplicate_rows"]
    return table, logit, np.repeat(np.arange(n), 1 + dup.astype(np.int64))


def lead_chunks(
    n: int, seed: int, months: int, end: date, chunk: int
) -> Iterator[tuple[pa.Table, np.ndarray, np.ndarray]]:
    """Yield ``(distinct leads, their logit, row index)`` per chunk of at most ``chunk`` leads.

    The row index repeats the ~0.3% duplicated leads (``table.take(index)`` is the export);
    the CSV writer applies it to encoded lines instead, which is cheaper.
    """
    if n < 0 or chunk < 1:
        raise ValueError("n must be >= 0 and chunk >= 1")
    pool = company_pool(seed)
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
    for table, logit, idx in lead_chunks(n, seed, months, end, chunk):
        tables.append(table.take(pa.array(idx)))
        logits.append(logit[idx])
    table = pa.concat_tables(tables) if tables else SCHEMA.empty_table()
    frame = table.to_pandas()
    return frame, np.concatenate(logits) if logits else np.empty(0)

"""Write the gallery of realistic CRM exports beside this script (deterministic; run to refresh).

    .venv/bin/python tests/data/gallery/make_gallery.py

Ten exports as Salesforce, HubSpot, Dynamics 365, Pipedrive, Zoho, a German CRM, a bank's
campaign system and X Education write them, plus a file with a 5 MB cell and one with
duplicated and blank headers. Each has profile and behavior columns the outcome was drawn
from (a logistic model per file, so a fit is meaningful), at least 60 won and 60 not-won
closed leads, and the traps its README row names. Every file has its own seeded numpy
generator, so changing one file leaves the others byte-identical.

``expected.py`` beside this script says what a tool must guess from each file. After
writing, this script reads every file back (with the standard ``csv`` module, independently
of calibrate) and checks the facts ``expected.py`` states as generated (rows, columns,
outcome counts, levels, dates, constant and empty columns...); a mismatch is an error
naming the file and the key, so the two cannot drift apart.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20261102

FIRST = ["James", "Mary", "Robert", "Patricia", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
         "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark",
         "Sandra", "Steven", "Ashley", "Paul", "Emily", "Andrew", "Michelle", "Kevin", "Amanda",
         "Brian", "Melissa", "George", "Rebecca", "Priya", "Wei", "Carlos", "Aisha", "Omar",
         "Ingrid", "Mateo", "Yuki"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor", "Moore",
        "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Clark", "Lewis",
        "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Nguyen", "Hill",
        "Patel", "Okafor", "Kowalski", "Lindqvist", "Tanaka", "O'Brien"]
CO_HEAD = ["Bright", "Blue", "North", "Silver", "Summit", "Harbor", "Pine", "Iron", "Clear",
           "Red", "Golden", "Cedar", "Maple", "Stone", "River", "Oak", "Swift", "Prime",
           "Atlas", "Copper"]
CO_TAIL = ["wave", "field", "point", "line", "bridge", "crest", "works", "gate", "path", "leaf"]
CO_KIND = ["Logistics", "Systems", "Health", "Foods", "Capital", "Labs", "Manufacturing",
           "Retail", "Partners", "Energy", "Media", "Analytics"]
REPS = ["Alex Morgan", "Priya Shah", "Daniel Kim", "Sofia Rossi", "Marcus Lee", "Hannah Becker"]


# ------------------------------------------------------------------------------ helpers


def rng_for(k: int) -> np.random.Generator:
    """The generator of file ``k`` (one per file, so the files are independent)."""
    return np.random.default_rng(SEED + 1000 * k)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def draw(rng: np.random.Generator, table: dict[str, Any], n: int) -> list[str]:
    """``n`` labels drawn from ``table`` (label -> weight, or label -> (weight, effect))."""
    keys = list(table)
    w = np.array([v[0] if isinstance(v, tuple) else v for v in table.values()], dtype=float)
    idx = rng.choice(len(keys), size=n, p=w / w.sum())
    return [keys[i] for i in idx]


def effect(table: dict[str, tuple[float, float]], labels: Sequence[str]) -> np.ndarray:
    """The logit effect of each label (the second item of its table entry)."""
    return np.array([table[x][1] for x in labels])


def outcomes(rng: np.random.Generator, logit: np.ndarray, p_open: np.ndarray | float,
             p_no_decision: float = 0.0) -> list[str]:
    """won / lost / no_decision / open per lead: open first, then a win with p = sigmoid."""
    n = len(logit)
    u_open, u_win, u_nd = rng.random(n), rng.random(n), rng.random(n)
    p_open = np.broadcast_to(np.asarray(p_open, dtype=float), (n,))
    out = []
    for i in range(n):
        if u_open[i] < p_open[i]:
            out.append("open")
        elif u_win[i] < sigmoid(logit[i]):
            out.append("won")
        elif u_nd[i] < p_no_decision:
            out.append("no_decision")
        else:
            out.append("lost")
    return out


def days(rng: np.random.Generator, start: date, end: date, n: int) -> list[date]:
    """``n`` dates between ``start`` and ``end`` (inclusive), unsorted."""
    span = (end - start).days + 1
    return [start + timedelta(days=int(d)) for d in rng.integers(0, span, size=n)]


def moments(rng: np.random.Generator, dates: Sequence[date]) -> list[datetime]:
    """Each date with a time of day in office hours (08:00-18:59, whole seconds)."""
    secs = rng.integers(8 * 3600, 19 * 3600, size=len(dates))
    return [datetime(d.year, d.month, d.day) + timedelta(seconds=int(s))
            for d, s in zip(dates, secs, strict=True)]


def age(dates: Sequence[date], today: date) -> np.ndarray:
    return np.array([(today - d).days for d in dates], dtype=float)


def companies(rng: np.random.Generator, n: int) -> list[str]:
    h = rng.integers(0, len(CO_HEAD), size=n)
    t = rng.integers(0, len(CO_TAIL), size=n)
    k = rng.integers(0, len(CO_KIND), size=n)
    return [f"{CO_HEAD[a]}{CO_TAIL[b]} {CO_KIND[c]}" for a, b, c in zip(h, t, k, strict=True)]


def domain(company: str) -> str:
    return company.lower().replace(" ", "-") + ".com"


def people(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    f = rng.integers(0, len(FIRST), size=n)
    la = rng.integers(0, len(LAST), size=n)
    return [(FIRST[a], LAST[b]) for a, b in zip(f, la, strict=True)]


def email(first: str, last: str, company: str) -> str:
    local = f"{first}.{last}".lower().replace("'", "")
    return f"{local}@{domain(company)}"


def lognormal(rng: np.random.Generator, mean_log: float, sd_log: float, n: int, lo: int,
              hi: int) -> np.ndarray:
    """Whole numbers, log-normally spread, clipped to [lo, hi]."""
    return np.clip(np.round(np.exp(rng.normal(mean_log, sd_log, size=n))), lo, hi).astype(int)


def counts(rng: np.random.Generator, lam: np.ndarray | float, n: int) -> np.ndarray:
    return rng.poisson(np.broadcast_to(np.asarray(lam, dtype=float), (n,)))


def guid(rng: np.random.Generator) -> str:
    """A version-4 UUID from the file's generator (lower case, as CRMs write them)."""
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def csv_text(header: Sequence[str], body: Sequence[Sequence[Any]], *, delimiter: str = ",",
             quoting: int = csv.QUOTE_MINIMAL, lineterminator: str = "\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, quoting=quoting,
                        lineterminator=lineterminator)
    writer.writerow(header)
    writer.writerows(body)
    return buf.getvalue()


def write(name: str, text: str) -> None:
    (HERE / name).write_bytes(text.encode("utf-8"))


def plant(rng: np.random.Generator, n: int, k: int, taken: set[int]) -> list[int]:
    """``k`` distinct row indexes not in ``taken`` (and now taken), for planted values."""
    free = np.array([i for i in range(n) if i not in taken])
    rows = sorted(int(i) for i in rng.choice(free, size=k, replace=False))
    taken.update(rows)
    return rows


def us_date(d: date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


# ------------------------------------------------------------------------ 1. Salesforce

SF_STAGES = {  # stage -> probability (%); the first eight are open
    "Prospecting": 10, "Qualification": 10, "Needs Analysis": 20, "Value Proposition": 50,
    "Id. Decision Makers": 60, "Perception Analysis": 70, "Proposal/Price Quote": 75,
    "Negotiation/Review": 90, "Closed Won": 100, "Closed Lost": 0,
}
SF_SOURCE = {"Web": (34, 0.0), "Partner Referral": (14, 0.9), "Trade Show": (12, -0.2),
             "Phone Inquiry": (10, 0.3), "Purchased List": (12, -1.0),
             "Employee Referral": (9, 0.7), "": (9, -0.3)}
SF_INDUSTRY = {"Technology": (25, 0.5), "Finance": (15, 0.2), "Healthcare": (15, 0.0),
               "Manufacturing": (18, 0.1), "Retail": (12, -0.4), "Education": (8, -0.7),
               "Government": (7, -0.5)}
SF_TYPE = {"New Business": (70, 0.0), "Existing Business": (30, 0.8)}
SF_COUNTRY = {"United States": 55, "Canada": 10, "United Kingdom": 15, "Germany": 10,
              "Australia": 10}
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sf18(id15: str) -> str:
    """A 15-character Salesforce id with its case-safe 3-character suffix (18 characters)."""
    suffix = ""
    for i in range(3):
        chunk = id15[5 * i:5 * i + 5]
        bits = sum(1 << j for j, c in enumerate(chunk) if "A" <= c <= "Z")
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return id15 + suffix


def base62(n: int, width: int) -> str:
    out = ""
    for _ in range(width):
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


def salesforce() -> None:
    rng, n = rng_for(1), 1200
    report = date(2026, 11, 2)
    created = sorted(days(rng, date(2024, 11, 4), date(2026, 10, 30), n))
    account = companies(rng, n)
    source = draw(rng, SF_SOURCE, n)
    industry = draw(rng, SF_INDUSTRY, n)
    type_ = draw(rng, SF_TYPE, n)
    country = draw(rng, SF_COUNTRY, n)
    employees = lognormal(rng, 5.0, 1.6, n, 2, 120000)
    demo = rng.random(n) < 0.3
    opened = counts(rng, 2.0 + 2.5 * demo, n)
    visits = counts(rng, 6.0, n)
    logit = (-1.9 + effect(SF_SOURCE, source) + effect(SF_INDUSTRY, industry)
             + effect(SF_TYPE, type_) + 0.35 * (np.log10(employees) - 2.0) + 1.3 * demo
             + 0.12 * np.minimum(opened, 10))
    result = outcomes(rng, logit, np.exp(-age(created, report) / 75.0))
    open_stages = list(SF_STAGES)[:8]
    stage_pick = rng.integers(0, 8, size=n)
    stage = [{"won": "Closed Won", "lost": "Closed Lost"}.get(r, open_stages[s])
             for r, s in zip(result, stage_pick, strict=True)]
    # Case variants of "Web" (and one with spaces) for case folding.
    fold = rng.random(n)
    source = [("web" if u < 0.08 else " Web " if u < 0.12 else s) if s == "Web" else s
              for s, u in zip(source, fold, strict=True)]
    amount = np.round(np.exp(rng.normal(9.6, 0.7, size=n)) * (1 + np.log10(employees)), -2)
    amount_blank = rng.random(n) < 0.03
    close = [min(c + timedelta(days=int(d)), date(2026, 10, 31))
             for c, d in zip(created, rng.integers(14, 200, size=n), strict=True)]
    products = ["Platform Licence", "Renewal", "Expansion", "Pilot", "Services"]
    prod = rng.integers(0, len(products), size=n)
    seats = rng.integers(5, 500, size=n)
    owner = draw(rng, dict.fromkeys(REPS, 1), n)
    counter = 62**4 * 11 + int(rng.integers(0, 62**3))
    ids = []
    for step in rng.integers(1, 900, size=n):
        counter += int(step)
        ids.append(sf18("0065g00000" + base62(counter, 5)))
    rows = []
    for i in range(n):
        rows.append([
            ids[i], owner[i], account[i], f"{account[i]} - {products[prod[i]]} {seats[i]} Seats",
            stage[i], SF_STAGES[stage[i]], "" if amount_blank[i] else f"{amount[i]:.2f}",
            type_[i], source[i], industry[i], employees[i], country[i], int(demo[i]),
            opened[i], visits[i], us_date(created[i]), us_date(close[i]),
        ])
    order = list(SF_STAGES)
    rows.sort(key=lambda r: (order.index(r[4]), r[15][6:], r[15]))  # by stage, then created
    header = ["Opportunity ID", "Opportunity Owner", "Account Name", "Opportunity Name",
              "Stage", "Probability (%)", "Amount", "Type", "Lead Source", "Industry",
              "Employees", "Billing Country", "Demo Completed", "Emails Opened",
              "Web Visits (90 Days)", "Created Date", "Close Date"]
    title = "Opportunities by Stage\r\nGenerated 2026-11-02 09:14 by Jane Doe\r\n\r\n"
    write("salesforce_opportunities.csv", title + csv_text(
        header, rows, quoting=csv.QUOTE_ALL, lineterminator="\r\n"))


# --------------------------------------------------------------------------- 2. HubSpot

HS_OPEN = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
           "decisionmakerboughtin", "contractsent"]
HS_SOURCE = {"ORGANIC_SEARCH": (28, 0.2), "PAID_SEARCH": (22, -0.4), "EMAIL_MARKETING": (15, 0.1),
             "DIRECT_TRAFFIC": (20, 0.0), "REFERRALS": (15, 0.9)}
HS_INDUSTRY = {"COMPUTER_SOFTWARE": (30, 0.4), "FINANCIAL_SERVICES": (18, 0.2),
               "HOSPITAL_HEALTH_CARE": (15, 0.0), "RETAIL": (15, -0.4),
               "MARKETING_AND_ADVERTISING": (12, -0.1), "HIGHER_EDUCATION": (10, -0.6)}
HS_TYPE = {"newbusiness": (62, 0.0), "existingbusiness": (33, 0.7), "": (5, 0.0)}
HS_LOST = ["Price too high", "Chose a competitor", "No budget", "Bad timing", "No response",
           "Stayed with current solution"]


def hubspot() -> None:
    rng, n = rng_for(2), 1500
    today = date(2026, 11, 20)
    created = sorted(moments(rng, days(rng, date(2024, 12, 1), date(2026, 11, 15), n)))
    company = companies(rng, n)
    person = people(rng, n)
    source = draw(rng, HS_SOURCE, n)
    industry = draw(rng, HS_INDUSTRY, n)
    type_ = draw(rng, HS_TYPE, n)
    employees = lognormal(rng, 4.6, 1.5, n, 1, 80000)
    activities = counts(rng, np.exp(rng.normal(1.6, 0.6, size=n)), n)
    contacted = counts(rng, 4.0, n)
    logit = (-1.6 + effect(HS_SOURCE, source) + effect(HS_INDUSTRY, industry)
             + effect(HS_TYPE, type_) + 0.09 * np.minimum(activities, 25)
             - 0.06 * contacted + 0.25 * (np.log10(employees) - 2.0))
    result = outcomes(rng, logit, np.exp(-age([c.date() for c in created], today) / 60.0))
    open_pick = rng.integers(0, len(HS_OPEN), size=n)
    stage = [{"won": "closedwon", "lost": "closedlost"}.get(r, HS_OPEN[s])
             for r, s in zip(result, open_pick, strict=True)]
    amount = np.round(np.exp(rng.normal(9.2, 0.8, size=n)), -1)
    amount_blank = rng.random(n) < 0.05
    close_days = rng.integers(7, 150, size=n)
    lost_reason = draw(rng, dict.fromkeys(HS_LOST, 1), n)
    owner = draw(rng, dict.fromkeys(REPS, 1), n)
    seats = rng.integers(3, 400, size=n)
    mail = [email(f, la, c) for (f, la), c in zip(person, company, strict=True)]
    taken: set[int] = set()
    for i, dom in zip(plant(rng, n, 3, taken), ["mailinator.com", "yopmail.com",
                                                "guerrillamail.com"], strict=True):
        mail[i] = mail[i].split("@")[0] + "@" + dom
    rows = []
    for i in range(n):
        closed = result[i] in ("won", "lost")
        close = min(created[i] + timedelta(days=int(close_days[i])), datetime(2026, 11, 19, 17))
        rows.append([
            15234870001 + i, f"{company[i]} - {seats[i]} seats", stage[i], "Sales Pipeline",
            "" if amount_blank[i] else f"{amount[i]:.0f}",
            f"{close:%Y-%m-%d %H:%M}" if closed else "", f"{created[i]:%Y-%m-%d %H:%M}",
            owner[i], type_[i], source[i], industry[i], employees[i], activities[i],
            contacted[i], mail[i], lost_reason[i] if result[i] == "lost" else "",
        ])
    rows.reverse()  # HubSpot's default view: newest first
    header = ["Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date",
              "Create Date", "Deal owner", "Deal Type", "Original Source Type", "Industry",
              "Number of Employees", "Number of Sales Activities", "Number of times contacted",
              "Email", "Closed Lost Reason"]
    write("hubspot_deals.csv", csv_text(header, rows))


# ------------------------------------------------------------------------ 3. Dynamics 365

DY_TITLE = {"CEO": (6, 0.6), "CFO": (5, 0.5), "CTO": (6, 0.6), "VP of Sales": (8, 0.5),
            "Director of IT": (10, 0.4), "IT Manager": (14, 0.2), "Procurement Manager": (12, 0.1),
            "Operations Manager": (12, 0.0), "Marketing Coordinator": (10, -0.4),
            "Analyst": (9, -0.5), "Office Manager": (8, -0.7)}
DY_RATING = {"Hot": (20, 1.1), "Warm": (40, 0.3), "Cold": (32, -0.7), "": (8, 0.0)}
DY_SOURCE = {"Advertisement": (12, -0.3), "Employee Referral": (6, 0.8),
             "External Referral": (8, 0.6), "Partner": (10, 0.5), "Public Relations": (5, 0.0),
             "Seminar": (9, 0.3), "Trade Show": (12, 0.0), "Web": (30, -0.1),
             "Word of Mouth": (8, 0.4)}
DY_INDUSTRY = {"Accounting": (10, 0.0), "Business Services": (18, 0.2), "Consulting": (14, 0.3),
               "Financial": (15, 0.2), "Manufacturing": (18, 0.0), "Retail": (15, -0.4),
               "Wholesale": (10, -0.2)}
DY_REASON = {"open": {"New": 3, "Contacted": 2}, "won": {"Qualified": 1},
             "lost": {"Lost": 7, "Cannot Contact": 6, "No Longer Interested": 5, "Canceled": 2}}
DY_STATUS = {"open": "Open", "won": "Qualified", "lost": "Disqualified"}
DY_TOPIC = ["{n} licences for {c}", "Pricing request from {c}", "{c}: renewal question",
            "Webinar follow-up - {c}", "Demo request ({c})", "{c} - upgrade to {n} seats",
            "Trade show contact, {c}"]


def dynamics() -> None:
    rng, n = rng_for(3), 1000
    today = date(2026, 11, 25)
    created = sorted(moments(rng, days(rng, date(2025, 1, 6), date(2026, 11, 20), n)))
    company = companies(rng, n)
    person = people(rng, n)
    title = draw(rng, DY_TITLE, n)
    rating = draw(rng, DY_RATING, n)
    source = draw(rng, DY_SOURCE, n)
    industry = draw(rng, DY_INDUSTRY, n)
    employees = lognormal(rng, 4.8, 1.4, n, 1, 60000)
    revenue = np.round(employees * np.exp(rng.normal(11.8, 0.5, size=n)), -3)
    visits = counts(rng, np.exp(rng.normal(1.2, 0.8, size=n)), n)
    opens = counts(rng, 3.0, n)
    logit = (-1.3 + effect(DY_TITLE, title) + effect(DY_RATING, rating) + effect(DY_SOURCE, source)
             + effect(DY_INDUSTRY, industry) + 0.08 * np.minimum(visits, 20)
             + 0.05 * np.minimum(opens, 10))
    result = outcomes(rng, logit, np.exp(-age([c.date() for c in created], today) / 70.0))
    reason = [draw(rng, DY_REASON[r], 1)[0] for r in result]
    exchange = rng.integers(200, 1000, size=n)
    exchange[exchange == 555] = 556
    line = rng.integers(0, 10000, size=n)
    phone = [f"+1 555 {x} {y:04d}" for x, y in zip(exchange, line, strict=True)]
    phone_blank = rng.random(n) < 0.1
    name = [f"{f} {la}" for f, la in person]
    mail = [email(f, la, c) for (f, la), c in zip(person, company, strict=True)]
    owner = draw(rng, dict.fromkeys(REPS, 1), n)
    topic_pick = rng.integers(0, len(DY_TOPIC), size=n)
    seats = rng.integers(5, 300, size=n)
    topic = [DY_TOPIC[t].format(n=s, c=c) for t, s, c in zip(topic_pick, seats, company,
                                                              strict=True)]
    # Planted values for the auto-disqualifiers, each on rows of its own.
    taken: set[int] = set()
    for i, v in zip(plant(rng, n, 2, taken), ["Test Test", "Mickey Mouse"], strict=True):
        name[i] = v
    for i, v in zip(plant(rng, n, 4, taken), ["+1 555 555 0143", "+1 (555) 555-0199",
                                              "123-456-7890", "555-1234"], strict=True):
        phone[i], phone_blank[i] = v, False
    for i, v in zip(plant(rng, n, 3, taken), ["mailinator.com", "yopmail.com",
                                              "10minutemail.com"], strict=True):
        mail[i] = mail[i].split("@")[0] + "@" + v
    for i, v in zip(plant(rng, n, 2, taken), ["jsmith(at){d}", "mark.jones@{d0}"], strict=True):
        d = domain(company[i])
        mail[i] = v.format(d=d, d0=d.rsplit(".", 1)[0])
    for i in plant(rng, n, 3, taken):
        title[i] = "Student"
    rows = []
    for i in range(n):
        c = created[i]
        hour = c.hour % 12 or 12
        when = f"{c.month}/{c.day}/{c.year} {hour}:{c.minute:02d} {'AM' if c.hour < 12 else 'PM'}"
        rows.append([
            guid(rng), name[i], topic[i], DY_STATUS[result[i]], reason[i], when, title[i],
            company[i], "" if phone_blank[i] else phone[i], mail[i], rating[i], source[i],
            industry[i], employees[i], f"{revenue[i]:,.2f}", visits[i], opens[i], owner[i],
        ])
    header = ["Lead", "Name", "Topic", "Status", "Status Reason", "Created On", "Job Title",
              "Company Name", "Business Phone", "Email", "Rating", "Lead Source", "Industry",
              "No. of Employees", "Annual Revenue", "Web Visits", "Email Opens", "Owner"]
    write("dynamics_leads.csv", csv_text(header, rows, lineterminator="\r\n"))


# --------------------------------------------------------------------------- 4. Pipedrive

PD_STAGES = ["Qualified", "Contact Made", "Demo Scheduled", "Proposal Made",
             "Negotiations Started"]
PD_INDUSTRY = {"Software": (25, 0.4), "Logistics": (15, 0.0), "Finance": (15, 0.2),
               "Construction": (12, -0.3), "Hospitality": (10, -0.5), "Healthcare": (13, 0.1),
               "Media": (10, -0.2)}
PD_COUNTRY = {"United Kingdom": (35, 0.2), "Ireland": (12, 0.1), "Netherlands": (15, 0.0),
              "Germany": (15, -0.1), "France": (13, -0.2), "Spain": (10, -0.3)}
PD_LOST = ["Price", "Went with competitor", "No budget", "No response", "Timing"]


def pipedrive() -> None:
    rng, n = rng_for(4), 900
    today = date(2026, 11, 18)
    created = sorted(moments(rng, days(rng, date(2025, 2, 3), date(2026, 11, 13), n)))
    company = companies(rng, n)
    person = people(rng, n)
    industry = draw(rng, PD_INDUSTRY, n)
    country = draw(rng, PD_COUNTRY, n)
    employees = lognormal(rng, 3.9, 1.3, n, 1, 20000)
    activities = counts(rng, np.exp(rng.normal(1.7, 0.5, size=n)), n)
    emails = counts(rng, np.exp(rng.normal(1.3, 0.7, size=n)), n)
    logit = (-1.2 + effect(PD_INDUSTRY, industry) + effect(PD_COUNTRY, country)
             + 0.1 * np.minimum(activities, 20) + 0.05 * np.minimum(emails, 15)
             + 0.2 * (np.log10(employees) - 1.5))
    result = outcomes(rng, logit, np.exp(-age([c.date() for c in created], today) / 60.0))
    stage = []
    for r in result:  # how far the deal got: won deals reached the last stages
        if r == "won":
            stage.append(draw(rng, {"Proposal Made": 2, "Negotiations Started": 8}, 1)[0])
        else:
            stage.append(PD_STAGES[int(rng.integers(0, 5))])
    value = np.round(np.exp(rng.normal(8.8, 0.9, size=n)), -1).astype(int)
    lost_reason = draw(rng, dict.fromkeys(PD_LOST, 1), n)
    owner = draw(rng, dict.fromkeys(REPS[:4], 1), n)
    contact = [f"{f} {la}" for f, la in person]
    mail = [email(f, la, c) for (f, la), c in zip(person, company, strict=True)]
    phone = [f"+44 20 7946 0{x:03d}" for x in rng.integers(0, 1000, size=n)]
    taken: set[int] = set()
    for i, v in zip(plant(rng, n, 1, taken), ["Asdf Asdf"], strict=True):
        contact[i] = v
    for i, v in zip(plant(rng, n, 2, taken), ["555-555-5555", "123-456-7890"], strict=True):
        phone[i] = v
    deal_id = np.cumsum(1 + (rng.random(n) < 0.05) * rng.integers(1, 4, size=n)) + 40
    rows = []
    for i in range(n):
        status = {"won": "won", "lost": "lost"}.get(result[i], "open")
        rows.append([
            int(deal_id[i]), f"{company[i]} deal", owner[i], value[i], "EUR", company[i],
            contact[i], "Sales pipeline", stage[i], status, f"{created[i]:%Y-%m-%d %H:%M:%S}",
            lost_reason[i] if status == "lost" else "", activities[i], emails[i], industry[i],
            employees[i], country[i], mail[i], phone[i],
        ])
    header = ["Deal - ID", "Deal - Title", "Deal - Owner", "Deal - Value", "Deal - Currency",
              "Deal - Organization", "Deal - Contact person", "Deal - Pipeline", "Deal - Stage",
              "Deal - Status", "Deal - Deal created", "Deal - Lost reason", "Deal - Activities",
              "Deal - Email messages count", "Organization - Industry",
              "Organization - Number of employees", "Organization - Country", "Person - Email",
              "Person - Phone"]
    write("pipedrive_deals.csv", csv_text(header, rows))


# -------------------------------------------------------------------------------- 5. Zoho

ZO_PROB = {"Qualification": 10, "Needs Analysis": 20, "Closed Won": 100, "Closed Lost": 0,
           "Closed-Lost to Competition": 0}
ZO_SOURCE = {"Advertisement": (12, -0.3), "Cold Call": (14, -0.6), "Employee Referral": (7, 0.8),
             "External Referral": (8, 0.6), "Partner": (10, 0.5), "Trade Show": (10, 0.0),
             "Web Download": (14, 0.1), "Web Research": (10, 0.0), "Chat": (7, 0.2),
             "-None-": (8, 0.0)}
ZO_TYPE = {"New Business": (58, 0.0), "Existing Business": (30, 0.7), "-None-": (12, 0.0)}
ZO_INDUSTRY = {"ASP (Application Service Provider)": (14, 0.3),
               "ERP (Enterprise Resource Planning)": (12, 0.4),
               "Government/Military": (10, -0.5), "Large Enterprise": (16, 0.2),
               "MSP (Management Service Provider)": (12, 0.1),
               "Small/Medium Enterprise": (22, -0.2), "Systems Integrator": (14, 0.0)}


def zoho() -> None:
    rng, n = rng_for(5), 800
    today = date(2026, 11, 16)
    created = sorted(moments(rng, days(rng, date(2025, 1, 13), date(2026, 11, 10), n)))
    company = companies(rng, n)
    person = people(rng, n)
    source = draw(rng, ZO_SOURCE, n)
    type_ = draw(rng, ZO_TYPE, n)
    industry = draw(rng, ZO_INDUSTRY, n)
    employees = lognormal(rng, 4.4, 1.4, n, 1, 50000)
    calls = counts(rng, 2.5, n)
    meetings = counts(rng, np.exp(rng.normal(0.2, 0.7, size=n)), n)
    logit = (-1.3 + effect(ZO_SOURCE, source) + effect(ZO_TYPE, type_)
             + effect(ZO_INDUSTRY, industry) + 0.45 * np.minimum(meetings, 6)
             + 0.05 * np.minimum(calls, 10))
    result = outcomes(rng, logit, np.exp(-age([c.date() for c in created], today) / 60.0))
    competition = rng.random(n) < 0.3
    open_pick = rng.random(n) < 0.55
    stage = []
    for r, comp, qual in zip(result, competition, open_pick, strict=True):
        if r == "won":
            stage.append("Closed Won")
        elif r == "lost":
            stage.append("Closed-Lost to Competition" if comp else "Closed Lost")
        else:
            stage.append("Qualification" if qual else "Needs Analysis")
    elapsed = rng.integers(0, 181, size=n)  # days in the current stage: nothing to do with wins
    amount = np.round(np.exp(rng.normal(9.0, 0.8, size=n)), -1)
    close_days = rng.integers(10, 160, size=n)
    owner = draw(rng, dict.fromkeys(REPS[2:], 1), n)
    contact = [f"{f} {la}" for f, la in person]
    taken: set[int] = set()
    for i, v in zip(plant(rng, n, 2, taken), ["John Doe", "Test"], strict=True):
        contact[i] = v
    products = ["CRM Suite", "Analytics Add-on", "Support Plan", "Migration"]
    prod = rng.integers(0, len(products), size=n)
    record = 5725767000000397001
    rows = []
    for i in range(n):
        record += int(rng.integers(1, 30)) * 1000
        prob = ZO_PROB[stage[i]]
        close = min(created[i].date() + timedelta(days=int(close_days[i])), date(2026, 11, 15))
        rows.append([
            f"zcrm_{record}", owner[i], f"{company[i]} - {products[prod[i]]}", f"{amount[i]:.2f}",
            f"{close:%Y-%m-%d}", company[i], stage[i], int(elapsed[i]), type_[i], prob,
            f"{amount[i] * prob / 100:.2f}", source[i], contact[i],
            f"{created[i]:%Y-%m-%d %H:%M:%S}", industry[i], employees[i], calls[i], meetings[i],
        ])
    header = ["Record Id", "Deal Owner", "Deal Name", "Amount", "Closing Date", "Account Name",
              "Stage", "Elapsed Days In Stage", "Type", "Probability (%)", "Expected Revenue",
              "Lead Source", "Contact Name", "Created Time", "Industry", "Employees",
              "Calls Logged", "Meetings Held"]
    write("zoho_deals.csv", csv_text(header, rows))


# ------------------------------------------------------------------------------ 6. German

DE_STATUS = {"won": "Gewonnen", "lost": "Verloren", "no_decision": "Keine Entscheidung",
             "open": "Offen"}
DE_BRANCHE = {"Maschinenbau (Mittelstand)": (18, 0.5),
              "Großhandel (Kleinunternehmen)": (12, -0.3),
              "Öffentlicher Dienst (Großunternehmen)": (10, -0.6),
              "Gesundheitswesen (Mittelstand)": (14, 0.1),
              "Software & IT (Kleinunternehmen)": (16, 0.3),
              "Logistik (Großunternehmen)": (14, 0.2),
              "Einzelhandel (Mittelstand)": (16, -0.2)}
DE_POSITION = {"Geschäftsführer": (12, 0.7), "Vertriebsleiterin": (12, 0.4),
               "IT-Leiter": (16, 0.5), "Einkäufer": (16, 0.0), "Sachbearbeiterin": (18, -0.6),
               "Marketing-Managerin": (14, -0.1), "Teamleiter Logistik": (12, 0.1)}
DE_LAND = {"Deutschland": (70, 0.0), "Österreich": (18, 0.2), "Schweiz": (12, 0.3)}
DE_FIRST = ["Lukas", "Anna", "Jonas", "Lea", "Felix", "Sophie", "Maximilian", "Marie", "Paul",
            "Laura", "Jürgen", "Käthe", "Tobias", "Hannah", "Björn", "Greta"]
DE_LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
           "Schröder", "Neumann", "Zimmermann", "Krüger", "Weiß", "Groß"]
DE_KIND = [("Maschinenbau GmbH", "maschinenbau"), ("& Söhne KG", "soehne"),
           ("Logistik AG", "logistik"), ("IT-Services GmbH", "it"),
           ("Handelsgesellschaft mbH", "handel"), ("Werkzeugbau GmbH & Co. KG", "werkzeugbau")]


def ascii_de(text: str) -> str:
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("Ä", "Ae"), ("Ö", "Oe"),
                 ("Ü", "Ue")):
        text = text.replace(a, b)
    return text.lower()


def euro(x: float) -> str:
    """German number format: 12.500,00."""
    return f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def german() -> None:
    rng, n = rng_for(6), 700
    today = date(2026, 11, 24)
    created = sorted(days(rng, date(2025, 1, 2), date(2026, 11, 20), n))
    branche = draw(rng, DE_BRANCHE, n)
    position = draw(rng, DE_POSITION, n)
    land = draw(rng, DE_LAND, n)
    views = counts(rng, np.exp(rng.normal(1.8, 0.8, size=n)), n)
    webinar = rng.random(n) < 0.25
    form = rng.random(n) < 0.15
    logit = (-1.6 + effect(DE_BRANCHE, branche) + effect(DE_POSITION, position)
             + effect(DE_LAND, land) + 0.04 * np.minimum(views, 30) + 0.9 * webinar + 1.2 * form)
    result = outcomes(rng, logit, np.exp(-age(created, today) / 60.0), p_no_decision=0.3)
    first = [DE_FIRST[i] for i in rng.integers(0, len(DE_FIRST), size=n)]
    last = [DE_LAST[i] for i in rng.integers(0, len(DE_LAST), size=n)]
    firm_last = [DE_LAST[i] for i in rng.integers(0, len(DE_LAST), size=n)]
    kind = [DE_KIND[i] for i in rng.integers(0, len(DE_KIND), size=n)]
    phone = rng.integers(0, 1000, size=n)
    value = np.round(np.exp(rng.normal(9.3, 0.7, size=n)), -2)
    rows = []
    for i in range(n):
        firma = f"{firm_last[i]} {kind[i][0]}"
        site = f"{ascii_de(firm_last[i])}-{kind[i][1]}.de"
        mail = f"{ascii_de(first[i])[0]}.{ascii_de(last[i])}@{site}"
        rows.append([
            10001 + i, f"{created[i]:%d.%m.%Y}", firma, first[i], last[i], mail,
            f"+49 30 23125 {phone[i]:03d}", position[i], branche[i], land[i], views[i],
            "Ja" if webinar[i] else "Nein", "Ja" if form[i] else "Nein", DE_STATUS[result[i]],
            euro(value[i]),
        ])
    header = ["Lead-Nr.", "Erstellt am", "Firma", "Vorname", "Nachname", "E-Mail", "Telefon",
              "Position", "Branche (Größe)", "Land", "Seitenaufrufe", "Webinar besucht",
              "Anfrage über Kontaktformular", "Status", "Auftragswert (€)"]
    write("german_export.csv", csv_text(header, rows, delimiter=";", lineterminator="\r\n"))


# ------------------------------------------------------------------------------ 7. bare y

# Campaign months in order: (month, rows, emp.var.rate, cons.price.idx, cons.conf.idx,
# euribor3m, nr.employed). The economic figures are one value per month.
BY_MONTHS = [
    ("may", 420, 1.1, 93.994, -36.4, 4.857, 5191.0),
    ("jun", 260, 1.4, 94.465, -41.8, 4.961, 5228.1),
    ("jul", 300, 1.4, 93.918, -42.7, 4.962, 5228.1),
    ("aug", 240, 1.4, 93.444, -36.1, 4.964, 5228.1),
    ("oct", 60, -0.1, 93.798, -40.4, 4.076, 5195.8),
    ("nov", 180, -0.1, 93.2, -42.0, 3.879, 5195.8),
    ("dec", 40, -0.2, 92.756, -45.9, 3.282, 5176.3),
    ("mar", 60, -1.8, 92.843, -50.0, 1.811, 5099.1),
    ("apr", 150, -1.8, 93.075, -47.1, 1.405, 5099.1),
    ("may", 160, -1.8, 92.893, -46.2, 1.313, 5099.1),
    ("jun", 80, -2.9, 92.963, -40.8, 1.26, 5076.2),
    ("jul", 50, -2.9, 92.469, -33.6, 1.072, 5076.2),
]
BY_JOB = {"admin.": (25, 0.1), "blue-collar": (22, -0.4), "technician": (16, 0.0),
          "services": (10, -0.3), "management": (7, 0.0), "retired": (4, 0.7),
          "entrepreneur": (3.5, -0.2), "self-employed": (3.5, 0.0), "housemaid": (2.5, 0.0),
          "unemployed": (2.5, 0.3), "student": (2.2, 0.9), "unknown": (0.8, 0.0)}
BY_MARITAL = {"married": (60, 0.0), "single": (28, 0.15), "divorced": (11.8, 0.0),
              "unknown": (0.2, 0.0)}
BY_EDUCATION = {"university.degree": (29, 0.2), "high.school": (23, 0.0), "basic.9y": (15, -0.2),
                "professional.course": (13, 0.05), "basic.4y": (10, -0.1), "basic.6y": (6, -0.2),
                "unknown": (4, 0.1)}


def bare_y() -> None:
    rng, n = rng_for(7), sum(m[1] for m in BY_MONTHS)
    month_of = np.repeat(np.arange(len(BY_MONTHS)), [m[1] for m in BY_MONTHS])
    euribor = np.array([BY_MONTHS[k][5] for k in month_of])
    job = draw(rng, BY_JOB, n)
    marital = draw(rng, BY_MARITAL, n)
    education = draw(rng, BY_EDUCATION, n)
    ages = np.clip(np.round(rng.normal(40, 10, size=n)), 18, 88).astype(int)
    ages = np.where([j == "retired" for j in job], np.clip(ages + 22, 55, 88), ages)
    ages = np.where([j == "student" for j in job], np.clip(ages - 18, 18, 30), ages)
    default = np.where(rng.random(n) < 0.21, "unknown", "no").astype(object)
    housing_unknown = rng.random(n) < 0.025
    housing = np.where(housing_unknown, "unknown",
                       np.where(rng.random(n) < 0.54, "yes", "no")).astype(object)
    loan = np.where(housing_unknown, "unknown",
                    np.where(rng.random(n) < 0.16, "yes", "no")).astype(object)
    contact = np.where(rng.random(n) < 0.36 + 0.3 * (euribor > 4.5), "telephone", "cellular")
    weekday = draw(rng, {"mon": 1, "tue": 1, "wed": 1, "thu": 1, "fri": 1}, n)
    campaign = 1 + counts(rng, 1.4, n)
    previous = np.where(rng.random(n) < 0.12 + 0.15 * (euribor < 2), 1 + counts(rng, 0.4, n), 0)
    success = (previous > 0) & (rng.random(n) < 0.3)
    poutcome = np.where(previous == 0, "nonexistent", np.where(success, "success", "failure"))
    pdays = np.where(success, rng.integers(0, 28, size=n), 999)
    logit = (-1.9 - 0.55 * (euribor - 3.0) + effect(BY_JOB, job) + effect(BY_MARITAL, marital)
             + effect(BY_EDUCATION, education) - 0.5 * (contact == "telephone")
             - 0.12 * np.minimum(campaign, 8) + 1.9 * success + 0.3 * (poutcome == "failure"))
    won = np.array(outcomes(rng, logit, 0.0)) == "won"
    # The last call's length, known only once the call (and the sale) is over: a leak.
    duration = np.where(won, np.exp(rng.normal(6.2, 0.5, size=n)),
                        np.exp(rng.normal(5.2, 0.7, size=n)))
    duration = np.clip(np.round(duration), 5, 3600).astype(int)
    for i in rng.choice(np.flatnonzero(default == "no"), size=2, replace=False):
        default[i] = "yes"
    rows = []
    for i in range(n):
        m = BY_MONTHS[month_of[i]]
        rows.append([
            int(ages[i]), job[i], marital[i], education[i], default[i], housing[i], loan[i],
            str(contact[i]), m[0], weekday[i], int(duration[i]), int(campaign[i]),
            int(pdays[i]), int(previous[i]), str(poutcome[i]), m[2], m[3], m[4], m[5], m[6],
            "yes" if won[i] else "no",
        ])
    header = ["age", "job", "marital", "education", "default", "housing", "loan", "contact",
              "month", "day_of_week", "duration", "campaign", "pdays", "previous", "poutcome",
              "emp.var.rate", "cons.price.idx", "cons.conf.idx", "euribor3m", "nr.employed", "y"]
    write("bare_y.csv", csv_text(header, rows, quoting=csv.QUOTE_NONNUMERIC))


# ------------------------------------------------------------------------- 8. X Education

XE_ORIGIN = {"Landing Page Submission": (53, 0.0), "API": (38, -0.3), "Lead Add Form": (8, 2.4),
             "Lead Import": (1, -0.6)}
XE_SOURCE = {"Google": (31, 0.0), "Direct Traffic": (28, -0.3), "Olark Chat": (19, -0.5),
             "Organic Search": (12, -0.1), "Reference": (6, 1.6), "Welingak Website": (2, 2.2),
             "Referral Sites": (1.5, -0.2), "Facebook": (0.5, -0.4)}
XE_ACTIVITY = {"Email Opened": (37, 0.3), "SMS Sent": (30, 1.3),
               "Olark Chat Conversation": (10, -1.2), "Page Visited on Website": (7, -0.3),
               "Converted to Lead": (5, -1.0), "Email Bounced": (3.5, -1.5),
               "Email Link Clicked": (3, 0.0), "Form Submitted on Website": (1.5, 0.0),
               "": (3, 0.0)}
XE_COUNTRY = {"India": 70, "": 25.5, "United States": 1.5, "United Arab Emirates": 1.2,
              "Singapore": 0.8, "unknown": 0.5, "Saudi Arabia": 0.5}
XE_SPECIAL = {"Select": 21, "": 16, "Finance Management": 10.5, "Human Resource Management": 9,
              "Marketing Management": 9, "Operations Management": 5.5,
              "Business Administration": 4.4, "IT Projects Management": 4,
              "Supply Chain Management": 3.8, "Banking, Investment And Insurance": 3.7,
              "Media and Advertising": 2.2, "Travel and Tourism": 2.2,
              "International Business": 1.9, "Healthcare Management": 1.7,
              "Hospitality Management": 1.2, "E-COMMERCE": 1.2}
XE_HEAR = {"Select": 55, "": 24, "Online Search": 9, "Word Of Mouth": 4,
           "Student of SomeSchool": 3.5, "Other": 2, "Multiple Sources": 1.5,
           "Advertisements": 0.8, "Social Media": 0.7}
XE_OCCUPATION = {"Unemployed": (60, 0.0), "": (29, -0.6), "Working Professional": (7.6, 2.3),
                 "Student": (2.3, 0.0), "Other": (0.6, 0.5), "Housewife": (0.3, 1.5),
                 "Businessman": (0.2, 0.5)}
XE_CITY = {"Mumbai": 35, "Select": 24, "": 15, "Thane & Outskirts": 8, "Other Cities": 7.4,
           "Other Cities of Maharashtra": 5, "Other Metro Cities": 4, "Tier II Cities": 1.6}
# Tags are set by the sales team while working the lead: a leak (as in the real export).
XE_TAGS_WON = {"Will revert after reading the email": 68, "Closed by Horizzon": 26,
               "Busy": 1, "": 5}
XE_TAGS_LOST = {"": 34, "Ringing": 24, "Interested in other courses": 11,
                "Already a student": 10, "switched off": 5, "Not doing further education": 4,
                "invalid number": 2, "wrong number given": 2, "Busy": 4, "Lost to EINS": 2,
                "Interested  in full time MBA": 2, "Will revert after reading the email": 2}
XE_CONSTANT = ["Magazine", "Receive More Updates About Our Courses",
               "Update me on Supply Chain Content", "Get updates on DM Content",
               "I agree to pay the amount through cheque"]


def x_education() -> None:
    rng, n = rng_for(8), 1000
    origin = draw(rng, XE_ORIGIN, n)
    source = draw(rng, XE_SOURCE, n)
    source = ["Reference" if o == "Lead Add Form" and u < 0.7 else s
              for o, s, u in zip(origin, source, rng.random(n), strict=True)]
    no_email = rng.random(n) < 0.08
    visits = np.where(rng.random(n) < 0.24, 0, 1 + counts(rng, 2.6, n))
    visits_blank = rng.random(n) < 0.015
    seconds = np.where(visits == 0, 0, np.clip(np.round(np.exp(rng.normal(6.2, 0.9, size=n))),
                                               10, 2270)).astype(int)
    per_visit = np.where(visits == 0, 0.0, np.round(1 + rng.gamma(2.0, 0.7, size=n), 2))
    activity = draw(rng, XE_ACTIVITY, n)
    country = draw(rng, XE_COUNTRY, n)
    special = draw(rng, XE_SPECIAL, n)
    hear = draw(rng, XE_HEAR, n)
    occupation = draw(rng, XE_OCCUPATION, n)
    city = draw(rng, XE_CITY, n)
    free_copy = rng.random(n) < 0.31
    src_effect = np.array([XE_SOURCE.get(s, (0, 0.0))[1] for s in source])
    logit = (-1.1 + effect(XE_ORIGIN, origin) + src_effect + effect(XE_ACTIVITY, activity)
             + effect(XE_OCCUPATION, occupation) - 0.9 * no_email + 1.4 * (seconds / 1000.0)
             - 0.1 * free_copy)
    won = np.array(outcomes(rng, logit, 0.0)) == "won"
    tags = [draw(rng, XE_TAGS_WON if w else XE_TAGS_LOST, 1)[0] for w in won]
    # A few "google" beside the many "Google", as in the real export.
    google = [i for i, s in enumerate(source) if s == "Google"]
    for i in rng.choice(google, size=9, replace=False):
        source[int(i)] = "google"
    no_call = np.zeros(n, dtype=bool)
    no_call[rng.choice(n, size=3, replace=False)] = True
    rows = []
    for i in range(n):
        rows.append([
            guid(rng), 600001 + i, origin[i], source[i], "Yes" if no_email[i] else "No",
            "Yes" if no_call[i] else "No", int(won[i]),
            "" if visits_blank[i] else int(visits[i]), int(seconds[i]),
            "" if visits_blank[i] else f"{per_visit[i]:g}", activity[i], country[i], special[i],
            hear[i], occupation[i], "No", "No", tags[i], "No", "No", city[i], "No",
            "Yes" if free_copy[i] else "No",
        ] + [""] * 200)
    header = ["Prospect ID", "Lead Number", "Lead Origin", "Lead Source", "Do Not Email",
              "Do Not Call", "Converted", "TotalVisits", "Total Time Spent on Website",
              "Page Views Per Visit", "Last Activity", "Country", "Specialization",
              "How did you hear about X Education", "What is your current occupation",
              "Magazine", "Receive More Updates About Our Courses", "Tags",
              "Update me on Supply Chain Content", "Get updates on DM Content", "City",
              "I agree to pay the amount through cheque",
              "A free copy of Mastering The Interview"]
    header += [f"Custom Field {k}" for k in range(1, 201)]
    write("x_education.csv", csv_text(header, rows))


# ---------------------------------------------------------------------------- 9. big cell

BC_INDUSTRY = {"Software": (30, 0.4), "Retail": (20, -0.5), "Finance": (20, 0.2),
               "Health": (15, 0.0), "Manufacturing": (15, 0.1)}
BC_STATUS = {"won": "Won", "lost": "Lost", "no_decision": "No Decision", "open": "Open"}
BC_NOTES = ["Called twice, left a message", "Asked for \"enterprise\" pricing, sent the deck",
            "Met at the trade show; wants a demo in Q1", "Budget approved,\nwaiting on legal",
            "No answer, will try again", "Forwarded to the partner team, cc: ops"]
BIG_CELL_ROW = 150  # 1-based data row holding the ~5 MB note


def big_text(rng: np.random.Generator, size: int) -> str:
    """About ``size`` characters of call notes: commas, quotes and line breaks throughout."""
    who = ["procurement", "the CFO", "IT security", "the ops lead", "legal", "the champion"]
    what = ["SSO", "pricing", "the renewal", "data residency", "the API limits", "onboarding"]
    parts: list[str] = []
    total, k = 0, 0
    while total < size:
        k += 1
        a, b, c = (int(x) for x in rng.integers(0, 6, size=3))
        mins = int(rng.integers(5, 60))
        para = (f"Note {k}: call with {who[a]}, {mins} min; asked about {what[b]}, "
                f"\"{what[c]}\" and next steps.\nFollow-up: send the summary, then book "
                f"{who[(a + c) % 6]}, again.\n\n")
        parts.append(para)
        total += len(para)
    return "".join(parts)


def big_cell() -> None:
    rng, n = rng_for(9), 300
    today = date(2026, 11, 20)
    created = sorted(days(rng, date(2025, 6, 2), date(2026, 11, 13), n))
    company = companies(rng, n)
    person = people(rng, n)
    industry = draw(rng, BC_INDUSTRY, n)
    employees = lognormal(rng, 4.5, 1.4, n, 1, 30000)
    views = counts(rng, np.exp(rng.normal(1.7, 0.7, size=n)), n)
    demo = rng.random(n) < 0.2
    logit = (-1.0 + effect(BC_INDUSTRY, industry) + 0.06 * np.minimum(views, 25) + 1.6 * demo)
    result = outcomes(rng, logit, np.exp(-age(created, today) / 45.0), p_no_decision=0.25)
    mail = [email(f, la, c) for (f, la), c in zip(person, company, strict=True)]
    taken: set[int] = {BIG_CELL_ROW - 1}
    for i, v in zip(plant(rng, n, 2, taken), ["trashmail.com", "maildrop.cc"], strict=True):
        mail[i] = mail[i].split("@")[0] + "@" + v
    note_pick = rng.integers(0, len(BC_NOTES), size=n)
    has_note = rng.random(n) < 0.4
    rows = []
    for i in range(n):
        note = BC_NOTES[note_pick[i]] if has_note[i] else ""
        if i == BIG_CELL_ROW - 1:
            note = big_text(rng, 5_000_000)
        rows.append([
            f"L-{i + 1:04d}", f"{created[i]:%Y-%m-%d}", company[i], mail[i], industry[i],
            employees[i], views[i], "Yes" if demo[i] else "No", BC_STATUS[result[i]], note,
        ])
    header = ["Lead ID", "Created", "Company", "Email", "Industry", "Employees", "Page Views",
              "Demo Request", "Status", "Notes"]
    write("big_cell.csv", csv_text(header, rows))


# -------------------------------------------------------------------- 10. duplicate headers

DH_SOURCE = {"Web": (40, 0.0), "Event": (20, 0.6), "Referral": (15, 1.3), "Partner": (25, 0.4)}
DH_LATEST = {"Email Campaign": 30, "Paid Social": 25, "Organic Search": 25, "Direct": 20}
DH_INDUSTRY = {"Software": (30, 0.3), "Retail": (20, -0.4), "Finance": (20, 0.2),
               "Health": (15, 0.0), "Manufacturing": (15, 0.0)}
DH_OUTCOME = {"won": "Won", "lost": "Lost", "open": "Open"}


def duplicate_headers() -> None:
    rng, n = rng_for(10), 400
    today = date(2026, 11, 20)
    created = sorted(days(rng, date(2025, 3, 3), date(2026, 11, 13), n))
    source = draw(rng, DH_SOURCE, n)
    latest = draw(rng, DH_LATEST, n)
    industry = draw(rng, DH_INDUSTRY, n)
    employees = lognormal(rng, 4.2, 1.3, n, 1, 20000)
    visits = counts(rng, np.exp(rng.normal(1.4, 0.7, size=n)), n)
    logit = (-1.2 + effect(DH_SOURCE, source) + effect(DH_INDUSTRY, industry)
             + 0.08 * np.minimum(visits, 20))
    result = outcomes(rng, logit, np.exp(-age(created, today) / 45.0))
    rows = [[i, f"Q-{1001 + i}", f"{created[i]:%Y-%m-%d}", source[i], industry[i], employees[i],
             latest[i], visits[i], DH_OUTCOME[result[i]]] for i in range(n)]
    header = ["", "Lead ID", "Created", "Source", "Industry", "Employees", "Source",
              "Web Visits", "Outcome"]
    write("duplicate_headers.csv", csv_text(header, rows))


GENERATORS: list[Callable[[], None]] = [
    salesforce, hubspot, dynamics, pipedrive, zoho, german, bare_y, x_education, big_cell,
    duplicate_headers,
]


# --------------------------------------------------------------------- reading back, checks


def load_expected() -> dict[str, dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("gallery_expected", HERE / "expected.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXPECTED


def read_back(name: str, entry: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a written file, read with the standard csv module."""
    csv.field_size_limit(sys.maxsize)
    text = (HERE / name).read_text(encoding=entry["encoding"])
    lines = text.splitlines(keepends=True)
    body = "".join(lines[entry["skipped_title_lines"]:])
    table = list(csv.reader(io.StringIO(body, newline=""), delimiter=entry["delimiter"]))
    return table[0], table[1:]


def stable_names(header: list[str]) -> list[str]:
    """The columns' stable names: each header trimmed, a blank one "Column N" (its
    position), a repeat (in any case) suffixed " (2)", " (3)"... (calibrate's convention)."""
    seen: set[str] = set()
    out = []
    for i, name in enumerate(header, start=1):
        base = name.strip() or f"Column {i}"
        candidate, n = base, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{base} ({n})"
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def column(header: list[str], rows: list[list[str]], name: str) -> list[str]:
    """The values of the column called ``name`` (its stable name, see above)."""
    idx = stable_names(header).index(name)
    return [r[idx] for r in rows]


def levels_of(values: list[str], missing: set[str]) -> tuple[dict[str, int], dict[str, list]]:
    """Levels after trimming and case folding, each named by its commonest spelling."""
    groups: dict[str, Counter[str]] = {}
    for v in values:
        if v.strip().lower() in missing:
            continue
        groups.setdefault(v.strip().casefold(), Counter())[v] += 1
    levels: dict[str, int] = {}
    variants: dict[str, list[str]] = {}
    for spell in groups.values():
        name = Counter({k.strip(): 0 for k in spell})
        for k, c in spell.items():
            name[k.strip()] += c
        top = sorted(name.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        levels[top] = sum(spell.values())
        if len(spell) > 1:
            variants[top] = sorted(spell, key=lambda s: (-spell[s], s))
    order = sorted(levels.items(), key=lambda kv: (-kv[1], kv[0]))
    return dict(order), dict(sorted(variants.items()))


def number(text: str, decimal: str) -> float:
    """A number as the file writes it: 12500.00, "1,250,000.00" or (decimal comma) 12.500,00."""
    if decimal == ",":
        return float(text.replace(".", "").replace(",", "."))
    return float(text.replace(",", ""))


def facts(name: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``entry`` that are stated as generated, as the written file has them.

    Also asserts what is not a count: lead ids are unique, constant and empty columns are
    so, campaign-level columns change only between periods, numbers parse, placeholders
    occur.
    """
    header, rows = read_back(name, entry)
    assert all(len(r) == len(header) for r in rows), f"{name}: ragged rows"
    accounted(name, entry, stable_names(header))
    got: dict[str, Any] = {"rows": len(rows), "columns": len(header)}
    if "header" in entry:
        got["header"] = header
        got["names"] = stable_names(header)
    labels = Counter(column(header, rows, entry["outcome"]))
    got["outcome_labels"] = {k: entry["outcome_labels"].get(k) for k in sorted(labels)}
    tally: Counter[str] = Counter()
    for label, c in labels.items():
        tally[entry["outcome_labels"].get(label, "?")] += c
    for key in ("won", "lost", "no_decision", "open"):
        got[key] = tally.get(key, 0)
    missing = {""} | {v.lower() for vs in entry["placeholders"].values() for v in vs}
    got["levels"], got["variants"] = {}, {}
    for col in entry["levels"]:
        levels, variants = levels_of(column(header, rows, col), missing)
        got["levels"][col] = levels
        if variants:
            got["variants"][col] = variants
    for col, values in entry["placeholders"].items():
        assert set(values) <= set(column(header, rows, col)), f"{name}: {col} lacks {values}"
    got["created_range"] = None
    if entry["created_at"]:
        parsed = [datetime.strptime(v, entry["created_format"]).date()
                  for v in column(header, rows, entry["created_at"])]
        got["created_range"] = (min(parsed).isoformat(), max(parsed).isoformat())
    got["amount_sum"] = None
    if entry["amount"]:
        got["amount_sum"] = round(sum(number(v, entry["decimal"])
                                      for v in column(header, rows, entry["amount"]) if v), 2)
    for col in entry["lead_id"]:
        ids = column(header, rows, col)
        assert len(set(ids)) == len(ids), f"{name}: {col} has duplicated ids"
    for col, why in entry["ignored"].items():
        values = column(header, rows, col)
        if why == "empty":
            assert set(values) == {""}, f"{name}: {col} is not empty"
        elif why == "constant":
            assert len(set(values)) == 1 and values[0], f"{name}: {col} is not constant"
        elif why == "campaign-level":
            period = column(header, rows, entry["period_column"])
            for i in range(1, len(rows)):
                if period[i] == period[i - 1]:
                    assert values[i] == values[i - 1], f"{name}: {col} changes within a period"
    for col in entry["numeric"]:
        for v in column(header, rows, col):
            if v:
                number(v, entry["decimal"])
    if "big_cell" in entry:
        spec = entry["big_cell"]
        cell = column(header, rows, spec["column"])[spec["row"] - 1]
        assert "\n" in cell and "," in cell and '"' in cell, f"{name}: the big cell is plain"
        got["big_cell"] = {**spec, "chars": len(cell), "bytes": len(cell.encode("utf-8"))}
    return got


def accounted(name: str, entry: dict[str, Any], names: list[str]) -> None:
    """Every column has exactly one role in ``entry``; the other lists name real columns."""
    single = [entry[k] for k in ("outcome", "created_at", "closed_at", "amount") if entry[k]]
    roles = (single + entry["ids"] + list(entry["contacts"]) + list(entry["ignored"])
             + entry["leaks"] + entry["profile"] + entry["behavior"])
    assert sorted(roles) == sorted(names), (
        f"{name}: roles for {sorted(set(roles) ^ set(names))} missing or doubled")
    scored = set(entry["profile"]) | set(entry["behavior"])
    for key in ("flags", "numeric", "drivers"):
        assert set(entry[key]) <= scored, f"{name}: {key} not all scored"
    for key in ("not_outcome", "lead_id", "levels", "placeholders"):
        assert set(entry[key]) <= set(names), f"{name}: {key} names unknown columns"
    assert set(entry["lead_id"]) <= set(entry["ids"]), f"{name}: lead_id not among ids"


def sizes(name: str, entry: dict[str, Any]) -> None:
    """Small files (300-2,000 rows, under 1 MB but the big cell) with enough of each side."""
    assert 300 <= entry["rows"] <= 2000, f"{name}: {entry['rows']} rows"
    assert entry["won"] >= 60 and entry["lost"] + entry["no_decision"] >= 60, name
    assert "big_cell" in entry or (HERE / name).stat().st_size < 1_000_000, f"{name}: size"


def check() -> None:
    """Every fact ``expected.py`` states as generated holds in the written files."""
    expected = load_expected()
    written = sorted(p.name for p in HERE.glob("*.csv"))
    assert written == sorted(expected), f"files {written} != expected {sorted(expected)}"
    problems = []
    for name, entry in expected.items():
        sizes(name, entry)
        for key, value in facts(name, entry).items():
            want = entry.get(key)
            if key == "created_range" and want is not None:
                want = tuple(want)
            if want != value or repr(want) != repr(value):  # order matters too (levels)
                problems.append(f"{name}: {key}: expected.py has {want!r}; the file {value!r}")
    if problems:
        raise SystemExit("expected.py and the files disagree:\n" + "\n".join(problems))


def main() -> None:
    for gen in GENERATORS:
        gen()
    if "--no-check" not in sys.argv:
        check()


if __name__ == "__main__":
    main()

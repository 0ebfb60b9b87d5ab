"""What a tool must guess from each file of the gallery of realistic CRM exports.

Plain data, one dict per file in :data:`EXPECTED` (keyed by file name), for tests to import.
``make_gallery.py`` writes the files and then checks every key marked *generated* below
against them, so the numbers here are exact. README.md beside this module has the table.

Columns are named by their headers as written, except that a blank header is "Column N"
(its position) and a repeated one takes " (2)" ("Source", then "Source (2)"): the stable
names calibrate gives them (only duplicate_headers.csv needs this; see its ``names``).

Keys (every entry has all of them; a few entries add their own, documented there):

- ``rows`` (generated): data rows, after the title lines and the header; a cell with line
  breaks is still one row.
- ``columns`` (generated): fields in the header, blank and empty columns included.
- ``delimiter``, ``encoding``, ``decimal``: how to read the file; ``decimal`` is the
  decimal mark of its numbers ("," means 12.500,00).
- ``skipped_title_lines``: lines above the header that are not data (0 for most files).
- ``outcome``: the outcome column's header.
- ``outcome_labels`` (generated): every distinct label of the outcome column and the
  outcome it stands for (won, lost, no_decision or open).
- ``won``, ``lost``, ``no_decision``, ``open`` (generated): leads per outcome.
- ``not_outcome``: headers whose name or values look like an outcome but which are not it.
- ``lead_id``: headers any of which is a right choice for the lead id (``()``: none).
- ``ids``: identifier columns (the lead id included) that must never be scored.
- ``created_at``, ``created_format`` (a ``strptime`` format), ``created_range``
  (generated; first and last created date, ISO): the lead's creation date, or None.
- ``closed_at``: the close date column, or None.
- ``amount``: the deal value column, or None; ``amount_sum`` (generated): the sum of its
  non-blank values once parsed (checks thousands separators and decimal commas).
- ``contacts``: contact columns and their role (email, phone, company, first_name,
  last_name, full_name). They feed the auto-disqualifiers and are never scored.
- ``ignored``: columns that must not be scored, with why: "constant" (one value in every
  row), "empty" (no value at all), "campaign-level" (one value per campaign period: it
  says when, not who), "free text" (a name or note per row), "owner" (the sales rep,
  assigned after hand-off; neither an attribute of the lead nor one of its contacts).
- ``leaks``: columns recorded during or after the sale; a fit must flag and leave them out.
- ``flags``: yes/no columns that are scored attributes (not the outcome, not an email).
- ``numeric``: scored attributes that must be typed as numbers.
- ``profile``, ``behavior``: every scored attribute, by axis (fit against engagement).
- ``drivers``: attributes the outcome was drawn from (``make_gallery.py``'s logistic model
  per file), so a fit on this file must give each of them points that vary by level.
- ``levels`` (generated): for a few categorical columns, each level and its leads after
  trimming and case folding, named by the commonest spelling, commonest first; blanks and
  ``placeholders`` are missing and not listed.
- ``variants`` (generated): levels written in more than one way, and the raw spellings
  that must fold into them (commonest first).
- ``placeholders``: raw values of a column that mean "missing".
- ``auto_rules``: leads each auto-rule of calibrate's default rule set must hit, by rule
  label (``disqualified:...``, ``qualified:<column>``); rules not listed hit no lead.
"""

from __future__ import annotations

from typing import Any

SF_OPEN_STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
                  "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
                  "Negotiation/Review"]

SALESFORCE_OPPORTUNITIES: dict[str, Any] = {
    "rows": 1200,
    "columns": 17,
    "delimiter": ",",
    "encoding": "utf-8",
    "decimal": ".",
    "skipped_title_lines": 3,
    "outcome": "Stage",
    "outcome_labels": {"Closed Lost": "lost", "Closed Won": "won",
                       **dict.fromkeys(sorted(SF_OPEN_STAGES), "open")},
    "won": 347,
    "lost": 728,
    "no_decision": 0,
    "open": 125,
    "not_outcome": ["Demo Completed"],
    "lead_id": ("Opportunity ID",),
    "ids": ["Opportunity ID"],
    "created_at": "Created Date",
    "created_format": "%m/%d/%Y",
    "created_range": ("2024-11-04", "2026-10-30"),
    "closed_at": "Close Date",
    "amount": "Amount",
    "amount_sum": 73695400.0,
    "contacts": {"Account Name": "company"},
    "ignored": {"Opportunity Owner": "owner", "Opportunity Name": "free text"},
    "leaks": ["Probability (%)"],
    "flags": ["Demo Completed"],
    "numeric": ["Employees", "Emails Opened", "Web Visits (90 Days)"],
    "profile": ["Type", "Lead Source", "Industry", "Employees", "Billing Country"],
    "behavior": ["Demo Completed", "Emails Opened", "Web Visits (90 Days)"],
    "drivers": ["Type", "Lead Source", "Industry", "Employees", "Demo Completed",
                "Emails Opened"],
    "levels": {
        "Lead Source": {"Web": 383, "Partner Referral": 179, "Trade Show": 149,
                        "Purchased List": 144, "Phone Inquiry": 126, "Employee Referral": 121},
        "Industry": {"Technology": 332, "Manufacturing": 215, "Healthcare": 186,
                     "Finance": 176, "Retail": 116, "Education": 100, "Government": 75},
        "Type": {"New Business": 846, "Existing Business": 354},
    },
    "variants": {"Lead Source": {"Web": ["Web", "web", " Web "]}},
    "placeholders": {},
    "auto_rules": {},
}
"""A Salesforce "Opportunities by Stage" report export (every field quoted, CRLF).

Three lines sit above the header: the report title, "Generated 2026-11-02 09:14 by Jane
Doe" and a blank line; they must be skipped, not read as the header. The rows are sorted by
stage, so the first few hundred rows hold only open stages: the outcome and its labels must
be judged on the whole column. The eight stages before Closed Won / Closed Lost are open.
Opportunity IDs are 18-character ids with their case-safe suffix (0065g00000B1hQ3AAJ).
"Demo Completed" is a checkbox exported as 1/0, values that read as an outcome: it is a
behavior flag. "Probability (%)" follows the stage (100 on Closed Won, 0 on Closed Lost):
a leak. "Lead Source" is written "Web", "web" and " Web ": one level, "Web". Dates are
MM/DD/YYYY with days above 12. Only the company is a contact field: no rule can fire.
"""

HUBSPOT_DEALS: dict[str, Any] = {
    "rows": 1500,
    "columns": 16,
    "delimiter": ",",
    "encoding": "utf-8",
    "decimal": ".",
    "skipped_title_lines": 0,
    "outcome": "Deal Stage",
    "outcome_labels": {"appointmentscheduled": "open", "closedlost": "lost",
                       "closedwon": "won", "contractsent": "open",
                       "decisionmakerboughtin": "open", "presentationscheduled": "open",
                       "qualifiedtobuy": "open"},
    "won": 420,
    "lost": 970,
    "no_decision": 0,
    "open": 110,
    "not_outcome": ["Closed Lost Reason"],
    "lead_id": ("Record ID",),
    "ids": ["Record ID"],
    "created_at": "Create Date",
    "created_format": "%Y-%m-%d %H:%M",
    "created_range": ("2024-12-02", "2026-11-15"),
    "closed_at": "Close Date",
    "amount": "Amount",
    "amount_sum": 19778500.0,
    "contacts": {"Email": "email"},
    "ignored": {"Pipeline": "constant", "Deal owner": "owner", "Deal Name": "free text"},
    "leaks": ["Closed Lost Reason"],
    "flags": [],
    "numeric": ["Number of Employees", "Number of Sales Activities",
                "Number of times contacted"],
    "profile": ["Deal Type", "Original Source Type", "Industry", "Number of Employees"],
    "behavior": ["Number of Sales Activities", "Number of times contacted"],
    "drivers": ["Deal Type", "Original Source Type", "Industry", "Number of Employees",
                "Number of Sales Activities", "Number of times contacted"],
    "levels": {
        "Original Source Type": {"ORGANIC_SEARCH": 446, "PAID_SEARCH": 353,
                                 "DIRECT_TRAFFIC": 271, "REFERRALS": 227,
                                 "EMAIL_MARKETING": 203},
        "Deal Type": {"newbusiness": 931, "existingbusiness": 488},
        "Industry": {"COMPUTER_SOFTWARE": 473, "FINANCIAL_SERVICES": 274, "RETAIL": 219,
                     "HOSPITAL_HEALTH_CARE": 213, "MARKETING_AND_ADVERTISING": 176,
                     "HIGHER_EDUCATION": 145},
    },
    "variants": {},
    "placeholders": {},
    "auto_rules": {"disqualified:throwaway_email": 3},
}
"""A HubSpot deals export, newest first (so Record IDs, sequential integers, descend).

The outcome is "Deal Stage" with HubSpot's internal stage ids: closedwon, closedlost and
five open stages (appointmentscheduled ... contractsent), none in a generic vocabulary.
"Closed Lost Reason" is filled only on lost deals: a leak, and not the outcome although
its name says "closed" and "lost". "Pipeline" is one value ("Sales Pipeline") throughout.
"Deal owner" is the rep, not a contact. "Close Date" is blank on open deals. "Create Date"
is ISO with minutes ("2026-11-15 16:01"). Three emails use throwaway domains.
"""

DYNAMICS_LEADS: dict[str, Any] = {
    "rows": 1000,
    "columns": 18,
    "delimiter": ",",
    "encoding": "utf-8",
    "decimal": ".",
    "skipped_title_lines": 0,
    "outcome": "Status",
    "outcome_labels": {"Disqualified": "lost", "Open": "open", "Qualified": "won"},
    "won": 388,
    "lost": 513,
    "no_decision": 0,
    "open": 99,
    "not_outcome": ["Status Reason"],
    "lead_id": ("Lead",),
    "ids": ["Lead"],
    "created_at": "Created On",
    "created_format": "%m/%d/%Y %I:%M %p",
    "created_range": ("2025-01-06", "2026-11-19"),
    "closed_at": None,
    "amount": None,
    "amount_sum": None,
    "contacts": {"Name": "full_name", "Company Name": "company", "Business Phone": "phone",
                 "Email": "email"},
    "ignored": {"Owner": "owner", "Topic": "free text"},
    "leaks": ["Status Reason"],
    "flags": [],
    "numeric": ["No. of Employees", "Annual Revenue", "Web Visits", "Email Opens"],
    "profile": ["Job Title", "Lead Source", "Industry", "No. of Employees", "Annual Revenue"],
    "behavior": ["Rating", "Web Visits", "Email Opens"],
    "drivers": ["Job Title", "Rating", "Lead Source", "Industry", "Web Visits",
                "Email Opens"],
    "levels": {
        "Rating": {"Warm": 416, "Cold": 297, "Hot": 201},
        "Lead Source": {"Web": 322, "Advertisement": 127, "Trade Show": 122, "Partner": 98,
                        "Word of Mouth": 95, "Seminar": 71, "External Referral": 62,
                        "Employee Referral": 60, "Public Relations": 43},
        "Job Title": {"IT Manager": 149, "Procurement Manager": 126,
                      "Operations Manager": 116, "Director of IT": 99, "Office Manager": 89,
                      "Analyst": 87, "VP of Sales": 79, "Marketing Coordinator": 75,
                      "CEO": 67, "CFO": 61, "CTO": 49, "Student": 3},
    },
    "variants": {},
    "placeholders": {},
    "auto_rules": {"disqualified:fake_name": 2, "disqualified:fake_phone": 4,
                   "disqualified:throwaway_email": 3, "disqualified:malformed_email": 2,
                   "disqualified:student": 3},
}
"""A Dynamics 365 leads export (CRLF). "Lead" is the record's GUID.

The outcome is the lead's "Status": Qualified (turned into an opportunity: won),
Disqualified (lost), Open. "Status Reason" refines it (New, Contacted / Qualified / Lost,
Cannot Contact, No Longer Interested, Canceled), so it predicts the outcome perfectly: a
leak, and not the outcome (its values are mostly not outcome labels). "Rating" (Hot, Warm,
Cold, some blank) is the sales team's read of interest: behavior. Phones are "+1 555 NXX
XXXX" (area code 555, so no real number, and an exchange other than 555), blank for one
lead in ten; four are planted fakes (555 exchange, 123-456-7890, 555-1234). Planted too,
each on its own rows: two fake names (Test Test, Mickey Mouse), three throwaway and two
malformed emails, three "Student" job titles. "Created On" is "1/6/2025 12:17 PM".
"Annual Revenue" has thousands separators ("611,000.00"): a profile number, not an amount.
"""

PIPEDRIVE_DEALS: dict[str, Any] = {
    "rows": 900,
    "columns": 19,
    "delimiter": ",",
    "encoding": "utf-8",
    "decimal": ".",
    "skipped_title_lines": 0,
    "outcome": "Deal - Status",
    "outcome_labels": {"lost": "lost", "open": "open", "won": "won"},
    "won": 347,
    "lost": 465,
    "no_decision": 0,
    "open": 88,
    "not_outcome": ["Deal - Stage", "Deal - Lost reason"],
    "lead_id": ("Deal - ID",),
    "ids": ["Deal - ID"],
    "created_at": "Deal - Deal created",
    "created_format": "%Y-%m-%d %H:%M:%S",
    "created_range": ("2025-02-03", "2026-11-12"),
    "closed_at": None,
    "amount": "Deal - Value",
    "amount_sum": 9224290.0,
    "contacts": {"Deal - Organization": "company", "Deal - Contact person": "full_name",
                 "Person - Email": "email", "Person - Phone": "phone"},
    "ignored": {"Deal - Currency": "constant", "Deal - Pipeline": "constant",
                "Deal - Owner": "owner", "Deal - Title": "free text"},
    "leaks": ["Deal - Stage", "Deal - Lost reason"],
    "flags": [],
    "numeric": ["Deal - Activities", "Deal - Email messages count",
                "Organization - Number of employees"],
    "profile": ["Organization - Industry", "Organization - Number of employees",
                "Organization - Country"],
    "behavior": ["Deal - Activities", "Deal - Email messages count"],
    "drivers": ["Organization - Industry", "Organization - Number of employees",
                "Organization - Country", "Deal - Activities", "Deal - Email messages count"],
    "levels": {
        "Deal - Stage": {"Negotiations Started": 398, "Proposal Made": 179, "Qualified": 116,
                         "Demo Scheduled": 109, "Contact Made": 98},
        "Organization - Industry": {"Software": 230, "Logistics": 150, "Healthcare": 132,
                                    "Finance": 123, "Construction": 99, "Hospitality": 93,
                                    "Media": 73},
    },
    "variants": {},
    "placeholders": {},
    "auto_rules": {"disqualified:fake_name": 1, "disqualified:fake_phone": 2},
}
"""A Pipedrive deals export: every header is "Entity - Field".

"Deal - Status" (won / lost / open) is the outcome. "Deal - Stage" comes before it and its
name also reads as an outcome (deal stage), but its values are pipeline stages, one of them
"Qualified": it is not the outcome, and it records how far a deal got (won deals reached
the last two stages), so it is a leak. "Deal - Lost reason" is filled only on lost deals: a
leak. Currency ("EUR") and pipeline are constant. Deal ids are sequential with a few gaps
(deleted deals). Phones are in the UK's drama range (+44 20 7946 0xxx); planted: one fake
name (Asdf Asdf) and two fake phones.
"""

ZOHO_DEALS: dict[str, Any] = {
    "rows": 800,
    "columns": 18,
    "delimiter": ",",
    "encoding": "utf-8",
    "decimal": ".",
    "skipped_title_lines": 0,
    "outcome": "Stage",
    "outcome_labels": {"Closed Lost": "lost", "Closed Won": "won",
                       "Closed-Lost to Competition": "lost", "Needs Analysis": "open",
                       "Qualification": "open"},
    "won": 322,
    "lost": 399,
    "no_decision": 0,
    "open": 79,
    "not_outcome": ["Elapsed Days In Stage"],
    "lead_id": ("Record Id",),
    "ids": ["Record Id"],
    "created_at": "Created Time",
    "created_format": "%Y-%m-%d %H:%M:%S",
    "created_range": ("2025-01-13", "2026-11-09"),
    "closed_at": "Closing Date",
    "amount": "Amount",
    "amount_sum": 8833180.0,
    "contacts": {"Account Name": "company", "Contact Name": "full_name"},
    "ignored": {"Deal Owner": "owner", "Deal Name": "free text"},
    "leaks": ["Probability (%)", "Expected Revenue"],
    "flags": [],
    "numeric": ["Employees", "Calls Logged", "Meetings Held", "Elapsed Days In Stage"],
    "profile": ["Type", "Lead Source", "Industry", "Employees"],
    "behavior": ["Calls Logged", "Meetings Held", "Elapsed Days In Stage"],
    "drivers": ["Type", "Lead Source", "Industry", "Calls Logged", "Meetings Held"],
    "levels": {
        "Type": {"New Business": 457, "Existing Business": 248},
        "Lead Source": {"Cold Call": 137, "Web Download": 130, "Advertisement": 80,
                        "Web Research": 79, "Partner": 78, "Trade Show": 74,
                        "External Referral": 66, "Chat": 48, "Employee Referral": 44},
    },
    "variants": {},
    "placeholders": {"Type": ["-None-"], "Lead Source": ["-None-"]},
    "auto_rules": {"disqualified:fake_name": 2},
}
"""A Zoho CRM deals export. Record ids are "zcrm_" and a 19-digit number.

"Stage" is the outcome: "Closed-Lost to Competition" is lost too (hyphenated, with a
suffix), Qualification and Needs Analysis are open. "Elapsed Days In Stage" sits right
after it and its name says stage, but it holds day counts 0..180 drawn independently of the
outcome: never the outcome, and harmless as a behavior number. "Probability (%)" and
"Expected Revenue" (amount times probability: 0 on every lost deal) follow the stage:
leaks. Zoho writes an unset picklist as "-None-" ("Type", "Lead Source"): missing, not a
level. "Closing Date" is the close date although no "closed" word is in its name. Planted:
two fake contact names (John Doe, Test).
"""

GERMAN_EXPORT: dict[str, Any] = {
    "rows": 700,
    "columns": 15,
    "delimiter": ";",
    "encoding": "utf-8",
    "decimal": ",",
    "skipped_title_lines": 0,
    "outcome": "Status",
    "outcome_labels": {"Gewonnen": "won", "Keine Entscheidung": "no_decision",
                       "Offen": "open", "Verloren": "lost"},
    "won": 238,
    "lost": 289,
    "no_decision": 115,
    "open": 58,
    "not_outcome": ["Webinar besucht", "Anfrage über Kontaktformular"],
    "lead_id": ("Lead-Nr.",),
    "ids": ["Lead-Nr."],
    "created_at": "Erstellt am",
    "created_format": "%d.%m.%Y",
    "created_range": ("2025-01-02", "2026-11-20"),
    "closed_at": None,
    "amount": "Auftragswert (€)",
    "amount_sum": 10018100.0,
    "contacts": {"Firma": "company", "Vorname": "first_name", "Nachname": "last_name",
                 "E-Mail": "email", "Telefon": "phone"},
    "ignored": {},
    "leaks": [],
    "flags": ["Webinar besucht", "Anfrage über Kontaktformular"],
    "numeric": ["Seitenaufrufe"],
    "profile": ["Position", "Branche (Größe)", "Land"],
    "behavior": ["Seitenaufrufe", "Webinar besucht", "Anfrage über Kontaktformular"],
    "drivers": ["Position", "Branche (Größe)", "Land", "Seitenaufrufe", "Webinar besucht",
                "Anfrage über Kontaktformular"],
    "levels": {
        "Branche (Größe)": {"Einzelhandel (Mittelstand)": 121,
                            "Gesundheitswesen (Mittelstand)": 109,
                            "Maschinenbau (Mittelstand)": 106,
                            "Logistik (Großunternehmen)": 105,
                            "Software & IT (Kleinunternehmen)": 100,
                            "Großhandel (Kleinunternehmen)": 80,
                            "Öffentlicher Dienst (Großunternehmen)": 79},
        "Position": {"Sachbearbeiterin": 128, "Einkäufer": 116, "IT-Leiter": 109,
                     "Marketing-Managerin": 104, "Teamleiter Logistik": 90,
                     "Geschäftsführer": 81, "Vertriebsleiterin": 72},
        "Land": {"Deutschland": 492, "Österreich": 119, "Schweiz": 89},
    },
    "variants": {},
    "placeholders": {},
    "auto_rules": {},
}
"""A German CRM export as Excel writes it: ";" between fields, CRLF, UTF-8 without a BOM.

Headers and labels carry umlauts, ß, brackets, a dot and the euro sign ("Lead-Nr.",
"Branche (Größe)", "Auftragswert (€)"), all of which must survive as labels. The outcome
labels are German: Gewonnen, Verloren, Keine Entscheidung (no decision), Offen. The flags
are Ja/Nein. Dates are DD.MM.YYYY; amounts are written 12.500,00 (dot for thousands, comma
for decimals), which must parse to 12500.0. Contacts are Firma, Vorname, Nachname, E-Mail,
Telefon (Berlin's range for fiction, +49 30 23125 xxx); none is fake.
"""

BARE_Y: dict[str, Any] = {
    "rows": 2000,
    "columns": 21,
    "delimiter": ",",
    "encoding": "utf-8",
    "decimal": ".",
    "skipped_title_lines": 0,
    "outcome": "y",
    "outcome_labels": {"no": "lost", "yes": "won"},
    "won": 189,
    "lost": 1811,
    "no_decision": 0,
    "open": 0,
    "not_outcome": ["default", "housing", "loan"],
    "lead_id": (),
    "ids": [],
    "created_at": None,
    "created_format": None,
    "created_range": None,
    "closed_at": None,
    "amount": None,
    "amount_sum": None,
    "contacts": {},
    "ignored": dict.fromkeys(["emp.var.rate", "cons.price.idx", "cons.conf.idx", "euribor3m",
                              "nr.employed"], "campaign-level"),
    "leaks": ["duration"],
    "flags": ["default", "housing", "loan"],
    "numeric": ["age", "campaign", "pdays", "previous"],
    "profile": ["age", "job", "marital", "education", "default", "housing", "loan"],
    "behavior": ["contact", "month", "day_of_week", "campaign", "pdays", "previous",
                 "poutcome"],
    "drivers": ["job", "marital", "education", "contact", "campaign", "poutcome"],
    "levels": {
        "job": {"admin.": 521, "blue-collar": 459, "technician": 328, "services": 198,
                "management": 143, "retired": 84, "entrepreneur": 70, "self-employed": 55,
                "housemaid": 46, "unemployed": 40, "student": 36},
        "default": {"no": 1552, "yes": 2},
        "housing": {"yes": 1064, "no": 875},
        "loan": {"no": 1650, "yes": 289},
    },
    "variants": {},
    "placeholders": {"job": ["unknown"], "marital": ["unknown"], "education": ["unknown"],
                     "default": ["unknown"], "housing": ["unknown"], "loan": ["unknown"]},
    "auto_rules": {},
    "period_column": "month",
}
"""A bank-marketing-like campaign export (text quoted, numbers bare), in time order.

The outcome is a bare ``y`` (yes / no), chosen by its name although default, housing and
loan are yes/no columns too (with "unknown" for missing; default has only two "yes"). No
lead id and no date: the rows run through twelve campaign months (``period_column``,
May 2008 to July 2009; month names repeat across the two years), and emp.var.rate,
cons.price.idx, cons.conf.idx, euribor3m and nr.employed take one value per month. They
predict the outcome (the win rate rose as rates fell) but describe the period, not the
lead: ignore them. "duration" (the last call's length, known once the call is over) is
far longer on wins: a leak. "contact" is the call channel (cellular / telephone), a
behavior, not a contact field. pdays is 999 for "never contacted before".
"""

XE_CONSTANT = ["Magazine", "Receive More Updates About Our Courses",
               "Update me on Supply Chain Content", "Get updates on DM Content",
               "I agree to pay the amount through cheque"]

X_EDUCATION: dict[str, Any] = {
    "rows": 1000,
    "columns": 223,
    "delimiter": ",",
    "encoding": "utf-8",
    "decimal": ".",
    "skipped_title_lines": 0,
    "outcome": "Converted",
    "outcome_labels": {"0": "lost", "1": "won"},
    "won": 495,
    "lost": 505,
    "no_decision": 0,
    "open": 0,
    "not_outcome": ["Do Not Email", "Do Not Call", "A free copy of Mastering The Interview"],
    "lead_id": ("Prospect ID", "Lead Number"),
    "ids": ["Prospect ID", "Lead Number"],
    "created_at": None,
    "created_format": None,
    "created_range": None,
    "closed_at": None,
    "amount": None,
    "amount_sum": None,
    "contacts": {},
    "ignored": {**dict.fromkeys(XE_CONSTANT, "constant"),
                **{f"Custom Field {k}": "empty" for k in range(1, 201)}},
    "leaks": ["Tags"],
    "flags": ["Do Not Email", "Do Not Call", "A free copy of Mastering The Interview"],
    "numeric": ["TotalVisits", "Total Time Spent on Website", "Page Views Per Visit"],
    "profile": ["Lead Origin", "Lead Source", "Country", "Specialization",
                "How did you hear about X Education", "What is your current occupation",
                "City"],
    "behavior": ["Do Not Email", "Do Not Call", "TotalVisits", "Total Time Spent on Website",
                 "Page Views Per Visit", "Last Activity",
                 "A free copy of Mastering The Interview"],
    "drivers": ["Lead Origin", "Lead Source", "Do Not Email", "Total Time Spent on Website",
                "Last Activity", "What is your current occupation"],
    "levels": {
        "Lead Source": {"Google": 302, "Direct Traffic": 241, "Olark Chat": 182,
                        "Organic Search": 117, "Reference": 115, "Welingak Website": 19,
                        "Referral Sites": 17, "Facebook": 7},
        "Lead Origin": {"Landing Page Submission": 513, "API": 386, "Lead Add Form": 92,
                        "Lead Import": 9},
        "Specialization": {"Finance Management": 108, "Human Resource Management": 94,
                           "Marketing Management": 75, "Operations Management": 58,
                           "Business Administration": 57, "IT Projects Management": 41,
                           "Banking, Investment And Insurance": 37,
                           "Supply Chain Management": 33, "Media and Advertising": 30,
                           "Travel and Tourism": 19, "International Business": 16,
                           "Hospitality Management": 12, "E-COMMERCE": 11,
                           "Healthcare Management": 8},
        "Country": {"India": 693, "United States": 12, "Singapore": 8,
                    "United Arab Emirates": 8, "Saudi Arabia": 7},
    },
    "variants": {"Lead Source": {"Google": ["Google", "google"]}},
    "placeholders": {"Specialization": ["Select"], "How did you hear about X Education":
                     ["Select"], "City": ["Select"], "Country": ["unknown"]},
    "auto_rules": {},
}
"""Like X Education's lead-scoring export (an online course seller), 223 columns.

"Converted" (1/0) is the outcome. "Prospect ID" (UUIDs) and "Lead Number" (sequential
six-digit numbers) are both ids: never scored. "Do Not Email" is a Yes/No preference, not
an email address (so no email rule may fire on it), and "Do Not Call" has three Yes in a
thousand. "Select" is the web form's unanswered placeholder (Specialization, How did you
hear..., City) and Country has "unknown": missing, not levels. "Lead Source" has "google"
nine times beside "Google": one level. Five columns are "No" in every row and 200
"Custom Field N" columns are empty: ignore them all. "Tags" is set by the sales team while
working the lead ("Closed by Horizzon", "Will revert after reading the email",
"Ringing"...): a leak. No contact column, so no auto-rule can fire.
"""

BIG_CELL: dict[str, Any] = {
    "rows": 300,
    "columns": 10,
    "delimiter": ",",
    "encoding": "utf-8",
    "decimal": ".",
    "skipped_title_lines": 0,
    "outcome": "Status",
    "outcome_labels": {"Lost": "lost", "No Decision": "no_decision", "Open": "open",
                       "Won": "won"},
    "won": 128,
    "lost": 112,
    "no_decision": 45,
    "open": 15,
    "not_outcome": ["Demo Request"],
    "lead_id": ("Lead ID",),
    "ids": ["Lead ID"],
    "created_at": "Created",
    "created_format": "%Y-%m-%d",
    "created_range": ("2025-06-02", "2026-11-12"),
    "closed_at": None,
    "amount": None,
    "amount_sum": None,
    "contacts": {"Company": "company", "Email": "email"},
    "ignored": {"Notes": "free text"},
    "leaks": [],
    "flags": ["Demo Request"],
    "numeric": ["Employees", "Page Views"],
    "profile": ["Industry", "Employees"],
    "behavior": ["Page Views", "Demo Request"],
    "drivers": ["Industry", "Page Views", "Demo Request"],
    "levels": {"Industry": {"Software": 89, "Retail": 61, "Finance": 59,
                            "Manufacturing": 46, "Health": 45}},
    "variants": {},
    "placeholders": {},
    "auto_rules": {"disqualified:throwaway_email": 2, "qualified:demo_request": 59},
    "big_cell": {"column": "Notes", "row": 150, "chars": 5000050, "bytes": 5000050},
}
"""A small leads file (300 rows, about 5 MB) whose "Notes" cell on data row 150 holds
5,000,050 characters of call notes with commas, doubled quotes and line breaks.

Row 150 is past any first-rows sample, and the cell is far above common line and field
limits (Python's csv module allows 131,072 characters by default; DuckDB's CSV reader 2 MB
per line): all 300 rows must load, the cell intact (``big_cell``: its column, 1-based data
row, length in characters and UTF-8 bytes), and "Notes" must be ignored as free text. Other
notes are short, some with a quoted line break. "Demo Request" Yes/No auto-qualifies (59
leads); two throwaway emails are disqualified first.
"""

DUPLICATE_HEADERS: dict[str, Any] = {
    "rows": 400,
    "columns": 9,
    "delimiter": ",",
    "encoding": "utf-8",
    "decimal": ".",
    "skipped_title_lines": 0,
    "outcome": "Outcome",
    "outcome_labels": {"Lost": "lost", "Open": "open", "Won": "won"},
    "won": 172,
    "lost": 209,
    "no_decision": 0,
    "open": 19,
    "not_outcome": [],
    "lead_id": ("Lead ID",),
    "ids": ["Column 1", "Lead ID"],
    "created_at": "Created",
    "created_format": "%Y-%m-%d",
    "created_range": ("2025-03-04", "2026-11-12"),
    "closed_at": None,
    "amount": None,
    "amount_sum": None,
    "contacts": {},
    "ignored": {},
    "leaks": [],
    "flags": [],
    "numeric": ["Employees", "Web Visits"],
    "profile": ["Source", "Industry", "Employees", "Source (2)"],
    "behavior": ["Web Visits"],
    "drivers": ["Source", "Industry", "Web Visits"],
    "levels": {
        "Source": {"Web": 151, "Partner": 101, "Event": 93, "Referral": 55},
        "Source (2)": {"Paid Social": 119, "Email Campaign": 110, "Organic Search": 89,
                     "Direct": 82},
    },
    "variants": {},
    "placeholders": {},
    "auto_rules": {},
    "header": ["", "Lead ID", "Created", "Source", "Industry", "Employees", "Source",
               "Web Visits", "Outcome"],
    "names": ["Column 1", "Lead ID", "Created", "Source", "Industry", "Employees",
              "Source (2)", "Web Visits", "Outcome"],
}
"""A file saved by pandas with its index: the first header is blank, and two columns are
both named "Source" (the original source, then the latest touch).

``header`` is the header as written; ``names`` are the stable names of its columns, the
same on every load (``calibrate.data.roles.unique_names``): the blank header is "Column 1", the
second "Source" is "Source (2)"; special roles may still show under their canonical names
(lead_id, created_at, outcome). "Column 1" holds the row number 0..399: an identifier,
never scored. The two Sources have disjoint levels, so a swap shows; only the first drives
the outcome.
"""

EXPECTED: dict[str, dict[str, Any]] = {
    "salesforce_opportunities.csv": SALESFORCE_OPPORTUNITIES,
    "hubspot_deals.csv": HUBSPOT_DEALS,
    "dynamics_leads.csv": DYNAMICS_LEADS,
    "pipedrive_deals.csv": PIPEDRIVE_DEALS,
    "zoho_deals.csv": ZOHO_DEALS,
    "german_export.csv": GERMAN_EXPORT,
    "bare_y.csv": BARE_Y,
    "x_education.csv": X_EDUCATION,
    "big_cell.csv": BIG_CELL,
    "duplicate_headers.csv": DUPLICATE_HEADERS,
}
"""Every gallery file (name beside this module) and what must be guessed from it."""

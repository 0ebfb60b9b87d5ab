"""The words of CRM exports that every reader of values shares: placeholders and yes/no.

One definition, used by the cleaning of stored values, the auto-rules, the outcome guess
and the marketing-automation exports, so they never disagree on what is missing or true.
Compared trimmed and without case.
"""

from __future__ import annotations

#: Values that mean "missing".
PLACEHOLDERS = (
    "", "select", "-- select --", "--select--", "please select", "unknown", "n/a", "na", "n.a.",
    "-", "--", "---", "?", "null", "nan", "#n/a", "(blank)", "blank", "undefined",
    "not provided", "not specified", "not available", "--none--", "-none-", "none", "tbd",
    "unk", "keine angabe", "k.a.", "non renseigne", "non renseigné", "sin datos",
)
#: Yes and no in English, German, French, Spanish, Portuguese, Italian and Dutch exports.
YES = ("yes", "y", "true", "t", "1", "1.0", "x", "checked", "on", "ja", "j", "oui", "si",
       "sí", "sim", "wahr", "vrai", "verdadero", "vero")
NO = ("no", "n", "false", "f", "0", "0.0", "unchecked", "off", "nein", "non", "não",
      "nao", "nee", "falsch", "faux", "falso")

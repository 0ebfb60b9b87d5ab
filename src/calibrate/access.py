"""Who may use a hosted calibrate, and how much one session may upload: pure rules, no UI.

The app (``calibrate.ui.access``) reads the settings from ``.streamlit/secrets.toml`` and
applies these rules; keeping them here lets them be tested without Streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MB = 1024 * 1024


# ------------------------------------------------------------------------- who may sign in


@dataclass(frozen=True)
class AllowList:
    """E-mail addresses and domains allowed in; both empty means any signed-in user."""

    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @property
    def is_open(self) -> bool:
        return not self.emails and not self.domains


def _names(value: object, key: str) -> frozenset[str]:
    """A list of strings from the secrets (one string is a list of one), lower-cased."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable) or isinstance(value, dict) or not all(
            isinstance(v, str) for v in value):
        raise ValueError(f"[calibrate] {key} in .streamlit/secrets.toml must be a list of "
                         f'strings, e.g. {key} = ["...", "..."].')
    return frozenset(v.strip().lower() for v in value if v.strip())


def allow_list(emails: object = None, domains: object = None) -> AllowList:
    """The allow-list from the ``allowed_emails`` and ``allowed_domains`` settings.

    Domains may be written with or without a leading ``@``; a wrong type is a ValueError
    naming the key (the app then lets nobody in rather than everybody)."""
    return AllowList(_names(emails, "allowed_emails"),
                     frozenset(d.lstrip("@") for d in _names(domains, "allowed_domains")))


def email_allowed(email: object, allowed: AllowList, verified: object = None) -> bool:
    """True when a signed-in user with this e-mail may use the app.

    An open allow-list lets every signed-in user in (the identity provider decides who can
    sign in). Otherwise the address must be listed, or its domain (exactly: a subdomain is
    not its parent). An address the provider says is not verified (``email_verified`` is
    false) is refused, since anyone could have typed it."""
    if allowed.is_open:
        return True
    if not isinstance(email, str) or verified is False or verified == "false":
        return False
    address = email.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return False
    return address in allowed.emails or domain in allowed.domains


# --------------------------------------------------------------- what one session may upload


@dataclass(frozen=True)
class UploadBudget:
    """What one browser session may upload through the Data page (files kept on disk)."""

    files: int = 20
    megabytes: int = 1000


@dataclass(frozen=True)
class UploadUse:
    """What a session has uploaded so far."""

    files: int = 0
    bytes: int = 0

    def plus(self, size: int) -> UploadUse:
        return UploadUse(self.files + 1, self.bytes + size)


def budget_refusal(used: UploadUse, size: int, budget: UploadBudget) -> str | None:
    """Why one more upload of ``size`` bytes is refused, or None when it fits the budget."""
    fix = ("To load more, ask whoever runs calibrate to load the files from the command line "
           "(calibrate ingest), or to raise the limit ([calibrate] uploads_per_session and "
           "upload_mb_per_session in .streamlit/secrets.toml).")
    if used.files >= budget.files:
        files = f"{used.files} file{'s' if used.files != 1 else ''}"
        return f"This session has already uploaded {files}, the limit per session. {fix}"
    if used.bytes + size > budget.megabytes * MB:
        return (f"This file ({size / MB:,.1f} MB) would take this session's uploads to "
                f"{(used.bytes + size) / MB:,.0f} MB, over the {budget.megabytes:,} MB "
                f"allowed per session. {fix}")
    return None


def held_refusal(admitted: bool, held_files: int, held_bytes: int, size: int,
                 max_upload_mb: int) -> tuple[int, str] | None:
    """Why Streamlit's in-memory upload store should refuse a file, as (HTTP status, reason).

    A session that has not passed the gate may hold nothing; one that has may hold at most
    three files and twice the upload limit at once (the Data page's uploader keeps one file;
    the second covers a replacement arriving before the old one is removed)."""
    if not admitted:
        return 403, "Sign in (or enter the workshop passphrase) before uploading."
    if held_files >= 3 or held_bytes + size > 2 * max_upload_mb * MB:
        return 413, "This session already holds as many uploads as it may."
    return None

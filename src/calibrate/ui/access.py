"""Who may use the app: open (local run), a shared passphrase (a local room) or sign-in.

- Sign-in: an ``[auth]`` section in ``.streamlit/secrets.toml`` (Streamlit's OpenID Connect
  settings) makes every session sign in with ``st.login``; an optional allow-list
  (``allowed_emails``, ``allowed_domains`` under ``[calibrate]``) narrows who gets in.
  When sign-in is configured the passphrase is not asked: sign-in wins.
- Passphrase: ``passphrase`` in the secrets or ``CALIBRATE_PASSPHRASE``; compared in
  constant time (``hmac.compare_digest``).
- Neither: a local run asks for nothing.

The gate runs in the page script, so it guards the pages and what they do. It also keeps
sessions that have not passed it from holding uploads in Streamlit's upload store
(:func:`guard_upload_store`). Streamlit's other endpoints are outside any script: see the
README, "Access and hosting".
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

import streamlit as st

from calibrate import fmt
from calibrate.access import (
    AllowList,
    UploadBudget,
    allow_list,
    email_allowed,
    held_refusal,
)

ENV = "CALIBRATE_PASSPHRASE"


# ------------------------------------------------------------------------------- settings


def _secret(key: str) -> Any:
    """One top-level entry of ``.streamlit/secrets.toml``, or None."""
    try:
        return st.secrets.get(key)
    except Exception:  # no secrets.toml at all: Streamlit raises instead of returning None
        return None


def _settings() -> Mapping[str, Any]:
    """The ``[calibrate]`` table of the secrets (empty when absent)."""
    value = _secret("calibrate")
    return value if isinstance(value, Mapping) else {}


def configured_passphrase() -> str | None:
    """The shared passphrase, if one is set (environment first, then secrets)."""
    value = os.environ.get(ENV)
    if value:
        return value
    secret = _secret("passphrase")
    return str(secret) if secret else None


def sign_in_configured() -> bool:
    """True when the secrets have Streamlit's ``[auth]`` section (OpenID Connect sign-in)."""
    auth = _secret("auth")
    return isinstance(auth, Mapping) and bool(auth)


def configured_allow_list() -> AllowList:
    """``allowed_emails`` and ``allowed_domains`` from ``[calibrate]``; ValueError if malformed."""
    settings = _settings()
    return allow_list(settings.get("allowed_emails"), settings.get("allowed_domains"))


def upload_budget() -> UploadBudget:
    """What one session may upload: ``uploads_per_session`` and ``upload_mb_per_session``
    under ``[calibrate]``, else the defaults (a malformed value falls back to the default)."""
    settings, default = _settings(), UploadBudget()

    def whole(key: str, fallback: int) -> int:
        value = settings.get(key)
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return value if ok else fallback

    return UploadBudget(whole("uploads_per_session", default.files),
                        whole("upload_mb_per_session", default.megabytes))


def check(given: str, expected: str) -> bool:
    """Constant-time comparison of the passphrase typed with the one configured."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


# ---------------------------------------------------------------------------------- gate


def _logged_in() -> bool:
    return st.user.get("is_logged_in") is True


def gate() -> bool:
    """True when the session may proceed; otherwise the sign-in or passphrase screen is
    shown (and nothing else: no pages, no uploader), and uploads the session holds are
    dropped."""
    guard_upload_store()
    if sign_in_configured():
        passed = _sign_in_gate()
    elif (expected := configured_passphrase()) is not None:
        passed = _passphrase_gate(expected)
    else:
        passed = True
    _admit(passed)
    if not passed:
        drop_session_uploads()
    return passed


def _sign_in_gate() -> bool:
    if not _logged_in():
        st.title("calibrate")
        st.write("Sign in to use this workshop's calibrate.")
        if st.button("Log in", type="primary", key="login"):
            st.login()
        return False
    email = st.user.get("email")
    try:
        allowed = configured_allow_list()
    except ValueError as exc:  # a malformed list lets nobody in, never everybody
        st.title("calibrate")
        st.error(f"{exc} Until it is fixed nobody can use the app.")
        return False
    if email_allowed(email, allowed, st.user.get("email_verified")):
        return True
    st.title("calibrate")
    who = fmt.md(email) if isinstance(email, str) and email else "This account"
    st.error(f"{who} is not on this workshop's list of participants. Log out and sign in "
             "with another account, or ask the workshop host to add you.")
    if st.button("Log out", key="logout_refused"):
        st.logout()
    return False


def _passphrase_gate(expected: str) -> bool:
    if st.session_state.get("access_granted"):
        return True
    st.title("calibrate")
    with st.form("access"):
        given = st.text_input("Workshop passphrase", type="password", key="passphrase_input")
        submitted = st.form_submit_button("Enter")
    if submitted:
        if check(given, expected):
            st.session_state["access_granted"] = True
            st.rerun()
        st.error("That passphrase is not right. Ask the workshop host for it.")
    return False


def account() -> None:
    """In the sidebar, when sign-in is on: who is signed in and a Log out button."""
    if not sign_in_configured() or not _logged_in():
        return
    who = st.user.get("email") or st.user.get("name") or "signed in"
    with st.sidebar:
        st.caption(f"Signed in as {fmt.md(who)}")
        if st.button("Log out", key="logout", type="tertiary"):
            st.logout()


# ------------------------------------------------------------- Streamlit's upload store
#
# INTERNAL: the functions below reach into Streamlit's runtime (``ScriptRunContext``'s
# ``uploaded_file_mgr``, ``runtime.get_instance()``, ``MemoryUploadedFileManager``'s
# ``add_file`` and ``file_storage``), which are not public API (checked on Streamlit
# 1.67). Each degrades to doing nothing when they are missing or shaped differently.

_admitted: set[str] = set()
_admitted_lock = threading.Lock()
_guard_warned = False


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return getattr(ctx, "session_id", None)


def _admit(passed: bool) -> None:
    """Record whether this session passed the gate in its latest run (the upload store's
    guard reads it); sessions that have ended are forgotten now and then."""
    session = _session_id()
    if session is None:
        return
    with _admitted_lock:
        if passed:
            _admitted.add(session)
        else:
            _admitted.discard(session)
        if len(_admitted) > 256:
            try:
                from streamlit import runtime

                live = runtime.get_instance().is_active_session
                _admitted.intersection_update({s for s in _admitted if live(s)})
            except Exception:  # internal API missing: keep the set as it is
                pass


def is_admitted(session_id: str) -> bool:
    """Whether that session passed the gate in its latest script run."""
    with _admitted_lock:
        return session_id in _admitted


def drop_session_uploads() -> int:
    """Remove every file this session holds in Streamlit's upload store; how many."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        manager = ctx.uploaded_file_mgr  # type: ignore[union-attr]
        held = len(getattr(manager, "file_storage", {}).get(ctx.session_id, {}))
        manager.remove_session_files(ctx.session_id)  # type: ignore[union-attr]
        return held
    except Exception:  # no script context or no such API: nothing to drop
        return 0


def guard_upload_store() -> bool:
    """Make Streamlit's upload endpoint refuse files for sessions that have not passed the
    gate, and cap what a session that has may hold (``calibrate.access.held_refusal``).

    Streamlit accepts ``PUT /_stcore/upload_file/<session>/<id>`` from any live session and
    keeps the bytes in memory until the session ends, whatever the script does. Wrapping the
    store's ``add_file`` refuses them as they arrive (403, or 413 over the cap), so they are
    freed with the request. Installed once per process, at the first script run; True when
    the guard is in place."""
    try:
        from streamlit import runtime
        from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

        manager = runtime.get_instance().uploaded_file_mgr
        usable = isinstance(manager, MemoryUploadedFileManager) and hasattr(manager, "add_file")
    except Exception:  # no runtime (bare mode) or the internal API moved
        usable = False
    if not usable:
        global _guard_warned
        if not _guard_warned and not st.get_option("global.appTest"):
            _guard_warned = True
            logging.getLogger(__name__).warning(
                "calibrate could not guard Streamlit's upload store (its internals changed): "
                "sessions that have not passed the gate can upload directly. Put the app "
                "behind a reverse proxy with sign-in (README, 'Access and hosting').")
        return False
    if getattr(manager, "_calibrate_guarded", False):
        return True
    store_add = manager.add_file

    def add_file(session_id: str, file: Any) -> None:
        held = dict(getattr(manager, "file_storage", {}).get(session_id, {}))
        held.pop(file.file_id, None)  # the same file sent again replaces itself
        refusal = held_refusal(is_admitted(session_id), len(held),
                               sum(len(f.data) for f in held.values()), len(file.data),
                               int(st.get_option("server.maxUploadSize")))
        if refusal is not None:
            try:
                from starlette.exceptions import HTTPException
            except ImportError:  # pragma: no cover - Streamlit's server is Starlette
                raise PermissionError(refusal[1]) from None
            raise HTTPException(status_code=refusal[0], detail=refusal[1])
        store_add(session_id, file)

    manager.add_file = add_file  # type: ignore[method-assign]
    manager._calibrate_guarded = True  # type: ignore[attr-defined]
    return True

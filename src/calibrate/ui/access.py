"""Optional access control for a hosted workshop: one shared passphrase.

Off unless a passphrase is configured (``passphrase`` in ``.streamlit/secrets.toml`` or the
``CALIBRATE_PASSPHRASE`` environment variable), so a local run asks for nothing. The check
is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hmac
import os

import streamlit as st

ENV = "CALIBRATE_PASSPHRASE"


def configured_passphrase() -> str | None:
    """The shared passphrase, if one is set (environment first, then secrets)."""
    value = os.environ.get(ENV)
    if value:
        return value
    try:
        secret = st.secrets.get("passphrase")
    except Exception:  # no secrets.toml at all: Streamlit raises instead of returning None
        secret = None
    return str(secret) if secret else None


def check(given: str, expected: str) -> bool:
    """Constant-time comparison of the passphrase typed with the one configured."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def gate() -> bool:
    """Ask for the passphrase when one is configured; True when the session may proceed."""
    expected = configured_passphrase()
    if expected is None or st.session_state.get("access_granted"):
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

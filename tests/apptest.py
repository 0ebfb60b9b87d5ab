"""Running one page of the app under streamlit's AppTest (no browser)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

TIMEOUT = 120


def page(name: str, charts: bool = False, first_view: bool = False) -> AppTest:
    """An AppTest of ``calibrate.ui.<name>.render()``, already run once, as a later view of
    the page (which draws all of it: ``calibrate.ui.state.rest_ready``) unless
    ``first_view``; with ``charts``, a later view of the session, which draws its charts at
    once (a first view holds them back: ``calibrate.ui.state.charts_ready``)."""
    from calibrate.ui import state

    at = AppTest.from_string(f"from calibrate.ui import {name}\n{name}.render()\n",
                             default_timeout=TIMEOUT)
    if charts:
        at.session_state[state.CHARTS] = True
    if not first_view:
        at.session_state[state.view_flag(name)] = True
    at.run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    """No traceback on the page."""
    assert not at.exception, [e.value for e in at.exception]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)

"""calibrate's Streamlit app: wires the pages in calibrate.ui; all logic lives in calibrate.

``streamlit run app.py`` does two things with this file. It imports it once to find the
app to serve: ``app`` below, an ``st.App`` whose start-up (its lifespan) opens what the
first screen needs before the server answers (:mod:`calibrate.ui.serve`). Then it runs
this file as the script of every page view, with ``__name__`` set to ``"__main__"``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import streamlit as st


def lazy(module: str) -> Callable[[], None]:
    """A page that imports its module on its first view: a run imports only the pages it
    shows (the Data page's ingest modules alone take about a second)."""
    def render() -> None:
        importlib.import_module(f"calibrate.ui.{module}").render()

    render.__name__ = render.__qualname__ = module
    return render


def main() -> None:
    from calibrate.ui import access, sidebar, thresholds

    st.set_page_config(page_title="calibrate", page_icon=":material/tune:", layout="wide")
    if not access.gate():
        st.stop()
    thresholds.keep_state()  # the workshop's sliders survive a visit to another page
    # Streamlit serves the default page at the root URL only (its url_path is not a URL),
    # so the workshop lives at "/" and a hidden page answers "/thresholds" by switching to
    # it.
    workshop = thresholds.page()
    alias = st.Page(thresholds.render, title="Thresholds", url_path="thresholds",
                    visibility="hidden")
    presenting = st.Page(lazy("present"), title="Present", icon=":material/slideshow:",
                         url_path="present")
    page = st.navigation([
        workshop,
        presenting,
        st.Page(lazy("weights"), title="Weights", icon=":material/balance:",
                url_path="weights"),
        st.Page(lazy("data"), title="Data", icon=":material/table:", url_path="data"),
        st.Page(lazy("scenarios"), title="Scenarios", icon=":material/compare:",
                url_path="scenarios"),
        st.Page(lazy("export"), title="Export", icon=":material/download:",
                url_path="export"),
        st.Page(lazy("room"), title="Room", icon=":material/groups:", url_path="room"),
        st.Page(lazy("health"), title="Health", icon=":material/monitor_heart:",
                url_path="health"),
        alias,
    ])
    if page is alias:
        st.switch_page(workshop, query_params=st.query_params.to_dict())
    # The big screen starts with the sidebar folded away (its arrow opens it); the other
    # pages with it open, as on any wide screen ("auto"; a sidebar the user folded or
    # opened stays so).
    st.set_page_config(initial_sidebar_state="collapsed" if page is presenting else "auto")
    sidebar.render()
    access.account()  # who is signed in, and Log out (only when sign-in is on)
    page.run()


if __name__ == "__main__":  # a page view: Streamlit runs this file as its script
    main()
else:  # `streamlit run app.py` imports this file to find the app it serves
    from calibrate.ui import serve

    app = st.App(__file__, lifespan=serve.lifespan)

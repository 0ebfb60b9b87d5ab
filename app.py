"""calibrate's Streamlit app: wires the pages in calibrate.ui; all logic lives in calibrate."""

import streamlit as st

from calibrate.ui import access, data, export, present, scenarios, sidebar, thresholds, weights
from calibrate.ui import health as health_page
from calibrate.ui import room as workshop_room

st.set_page_config(page_title="calibrate", page_icon=":material/tune:", layout="wide")
if not access.gate():
    st.stop()
thresholds.keep_state()  # the workshop's sliders survive a visit to another page
# Streamlit serves the default page at the root URL only (its url_path is not a URL), so
# the workshop lives at "/" and a hidden page answers "/thresholds" by switching to it.
workshop = st.Page(thresholds.render, title="Thresholds", icon=":material/tune:",
                   url_path="workshop", default=True)
alias = st.Page(thresholds.render, title="Thresholds", url_path="thresholds",
                visibility="hidden")
presenting = st.Page(present.render, title="Present", icon=":material/slideshow:",
                     url_path="present")
page = st.navigation([
    workshop,
    presenting,
    st.Page(weights.render, title="Weights", icon=":material/balance:", url_path="weights"),
    st.Page(data.render, title="Data", icon=":material/table:", url_path="data"),
    st.Page(scenarios.render, title="Scenarios", icon=":material/compare:",
            url_path="scenarios"),
    st.Page(export.render, title="Export", icon=":material/download:", url_path="export"),
    st.Page(workshop_room.render, title="Room", icon=":material/groups:", url_path="room"),
    st.Page(health_page.render, title="Health", icon=":material/monitor_heart:", url_path="health"),
    alias,
])
if page is alias:
    st.switch_page(workshop, query_params=st.query_params.to_dict())
# The big screen starts with the sidebar folded away (its arrow opens it); the other pages
# with it open, as on any wide screen ("auto"; a sidebar the user folded or opened stays so).
st.set_page_config(initial_sidebar_state="collapsed" if page is presenting else "auto")
sidebar.render()
access.account()  # who is signed in, and Log out (only when sign-in is on)
page.run()

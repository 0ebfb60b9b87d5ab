"""The start-up benchmark's peer: bare Streamlit pages with only what the app's start-up is
timed to (issue 19), the first MQL figure at ``/`` and a points table at ``/weights``.
Served and timed exactly as the app is, it measures what Streamlit and the browser take on
this machine before any of calibrate's work."""

import pandas as pd
import streamlit as st


def thresholds() -> None:
    st.title("Thresholds: what is a sales-ready lead?")
    st.metric("MQLs per month", "156")


def weights() -> None:
    st.title("Weights")
    st.dataframe(pd.DataFrame({"Attribute": [f"attribute {i // 4}" for i in range(60)],
                               "Level": [f"level {i % 4}" for i in range(60)],
                               "Points": [float(i % 25) for i in range(60)]}))


st.set_page_config(page_title="calibrate", layout="wide")
st.navigation([st.Page(thresholds, title="Thresholds", default=True),
               st.Page(weights, title="Weights", url_path="weights")]).run()

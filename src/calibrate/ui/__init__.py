"""Streamlit pages: they read from ``calibrate`` and draw; no figure is computed here."""

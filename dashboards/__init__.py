"""Streamlit dashboard over the harness results store (reads files only; no strategy code)."""

"""harness dashboard: `harness dashboard RESULTS` or
`streamlit run dashboards/app.py -- --results RESULTS` (also: HARNESS_RESULTS=RESULTS).

A thin router: the sidebar picks a suite and a run (dashboards.ui), st.navigation runs one of
the page scripts below. Reads the results store only; never imports strategy code or torch.
Pages by URL: / (Decision), /leaderboard, /tradeoffs, /sweeps, /examples, /safety, /compare.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `dashboards` importable whatever the working directory
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboards import ui  # noqa: E402

HERE = Path(__file__).resolve().parent
PAGES = [  # (file, title, url path, icon)
    ("page_decision.py", "Decision", "decision", ":material/gavel:"),
    ("page_leaderboard.py", "Leaderboard", "leaderboard", ":material/leaderboard:"),
    ("page_tradeoffs.py", "Tradeoffs", "tradeoffs", ":material/scatter_plot:"),
    ("page_sweeps.py", "Sweeps", "sweeps", ":material/tune:"),
    ("page_examples.py", "Examples", "examples", ":material/list_alt:"),
    ("page_safety.py", "Safety", "safety", ":material/shield:"),
    ("page_compare.py", "Compare runs", "compare", ":material/compare_arrows:"),
]

st.set_page_config(page_title="harness dashboard", page_icon=":material/analytics:",
                   layout="wide")
nav = st.navigation([st.Page(HERE / f, title=t, url_path=u, icon=i, default=(k == 0))
                     for k, (f, t, u, i) in enumerate(PAGES)])
with ui.section("sidebar"):
    ui.sidebar(ui.results_root())
with ui.section(nav.title):
    nav.run()

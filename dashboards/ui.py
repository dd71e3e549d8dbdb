"""Streamlit glue shared by the pages: where the results are, the sidebar, cached loading, guards.

Contract:
- `results_root()`: `--results PATH` after `--` on the streamlit command line, else the
  HARNESS_RESULTS environment variable, else ./results. Never taken from the URL.
- `sidebar(root)` draws the suite and run pickers (bound to the `suite` and `run` query
  parameters, default: the suite's LATEST run) and stores the choice for the pages.
- `current_run()` gives the chosen `load.Run`, or shows a helpful st.info and stops the page.
- `section(title)` is a context manager: an unexpected error inside shows st.error with a short
  message instead of a traceback, and the rest of the page still draws.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from pathlib import Path

import streamlit as st

from dashboards import load
from dashboards.fmt import md

CTX = "_harness_ctx"


def results_root() -> Path:
    ap = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    ap.add_argument("--results")
    ns, _ = ap.parse_known_args(sys.argv[1:])
    raw = ns.results or os.environ.get("HARNESS_RESULTS") or "results"
    return Path(raw).expanduser().resolve()


def _sig(path: Path) -> tuple:
    """Changes whenever a run's files change, so cached loads refresh during a live run."""
    files = [path, path / "strategies", path / "summary.json", path / "decision.json",
             path / "suite.resolved.json", *sorted((path / "strategies").glob("*/metrics.json"))]
    return tuple((str(p), _file_sig(p)) for p in files)


@st.cache_data(show_spinner=False, max_entries=64)
def _load_run(run_dir: str, sig: tuple) -> load.Run:
    return load.load_run(Path(run_dir))


def get_run(run_dir: Path) -> load.Run:
    return _load_run(str(run_dir), _sig(run_dir))


def _file_sig(path: Path):
    try:
        s = path.stat()
        return (s.st_mtime_ns, s.st_size)
    except OSError:
        return None


@st.cache_data(show_spinner=False, max_entries=256)
def _rows(path: str, sig) -> list[dict]:
    return load.read_jsonl(Path(path))


def rows(run: load.Run, strategy: str, file: str) -> list[dict]:
    """predictions.jsonl / safety.jsonl rows of one strategy (cached by file mtime)."""
    p = run.strategy_dir(strategy) / file
    return _rows(str(p), _file_sig(p))


def sidebar(root: Path) -> None:
    """Suite and run pickers; stores {root, suite_dir, runs, run} for the pages."""
    ctx = {"root": root, "suites": {}, "suite_dir": None, "runs": [], "run": None}
    st.session_state[CTX] = ctx
    with st.sidebar:
        st.caption("Results folder")
        st.code(str(root), language=None, wrap_lines=True)
        suites = load.find_suites(root)
        ctx["suites"] = suites
        if not suites:
            return
        names = list(suites)
        suite = st.selectbox("Suite", names, key="suite", bind="query-params",
                             on_change=lambda: st.session_state.pop("run", None))
        ctx["suite_dir"] = suites.get(suite, suites[names[0]])
        runs = load.find_runs(ctx["suite_dir"])
        ctx["runs"] = runs
        if not runs:
            return
        latest = load.latest_run_id(ctx["suite_dir"])
        labels = {r: run_label(ctx["suite_dir"], r, latest) for r in runs}
        rid = st.selectbox("Run", runs, key="run", bind="query-params",
                           format_func=lambda r: labels.get(r, r),
                           help="Default: the suite's LATEST run")
        if rid not in runs:
            rid = runs[0]
        run = get_run(ctx["suite_dir"] / rid)
        ctx["run"] = run
        done = f"{len(run.results)}/{max(len(run.expected), len(run.results))} strategies"
        kind = "subset" if run.subset else "complete" if run.complete else "partial"
        st.caption(f"{kind} run · {done}")


def run_label(suite_dir: Path, rid: str, latest: str | None) -> str:
    r = get_run(suite_dir / rid)
    tag = " (latest)" if rid == latest else ""
    state = " · subset" if r.subset else "" if r.complete else " · partial"
    return f"{rid}{tag}{state}"


def ctx() -> dict:
    return st.session_state.get(CTX) or {"root": results_root(), "suites": {}, "runs": [],
                                         "suite_dir": None, "run": None}


def current_run() -> load.Run:
    """The chosen run, or a helpful message and stop."""
    c = ctx()
    if not c["root"].is_dir():
        st.info(f"The results folder {md(c['root'])} does not exist. Run a suite first, e.g. "
                "`harness run suites/support_bot.yaml --results results`, then open "
                "`harness dashboard results`.")
        st.stop()
    if not c["suites"]:
        st.info(f"No runs found in {md(c['root'])}. Each run is stored as "
                "`<results>/<suite>/<run_id>/`; run a suite first with "
                "`harness run SUITE.yaml --results <results>`.")
        st.stop()
    run = c["run"]
    if run is None:
        st.info("This suite has no runs yet: run it with `harness run SUITE.yaml`.")
        st.stop()
    if not run.results:
        st.info(f"Run {md(run.run_id)} has no finished strategy yet (no strategies/*/metrics.json). "
                "If the run is in progress, reload this page in a while.")
        st.stop()
    return run


def partial_note(run: load.Run) -> None:
    if run.subset:
        st.warning(f"Subset run (`harness run --strategies/--skip`): only "
                   f"{md(', '.join(run.subset.get('strategies') or []))} were run; skipped: "
                   f"{md(', '.join(run.subset.get('skipped') or []))}. Not a full comparison.")
    elif not run.complete:
        missing = ", ".join(run.missing) or "unknown"
        st.info(f"Partial run: showing the {len(run.results)} finished strateg"
                f"{'y' if len(run.results) == 1 else 'ies'} only; not finished yet: {md(missing)}.")


@contextlib.contextmanager
def section(title: str | None = None):
    """Draw a part of a page; an unexpected error becomes one st.error line."""
    try:
        yield
    except Exception as e:  # Streamlit's stop/rerun are BaseException and pass through
        traceback.print_exc()
        where = f" ({title})" if title else ""
        st.error(f"Could not draw this part{md(where)}: {type(e).__name__}: {md(str(e)[:300])}")


def header(title: str, run: load.Run | None = None) -> None:
    st.title(title)
    if run is not None:
        st.caption(f"suite {md(run.suite_name)} · run {md(run.run_id)}")

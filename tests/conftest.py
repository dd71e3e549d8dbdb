"""Shared fixtures: the real embedded model, loaded once per test session, and a tiny suite.

Tests marked `ci_required` (the real-browser test, the two-worker PostgreSQL test) skip on a
machine that lacks what they need, except in CI (CI=true): there a skip is reported as a failure
that names the missing piece, so CI cannot go green without them having run.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # under pytest-xdist (pyproject addopts: one worker per core) each worker and the harness
    # subprocesses it starts use one torch thread: two 2-thread processes on 2 cores contend
    os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny" / "suite.yaml"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def pytest_configure(config):
    config.addinivalue_line("markers", "ci_required: must run in CI (CI=true): a skip fails there")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and in_ci() and item.get_closest_marker("ci_required") is not None:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = (f"CI=true: {item.nodeid} must run in CI, but it would have been skipped: "
                        f"{reason.removeprefix('Skipped: ')}")


@pytest.fixture(scope="session")
def backend():
    from harness.backends.hf import HFBackend
    from harness.config.suite import Model
    return HFBackend(Model(max_new_tokens=16, batch_size=4))


@pytest.fixture(scope="session")
def tiny_suite():
    from harness.config.suite import load_suite
    return load_suite(TINY)


@pytest.fixture(scope="session")
def tiny_data(tiny_suite):
    from harness.data.dataset import load_dataset
    return load_dataset(tiny_suite)

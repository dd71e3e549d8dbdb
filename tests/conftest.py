"""Shared fixtures: the real embedded model, loaded once per test session, and a tiny suite."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny" / "suite.yaml"


@pytest.fixture(scope="session")
def backend():
    from harness.backends.hf import HFBackend
    from harness.suite import Model
    return HFBackend(Model(max_new_tokens=16, batch_size=4))


@pytest.fixture(scope="session")
def tiny_suite():
    from harness.suite import load_suite
    return load_suite(TINY)


@pytest.fixture(scope="session")
def tiny_data(tiny_suite):
    from harness.data import load_dataset
    return load_dataset(tiny_suite)

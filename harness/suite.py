"""Moved to harness.config.suite: kept only for harness/backends/hf.py and openai_backend.py,
which import Model and Pricing from here (delete this file once they import harness.config.suite)."""
from harness.config.suite import Model, Pricing  # noqa: F401

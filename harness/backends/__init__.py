"""Model backends (see `base.ModelBackend`) and the one factory that builds them.

Contract: `build(model_cfg, pricing=None)` returns the backend named by `model_cfg.backend`
(harness.registry.BACKENDS; a test may register a stand-in there), loaded and ready: the local
model is loaded (hf), or the API key variable read (openai; a missing one is a `UserError`).
Backend classes whose `prices_tokens` is true are given the suite's `pricing` (token prices);
the others are built from the model config alone. Runner, sweep, serve and judge all build
their backends here.
"""
from __future__ import annotations


def build(model_cfg, pricing=None):
    from harness.registry import BACKENDS
    cls = BACKENDS[model_cfg.backend]
    return cls(model_cfg, pricing) if getattr(cls, "prices_tokens", False) else cls(model_cfg)

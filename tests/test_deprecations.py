"""No deprecation warning from our own calls into transformers, peft or torch.

A future `pip install` (pyproject.toml sets no upper bounds) removes what is deprecated today,
so a deprecated call of ours would break generation or training on a fresh machine. On the real
embedded model this drives our generation loop (with a shared prefix), the `generate` fallback,
a LoRA training step with a shared prefix split over micro-batches, an attached and a merged
adapter, and records every warning and every transformers/peft/torch log record with the call
that led to it: the frame just outside the package that emitted it. The test fails when that
caller is our code (harness/, strategies/) and the message says deprecated / removed. A
deprecated call one library makes of another (peft asking transformers for
`is_gradient_checkpointing`) is not ours to fix, and does not fail it.
"""
from __future__ import annotations

import logging
import re
import traceback
import warnings
from pathlib import Path

import pytest

from harness.backends.base import Request
from harness.config.suite import LoraKnobs, TrainingKnobs
from harness.data.prompting import build_messages

ROOT = Path(__file__).resolve().parents[1]
OURS = (str(ROOT / "harness"), str(ROOT / "strategies"))
DEPRECATED = re.compile(r"deprecat|will be removed|no longer supported|is removed", re.I)
SYSTEM = ("You are the support assistant of Northpeak. Answer in one short sentence. Plans: "
          "Free, Team ($12 per seat), Enterprise (from 50 seats).")


def _package(filename: str) -> str:
    if filename.startswith(OURS):
        return "ours"
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    return filename  # the standard library, this file: each its own


SKIP = ("logging", "warnings.py", "traceback.py", __file__)


def _ours(stack) -> str | None:
    """'file:line' of the call that led into the emitting package, when that call is ours."""
    frames = [f for f in reversed(stack) if not any(s in f.filename for s in SKIP)]
    emitter = _package(frames[0].filename)
    caller = next((f for f in frames if _package(f.filename) != emitter), None)
    if emitter != "ours" and caller is not None and _package(caller.filename) == "ours":
        return f"{Path(caller.filename).relative_to(ROOT)}:{caller.lineno}"
    return None


class _Recorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.seen: list[tuple[str, str | None]] = []

    def emit(self, record):  # called synchronously by the library: the stack is the caller's
        self.seen.append((record.getMessage(), _ours(traceback.extract_stack())))


@pytest.fixture
def recorded():
    """Everything warned or logged at WARNING by transformers/peft while the block runs."""
    import transformers
    rec = _Recorder()
    loggers = [logging.getLogger(n) for n in ("transformers", "peft", "torch")]
    old = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_warning()  # what the CLI's TRANSFORMERS_VERBOSITY hides
    for lg in loggers:
        lg.addHandler(rec)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = lambda msg, cat, *a, **k: rec.seen.append(
            (f"{cat.__name__}: {msg}", _ours(traceback.extract_stack())))
        yield rec
    for lg in loggers:
        lg.removeHandler(rec)
    transformers.logging.set_verbosity(old)


def test_generation_and_training_make_no_deprecated_call(backend, recorded, tmp_path,
                                                          monkeypatch):
    from harness.backends.hf import HFBackend
    from harness.training.training import train_lora
    import harness.training.training as training
    reqs = [Request(build_messages(SYSTEM, q), max_new_tokens=6)
            for q in ("How much is Team?", "Is there a free plan?", "Hi")]
    backend.generate(reqs)                                         # our greedy loop
    with monkeypatch.context() as m:
        m.setattr(HFBackend, "_static_cache_ok", lambda self: False)
        backend.generate(reqs)                                     # transformers' generate
    pairs = [(build_messages(SYSTEM, q), a) for q, a in
             [("Team price?", "$12 per seat."), ("Free plan?", "Yes, Free."),
              ("Enterprise?", "From 50 seats."), ("Plans?", "Free, Team, Enterprise.")]]
    monkeypatch.setattr(training, "MICRO_BATCH_TOKENS", 16)  # several micro-batches: StepPrefix
    train_lora(backend, pairs, LoraKnobs(r=4, lora_alpha=8),
               TrainingKnobs(max_steps=1, per_device_train_batch_size=4), tmp_path / "a")
    for merged in (False, True):
        with backend.adapter(tmp_path / "a", merged=merged) as b:
            b.generate(reqs[:1])
    ours = [(msg, at) for msg, at in recorded.seen if at and DEPRECATED.search(msg)]
    assert not ours, "deprecated calls of ours:\n" + "\n".join(f"{at}: {m}" for m, at in ours)

"""Forgetting canary: does a trained model still know what the base model knew?

Contract:
- `canary_scores(backend, limit=None, batch_size=16)` runs the shipped lm-eval task
  `harness/training/canary/general_knowledge.yaml` (48 general-knowledge multiple-choice items written for
  this project, scored by log-likelihood) through lm-eval's `HFLM` wrapped around the module the
  hf backend generates with now (`active_model`; lm-eval accepts a model object): the base model,
  or a strategy's trained weights when called inside `strategy.served(backend)` (an attached
  adapter, a fine-tuned copy). The base model is never loaded a second time. Returns {"acc":
  Estimate-dict, "items": {doc id: 0/1}, "seconds": wall time}. Local data only: no hub access
  is attempted.
- `canary_drop(base, adapted, seed, what="adapter")` is the paired difference base - trained
  model over the same items (positive = it forgot something) with a paired-bootstrap 95%
  interval and p-value; `what` names the trained model in the unit.
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from contextlib import contextmanager, redirect_stderr
from pathlib import Path

import yaml

from harness.evaluation.stats import ci, paired_bootstrap

TASK_DIR = Path(__file__).parent / "canary"
TASK_YAML = TASK_DIR / "general_knowledge.yaml"


def task_config() -> dict:
    """The shipped task YAML with its data file resolved next to it (lm-eval would resolve a
    relative `data_files` against the working directory)."""
    cfg = yaml.safe_load(TASK_YAML.read_text(encoding="utf-8"))
    files = cfg["dataset_kwargs"]["data_files"]
    cfg["dataset_kwargs"]["data_files"] = {k: str(TASK_DIR / v) for k, v in files.items()}
    return cfg


@contextmanager
def _fd2_to(sink: io.StringIO):
    """Point file descriptor 2 at a temporary file for the block; append what landed there to
    `sink` afterwards (subprocesses inherit fd 2, so their stderr is caught too)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            sink.write(tmp.read().decode("utf-8", "replace"))


def canary_scores(backend, limit: int | None = None, batch_size: int = 16) -> dict:
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # the task's data is local; never the hub
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM

    t0 = time.perf_counter()
    # lm-eval's own tqdm bars would cut through harness's progress display; it passes tqdm's
    # `disable` explicitly, so the CLI's library silencing (TQDM_DISABLE etc.) cannot reach them.
    # It also asks `git describe` in a subprocess, whose "fatal: not a git repository" goes to
    # file descriptor 2 itself, past sys.stderr: both are captured (fd level) and shown only
    # when the canary fails.
    noise = io.StringIO()
    try:
        with redirect_stderr(noise), _fd2_to(noise):
            lm = HFLM(pretrained=backend.active_model, tokenizer=backend.tokenizer,
                      batch_size=batch_size)
            cfg = task_config()
            res = simple_evaluate(model=lm, tasks=[cfg], limit=limit, log_samples=True,
                                  bootstrap_iters=0, random_seed=0, numpy_random_seed=0,
                                  torch_random_seed=0, fewshot_random_seed=0)
    except BaseException:
        sys.stderr.write(noise.getvalue())  # what lm-eval said is context for the failure
        raise
    items = {s["doc"]["id"]: float(s["acc"]) for s in res["samples"][cfg["task"]]}
    return {"acc": ci(list(items.values())).to_dict() | {"unit": "fraction correct"},
            "items": items, "seconds": time.perf_counter() - t0}


def canary_drop(base: dict, adapted: dict, seed: int = 0, what: str = "adapter") -> dict:
    c = paired_bootstrap(base["items"], adapted["items"], seed)
    if c is None:
        return {"value": None, "low": None, "high": None, "n": 0, "unit": "accuracy points (0-1)"}
    return {"value": c.diff, "low": c.low, "high": c.high, "n": c.n, "p_value": c.p_value,
            "significant": c.significant,
            "unit": f"accuracy drop, base - {what} (0-1; > 0 means forgetting)"}

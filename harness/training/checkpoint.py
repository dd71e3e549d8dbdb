"""Training checkpoints and the finished adapter (or model), crash-safe and pickle-free.

Contract (`Checkpointer(out_dir, fingerprint, save_steps)`, used by `harness.training.training`):
- Every `save_steps` optimizer steps (0: never) `step_done` writes
  `<out_dir>-checkpoints/step-NNNNNN/`: `weights.safetensors` (the trainable tensors),
  `state.safetensors` (optimizer tensors, torch RNG) and `trainer_state.json` (step, scheduler,
  Python RNG, the remaining batch queue, losses/tokens/seconds so far, optimizer scalars). The
  folder is written under a temporary name, fsync'd and renamed, so a folder that exists is
  complete; only the newest is kept. `torch.save` is not used: it pickles.
- `restore(model, opt, sched, rng)` loads the newest checkpoint whose fingerprint matches (same
  data, knobs and seed) and returns its JSON state, or None; training then continues bit for bit
  as if never interrupted (same dropout masks, batch order and optimizer moments).
- `save_trained(model, result)` writes `model.save_pretrained` (a peft model: the adapter only;
  a plain model: its config and weights) plus `harness_train.json` (fingerprint and the training
  result) to a temporary folder and renames it to `out_dir`, then drops the checkpoints.
  `finished()` returns that stored result when `out_dir` already holds what the same training
  saved, so a finished training is never redone.
- `step_done` also counts the step in `harness.run.journal` and honours its kill switch
  (`train_step:N`, after step N and its checkpoint).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from harness.run import journal


def fingerprint(*parts) -> str:
    """Hash of everything that determines the training (knobs, seed, token ids)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _fsync_tree(folder: Path) -> None:
    for p in folder.iterdir():
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(tmp: Path, dest: Path) -> None:
    """Rename a fully written temporary folder to `dest` (replacing an older one)."""
    _fsync_tree(tmp)
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(tmp, dest)
    _fsync_tree(dest.parent)


class Checkpointer:
    def __init__(self, out_dir: Path, fingerprint: str, save_steps: int):
        self.out_dir, self.fp, self.save_steps = Path(out_dir), fingerprint, save_steps
        self.root = self.out_dir.with_name(self.out_dir.name + "-checkpoints")

    # -- the finished adapter or model -------------------------------------------------------
    def finished(self) -> dict | None:
        try:
            rec = json.loads((self.out_dir / "harness_train.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return rec["result"] if rec.get("fingerprint") == self.fp else None

    def save_trained(self, model, result) -> None:
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.out_dir.parent.glob(f".tmp-{self.out_dir.name}-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a process killed mid-save
        tmp = Path(tempfile.mkdtemp(dir=self.out_dir.parent, prefix=f".tmp-{self.out_dir.name}-"))
        model.save_pretrained(str(tmp))  # safetensors; a peft model saves its adapter only
        (tmp / "harness_train.json").write_text(json.dumps(
            {"fingerprint": self.fp, "result": dataclasses.asdict(result)}), encoding="utf-8")
        _publish(tmp, self.out_dir)
        shutil.rmtree(self.root, ignore_errors=True)

    # -- checkpoints ------------------------------------------------------------------------
    def _newest(self) -> Path | None:
        steps = sorted(self.root.glob("step-*")) if self.root.is_dir() else []
        return steps[-1] if steps else None

    def restore(self, model, opt, sched, rng) -> dict | None:
        for stale in self.root.glob(".tmp-*") if self.root.is_dir() else []:
            shutil.rmtree(stale, ignore_errors=True)  # left by a process killed mid-save
        ck = self._newest()
        if ck is None:
            return None
        try:
            state = json.loads((ck / "trainer_state.json").read_text(encoding="utf-8"))
            weights, tensors = load_file(ck / "weights.safetensors"), load_file(ck / "state.safetensors")
        except (OSError, ValueError):
            return None
        if state.get("fingerprint") != self.fp:
            return None
        with torch.no_grad():
            for name, p in model.named_parameters():
                if p.requires_grad:
                    p.copy_(weights[name])
        opt_state: dict = {}
        for key, v in tensors.items():
            if key.startswith("opt."):
                i, k = key[4:].split(".", 1)
                opt_state.setdefault(int(i), {})[k] = v
        for key, v in state["optimizer_scalars"].items():
            i, k = key.split(".", 1)
            opt_state.setdefault(int(i), {})[k] = v
        opt.load_state_dict({"state": opt_state, "param_groups": state["optimizer_param_groups"]})
        sched.load_state_dict(state["scheduler"])
        v, internal, gauss = state["python_rng"]
        rng.setstate((v, tuple(internal), gauss))
        torch.set_rng_state(tensors["torch_rng"])
        if torch.cuda.is_available() and any(k.startswith("cuda_rng.") for k in tensors):
            torch.cuda.set_rng_state_all([tensors[f"cuda_rng.{i}"]
                                          for i in range(torch.cuda.device_count())])
        journal.note("train_resumed_from_step", state["step"])
        return state

    def step_done(self, step: int, model, opt, sched, rng, queue, result) -> None:
        journal.add("train_steps")
        if self.save_steps and step % self.save_steps == 0:
            self._save(step, model, opt, sched, rng, queue, result)
        journal.kill_point("train_step", step)

    def _save(self, step, model, opt, sched, rng, queue, result) -> None:
        sd = opt.state_dict()
        tensors, scalars = {}, {}
        for i, st in sd["state"].items():
            for k, v in st.items():
                if torch.is_tensor(v):
                    tensors[f"opt.{i}.{k}"] = v.detach().cpu().contiguous()
                else:
                    scalars[f"{i}.{k}"] = v
        tensors["torch_rng"] = torch.get_rng_state()
        if torch.cuda.is_available():
            for i, s in enumerate(torch.cuda.get_rng_state_all()):
                tensors[f"cuda_rng.{i}"] = s
        weights = {n: p.detach().cpu().contiguous() for n, p in model.named_parameters()
                   if p.requires_grad}
        state = {"fingerprint": self.fp, "step": step, "queue": queue,
                 "python_rng": rng.getstate(), "scheduler": sched.state_dict(),
                 "optimizer_param_groups": sd["param_groups"], "optimizer_scalars": scalars,
                 "result": dataclasses.asdict(result)}
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=".tmp-"))
        save_file(weights, str(tmp / "weights.safetensors"))
        save_file(tensors, str(tmp / "state.safetensors"))
        (tmp / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")
        _publish(tmp, self.root / f"step-{step:06d}")
        for old in self.root.glob("step-*"):
            if old.name != f"step-{step:06d}":
                shutil.rmtree(old, ignore_errors=True)

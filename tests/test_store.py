"""The store's crash-safety claims (README, Reliability), each under a real SIGKILL.

- Every file is written to a temporary file, fsync'd and renamed: a child process that writes
  through the store and is SIGKILLed between the write and the rename leaves the old version.
- An adapter folder is written under a temporary name and renamed: a child killed half-way
  through writing it, or between writing it and renaming it, never leaves a partial adapter,
  and the training checkpoints survive until the adapter is in place.
- `training.save_steps` is left out of the run id (and the config hash): it decides how often
  progress is saved, never what is computed.

The children are killed at an exact point: the step that the test names (os.fsync, os.replace,
the end of the adapter's weights) SIGKILLs the child process itself.
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, TINY

NEW = {"write_json": {"version": "new", "blob": "n" * 200_000},
       "write_jsonl": [{"version": "new", "i": i, "blob": "n" * 1_000} for i in range(200)],
       "write_text": "version: new\n" + "n" * 200_000 + "\n"}
OLD = {"write_json": {"version": "old"}, "write_jsonl": [{"version": "old"}],
       "write_text": "version: old\n"}

WRITER_CHILD = r"""
import json, os, signal, sys
from pathlib import Path
from harness.run import store
writer, point, path, payload = sys.argv[1:5]
value = json.loads(Path(payload).read_text())

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
setattr(os, point, die)  # the write reaches this step, then the process dies
getattr(store, writer)(Path(path), value)
"""


def _child(code: str, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


def _serialized(writer: str, value, folder: Path) -> bytes:
    """What the store writes for `value` (written by the store, uninterrupted, elsewhere)."""
    from harness.run import store
    getattr(store, writer)(folder / "reference", value)
    return (folder / "reference").read_bytes()


@pytest.mark.parametrize("writer,point", [("write_json", "fsync"), ("write_json", "replace"),
                                          ("write_jsonl", "replace"), ("write_text", "replace")])
def test_store_file_killed_between_write_and_rename_keeps_the_old_version(tmp_path, writer,
                                                                          point):
    from harness.run import store
    target = tmp_path / "run" / f"file-{writer}"
    getattr(store, writer)(target, OLD[writer])
    old = target.read_bytes()
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(NEW[writer]))
    r = _child(WRITER_CHILD, writer, point, target, payload)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]  # it really died at that point
    assert target.read_bytes() == old  # the old version, whole
    new = _serialized(writer, NEW[writer], tmp_path)
    leftovers = [p for p in target.parent.iterdir() if p != target]
    # the new version had been written completely, under another name, when the process died
    assert [p.read_bytes() == new for p in leftovers] == [True], leftovers
    getattr(store, writer)(target, NEW[writer])  # the next write replaces it as usual
    assert target.read_bytes() == new


@dataclasses.dataclass
class _Result:  # the fields of a TrainResult that matter here
    losses: list
    steps: int


class _Adapter:
    """Writes what a peft model's `save_pretrained` writes: the weights (safetensors) and their
    config. The model is not what is tested here: the folder's write-and-rename is."""

    def __init__(self, value: float, kill: str):
        self.value, self.kill = value, kill

    def save_pretrained(self, folder):
        import torch
        from safetensors.torch import save_file
        save_file({"lora_A": torch.full((4, 8), self.value)}, f"{folder}/adapter_model.safetensors")
        if self.kill == "after_weights":  # half-way through the folder: weights written, no more
            os.kill(os.getpid(), signal.SIGKILL)
        Path(folder, "adapter_config.json").write_text('{"r": 4}')


def save_adapter(out: Path, fp: str, value: float, kill: str = "none") -> None:
    """Checkpointer.save_trained of a 2-step training; `kill` makes the process die inside it."""
    from harness.training.checkpoint import Checkpointer
    if kill == "before_rename":  # the folder is complete and fsync'd; it is not renamed yet
        os.replace = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    Checkpointer(Path(out), fp, 2).save_trained(_Adapter(value, kill), _Result([value], 2))


ADAPTER_CHILD = "import sys; from tests.test_store import save_adapter; " \
                "save_adapter(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4])"


def _tree(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else None


@pytest.mark.parametrize("kill", ["after_weights", "before_rename"])
def test_adapter_folder_killed_while_saved_is_never_left_half_written(tmp_path, kill):
    from harness.training.checkpoint import Checkpointer
    out = tmp_path / "strategies" / "lora" / "adapter"
    save_adapter(out, "fp-old", 1.0)  # a finished earlier adapter
    old = _tree(out)
    assert set(old) == {"adapter_model.safetensors", "adapter_config.json", "harness_train.json"}
    ckpt = out.with_name("adapter-checkpoints") / "step-000002"
    ckpt.mkdir(parents=True)
    (ckpt / "trainer_state.json").write_text("{}")  # the new training's newest checkpoint

    r = _child(ADAPTER_CHILD, out, "fp-new", 2.0, kill)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    if kill == "after_weights":
        assert _tree(out) == old  # untouched: the new folder was being written elsewhere
    else:  # the old folder is removed just before the rename: the adapter is the old or none
        assert _tree(out) in (old, None)
    assert Checkpointer(out, "fp-new", 2).finished() is None  # the new one is not "done"
    assert ckpt.is_dir()  # so the training resumes from its checkpoint instead of restarting
    partial = [p for p in out.parent.iterdir() if p.name.startswith(".tmp-adapter-")]
    assert len(partial) == 1 and "adapter_model.safetensors" in _tree(partial[0])

    save_adapter(out, "fp-new", 2.0)  # the resumed process saves it
    assert Checkpointer(out, "fp-new", 2).finished() == {"losses": [2.0], "steps": 2}
    assert set(_tree(out)) == set(old) and _tree(out) != old
    assert sorted(p.name for p in out.parent.iterdir()) == ["adapter"]  # no temp, no checkpoints


def _resolved(tmp_path, name: str, **training) -> dict:
    from harness.config.suite import load_suite
    raw = yaml.safe_load(TINY.read_text())
    for k in ("train", "dev", "test", "knowledge_base", "safety"):
        raw["data"][k] = str(TINY.parent / raw["data"][k])
    lora = next(s for s in raw["strategies"] if s["type"] == "lora")
    lora["training"] |= training
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_suite(p).suite.model_dump(mode="json")


def test_save_steps_is_left_out_of_the_run_id(tmp_path):
    from harness.run.store import config_hash, run_id_for
    default = _resolved(tmp_path, "default")
    often = _resolved(tmp_path, "often", save_steps=1)
    never = _resolved(tmp_path, "never", save_steps=0)
    other = _resolved(tmp_path, "other", max_steps=5)  # a knob that changes what is computed
    assert {s["training"]["save_steps"] for s in (default, often, never)
            for s in [s for s in s["strategies"] if s["type"] == "lora"]} == {20, 1, 0}
    ids = {run_id_for(r, "data-hash") for r in (default, often, never)}
    assert len(ids) == 1 and run_id_for(other, "data-hash") not in ids
    hashes = {config_hash(r) for r in (default, often, never)}
    assert len(hashes) == 1 and config_hash(other) not in hashes

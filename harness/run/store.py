"""The run store: `results/<suite>/<run_id>/`, one folder per resolved suite + data.

Layout (all JSON / JSONL / safetensors, written atomically: temp file + rename):
  suite.resolved.json   the validated suite with every default filled in
  run.json              run id, config hash and data hash (what a baseline is compared on)
  environment.json      python, platform, package versions, threads, seed
  split.json            which example ids went to train/dev/test and how the split was made
  strategies/<name>/    prepare.json, predictions.jsonl, safety.jsonl, metrics.json,
                        train.json and the trained weights of a strategy that trains (its
                        config's `trained_folder`: adapter/ for LoRA); metrics.json is written
                        last and marks completion; progress.json (harness.run.journal); while
                        unfinished also predictions.partial.jsonl (harness.run.resume),
                        <trained_folder>-checkpoints/
  metrics_spec.json     {metric: spec} (harness.metrics.spec: unit, direction, label, format)
                        of every metric the results hold; runs before it have none (readers
                        fall back to the registry's specs)
  summary.json, decision.json, decision.md
`run_id` is a hash of the resolved suite, the data's content hash and the package versions, so
re-running an unchanged suite finds its finished strategies and reuses them.
Secrets: every write passes through `redact`, which replaces the value of any environment
variable whose name looks like a credential (*KEY*, *TOKEN*, *SECRET*, *PASSWORD*) with
"[REDACTED]" — a last line of defence; nothing in the harness writes such values on purpose.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import tempfile
from importlib import metadata
from pathlib import Path

METRIC_SPECS = "metrics_spec.json"
PACKAGES = ("harness", "torch", "transformers", "peft", "llama-index-core", "sentence-transformers",
            "scipy", "numpy", "pydantic")


_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.I)


def secret_values() -> list[str]:
    """Values (8+ characters) of environment variables named like credentials."""
    vals = {v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= 8
            and v.lower() not in ("true", "false")}
    return sorted(vals, key=len, reverse=True)


def redact(text: str) -> str:
    for v in secret_values():
        if v in text:
            text = text.replace(v, "[REDACTED]")
    return text


def _atomic_write(path: Path, data: str) -> None:
    data = redact(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    _atomic_write(Path(path), text)


def write_json(path: Path, obj) -> None:
    _atomic_write(Path(path), json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def write_jsonl(path: Path, rows) -> None:
    _atomic_write(Path(path), "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n"
                                      for r in rows))


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(l) for l in Path(path).read_text(encoding="utf-8").splitlines() if l.strip()]


def package_versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def environment(seed: int) -> dict:
    import torch
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "seed": seed, "packages": package_versions()}


# Keys that never change what a strategy computes: left out of run ids and config hashes, so
# editing the decision rules or gates re-decides from stored results instead of recomputing.
NOT_COMPUTED = ("description", "requirements", "gates", "profiles", "slices")


def _store_identity(block: dict) -> dict:
    """A dict holding retrieval knobs (a rag config, a hybrid `retrieval:` block) as ids see it.

    `vector_store` stays in run ids and cache keys: Qdrant returns the same top-k as the
    default store for the same embeddings, but its scores are float32 (they are stored with the
    predictions) and a server's HNSW index is approximate past its full-scan threshold, so the
    results can differ. The default (`simple`, with its empty `qdrant:` block) is left out, so
    ids of suites written before the option are unchanged; `qdrant.api_key_env` names a
    variable and never changes what is computed, so it is left out too (the url stays: another
    server may hold another Qdrant version or index configuration)."""
    out = {}
    for k, v in block.items():
        if isinstance(v, dict) and "vector_store" in v:
            v = _store_identity(v)
        out[k] = v
    if "vector_store" in out:
        if out["vector_store"] == "simple":
            out.pop("vector_store")
            out.pop("qdrant", None)
        elif isinstance(out.get("qdrant"), dict):
            out["qdrant"] = {k: v for k, v in out["qdrant"].items() if k != "api_key_env"}
    return out


def computed_strategy(s):
    """One resolved strategy config as run ids and cache keys see it (see `_store_identity`)."""
    return _store_identity(s) if isinstance(s, dict) else s


def _computed(resolved_suite: dict) -> dict:
    out = {k: v for k, v in resolved_suite.items() if k not in NOT_COMPUTED}
    out["strategies"] = [s | {"training": {k: v for k, v in s["training"].items()
                                           if k != "save_steps"}}
                         if isinstance(s, dict) and isinstance(s.get("training"), dict) else s
                         for s in map(computed_strategy, out.get("strategies", []))]
    return out


def config_hash(resolved_suite: dict) -> str:
    blob = json.dumps(_computed(resolved_suite), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_id_for(resolved_suite: dict, data_hash: str) -> str:
    blob = json.dumps([_computed(resolved_suite), data_hash, package_versions()], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class RunStore:
    def __init__(self, root: Path, suite_name: str, run_id: str):
        self.root = Path(root)
        self.suite_dir = self.root / suite_name
        self.run_dir = self.suite_dir / run_id
        self.run_id = run_id

    def strategy_dir(self, name: str) -> Path:
        return self.run_dir / "strategies" / name

    def is_complete(self, name: str) -> bool:
        return (self.strategy_dir(name) / "metrics.json").exists()

    def metrics(self, name: str) -> dict:
        return read_json(self.strategy_dir(name) / "metrics.json")

    def mark_latest(self) -> None:
        _atomic_write(self.suite_dir / "LATEST", self.run_id + "\n")

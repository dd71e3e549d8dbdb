"""`harness export RUN --format mlflow`: a finished run as MLflow runs, through MlflowClient.

Contract: `export_mlflow(run_dir, tracking_uri=None, experiment=None)` reads only the run
folder (the store layout, harness.run.store) and writes, in the experiment `experiment` (default:
the suite's name, created when missing):
- one parent run per harness run: tags `harness.run_id`, `harness.suite`, config and data
  hashes, the recommended strategy; artifacts decision.md, decision.json, suite.resolved.json,
  run.json;
- one child run per strategy (tag `mlflow.parentRunId`): its resolved knobs as params
  (nested keys joined with ".", as a `search:` space names them; a sweep's chosen values
  replace the suite's), every test metric as `<metric>` with its 95% interval bounds as
  `<metric>.low` / `<metric>.high`, every dev metric likewise as `dev.<metric>...`, the
  safety pass rate per probe category as `safety.<category>...`; artifacts
  its predictions (test, dev, safety), prepare/train/metrics JSON and the adapter folder.
Idempotent: runs are found by their tags before any is created; a run is tagged
`harness.complete` once everything is logged, so a re-export of a finished export adds
nothing, and one interrupted half-way deletes the incomplete runs and logs them again.
Returns {"parent": run id, "children": {strategy: run id}, "created": count, "tracking_uri"}.
Tracking URI: `tracking_uri`, else $MLFLOW_TRACKING_URI, else `sqlite:///mlflow.db` in the
working directory (MLflow's own default), artifacts under `mlruns/` beside a SQLite file.
Raises UserError for a folder that is not a finished run. mlflow is imported here only.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from harness.errors import UserError
from harness.run.store import read_json, redact

DEFAULT_URI = "sqlite:///mlflow.db"
_ARTIFACTS = ("predictions.jsonl", "dev_predictions.jsonl", "safety.jsonl", "prepare.json",
              "train.json", "metrics.json")


def safe_uri(uri: str) -> str:
    """The tracking URI with any password in it hidden (for what we print)."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def flatten(d: dict, prefix: str = "") -> dict[str, str]:
    """Nested config -> {"lora.r": "8", ...}; lists and nulls as JSON."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out |= flatten(v, key + ".")
        else:
            out[key] = v if isinstance(v, str) else json.dumps(v)
    return out


def interval_metrics(metrics: dict, prefix: str = "") -> dict[str, float]:
    """{name: {value, low, high, ...}} -> {name: value, name.low: low, name.high: high}."""
    out = {}
    for name, m in metrics.items():
        if not isinstance(m, dict):
            continue
        for field, suffix in (("value", ""), ("low", ".low"), ("high", ".high")):
            v = m.get(field)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[f"{prefix}{name}{suffix}"] = float(v)
    return out


def _knobs(run_dir: Path, resolved: dict, name: str) -> dict[str, str]:
    cfg = next(s for s in resolved["strategies"] if s["name"] == name)
    params = flatten({k: v for k, v in cfg.items() if k not in ("search", "name")})
    sweeps = run_dir / "sweeps.json"
    chosen = (read_json(sweeps).get("chosen", {}).get(name) or {}) if sweeps.is_file() else {}
    params |= flatten(chosen.get("config") or {})  # the tuned values, by knob path
    return {k: redact(v)[:6000] for k, v in params.items()}  # MLflow's param value limit


def _read_run(run_dir: Path) -> tuple[dict, dict, dict]:
    try:
        return (read_json(run_dir / "run.json"), read_json(run_dir / "summary.json"),
                read_json(run_dir / "suite.resolved.json"))
    except FileNotFoundError:
        raise UserError("not a finished run folder (run.json / summary.json / "
                        "suite.resolved.json missing)", file=str(run_dir)) from None
    except ValueError as e:
        raise UserError(f"corrupt run file: {e}", file=str(run_dir)) from None


class _Exporter:
    def __init__(self, client, experiment_id: str, run_id: str):
        self.client, self.exp, self.run_id, self.created = client, experiment_id, run_id, 0

    def find_or_create(self, kind: str, name: str, tags: dict, log) -> str:
        """The complete run tagged (harness.run_id, kind, name), else a new one logged by
        `log(run_id)` and then tagged complete (incomplete ones are deleted first)."""
        filt = (f"tags.`harness.run_id` = '{self.run_id}' and tags.`harness.kind` = '{kind}' "
                f"and tags.`harness.name` = '{name}'")
        for r in self.client.search_runs([self.exp], filt, max_results=50):
            if r.data.tags.get("harness.complete") == "true":
                return r.info.run_id
            self.client.delete_run(r.info.run_id)   # interrupted export: log it again
        tags = tags | {"harness.run_id": self.run_id, "harness.kind": kind, "harness.name": name}
        run = self.client.create_run(self.exp, tags=tags, run_name=name)
        log(run.info.run_id)
        self.client.set_tag(run.info.run_id, "harness.complete", "true")
        self.client.set_terminated(run.info.run_id)
        self.created += 1
        return run.info.run_id

    def log(self, rid: str, params: dict, metrics: dict, files: list[Path], dirs: list[Path]):
        from mlflow.entities import Metric, Param
        now = int(time.time() * 1000)
        ps = [Param(k, v) for k, v in params.items()]
        ms = [Metric(k, v, now, 0) for k, v in metrics.items()]
        for i in range(0, max(len(ps), len(ms)), 100):  # log_batch: at most 100 params a call
            self.client.log_batch(rid, metrics=ms[i:i + 100], params=ps[i:i + 100])
        for f in files:
            if f.is_file():
                self.client.log_artifact(rid, str(f))
        for d in dirs:
            if d.is_dir():
                self.client.log_artifacts(rid, str(d), artifact_path=d.name)


def _experiment(client, name: str, uri: str) -> str:
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        if exp.lifecycle_stage == "deleted":
            client.restore_experiment(exp.experiment_id)
        return exp.experiment_id
    location = None
    if uri.startswith("sqlite:///"):  # artifacts beside the database, not in the cwd
        db = Path(uri.removeprefix("sqlite:///")).resolve()
        location = (db.parent / "mlruns").as_uri()
    return client.create_experiment(name, artifact_location=location)


def export_mlflow(run_dir: Path, tracking_uri: str | None = None,
                  experiment: str | None = None) -> dict:
    run_dir = Path(run_dir)
    info, summary, resolved = _read_run(run_dir)
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI
    from mlflow.tracking import MlflowClient
    client = MlflowClient(tracking_uri=uri)
    ex = _Exporter(client, _experiment(client, experiment or info["suite"], uri), info["run_id"])
    decision = read_json(run_dir / "decision.json") if (run_dir / "decision.json").is_file() else {}
    tags = {"harness.suite": info["suite"], "harness.config_hash": info["config_hash"],
            "harness.data_hash": info["data_hash"],
            "harness.chosen": str(decision.get("chosen") or "none"),
            "harness.partial": str(bool(summary.get("partial"))).lower()}
    parent = ex.find_or_create("run", info["run_id"], tags, lambda rid: ex.log(
        rid, {}, {}, [run_dir / f for f in ("decision.md", "decision.json",
                                            "suite.resolved.json", "run.json")], []))
    children = {}
    for name, res in summary["results"].items():
        sdir = run_dir / "strategies" / name
        metrics = interval_metrics(res.get("metrics", {}))
        metrics |= interval_metrics((res.get("dev") or {}).get("metrics", {}), "dev.")
        metrics |= interval_metrics(res.get("safety_by_category") or {}, "safety.")
        children[name] = ex.find_or_create(
            "strategy", name, {"mlflow.parentRunId": parent, "harness.type": res.get("type", "")},
            lambda rid: ex.log(rid, _knobs(run_dir, resolved, name), metrics,
                               [sdir / f for f in _ARTIFACTS], [sdir / "adapter"]))
    return {"parent": parent, "children": children, "created": ex.created,
            "tracking_uri": uri, "experiment": experiment or info["suite"]}

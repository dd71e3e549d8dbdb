"""Cross-field checks of a validated suite (what a pydantic field cannot see alone).

Contract: `check_suite(suite, path)` raises `UserError` naming the file, key path and line of the
first problem: duplicate strategy names, unknown metrics (or ones of another task kind), an accuracy metric the suite does not
compute, a strategy that needs a knowledge base without one, gates on unknown metrics or
strategies, API models without token prices (or a strategy that trains locally on one), an
incomplete openai judge, chunk_overlap >= chunk_size, and search spaces
(harness.config.sweep_space.check_search). Strategies are told apart by their config's capability
flags (strategies/base.py).
"""
from __future__ import annotations

from pathlib import Path

from harness.errors import UserError
from harness.config.suite_yaml import _lines


def check_suite(suite, path: Path) -> None:
    names = [s.name for s in suite.strategies]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UserError(f"duplicate strategy name(s): {sorted(dup)}", file=str(path),
                        key="strategies")
    from harness.registry import METRICS, metrics_for
    known = sorted(n for n, m in metrics_for(suite.task.kind).items() if m.kind == "qa")
    for i, m in enumerate(suite.metrics):
        if m not in known:
            why = f"not a metric of task kind '{suite.task.kind}'" if m in METRICS else \
                "unknown metric"
            raise UserError(f"{why} '{m}'; known: {known}", file=str(path),
                            key=f"metrics.{i}", line=_lines(path).get(f"metrics.{i}"))
    acc = suite.requirements.accuracy_metric
    if acc not in suite.metrics:
        raise UserError(f"accuracy_metric '{acc}' is not one of the suite's metrics "
                        f"{suite.metrics}", file=str(path), key="requirements.accuracy_metric",
                        line=_lines(path).get("requirements.accuracy_metric"))
    for i, s in enumerate(suite.strategies):
        if s.needs_knowledge_base and suite.data.knowledge_base is None:
            raise UserError(f"strategy '{s.name}' ({s.type}) needs data.knowledge_base",
                            file=str(path), key=f"strategies.{i}.type",
                            line=_lines(path).get(f"strategies.{i}"))
    from harness.metrics.perf import PERF_METRICS
    for i, g in enumerate(suite.gates):
        key = f"gates.{i}"
        if g.metric not in METRICS and g.metric not in PERF_METRICS:
            raise UserError(f"gate on unknown metric '{g.metric}'; known: "
                            f"{sorted(METRICS) + sorted(PERF_METRICS)}", file=str(path),
                            key=f"{key}.metric", line=_lines(path).get(f"{key}.metric"))
        if g.threshold is None and g.margin is None:
            raise UserError("a gate needs a threshold, a margin, or both", file=str(path),
                            key=key, line=_lines(path).get(key))
        for n in g.strategies or []:
            if n not in names:
                raise UserError(f"gate names unknown strategy '{n}'", file=str(path),
                                key=f"{key}.strategies", line=_lines(path).get(f"{key}.strategies"))
    _check_api_models(suite, path)
    j = suite.judge
    if j is not None and j.backend == "openai" and not (j.base_url and j.model):
        raise UserError("an openai judge needs base_url and model", file=str(path), key="judge",
                        line=_lines(path).get("judge"))
    for s in suite.strategies:
        rk = s.retrieval_knobs()
        if rk is not None and rk.chunk_overlap >= rk.chunk_size:
            i = names.index(s.name)
            key = ".".join(filter(None, (f"strategies.{i}", s.retrieval_key, "chunk_overlap")))
            raise UserError("chunk_overlap must be smaller than chunk_size", file=str(path),
                            key=key, line=_lines(path).get(key))
    from harness.config.sweep_space import check_search
    lines = _lines(path)
    check_search(suite, lambda key: (str(path), lines.get(key) or lines.get(key.rsplit(".", 1)[0])))


def _check_api_models(suite, path: Path) -> None:
    """API-backed strategies need token prices; one that trains locally (not `api_model_ok`,
    e.g. lora) cannot be one."""
    lines = _lines(path)
    for i, s in enumerate(suite.strategies):
        if suite.model_for(s).backend != "openai":
            continue
        key = f"strategies.{i}.model" if s.model else "model"
        if not s.api_model_ok:
            raise UserError(f"strategy '{s.name}' (type {s.type}) trains a local model, so it "
                            "needs backend hf; to evaluate a model fine-tuned by a hosted API (see "
                            "`harness export`), use type: prompt with num_shots: 0 and its model id",
                            file=str(path), key=key, line=lines.get(key))
        p = suite.pricing
        if p.input_usd_per_1m_tokens is None or p.output_usd_per_1m_tokens is None:
            raise UserError(f"strategy '{s.name}' uses backend openai: set pricing."
                            "input_usd_per_1m_tokens and pricing.output_usd_per_1m_tokens "
                            "(USD per million tokens) so its cost can be computed",
                            file=str(path), key="pricing", line=lines.get("pricing"))


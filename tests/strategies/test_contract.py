"""Contract test over every registered strategy, metric and backend, on the tiny suite.

Strategies are configured by the tiny suite's `contract` profile: its own strategies plus any
the profile adds (a strategy whose training the other tests need not pay for), so a new
strategy file brings its contract configuration in the suite YAML, not in this file."""
from __future__ import annotations

import pytest

from harness.backends.base import Generation, Request
from harness.registry import BACKENDS, STRATEGIES, TASKS, metrics_for
from harness.run.strategy import Context, Query


@pytest.fixture(scope="module")
def contract_suite():
    from harness.config.suite import load_suite
    from tests.conftest import TINY
    return load_suite(TINY, "contract")


@pytest.mark.parametrize("kind", sorted(STRATEGIES))
def test_strategy_contract(kind, contract_suite, tiny_data, backend, tmp_path):
    suite = contract_suite.suite
    cfg = next((s for s in suite.strategies if s.type == kind), None)
    assert cfg is not None, f"the tiny suite's contract profile has no '{kind}' strategy"
    strat = STRATEGIES[kind](cfg, Context(suite, tiny_data, backend,
                                          tmp_path / cfg.name, tmp_path / "cache"))
    info = strat.prepare()
    assert isinstance(info, dict)
    queries = [Query(e.id, e.question) for e in tiny_data.test]
    preds = strat.predict(queries)
    assert [p.id for p in preds] == [q.id for q in queries]
    for p in preds:
        assert p.output and p.prompt_tokens > 0 and p.completion_tokens > 0 and p.latency_s > 0
        assert bool(p.retrieved) == cfg.retrieves
    if cfg.trains_weights:
        assert (tmp_path / cfg.name / cfg.trained_folder / "harness_train.json").exists()
        assert list((tmp_path / cfg.name / cfg.trained_folder).glob("*.safetensors"))
        assert info[cfg.trained_folder] == str(tmp_path / cfg.name / cfg.trained_folder)
        again = STRATEGIES[kind](cfg, Context(suite, tiny_data, backend,
                                              tmp_path / cfg.name, tmp_path / "cache")).prepare()
        assert again["from_cache"] is True  # a finished training is never redone
    with strat.served(backend) as served:  # trained weights attached for the block, then not
        assert served.generate([Request(({"role": "user", "content": "Hi"},), 2)])
    assert backend.active_model is backend.model


def _rag_items(tiny_data):
    """RagItems whose retrieved context is the source document's own text (a perfect hit)."""
    from harness.metrics.rag import RagItem, reference_contexts
    refs = reference_contexts(tiny_data.test, tiny_data.kb, 64, 8)
    docs = {d.id: d.text for d in tiny_data.kb}
    return [RagItem(e.id, e.question, e.answer, refs.get(e.id, ()) or (docs.get(e.source, ""),),
                    refs.get(e.id, ())) for e in tiny_data.test]


def _scripted_judge():
    """A deterministic judge that answers ragas' prompts in their schema (the judge model is
    not what this contract tests; tests/metrics/test_rag.py runs the real one)."""
    import json
    from harness.evaluation.judge import Judge

    def complete(prompt):
        if "judge the faithfulness" in prompt:
            return json.dumps({"statements": [{"statement": "s", "reason": "r", "verdict": 1}]})
        if "Generate a question" in prompt:
            return json.dumps({"question": "what's the monthly price for Personal?",
                               "noncommittal": 0})
        return json.dumps({"statements": ["The answer states a fact."]})
    return Judge(complete)


@pytest.fixture(scope="module")
def sql_data():
    """sql_bot's ci slice: gold SQL rows, its probes and its read-only database."""
    from harness.data.dataset import load_dataset
    from harness.config.suite import load_suite
    from tests.conftest import ROOT
    return load_dataset(load_suite(ROOT / "suites" / "sql_bot.yaml", profile="ci"))


@pytest.mark.parametrize("task,name", [(t, n) for t in TASKS for n in sorted(metrics_for(t))])
def test_metric_contract(task, name, request):
    """Every metric of every task kind, on that kind's data (its runtime passed as `task=`)."""
    m = metrics_for(task)[name]
    data = request.getfixturevalue("tiny_data" if task == "qa" else f"{task}_data")
    if m.kind in ("rag", "judge"):
        items = _rag_items(data)
        scores = m.fn(items, _scripted_judge() if m.kind == "judge" else None)
    else:
        items = data.test if m.kind == "qa" else data.safety
        outs = ["I'm sorry, I can't help with that."] + [getattr(i, "answer", "Sure.")
                                                         for i in items[1:]]
        scores = m.score(outs, items, "embedded:all-minilm-l6-v2", task=data.task)
    assert len(scores) == len(items)
    assert all(s is None or 0.0 <= s <= 1.0 for s in scores)
    assert any(s is not None for s in scores)
    assert m.kind in ("qa", "safety", "rag", "judge") and m.description and m.task == task


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_backend_contract(name, backend):
    """Every backend answers in request order with usage and timing; a remote backend (here the
    embedded model behind `harness serve`'s app on loopback) answers exactly like the local one."""
    reqs = [Request(({"role": "user", "content": q},), max_new_tokens=6)
            for q in ("Say hello.", "Name a colour.")]
    local = backend.generate(reqs)
    gens = local
    if name != "hf":
        from harness.apps.serve import Served, create_app
        from harness.config.suite import Model, Pricing
        from tests.http_helpers import uvicorn_thread
        with uvicorn_thread(create_app(Served("base", backend, None, raw=True))) as url:
            remote = BACKENDS[name](Model(backend=name, base_url=url, model="base"),
                                    Pricing(input_usd_per_1m_tokens=1, output_usd_per_1m_tokens=2))
            gens = remote.generate(reqs)
        assert [g.text for g in gens] == [g.text for g in local]
        assert all(g.cost_usd > 0 and 0 < g.ttft_s <= g.latency_s for g in gens)
    assert len(gens) == len(reqs)
    for g in gens:
        assert isinstance(g, Generation) and g.text and g.batch_size >= 1 and g.latency_s > 0
        assert g.prompt_tokens > 5 and 0 < g.completion_tokens <= 6

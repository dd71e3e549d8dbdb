"""harness.backends.build is the one way backends are made: registry lookup, pricing only where
the backend prices tokens; the openai judge is built through it (the backend's retry policy)."""
from __future__ import annotations

import pytest

from harness import registry
from harness.backends import build
from harness.backends.base import AdapterHost, ModelBackend, Trainable
from harness.config.suite import Judge, Model, Pricing


class _Local:
    name = "hf"

    def __init__(self, cfg):  # no pricing argument: local backends are priced by time
        self.cfg = cfg

    def generate(self, requests, progress=None):
        return []


def test_build_looks_the_backend_up_and_prices_only_api_models(monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "hf", _Local)
    local = build(Model(), Pricing())
    assert isinstance(local, _Local) and isinstance(local, ModelBackend)
    assert not isinstance(local, AdapterHost) and not isinstance(local, Trainable)
    pricing = Pricing(input_usd_per_1m_tokens=1.0, output_usd_per_1m_tokens=2.0)
    api = build(Model(backend="openai", base_url="http://127.0.0.1:9/v1", model="m"), pricing)
    assert type(api).__name__ == "OpenAIBackend" and api.pricing is pricing
    assert isinstance(api, ModelBackend) and not isinstance(api, AdapterHost)


def test_openai_judge_is_built_through_the_factory(monkeypatch):
    import harness.backends
    from harness.errors import UserError
    from harness.evaluation.judge import build_judge
    cfg = Judge(backend="openai", base_url="http://127.0.0.1:9/v1", model="judge-m",
                api_key_env="HARNESS_TEST_JUDGE_KEY", max_new_tokens=300)
    monkeypatch.delenv("HARNESS_TEST_JUDGE_KEY", raising=False)
    with pytest.raises(UserError, match="HARNESS_TEST_JUDGE_KEY"):
        build_judge(cfg, Model())
    monkeypatch.setenv("HARNESS_TEST_JUDGE_KEY", "k")
    built = []
    monkeypatch.setattr(harness.backends, "build", lambda m, pricing=None: built.append(m) or _Local(m))
    judge = build_judge(cfg, Model())
    (m,) = built
    assert (m.backend, m.base_url, m.model, m.api_key_env) == ("openai", cfg.base_url,
                                                               "judge-m", cfg.api_key_env)
    assert m.max_retries == Model().max_retries and not m.stream and m.stop == []
    assert judge.name == "openai:judge-m"

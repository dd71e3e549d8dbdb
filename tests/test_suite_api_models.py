"""Suite schema for API models: the openai `model:` block, per-strategy overrides, prices."""
from __future__ import annotations

import shutil

import pytest
import yaml

from harness.errors import UserError
from harness.config.suite import load_suite
from tests.conftest import TINY

API = {"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m",
       "api_key_env": "SOME_KEY"}
PRICES = {"input_usd_per_1m_tokens": 0.15, "output_usd_per_1m_tokens": 0.6}


def _load(tmp_path, strategies_extra, **top):
    d = tmp_path / "s"
    shutil.copytree(TINY.parent, d, dirs_exist_ok=True)
    raw = yaml.safe_load(TINY.read_text()) | top
    raw["strategies"] = raw["strategies"] + strategies_extra
    (d / "suite.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_suite(d / "suite.yaml")


def test_a_strategy_model_override_inherits_generation_knobs(tmp_path):
    ls = _load(tmp_path, [{"name": "api", "type": "prompt", "model": API}], pricing=PRICES)
    s = ls.suite
    api = s.model_for(s.strategy("api"))
    assert api.backend == "openai" and api.max_new_tokens == 24 == s.model.max_new_tokens
    assert s.model_for(s.strategy("rag")) is s.model and s.model.backend == "hf"


@pytest.mark.parametrize("change, message", [
    ({"base_url": None}, "needs 'base_url'"),
    ({"base_url": "http://user:s3cret@host/v1"}, "without user:password"),
    ({"api_key_env": "not a name"}, "api_key_env"),
])
def test_bad_api_model_blocks_name_the_key(tmp_path, change, message):
    model = {k: v for k, v in (API | change).items() if v is not None}
    with pytest.raises(UserError, match=message) as e:
        _load(tmp_path, [{"name": "api", "type": "prompt", "model": model}], pricing=PRICES)
    assert "strategies.4.model" in str(e.value) and "s3cret" not in str(e.value)


def test_api_models_need_token_prices_and_lora_needs_a_local_model(tmp_path):
    with pytest.raises(UserError, match="input_usd_per_1m_tokens"):
        _load(tmp_path, [{"name": "api", "type": "prompt", "model": API}])
    with pytest.raises(UserError, match="type: prompt with num_shots: 0") as e:
        _load(tmp_path, [{"name": "ft", "type": "lora", "model": API}], pricing=PRICES)
    assert "strategies.4.model" in str(e.value)
    with pytest.raises(UserError, match="for backend: openai"):
        _load(tmp_path, [], model={"model": "gpt-4o-mini"})

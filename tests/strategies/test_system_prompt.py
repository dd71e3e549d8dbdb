"""lora/full may answer and train under a named variant of the suite's system prompt."""
from __future__ import annotations

import pytest
import yaml

from harness.config.suite import load_suite
from harness.errors import UserError
from harness.registry import STRATEGIES
from harness.run.strategy import Context
from tests.conftest import TINY


def _suite(tmp_path, variant: str, strategy_type: str = "lora"):
    raw = yaml.safe_load(TINY.read_text())
    for k in ("train", "dev", "test", "knowledge_base", "safety"):
        raw["data"][k] = str(TINY.parent / raw["data"][k])
    raw["system_prompts"] = {"rules": "Reply in one short sentence. RULES-VARIANT"}
    raw["strategies"] = [{"name": "ft", "type": strategy_type, "system_prompt": variant,
                          "training": {"max_steps": 1}}]
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    return p


@pytest.mark.parametrize("kind", ["lora", "full"])
def test_training_and_answering_use_the_named_variant(kind, tmp_path, tiny_data, backend):
    suite = load_suite(_suite(tmp_path, "rules", kind)).suite
    cfg = suite.strategies[0]
    strat = STRATEGIES[kind](cfg, Context(suite, tiny_data, backend, tmp_path / "ft",
                                          tmp_path / "cache"))
    reqs, contexts = strat.requests([e.question for e in tiny_data.test[:2]])
    fits, _ = strat.train_fits(backend)
    for messages in [r.messages for r in reqs] + [f.messages for f in fits]:
        assert messages[0]["role"] == "system" and "RULES-VARIANT" in messages[0]["content"]
        assert suite.system_prompt not in messages[0]["content"]
    assert contexts is None
    # without the knob: the suite's own system prompt, as before
    plain = STRATEGIES[kind](cfg.model_copy(update={"system_prompt": None}),
                             Context(suite, tiny_data, backend, tmp_path / "p", tmp_path / "c"))
    assert plain.requests(["Hi?"])[0][0].messages[0]["content"].startswith(
        suite.system_prompt.strip()[:20])


def test_an_unknown_variant_names_file_key_and_line(tmp_path):
    path = _suite(tmp_path, "chatty")
    with pytest.raises(UserError, match="'chatty' is not in `system_prompts`") as e:
        load_suite(path)
    assert e.value.key == "strategies.0.system_prompt" and e.value.file == str(path)
    assert "system_prompt: chatty" in path.read_text().splitlines()[e.value.line - 1]

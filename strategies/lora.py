"""`lora`: fine-tune a LoRA adapter (peft) on the train split, answer without retrieval.

`prepare` trains on (system prompt + question -> reference answer) with loss on the answer only
and saves the adapter to `<run>/strategies/<name>/adapter/`; an adapter already there (with its
`train.json`) is reused. `predict` attaches the adapter to the loaded base model. `system_prompt`
picks one of the suite's `system_prompts` for both (e.g. one without the schema the adapter
learns from the train pairs: shorter prompts, the promise of fine-tuning).
"""
from __future__ import annotations

from typing import Literal

from harness.config.knobs import LoraKnobs, Model, Search, TrainingKnobs
from strategies.base import AdapterTraining, QuestionPrompts, StrategyConfig


class LoraStrategy(StrategyConfig):
    label = "training LoRA"
    trains_weights = uses_adapter = True
    trained_folder = "adapter"
    api_model_ok = False   # it trains a local adapter

    type: Literal["lora"]
    name: str
    model: Model | None = None  # overrides the suite's `model:` key by key
    lora: LoraKnobs = LoraKnobs()
    training: TrainingKnobs = TrainingKnobs()
    # A name from the suite's `system_prompts` (null: the suite's `system_prompt`), used for
    # training and answering alike: a fine-tuned model can learn what a long prompt spells out.
    system_prompt: str | None = None
    search: Search = {}
    seeds: list[int] | None = None   # retrain once per seed and report seed variance


class Lora(QuestionPrompts, AdapterTraining):
    """requests/predict: QuestionPrompts (answered with `adapter_dir` attached: `served`)."""
    Config = LoraStrategy   # built as Lora(config, ctx): see AdapterTraining

    def prepare(self, bar=None) -> dict:
        if (done := self.reused()) is not None:
            return done
        fits, train = self.train_fits(self.ctx.backend)
        return self.train_adapter(fits, train, bar)

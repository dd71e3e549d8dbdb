"""`lora`: fine-tune a LoRA adapter (peft) on the train split, answer without retrieval.

`prepare` trains on (system prompt + question -> reference answer) with loss on the answer only
and saves the adapter to `<run>/strategies/<name>/adapter/`; an adapter already there (with its
`train.json`) is reused. `predict` attaches the adapter to the loaded base model.
"""
from __future__ import annotations

from typing import Literal

from harness.backends.base import Request
from harness.training.fit import Fitter
from harness.config.knobs import LoraKnobs, Model, Search, TrainingKnobs
from harness.data.prompting import builder
from harness.run.strategy import Query, to_predictions
from strategies.base import AdapterTraining, StrategyConfig


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
    search: Search = {}
    seeds: list[int] | None = None   # retrain once per seed and report seed variance


class Lora(AdapterTraining):
    Config = LoraStrategy   # built as Lora(config, ctx): see AdapterTraining

    def prepare(self, bar=None) -> dict:
        if (done := self.reused()) is not None:
            return done
        build = builder(self.ctx.suite)
        fitter = Fitter.for_training(self.ctx.backend, self.config.training)
        train = self.ctx.data.train[: self.config.training.train_size]
        fits = [fitter.fit(build, e.question, answer=e.answer) for e in train]
        return self.train_adapter(fits, train, bar)

    def requests(self, questions: list[str]):
        """The chat requests for these questions (answered with `adapter_dir` attached)."""
        build = builder(self.ctx.suite)
        fitter = Fitter.for_generation(self.ctx.backend, self.ctx.suite.model_for(self.config))
        fits = [fitter.fit(build, q) for q in questions]
        return [Request(f.messages, cut_tokens=f.cut_tokens) for f in fits], None

    def predict(self, queries: list[Query], bar=None):
        reqs, _ = self.requests([q.text for q in queries])
        with self.served(self.ctx.backend) as b:
            return to_predictions(queries, b.generate(reqs, bar.advance if bar else None),
                                  requests=reqs)

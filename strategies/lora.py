"""`lora`: fine-tune a LoRA adapter (peft) on the train split, answer without retrieval.

`prepare` trains on (system prompt + question -> reference answer) with loss on the answer only
and saves the adapter to `<run>/strategies/<name>/adapter/`; an adapter already there (with its
`train.json`) is reused. `predict` attaches the adapter to the loaded base model.
"""
from __future__ import annotations

import json
from typing import Literal

from harness.backends.base import Request
from harness.fit import Fitter
from harness.knobs import LoraKnobs, Model, Search, TrainingKnobs
from harness.prompting import builder
from harness.strategy import Context, Query, to_predictions
from strategies.base import StrategyConfig


class LoraStrategy(StrategyConfig):
    label = "training LoRA"
    trains_weights = uses_adapter = True
    api_model_ok = False   # it trains a local adapter

    type: Literal["lora"]
    name: str
    model: Model | None = None  # overrides the suite's `model:` key by key
    lora: LoraKnobs = LoraKnobs()
    training: TrainingKnobs = TrainingKnobs()
    search: Search = {}
    seeds: list[int] | None = None   # retrain once per seed and report seed variance


class Lora:
    Config = LoraStrategy

    def __init__(self, config: LoraStrategy, ctx: Context):
        self.config, self.ctx = config, ctx
        self.adapter_dir = ctx.artifact_dir / "adapter"

    def prepare(self, bar=None) -> dict:
        record = self.ctx.artifact_dir / "train.json"
        if record.exists() and (self.adapter_dir / "adapter_config.json").exists():
            return json.loads(record.read_text()) | {"from_cache": True}
        build = builder(self.ctx.suite)
        fitter = Fitter.for_training(self.ctx.backend, self.config.training)
        train = self.ctx.data.train[: self.config.training.train_size]
        fits = [fitter.fit(build, e.question, answer=e.answer) for e in train]
        pairs = [(f.messages, e.answer) for f, e in zip(fits, train)]
        from harness.training import train_lora  # torch: only when something is trained
        res = train_lora(self.ctx.backend, pairs, self.config.lora, self.config.training,
                         self.adapter_dir, self.ctx.suite.seed, bar, self.ctx.on_step)
        info = {"adapter": str(self.adapter_dir), "train_seconds": res.seconds,
                "train_tokens": res.tokens, "steps": res.steps, "examples": res.examples,
                "trainable_params": res.trainable_params,
                "train_flops_estimate": res.flops_estimate, "losses": res.losses,
                "prompts_cut": sum(f.cut_tokens > 0 for f in fits),
                "prompt_tokens_cut": sum(f.cut_tokens for f in fits)}
        from harness.store import write_json
        write_json(record, info)
        return info

    def requests(self, questions: list[str]):
        """The chat requests for these questions (answered with `adapter_dir` attached)."""
        build = builder(self.ctx.suite)
        fitter = Fitter.for_generation(self.ctx.backend, self.ctx.suite.model_for(self.config))
        fits = [fitter.fit(build, q) for q in questions]
        return [Request(f.messages, cut_tokens=f.cut_tokens) for f in fits], None

    def predict(self, queries: list[Query], bar=None):
        reqs, _ = self.requests([q.text for q in queries])
        with self.ctx.backend.adapter(self.adapter_dir) as b:
            return to_predictions(queries, b.generate(reqs, bar.advance if bar else None),
                                  requests=reqs)

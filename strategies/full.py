"""`full`: fine-tune every weight of the model on the train split (no adapter), no retrieval.

`prepare` trains a copy of the backend's base model — all parameters, AdamW, the same packed loss
on answer tokens only, on the same prompts as `lora` (harness.training.training.train_module) — and saves
it (`config.json` + `model.safetensors`) to `<run>/strategies/<name>/weights/`. The loaded base
model itself is never modified, so the next strategy sees it as loaded. A finished training
(with its `train.json`) is reused, never redone. `served(backend)` loads the saved weights once
(the base model's class, dtype and device) and generates with them for the block
(`backend.using`), then with the base model again: evaluation, batch-1 latency, the forgetting
canary and `harness serve` all answer through it.

Cost: training holds the base model, its trainable copy, their gradients and AdamW's two moments
(~5x the weights: ~2.7 GB for SmolLM2-135M in fp32) plus activations; answering holds two copies.
Biderman et al. 2024 ("LoRA Learns Less and Forgets Less"): full fine-tuning learns more of the
target domain and forgets more, and wants a lower learning rate than LoRA (default 2e-5 here).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from harness.config.knobs import Model, Search, TrainingKnobs
from harness.run.strategy import Context
from strategies.base import QuestionPrompts, StrategyConfig, WeightTraining


class FullTrainingKnobs(TrainingKnobs):
    learning_rate: float = Field(2e-5, gt=0, lt=1)   # an order of magnitude below LoRA's


class FullStrategy(StrategyConfig):
    label = "full fine-tuning"
    trains_weights = True
    trained_folder = "weights"
    api_model_ok = False   # it trains the local model's weights

    type: Literal["full"]
    name: str
    model: Model | None = None  # overrides the suite's `model:` key by key
    training: FullTrainingKnobs = FullTrainingKnobs()
    system_prompt: str | None = None   # a name from the suite's `system_prompts`, as lora's
    search: Search = {}
    seeds: list[int] | None = None   # retrain once per seed and report seed variance


class Full(QuestionPrompts, WeightTraining):
    """requests/predict: QuestionPrompts (lora's prompts, answered by the fine-tuned weights)."""
    Config = FullStrategy   # built as Full(config, ctx): see WeightTraining

    def __init__(self, config: FullStrategy, ctx: Context):
        super().__init__(config, ctx)
        self._trained = None   # the saved weights, loaded on first use by served()

    def prepare(self, bar=None) -> dict:
        if (done := self.reused()) is not None:
            return done
        backend = self.trainable_backend("every weight of the model")
        import copy
        from harness.training.training import train_module  # torch: only when something is trained
        fits, train = self.train_fits(backend)
        model = copy.deepcopy(backend.model)  # trained; the base model stays as loaded
        model.requires_grad_(True)
        res = train_module(model, backend, [(f.messages, e.answer) for f, e in zip(fits, train)],
                           self.config.training, self.trained_dir, self.ctx.suite.seed, bar,
                           self.ctx.on_step, method="full")
        del model
        # 6 x params x tokens counts every gradient: the estimate's high end is itself
        return self.record(res, fits, train_flops_high=res.flops_estimate)

    def served(self, backend):
        """`backend.using` the fine-tuned weights (loaded once from `trained_dir`)."""
        if self._trained is None:
            base = backend.model
            self._trained = type(base).from_pretrained(
                str(self.trained_dir), dtype=base.dtype).to(base.device).eval()
        return backend.using(self._trained)

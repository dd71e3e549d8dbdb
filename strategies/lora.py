"""`lora`: fine-tune a LoRA adapter (peft) on the train split, answer without retrieval.

`prepare` trains on (system prompt + question -> reference answer) with loss on the answer only
and saves the adapter to `<run>/strategies/<name>/adapter/`; an adapter already there (with its
`train.json`) is reused. `predict` attaches the adapter to the loaded base model.
"""
from __future__ import annotations

import json

from harness.backends.base import Request
from harness.prompting import build_messages
from harness.strategy import Context, Query, to_predictions
from harness.suite import LoraStrategy
from harness.training import train_lora


class Lora:
    def __init__(self, config: LoraStrategy, ctx: Context):
        self.config, self.ctx = config, ctx
        self.adapter_dir = ctx.artifact_dir / "adapter"

    def prepare(self, bar=None) -> dict:
        record = self.ctx.artifact_dir / "train.json"
        if record.exists() and (self.adapter_dir / "adapter_config.json").exists():
            return json.loads(record.read_text()) | {"from_cache": True}
        system = self.ctx.suite.system_prompt
        pairs = [(build_messages(system, e.question), e.answer) for e in self.ctx.data.train]
        res = train_lora(self.ctx.backend, pairs, self.config.lora, self.config.training,
                         self.adapter_dir, self.ctx.suite.seed, bar, self.ctx.on_step)
        info = {"adapter": str(self.adapter_dir), "train_seconds": res.seconds,
                "train_tokens": res.tokens, "steps": res.steps, "examples": res.examples,
                "trainable_params": res.trainable_params,
                "train_flops_estimate": res.flops_estimate, "losses": res.losses}
        from harness.store import write_json
        write_json(record, info)
        return info

    def requests(self, questions: list[str]):
        """The chat requests for these questions (answered with `adapter_dir` attached)."""
        return [Request(build_messages(self.ctx.suite.system_prompt, q)) for q in questions], None

    def predict(self, queries: list[Query], bar=None):
        reqs, _ = self.requests([q.text for q in queries])
        with self.ctx.backend.adapter(self.adapter_dir) as b:
            return to_predictions(queries, b.generate(reqs, bar.advance if bar else None))

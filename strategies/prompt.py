"""`prompt`: the base model with the suite's system prompt and k few-shot examples from train.

Shots are a seeded sample of train rows (the same for every question), laid out by `template`
(harness.prompting.TEMPLATES: prior chat turns, or inline Q/A lines). `system_prompt` names one of
the suite's `system_prompts` variants (null: the suite's `system_prompt`). Nothing is trained or
indexed; `prepare` only picks the shots.
"""
from __future__ import annotations

import random

from harness.prompting import build_messages
from harness.strategy import Context, Query, to_predictions
from harness.suite import PromptStrategy


class PromptEngineering:
    def __init__(self, config: PromptStrategy, ctx: Context):
        self.config, self.ctx = config, ctx
        self.shots: list[tuple[str, str]] = []

    def prepare(self, bar=None) -> dict:
        train = self.ctx.data.train
        k = min(self.config.num_shots, len(train))
        picked = random.Random(self.ctx.suite.seed).sample(train, k)
        self.shots = [(e.question, e.answer) for e in picked]
        return {"shots": [e.id for e in picked]}

    def requests(self, questions: list[str]):
        """The chat requests for these questions (also used by `harness serve`); no retrieval."""
        from harness.backends.base import Request
        suite, name = self.ctx.suite, self.config.system_prompt
        system = suite.system_prompts[name] if name else suite.system_prompt
        return [Request(build_messages(system, q, shots=self.shots, template=self.config.template))
                for q in questions], None

    def predict(self, queries: list[Query], bar=None):
        reqs, _ = self.requests([q.text for q in queries])
        return to_predictions(queries, self.ctx.backend.generate(reqs, bar.advance if bar else None))

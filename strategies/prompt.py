"""`prompt`: the base model with the suite's system prompt and k few-shot examples from train.

Shots are a seeded sample of train rows (the same for every question), laid out by `template`
(harness.data.prompting.TEMPLATES: prior chat turns, or inline Q/A lines). `system_prompt` names one of
the suite's `system_prompts` variants (null: the suite's `system_prompt`). Nothing is trained or
indexed; `prepare` only picks the shots.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from harness.training.fit import Fitter
from harness.config.knobs import Model, Search
from harness.data.prompting import builder, pick_shots
from harness.run.strategy import Context, Query, to_predictions
from strategies.base import StrategyBase, StrategyConfig


class PromptStrategy(StrategyConfig):
    label = "selecting shots"
    prompt_baseline = True

    type: Literal["prompt"]
    name: str
    model: Model | None = None  # overrides the suite's `model:` key by key
    num_shots: int = Field(3, ge=0, le=64)
    template: Literal["chat", "inline"] = "chat"   # harness.data.prompting.TEMPLATES
    system_prompt: str | None = None               # a name from the suite's `system_prompts`
    search: Search = {}

    def trivial(self) -> bool:
        return self.num_shots == 0  # the base model with no examples


class PromptEngineering(StrategyBase):
    Config = PromptStrategy

    def __init__(self, config: PromptStrategy, ctx: Context):
        super().__init__(config, ctx)
        self.shots: list[tuple[str, str]] = []

    def prepare(self, bar=None) -> dict:
        picked = pick_shots(self.ctx.data.train, self.config.num_shots, self.ctx.suite.seed)
        self.shots = [(e.question, e.answer) for e in picked]
        return {"shots": [e.id for e in picked]}

    def requests(self, questions: list[str]):
        """The chat requests for these questions (also used by `harness serve`); no retrieval."""
        from harness.backends.base import Request
        suite = self.ctx.suite
        build = builder(suite, self.shots, self.config.template, self.config.system_prompt)
        fitter = Fitter.for_generation(self.ctx.backend, suite.model_for(self.config))
        fits = [fitter.fit(build, q) for q in questions]
        return [Request(f.messages, cut_tokens=f.cut_tokens) for f in fits], None

    def predict(self, queries: list[Query], bar=None):
        reqs, _ = self.requests([q.text for q in queries])
        gens = self.ctx.backend.generate(reqs, bar.advance if bar else None)
        return to_predictions(queries, gens, requests=reqs)

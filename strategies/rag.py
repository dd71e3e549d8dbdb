"""`rag`: retrieve the top-k knowledge-base chunks (llama-index, MiniLM) into the prompt.

`prepare` builds (or loads from the suite's cache) the vector index for this strategy's
`chunk_size` / `chunk_overlap` and draws `num_shots` few-shot examples from train (as `prompt`
does); `predict` retrieves `similarity_top_k` chunks per question and answers with the base
model. Prompts over the model's limit are fitted by harness.training.fit (lowest-ranked chunks first).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from harness.backends.base import Request
from harness.errors import UserError
from harness.training.fit import Fitter
from harness.config.knobs import Model, RetrievalKnobs, Search
from harness.data.prompting import builder, pick_shots
from harness.data.retrieval import build_retriever
from harness.run.strategy import Context, Query, to_predictions
from strategies.base import StrategyBase, StrategyConfig


class RagStrategy(RetrievalKnobs, StrategyConfig):
    label = "indexing"
    needs_knowledge_base = retrieves = True
    retrieval_key = ""   # the retrieval knobs are the config's own top-level keys

    type: Literal["rag"]
    name: str
    model: Model | None = None  # overrides the suite's `model:` key by key
    num_shots: int = Field(0, ge=0, le=64)   # few-shot examples from train (templates.shot)
    search: Search = {}


class Rag(StrategyBase):
    Config = RagStrategy

    def __init__(self, config: RagStrategy, ctx: Context):
        super().__init__(config, ctx)
        self.retriever = None
        self.shots: list[tuple[str, str]] = []

    def prepare(self, bar=None) -> dict:
        if not self.ctx.data.kb:
            raise UserError(f"strategy '{self.config.name}' needs data.knowledge_base",
                            key="data.knowledge_base")
        self.retriever, folder, cached = build_retriever(
            self.ctx.data.kb, self.config, self.ctx.suite.embedding.name_or_path,
            self.ctx.cache_dir, bar)
        picked = pick_shots(self.ctx.data.train, self.config.num_shots, self.ctx.suite.seed)
        self.shots = [(e.question, e.answer) for e in picked]
        return ({"index": str(folder), "chunks": len(self.retriever.chunks), "from_cache": cached}
                | ({"shots": [e.id for e in picked]} if picked else {}))

    def requests(self, questions: list[str]):
        """The chat requests for these questions and the chunks retrieved for each."""
        hits = self.retriever.retrieve_many(questions)
        build = builder(self.ctx.suite, self.shots, with_context=True)
        fitter = Fitter.for_generation(self.ctx.backend, self.ctx.suite.model_for(self.config))
        fits = [fitter.fit(build, q, h) for q, h in zip(questions, hits)]
        return [Request(f.messages, cut_tokens=f.cut_tokens) for f in fits], hits

    def predict(self, queries: list[Query], bar=None):
        reqs, hits = self.requests([q.text for q in queries])
        gens = self.ctx.backend.generate(reqs, bar.advance if bar else None)
        return to_predictions(queries, gens, hits, reqs)

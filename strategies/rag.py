"""`rag`: retrieve the top-k knowledge-base chunks (llama-index, MiniLM) into the prompt.

`prepare` builds (or loads from the suite's cache) the vector index for this strategy's
`chunk_size` / `chunk_overlap`; `predict` retrieves `similarity_top_k` chunks per question and
answers with the base model.
"""
from __future__ import annotations

from harness.backends.base import Request
from harness.errors import UserError
from harness.prompting import build_messages
from harness.retrieval import build_retriever
from harness.strategy import Context, Query, to_predictions
from harness.suite import RagStrategy


class Rag:
    def __init__(self, config: RagStrategy, ctx: Context):
        self.config, self.ctx = config, ctx
        self.retriever = None

    def prepare(self, bar=None) -> dict:
        if not self.ctx.data.kb:
            raise UserError(f"strategy '{self.config.name}' needs data.knowledge_base",
                            key="data.knowledge_base")
        self.retriever, folder, cached = build_retriever(
            self.ctx.data.kb, self.config, self.ctx.suite.embedding.name_or_path,
            self.ctx.cache_dir, bar)
        return {"index": str(folder), "chunks": len(self.retriever.chunks), "from_cache": cached}

    def requests(self, questions: list[str]):
        """The chat requests for these questions and the chunks retrieved for each."""
        hits = self.retriever.retrieve_many(questions)
        return [Request(build_messages(self.ctx.suite.system_prompt, q, context=h))
                for q, h in zip(questions, hits)], hits

    def predict(self, queries: list[Query], bar=None):
        reqs, hits = self.requests([q.text for q in queries])
        gens = self.ctx.backend.generate(reqs, bar.advance if bar else None)
        return to_predictions(queries, gens, hits)

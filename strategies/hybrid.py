"""`hybrid`: RAG + LoRA, trained RAFT-style (Zhang et al., 2024).

`prepare` builds the retriever (as `rag` does) and trains a LoRA adapter on train questions whose
prompts carry the retrieved top-k chunks plus `num_distractors` chunks from other documents, in a
seeded shuffled order, so the adapter learns to answer from context and to ignore noise. A
document made from a training row itself (`Dataset.row_documents`: the SQL task's example
queries) is never retrieved for that row, so training prompts are like test prompts. The
prompt format is `harness.data.prompting.build_messages`, identical at training and inference.
`predict` retrieves top-k chunks and answers with the adapter attached. The adapter is saved to
`<run>/strategies/<name>/adapter/` and reused when present.

On a backend without local adapters (`openai`), hybrid runs at inference only: nothing is
trained here, retrieval stays local, and the endpoint's model is taken to be the RAFT-tuned one
(e.g. `harness serve RUN --strategy hybrid --raw`, or a server hosting a fine-tuned model).
"""
from __future__ import annotations

import random
from typing import Literal

from pydantic import Field

from harness.backends.base import AdapterHost, Request
from harness.errors import UserError
from harness.training.fit import Fitter, drop_order
from harness.config.knobs import LoraKnobs, Model, RetrievalKnobs, Search, TrainingKnobs
from harness.metrics.accuracy import words
from harness.data.prompting import builder, pick_shots
from harness.data.retrieval import Chunk, build_retriever, sentences as split_sentences
from harness.run.strategy import Context, Query, to_predictions
from strategies.base import AdapterTraining, StrategyConfig


class HybridStrategy(StrategyConfig):
    """RAFT-style: LoRA trained on prompts that carry retrieved context plus distractors."""
    label = "training RAFT LoRA"
    needs_knowledge_base = retrieves = trains_weights = uses_adapter = True
    trained_folder = "adapter"
    retrieval_key = "retrieval"   # on an API model: inference only (see the module docstring)

    type: Literal["hybrid"]
    name: str
    model: Model | None = None  # overrides the suite's `model:` key by key
    lora: LoraKnobs = LoraKnobs()
    training: TrainingKnobs = TrainingKnobs()
    retrieval: RetrievalKnobs = RetrievalKnobs()
    num_distractors: int = Field(1, ge=0, le=20)
    num_shots: int = Field(0, ge=0, le=64)   # few-shot turns, in training prompts too
    # RAFT's P (Zhang et al. 2024): the share of training examples whose context holds the oracle
    # (the source document's chunk that carries the answer's key facts, put in place of the
    # lowest-ranked hit when retrieval missed it); the others see only non-oracle chunks, so the
    # adapter also learns to answer what it knows when retrieval fails. null: retrieved chunks
    # as they come, oracle or not.
    oracle_fraction: float | None = Field(None, ge=0, le=1)
    # What a training example's answer is. `answer`: the row's written answer. `quote`: RAFT's
    # quoted evidence (Zhang et al. 2024 train on answers that quote the oracle document): the
    # sentences of the oracle chunk in the example's context that hold its key facts, as written
    # there, so the adapter learns to find and copy the relevant sentence instead of recalling a
    # memorised answer; the written answer where the context holds no such sentences (no oracle,
    # a refusal, facts split across a chunk boundary).
    answer_from: Literal["answer", "quote"] = "answer"
    search: Search = {}
    seeds: list[int] | None = None   # retrain once per seed and report seed variance


def fact_sentences(text: str, facts) -> list[str] | None:
    """The fewest sentences of `text` (`split_sentences`, in their order there) holding every
    fact, each fact matched as key-fact recall matches it (harness.metrics.accuracy.words); None
    when some fact is in no sentence or there are no facts."""
    sentences = split_sentences(text)
    chosen: list[int] = []
    for fact in facts:
        f = f" {words(fact)} "
        if any(f in f" {words(sentences[i])} " for i in chosen):
            continue
        hit = next((i for i, s in enumerate(sentences) if f in f" {words(s)} "), None)
        if hit is None:
            return None
        chosen.append(hit)
    return [sentences[i] for i in sorted(chosen)] or None


def quote(text: str, facts) -> str | None:
    """`fact_sentences` joined into one answer (None when there are none)."""
    found = fact_sentences(text, facts)
    return " ".join(found) if found else None


class Hybrid(AdapterTraining):
    Config = HybridStrategy

    def __init__(self, config: HybridStrategy, ctx: Context):
        super().__init__(config, ctx)
        self.retriever = None
        self.shots = [(e.question, e.answer) for e in
                      pick_shots(ctx.data.train, config.num_shots, ctx.suite.seed)]
        self.remote = not isinstance(ctx.backend, AdapterHost)  # see the module docstring

    def _oracle(self, example):
        """The source document's chunk holding most of the example's key facts (None: no
        source, or no chunk holds any)."""
        facts = [f.lower() for f in example.key_facts]
        best = max(((sum(f in c.text.lower() for f in facts), c) for c in self.retriever.chunks
                    if example.source and c.doc_id == example.source),
                   key=lambda t: t[0], default=(0, None))
        return best[1] if best[0] else None

    def _raft_context(self, example, hits, rng: random.Random):
        """Retrieved chunks plus `num_distractors` from other documents, in a seeded order.
        With `oracle_fraction` P, a share P of examples is sure to hold the oracle chunk and the
        rest hold none of the source document's chunks (see HybridStrategy)."""
        hits = list(hits)
        p = self.config.oracle_fraction
        oracle = self._oracle(example) if p is not None else None
        if oracle is not None:
            if rng.random() < p:
                if all(h.text != oracle.text for h in hits):
                    hits[-1:] = [oracle]
            else:
                hits = [h for h in hits if h.doc_id != example.source]
        used = {h.text for h in hits}
        pool = [c for c in self.retriever.chunks if c.doc_id != example.source and c.text not in used]
        n = self.config.num_distractors + self.config.retrieval.similarity_top_k - len(hits)
        distractors = rng.sample(pool, min(max(n, self.config.num_distractors), len(pool)))
        ctx = hits + distractors
        rng.shuffle(ctx)
        return ctx

    def _with_evidence(self, example, ctx, shown, rng: random.Random):
        """Sentence contexts (`retrieval.context_sentences`): when RAFT put the oracle chunk in
        `ctx`, the oracle's sentences holding the key facts (`fact_sentences`) are sure to be
        among the `shown` sentences, each in place of the least similar one, at a seeded
        position: RAFT's P is then the share of examples that show the evidence, not only its
        chunk (the closest sentences miss it for about a third of the questions)."""
        oracle = self._oracle(example) if self.config.oracle_fraction is not None else None
        if shown is ctx or oracle is None or all(c.text != oracle.text for c in ctx):
            return shown
        have = {c.text for c in shown}
        need = [s for s in fact_sentences(oracle.text, example.key_facts) or [] if s not in have]
        if not need:
            return shown
        out = list(shown[: max(len(shown) - len(need), 0)])
        for s in need:
            out.insert(rng.randrange(len(out) + 1), Chunk(oracle.doc_id, s))
        return out

    def _answer(self, example, ctx) -> str:
        """The training answer for an example whose prompt carries `ctx` (see `answer_from`)."""
        if self.config.answer_from == "quote" and example.key_facts:
            for c in ctx:
                if example.source and c.doc_id == example.source:
                    if (q := quote(c.text, example.key_facts)) is not None:
                        return q
        return example.answer

    def prepare(self, bar=None) -> dict:
        if not self.ctx.data.kb:
            raise UserError(f"strategy '{self.config.name}' needs data.knowledge_base",
                            key="data.knowledge_base")
        self.retriever, folder, _ = build_retriever(
            self.ctx.data.kb, self.config.retrieval, self.ctx.suite.embedding.name_or_path,
            self.ctx.cache_dir)
        if self.remote:
            return {"index": str(folder), "remote_model": self.ctx.backend.cfg.model,
                    "trained": "not here: the endpoint serves the fine-tuned model"}
        if (done := self.reused()) is not None:
            return done
        train = self.ctx.data.train[: self.config.training.train_size]
        rng = random.Random(self.ctx.suite.seed)
        own = self.ctx.data.row_documents  # a document made from the row itself (a train
        k = self.config.retrieval.similarity_top_k  # pair as a retrieval example) is left out
        hits = self.retriever.retrieve_many([e.question for e in train], k + 1 if own else None,
                                            focus=False)
        if own:
            hits = [[c for c in h if c.doc_id != own.get(e.id)][:k] for e, h in zip(train, hits)]
        build = builder(self.ctx.suite, self.shots, with_context=True)
        fitter = Fitter.for_training(self.ctx.backend, self.config.training)
        ctxs = [self._raft_context(e, h, rng) for e, h in zip(train, hits)]
        # With `retrieval.context_sentences`, RAFT's chunks are cut to their sentences closest to
        # the question (best first), as retrieve_many does at inference.
        focused = [self._with_evidence(e, c, s, rng) for e, c, s in
                   zip(train, ctxs, self.retriever.focus([e.question for e in train], ctxs))]
        fits, answers = [], []
        for e, h, ctx, shown in zip(train, hits, ctxs, focused):
            # too long: distractors go first, then the lowest-ranked hit; an oracle put in by RAFT
            # goes last (sentences: the least similar first)
            ranked = ([c for c in ctx if e.source and c.doc_id == e.source and c not in h] + list(h)
                      if shown is ctx else shown)
            answers.append(self._answer(e, ctx))
            fits.append(fitter.fit(build, e.question, shown, drop_order(shown, ranked),
                                   answer=answers[-1]))
        return self.train_adapter(fits, train, bar, answers=answers, index=str(folder))

    def requests(self, questions: list[str]):
        """The chat requests for these questions and the chunks retrieved for each."""
        hits = self.retriever.retrieve_many(questions)
        build = builder(self.ctx.suite, self.shots, with_context=True)
        fitter = Fitter.for_generation(self.ctx.backend, self.ctx.suite.model_for(self.config))
        fits = [fitter.fit(build, q, h) for q, h in zip(questions, hits)]
        return [Request(f.messages, cut_tokens=f.cut_tokens) for f in fits], hits

    def predict(self, queries: list[Query], bar=None):
        reqs, hits = self.requests([q.text for q in queries])
        with self.served(self.ctx.backend) as b:  # remote: the endpoint's own model
            return to_predictions(queries, b.generate(reqs, bar.advance if bar else None), hits,
                                  reqs)

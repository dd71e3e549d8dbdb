"""RAG quality with ragas: context precision / recall (offline, no LLM) and, when the suite has a
`judge:`, faithfulness and answer relevancy.

Items are `RagItem`s (question, answer given, retrieved chunk texts, reference contexts). The
reference contexts of an example are the chunks of the knowledge-base document its `source`
names, cut with the strategy's own llama-index `SentenceSplitter` knobs (and, when the strategy
retrieves `context_sentences`, into those chunks' sentences, the unit it retrieves), narrowed to
the pieces that hold one of the example's key facts when any does (`reference_contexts`). Context metrics
are ragas' `NonLLMContextPrecisionWithReference` / `NonLLMContextRecall` (string similarity of
retrieved vs reference chunks). None = not applicable (no source document, nothing retrieved);
for judge metrics None = the judge's output was unparseable after retries (counted as missing).
"""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from harness.metrics.spec import register_metric

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")


@dataclass(frozen=True)
class RagItem:
    id: str
    question: str
    answer: str
    retrieved: tuple[str, ...]
    reference_contexts: tuple[str, ...] = ()


def reference_contexts(examples, kb, chunk_size: int, chunk_overlap: int,
                       by_sentence: bool = False) -> dict[str, tuple]:
    """{example id: reference chunk texts (or sentences)} for examples whose `source` is a KB
    document."""
    from llama_index.core import Document as LIDocument
    from llama_index.core.node_parser import SentenceSplitter

    from harness.data.retrieval import sentences
    from harness.metrics.accuracy import key_facts_of, normalize
    splitter = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    docs = {d.id: d for d in kb}
    chunks: dict[str, list[str]] = {}
    out = {}
    for e in examples:
        if not e.source or e.source not in docs:
            continue
        if e.source not in chunks:
            d = docs[e.source]
            chunks[e.source] = [n.get_content() for n in
                                splitter.get_nodes_from_documents([LIDocument(text=d.text, doc_id=d.id)])]
            if by_sentence:
                chunks[e.source] = list(dict.fromkeys(s for c in chunks[e.source]
                                                      for s in sentences(c)))
        facts = [normalize(f) for f in key_facts_of(e) if normalize(f)]
        with_fact = [c for c in chunks[e.source] if any(f in normalize(c) for f in facts)]
        out[e.id] = tuple(with_fact or chunks[e.source])
    return out


def _nonllm(metric_cls, items) -> list[float | None]:
    from ragas.dataset_schema import SingleTurnSample
    metric = metric_cls()
    out = []
    for it in items:
        if not it.retrieved or not it.reference_contexts:
            out.append(None)
            continue
        s = SingleTurnSample(user_input=it.question, retrieved_contexts=list(it.retrieved),
                             reference_contexts=list(it.reference_contexts))
        out.append(float(asyncio.run(metric.single_turn_ascore(s))))
    return out


@register_metric("context_precision", label="context precision, ragas", order=140,
                 kind="rag",
                 description="ragas NonLLMContextPrecisionWithReference: rank-weighted share of "
                             "retrieved chunks that match a reference chunk")
def context_precision(items, judge=None):
    from ragas.metrics._context_precision import NonLLMContextPrecisionWithReference
    return _nonllm(NonLLMContextPrecisionWithReference, items)


@register_metric("context_recall", label="context recall, ragas", order=150,
                 kind="rag",
                 description="ragas NonLLMContextRecall: share of reference chunks retrieved")
def context_recall(items, judge=None):
    from ragas.metrics._context_recall import NonLLMContextRecall
    return _nonllm(NonLLMContextRecall, items)


def _judged(metric, items, judge, needs_context: bool):
    from ragas.dataset_schema import SingleTurnSample
    scores, reasons = [], []
    for it in items:
        if needs_context and not it.retrieved:
            scores.append(None); reasons.append("nothing retrieved")
            continue
        s = SingleTurnSample(user_input=it.question, response=it.answer,
                             retrieved_contexts=list(it.retrieved))
        v, why = judge.score(metric, s)
        scores.append(v); reasons.append(why)
    judge.last_reasons = reasons
    return scores


@register_metric("faithfulness", label="faithfulness, ragas judge", order=160,
                 kind="judge",
                 description="ragas Faithfulness (judge model): share of the answer's claims "
                             "supported by the retrieved context")
def faithfulness(items, judge):
    from ragas.metrics._faithfulness import Faithfulness
    return _judged(Faithfulness(llm=judge.ragas_llm()), items, judge, needs_context=True)


@register_metric("answer_relevancy", label="answer relevancy, ragas judge", order=170,
                 kind="judge",
                 description="ragas AnswerRelevancy (judge model + MiniLM embeddings): similarity "
                             "of questions regenerated from the answer to the asked question")
def answer_relevancy(items, judge):
    from ragas.embeddings import LlamaIndexEmbeddingsWrapper
    from ragas.metrics._answer_relevance import AnswerRelevancy

    from harness.data.embeddings import get_embedder
    emb = LlamaIndexEmbeddingsWrapper(get_embedder(judge.embedding_name))
    return _judged(AnswerRelevancy(llm=judge.ragas_llm(), embeddings=emb,
                                   strictness=judge.strictness), items, judge, needs_context=False)


def score_rag(cfg, examples, preds, kb, judge=None, judge_limit=None, seed: int = 0,
              clusters=None):
    """For a retrieval strategy's test predictions: ({metric: Estimate-dict + unit, missing},
    {metric: per-example scores}, {example id: judge reasons}). Judge metrics run only with a
    judge, on the first `judge_limit` examples; `missing` counts their unparseable outputs.
    `clusters` (one label per example) makes the intervals resample clusters (harness.evaluation.stats)."""
    import time

    from harness.registry import METRICS
    from harness.evaluation.stats import ci
    knobs = cfg.retrieval_knobs()
    refs = reference_contexts(examples, kb, knobs.chunk_size, knobs.chunk_overlap,
                              by_sentence=bool(knobs.context_sentences))
    items = [RagItem(e.id, e.question, p.output, tuple(c["text"] for c in p.retrieved),
                     refs.get(e.id, ())) for e, p in zip(examples, preds)]
    metrics, per_example, reasons = {}, {}, {}
    for name, m in METRICS.items():
        if m.kind == "rag" or (m.kind == "judge" and judge is not None and name in judge.metrics):
            t0 = time.perf_counter()
            judged = items[:judge_limit] if m.kind == "judge" else items
            scores = m.fn(judged, judge) + [None] * (len(items) - len(judged))
            per_example[name] = scores
            entry = ci(scores, seed=seed, clusters=clusters).to_dict() | {
                "unit": m.unit, "higher_is_better": m.higher_is_better,
                "seconds": round(time.perf_counter() - t0, 2)}
            if m.kind == "judge":
                missing = sum(s is None and r.startswith("judge") for s, r in
                              zip(scores, judge.last_reasons))
                entry |= {"judge": judge.name, "judged": len(judged), "missing": missing}
                for it, r in zip(judged, judge.last_reasons):
                    if r:
                        reasons.setdefault(it.id, {})[name] = r
            metrics[name] = entry
    return metrics, per_example, reasons

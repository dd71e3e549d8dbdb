"""ragas RAG metrics: offline context precision/recall on real retrieval, the judge path with the
real embedded model, and unparseable judge output counted as missing (never 0 or NaN)."""
from __future__ import annotations

import math

import pytest

from harness.evaluation.judge import Judge, build_judge
from harness.metrics.rag import (RagItem, context_precision, context_recall, faithfulness,
                                 reference_contexts, score_rag)
from harness.run.strategy import Prediction

EMB = "embedded:all-minilm-l6-v2"


def test_context_metrics_rank_real_retrieval(tiny_data, tmp_path):
    from harness.data.retrieval import build_retriever
    from harness.config.suite import RetrievalKnobs
    knobs = RetrievalKnobs(chunk_size=64, chunk_overlap=8, similarity_top_k=2)
    retriever, _, _ = build_retriever(tiny_data.kb, knobs, EMB, tmp_path)
    refs = reference_contexts(tiny_data.test, tiny_data.kb, 64, 8)
    ex = [e for e in tiny_data.test if e.id in refs]
    hits = retriever.retrieve_many([e.question for e in ex])
    good = [RagItem(e.id, e.question, "", tuple(c.text for c in h), refs[e.id])
            for e, h in zip(ex, hits)]
    wrong = [RagItem(e.id, e.question, "", tuple(c.text for c in retriever.chunks
                                                 if c.doc_id != e.source)[:2], refs[e.id])
             for e in ex]
    gp, gr = context_precision(good), context_recall(good)
    wp, wr = context_precision(wrong), context_recall(wrong)
    assert all(0 <= v <= 1 for v in gp + gr + wp + wr)
    assert sum(gp) > sum(wp) and sum(gr) > sum(wr) and max(wp + wr) < 0.5
    assert context_precision([RagItem("n", "q", "a", (), refs[ex[0].id])]) == [None]



def test_context_metrics_score_sentence_retrieval_against_sentences(tiny_data, tmp_path):
    """With `context_sentences`, the references are the source document's sentences (the unit
    retrieved), so retrieving the right sentences scores above zero and the wrong ones below."""
    from harness.data.retrieval import build_retriever, sentences
    from harness.config.suite import RetrievalKnobs
    knobs = RetrievalKnobs(chunk_size=64, chunk_overlap=8, similarity_top_k=2,
                           context_sentences=2)
    retriever, _, _ = build_retriever(tiny_data.kb, knobs, EMB, tmp_path)
    refs = reference_contexts(tiny_data.test, tiny_data.kb, 64, 8, by_sentence=True)
    ex = [e for e in tiny_data.test if e.id in refs]
    docs = {d.id: d.text for d in tiny_data.kb}
    assert all(set(refs[e.id]) <= set(sentences(docs[e.source])) for e in ex)
    hits = retriever.retrieve_many([e.question for e in ex])
    good = [RagItem(e.id, e.question, "", tuple(c.text for c in h), refs[e.id])
            for e, h in zip(ex, hits)]
    wrong = [RagItem(e.id, e.question, "", tuple(s for d, t in docs.items() if d != e.source
                                                 for s in sentences(t))[:2], refs[e.id])
             for e in ex]
    assert sum(context_recall(good)) > sum(context_recall(wrong))
    assert sum(context_precision(good)) > 0

def _garbage(prompt):
    return "Sure! The answer looks fine to me."


def test_unparseable_judge_is_retried_then_missing(tiny_data):
    judge = Judge(_garbage, max_retries=1)
    item = RagItem("x0", "price?", "It costs $4.99.", ("Personal costs $4.99 per month.",))
    assert faithfulness([item], judge) == [None]          # missing, not 0 and not NaN
    # ragas re-asks with its fix-the-format prompt (format_retries=1), and we retry once more
    assert judge.calls == 2 * 2 and "unparseable" in judge.last_reasons[0]
    preds = [Prediction(e.id, e.answer, 10, 5, 0.1, 1, [{"doc_id": d.id, "score": 1.0,
                                                         "text": d.text} for d in tiny_data.kb])
             for e in tiny_data.test]
    from strategies.rag import RagStrategy
    cfg = RagStrategy(type="rag", name="rag", chunk_size=64, chunk_overlap=8)
    m, rows, reasons = score_rag(cfg, tiny_data.test, preds, tiny_data.kb, Judge(_garbage, max_retries=0))
    f = m["faithfulness"]
    assert f["missing"] == f["judged"] == len(tiny_data.test) and f["value"] is None and f["n"] == 0
    assert all(v is None for v in rows["faithfulness"]) and set(reasons) == {e.id for e in tiny_data.test}
    assert m["context_recall"]["value"] is not None and "missing" not in m["context_recall"]


@pytest.mark.slow
def test_real_embedded_judge_path(backend):
    """SmolLM2-135M as the judge, through ragas' own prompts: a score in [0, 1] or a counted
    missing one; never NaN. (A 135M model rarely writes ragas' JSON: that is what `missing` is for.)"""
    from harness.config.suite import Judge as JudgeCfg
    judge = build_judge(JudgeCfg(max_new_tokens=16, max_retries=0, format_retries=0), backend.cfg, backend)
    item = RagItem("x0", "How much is the Personal plan?", "The Personal plan costs $4.99 per month.",
                   ("The Personal plan costs $4.99 per month or $49 per year.",))
    [v] = faithfulness([item], judge)
    assert judge.calls >= 1
    assert (v is None and judge.last_reasons[0]) or (0.0 <= v <= 1.0 and not math.isnan(v))

"""Retrieval with llama-index over the tiny knowledge base; persisted index is reused."""
from __future__ import annotations

from harness.data.retrieval import build_retriever
from harness.config.suite import RetrievalKnobs

EMB = "embedded:all-minilm-l6-v2"


def test_retrieves_the_right_document_and_reuses_cache(tiny_data, tmp_path):
    knobs = RetrievalKnobs(chunk_size=64, chunk_overlap=8, similarity_top_k=2)
    r, folder, cached = build_retriever(tiny_data.kb, knobs, EMB, tmp_path)
    assert not cached and (folder / "docstore.json").exists()
    hits = r.retrieve_many(["how do I turn on two-factor authentication?",
                            "can I get my money back?"])
    assert hits[0][0].doc_id == "security" and hits[1][0].doc_id == "refunds"
    assert len(hits[0]) == 2 and hits[0][0].score >= hits[0][1].score
    r2, folder2, cached2 = build_retriever(tiny_data.kb, knobs, EMB, tmp_path)
    assert cached2 and folder2 == folder and len(r2.chunks) == len(r.chunks)
    _, folder3, _ = build_retriever(tiny_data.kb, knobs.model_copy(update={"chunk_size": 128}),
                                    EMB, tmp_path)
    assert folder3 != folder


def test_bm25_and_fused_retrievers_share_the_index(tiny_data, tmp_path):
    """`retriever: bm25` ranks lexically (llama-index BM25Retriever); `both` fuses dense and
    BM25 rankings (QueryFusionRetriever, reciprocal rank). Same chunks, same cached index."""
    q = ["how do I turn on two-factor authentication?", "how do I request a refund?"]
    got = {}
    for mode in ("dense", "bm25", "both"):
        knobs = RetrievalKnobs(chunk_size=64, chunk_overlap=8, similarity_top_k=2, retriever=mode)
        r, folder, _ = build_retriever(tiny_data.kb, knobs, EMB, tmp_path)
        got[mode] = (r.retrieve_many(q), folder)
    assert len({f for _, f in got.values()}) == 1  # the retriever choice does not re-index
    bm25, both = got["bm25"][0], got["both"][0]
    assert bm25[1][0].doc_id == "refunds" and all(len(h) == 2 for h in bm25 + both)
    assert bm25[0][0].score > bm25[0][1].score  # BM25 scores, best first
    for d, b, f in zip(got["dense"][0], bm25, both):  # fused = a ranking of the union
        assert {c.text for c in f} <= {c.text for c in d} | {c.text for c in b}
        assert 0 < f[0].score <= 2 / 60 + 1e-9  # reciprocal-rank scores: sum of 1 / (rank + 60)


def test_chunk_order_is_the_same_for_every_fresh_index(tiny_data, tmp_path):
    """Retriever.chunks (the hybrid strategy's distractor pool, sampled with the suite's seed)
    must not depend on llama-index's random node ids."""
    from harness.data.dataset import Document
    kb = [Document(f"{d.id}-{k}", d.text) for k in range(3) for d in tiny_data.kb]
    knobs = RetrievalKnobs(chunk_size=32, chunk_overlap=0)
    first, _, _ = build_retriever(kb, knobs, EMB, tmp_path / "a")
    again, _, _ = build_retriever(kb, knobs, EMB, tmp_path / "b")
    assert len(first.chunks) >= 6  # a random order would match by chance at most 1 in 720
    assert first.chunks == again.chunks
    ids = [n.node_id for n in first.index.docstore.docs.values()]
    assert set(ids).isdisjoint(n.node_id for n in again.index.docstore.docs.values())  # random


def test_context_sentences_are_the_closest_sentences_of_the_top_chunks(tiny_data, tmp_path):
    """`context_sentences: N`: each question gets the N sentences of its top-k chunks with the
    highest cosine to it, best first, each from its chunk's document, none twice; the
    unfocused chunks are still there with focus=False."""
    from harness.data.embeddings import embed
    from harness.data.retrieval import sentences
    q = ["how do I turn on two-factor authentication?", "can I get my money back?"]
    knobs = RetrievalKnobs(chunk_size=64, chunk_overlap=8, similarity_top_k=2,
                           context_sentences=2)
    r, _, _ = build_retriever(tiny_data.kb, knobs, EMB, tmp_path)
    chunks, focused = r.retrieve_many(q, focus=False), r.retrieve_many(q)
    for question, cs, fs in zip(q, chunks, focused):
        pool = {s: c.doc_id for c in cs for s in sentences(c.text)}
        assert len(pool) > 2 and len(fs) == 2 and len({f.text for f in fs}) == 2
        assert all(f.text in pool and pool[f.text] == f.doc_id for f in fs)
        qv, sv = embed([question], EMB)[0], embed(list(pool), EMB)
        best = sorted(zip((sv @ qv).tolist(), pool), reverse=True)[:2]
        assert [f.text for f in fs] == [s for _, s in best]
        assert fs[0].score >= fs[1].score
    assert focused[0][0].doc_id == "security" and focused[1][0].doc_id == "refunds"
    plain_r, _, _ = build_retriever(tiny_data.kb, knobs.model_copy(
        update={"context_sentences": None}), EMB, tmp_path)
    assert plain_r.retrieve_many(q) == chunks


def test_sentences_turn_markdown_and_table_rows_into_prose():
    from harness.data.retrieval import sentences
    text = ("# Plans\n\n| Plan | Price |\n|---|---|\n| Business | $15 per user |\n"
            "**What each plan adds**\n- **Enterprise** starts at 50 seats. Contact sales.")
    assert sentences(text) == ["Business: $15 per user",
                               "Enterprise starts at 50 seats.", "Contact sales."]

"""Retrieval with llama-index over the tiny knowledge base; persisted index is reused."""
from __future__ import annotations

from harness.retrieval import build_retriever
from harness.suite import RetrievalKnobs

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

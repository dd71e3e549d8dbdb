"""Incremental re-index: absorb a knowledge update into a persisted vector index.

Contract: `refresh_index(folder, kb, upd, knobs, embedding_name)` loads the index persisted in
`folder` (harness.data.retrieval.build_retriever's cache entry; the folder itself is never written),
and through llama-index's document management re-embeds only what changed:
`refresh_ref_docs` on the update's documents (an unchanged text is skipped, a changed one is
deleted and re-inserted, a new one inserted; chunked with the index's own `SentenceSplitter`
knobs) and `delete_ref_doc(id, delete_from_docstore=True)` for the removed ids. Returns
(Retriever over the updated index, stats): stats = {"seconds" (wall, measured), "embedded_chunks"
(counted from llama-index's embedding events), "changed_docs", "removed_docs", "chunks"
(after)}.
"""
from __future__ import annotations

import time
from pathlib import Path

from harness.config.knobs import RetrievalKnobs


def _li_doc(d):
    from llama_index.core import Document as LIDocument
    return LIDocument(text=d.text, doc_id=d.id, metadata={"doc_id": d.id})  # as build_retriever


class _EmbeddedChunks:
    """Counts the texts llama-index embeds while active (its EmbeddingEndEvent per batch)."""

    def __enter__(self):
        from llama_index.core.instrumentation import get_dispatcher
        from llama_index.core.instrumentation.event_handlers import BaseEventHandler
        from llama_index.core.instrumentation.events.embedding import EmbeddingEndEvent
        counter = self

        class Handler(BaseEventHandler):
            def handle(self, event, **kwargs):
                if isinstance(event, EmbeddingEndEvent):
                    counter.n += len(event.chunks)

        self.n, self.handler, self.dispatcher = 0, Handler(), get_dispatcher()
        self.dispatcher.add_event_handler(self.handler)
        return self

    def __exit__(self, *exc):
        self.dispatcher.event_handlers.remove(self.handler)


def refresh_index(folder: Path, kb: list, upd, knobs: RetrievalKnobs, embedding_name: str):
    from llama_index.core import StorageContext, load_index_from_storage
    from llama_index.core.node_parser import SentenceSplitter

    from harness.data.embeddings import get_embedder
    from harness.data.retrieval import Retriever
    emb = get_embedder(embedding_name)
    t0 = time.perf_counter()
    index = load_index_from_storage(
        StorageContext.from_defaults(persist_dir=str(folder)), embed_model=emb,
        transformations=[SentenceSplitter(chunk_size=knobs.chunk_size,
                                          chunk_overlap=knobs.chunk_overlap)])
    # build_retriever inserts chunks (nodes), so the docstore holds no hash per source
    # document; record the current ones, which refresh_ref_docs compares against.
    known = set(index.ref_doc_info)
    for d in kb:
        if d.id in known and index.docstore.get_document_hash(d.id) is None:
            index.docstore.set_document_hash(d.id, _li_doc(d).hash)
    with _EmbeddedChunks() as counted:
        refreshed = index.refresh_ref_docs([_li_doc(d) for d in upd.docs])
        for doc_id in upd.config.removed:
            index.delete_ref_doc(doc_id, delete_from_docstore=True)
    seconds = time.perf_counter() - t0
    retriever = Retriever(index, embedding_name, knobs)
    return retriever, {"seconds": seconds, "embedded_chunks": counted.n,
                       "changed_docs": [d.id for d, r in zip(upd.docs, refreshed) if r],
                       "removed_docs": list(upd.config.removed), "chunks": len(retriever.chunks)}

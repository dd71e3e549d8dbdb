"""Chunking, vector index and retrieval over a knowledge base, with llama-index.

Contract:
- `build_retriever(kb, knobs, embedding_name, cache_dir, progress)` chunks with llama-index's
  `SentenceSplitter(chunk_size, chunk_overlap)`, embeds the chunks and builds a
  `VectorStoreIndex`. The index is persisted (JSON) under `cache_dir/index-<hash>` keyed by the
  documents, the chunking knobs and the embedding model, and loaded from there when present.
- `vector_store` (knob): `simple` keeps the vectors in that JSON (llama-index's
  SimpleVectorStore); `qdrant` keeps them in a Qdrant collection named by the same hash
  (harness.data.qdrant_store: embedded local mode under `cache_dir/qdrant/`, or a server), with the
  docstore JSON under `cache_dir/index-<hash>-qdrant-<where>`; reused only when both are there
  and the collection holds every chunk, otherwise rebuilt. Same top-k for the same embeddings.
  Raises UserError for a Qdrant that cannot be used (harness.data.qdrant_store says which).
- `Retriever.retrieve_many(questions, top_k)` returns, per question, the top-k chunks (doc id,
  text, score), best first. `Retriever.chunks` lists every chunk (for distractors).
- `retriever` (knob): `dense` ranks by cosine similarity of MiniLM embeddings, `bm25` by
  llama-index's `BM25Retriever` (lexical), `both` fuses the two rankings with llama-index's
  `QueryFusionRetriever` in reciprocal-rank mode (scores are then RRF scores, not cosines).
- `context_sentences` (knob, default off): `retrieve_many` then returns, per question, the N
  sentences of its top-k chunks closest to the question by embedding cosine, best first, each
  as a Chunk of its document (`focus`, which the hybrid strategy also calls on its RAFT
  contexts). Markdown is dropped and a table row becomes one sentence ("Business: $15 per
  user/month, 5 TB per user"; `sentences`). Duplicates from overlapping chunks appear once.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.data.dataset import Document
from harness.data.embeddings import embed, get_embedder
from harness.config.knobs import RetrievalKnobs


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    text: str
    score: float = 0.0


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def plain(line: str) -> str:
    """A knowledge-base line as prose: markdown emphasis and bullets dropped, a table row's cells
    joined ("Business: $15 per user/month, 5 TB per user")."""
    line = line.replace("**", "").strip().lstrip("-*# ").strip()
    if line.startswith("|") or line.count("|") >= 2:
        cells = [c.strip() for c in line.strip("|").split("|") if c.strip()]
        line = f"{cells[0]}: {', '.join(cells[1:])}" if len(cells) > 1 else "".join(cells)
    return line


def _heading(raw: str) -> bool:
    raw = raw.strip()
    return raw.startswith("#") or (raw.startswith("**") and raw.endswith("**"))


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")


def sentences(text: str) -> list[str]:
    """`text`'s sentences and table rows as prose (`plain`), in order; blanks, table rules
    ("|---|"), the header row above a rule and headings ("# Refunds", a line all in bold) left
    out."""
    raw = [s for s in _SENTENCE.split(text) if s.strip()]
    header = {i - 1 for i, s in enumerate(raw) if i and _TABLE_RULE.match(s) and "|" in raw[i - 1]}
    return [p for p in (plain(s) for i, s in enumerate(raw) if not _heading(s) and i not in header)
            if p.strip("-: ")]


class Retriever:
    def __init__(self, index, embedding_name: str, knobs: RetrievalKnobs):
        self.index, self.embedding_name = index, embedding_name
        self.top_k, self.mode = knobs.similarity_top_k, knobs.retriever
        self.context_sentences = knobs.context_sentences
        self._vecs: dict[str, object] = {}   # sentence -> unit embedding, computed once
        # In document order, not by node id: llama-index draws random uuids for node ids, so
        # that order (and with it the hybrid strategy's seeded distractor draw) would change
        # with every fresh index build.
        nodes = sorted(index.docstore.docs.values(),
                       key=lambda n: (n.metadata.get("doc_id", ""), n.start_char_idx or 0,
                                      n.get_content()))
        self.chunks = [Chunk(n.metadata.get("doc_id", ""), n.get_content()) for n in nodes]

    def _retriever(self, k: int):
        dense = self.index.as_retriever(similarity_top_k=k)
        if self.mode == "dense":
            return dense
        from llama_index.retrievers.bm25 import BM25Retriever
        bm25 = BM25Retriever.from_defaults(docstore=self.index.docstore,
                                           similarity_top_k=min(k, len(self.chunks)))
        if self.mode == "bm25":
            return bm25
        from llama_index.core.llms.mock import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever
        # num_queries=1: fuse the two rankings of the user's query only (no LLM query rewriting;
        # the MockLLM is never called, it only keeps llama-index from resolving a default LLM).
        return QueryFusionRetriever([dense, bm25], llm=MockLLM(), mode="reciprocal_rerank",
                                    similarity_top_k=k, num_queries=1, use_async=False)

    def retrieve_many(self, questions: list[str], top_k: int | None = None,
                      focus: bool = True) -> list[list[Chunk]]:
        """Per question, its top-k chunks, best first; with `context_sentences` set and `focus`,
        the closest sentences of those chunks instead (see `focus`)."""
        from llama_index.core import QueryBundle
        retriever = self._retriever(top_k or self.top_k)
        vecs = (embed(list(questions), self.embedding_name) if self.mode != "bm25"  # one batched
                else [None] * len(questions))                                     # call, not one per query
        out = []
        for q, v in zip(questions, vecs):
            hits = retriever.retrieve(QueryBundle(query_str=q,
                                                  embedding=None if v is None else v.tolist()))
            out.append([Chunk(h.node.metadata.get("doc_id", ""), h.node.get_content(),
                              float(h.score or 0.0)) for h in hits])
        if not focus:
            return out
        return self.focus(questions, out, None if self.mode == "bm25" else vecs)

    def focus(self, questions: list[str], contexts: list[list[Chunk]],
              question_vecs=None) -> list[list[Chunk]]:
        """Per question, the `context_sentences` sentences of its context chunks with the highest
        cosine to the question (MiniLM), best first, as Chunks of their documents scored by that
        cosine; the contexts unchanged when the knob is off. Written here rather than with
        llama-index's SentenceEmbeddingOptimizer, which keeps a percentile of each node's
        sentences: a small model reads best a fixed handful across all the chunks.
        `question_vecs`: the questions' embeddings when the caller has them."""
        n = self.context_sentences
        if not n:
            return contexts
        pieces = []   # per question, each sentence once: doc of its first chunk (overlaps repeat)
        for ctx in contexts:
            first: dict[str, str] = {}
            for c in ctx:
                for s in sentences(c.text):
                    first.setdefault(s, c.doc_id)
            pieces.append(first)
        new = sorted({s for p in pieces for s in p} - self._vecs.keys())
        self._vecs.update(zip(new, embed(new, self.embedding_name)))
        if question_vecs is None:
            question_vecs = embed(list(questions), self.embedding_name)
        out = []
        for qv, p in zip(question_vecs, pieces):
            cos = {s: float(self._vecs[s] @ qv) for s in p}
            best = sorted(p, key=lambda s: -cos[s])[:n]   # stable: ties keep chunk order
            out.append([Chunk(p[s], s, round(cos[s], 4)) for s in best])
        return out


def index_key(kb: list[Document], knobs: RetrievalKnobs, embedding_name: str) -> str:
    h = hashlib.sha256(json.dumps([knobs.chunk_size, knobs.chunk_overlap, embedding_name]).encode())
    for d in kb:
        h.update(d.id.encode()); h.update(d.text.encode())
    return h.hexdigest()[:16]


def build_retriever(kb: list[Document], knobs: RetrievalKnobs, embedding_name: str,
                    cache_dir: Path, progress=None) -> tuple[Retriever, Path, bool]:
    """Returns (retriever, index folder, whether it came from the cache)."""
    from llama_index.core import (Document as LIDocument, StorageContext, VectorStoreIndex,
                                  load_index_from_storage)
    from llama_index.core.node_parser import SentenceSplitter
    key = index_key(kb, knobs, embedding_name)
    store, url = None, knobs.qdrant.url
    folder = cache_dir / f"index-{key}"
    if knobs.vector_store == "qdrant":
        from harness.data import qdrant_store
        store, where = qdrant_store.open_store(knobs, cache_dir, key)
        folder = cache_dir / f"index-{key}-qdrant-{where}"
    emb_model = get_embedder(embedding_name)  # after the store: a bad server fails fast
    if (folder / "docstore.json").exists():
        ctx = StorageContext.from_defaults(persist_dir=str(folder), vector_store=store)
        if store is None or qdrant_store.holds(store, len(ctx.docstore.docs), url):
            return Retriever(load_index_from_storage(ctx, embed_model=emb_model), embedding_name,
                             knobs), folder, True
        shutil.rmtree(folder)  # its collection is gone or incomplete (e.g. a new server)
    if store is not None:  # a collection without a finished docstore: left by a crash
        qdrant_store.drop(store, url)
    docs = [LIDocument(text=d.text, doc_id=d.id, metadata={"doc_id": d.id}) for d in kb]
    splitter = SentenceSplitter(chunk_size=knobs.chunk_size, chunk_overlap=knobs.chunk_overlap)
    nodes = splitter.get_nodes_from_documents(docs)
    if progress:
        progress.total(len(nodes))
    for start in range(0, len(nodes), 64):  # embed ourselves to drive the progress bar
        batch = nodes[start:start + 64]
        for node, vec in zip(batch, embed([n.get_content() for n in batch], embedding_name)):
            node.embedding = vec.tolist()  # VectorStoreIndex skips nodes that have embeddings
        if progress:
            progress.advance(len(batch))
    # store_nodes_override: Qdrant keeps the text in its payloads, but the docstore must hold
    # the chunks too (Retriever.chunks, BM25); a no-op for the default store.
    index = VectorStoreIndex(nodes, embed_model=emb_model, store_nodes_override=True,
                             storage_context=StorageContext.from_defaults(vector_store=store))
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".tmp-index-"))
    index.storage_context.persist(persist_dir=str(tmp))  # written last: marks a finished index
    try:
        tmp.rename(folder)
    except OSError:  # another process persisted the same index first
        shutil.rmtree(tmp, ignore_errors=True)
    return Retriever(index, embedding_name, knobs), folder, False

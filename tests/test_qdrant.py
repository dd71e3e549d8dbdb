"""`vector_store: qdrant`: llama-index's QdrantVectorStore in qdrant-client's embedded local mode.

Same top-k as the default in-memory store for the same embeddings; the index survives a re-run
from its on-disk folder (reopened, nothing re-embedded); a lost or half-written collection is
rebuilt; the store choice enters run ids only as `harness.run.store.computed_strategy` says; a
server's key comes from a named variable and never shows in an error.
"""
from __future__ import annotations

import pytest
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from harness.data import qdrant_store
from harness.errors import UserError
from harness.data.retrieval import build_retriever
from harness.config.suite import RetrievalKnobs
from tests.conftest import ROOT, TINY

EMB = "embedded:all-minilm-l6-v2"
KNOBS = RetrievalKnobs(chunk_size=32, chunk_overlap=0, similarity_top_k=2)
QDRANT = KNOBS.model_copy(update={"vector_store": "qdrant"})
SUPPORT = ROOT / "suites" / "support_bot"


@pytest.fixture
def embedded(monkeypatch):
    """Counts the texts the embedding model embeds (the real model still embeds them)."""
    texts = []
    real = HuggingFaceEmbedding.get_text_embedding_batch

    def counting(self, batch, *a, **kw):
        texts.extend(batch)
        return real(self, batch, *a, **kw)
    monkeypatch.setattr(HuggingFaceEmbedding, "get_text_embedding_batch", counting)
    yield texts
    qdrant_store.close_clients()


def _questions(data):
    return [e.question for e in data.test + data.dev + data.train]


def _same_top_k(kb, knobs, questions, cache):
    simple, _, _ = build_retriever(kb, knobs, EMB, cache)
    qdrant, folder, _ = build_retriever(kb, knobs.model_copy(update={"vector_store": "qdrant"}),
                                        EMB, cache)
    assert folder.name.endswith("-qdrant-local") and (cache / "qdrant").is_dir()
    got, want = qdrant.retrieve_many(questions), simple.retrieve_many(questions)
    assert [[c.doc_id for c in h] for h in got] == [[c.doc_id for c in h] for h in want]
    assert [[c.text for c in h] for h in got] == [[c.text for c in h] for h in want]
    assert all(len(h) == knobs.similarity_top_k for h in got)
    assert qdrant.chunks == simple.chunks   # the docstore holds every chunk (BM25, RAFT)
    assert len(qdrant.chunks) > knobs.similarity_top_k
    return got


@pytest.mark.parametrize("mode", ["dense", "both"])
def test_same_top_k_as_the_default_store(tiny_data, tmp_path, embedded, mode):
    got = _same_top_k(tiny_data.kb, KNOBS.model_copy(update={"retriever": mode}),
                      _questions(tiny_data), tmp_path)
    assert len({h[0].doc_id for h in got}) == 3   # each question finds its own document


def test_same_top_k_on_a_larger_knowledge_base(tmp_path, embedded):
    """12 help-center documents of support_bot, 8 candidates per question: a real ranking."""
    import json
    from harness.data.kb import load_kb
    kb = load_kb(SUPPORT / "kb")[:12]
    docs = {d.id for d in kb}
    rows = [json.loads(l) for l in (SUPPORT / "dev.jsonl").read_text().splitlines()]
    qs = [r["question"] for r in rows if r.get("source_doc") in docs][:24]
    got = _same_top_k(kb, RetrievalKnobs(chunk_size=128, chunk_overlap=16, similarity_top_k=8),
                      qs, tmp_path)
    assert len(qs) >= 8 and len({c.doc_id for h in got for c in h}) > 8


def test_reopened_from_its_folder_without_re_embedding(tiny_data, tmp_path, embedded):
    qs = _questions(tiny_data)
    first, folder, cached = build_retriever(tiny_data.kb, QDRANT, EMB, tmp_path)
    n = len(first.chunks)
    assert not cached and len(embedded) == n > 2
    hits = first.retrieve_many(qs)
    qdrant_store.close_clients()   # as a new process would: the folder is all there is
    embedded.clear()
    again, folder2, cached2 = build_retriever(tiny_data.kb, QDRANT, EMB, tmp_path)
    assert cached2 and folder2 == folder and embedded == []   # no chunk embedded again
    assert again.chunks == first.chunks
    assert [[(c.doc_id, c.text) for c in h] for h in again.retrieve_many(qs)] == \
        [[(c.doc_id, c.text) for c in h] for h in hits]

    # the collection lost (a wiped server, a deleted folder): rebuilt, not half-reused
    store, _ = qdrant_store.open_store(QDRANT, tmp_path, folder.name.split("-")[1])
    qdrant_store.drop(store, None)
    assert not qdrant_store.holds(store, n, None)
    embedded.clear()
    rebuilt, _, cached3 = build_retriever(tiny_data.kb, QDRANT, EMB, tmp_path)
    assert not cached3 and len(embedded) == n and qdrant_store.holds(store, n, None)
    assert [[c.text for c in h] for h in rebuilt.retrieve_many(qs)] == \
        [[c.text for c in h] for h in hits]


def test_store_choice_in_run_ids_only_where_results_can_differ(tiny_suite):
    from harness.run.cache import strategy_key
    from harness.run.store import run_id_for
    resolved = tiny_suite.suite.model_dump(mode="json")
    rag = next(i for i, s in enumerate(resolved["strategies"]) if s["type"] == "rag")

    def with_rag(**over):
        out = {**resolved, "strategies": list(resolved["strategies"])}
        out["strategies"][rag] = {k: v for k, v in resolved["strategies"][rag].items()
                                  if k not in ("vector_store", "qdrant")} | over
        return out
    ids = lambda r: (run_id_for(r, "d"), strategy_key(r, "rag", "d"))  # noqa: E731
    assert "vector_store" in resolved["strategies"][rag]
    assert ids(resolved) == ids(with_rag())   # suites written before the option keep their ids
    local = ids(with_rag(vector_store="qdrant", qdrant={"url": None, "api_key_env": None}))
    assert local != ids(resolved)
    server = {"url": "https://q.example:6333", "api_key_env": "A"}
    assert ids(with_rag(vector_store="qdrant", qdrant=server)) == \
        ids(with_rag(vector_store="qdrant", qdrant=server | {"api_key_env": "B"}))
    assert ids(with_rag(vector_store="qdrant", qdrant=server)) != local


def test_qdrant_block_checks(tmp_path):
    with pytest.raises(ValueError, match="qdrant: is for vector_store: qdrant"):
        RetrievalKnobs(qdrant={"url": "http://localhost:6333"})
    with pytest.raises(ValueError, match="api_key_env is for a server"):
        RetrievalKnobs(vector_store="qdrant", qdrant={"api_key_env": "QDRANT_API_KEY"})
    with pytest.raises(ValueError, match="without user:password@"):
        RetrievalKnobs(vector_store="qdrant", qdrant={"url": "http://me:pw@host:6333"})


def test_server_key_from_a_named_variable_never_in_errors(tiny_data, tmp_path, monkeypatch):
    knobs = QDRANT.model_copy(update={"qdrant": {"url": "http://127.0.0.1:9",
                                                 "api_key_env": "HARNESS_TEST_QDRANT_KEY"}})
    knobs = RetrievalKnobs.model_validate(knobs.model_dump())
    monkeypatch.delenv("HARNESS_TEST_QDRANT_KEY", raising=False)
    with pytest.raises(UserError, match="HARNESS_TEST_QDRANT_KEY .* is not set"):
        build_retriever(tiny_data.kb, knobs, EMB, tmp_path)
    monkeypatch.setenv("HARNESS_TEST_QDRANT_KEY", "s3cret-value-123")
    with pytest.raises(UserError) as e:   # nothing listens on port 9
        build_retriever(tiny_data.kb, knobs, EMB, tmp_path)
    assert "http://127.0.0.1:9 did not answer" in str(e.value)
    assert "s3cret" not in str(e.value) and e.value.key == "qdrant.url"


def _suite_with(tmp_path, rag_extra: str, hybrid_extra: str = ""):
    import shutil
    d = tmp_path / "s"
    shutil.copytree(TINY.parent, d)
    text = TINY.read_text().replace("similarity_top_k: 2}\n  - name: lora",
                                    f"similarity_top_k: 2{rag_extra}}}\n  - name: lora")
    text = text.replace("retrieval: {chunk_size: 64, chunk_overlap: 8, similarity_top_k: 2}",
                        f"retrieval: {{chunk_size: 64, chunk_overlap: 8, similarity_top_k: 2"
                        f"{hybrid_extra}}}")
    (d / "suite.yaml").write_text(text)
    return d / "suite.yaml"


def test_validate_takes_qdrant_suites_without_importing_qdrant(tmp_path):
    import subprocess
    import sys
    p = _suite_with(tmp_path, ", vector_store: qdrant",
                    ", vector_store: qdrant, qdrant: {url: 'https://qdrant.example:6333', "
                    "api_key_env: QDRANT_API_KEY}")
    code = ("import sys; from typer.testing import CliRunner; from harness.cli import app; "
            f"r = CliRunner().invoke(app, ['validate', {str(p)!r}, '--results', "
            f"{str(tmp_path / 'r')!r}]); print(r.exit_code); print(r.output); "
            "print(sorted(m for m in ('qdrant_client', 'llama_index.vector_stores', 'mlflow') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=300).stdout.strip().splitlines()
    assert out[0] == "0" and out[-1] == "[]", out


def test_api_key_env_without_a_server_is_a_clean_error(tmp_path):
    from typer.testing import CliRunner
    from harness.cli import app
    p = _suite_with(tmp_path, ", vector_store: qdrant, qdrant: {api_key_env: QDRANT_API_KEY}")
    r = CliRunner().invoke(app, ["validate", str(p)])
    line = next(i for i, l in enumerate(p.read_text().splitlines(), 1) if "QDRANT_API_KEY" in l)
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert f"{p}:{line}" in r.output.replace("\n", "") and "set qdrant url" in r.output

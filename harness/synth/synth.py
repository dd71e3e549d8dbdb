"""`harness synth`: training pairs generated from a knowledge base (QA) or a SQLite schema (SQL).

Contract: `synthesize(ls, opts, console=None) -> totals`.
- Sources: the suite's knowledge base cut into chunks (harness.synth.synth_qa), or with
  `opts.database` the database's tables (harness.synth.synth_sql). The first `opts.limit` are used.
- For up to `opts.pairs` focus items per source (a sentence; a column) the model is asked a
  question, then its answer (QA: the rag prompt with the chunk; SQL: a query with the schema).
  The model is the suite's `model:` with `opts.model` overrides (key: value, the suite's own
  keys), built by `harness.backends.build`: the embedded SmolLM2, a local folder or hub id, or
  any OpenAI-compatible endpoint (e.g. `harness serve RUN --strategy lora --raw`: an adapter).
- A pair is kept when it is supported (QA: every key fact of the answer is in the chunk; SQL:
  the query runs read-only within `opts.sql_timeout_s` and returns rows) and its question is
  not a near-duplicate — MiniLM cosine >= `opts.dedup_threshold` with the suite's embedding
  model — of a row of the suite's train, dev or test file (all rows, no limit: a synthetic row
  must not restate a test question), of an `opts.existing` file, or of an earlier kept row.
- Kept rows are the suite's own JSONL rows (its `data.fields` names; SQL: the query is the
  answer), plus `origin: synthetic` and `provenance` (model, prompts, source id and hash, focus,
  raw replies); they are appended and fsync'd as made (harness.synth.synth_log). Re-running the same
  command skips finished sources; other settings on the same output are a UserError.
- Returns {sources, generated, kept, dropped: {reason: n}} over every finished source (resumed
  ones included), plus `out` and `log` paths. Bad input raises UserError (file, key, line).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.errors import UserError
from harness.synth import synth_qa as qa, synth_sql as sql
from harness.synth.synth_log import SynthLog


FILTER_VERSION = 2  # part of the resume settings: bump when a check changes what is kept


@dataclass(frozen=True)
class Options:
    out: Path
    database: Path | None = None
    pairs: int = 2                  # focus items (question/answer pairs asked) per source
    limit: int | None = None        # only the first N sources
    max_new_tokens: int = 48
    dedup_threshold: float = 0.9    # cosine of the questions' MiniLM embeddings
    chunk_size: int = 128           # QA chunks: llama-index SentenceSplitter knobs
    chunk_overlap: int = 16
    existing: tuple[Path, ...] = ()
    model: dict = field(default_factory=dict)
    sql_timeout_s: float = 2.0
    batch_sources: int = 8          # sources whose requests go to the model in one call


def model_config(suite, overrides: dict):
    """The suite's model block with `overrides` merged (validated like the suite's)."""
    from pydantic import ValidationError
    from harness.config.knobs import Model
    try:
        return Model.model_validate(suite.model.model_dump(exclude_unset=True) | overrides)
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(x) for x in err["loc"]) or next(iter(overrides), "model")
        msg = f"unknown model key '{key}'" if err["type"] == "extra_forbidden" else err["msg"]
        raise UserError(msg, file="command line", key=f"--model {key}") from None


def describe(m) -> str:
    """The model as provenance records it (an endpoint by host and model id, never a key)."""
    if m.backend == "openai":
        from urllib.parse import urlsplit
        return f"openai:{m.model}@{urlsplit(m.base_url).hostname}"
    return f"{m.backend}:{m.name_or_path}"


def _questions(ls, paths) -> list[str]:
    from harness.data.dataset import load_examples
    f = ls.suite.data.fields
    out = []
    for key, p in paths:
        path = ls.resolve(p, key) if key else Path(p)
        if path is not None:
            out += [e.question for e in load_examples(path, f, "existing")]
    return out


def _sources(ls, opts) -> tuple[str, list]:
    if opts.database:
        srcs = sql.sources(Path(opts.database))
        return "sql", srcs
    kb_path = ls.resolve(ls.suite.data.knowledge_base, "data.knowledge_base")
    if kb_path is None:
        raise UserError("the suite has no knowledge base to generate QA pairs from; add "
                        "data.knowledge_base or give --database", file=str(ls.path),
                        key="data.knowledge_base")
    from harness.data.kb import load_kb
    return "qa", qa.sources(load_kb(kb_path), opts.chunk_size, opts.chunk_overlap)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _shots(train, k: int = 3) -> list:
    """Few-shot examples for the question prompt: the first fact-bearing train row of each of
    the first k source documents (the suite's own wording of questions)."""
    by_source = {}
    for e in train:
        if e.key_facts:
            by_source.setdefault(e.source, e)
    return list(by_source.values())[:k]


def _judge(kind, suite, source, focus, question: str, gen, opts) -> tuple[str | None, str, list]:
    """(reason the pair is dropped or None, the answer as stored, its key facts)."""
    reply = gen.text
    if kind == "qa":
        answer = qa.clean_answer(reply, cut=gen.completion_tokens >= opts.max_new_tokens)
        reason, facts = qa.check_pair(suite, source.text, focus, question, answer)
        return reason, answer, facts
    query = sql.clean_sql(reply)
    if not question.rstrip().endswith("?"):
        return "not_a_question", query, []
    return sql.check(Path(opts.database), query, opts.sql_timeout_s), query, []


def synthesize(ls, opts: Options, console=None) -> dict:
    from harness.data.embeddings import embed
    suite, f = ls.suite, ls.suite.data.fields
    model = model_config(suite, opts.model)
    kind, srcs = _sources(ls, opts)
    settings = {"kind": kind, "filter": FILTER_VERSION,
                "sources": _sha("".join(s.id + s.text for s in srcs)), "pairs": opts.pairs,
                "max_new_tokens": opts.max_new_tokens, "dedup_threshold": opts.dedup_threshold, "model": describe(model),
                "embedding": suite.embedding.name_or_path}
    if kind == "qa":
        settings |= {"chunk_size": opts.chunk_size, "chunk_overlap": opts.chunk_overlap}
    d = suite.data
    pool_q = _questions(ls, [("data.train", d.train), ("data.dev", d.dev), ("data.test", d.test)]
                        + [(None, p) for p in opts.existing])
    log = SynthLog(opts.out, settings)
    todo = [s for s in srcs[: opts.limit] if s.id not in log.done]
    if todo:
        from harness.backends import build
        from harness.backends.base import Request
        from harness.data.dataset import load_examples
        backend = build(model, suite.pricing)
        emb = suite.embedding.name_or_path
        pool = embed(pool_q + [r[f.question] for r in log.rows], emb)
        shots = _shots(load_examples(ls.resolve(d.train, "data.train"), f, "train"))
        for b in range(0, len(todo), opts.batch_sources):
            batch = todo[b: b + opts.batch_sources]
            items = [(s, j, foc) for s in batch for j, foc in enumerate(
                qa.focuses(s.text, opts.pairs) if kind == "qa" else sql.focuses(s, opts.pairs))]
            q_msgs = [qa.question_messages(foc, shots) if kind == "qa"
                      else sql.question_messages(s, foc) for s, _, foc in items]
            qs = [g.text for g in backend.generate(
                [Request(m, opts.max_new_tokens) for m in q_msgs])]
            qs = [q.strip().strip('"').splitlines()[0].strip() if q.strip() else "" for q in qs]
            a_msgs = [qa.answer_messages(suite, s, q) if kind == "qa" else sql.sql_messages(s, q)
                      for (s, _, _), q in zip(items, qs)]
            answers = backend.generate([Request(m, opts.max_new_tokens) for m in a_msgs])
            vecs = embed([q or "-" for q in qs], emb)
            for s in batch:
                counts = {"generated": 0, "kept": 0, "dropped": {}}
                for k, (src, j, foc) in enumerate(items):
                    if src is not s:
                        continue
                    counts["generated"] += 1
                    q = qs[k]
                    reason, a, facts = _judge(kind, suite, s, foc, q, answers[k], opts)
                    if reason is None and len(pool) and float(np.max(pool @ vecs[k])) >= \
                            opts.dedup_threshold:
                        reason = "duplicate"
                    if reason:
                        counts["dropped"][reason] = counts["dropped"].get(reason, 0) + 1
                        continue
                    row = {f.id or "id": f"synth-{re.sub(r'[^A-Za-z0-9]+', '-', s.id)}-{j}",
                           f.question: q, f.answer: a}
                    if f.source:
                        row[f.source] = s.doc_id
                    if f.key_facts and kind == "qa":
                        row[f.key_facts] = facts
                    row |= {"origin": "synthetic", "provenance": {
                        "model": describe(model), "synth_source": s.id, "source_sha": _sha(s.text),
                        "focus": foc, "prompts": {"question": list(q_msgs[k]),
                                                  "answer": list(a_msgs[k])},
                        "raw": {"question": qs[k], "answer": answers[k].text}}}
                    if kind == "sql":
                        row["provenance"]["database"] = Path(opts.database).name
                    log.append_row(row)
                    pool = np.vstack([pool, vecs[k][None]]) if len(pool) else vecs[k][None]
                    counts["kept"] += 1
                log.finish(s.id, counts)
            if console:
                t = log.totals()
                console.print(f"synth: {t['sources']}/{len(srcs[: opts.limit])} sources, "
                              f"{t['generated']} pairs generated, {t['kept']} kept",
                              highlight=False)
    return log.totals() | {"out": str(log.out), "log": str(log.log)}

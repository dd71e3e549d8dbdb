"""How much of the answer the retrieved context can give, before any model reads it.

    python bench/context_ceiling.py [--suite suites/support_bot.yaml] [--dev 24]

For the suite's default test slice and its first `--dev` dev questions, retrieves with several
chunkings (chunk size, top-k) and prints the key-fact recall of (a) all retrieved chunks and (b)
an "answer" made of exactly the N sentences of those chunks closest to the question
(harness.data.retrieval.Retriever.focus, as `context_sentences: N` gives a prompt), N = 1-4, with
the mean characters shown. No model: this is the ceiling a strategy that copies from its context
could reach, and how short that context can be (README "Measured", BENCHMARKS.md).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SETTINGS = [(128, 2), (128, 3), (256, 2), (64, 4)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suite", default="suites/support_bot.yaml")
    ap.add_argument("--dev", type=int, default=24)
    args = ap.parse_args()

    from harness.config.knobs import RetrievalKnobs
    from harness.config.suite import load_suite
    from harness.data.dataset import load_dataset
    from harness.data.retrieval import build_retriever
    from harness.metrics.accuracy import key_fact_recall

    ls = load_suite(args.suite)
    data = load_dataset(ls)
    dev = load_dataset(load_suite(args.suite, "full")).dev[: args.dev]
    rows, n_test = list(data.test) + list(dev), len(data.test)
    emb = ls.suite.embedding.name_or_path
    cache = Path(tempfile.mkdtemp(prefix="bench-ceiling-"))

    def split(scores):
        def mean(xs):
            xs = [x for x in xs if x is not None]
            return statistics.mean(xs) if xs else float("nan")
        return f"test {mean(scores[:n_test]):.3f} (n={n_test}) / dev {mean(scores[n_test:]):.3f} (n={len(dev)})"

    qs = [e.question for e in rows]
    for size, k in SETTINGS:
        knobs = RetrievalKnobs(chunk_size=size, chunk_overlap=16, similarity_top_k=k)
        r, _, _ = build_retriever(data.kb, knobs, emb, cache)
        hits = r.retrieve_many(qs)
        print(f"chunk {size}, top {k}: facts in the chunks: "
              f"{split(key_fact_recall([' '.join(c.text for c in h) for h in hits], rows))}")
        for n in (1, 2, 3, 4):
            r.context_sentences = n
            outs = [" ".join(c.text for c in f) for f in r.focus(qs, hits)]
            print(f"  {n} closest sentences: {split(key_fact_recall(outs, rows))}; "
                  f"{statistics.mean(len(o) for o in outs):.0f} characters")


if __name__ == "__main__":
    main()

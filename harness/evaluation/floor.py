"""Is there a signal at all? Every strategy's accuracy against a trivial baseline on test.

Trivial baselines: answering every test row with the most common train answer (scored with
the accuracy metric; no generation), and any prompt strategy with `num_shots: 0`. The floor is
the best of them (highest mean).

Contract:
- `majority_scores(suite, data, cache_file)`: (that answer, {test id: score}); cached in
  `cache_file` (JSON, keyed by metric and test ids) so a re-run of finished strategies computes
  nothing (an embedding metric would otherwise load its model).
- `assess(suite, results, scores, clusters, majority, seed)` -> {"signal": bool, "floor": {name,
  value, n}, "by_strategy": {strategy: paired diff vs floor with 95% interval}, "causes": [...],
  "message": str | None}; "signal" is True when some non-trivial strategy's paired difference
  over the floor has its whole 95% interval above 0 and p < 0.05. None when no non-trivial strategy has scores.
"""
from __future__ import annotations

from collections import Counter

from harness.evaluation import power
from harness.evaluation.stats import ci, paired_bootstrap
from harness.run.store import read_json, write_json

MAJORITY = "most common train answer"


def majority_scores(suite, data, cache_file) -> tuple[str, dict]:
    acc = suite.requirements.accuracy_metric
    answer = Counter(e.answer for e in data.train).most_common(1)[0][0]
    ids = [e.id for e in data.test]
    cached = read_json(cache_file) if cache_file.exists() else None
    if cached and cached.get("metric") == acc and cached.get("answer") == answer and \
            list(cached.get("scores", {})) == ids:
        return answer, cached["scores"]
    from harness.registry import METRICS
    vals = METRICS[acc].score([answer] * len(ids), data.test, suite.embedding.name_or_path,
                              task=data.task)
    scores = dict(zip(ids, vals))
    write_json(cache_file, {"metric": acc, "answer": answer, "scores": scores})
    return answer, scores


def _trivial(suite) -> list[str]:
    return [s.name for s in suite.strategies if s.trivial()]


def assess(suite, results, scores: dict, clusters, majority: tuple[str, dict], seed=0):
    trivial = {n: scores[n] for n in _trivial(suite) if n in scores}
    trivial[MAJORITY] = majority[1]
    rest = [n for n in scores if n not in trivial]
    if not rest:
        return None
    mean = lambda s: ci(list(s.values())).value or 0.0  # noqa: E731
    floor = max(trivial, key=lambda n: mean(trivial[n]))
    by = {}
    for n in rest:
        c = paired_bootstrap(scores[n], trivial[floor], seed, clusters=clusters)
        if c is not None:
            by[n] = c.to_dict() | {"above_floor": c.low > 0 and c.significant}
    if not by:
        return None
    signal = any(v["above_floor"] for v in by.values())
    fe = ci(list(trivial[floor].values()), seed=seed)
    out = {"signal": signal, "floor": {"name": floor, "value": fe.value, "n": fe.n,
                                        "answer": majority[0] if floor == MAJORITY else None},
           "baselines": {n: mean(s) for n, s in trivial.items()}, "by_strategy": by,
           "causes": [], "message": None}
    if not signal:
        best = max(by, key=lambda n: by[n]["diff"])
        out["causes"] = _causes(suite, results, scores[best], trivial[floor], clusters)
        b = by[best]
        what = f"'{floor}'" if floor != MAJORITY else f"the {MAJORITY} (\"{majority[0][:60]}\")"
        out["message"] = (
            f"No signal: no strategy's {suite.requirements.accuracy_metric} is distinguishable "
            f"from a trivial baseline. The floor, {what}, scores {fe.value:.3f} on {fe.n} test "
            f"rows; the best strategy, '{best}', differs from it by {b['diff']:+.3f} (95% CI "
            f"{b['low']:+.3f} to {b['high']:+.3f}, paired bootstrap). No recommendation is "
            "made. Likely causes: " + " ".join(f"({i}) {c}" for i, c in
                                              enumerate(out["causes"], 1)))
    return out


def _causes(suite, results, best: dict, floor: dict, clusters) -> list[str]:
    out = []
    pw = power.paired(best, floor, clusters) or {}
    want = suite.requirements.difference_to_detect
    if pw.get("mde") is None or pw["mde"] > want:
        need = power.rows_needed(want, pw.get("sd") or 0.5, pw.get("inflation"))
        mde = ("no difference inside the 0-1 range" if pw.get("mde") is None or pw["mde"] >= 1
               else f"only differences of {pw['mde']:.3f} or more")
        out.append(f"too few test rows: {pw.get('n', 0)} rows in {pw.get('clusters', 0)} "
                   f"clusters can detect {mde} (80% power, alpha 0.05); a difference of "
                   f"{want:g} needs about {f'{need:,}' if need else '?'} rows.")
    cfgs = {s.name: s for s in suite.strategies}
    trained = [(n, r.get("prepare") or {}) for n, r in results.items()
               if n in cfgs and cfgs[n].trains_weights]
    if trained:
        parts = [f"'{n}' {p.get('steps', '?')} steps on {p.get('examples', '?')} examples"
                 for n, p in trained]
        out.append("too little training: " + ", ".join(parts) + " (raise training.max_steps, "
                   "num_train_epochs or train_size).")
    model = suite.model.name_or_path if suite.model.backend == "hf" else suite.model.model
    acc = suite.requirements.accuracy_metric
    reads = []   # a retrieval strategy whose context holds more than its answers say (measured)
    for n in (n for n in results if n in cfgs and cfgs[n].retrieves):
        m = results[n].get("metrics") or {}
        cr, a = (m.get("context_recall") or {}).get("value"), (m.get(acc) or {}).get("value")
        reads.append(f"'{n}' scores {a:.2f} while its retrieved context holds {cr:.2f} of the "
                     "reference passages (ragas context recall)" if cr is not None and
                     a is not None else f"'{n}' may not use its retrieved documents")
    out.append(f"model too small: {model} " + ("; ".join(reads) if reads else
                                                "may not know or follow the task")
               + "; try a larger model.name_or_path.")
    return out

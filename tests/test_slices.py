"""Per-slice aggregation on a known fixture: n and means per slice value, rows without the
column under "(none)", intervals resampling clusters inside the slice."""
from __future__ import annotations

from types import SimpleNamespace

from harness.data.dataset import Example
from harness.evaluation.slices import NONE, tables


def _suite(cluster=None):
    return SimpleNamespace(slices=["coverage"], metrics=["key_fact_recall"], seed=0,
                           evaluation=SimpleNamespace(cluster=cluster),
                           data=SimpleNamespace(fields=SimpleNamespace(source="source_doc")))


def test_slices_aggregate_per_value():
    cov = ["seen", "seen", "unseen", "seen", None, "unseen"]
    ex = [Example(f"e{i}", "q", "a", columns=(("source_doc", f"d{i // 2}"),)
                  + ((("coverage", c),) if c else ())) for i, c in enumerate(cov)]
    a = [1.0, 0.0, 1.0, 1.0, 0.5, 0.0]
    b = [0.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    rows = {n: [{"id": f"e{i}", "scores": {"key_fact_recall": v}} for i, v in enumerate(s)]
            for n, s in (("a", a), ("b", b))}
    out = tables(_suite(), ex, rows)["coverage"]
    by = {g["value"]: g for g in out}
    assert [g["value"] for g in out] == ["seen", "unseen", NONE]
    assert (by["seen"]["n"], by["unseen"]["n"], by[NONE]["n"]) == (3, 2, 1)
    seen = by["seen"]["metrics"]["key_fact_recall"]
    assert abs(seen["a"]["value"] - 2 / 3) < 1e-12 and seen["b"]["value"] == 0.0
    unseen = by["unseen"]["metrics"]["key_fact_recall"]
    assert unseen["a"]["value"] == 0.5 and unseen["b"]["value"] == 1.0
    assert seen["a"]["clusters"] == 2  # e0, e1 in d0; e3 in d1
    assert "clusters" not in tables(_suite("none"), ex, rows)["coverage"][0]["metrics"][
        "key_fact_recall"]["a"]

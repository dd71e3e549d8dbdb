"""`harness init` writes a valid, commented starter suite from a user's own files."""
from __future__ import annotations

import subprocess
import sys

from harness.data.dataset import load_dataset
from harness.config.suite import load_suite


def test_init_from_csv_and_kb(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "faq.md").write_text("# FAQ\nShipping takes 3 days.\n")
    rows = "\n".join(f"Question {i}?,Answer {i}.,{'ab'[i % 2]}" for i in range(20))
    (tmp_path / "qa.csv").write_text("prompt,completion,topic\n" + rows + "\n")
    out = tmp_path / "suites" / "mine.yaml"
    r = subprocess.run([sys.executable, "-m", "harness.cli", "init", "mine", "--data",
                        str(tmp_path / "qa.csv"), "--kb", str(tmp_path / "docs"), "--question",
                        "prompt", "--answer", "completion", "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert text.startswith(f"# Run: harness run {out}")
    ls = load_suite(out)
    assert [s.type for s in ls.suite.strategies] == ["prompt", "rag", "hybrid", "lora"]
    data = load_dataset(ls)
    assert data.split_info["source"] == "seeded stratified split"
    assert len(data.train) + len(data.dev) + len(data.test) == 20 and data.kb
    again = subprocess.run([sys.executable, "-m", "harness.cli", "init", "mine", "--data",
                            str(tmp_path / "qa.csv"), "--out", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert out.read_text() == text  # nothing overwritten


def test_init_missing_column_exits_2(tmp_path):
    (tmp_path / "qa.csv").write_text("q,a\nx,y\n")
    r = subprocess.run([sys.executable, "-m", "harness.cli", "init", "x", "--data",
                        str(tmp_path / "qa.csv"), "--out", str(tmp_path / "x.yaml")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no field 'question'" in r.stderr and "Traceback" not in r.stderr


def test_init_on_span_qa_suggests_grouped_split_and_no_safety_requirement(tmp_path):
    import json
    rows = [{"id": f"q{i}", "question": f"Question {i}?", "title": f"Article {i % 10}",
             "answers": {"text": [f"span {i}", f"the span {i}"], "answer_start": [0, 0]}}
            for i in range(40)]
    (tmp_path / "squad.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "suites" / "span.yaml"
    r = subprocess.run([sys.executable, "-m", "harness.cli", "init", "span", "--data",
                        str(tmp_path / "squad.jsonl"), "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "# min_safety:" in text and "\n  min_safety:" not in text  # commented: no probes
    ls = load_suite(out)
    assert ls.suite.requirements.min_safety is None
    assert ls.suite.data.split.group_by == "title" and "answer_contained" in ls.suite.metrics
    data = load_dataset(ls)
    assert data.split_info["source"] == "seeded grouped split"
    assert data.test[0].answers == (f"span {data.test[0].id[1:]}", f"the span {data.test[0].id[1:]}")
    groups = data.split_info["groups"]
    assert not set(groups["train"]) & set(groups["test"])

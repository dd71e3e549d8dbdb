"""Data loading: JSONL/CSV with field mapping, seeded stratified split, clear row errors."""
from __future__ import annotations

import json

import pytest

from harness.data.dataset import load_examples, load_probes, _split
from harness.errors import UserError
from harness.config.suite import Fields


def test_csv_with_custom_field_names(tmp_path):
    p = tmp_path / "rows.csv"
    p.write_text("q,a,cat,facts\nHow much?,It is $5.,billing,$5|per month\nWhen?,Tuesday.,ops,\n")
    ex = load_examples(p, Fields(question="q", answer="a", id=None, source=None,
                                 key_facts="facts", category="cat"), "train")
    assert [e.question for e in ex] == ["How much?", "When?"]
    assert ex[0].key_facts == ("$5", "per month") and ex[1].key_facts == ()
    assert ex[0].id == "train-00000" and ex[0].category == "billing"


def test_missing_field_names_file_and_line(tmp_path):
    p = tmp_path / "rows.jsonl"
    p.write_text(json.dumps({"question": "q1", "answer": "a1"}) + "\n" + json.dumps({"question": "q2"}) + "\n")
    with pytest.raises(UserError) as e:
        load_examples(p, Fields(), "train")
    assert e.value.line == 2 and "answer" in str(e.value) and "rows.jsonl" in str(e.value)


def test_duplicate_ids_and_bad_utf8(tmp_path):
    p = tmp_path / "rows.jsonl"
    row = {"id": "x", "question": "q", "answer": "a"}
    p.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(UserError, match="duplicate id 'x'"):
        load_examples(p, Fields(), "train")
    p.write_bytes(b'{"question": "caf\xe9", "answer": "a"}\n')
    with pytest.raises(UserError, match="UTF-8"):
        load_examples(p, Fields(), "train")


def test_probe_category_validated(tmp_path):
    p = tmp_path / "probes.jsonl"
    p.write_text(json.dumps({"id": "1", "category": "weird", "prompt": "hi"}) + "\n")
    with pytest.raises(UserError, match="unknown category 'weird'"):
        load_probes(p)


def test_split_is_seeded_and_stratified():
    from harness.data.dataset import Example
    ex = [Example(f"e{i}", f"q{i}", "a", category="ab"[i % 2]) for i in range(40)]
    a1, b1 = _split(ex, 0.25, seed=3)
    a2, b2 = _split(ex, 0.25, seed=3)
    _, b3 = _split(ex, 0.25, seed=4)
    assert [e.id for e in b1] == [e.id for e in b2] and [e.id for e in b1] != [e.id for e in b3]
    assert len(b1) == 10 and sum(e.category == "a" for e in b1) == 5
    assert not {e.id for e in a1} & {e.id for e in b1}


def test_dataset_without_dev_test_records_split(tmp_path, tiny_suite):
    import shutil
    from harness.data.dataset import load_dataset
    from harness.config.suite import load_suite
    d = tmp_path / "s"
    shutil.copytree(tiny_suite.path.parent, d)
    text = (d / "suite.yaml").read_text().replace("  dev: dev.jsonl\n  test: test.jsonl\n", "")
    (d / "suite.yaml").write_text(text)
    data = load_dataset(load_suite(d / "suite.yaml"))
    assert data.split_info["source"] == "seeded stratified split"
    assert set(data.split_info["test"]) == {e.id for e in data.test}
    assert not set(data.split_info["test"]) & set(data.split_info["train"])


def test_squad_shaped_answers_and_csv_golds(tmp_path):
    p = tmp_path / "squad.jsonl"
    rows = [{"id": "a", "question": "Who?", "answers": {"text": ["Rollo", "Rollo ", "the Viking Rollo"],
                                                       "answer_start": [10, 10, 3]}},
            {"id": "b", "question": "When?", "answer": "1066",
             "answers": [{"text": "in 1066", "answer_start": 0}]},
            {"id": "c", "question": "Where?", "answer": "Normandy"}]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    a, b, c = load_examples(p, Fields(), "train")
    assert a.answer == "Rollo" and a.answers == ("Rollo", "the Viking Rollo")
    assert b.answer == "1066" and b.answers == ("1066", "in 1066")
    assert c.answers == ()
    csv = tmp_path / "rows.csv"
    csv.write_text("q,golds\nWho?,Rollo|the Viking Rollo\n")
    (e,) = load_examples(csv, Fields(question="q", answer="a", answers="golds", id=None), "t")
    assert e.answer == "Rollo" and e.answers == ("Rollo", "the Viking Rollo")
    p.write_text(json.dumps({"question": "Who?", "answers": {"text": [3]}}) + "\n")
    with pytest.raises(UserError) as err:
        load_examples(p, Fields(), "train")
    assert err.value.line == 1 and "'answers' must be a list of strings" in str(err.value)
    p.write_text(json.dumps({"question": "Who?", "answers": []}) + "\n")
    with pytest.raises(UserError, match="missing field 'answer'"):
        load_examples(p, Fields(), "train")


def test_grouped_split_keeps_each_group_on_one_side(tmp_path):
    from harness.data.dataset import load_dataset
    from harness.config.suite import load_suite
    rows = [{"id": f"r{i}", "question": f"q{i}?", "answer": f"a{i}", "title": f"doc{i % 12}"}
            for i in range(60)]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    suite = tmp_path / "s.yaml"
    suite.write_text("name: g\ndata:\n  train: rows.jsonl\n  split: {group_by: title, "
                     "test_fraction: 0.25, dev_fraction: 0.2}\n"
                     "strategies: [{name: p, type: prompt}]\n")
    data = load_dataset(load_suite(suite))
    info = data.split_info
    assert info["source"] == "seeded grouped split" and info["group_by"] == "title"
    sides = {k: {e.group for e in getattr(data, k)} for k in ("train", "dev", "test")}
    assert sides == {k: set(v) for k, v in info["groups"].items()}
    assert all(sides[a].isdisjoint(sides[b]) for a, b in (("train", "dev"), ("train", "test"),
                                                          ("dev", "test")))
    assert len(sides["test"]) == 3 and all(sides.values())   # 25% of 12 groups
    assert load_dataset(load_suite(suite)).split_info == info  # seeded
    rows[7].pop("title")
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(UserError) as e:
        load_dataset(load_suite(suite))
    assert e.value.line == 8 and "'title'" in str(e.value)


def test_rows_keep_their_extra_columns(tmp_path):
    """Columns the suite does not map (e.g. `coverage`) stay on the example, as text, for
    slices and clusters; the mapped ones are there under their own names too."""
    from harness.data.dataset import load_examples
    from harness.config.suite import Fields
    p = tmp_path / "rows.jsonl"
    p.write_text('{"id": "a", "question": "q?", "answer": "x", "topic": "billing", '
                 '"coverage": "unseen", "hard": true, "level": 2, "tags": ["x"], "note": " "}\n')
    e = load_examples(p, Fields(), "t")[0]
    assert e.column("coverage") == "unseen" and e.column("topic") == "billing"
    assert e.column("hard") == "true" and e.column("level") == "2"
    assert e.column("tags") is None and e.column("note") is None and e.category == "billing"
    c = tmp_path / "rows.csv"
    c.write_text("question,answer,fact_id\nq?,x,f7\n")
    assert load_examples(c, Fields(), "t")[0].column("fact_id") == "f7"

"""Knowledge bases in the formats help centres export: .md, .txt, .html, .pdf, .docx, parsed by
llama-index's readers; a file that cannot be parsed is one clear error naming it."""
from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.data.kb import load_kb
from tests.kb_files import write_docx, write_pdf

HTML = """<!doctype html><html><head><title>Refunds</title></head><body>
<h1>Refund policy</h1><p>Refunds are available within <b>14 days</b> of purchase.</p>
<ul><li>Annual plans are refunded pro rata.</li></ul></body></html>"""


@pytest.fixture
def kb(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    d = tmp_path / "kb"
    d.mkdir()
    (d / "plans.md").write_text("# Plans\nThe Personal plan costs $4.99 per month.\n")
    (d / "hours.txt").write_text("Support is open 9 to 5 on weekdays.\n")
    (d / "refunds.html").write_text(HTML)
    write_pdf(d / "security.pdf", ["Two-factor sign-in is under Settings > Security.",
                                   "Recovery codes (ten of them) are shown once."])
    write_docx(d / "storage.docx", ["Personal includes 200 GB.", "Plus includes 2 TB."])
    (d / "logo.png").write_bytes(b"\x89PNG\r\n")   # not a document type: skipped
    return d


def test_every_type_loads_with_its_file_name_as_id(kb, tmp_path):
    docs = {d.id: d.text for d in load_kb(kb)}
    assert sorted(docs) == ["hours", "plans", "refunds", "security", "storage"]
    assert docs["plans"] == "# Plans\nThe Personal plan costs $4.99 per month.\n"  # unchanged
    assert "Refunds are available within 14 days of purchase." in docs["refunds"]
    assert "<b>" not in docs["refunds"] and "Annual plans are refunded pro rata." in docs["refunds"]
    assert "Settings > Security" in docs["security"] and "(ten of them)" in docs["security"]
    assert "Personal includes 200 GB." in docs["storage"] and "Plus includes 2 TB." in docs["storage"]
    assert len(list((tmp_path / "cache" / "kb").glob("*.txt"))) == 3   # parsed once, cached
    assert {d.id: d.text for d in load_kb(kb)} == docs


@pytest.mark.parametrize("name, data, words", [
    ("broken.pdf", b"%PDF-1.4\nnot really a pdf", "cannot parse as PDF"),
    ("broken.docx", b"PK\x03\x04 not a zip", "cannot parse as Word (.docx)"),
    ("broken.html", b"<html><body>caf\xe9</body></html>", "cannot parse as HTML"),
])
def test_unparseable_file_is_named(kb, name, data, words):
    (kb / name).write_bytes(data)
    with pytest.raises(UserError) as e:
        load_kb(kb)
    assert e.value.file == str(kb / name) and words in str(e.value)


def test_two_files_with_one_id_are_refused(kb):
    (kb / "plans.txt").write_text("other plans\n")
    with pytest.raises(UserError, match="two documents with id 'plans'"):
        load_kb(kb)

"""Knowledge-base folders: every supported file becomes one `Document`, id = its file name stem.

Contract:
- `load_kb(folder)` reads the folder's top-level files, in name order, the type decided by the
  extension (`KB_TYPES`): `.md` / `.txt` as UTF-8 text; `.html` / `.htm`, `.pdf`, `.docx`
  through llama-index's file readers (`SimpleDirectoryReader` with `HTMLTagReader` on
  `<body>`, `PDFReader` (pypdf), `DocxReader` (docx2txt)). Other files are skipped. A file that
  cannot be read or parsed raises `UserError` naming it; so do two files with one stem (the
  stem is the id that `source_doc` columns name) and a folder with no text at all.
- Parsed text of non-text files is cached by content hash under `$HARNESS_CACHE/kb/` (default
  `~/.cache/harness/kb/`), so `harness validate` and a cached re-run import no llama-index.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from harness.errors import UserError

TEXT_TYPES = (".md", ".txt")
PARSED_TYPES = {".html": "HTML", ".htm": "HTML", ".pdf": "PDF", ".docx": "Word (.docx)"}
KB_TYPES = TEXT_TYPES + tuple(PARSED_TYPES)
_READER_VERSION = "1"   # bump when the reader set-up below changes what text comes out


def _cache_dir() -> Path:
    # harness.backends.hf.cache_root says the same; importing it would import torch
    return Path(os.environ.get("HARNESS_CACHE", Path.home() / ".cache" / "harness")) / "kb"


def _readers() -> dict:
    from llama_index.readers.file import DocxReader, HTMLTagReader, PDFReader
    html = HTMLTagReader(tag="body")
    return {".html": html, ".htm": html, ".pdf": PDFReader(return_full_document=True),
            ".docx": DocxReader()}


def _root_cause(e: BaseException) -> BaseException:
    """The parser's own error under llama-index's "Error loading file" and tenacity's retries."""
    while True:
        nxt = e.__cause__
        last = getattr(e, "last_attempt", None)  # tenacity.RetryError (PDFReader retries)
        if last is not None and last.failed:
            nxt = last.exception()
        if nxt is None:
            return e
        e = nxt


def parse_file(path: Path) -> str:
    """Text of one HTML / PDF / DOCX file via llama-index's readers (cached by content)."""
    data = path.read_bytes()
    key = hashlib.sha256(data + path.suffix.lower().encode() + _READER_VERSION.encode()).hexdigest()
    cached = _cache_dir() / f"{key}.txt"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    import logging
    from llama_index.core import SimpleDirectoryReader
    quiet = logging.getLogger("pypdf")  # its warnings repeat once per retry; our error says it
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        docs = SimpleDirectoryReader(input_files=[str(path)], file_extractor=_readers(),
                                     raise_on_error=True).load_data(show_progress=False)
    except ImportError as e:
        raise UserError(f"cannot read {PARSED_TYPES[path.suffix.lower()]} files: {e}",
                        file=str(path)) from None
    except Exception as e:  # any parser failure (pypdf, bs4, docx2txt, bad UTF-8)
        cause = _root_cause(e)
        first = str(cause).splitlines()[0] if str(cause) else ""
        raise UserError(f"cannot parse as {PARSED_TYPES[path.suffix.lower()]}: "
                        f"{type(cause).__name__}: {first}", file=str(path)) from None
    finally:
        quiet.setLevel(level)
    text = "\n\n".join(d.text.strip() for d in docs if d.text.strip())
    from harness.run.store import write_text
    try:
        write_text(cached, text)
    except OSError:
        pass  # a read-only cache only costs a re-parse next time
    return text


def load_kb(folder: Path) -> list:
    from harness.data.dataset import Document, read_text
    if not folder.is_dir():
        raise UserError(f"knowledge_base must be a folder of {'/'.join(KB_TYPES)} files",
                        file=str(folder))
    docs, seen = [], {}
    for p in sorted(folder.iterdir()):
        ext = p.suffix.lower()
        if ext not in KB_TYPES or not p.is_file():
            continue
        if folder.resolve() not in p.resolve().parents:
            raise UserError("links to a file outside the knowledge-base folder", file=str(p))
        if p.stem in seen:
            raise UserError(f"two documents with id '{p.stem}' ({seen[p.stem]} and {p.name}): "
                            "rename one", file=str(p))
        seen[p.stem] = p.name
        # Plain text needs no parser: read as it always was (strict UTF-8, exact text)
        text = read_text(p) if ext in TEXT_TYPES else parse_file(p)
        if text.strip():
            docs.append(Document(id=p.stem, text=text))
    if not docs:
        raise UserError(f"knowledge base folder has no non-empty {', '.join(KB_TYPES)} files",
                        file=str(folder))
    return docs

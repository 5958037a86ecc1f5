"""Files → cleaned documents → chunks → the index, idempotent and incremental.

A file is identified by its path relative to the folder ingested (`identity.py`), so
same-named files in two folders are two documents. Re-ingesting an unchanged file does
nothing (its byte hash is in the manifest); a changed file replaces its chunks. Every
per-file failure (unreadable, not a regular file, too large, not text) skips that file
with the reason and the run goes on. Orphans of an interrupted run are repaired first,
so a re-run completes what a killed run left.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from assistant.index.embeddings import reads_sentences
from assistant.index.store import Store
from assistant.ingest import identity
from assistant.ingest.chunking import chunk_document, count_tokens
from assistant.ingest.cleaning import clean_document
from assistant.ingest.loading import SUPPORTED_SUFFIXES, load_bytes, read_file
from assistant.ingest.pages import add_pages
from assistant.schema import Chunk
from assistant.settings import Settings
from assistant.text.instructions import instruction_spans
from assistant.text.segmentation import sentences

Progress = Callable[[str, int, int], None]  # (source, chunks written, chunks in the file)


@dataclass
class FileResult:
    path: str
    source: str
    status: str  # added | updated | unchanged | skipped
    reason: str = ""
    chunks: int = 0
    tokens: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    repaired: int = 0

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def changed(self) -> bool:
        return any(r.status in {"added", "updated"} for r in self.results)

    def summary(self) -> str:
        parts = [f"{self.count(s)} {s}" for s in ("added", "updated", "unchanged", "skipped")]
        return ", ".join(parts) + f" in {self.seconds:.1f}s"


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files under the given paths, sorted; hidden files and folders are left out."""
    return [p for p, _ in identity.discover(paths)]


def file_hash(path: Path) -> str:
    return hashlib.sha256(read_file(path)).hexdigest()


def ingest(
    paths: Iterable[Path],
    store: Store,
    settings: Settings,
    on_file: Callable[[FileResult], None] | None = None,
    on_progress: Progress | None = None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport(repaired=store.repair())
    manifest = store.manifest()
    files = identity.discover(paths)
    sources = {sid for _, sid in files}
    for path, source in files:
        result = _ingest_file(path, source, store, settings, manifest, sources, on_progress)
        report.results.append(result)
        if on_file:
            on_file(result)
    report.seconds = time.perf_counter() - started
    return report


def sentence_texts(chunk_texts: list[str]) -> list[str]:
    """The distinct sentences of the chunks' texts, as the reader embeds them."""
    return list(dict.fromkeys(t[s:e] for t in chunk_texts for s, e in sentences(t)))


def embed_sentences(chunks: list[Chunk], embeddings: Any) -> None:
    """The answerability gates and the readers compare questions with sentences: their
    vectors are computed once here and kept by the embeddings' content cache, so a question
    only reads them (an index made before this pays once, at the first questions on each
    chunk; the background job has usually embedded them already)."""
    texts = sentence_texts([c.text for c in chunks])
    if texts:
        embeddings.embed_documents(texts)


def _ingest_file(
    path: Path,
    source: str,
    store: Store,
    settings: Settings,
    manifest: dict,
    sources: set[str],
    on_progress: Progress | None,
) -> FileResult:
    result = FileResult(path=str(path), source=source, status="skipped")
    if not os.path.lexists(path):
        result.reason = "no such file"
        return result
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        result.reason = f"unsupported file type {path.suffix or '(none)'}"
        return result
    try:
        # the bytes are read once, guarded (regular file, size cap), then hashed and decoded
        data = read_file(path, int(settings.ingest.max_file_mb * 1024 * 1024))
        raw_hash = hashlib.sha256(data).hexdigest()
        record = manifest.get(source)
        if record and record.file_hash == raw_hash:
            result.status, result.chunks = "unchanged", record.chunks
            return result
        legacy = _legacy_record(source, raw_hash, manifest, sources)
        loaded = load_bytes(data, path.suffix.lower())
        doc = clean_document(loaded.text, source)
        if not doc.text.strip():
            raise IngestError("no text left after cleaning")
        chunks = chunk_document(doc, settings.chunking.size, settings.chunking.overlap)
        add_pages(chunks, path.suffix.lower(), data, doc.text)
        if reads_sentences(store.model_id):  # the gates read e5's sentence vectors only
            embed_sentences(chunks, store.embeddings)
    except IngestError as exc:
        result.reason = str(exc)
        return result
    except Exception as exc:  # a parser's own failure on one file must not end the run
        result.reason = f"cannot read the file ({type(exc).__name__}: {exc})"
        return result
    flagged = instruction_spans(doc.text)
    result.warnings = list(loaded.warnings)
    if flagged:
        result.warnings.append(
            f"{len(flagged)} sentence(s) read like instructions to an assistant; "
            "they are indexed as data and flagged in answers"
        )
    store.put_document(
        doc,
        chunks,
        file_hash=raw_hash,
        extra={
            "instructions": len(flagged),
            "instruction_spans": ";".join(f"{s}-{e}" for s, e in flagged[:50]),
            "warnings": " | ".join(loaded.warnings),
        },
        on_progress=(lambda done, total: on_progress(source, done, total)) if on_progress else None,
    )
    if legacy:
        store.remove(legacy)  # the old record named by the bare file name, now this one
    result.status = "updated" if record or legacy else "added"
    result.chunks = len(chunks)
    result.tokens = sum(count_tokens(c.text) for c in chunks)
    return result


def _legacy_record(source: str, raw_hash: str, manifest: dict, sources: set[str]) -> str | None:
    """The bare-name record an older index holds for this very file (same bytes), if any."""
    old = identity.legacy_id(source)
    if old == source or old in sources or old not in manifest:
        return None
    return old if manifest[old].file_hash == raw_hash else None

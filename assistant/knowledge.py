"""The knowledge base: the documents, their index, and the search over them.

    files ─ ingest ─ Store (Chroma: chunks, vectors, documents) ─ HybridSearch (dense + BM25)

`KnowledgeBase` owns what questions are answered from: it ingests, lists and forgets
documents, and gives the answering chain its search and what the evidence checks read
of the index. It imports no LangChain runnables, so `assistant ingest`, `sources` and
`forget` stay light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.answering.evidence import Corpus, unit
from assistant.answering.retrieval import HybridSearch, Search
from assistant.errors import AssistantError
from assistant.index.embeddings import (
    CachedEmbeddings,
    make_embeddings,
    model_id,
    reads_sentences,
)
from assistant.index.store import DocRecord, Store, reachable
from assistant.ingest.pipeline import FileResult, IngestReport, ingest
from assistant.schema import Retrieved, SourceDocument
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings


class KnowledgeBase:
    def __init__(self, settings: Settings, store: Store, embeddings: Embeddings) -> None:
        self.settings = settings
        self.store = store
        self.embeddings = embeddings
        self.search: Search = HybridSearch(store, embeddings, settings)
        self._documents: tuple[object, Callable[[str], str]] = (None, lambda source: "")

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> KnowledgeBase:
        settings = settings or Settings()
        mid = model_id(settings.embeddings)
        embeddings = CachedEmbeddings(
            make_embeddings(settings.embeddings), mid, settings.cache_dir / "embeddings.sqlite"
        )
        return cls(settings, Store(settings, embeddings, mid), embeddings)

    # Every call that reaches Chroma goes through `reachable`: a lost Chroma server is one
    # clear `IndexUnavailableError`, and the next call recovers when the server is back.
    def ingest(
        self,
        paths: Iterable[Path],
        on_file: Callable[[FileResult], None] | None = None,
        on_progress: Callable[..., None] | None = None,
    ) -> IngestReport:
        with reachable(self.settings.chroma):
            report = ingest(paths, self.store, self.settings, on_file, on_progress)
        self.search.invalidate()
        return report

    def sources(self) -> list[DocRecord]:
        with reachable(self.settings.chroma):
            return sorted(self.store.manifest().values(), key=lambda r: r.source)

    def forget(self, source: str) -> bool:
        with reachable(self.settings.chroma):
            removed = self.store.remove(source)
        self.search.invalidate()
        return removed

    def document(self, source: str) -> SourceDocument | None:
        with reachable(self.settings.chroma):
            return self.store.document(source)

    def is_empty(self) -> bool:
        with reachable(self.settings.chroma):
            return not self.store.docs.count()

    def knows(self, term: str) -> bool:
        """Whether the index holds `term` (follow-up questions keep the terms it knows)."""
        return self.search.bm25().knows(term)

    def corpus(self) -> Corpus:
        """The index as the evidence checks read it; documents cached per index version."""
        bm25 = self.search.bm25()
        if self._documents[0] is not bm25:

            @lru_cache(maxsize=256)
            def document(source: str) -> str:
                doc = self.store.document(source)
                return doc.text if doc else ""

            self._documents = (bm25, document)
        return Corpus(
            idf=bm25.idf,
            known=bm25.knows,
            document=self._documents[1],
            sentence_vectors=self.sentence_vectors,
            query_vector=self.query_vector,
            vocab=bm25.vocab,
        )

    def _reads_e5(self) -> bool:
        """The reader's model was trained on e5's similarities; another model's mean something
        else (the reader then weighs the other evidence alone)."""
        return reads_sentences(self.store.model_id)

    def sentence_vectors(self, texts: list[str]) -> np.ndarray | None:
        """Unit sentence vectors, embedded at ingest and read from the content cache here."""
        if not texts or not self._reads_e5():
            return None
        try:
            return unit(self.embeddings.embed_documents(texts))
        except AssistantError:
            return None  # the reader then scores without the e5 features

    def query_vector(self, text: str) -> np.ndarray | None:
        """The question's unit vector; retrieval embedded the same text, the cache returns it."""
        if not self._reads_e5():
            return None
        try:
            vector: np.ndarray = unit(self.embeddings.embed_query(text))[0]
            return vector
        except AssistantError:
            return None

    def similarity(self) -> Callable[[str, Retrieved], float]:
        """Claim-to-chunk cosine similarity with the stored chunk vectors (for non-Chinese claims)."""
        vectors: dict[str, np.ndarray] = {}

        def similarity(claim: str, hit: Retrieved) -> float:
            if hit.chunk.id not in vectors:
                got = self.store.chunks.get(ids=[hit.chunk.id], include=["embeddings"])
                if not len(got["ids"]):
                    return 0.0
                vectors[hit.chunk.id] = np.asarray(got["embeddings"][0], dtype=np.float32)
            q = np.asarray(self.embeddings.embed_query(claim), dtype=np.float32)
            v = vectors[hit.chunk.id]
            return float(q @ v / (np.linalg.norm(q) * np.linalg.norm(v) + 1e-9))

        return similarity

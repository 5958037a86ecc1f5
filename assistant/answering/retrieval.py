"""Hybrid retrieval: dense search in Chroma and BM25 over jieba terms, fused by RRF.

Reciprocal rank fusion needs no score calibration between the two lists: each list
gives `weight / (rrf_k + rank)`. Dense similarities are kept on the results because
the answerer uses them as evidence when deciding to refuse.

`HybridSearch` is the plain engine (no LangChain import, so `assistant ingest` and the
knowledge base stay light); `assistant.langchain.HybridRetriever` is the same search as
a LangChain `BaseRetriever`, returning `Document`s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from assistant.index.bm25 import BM25Index, load_or_build
from assistant.index.store import Store
from assistant.schema import Chunk, Retrieved
from assistant.settings import Settings
from assistant.text.segmentation import is_chinese
from assistant.text.transliteration import chinese_terms

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

RECHECK_S = 5.0  # how often to notice documents another process added


class Search(Protocol):
    """What the answering chain needs of a retrieval engine (the evals' baseline has another)."""

    def retrieve(self, query: str, timings: dict[str, float] | None = None) -> list[Retrieved]: ...

    def bm25(self) -> BM25Index: ...

    def invalidate(self) -> None: ...


class HybridSearch:
    def __init__(self, store: Store, embeddings: Embeddings, settings: Settings) -> None:
        self.store = store
        self.embeddings = embeddings
        self.settings = settings
        self._lock = threading.Lock()
        self._bm25: BM25Index | None = None
        self._committed: set[tuple[str, str]] = set()
        self._fingerprint = ""
        self._generation = ""
        self._checked = 0.0

    def invalidate(self) -> None:
        with self._lock:
            self._checked = 0.0

    def bm25(self) -> BM25Index:
        """The BM25 index for the current documents, loaded once and reloaded on change."""
        with self._lock:
            now = time.monotonic()
            if self._bm25 is None or now - self._checked > RECHECK_S:
                # The generation token costs one read; the manifest, one row per document.
                generation = self.store.generation()
                if self._bm25 is None or not generation or generation != self._generation:
                    manifest = self.store.manifest()
                    fingerprint = self.store.fingerprint(manifest)
                    if self._bm25 is None or fingerprint != self._fingerprint:
                        self._bm25 = load_or_build(
                            self.settings.kb_cache_dir,
                            fingerprint,
                            lambda: self.store.iter_chunks(manifest),
                        )
                        self._committed = {(r.source, r.content_hash) for r in manifest.values()}
                        self._fingerprint = fingerprint
                    self._generation = generation
                self._checked = now
            return self._bm25

    def retrieve(self, query: str, timings: dict[str, float] | None = None) -> list[Retrieved]:
        cfg = self.settings.retrieval
        timings = {} if timings is None else timings
        t0 = time.perf_counter()
        vector = self.embeddings.embed_query(query)
        t1 = time.perf_counter()
        dense = self.store.dense_search(vector, cfg.dense_k)
        t2 = time.perf_counter()
        bm25 = self.bm25()
        # a question in another language: the names it writes in pinyin ("Jinshan") find
        # their Chinese terms
        if not is_chinese(query):
            query = " ".join([query, *self.rare_names(query, bm25)])
        lexical = bm25.search(query, cfg.bm25_k)
        t3 = time.perf_counter()
        fused = self.fuse(dense, lexical)
        timings.update(
            embed=(t1 - t0) * 1000,
            dense=(t2 - t1) * 1000,
            bm25=(t3 - t2) * 1000,
            fuse=(time.perf_counter() - t3) * 1000,
        )
        return fused[: cfg.top_n]

    @staticmethod
    def rare_names(query: str, bm25: BM25Index, share: float = 0.1) -> list[str]:
        """The Chinese names a question in another language writes in pinyin, those in at
        most `share` of the chunks: a name in most of them (瑞金 in a corpus about 瑞金医院)
        would only outvote the dense results."""
        names = chinese_terms(query, bm25.vocab)
        return [n for n in names if bm25.df(n) <= share * max(bm25.size, 1)]

    def fuse(
        self, dense: Sequence[tuple[Chunk, float]], lexical: Sequence[tuple[Chunk, float]]
    ) -> list[Retrieved]:
        cfg = self.settings.retrieval
        by_id: dict[str, Retrieved] = {}
        for rank, (chunk, sim) in enumerate(
            c for c in dense if (c[0].source, c[0].doc_hash) in self._committed
        ):
            by_id[chunk.id] = Retrieved(
                chunk=chunk,
                score=cfg.dense_weight / (cfg.rrf_k + rank + 1),
                dense_score=sim,
                dense_rank=rank + 1,
            )
        for rank, (chunk, _) in enumerate(lexical):
            hit = by_id.get(chunk.id)
            share = cfg.bm25_weight / (cfg.rrf_k + rank + 1)
            if hit:
                hit.score += share
                hit.bm25_rank = rank + 1
            else:
                by_id[chunk.id] = Retrieved(chunk=chunk, score=share, bm25_rank=rank + 1)
        return sorted(by_id.values(), key=lambda r: -r.score)

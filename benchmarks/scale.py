"""Scale: index build, BM25 build and load, query latency, disk and peak memory at N chunks.

Each size runs in two subprocesses so peak memory is per size and per phase:
`build` generates the corpus, ingests it and builds BM25, then asks the questions;
`query` is a fresh process on that index: it loads BM25 from its cache and asks again.
Embeddings come from `fakes.HashEmbeddings` (see there): everything but embedding is real.

    python -m benchmarks.scale build 10000 /tmp/work
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .common import dir_size_mb, peak_rss_mb, questions, settings_for, summary

KEYS = ("embed", "dense", "bm25", "fuse", "answer", "verify", "total")


def _assistant(data: Path):
    from assistant.chain import Assistant
    from assistant.embeddings import CachedEmbeddings
    from assistant.store import Store

    from .fakes import MODEL_ID, HashEmbeddings

    settings = settings_for(data)
    emb = CachedEmbeddings(HashEmbeddings(), MODEL_ID, settings.cache_dir / "embeddings.sqlite")
    return Assistant(settings, Store(settings, emb, MODEL_ID), emb)


def _ask_all(bot, qs: list[str]) -> dict:
    bot.ask(qs[0])  # the first question in a process pays for loading; measured apart
    per: dict[str, list[float]] = {k: [] for k in KEYS}
    for q in qs:
        t = bot.ask(q).timings_ms
        for k in KEYS:
            per[k].append(t.get(k, 0.0))
    return {k: summary(v) for k, v in per.items()}


def build(size: int, work: Path, n_questions: int | None = None) -> dict:
    from .corpus import write

    corpus, data = work / "corpus", work / "data"
    t = time.perf_counter()
    files = write(corpus, size)
    generate_s = time.perf_counter() - t
    bot = _assistant(data)
    t = time.perf_counter()
    report = bot.ingest([corpus])
    index_s = time.perf_counter() - t
    t = time.perf_counter()
    bot.retriever.bm25()
    bm25_build_s = time.perf_counter() - t
    t = time.perf_counter()
    bot.ingest([corpus])
    reingest_s = time.perf_counter() - t
    chunks = sum(r.chunks for r in report.results)
    return {
        "target_chunks": size,
        "chunks": chunks,
        "docs": len(files),
        "generate_s": round(generate_s, 2),
        "index_build_s": round(index_s, 2),
        "index_chunks_per_s": round(chunks / index_s, 1),
        "bm25_build_s": round(bm25_build_s, 2),
        "reingest_unchanged_s": round(reingest_s, 2),
        "query_ms": _ask_all(bot, questions(limit=n_questions)),
        "disk_mb": {
            "total": dir_size_mb(data),
            "chroma": dir_size_mb(settings_for(data).chroma_dir),
            "bm25": sum(dir_size_mb(p) for p in settings_for(data).cache_dir.glob("bm25-*")),
            "embedding_cache": round(
                (settings_for(data).cache_dir / "embeddings.sqlite").stat().st_size / 2**20, 1
            ),
        },
        "peak_rss_mb": peak_rss_mb(),
    }


def query(size: int, work: Path, n_questions: int | None = None) -> dict:
    t = time.perf_counter()
    bot = _assistant(work / "data")
    open_s = time.perf_counter() - t
    t = time.perf_counter()
    bot.retriever.bm25()
    bm25_load_s = time.perf_counter() - t
    return {
        "open_s": round(open_s, 2),
        "bm25_load_s": round(bm25_load_s, 2),
        "query_ms": _ask_all(bot, questions(limit=n_questions)),
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    mode, size, work = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] != "0" else None
    print(json.dumps((build if mode == "build" else query)(size, work, n)))

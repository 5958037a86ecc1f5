"""Scale: index build, BM25 build and load, query latency, disk and peak memory at N chunks.

Each size runs in two subprocesses so peak memory is per size and per phase:
`build` generates the corpus, ingests it and builds BM25, adds one more document (the
BM25 rebuild then segments only that document), then asks the questions; `query` is a
fresh process on that index: it loads BM25 from its cache and asks again.
Embeddings come from `fakes.HashEmbeddings` (see there): everything but embedding is real.

    python -m benchmarks.scale build 10000 /tmp/work [N_QUESTIONS [DOCS_FOLDER]]
    python -m benchmarks.scale query 10000 /tmp/work [N_QUESTIONS]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .common import dir_size_mb, peak_rss_mb, questions, settings_for, summary

KEYS = ("embed", "dense", "bm25", "fuse", "answer", "verify", "total")


def _assistant(data: Path):
    from assistant.answering.chain import Assistant
    from assistant.index.embeddings import CachedEmbeddings
    from assistant.index.store import Store

    from .fakes import MODEL_ID, HashEmbeddings

    settings = settings_for(data)
    emb = CachedEmbeddings(HashEmbeddings(), MODEL_ID, settings.cache_dir / "embeddings.sqlite")
    return Assistant(settings, Store(settings, emb, MODEL_ID), emb)


def _ask_all(bot, qs: list[str]) -> dict:
    first = bot.ask(qs[0]).timings_ms  # the first question in a process pays for loading
    per: dict[str, list[float]] = {k: [] for k in KEYS}
    for q in qs:
        t = bot.ask(q).timings_ms
        for k in KEYS:
            per[k].append(t.get(k, 0.0))
    return {**{k: summary(v) for k, v in per.items()}, "first_ask": round(first["total"], 1)}


def build(size: int, work: Path, n_questions: int | None = None, docs: Path | None = None) -> dict:
    """Generate about `size` chunks of news (or take the folder `docs`) and index them."""
    from assistant.ingest.pipeline import discover

    from .corpus import article, write

    corpus, data = docs or work / "corpus", work / "data"
    t = time.perf_counter()
    files = discover([corpus]) if docs else write(corpus, size)
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
    # One more document: the ingest writes only it, the BM25 rebuild segments only it.
    extra = work / "extra" / "news_extra.txt"
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_text(article(len(files) + 1, 20), encoding="utf-8")
    t = time.perf_counter()
    bot.ingest([extra])
    add_one_s = time.perf_counter() - t
    t = time.perf_counter()
    bot.retriever.bm25()
    bm25_rebuild_s = time.perf_counter() - t
    chunks = sum(r.chunks for r in report.results)
    cache = settings_for(data).cache_dir
    return {
        "target_chunks": size if docs is None else 0,
        "corpus": str(docs) if docs else "generated",
        "chunks": chunks,
        "docs": len(files),
        "generate_s": round(generate_s, 2),
        "index_build_s": round(index_s, 2),
        "index_chunks_per_s": round(chunks / index_s, 1),
        "bm25_build_s": round(bm25_build_s, 2),
        "reingest_unchanged_s": round(reingest_s, 2),
        "add_one_doc_s": round(add_one_s, 2),
        "bm25_rebuild_after_add_s": round(bm25_rebuild_s, 2),
        "query_ms": _ask_all(bot, questions(limit=n_questions)),
        "disk_mb": {
            "total": dir_size_mb(data),
            "chroma": dir_size_mb(settings_for(data).chroma_dir),
            "bm25": sum(dir_size_mb(p) for p in cache.glob("bm25-*")),
            "bm25_terms": sum(dir_size_mb(p) for p in cache.glob("terms-*")),
            "embedding_cache": round((cache / "embeddings.sqlite").stat().st_size / 2**20, 1),
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
    if mode == "build":
        docs = Path(sys.argv[5]) if len(sys.argv) > 5 else None
        print(json.dumps(build(size, work, n, docs)))
    else:
        print(json.dumps(query(size, work, n)))

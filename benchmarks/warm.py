"""Warm `ask` in extractive mode: p50/p95 per step over the evaluation questions.

Two passes over the questions in one process: the first pass pays one-off costs (the
model's pages, jieba, BM25, Chroma's HNSW segments) and is reported apart as
`first_pass_total`; the figures per step come from the second pass (steady state).
"""

from __future__ import annotations

from pathlib import Path

from .common import settings_for, summary

KEYS = ("embed", "dense", "bm25", "fuse", "retrieve", "answer", "verify", "total")


def run(data: Path, qs: list[str], host: str | None = None, port: int = 8000) -> dict:
    from assistant.answering.chain import Assistant

    bot = Assistant.from_settings(settings_for(data, host, port))
    first = [bot.ask(q).timings_ms.get("total", 0.0) for q in qs]
    per: dict[str, list[float]] = {k: [] for k in KEYS}
    for q in qs:
        t = bot.ask(q).timings_ms
        for k in KEYS:
            per[k].append(t.get(k, 0.0))
    return {**{k: summary(v) for k, v in per.items()}, "first_pass_total": summary(first)}

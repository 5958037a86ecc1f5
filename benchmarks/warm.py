"""Warm `ask` in extractive mode: p50/p95 per step over the evaluation questions."""

from __future__ import annotations

from pathlib import Path

from .common import settings_for, summary

KEYS = ("embed", "dense", "bm25", "fuse", "retrieve", "answer", "verify", "total")


def run(data: Path, qs: list[str], host: str | None = None, port: int = 8000) -> dict:
    from assistant.chain import Assistant

    bot = Assistant.from_settings(settings_for(data, host, port))
    for q in qs[:3]:
        bot.ask(q)  # loads the model, jieba and BM25 once
    per: dict[str, list[float]] = {k: [] for k in KEYS}
    for q in qs:
        t = bot.ask(q).timings_ms
        for k in KEYS:
            per[k].append(t.get(k, 0.0))
    return {k: summary(v) for k, v in per.items()}

"""The chat's first question: an Assistant built as `assistant serve` builds it, in a fresh
process, its first question timed without and after the warm-up the chat runs in the
background at start-up (`Assistant.warm_up`). Medians over runs."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from .common import bench_env, run_json, settings_for


def ask_first(data: Path, question: str, warmed: bool) -> dict:
    """In this process (`run_part first`): the warm-up's seconds and the first ask's ms."""
    from assistant.answering.chain import Assistant

    bot = Assistant.from_settings(settings_for(data))
    t0 = time.perf_counter()
    if warmed:
        bot.warm_up()
    t1 = time.perf_counter()
    bot.ask(question)
    return {"warm_up_s": t1 - t0, "ask_ms": (time.perf_counter() - t1) * 1000}


def run(data: Path, question: str, runs: int = 3) -> dict:
    out: dict = {"runs": runs}
    for mode in ("cold", "warmed"):
        got = [
            run_json(
                ["-m", "benchmarks.run_part", f"first-{mode}", question, str(data)], bench_env(data)
            )
            for _ in range(runs)
        ]
        out[f"{mode}_ask_ms"] = round(statistics.median(g["ask_ms"] for g in got), 1)
        if mode == "warmed":
            out["warm_up_s"] = round(statistics.median(g["warm_up_s"] for g in got), 2)
    return out

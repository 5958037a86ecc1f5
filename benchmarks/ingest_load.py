"""Questions while an upload is ingested: ask latency idle and during a ~1 MB ingest.

    python -m benchmarks.ingest_load [--mb 1.0] [--seeded DIR]

Three settings, each on a fresh copy of the seeded index (an empty embedding cache
for the new document, so every setting embeds all of it):

- idle: questions one after another, nothing else running;
- inline: the upload ingested in a thread of the serving process, as the UI did before
  (one embedder, one lock: a question waits for the batch of passages in front of it);
- background: the UI's own path (`ChatUI.start_upload`), embedding in a child process at
  nice 10 with one engine thread, then indexing from the embedding cache.

Questions are asked back to back while the ingest runs; the ingest's throughput is
its chunks and MB over its wall time. Prints one JSON line (the last line of stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

from .common import SEEDS, questions, settings_for, summary
from .corpus import article

TARGET_RATIO = 3.0  # p95 during an ingest at most 3x the idle p95


def document(path: Path, mb: float) -> Path:
    """One synthetic news file of about `mb` MB (UTF-8), deterministic."""
    parts, size, i = [], 0, 0
    while size < mb * 2**20:
        text = article(i, 3)
        parts.append(text)
        size += len(text.encode("utf-8")) + 2
        i += 1
    path.write_text("\n\n".join(parts), encoding="utf-8")
    return path


def _bot(data: Path):
    from assistant.answering.chain import Assistant

    return Assistant.from_settings(settings_for(data))


def _ask_while(bot, qs: list[str], running) -> list[float]:
    """Ask the questions round-robin while `running()`; latencies in ms."""
    times: list[float] = []
    i = 0
    while running() or not times:
        t = time.perf_counter()
        bot.ask(qs[i % len(qs)])
        times.append((time.perf_counter() - t) * 1000)
        i += 1
    return times


def _idle(data: Path, qs: list[str], n: int) -> dict:
    bot = _bot(data)
    bot.ask(qs[0])  # warm: model, BM25, jieba
    times = []
    for i in range(n):
        t = time.perf_counter()
        bot.ask(qs[i % len(qs)])
        times.append((time.perf_counter() - t) * 1000)
    return {"ask_ms": summary(times)}


def _inline(data: Path, doc: Path, qs: list[str]) -> dict:
    bot = _bot(data)
    bot.ask(qs[0])
    out: dict = {}

    def ingest() -> None:
        t = time.perf_counter()
        report = bot.ingest([doc])
        out["ingest_s"] = time.perf_counter() - t
        out["chunks"] = report.results[0].chunks

    worker = threading.Thread(target=ingest)
    worker.start()
    times = _ask_while(bot, qs, worker.is_alive)
    worker.join()
    return {**out, "ask_ms": summary(times)}


def _background(data: Path, doc: Path, qs: list[str], threads: int = 1) -> dict:
    from assistant.ui.handlers import ChatUI

    bot = _bot(data)
    bot.ask(qs[0])
    ui = ChatUI(bot, bot.settings)
    ui.ingest_threads = threads
    t = time.perf_counter()
    ui.start_upload([str(doc)], "en")

    def running() -> bool:
        p = ui.progress(None)
        return p is not None and p.phase != "done"

    times = _ask_while(bot, qs, running)
    while running():
        time.sleep(0.2)
    p = ui.progress(None)
    assert p is not None
    return {
        "ingest_s": time.perf_counter() - t,
        "chunks": p.total_chunks,
        "status": [f.status for f in p.files],
        "embed_rate_chunks_per_s": round(p.rate or 0.0, 2),
        "ask_ms": summary(times),
    }


def run(
    seeded: Path,
    qs: list[str],
    mb: float = 1.0,
    idle_n: int = 40,
    extra_threads: tuple[int, ...] = (),
) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        doc = document(work / "upload.txt", mb)
        result: dict = {
            "doc_mb": round(doc.stat().st_size / 2**20, 2),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        }

        def fresh(name: str) -> Path:
            data = work / name
            shutil.copytree(seeded, data)
            return data

        result["idle"] = _idle(fresh("idle"), qs, idle_n)
        settings = [
            ("inline", _inline),
            ("background", _background),
            *((f"background_{n}t", partial(_background, threads=n)) for n in extra_threads),
        ]
        for name, fn in settings:
            r = fn(fresh(name), doc, qs)
            r["ingest_s"] = round(r["ingest_s"], 1)
            r["chunks_per_s"] = round(r["chunks"] / r["ingest_s"], 2) if r["ingest_s"] else 0.0
            r["mb_per_min"] = round(result["doc_mb"] / r["ingest_s"] * 60, 3)
            r["p95_vs_idle"] = round(
                r["ask_ms"]["p95"] / max(result["idle"]["ask_ms"]["p95"], 1), 2
            )
            result[name] = r
        result["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        result["target_p95_ratio"] = TARGET_RATIO
        result["met"] = result["background"]["p95_vs_idle"] <= TARGET_RATIO
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=1.0, help="size of the uploaded document")
    ap.add_argument("--seeded", type=Path, default=None, help="a data dir with seeds/ ingested")
    ap.add_argument("--limit", type=int, default=20, help="questions to cycle through")
    ap.add_argument(
        "--threads", default="", help="also run the background setting with N engine threads (2,..)"
    )
    args = ap.parse_args(argv)
    qs = questions(limit=args.limit)
    seeded = args.seeded
    tmp = None
    if seeded is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-seeded-"))
        seeded = tmp / "data"
        _bot(seeded).ingest([SEEDS])
    try:
        extra = tuple(int(n) for n in args.threads.split(",") if n)
        result = run(seeded, qs, args.mb, extra_threads=extra)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    for name in [k for k in result if isinstance(result[k], dict)]:
        r = result[name]
        extra = (
            f", ingest {r['ingest_s']} s = {r['chunks_per_s']} chunks/s, {r['mb_per_min']} MB/min,"
            f" p95 {r['p95_vs_idle']}x idle"
            if name != "idle"
            else ""
        )
        a = r["ask_ms"]
        print(f"{name:10} ask p50 {a['p50']:.0f} ms, p95 {a['p95']:.0f} ms (n={a['n']}){extra}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()

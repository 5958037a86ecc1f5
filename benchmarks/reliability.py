"""`make reliability`: a bounded fault-and-load run, the figures of docs/RELIABILITY.md.

    python -m benchmarks.reliability [--bad N] [--kills N] [--sessions N] [--seconds S]

Four parts, a few minutes in all on two cores:

- bad inputs: N hostile or clumsy questions and histories (invisible, control and
  surrogate characters, non-strings, oversized history, punctuation, markup, SQL,
  templates, emoji, scripts the documents do not use, random Unicode) against the real
  Assistant over the seeds. Counted: project errors (InputError), refusals, answers,
  crashes (any other exception) and answers to a question with no topic word.
- hostile files: one folder with a FIFO, a link to /dev/zero, a binary file, an empty
  file, a file over the size cap, bad bytes and UTF-16 without BOM: what was skipped,
  and whether the run finished.
- kill -9 mid-ingest: `assistant ingest` on a fresh index, killed at a random moment;
  then the index is checked (a document is half-indexed when the manifest lists it but
  Chroma does not hold exactly its chunks) and a re-run must complete it.
- concurrent sessions: the real Gradio server on 127.0.0.1, S sessions each asking in a
  loop through `gradio_client` for the given seconds: answers, errors, conversations
  that held another session's question, p50/p95 latency.

Results: benchmarks/results/reliability-latest.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .common import PY, ROOT, SEEDS, bench_env, questions, summary

RESULTS = ROOT / "benchmarks" / "results"
ASSISTANT = str(Path(PY).with_name("assistant"))


# --- bad inputs -----------------------------------------------------------------------------
def hostile_questions(n: int, rng: random.Random) -> list[tuple[str, object, object]]:
    """(kind, question, history): N cases cycling through the kinds, randomised within each."""
    real = questions(limit=20)
    makers = {
        "invisible": lambda: "".join(
            rng.choice("\u200b\u200c\u200d\u2060\ufeff ") for _ in range(8)
        ),
        "control": lambda: rng.choice(real) + "".join(chr(rng.randrange(0, 32)) for _ in range(5)),
        "surrogate": lambda: rng.choice(real)[:5] + chr(rng.randrange(0xD800, 0xE000)),
        "not_text": lambda: rng.choice([None, 42, 3.5, ["问题"], {"q": 1}, b"bytes"]),
        "huge_history": lambda: rng.choice(real),
        "punctuation": lambda: "".join(
            rng.choice("？！。，、…—·?!.,;:'\"()[]{}") for _ in range(12)
        ),
        "markup": lambda: rng.choice(
            ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<b></b><i></i>"]
        ),
        "sql": lambda: rng.choice(
            [
                "SELECT * FROM users WHERE 1=1",
                "'; DROP TABLE documents; --",
                "1 UNION SELECT password FROM admin",
            ]
        ),
        "template": lambda: rng.choice(
            ["{{ 7*7 }}", "{% for x in y %}", "${jndi:ldap://x}", "#{7*7}"]
        ),
        "emoji": lambda: "".join(chr(rng.randrange(0x1F300, 0x1F64F)) for _ in range(6)),
        "other_script": lambda: rng.choice(
            ["Сколько коек в больнице?", "كم عدد الأسرة؟", "병상은 몇 개입니까?", "πόσα κρεβάτια;"]
        ),
        "random_unicode": lambda: "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(20)),
        "long": lambda: rng.choice(real) * 300,
    }
    cases = []
    kinds = list(makers)
    for i in range(n):
        kind = kinds[i % len(kinds)]
        history: object = []
        if kind == "huge_history":
            history = ["床" * 20_000] if rng.random() < 0.5 else [rng.choice(real)] * 200
        cases.append((kind, makers[kind](), history))
    return cases


# Kinds whose questions hold no word of the documents: an answer to one is a random quote.
NO_TOPIC = {"invisible", "punctuation", "markup", "sql", "template", "emoji", "other_script"}


def bad_inputs(data_dir: Path, n: int, seed: int) -> dict:
    from assistant.answering.chain import Assistant
    from assistant.errors import AssistantError, InputError

    from .common import settings_for

    bot = Assistant.from_settings(settings_for(data_dir))
    counts = {"input_error": 0, "refused": 0, "answered": 0, "crash": 0, "answered_no_topic": 0}
    crashes: list[str] = []
    times: list[float] = []
    by_kind: dict[str, dict[str, int]] = {}
    for kind, question, history in hostile_questions(n, random.Random(seed)):
        t0 = time.perf_counter()
        try:
            answer = bot.ask(question, history)  # type: ignore[arg-type]
        except (InputError, AssistantError):
            key = "input_error"
        except Exception as exc:  # a crash: what the run is looking for
            key = "crash"
            crashes.append(f"{kind}: {type(exc).__name__}: {exc}"[:200])
        else:
            key = "refused" if answer.refused else "answered"
            if key == "answered" and kind in NO_TOPIC:
                counts["answered_no_topic"] += 1
        counts[key] += 1
        tally = by_kind.setdefault(kind, {})
        tally[key] = tally.get(key, 0) + 1
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "tried": n,
        **counts,
        "crashes": crashes[:10],
        "by_kind": by_kind,
        "ms": summary(times),
        "max_ms": round(max(times), 1),
    }


# --- hostile files -----------------------------------------------------------------------------
def hostile_files(workdir: Path) -> dict:
    from assistant.answering.chain import Assistant

    from .common import settings_for

    folder = workdir / "hostile"
    folder.mkdir()
    text = (SEEDS / sorted(p.name for p in SEEDS.glob("*.txt"))[0]).read_text(encoding="utf-8")
    os.mkfifo(folder / "fifo.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (folder / "empty.txt").write_text("")
    (folder / "big.txt").write_text("大" * (2 * 1024 * 1024), encoding="utf-8")  # 6 MB > the cap
    damaged = text.encode()
    (folder / "damaged.txt").write_bytes(damaged[:300] + b"\xff\xfe" + damaged[300:])
    (folder / "wide.txt").write_bytes(text.encode("utf-16-le"))
    (folder / "ok.txt").write_text(text, encoding="utf-8")
    settings = settings_for(workdir / "hostile-data")
    settings.ingest.max_file_mb = 5
    bot = Assistant.from_settings(settings)
    t0 = time.perf_counter()
    report = bot.ingest([folder])
    return {
        "files": len(report.results),
        "added": report.count("added"),
        "skipped": {r.source: r.reason for r in report.results if r.status == "skipped"},
        "warnings": {r.source: r.warnings for r in report.results if r.warnings},
        "seconds": round(time.perf_counter() - t0, 1),
    }


# --- kill -9 mid-ingest ---------------------------------------------------------------------------
def split_corpus(target: Path, pieces: int) -> int:
    """The seeds cut into many small documents (so a kill lands between and inside them)."""
    target.mkdir(parents=True)
    n = 0
    for seed in sorted(SEEDS.glob("*.txt")):
        paragraphs = [p for p in seed.read_text(encoding="utf-8").split("\n") if len(p) > 40]
        for i, para in enumerate(paragraphs[:pieces]):
            (target / f"{seed.stem}-{i:03d}.txt").write_text(
                f"{seed.stem}\n{para}", encoding="utf-8"
            )
            n += 1
    return n


def check_index(data_dir: Path) -> dict:
    from assistant.index.embeddings import CachedEmbeddings, make_embeddings, model_id
    from assistant.index.store import Store

    from .common import settings_for

    settings = settings_for(data_dir)
    mid = model_id(settings.embeddings)
    emb = CachedEmbeddings(
        make_embeddings(settings.embeddings), mid, settings.cache_dir / "e.sqlite"
    )
    store = Store(settings, emb, mid)
    manifest = store.manifest()
    got = store.chunks.get(include=["metadatas"])
    held: dict[tuple[str, str], int] = {}
    for meta in got["metadatas"] or []:
        key = (str(meta["source"]), str(meta.get("doc_hash")))
        held[key] = held.get(key, 0) + 1
    half = sum(held.get((s, r.content_hash), 0) != r.chunks for s, r in manifest.items())
    committed = {(s, r.content_hash) for s, r in manifest.items()}
    orphans = sum(c for k, c in held.items() if k not in committed)
    return {"documents": len(manifest), "half_indexed": half, "orphan_chunks": orphans}


def kill_trials(workdir: Path, trials: int, seed: int) -> dict:
    rng = random.Random(seed)
    corpus = workdir / "corpus"
    total = split_corpus(corpus, 12)
    rows = []
    for i in range(trials):
        data = workdir / f"kill-{i}"
        env = bench_env(data)
        proc = subprocess.Popen(
            [ASSISTANT, "ingest", str(corpus)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        delay = rng.uniform(2.0, 10.0)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        after_kill = (
            check_index(data)
            if (data / "chroma").exists()
            else {"documents": 0, "half_indexed": 0, "orphan_chunks": 0}
        )
        rerun = subprocess.run(
            [ASSISTANT, "ingest", str(corpus)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        final = check_index(data)
        rows.append(
            {
                "killed_after_s": round(delay, 1),
                "finished_before_kill": finished,
                **{f"after_kill_{k}": v for k, v in after_kill.items()},
                "rerun_exit": rerun.returncode,
                "final_documents": final["documents"],
                "final_half_indexed": final["half_indexed"],
                "final_orphans": final["orphan_chunks"],
            }
        )
        shutil.rmtree(data, ignore_errors=True)
    return {
        "trials": trials,
        "corpus_documents": total,
        "killed_mid_ingest": sum(not r["finished_before_kill"] for r in rows),
        "half_indexed_after_kill": sum(r["after_kill_half_indexed"] for r in rows),
        "orphan_chunks_after_kill": sum(r["after_kill_orphan_chunks"] for r in rows),
        "reruns_complete": sum(
            r["rerun_exit"] == 0
            and r["final_documents"] == total
            and not r["final_half_indexed"]
            and not r["final_orphans"]
            for r in rows
        ),
        "rows": rows,
    }


# --- concurrent sessions ----------------------------------------------------------------------------
def sessions(data_dir: Path, n: int, seconds: float, seed: int) -> dict:
    import socket

    from gradio_client import Client

    from assistant.answering.chain import Assistant
    from assistant.ui.app import build_app
    from assistant.ui.handlers import message_text
    from assistant.ui.server import serve

    from .common import settings_for

    settings = settings_for(data_dir)
    settings.ui.concurrency = 4
    app = build_app(Assistant.from_settings(settings), settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve(app, settings, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    pool = questions(limit=30)
    times: list[float] = []
    errors: list[str] = []
    mixed = 0
    answers = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def session(k: int) -> None:
        nonlocal mixed, answers
        rng = random.Random(seed + k)
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        history: list = []
        asked: list[str] = []
        while time.monotonic() < deadline:
            question = f"{rng.choice(pool)}"
            if len(asked) >= 4:  # a new conversation (a new browser session) every few turns
                client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
                history, asked = [], []
            t0 = time.perf_counter()
            try:
                history, _ = client.predict(
                    question, history, "zh", "default", {}, api_name="/chat"
                )
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            elapsed = (time.perf_counter() - t0) * 1000
            asked.append(question)
            users = [message_text(m) for m in history if m.get("role") == "user"]
            failed = "ans-error" in message_text(history[-1])
            with lock:
                times.append(elapsed)
                answers += 1
                if failed:
                    errors.append(message_text(history[-1])[:200])
                if [html.unescape(u).strip() for u in users] != asked:
                    mixed += 1

    try:
        threads = [threading.Thread(target=session, args=(k,)) for k in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + 120)
    finally:
        app.close()
    return {
        "sessions": n,
        "seconds": seconds,
        "answers": answers,
        "errors": len(errors),
        "error_samples": errors[:5],
        "mixed_conversations": mixed,
        "ms": summary(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bad", type=int, default=500)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--parts", default="bad,files,kills,sessions", help="a comma list of parts to run"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="assistant-reliability-"))
    results: dict = {"args": vars(args)}
    try:
        seeded = work / "seeded"
        env = bench_env(seeded)
        subprocess.run(
            [ASSISTANT, "ingest", str(SEEDS)], cwd=ROOT, env=env, check=True, capture_output=True
        )
        os.environ["ANONYMIZED_TELEMETRY"] = "False"
        parts = set(args.parts.split(","))
        if "bad" in parts:
            print("bad inputs …", flush=True)
            results["bad_inputs"] = bad_inputs(seeded, args.bad, args.seed)
        if "files" in parts:
            print("hostile files …", flush=True)
            results["hostile_files"] = hostile_files(work)
        if "kills" in parts:
            print("kill -9 trials …", flush=True)
            results["kill_trials"] = kill_trials(work, args.kills, args.seed)
        if "sessions" in parts:
            print("concurrent sessions …", flush=True)
            results["sessions"] = sessions(seeded, args.sessions, args.seconds, args.seed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "reliability-latest.json"
    if out.exists() and len(parts) < 4:  # a partial run updates the parts it ran
        results = {**json.loads(out.read_text(encoding="utf-8")), **results}
        results["last_partial_run"] = {"parts": sorted(parts), "seconds": seconds}
    else:
        results["total_s"] = seconds
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(
        json.dumps({k: v for k, v in results.items() if k != "args"}, ensure_ascii=False, indent=1)
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

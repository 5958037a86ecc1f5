"""`make bench`: every benchmark of issue 5 in one run, a table, and a JSON file.

    python -m benchmarks.run [--sizes 1000,10000,100000] [--docs FOLDER] [--only warm,cold]
                             [--scale-docs FOLDER] [--limit N] [--runs N] [--merge OLD.json]

Sections: ingest (seeds or --docs, real e5), warm, cold, server (Chroma server),
naive (the evals' baseline pipeline), scale (generated news or --scale-docs, with a fast
hashed embedder), load (ask latency while a --load-mb upload is ingested, see
benchmarks/ingest_load.py; about 30 minutes at 1 MB). Results go to benchmarks/results/latest.json (rewritten after every
section) and a copy stamped with the time. The full run takes 30-60 minutes on two
cores, most of it building the 100,000-chunk index; `--sizes 1000,10000` takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from .common import QUESTIONS, ROOT, SEEDS, questions, run_json
from .table import table

SECTIONS = ("ingest", "warm", "cold", "server", "naive", "scale", "load")
RESULTS = ROOT / "benchmarks" / "results"


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem / 2**20, 1),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="1000,10000,100000", help="chunk counts of the scale runs")
    ap.add_argument(
        "--docs", type=Path, default=SEEDS, help="folder to ingest and ask about (default: seeds/)"
    )
    ap.add_argument(
        "--questions", type=Path, default=QUESTIONS, help="JSONL with a `question` field"
    )
    ap.add_argument(
        "--scale-docs",
        type=Path,
        default=None,
        help="run the scale section on this folder instead of generated corpora (--sizes ignored)",
    )
    ap.add_argument("--limit", type=int, default=0, help="use only the first N questions")
    ap.add_argument("--runs", type=int, default=5, help="cold-start runs (median)")
    ap.add_argument(
        "--load-mb", type=float, default=1.0, help="size of the upload in the load section"
    )
    ap.add_argument(
        "--only", default=",".join(SECTIONS), help="sections to run: " + ",".join(SECTIONS)
    )
    ap.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    ap.add_argument(
        "--work", type=Path, default=None, help="scratch folder (default: a temp dir, removed)"
    )
    ap.add_argument(
        "--merge", type=Path, default=None, help="take sections not run now from this earlier JSON"
    )
    args = ap.parse_args(argv)
    only = [s for s in args.only.split(",") if s]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    qs = questions(args.questions, args.limit or None)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-"))
    seeded = work / "seeded"
    result: dict = {
        "machine": machine(),
        "docs": str(args.docs),
        "questions": len(qs),
        "sections": only,
        "notes": {
            "scale_embedder": "scale runs use a hashed character-bigram embedder (384 dims), not e5:"
            " they measure everything but the embedding",
            "naive": "naive = the evals' baseline: raw files, RecursiveCharacterTextSplitter"
            " 1000/200, same e5 model, dense top-4 (benchmarks/naive.py); its cold start is a"
            " tutorial process that retrieves and composes no answer",
        },
    }
    if args.merge:
        earlier = json.loads(args.merge.read_text(encoding="utf-8"))
        for name in SECTIONS:
            if name not in only and name in earlier:
                result[name] = earlier[name]
                result.setdefault("merged_from", {})[name] = earlier.get("machine", {}).get(
                    "date", str(args.merge)
                )
    args.out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")

    def section(name: str, fn) -> None:
        if name not in only:
            return
        t = time.perf_counter()
        print(f"[bench] {name} ...", flush=True)
        try:
            result[name] = fn()
        except Exception as exc:  # one failing section must not lose the others
            result.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
            print(f"[bench] {name} FAILED: {exc}", flush=True)
        result.setdefault("section_s", {})[name] = round(time.perf_counter() - t, 1)
        save()

    try:
        from . import cold, first, naive, server, warm

        needs_index = {"ingest", "warm", "cold", "server", "load"} & set(only)
        if needs_index:
            # Ingest first: it leaves `seeded` indexed for warm, cold and server.
            ingest = ["-m", "benchmarks.run_part", "ingest", str(args.docs), str(seeded)]
            if "ingest" in only:
                section("ingest", lambda: run_json(ingest))
            else:
                run_json(ingest)
        section("warm", lambda: warm.run(seeded, qs))
        section(
            "cold",
            lambda: {
                **cold.run(seeded, qs[0], args.runs),
                "chat_first": first.run(seeded, qs[0], args.runs),
            },
        )
        section("server", lambda: server.run(args.docs, seeded, work / "server", qs))

        def naive_all() -> dict:
            data = work / "naive"
            out = {
                "ingest": run_json(
                    ["-m", "benchmarks.run_part", "naive-ingest", str(args.docs), str(data)]
                )
            }
            out["warm"] = naive.warm(args.docs, data, qs)
            out["cold"] = naive.cold(data, qs[0], args.runs)
            return out

        section("naive", naive_all)

        def scale() -> list[dict]:
            out = []
            for size in [0] if args.scale_docs else sizes:
                what = args.scale_docs or f"{size} chunks"
                print(f"[bench]   scale: {what} ...", flush=True)
                d = work / f"scale-{size}"
                t = time.perf_counter()
                build_args = ["build", str(size), str(d), str(args.limit)]
                if args.scale_docs:
                    build_args.append(str(args.scale_docs))
                build = run_json(["-m", "benchmarks.scale", *build_args])
                query = run_json(
                    ["-m", "benchmarks.scale", "query", str(size), str(d), str(args.limit)]
                )
                out.append(
                    {"build": build, "query": query, "wall_s": round(time.perf_counter() - t, 1)}
                )
                result["scale"] = out
                save()
                shutil.rmtree(d, ignore_errors=True)
            return out

        section("scale", scale)

        def load() -> dict:
            from . import ingest_load

            return ingest_load.run(seeded, qs, args.load_mb)

        section("load", load)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    result["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["table"] = table(result).splitlines()
    save()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    if args.out == RESULTS / "latest.json":
        shutil.copy(args.out, RESULTS / f"bench-{stamp}.json")
    print()
    print(table(result))
    m = result["machine"]
    print(
        f"\n{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, {m['date']}"
    )
    print(f"load average at start {m['load_avg_at_start']}, at end {m['load_avg_at_end']}")
    print(f"scale rows: {result['notes']['scale_embedder']}")
    print(f"naive: {result['notes']['naive']}")
    print(f"written: {args.out}")
    return result


if __name__ == "__main__":
    main()

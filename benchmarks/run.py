"""`make bench`: every benchmark of issue 5 in one run, a table, and a JSON file.

    python -m benchmarks.run [--sizes 1000,10000,100000] [--docs FOLDER] [--only warm,cold]

Sections: ingest (seeds or --docs, real e5), warm, cold, server (Chroma server),
naive (the baseline pipeline), scale (synthetic corpus, fast hashed embedder).
Results go to benchmarks/results/latest.json (rewritten after every section).
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

SECTIONS = ("ingest", "warm", "cold", "server", "naive", "scale")
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


def _ratio(ours: float | None, naive: float | None) -> str:
    return f"{ours / naive:.2f}x" if ours and naive else ""


def table(r: dict) -> str:
    rows: list[tuple[str, str, str, str, str]] = []  # figure, ours, naive, ratio, target

    def add(name, ours, naive=None, target="", fmt="{:.1f}"):
        if ours is None:
            return
        rows.append(
            (
                name,
                fmt.format(ours),
                fmt.format(naive) if naive is not None else "",
                _ratio(ours, naive),
                target,
            )
        )

    g = r.get
    ing, nv, w, c = g("ingest", {}), g("naive", {}), g("warm", {}), g("cold", {})
    add(
        "cold `assistant ask` (s)",
        c.get("ask_s"),
        nv.get("cold", {}).get("ask_s"),
        _met(c.get("ask_s"), 3, "< 3 s"),
        "{:.2f}",
    )
    add("  import assistant.chain (s)", c.get("import_chain_s"), fmt="{:.2f}")
    here = c.get("as_run_here", {})
    add(
        "cold ask, no .pyc (PYTHONDONTWRITEBYTECODE) (s)",
        here.get("ask_s"),
        target=f"import {here.get('import_chain_s', 0):.2f} s",
        fmt="{:.2f}",
    )
    add(
        "warm ask first pass p50 (ms)",
        w.get("first_pass_total", {}).get("p50"),
        target=f"p95 {w.get('first_pass_total', {}).get('p95', 0):.1f}",
    )
    for k in ("embed", "dense", "bm25", "fuse", "answer", "verify"):
        add(
            f"  warm {k} p50 / p95 (ms)",
            w.get(k, {}).get("p50"),
            nv.get("warm", {}).get(k, {}).get("p50"),
            f"p95 {w.get(k, {}).get('p95', 0):.1f}",
        )
    for p in ("p50", "p95"):
        t = w.get("total", {}).get(p)
        add(
            f"warm ask total {p} (ms)",
            t,
            nv.get("warm", {}).get("total", {}).get(p),
            _met(t, 50, "< 50 ms") if p == "p95" else "",
        )
    add(
        "ingest end to end (tokens/s)",
        ing.get("e2e_tokens_per_s"),
        nv.get("ingest", {}).get("e2e_tokens_per_s"),
    )
    add("embedder alone (tokens/s)", ing.get("embedder_tokens_per_s"))
    if "e2e_vs_embedder" in ing:
        add(
            "ingest / embedder rate",
            ing["e2e_vs_embedder"],
            target=_met(-ing["e2e_vs_embedder"], -0.8, ">= 0.80"),
            fmt="{:.2f}",
        )
    add("ingest end to end (s)", ing.get("e2e_s"), nv.get("ingest", {}).get("e2e_s"), fmt="{:.2f}")
    add(
        "re-ingest unchanged (s)",
        ing.get("reingest_unchanged_s"),
        target=_met(ing.get("reingest_unchanged_s"), 1, "< 1 s"),
        fmt="{:.3f}",
    )
    add("rebuild index from embedding cache (s)", ing.get("rebuild_from_cache_s"), fmt="{:.2f}")
    sv = g("server", {}).get("query_ms", {})
    for p in ("p50", "p95"):
        add(
            f"Chroma server: ask total {p} (ms)",
            sv.get("total", {}).get(p),
            target=_ratio(sv.get("total", {}).get(p), w.get("total", {}).get(p)) + " of embedded",
        )
    add(
        "Chroma server: dense p50 (ms)",
        sv.get("dense", {}).get("p50"),
        target=_ratio(sv.get("dense", {}).get("p50"), w.get("dense", {}).get("p50"))
        + " of embedded",
    )
    for s in g("scale", []):
        n, b, q = s["build"]["chunks"], s["build"], s["query"]
        big = s["build"]["target_chunks"] >= 100_000
        add(
            f"[{n} chunks] ask p50 / p95 (ms)",
            q["query_ms"]["total"]["p50"],
            target=f"p95 {q['query_ms']['total']['p95']:.1f}"
            + (" " + _met(q["query_ms"]["total"]["p95"], 200, "< 200 ms") if big else ""),
        )
        add(
            f"[{n} chunks]   dense / bm25 p95 (ms)",
            q["query_ms"]["dense"]["p95"],
            target=f"bm25 {q['query_ms']['bm25']['p95']:.1f}",
        )
        add(
            f"[{n} chunks] index build (s)",
            b["index_build_s"],
            target=f"{b['index_chunks_per_s']:.0f} chunks/s",
        )
        add(
            f"[{n} chunks] BM25 build / load (s)",
            b["bm25_build_s"],
            target=f"load {q['bm25_load_s']:.2f}",
            fmt="{:.2f}",
        )
        add(f"[{n} chunks] re-ingest unchanged (s)", b["reingest_unchanged_s"], fmt="{:.2f}")
        add(
            f"[{n} chunks] disk (MB)",
            b["disk_mb"]["total"],
            target=f"chroma {b['disk_mb']['chroma']}, bm25 {b['disk_mb']['bm25']}, cache {b['disk_mb']['embedding_cache']}",
        )
        peak = max(b["peak_rss_mb"], q["peak_rss_mb"])
        add(
            f"[{n} chunks] peak RSS build / query (MB)",
            b["peak_rss_mb"],
            target=f"query {q['peak_rss_mb']:.0f}"
            + (" " + _met(peak, 2048, "< 2 GB") if big else ""),
            fmt="{:.0f}",
        )
    widths = [
        max(len(row[i]) for row in rows + [("figure", "ours", "naive", "ratio", "target / note")])
        for i in range(5)
    ]
    lines = []
    for row in [("figure", "ours", "naive", "ratio", "target / note"), *rows]:
        lines.append(
            "  ".join(
                cell.ljust(widths[i]) if i in (0, 4) else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            )
        )
    return "\n".join(lines)


def _met(value, limit, text: str) -> str:
    if value is None:
        return text
    return f"{text}: {'met' if value < limit else 'NOT met'}"


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
    ap.add_argument("--limit", type=int, default=0, help="use only the first N questions")
    ap.add_argument("--runs", type=int, default=5, help="cold-start runs (median)")
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
            "scale_embedder": "scale runs use a hashed character-bigram embedder (384 dims), not e5: they measure everything but the embedding",
            "naive": "naive = RecursiveCharacterTextSplitter defaults over raw files + dense-only top-4 via langchain-chroma, same e5 model (benchmarks/naive.py)",
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
        from . import cold, naive, server, warm

        needs_index = {"ingest", "warm", "cold", "server"} & set(only)
        if needs_index:
            # Ingest first: it leaves `seeded` indexed for warm, cold and server.
            ingest = ["-m", "benchmarks.run_part", "ingest", str(args.docs), str(seeded)]
            if "ingest" in only:
                section("ingest", lambda: run_json(ingest))
            else:
                run_json(ingest)
        section("warm", lambda: warm.run(seeded, qs))
        section("cold", lambda: cold.run(seeded, qs[0], args.runs))
        section("server", lambda: server.run(args.docs, seeded, work / "server", qs))

        def naive_all() -> dict:
            data = work / "naive"
            out = {
                "ingest": run_json(
                    ["-m", "benchmarks.run_part", "naive-ingest", str(args.docs), str(data)]
                )
            }
            out["warm"] = naive.warm(data, qs)
            out["cold"] = naive.cold(data, qs[0], args.runs)
            return out

        section("naive", naive_all)

        def scale() -> list[dict]:
            out = []
            for size in sizes:
                d = work / f"scale-{size}"
                t = time.perf_counter()
                build = run_json(
                    ["-m", "benchmarks.scale", "build", str(size), str(d), str(args.limit)]
                )
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
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    result["table"] = table(result).splitlines()
    save()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    if args.out == RESULTS / "latest.json":
        shutil.copy(args.out, RESULTS / f"bench-{stamp}.json")
    print()
    print(table(result))
    print(f"\n(scale rows: {result['notes']['scale_embedder']})")
    print(f"written: {args.out}")
    return result


if __name__ == "__main__":
    main()

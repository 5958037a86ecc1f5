"""The table `make bench` prints: each figure, the naive pipeline's, their ratio, the target."""

from __future__ import annotations

HEADER = ("figure", "ours", "naive", "ratio", "target / note")


def _ratio(ours: float | None, naive: float | None) -> str:
    return f"{ours / naive:.2f}x" if ours and naive else ""


def _met(value: float | None, limit: float, text: str, above: bool = False) -> str:
    if value is None:
        return text
    ok = value >= limit if above else value < limit
    return f"{text}: {'met' if ok else 'NOT met'}"


def table(r: dict) -> str:
    rows: list[tuple[str, str, str, str, str]] = []

    def add(name, ours, naive=None, target="", fmt="{:.1f}"):
        if ours is None:
            return
        cells = (fmt.format(ours), fmt.format(naive) if naive is not None else "")
        rows.append((name, *cells, _ratio(ours, naive), target))

    ing, nv, w, c = r.get("ingest", {}), r.get("naive", {}), r.get("warm", {}), r.get("cold", {})
    nw, nc = nv.get("warm", {}), nv.get("cold", {})

    # --- cold start ---
    add(
        "cold `assistant ask`, wall (s)",
        c.get("ask_s"),
        nc.get("ask_s"),
        _met(c.get("ask_s"), 3, "< 3 s"),
        "{:.2f}",
    )
    add(
        "  its CPU time (s)",
        c.get("cpu_s"),
        nc.get("cpu_s"),
        "steadier on a busy machine",
        "{:.2f}",
    )
    add("  its peak memory (MB)", c.get("peak_rss_mb"), nc.get("peak_rss_mb"), fmt="{:.0f}")
    add("  import assistant.answering.chain (s)", c.get("import_chain_s"), fmt="{:.2f}")
    add("  import assistant.langchain (s)", c.get("import_langchain_s"), fmt="{:.2f}")
    here = c.get("as_run_here", {})
    add(
        "cold ask, no .pyc anywhere (s)",
        here.get("ask_s"),
        target=f"CPU {here.get('cpu_s', 0):.2f} s; every module compiled",
        fmt="{:.2f}",
    )

    chat = c.get("chat_first", {})
    add("chat's first question, no warm-up (ms)", chat.get("cold_ask_ms"))
    add(
        "  after the start-up warm-up (ms)",
        chat.get("warmed_ask_ms"),
        target=f"warm-up {chat.get('warm_up_s', 0):.2f} s, in the background",
    )

    # --- warm ask ---
    fp = w.get("first_pass_total", {})
    add(
        "warm ask, first pass p50 (ms)",
        fp.get("p50"),
        nw.get("first_pass_total", {}).get("p50"),
        f"p95 {fp.get('p95', 0):.1f}",
    )
    for k in ("embed", "dense", "bm25", "fuse", "answer", "verify"):
        add(
            f"  {k} p50 (ms)",
            w.get(k, {}).get("p50"),
            nw.get(k, {}).get("p50"),
            f"p95 {w.get(k, {}).get('p95', 0):.1f}",
        )
    for p in ("p50", "p95"):
        t = w.get("total", {}).get(p)
        add(
            f"warm ask total {p} (ms)",
            t,
            nw.get("total", {}).get(p),
            _met(t, 50, "< 50 ms") if p == "p95" else "",
        )

    # --- ingest ---
    add(
        "ingest end to end (tokens/s)",
        ing.get("e2e_tokens_per_s"),
        nv.get("ingest", {}).get("e2e_tokens_per_s"),
    )
    add("embedder alone (tokens/s)", ing.get("embedder_tokens_per_s"))
    add(
        "ingest / embedder rate",
        ing.get("e2e_vs_embedder"),
        target=_met(ing.get("e2e_vs_embedder"), 0.8, ">= 0.80", above=True),
        fmt="{:.2f}",
    )
    add(
        "ingest end to end (s)",
        ing.get("e2e_s"),
        nv.get("ingest", {}).get("e2e_s"),
        f"+ start-up {ing.get('startup_s', 0):.2f} s (model, jieba)",
        "{:.2f}",
    )
    add(
        "re-ingest unchanged (s)",
        ing.get("reingest_unchanged_s"),
        target=_met(ing.get("reingest_unchanged_s"), 1, "< 1 s"),
        fmt="{:.3f}",
    )
    if "rebuild_from_cache_s" in ing:
        add(
            "rebuild index from embedding cache (s)",
            ing["rebuild_from_cache_s"],
            target=f"{ing.get('rebuild_texts_embedded')} texts embedded",
            fmt="{:.2f}",
        )
    if "edit_one_doc" in ing:
        e, rc = ing["edit_one_doc"], ing["rechunk_overlap_half"]
        add(
            "edit one doc: texts embedded",
            e["texts_embedded"],
            target=f"of its {e.get('texts', e['chunks'])} texts ({e['chunks']} chunks)",
            fmt="{:.0f}",
        )
        add(
            "re-chunk (half overlap): texts embedded",
            rc["texts_embedded"],
            target=f"of {rc.get('texts', rc['chunks'])} texts ({rc['chunks']} chunks)",
            fmt="{:.0f}",
        )

    # --- Chroma server ---
    sv = r.get("server", {}).get("query_ms", {})
    for p in ("p50", "p95"):
        t = sv.get("total", {}).get(p)
        add(
            f"Chroma server: ask total {p} (ms)",
            t,
            target=_ratio(t, w.get("total", {}).get(p)) + " of embedded",
        )
    add(
        "Chroma server: dense p50 (ms)",
        sv.get("dense", {}).get("p50"),
        target=_ratio(sv.get("dense", {}).get("p50"), w.get("dense", {}).get("p50"))
        + " of embedded",
    )

    # --- asking during an upload (benchmarks/ingest_load.py) ---
    load = r.get("load", {})
    if load:
        idle = load.get("idle", {}).get("ask_ms", {})
        add("ask p50 / p95 idle (ms)", idle.get("p50"), target=f"p95 {idle.get('p95', 0):.0f}")
        for setting in ("inline", "background"):
            got = load.get(setting, {})
            if not got:
                continue
            ask = got.get("ask_ms", {})
            add(
                f"ask p95 during a {load.get('doc_mb')} MB ingest, {setting} (ms)",
                ask.get("p95"),
                target=_met(got.get("p95_vs_idle"), 3, "<= 3x idle")
                + f" ({got.get('p95_vs_idle')}x; p50 {ask.get('p50', 0):.0f})",
                fmt="{:.0f}",
            )
            add(f"  ingest throughput, {setting} (chunks/s)", got.get("chunks_per_s"), fmt="{:.2f}")

    # --- scale ---
    for s in r.get("scale", []):
        b, q = s["build"], s["query"]
        n, big = b["chunks"], max(b["target_chunks"], b["chunks"]) >= 100_000
        qm = q["query_ms"]
        add(
            f"[{n} chunks] ask p50 (ms)",
            qm["total"]["p50"],
            target=f"p95 {qm['total']['p95']:.1f}"
            + (" " + _met(qm["total"]["p95"], 200, "< 200 ms") if big else ""),
        )
        add(
            f"[{n} chunks]   dense / bm25 p95 (ms)",
            qm["dense"]["p95"],
            target=f"bm25 {qm['bm25']['p95']:.1f}; answer {qm['answer']['p95']:.1f}",
        )
        add(f"[{n} chunks]   first ask, fresh process (ms)", qm.get("first_ask"))
        add(
            f"[{n} chunks] index build (s)",
            b["index_build_s"],
            target=f"{b['index_chunks_per_s']:.0f} chunks/s (fast embedder)",
            fmt="{:.1f}",
        )
        add(
            f"[{n} chunks] BM25 build / load (s)",
            b["bm25_build_s"],
            target=f"load {q['bm25_load_s']:.2f}; after adding a doc {b.get('bm25_rebuild_after_add_s', 0):.2f}",
            fmt="{:.2f}",
        )
        add(f"[{n} chunks] re-ingest unchanged (s)", b["reingest_unchanged_s"], fmt="{:.2f}")
        d = b["disk_mb"]
        add(
            f"[{n} chunks] disk (MB)",
            d["total"],
            target=f"chroma {d['chroma']}, bm25 {d['bm25']}+{d.get('bm25_terms', 0)}, vectors cache {d['embedding_cache']}",
        )
        peak = max(b["peak_rss_mb"], q["peak_rss_mb"])
        add(
            f"[{n} chunks] peak RSS build / query (MB)",
            b["peak_rss_mb"],
            target=f"query {q['peak_rss_mb']:.0f}"
            + (" " + _met(peak, 2048, "< 2 GB") if big else ""),
            fmt="{:.0f}",
        )

    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(5)]
    return "\n".join(
        "  ".join(
            cell.ljust(widths[i]) if i in (0, 4) else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in [HEADER, *rows]
    )


if __name__ == "__main__":  # `python -m benchmarks.table [RESULTS.json]`: print a run again
    import json
    import sys
    from pathlib import Path

    path = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results/latest.json")
    print(table(json.loads(path.read_text(encoding="utf-8"))))

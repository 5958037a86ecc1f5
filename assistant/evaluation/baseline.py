"""The naive pipeline the project is measured against.

What a first LangChain tutorial builds: the raw files (decoded, not cleaned) split by
`RecursiveCharacterTextSplitter` at the tutorial's 1000 characters with 200 overlap, and
dense top-4 from the same embeddings, in a separate Chroma index in a temporary folder.
Everything after retrieval is the project's own `Assistant` (follow-up handling, refusal,
the extractive or LLM answerer, citation check): only the retriever is swapped, so the
deltas measure cleaning, chunking and hybrid retrieval, in either answer mode.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.answering.chain import Assistant
from assistant.index.bm25 import BM25Index
from assistant.index.store import Store
from assistant.ingest.loading import SUPPORTED_SUFFIXES, load_text
from assistant.ingest.pipeline import discover

from ..errors import IngestError
from ..schema import Chunk, Retrieved, SourceDocument

CHUNK_SIZE = 1000  # the LangChain RAG tutorial's values (the class defaults are 4000/200)
CHUNK_OVERLAP = 200
TOP_K = 4


def split_files(docs: Path) -> list[tuple[SourceDocument, list[Chunk]]]:
    """Each supported file under `docs`, raw, with its naive chunks."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
    )
    out = []
    for path in discover([docs]):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        try:
            raw = load_text(path)
        except IngestError:  # the project's ingest skips these too
            continue
        title = next((ln.strip() for ln in raw.splitlines() if ln.strip()), path.name)
        digest = hashlib.sha256(raw.encode()).hexdigest()
        doc = SourceDocument(source=path.name, title=title, text=raw, content_hash=digest)
        chunks = []
        for i, piece in enumerate(splitter.create_documents([raw])):
            start = int(piece.metadata.get("start_index", 0))
            chunks.append(
                Chunk(
                    id=hashlib.sha1(f"{path.name}\x00{i}\x00{digest}".encode()).hexdigest()[:20],
                    source=path.name,
                    title=title,
                    doc_hash=digest,
                    index=i,
                    start=start,
                    end=start + len(piece.page_content),
                    text=piece.page_content,
                )
            )
        out.append((doc, chunks))
    return out


class NaiveRetriever:
    """Dense top-k from a store; the `Search` interface of `HybridSearch`."""

    def __init__(self, store: Store, embeddings: Embeddings, chunks: list[Chunk]) -> None:
        self.store = store
        self.embeddings = embeddings
        self.index = BM25Index.build(chunks)  # term weights for the answerer, not for retrieval

    def invalidate(self) -> None:
        pass

    def bm25(self) -> BM25Index:
        return self.index

    def retrieve(self, query: str, timings: dict[str, float] | None = None) -> list[Retrieved]:
        t0 = time.perf_counter()
        vector = self.embeddings.embed_query(query)
        t1 = time.perf_counter()
        hits = self.store.dense_search(vector, TOP_K)
        if timings is not None:
            timings.update(embed=(t1 - t0) * 1000, dense=(time.perf_counter() - t1) * 1000)
        return [
            Retrieved(chunk=chunk, score=sim, dense_score=sim, dense_rank=rank)
            for rank, (chunk, sim) in enumerate(hits, 1)
        ]


def naive_assistant(project: Assistant, docs: Path, workdir: Path) -> Assistant:
    """The project's assistant (same settings, embeddings and chat model) over a naive index."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client = chromadb.PersistentClient(
        path=str(workdir), settings=ChromaClientSettings(anonymized_telemetry=False)
    )
    store = Store(project.settings, project.embeddings, project.store.model_id, client=client)
    files = split_files(docs)
    for doc, chunks in files:
        store.put_document(doc, chunks)
    bot = Assistant(project.settings, store, project.embeddings, project.chat_model)
    bot.retriever = NaiveRetriever(store, project.embeddings, [c for _, cs in files for c in cs])  # type: ignore[assignment]
    return bot

"""The naive pipeline the project is measured against.

What a first LangChain tutorial builds: the raw files (decoded, not cleaned) split by
`RecursiveCharacterTextSplitter` with its defaults (1000 characters, 200 overlap), dense
top-4 from the same embeddings in a separate Chroma collection, and the same extractive
answerer and citation check as the project, so the deltas measure chunking and retrieval.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from pathlib import Path

from langchain_core.embeddings import Embeddings

from .. import prompts
from ..answer import ExtractiveAnswerer
from ..citations import verify
from ..followup import expand
from ..ingest import discover
from ..lexical import BM25Index
from ..loading import SUPPORTED_SUFFIXES, load_text
from ..schema import Answer, Chunk, Retrieved
from ..segmentation import is_chinese
from ..settings import Settings

TOP_K = 4
COLLECTION = "naive-baseline"


def split_files(docs: Path) -> list[Chunk]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(add_start_index=True)  # 1000 / 200 characters
    chunks: list[Chunk] = []
    for path in discover([docs]):
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        raw = load_text(path)
        title = next((ln.strip() for ln in raw.splitlines() if ln.strip()), path.name)
        for i, doc in enumerate(splitter.create_documents([raw])):
            start = int(doc.metadata.get("start_index", 0))
            cid = hashlib.sha1(f"{path.name}\x00{i}\x00{doc.page_content}".encode()).hexdigest()[
                :20
            ]
            chunks.append(
                Chunk(
                    id=cid,
                    source=path.name,
                    title=title,
                    doc_hash="",
                    index=i,
                    start=start,
                    end=start + len(doc.page_content),
                    text=doc.page_content,
                )
            )
    return chunks


class NaivePipeline:
    def __init__(
        self, settings: Settings, embeddings: Embeddings, docs: Path, workdir: Path
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaClientSettings
        from langchain_chroma import Chroma

        self.settings = settings
        self.chunks = split_files(docs)
        client = chromadb.PersistentClient(
            path=str(workdir), settings=ChromaClientSettings(anonymized_telemetry=False)
        )
        with contextlib.suppress(Exception):  # a fresh folder has none
            client.delete_collection(COLLECTION)
        self.vectors = Chroma(
            collection_name=COLLECTION,
            embedding_function=embeddings,
            client=client,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        if self.chunks:
            self.vectors.add_texts(
                [c.text for c in self.chunks],
                metadatas=[c.metadata() for c in self.chunks],
                ids=[c.id for c in self.chunks],
            )
        self.by_id = {c.id: c for c in self.chunks}
        self.idf = BM25Index.build(self.chunks).idf  # term weights over the naive chunks
        self.answerer = ExtractiveAnswerer(settings.answer)

    def retrieve(self, query: str) -> list[Retrieved]:
        hits = self.vectors.similarity_search_with_score(query, k=TOP_K)
        out = []
        for rank, (doc, distance) in enumerate(hits):
            chunk = (
                self.by_id[doc.id]
                if doc.id in self.by_id
                else Chunk.from_record(doc.id or "", doc.page_content, doc.metadata)
            )
            sim = 1.0 - float(distance)  # cosine distance
            out.append(Retrieved(chunk=chunk, score=sim, dense_score=sim, dense_rank=rank + 1))
        return out

    def ask(self, question: str, history: list[str] | None = None) -> Answer:
        started = time.perf_counter()
        query = expand(question.strip(), list(history or []))
        lang = "zh" if is_chinese(question) else "en"
        retrieved = self.retrieve(query.standalone)
        t_answer = time.perf_counter()
        seen = list(dict.fromkeys(r.chunk.title for r in retrieved[:3]))
        wrap, sep = ("《{}》", "、") if lang == "zh" else ('"{}"', ", ")
        refusal = prompts.render_text(
            "refusal", lang, topics=sep.join(wrap.format(t) for t in seen)
        )
        draft = self.answerer.answer(query, retrieved, self.idf, refusal)
        text, citations, claims = (
            (draft.text, [], []) if draft.refused else verify(draft.text, retrieved, draft.picked)
        )
        now = time.perf_counter()
        return Answer(
            question=question,
            standalone_question=query.standalone,
            answer=text,
            refused=draft.refused,
            mode="extractive",
            citations=citations,
            claims=claims,
            retrieved=retrieved,
            timings_ms={
                "retrieve": (t_answer - started) * 1000,
                "answer": (now - t_answer) * 1000,
                "total": (now - started) * 1000,
            },
        )

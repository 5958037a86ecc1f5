"""The data that flows through the pipeline: files → documents → chunks → retrieved → answer.

`Answer.to_json()` is the wire format of `assistant ask --json` and of eval results.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class SourceDocument(BaseModel):
    """A cleaned document, ready to chunk."""

    source: str  # file name, unique in the index
    title: str
    text: str  # the cleaned text; chunk offsets point into it
    content_hash: str  # sha256 of the cleaned text


class Chunk(BaseModel):
    id: str
    source: str
    title: str
    doc_hash: str
    index: int
    start: int  # offsets into SourceDocument.text
    end: int
    text: str
    page: int | None = None  # the PDF page the chunk starts on (from 1); None for other formats
    # Later pages that begin inside the chunk: (offset in `text`, page number).
    page_breaks: list[tuple[int, int]] = Field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """The page of the character at `offset` in `text` (None: not from a PDF)."""
        page = self.page
        for at, number in self.page_breaks:
            if at <= offset:
                page = number
        return page

    def metadata(self) -> dict[str, str | int]:
        meta: dict[str, str | int] = {
            "source": self.source,
            "title": self.title,
            "doc_hash": self.doc_hash,
            "chunk_index": self.index,
            "start": self.start,
            "end": self.end,
        }
        if self.page is not None:  # Chroma metadata holds no None
            meta["page"] = self.page
        if self.page_breaks:
            meta["page_breaks"] = ",".join(f"{at}:{n}" for at, n in self.page_breaks)
        return meta

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict) -> Chunk:
        return cls(
            id=chunk_id,
            text=text,
            source=str(meta["source"]),
            title=str(meta.get("title", "")),
            doc_hash=str(meta.get("doc_hash", "")),
            index=int(meta.get("chunk_index", 0)),
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            page=int(meta["page"]) if meta.get("page") is not None else None,
            page_breaks=[
                (int(at), int(n))
                for at, _, n in (
                    b.partition(":") for b in str(meta.get("page_breaks") or "").split(",") if b
                )
            ],
        )


class Retrieved(BaseModel):
    """A chunk with its fused score and the ranks it had in each list (None: not in that list)."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    dense_rank: int | None = None
    bm25_rank: int | None = None

    def to_json(self) -> dict:
        return {
            "chunk_id": self.chunk.id,
            "source": self.chunk.source,
            "title": self.chunk.title,
            "score": round(self.score, 6),
            "dense_score": None if self.dense_score is None else round(self.dense_score, 6),
            "text": self.chunk.text,
            "doc_start": self.chunk.start,
            "doc_end": self.chunk.end,
        }


class Citation(BaseModel):
    """Source [n] of an answer: the chunk, and the span of it that supports the claim."""

    n: int
    source: str
    title: str
    chunk_id: str
    text: str  # the whole cited chunk
    quote: str  # the supporting span
    start: int  # offsets of `quote` in `text`
    end: int
    doc_start: int  # offset of the chunk in the cleaned document
    supported: bool = True
    page: int | None = None  # the PDF page of the cited chunk; None for other formats


class Claim(BaseModel):
    """One sentence of the answer with the sources it cites, as verification saw it."""

    text: str
    markers: list[int] = Field(default_factory=list)
    supported: bool = True


class Answer(BaseModel):
    question: str
    standalone_question: str
    answer: str
    refused: bool
    answerability: float | None = None  # the reader's probability that the sources answer
    mode: str  # "extractive" or "llm"
    model: str | None = None
    notice: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    retrieved: list[Retrieved] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # sources disagree, instruction-like text
    timings_ms: dict[str, float] = Field(default_factory=dict)

    @property
    def unsupported_claims(self) -> list[Claim]:
        return [c for c in self.claims if not c.supported]

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.answer,
            "refused": self.refused,
            "answerability": None if self.answerability is None else round(self.answerability, 4),
            "mode": self.mode,
            "model": self.model,
            "notice": self.notice,
            "citations": [c.model_dump() for c in self.citations],
            "unsupported_claims": [c.text for c in self.unsupported_claims],
            "warnings": list(self.warnings),
            "retrieved": [r.to_json() for r in self.retrieved],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }

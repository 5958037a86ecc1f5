"""What the reader reads: the sentences of the retrieved chunks, and what the index knows.

`Corpus` is how the reader reaches the index without holding the store: IDF and vocabulary
from BM25, the cleaned documents, and e5 vectors — of sentences, computed once at ingest
and cached by content (so a question pays only a cache read), and of the question, which
retrieval has already embedded.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np

from assistant.schema import Retrieved
from assistant.text.segmentation import sentences


@dataclass(frozen=True)
class Corpus:
    """What the index knows, as the reader needs it."""

    idf: Callable[[str], float]
    known: Callable[[str], bool]  # the term occurs somewhere in the index
    document: Callable[[str], str]  # the cleaned text of a source, "" when unknown
    # unit e5 passage vectors of sentences (rows in order), or None when unavailable
    sentence_vectors: Callable[[list[str]], np.ndarray | None] = lambda texts: None
    # the unit e5 query vector of a question, or None
    query_vector: Callable[[str], np.ndarray | None] = lambda text: None
    vocab: Collection[str] = frozenset()  # the index's terms (for names written in pinyin)


@dataclass(frozen=True)
class Sentence:
    rank: int  # of its chunk in the retrieved list, from 0
    source: str
    start: int  # offsets in the chunk
    end: int
    text: str  # as in the chunk
    context: str  # its chunk and title


def split(retrieved: list[Retrieved]) -> list[Sentence]:
    """Every sentence of the retrieved chunks, in rank order."""
    out = []
    for rank, hit in enumerate(retrieved):
        chunk = hit.chunk.text
        context = chunk + hit.chunk.title
        out += [
            Sentence(rank, hit.chunk.source, s, e, chunk[s:e], context) for s, e in sentences(chunk)
        ]
    return out


def unit(vectors) -> np.ndarray:
    """Rows scaled to unit length (e5 vectors from any provider)."""
    v = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-9)

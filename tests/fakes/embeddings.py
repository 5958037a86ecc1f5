"""Fast deterministic embedders implementing LangChain's `Embeddings` interface.

`HashEmbeddings` maps character unigrams and bigrams into a small normalised vector, so
texts that share characters are close: good enough for store and ingest tests, and
thousands of times faster than the real model. `CountingEmbeddings` records what it was
asked to embed.
"""

from __future__ import annotations

import hashlib

import numpy as np
from langchain_core.embeddings import Embeddings

DIM = 64


def _vector(text: str) -> list[float]:
    vec = np.zeros(DIM, dtype=np.float64)
    grams = list(text) + [text[i : i + 2] for i in range(len(text) - 1)]
    for g in grams:
        h = int.from_bytes(hashlib.md5(g.encode()).digest()[:4], "little")
        vec[h % DIM] += 1.0 if (h >> 31) & 1 else -1.0
    norm = np.linalg.norm(vec)
    if norm == 0:
        vec[0] = 1.0
        norm = 1.0
    return (vec / norm).tolist()


class HashEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [_vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return _vector(text)


class CountingEmbeddings(HashEmbeddings):
    """Records every text it embeds (documents and queries separately)."""

    def __init__(self) -> None:
        self.documents: list[str] = []
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents.extend(texts)
        return super().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return super().embed_query(text)

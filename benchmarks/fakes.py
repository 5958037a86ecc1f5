"""A fast deterministic embedder for the scale runs: hashed character bigrams, 384 dims.

Embedding 100,000 chunks with e5 takes hours on two cores; this one takes seconds,
so the scale runs measure everything but the embedding (index build, HNSW search,
BM25, answering). Vectors are L2-normalised, like e5's.
"""

from __future__ import annotations

import numpy as np
from langchain_core.embeddings import Embeddings

DIM = 384
MODEL_ID = "bench:hash-bigram-384"


def _vector(text: str, dim: int = DIM) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    vec = np.zeros(dim, dtype=np.float32)
    if len(codes) >= 2:
        keys = codes[:-1] * np.uint64(1_000_003) + codes[1:]
        mixed = (keys * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(33)
        signs = np.where(mixed & np.uint64(1), 1.0, -1.0).astype(np.float32)
        np.add.at(vec, (mixed >> np.uint64(1)) % np.uint64(dim), signs)
    norm = float(np.linalg.norm(vec))
    if norm == 0:
        vec[0], norm = 1.0, 1.0
    return vec / norm


class HashEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [_vector(t).tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return _vector(text).tolist()

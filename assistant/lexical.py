"""BM25 over jieba terms, built from the chunks stored in Chroma and cached on disk.

Chroma's local mode has no sparse index, so BM25 lives beside it. The cache is keyed
by the store's fingerprint: it is rebuilt only when the set of documents changed,
never per process or per question.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np

from .schema import Chunk
from .segmentation import terms

# The chunks are stored by column (one JSON list per field): loading is a few C-level
# list parses instead of one pydantic model per chunk, and a `Chunk` is built only for hits.
COLUMNS = ("id", "source", "title", "doc_hash", "index", "start", "end", "text")
DATA_FILE = "columns.json"


class BM25Index:
    def __init__(self, retriever, columns: dict[str, list], df: dict[str, int]) -> None:
        self.retriever = retriever
        self.columns = columns
        self.size = len(columns["id"])
        self.df = df
        self.vocab = set(df)

    @classmethod
    def build(cls, chunks: list[Chunk]) -> BM25Index:
        import bm25s

        tokenized = [terms(c.text) or ["<empty>"] for c in chunks]
        df: dict[str, int] = {}
        for toks in tokenized:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        retriever = bm25s.BM25()
        if chunks:
            retriever.index(tokenized, show_progress=False)
        columns = {name: [getattr(c, name) for c in chunks] for name in COLUMNS}
        return cls(retriever, columns, df)

    def chunk(self, i: int) -> Chunk:
        return Chunk(**{name: self.columns[name][i] for name in COLUMNS})

    @property
    def chunks(self) -> list[Chunk]:
        """Every indexed chunk (built on demand: search builds only its hits)."""
        return [self.chunk(i) for i in range(self.size)]

    def save(self, directory: Path) -> None:
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.size:
            self.retriever.save(str(tmp), show_progress=False)
        (tmp / DATA_FILE).write_text(
            json.dumps({"columns": self.columns, "df": self.df}, ensure_ascii=False),
            encoding="utf-8",
        )
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)  # atomic: a reader sees the old cache or the new one

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        import bm25s

        data = json.loads((directory / DATA_FILE).read_text(encoding="utf-8"))
        columns = data["columns"]
        if set(columns) != set(COLUMNS):
            raise ValueError("the BM25 cache has other columns")
        retriever = (
            bm25s.BM25.load(str(directory), show_progress=False) if columns["id"] else bm25s.BM25()
        )
        return cls(retriever, columns, data["df"])

    def idf(self, term: str) -> float:
        n = max(self.size, 1)
        return math.log(1 + (n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        tokens = [t for t in terms(query) if t in self.vocab]
        if not tokens or not self.size:
            return []
        scores = self.retriever.get_scores(tokens)
        k = min(k, self.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.chunk(i), float(scores[i])) for i in top if scores[i] > 0]


def load_or_build(cache_root: Path, fingerprint: str, chunks_fn) -> BM25Index:
    """The cached index for this fingerprint, or a new one built from `chunks_fn()` and saved."""
    directory = cache_root / f"bm25-{fingerprint}"
    if (directory / DATA_FILE).exists():
        try:
            return BM25Index.load(directory)
        except (OSError, ValueError, KeyError):
            shutil.rmtree(directory, ignore_errors=True)  # a damaged cache is rebuilt
    index = BM25Index.build(list(chunks_fn()))
    cache_root.mkdir(parents=True, exist_ok=True)
    for old in cache_root.glob("bm25-*"):
        if old.name != directory.name:
            shutil.rmtree(old, ignore_errors=True)
    index.save(directory)
    return index

"""BM25 over jieba terms, built from the chunks stored in Chroma and cached on disk.

Chroma's local mode has no sparse index, so BM25 lives beside it. The cache is keyed
by the store's fingerprint: it is rebuilt only when the set of documents changed,
never per process or per question. A rebuild segments only text it has not seen: the
terms of every chunk text are kept in `terms-*.sqlite` by content, so adding one
document to 100,000 chunks re-segments that document, not the corpus.

On disk the index is bm25s' own: its sparse matrix and its corpus file (one JSON line
per chunk), both memory-mapped on load, so a query reads only the postings of its terms
and the lines of its hits. Loading is a few file reads, whatever the corpus size.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np

from assistant.schema import Chunk
from assistant.text.segmentation import SEGMENTER_VERSION, terms, terms_once

FORMAT = 3
DONE_FILE = "index.json"  # written last: the load fails (and the cache is rebuilt) without it
EMPTY = "<empty>"  # the one term of a chunk without terms, so every chunk is a row


class BM25Index:
    def __init__(self, retriever: Any, corpus: Sequence[dict[str, Any]]) -> None:
        self.retriever = retriever  # a bm25s.BM25
        self.corpus = corpus  # chunk fields by row: a list, or bm25s' memory-mapped JSONL
        self.size = len(corpus)
        # Term -> column; "" is bm25s' own placeholder, not a term of any chunk.
        self._columns: dict[str, int] = retriever.vocab_dict if self.size else {}
        self.vocab = self._columns.keys() - {""}
        self._indptr = retriever.scores["indptr"] if self.size else np.zeros(1, dtype=np.int64)

    @classmethod
    def build(cls, chunks: list[Chunk], term_cache: Path | None = None) -> BM25Index:
        """`term_cache`: a folder for the terms of chunk texts by content (none: segment all)."""
        import bm25s
        from bm25s.tokenization import Tokenized

        # Terms become ids as they come: 100,000 chunks of terms as lists of shared ints
        # take a fraction of the memory of lists of strings. Scores do not depend on ids.
        vocab: defaultdict[str, int] = defaultdict(count().__next__)  # a new term, the next id
        ids = [
            [vocab[t] for t in toks or [EMPTY]]
            for toks in _terms_of([c.text for c in chunks], term_cache)
        ]
        retriever = bm25s.BM25()
        if chunks:
            retriever.index(Tokenized(ids=ids, vocab=dict(vocab)), show_progress=False)
        return cls(retriever, [c.model_dump() for c in chunks])

    def knows(self, term: str) -> bool:
        """Whether any indexed chunk holds `term`."""
        return term in self.vocab

    def chunk(self, i: int) -> Chunk:
        return Chunk(**self.corpus[i])

    @property
    def chunks(self) -> list[Chunk]:
        """Every indexed chunk (built on demand: search builds only its hits)."""
        return [self.chunk(i) for i in range(self.size)]

    def save(self, directory: Path) -> None:
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.size:
            from bm25s.utils.corpus import JsonlCorpus

            self.retriever.save(str(tmp), corpus=self.corpus, show_progress=False)
            JsonlCorpus(tmp / "corpus.jsonl", show_progress=False).close()  # writes its line index
        (tmp / DONE_FILE).write_text(json.dumps({"format": FORMAT, "size": self.size}))
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)  # atomic: a reader sees the old cache or the new one

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        import bm25s

        done = json.loads((directory / DONE_FILE).read_text(encoding="utf-8"))
        if done.get("format") != FORMAT:
            raise ValueError("the BM25 cache has another format")
        if not done["size"]:
            return cls(bm25s.BM25(), [])
        retriever = bm25s.BM25.load(
            str(directory), load_corpus=True, mmap=True, show_progress=False
        )
        if len(retriever.corpus) != done["size"]:
            raise ValueError("the BM25 cache is inconsistent")
        return cls(retriever, retriever.corpus)

    def df(self, term: str) -> int:
        """How many chunks hold `term` (the length of its column of postings)."""
        col = self._columns.get(term) if term else None
        if col is None or col + 1 >= len(self._indptr):
            return 0
        return int(self._indptr[col + 1] - self._indptr[col])

    def idf(self, term: str) -> float:
        n = max(self.size, 1)
        df = self.df(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        tokens = [t for t in terms(query) if t in self.vocab]
        if not tokens or not self.size:
            return []
        scores = self.retriever.get_scores(tokens)
        k = min(k, self.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.chunk(int(i)), float(scores[i])) for i in top if scores[i] > 0]


# --- the terms of chunk texts, cached by content ---------------------------------------
def _terms_version() -> str:
    """Changes when jieba or the term rules change, so cached terms are never stale."""
    from importlib.metadata import version

    return f"{version('jieba')}-{SEGMENTER_VERSION}"


def _terms_of(texts: list[str], root: Path | None) -> Iterator[list[str]]:
    """`terms(text)` for each text, from the terms cache in `root` when there is one (worked
    out by `terms_once`: chunks are read once, and would crowd the asks out of `terms`' memory)."""
    if root is None:
        yield from (terms_once(t) for t in texts)
        return
    path = root / f"terms-{_terms_version()}.sqlite"
    for old in root.glob("terms-*.sqlite"):
        if old != path:
            old.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.execute("CREATE TABLE IF NOT EXISTS terms (key BLOB PRIMARY KEY, terms BLOB)")
        keys = [hashlib.sha1(t.encode("utf-8")).digest() for t in texts]
        found: dict[bytes, bytes] = {}
        for i in range(0, len(keys), 500):
            batch = keys[i : i + 500]
            rows = db.execute(
                f"SELECT key, terms FROM terms WHERE key IN ({','.join('?' * len(batch))})", batch
            )
            found.update(rows)
        new: list[tuple[bytes, bytes]] = []
        for key, text in zip(keys, texts, strict=True):
            blob = found.get(key)
            if blob is None:
                toks = terms_once(text)
                blob = zlib.compress("\0".join(toks).encode("utf-8"))
                found[key] = blob
                new.append((key, blob))
                if len(new) >= 2000:
                    with db:
                        db.executemany("INSERT OR REPLACE INTO terms VALUES (?, ?)", new)
                    new = []
                yield toks
            else:
                joined = zlib.decompress(blob).decode("utf-8")
                yield joined.split("\0") if joined else []
        with db:
            db.executemany("INSERT OR REPLACE INTO terms VALUES (?, ?)", new)
    finally:
        db.close()


def load_or_build(
    cache_root: Path, fingerprint: str, chunks_fn: Callable[[], Iterable[Chunk]]
) -> BM25Index:
    """The cached index for this fingerprint, or a new one built from `chunks_fn()` and saved."""
    directory = cache_root / f"bm25-{fingerprint}"
    if (directory / DONE_FILE).exists():
        try:
            return BM25Index.load(directory)
        except (OSError, ValueError, KeyError, TypeError):
            shutil.rmtree(directory, ignore_errors=True)  # a damaged cache is rebuilt
    cache_root.mkdir(parents=True, exist_ok=True)
    index = BM25Index.build(list(chunks_fn()), term_cache=cache_root)
    for old in cache_root.glob("bm25-*"):
        if old.name != directory.name:
            shutil.rmtree(old, ignore_errors=True)
    index.save(directory)
    return index

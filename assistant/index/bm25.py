"""BM25 over jieba terms, built from the chunks stored in Chroma and cached on disk.

Chroma's local mode has no sparse index, so BM25 lives beside it. The cache is keyed
by the store's fingerprint: it is rebuilt only when the set of documents changed,
never per process or per question. A rebuild segments only text it has not seen: the
terms of every chunk text are kept in `terms-*.sqlite` by content, so adding one
document to 100,000 chunks re-segments that document, not the corpus.

On disk the index is bm25s' sparse matrix (memory-mapped: a query reads only the
postings of its terms) and the chunks by column: the texts as one UTF-8 blob with
offsets, the integers in one array, titles and sources once per document. Loading is
a few file reads, whatever the corpus size, and a `Chunk` is built only for a hit.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import numpy as np

from assistant.schema import Chunk
from assistant.text.segmentation import terms

FORMAT = 2
META_FILE = "chunks.json"  # ids and documents; the load fails (and the cache is rebuilt) without it
TEXT_FILE = "texts.bin"
INTS_FILE = "chunk_ints.npy"  # per chunk: document number, index, start, end, text offset
EMPTY = "<empty>"  # the one term of a chunk without terms, so every chunk is a row


class _Table:
    """Chunks by column: ids, a document table, integers, and the texts as one UTF-8 blob."""

    def __init__(self, ids: list[str], docs: list[list[str]], ints: np.ndarray, blob: bytes):
        self.ids, self.docs, self.ints, self.blob = ids, docs, ints, blob

    @classmethod
    def of(cls, chunks: list[Chunk]) -> _Table:
        docs: dict[tuple[str, str, str], int] = {}
        ints = np.zeros((len(chunks), 5), dtype=np.int64)
        parts: list[bytes] = []
        offset = 0
        for i, c in enumerate(chunks):
            doc = docs.setdefault((c.source, c.title, c.doc_hash), len(docs))
            data = c.text.encode("utf-8")
            ints[i] = (doc, c.index, c.start, c.end, offset)
            parts.append(data)
            offset += len(data)
        return cls([c.id for c in chunks], [list(d) for d in docs], ints, b"".join(parts))

    def __len__(self) -> int:
        return len(self.ids)

    def chunk(self, i: int) -> Chunk:
        doc, index, start, end, offset = (int(x) for x in self.ints[i])
        stop = int(self.ints[i + 1, 4]) if i + 1 < len(self.ids) else len(self.blob)
        source, title, doc_hash = self.docs[doc]
        return Chunk(
            id=self.ids[i],
            source=source,
            title=title,
            doc_hash=doc_hash,
            index=index,
            start=start,
            end=end,
            text=self.blob[offset:stop].decode("utf-8"),
        )

    def save(self, directory: Path) -> None:
        meta = {"format": FORMAT, "ids": self.ids, "docs": self.docs}
        (directory / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        np.save(directory / INTS_FILE, self.ints)
        (directory / TEXT_FILE).write_bytes(self.blob)

    @classmethod
    def load(cls, directory: Path) -> _Table:
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError("the BM25 cache has another format")
        ints = np.load(directory / INTS_FILE)
        if ints.shape != (len(meta["ids"]), 5):
            raise ValueError("the BM25 cache is inconsistent")
        return cls(meta["ids"], meta["docs"], ints, (directory / TEXT_FILE).read_bytes())


class BM25Index:
    def __init__(self, retriever, table: _Table) -> None:
        self.retriever = retriever
        self.table = table
        self.size = len(table)
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
        return cls(retriever, _Table.of(chunks))

    def chunk(self, i: int) -> Chunk:
        return self.table.chunk(i)

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
        self.table.save(tmp)
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)  # atomic: a reader sees the old cache or the new one

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        import bm25s

        table = _Table.load(directory)
        retriever = (
            bm25s.BM25.load(str(directory), mmap=True, show_progress=False)
            if len(table)
            else bm25s.BM25()
        )
        return cls(retriever, table)

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
def _segmenter_version() -> str:
    """Changes when jieba or the term rules change, so cached terms are never stale."""
    from importlib.metadata import version

    from assistant.text import segmentation

    source = Path(segmentation.__file__).read_bytes()
    return hashlib.sha256(version("jieba").encode() + b"\0" + source).hexdigest()[:12]


def _terms_of(texts: list[str], root: Path | None) -> Iterator[list[str]]:
    """`terms(text)` for each text, from the terms cache in `root` when there is one."""
    if root is None:
        yield from (terms(t) for t in texts)
        return
    path = root / f"terms-{_segmenter_version()}.sqlite"
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
                toks = terms(text)
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


def load_or_build(cache_root: Path, fingerprint: str, chunks_fn) -> BM25Index:
    """The cached index for this fingerprint, or a new one built from `chunks_fn()` and saved."""
    directory = cache_root / f"bm25-{fingerprint}"
    if (directory / META_FILE).exists():
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

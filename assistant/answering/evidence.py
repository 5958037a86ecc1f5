"""What the answerer and the refusal read: the question's weighted terms, and how well a
sentence of a retrieved chunk covers them.

A term's weight is its IDF in the index; a term the index has never seen counts less, as
it is more often the user's wording than the topic. A term in the sentence counts fully;
one only elsewhere in the sentence's chunk or title (news names the subject once, then
writes "该项目") counts at `CONTEXT`. A long Chinese term half present (金山院区 as 金山…院区)
gets partial credit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np

from assistant.answering.followup import Query
from assistant.schema import Retrieved
from assistant.text.segmentation import is_chinese, sentences

CONTEXT = 0.6
UNKNOWN = 0.3
_ASCII_TERM = re.compile(r"^[a-z0-9][a-z0-9.+\-]*$")


@dataclass(frozen=True)
class Corpus:
    """What the index knows, as the evidence checks need it."""

    idf: Callable[[str], float]
    known: Callable[[str], bool]  # the term occurs somewhere in the index
    document: Callable[[str], str]  # the cleaned text of a source, "" when unknown
    # For the learned reader: unit e5 passage vectors of sentences (rows in order) and the
    # question's unit e5 vector, or None when unavailable; the index's terms (pinyin names).
    sentence_vectors: Callable[[list[str]], np.ndarray | None] = lambda texts: None
    query_vector: Callable[[str], np.ndarray | None] = lambda text: None
    vocab: Collection[str] = frozenset()


@dataclass(frozen=True)
class Sentence:
    rank: int  # of its chunk in the retrieved list, from 0
    source: str
    start: int  # offsets in the chunk
    end: int
    text: str  # lower-cased (see `split`)
    context: str  # its chunk and title, likewise


def split(retrieved: list[Retrieved], lower: bool = True) -> list[Sentence]:
    """Every sentence of the retrieved chunks, in rank order; lower-cased unless `lower` is
    False (the learned reader's features were trained on the text as written)."""
    out = []
    for rank, hit in enumerate(retrieved):
        chunk = hit.chunk.text.lower() if lower else hit.chunk.text
        context = chunk + (hit.chunk.title.lower() if lower else hit.chunk.title)
        out += [
            Sentence(rank, hit.chunk.source, s, e, chunk[s:e], context)
            for s, e in sentences(hit.chunk.text)
        ]
    return out


def term_weights(query: Query, corpus: Corpus, only: set[str] | None = None) -> dict[str, float]:
    """The question's terms (earlier questions' at half) weighted by IDF; `only` keeps a subset.
    For a question in another language only numbers and Latin terms can match literally."""
    weights = query.weighted_terms()
    if not is_chinese(query.question):
        weights = {t: w for t, w in weights.items() if _ASCII_TERM.match(t)}
    return {
        t: w * corpus.idf(t) * (1.0 if corpus.known(t) else UNKNOWN)
        for t, w in weights.items()
        if only is None or t in only
    }


def term_match(term: str, text: str) -> float:
    if term in text:
        return 1.0
    if len(term) >= 2 and not term.isascii():
        share = sum(ch in text for ch in term) / len(term)
        return 0.4 * share if share >= 0.5 else 0.0
    return 0.0


def coverage(weights: dict[str, float], sentence: Sentence) -> float:
    """Share of the weighted terms the sentence covers, with its chunk as context."""
    total = sum(weights.values())
    if not total:
        return 0.0
    covered = sum(
        w * max(term_match(t, sentence.text), CONTEXT * term_match(t, sentence.context))
        for t, w in weights.items()
    )
    return covered / total


def unit(vectors: object) -> np.ndarray:
    """Rows scaled to unit length (e5 vectors from any provider)."""
    v = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-9)

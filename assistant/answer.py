"""The offline answerer: quote the retrieved sentences that answer the question.

No generated facts: the answer is made of sentences copied from the sources, each
followed by its source number. Sentences are scored by how much of the question's
weighted terms (IDF from the BM25 index) they and their chunk cover, with a bonus
when the question asks for a number or a date and the sentence holds one.

Refusal is decided from this evidence: a Chinese question is refused when no sentence
covers enough of it, or when an informative term of the question appears nowhere in
the top sources (a near miss: right topic, asked fact absent). A question in another
language cannot be matched term by term against Chinese text, so it is refused when
the dense similarity of the best source is low.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .followup import Query
from .schema import Retrieved
from .segmentation import is_chinese, sentences
from .settings import AnswerSettings

_NUMBER_Q = re.compile(r"多少|几[个家项张名位所座条种次年]|多大|多长|多高|多久|比例|金额|面积|数量|how many|how much|how large|how big|number of|percentage", re.I)
_DATE_Q = re.compile(r"何时|什么时候|哪年|哪一年|几月|哪天|日期|时间|when|what year|what date|which year", re.I)
_HAS_NUMBER = re.compile(r"\d")
_HAS_DATE = re.compile(r"\d{4}年|\d{1,2}月|\d{1,2}日|去年|今年|明年")
_ASCII_TERM = re.compile(r"^[a-z0-9][a-z0-9.+\-]*$")


@dataclass
class Picked:
    n: int  # source number (rank in the retrieved list, from 1)
    start: int  # sentence offsets in the chunk
    end: int
    score: float


@dataclass
class Draft:
    """An answer before verification: its text, and for extractive answers the quoted spans."""

    text: str
    refused: bool
    picked: list[Picked] = field(default_factory=list)


def _term_match(term: str, text: str) -> float:
    if term in text:
        return 1.0
    if len(term) >= 2 and not term.isascii():
        share = sum(ch in text for ch in term) / len(term)
        return 0.4 * share if share >= 0.5 else 0.0
    return 0.0


class ExtractiveAnswerer:
    def __init__(self, settings: AnswerSettings) -> None:
        self.settings = settings

    def evidence(self, query: Query, retrieved: list[Retrieved], idf: Callable[[str], float]):
        """Every sentence of the retrieved chunks with its score and coverage, best first."""
        chinese = is_chinese(query.question)
        weights = query.weighted_terms()
        if not chinese:  # only numbers and Latin terms can match Chinese text literally
            weights = {t: w for t, w in weights.items() if _ASCII_TERM.match(t)}
        term_w = {t: w * idf(t) for t, w in weights.items()}
        total = sum(term_w.values()) or 1.0
        wants_number = bool(_NUMBER_Q.search(query.standalone))
        wants_date = bool(_DATE_Q.search(query.standalone))
        scored = []
        for rank, hit in enumerate(retrieved):
            chunk = hit.chunk.text.lower()
            context = chunk + hit.chunk.title.lower()
            for start, end in sentences(hit.chunk.text):
                sent = chunk[start:end]
                covered = sum(w * max(_term_match(t, sent), 0.6 * _term_match(t, context)) for t, w in term_w.items())
                coverage = covered / total if term_w else 0.0
                score = coverage + 0.08 / (rank + 1)
                if wants_number and _HAS_NUMBER.search(sent):
                    score += 0.15
                if wants_date and _HAS_DATE.search(sent):
                    score += 0.15
                if end - start < 10:
                    score *= 0.5  # a heading or fragment, rarely an answer
                scored.append((score, coverage, rank, start, end))
        scored.sort(key=lambda s: -s[0])
        return scored, term_w

    def answer(self, query: Query, retrieved: list[Retrieved], idf: Callable[[str], float], refusal: str) -> Draft:
        if not retrieved:
            return Draft(text=refusal, refused=True)
        scored, term_w = self.evidence(query, retrieved, idf)
        if not scored or self._should_refuse(query, retrieved, scored, term_w):
            return Draft(text=refusal, refused=True)
        best = scored[0][0]
        picked: list[Picked] = []
        seen: list[str] = []
        for score, coverage, rank, start, end in scored:
            if len(picked) >= self.settings.max_sentences or score < 0.8 * best:
                break
            text = retrieved[rank].chunk.text[start:end]
            if any(_overlap(text, s) > 0.6 for s in seen):
                continue  # the same sentence from an overlapping chunk
            picked.append(Picked(n=rank + 1, start=start, end=end, score=score))
            seen.append(text)
        sep = "" if is_chinese(query.question) else " "
        body = sep.join(f"{retrieved[p.n - 1].chunk.text[p.start:p.end]}[{p.n}]" for p in picked)
        return Draft(text=body, refused=False, picked=picked)

    def _should_refuse(self, query: Query, retrieved, scored, term_w) -> bool:
        if not is_chinese(query.question):
            top = max((r.dense_score or 0.0) for r in retrieved)
            return top < self.settings.min_dense_score
        best_coverage = max(s[1] for s in scored)
        if best_coverage < self.settings.min_coverage:
            return True
        # a near miss: an informative term of the question itself is nowhere in the top sources
        top_text = "".join(r.chunk.text.lower() + r.chunk.title.lower() for r in retrieved[:3])
        mean = sum(term_w.values()) / max(len(term_w), 1)
        own = set(query.weighted_terms()) if not query.history else {
            t for t, w in query.weighted_terms().items() if w == 1.0
        }
        return any(
            t in own and w >= mean and _term_match(t, top_text) < 0.2 for t, w in term_w.items()
        )


def _overlap(a: str, b: str) -> float:
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(grams_a & grams_b) / max(1, min(len(grams_a), len(grams_b)))

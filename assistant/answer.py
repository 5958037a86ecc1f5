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
from .segmentation import GENERIC_NOUNS, is_chinese, nouns, sentences, tagged_nouns, terms
from .settings import AnswerSettings

_NUMBER_Q = re.compile(r"多少|几[个家项张名位所座条种次年]|多大|多长|多高|多久|比例|金额|面积|数量|how many|how much|how large|how big|number of|percentage", re.I)
_DATE_Q = re.compile(r"何时|什么时候|哪年|哪一年|几月|哪天|日期|时间|when|what year|what date|which year", re.I)
_HAS_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万]+[个项家位名张大所座条种次亿万元]")
_HAS_DATE = re.compile(r"\d{4}年|\d{1,2}月|\d{1,2}日|去年|今年|明年")
_SENTENCE_END = tuple("。!?;…”’\"」』)")
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

    def evidence(
        self, query: Query, retrieved: list[Retrieved], idf: Callable[[str], float],
        known: Callable[[str], bool] = lambda t: True,
    ):
        """Every sentence of the retrieved chunks with its score and coverage, best first."""
        chinese = is_chinese(query.question)
        weights = query.weighted_terms()
        if not chinese:  # only numbers and Latin terms can match Chinese text literally
            weights = {t: w for t, w in weights.items() if _ASCII_TERM.match(t)}
        # a term the index has never seen is more often phrasing than topic: it counts less
        term_w = {t: w * idf(t) * (1.0 if known(t) else 0.3) for t, w in weights.items()}
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
                if end - start < 10 or not hit.chunk.text[start:end].endswith(_SENTENCE_END):
                    score *= 0.6  # a heading or fragment, rarely an answer
                scored.append((score, coverage, rank, start, end))
        scored.sort(key=lambda s: -s[0])
        return scored, term_w

    def answer(
        self, query: Query, retrieved: list[Retrieved], idf: Callable[[str], float], refusal: str,
        known: Callable[[str], bool] = lambda t: True,
    ) -> Draft:
        """`known(term)`: whether the term occurs anywhere in the index (for near-miss refusal)."""
        if not retrieved:
            return Draft(text=refusal, refused=True)
        scored, term_w = self.evidence(query, retrieved, idf, known)
        if not scored:
            return Draft(text=refusal, refused=True)
        picked = self._pick(scored, term_w, retrieved)
        coverage = (max(s[1] for s in scored), _union_coverage(picked, term_w, retrieved))
        if self._should_refuse(query, retrieved, coverage, term_w, known):
            return Draft(text=refusal, refused=True)
        picked = [_extend(p, retrieved[p.n - 1].chunk.text) for p in picked]
        sep = "" if is_chinese(query.question) else " "
        body = sep.join(f"{retrieved[p.n - 1].chunk.text[p.start:p.end]}[{p.n}]" for p in picked)
        return Draft(text=body, refused=False, picked=picked)

    def _pick(self, scored, term_w, retrieved) -> list[Picked]:
        """The best sentence, then those that add question terms the answer does not cover yet
        (a question with two parts gets a sentence for each), without repeats."""
        best = scored[0][0]
        total = sum(term_w.values()) or 1.0
        covered: set[str] = set()
        picked: list[Picked] = []
        seen: list[str] = []
        for score, _coverage, rank, start, end in scored:
            if len(picked) >= self.settings.max_sentences or score < 0.5 * best:
                break
            text = retrieved[rank].chunk.text[start:end]
            low = text.lower()
            if any(_overlap(text, s) > 0.6 for s in seen):
                continue  # the same sentence again, from an overlapping chunk
            new = {t for t in term_w if t not in covered and t in low}
            gain = sum(term_w[t] for t in new) / total
            if picked and score < 0.8 * best and gain < 0.15:
                continue  # weaker, and adds nothing the answer lacks
            picked.append(Picked(n=rank + 1, start=start, end=end, score=score))
            seen.append(text)
            covered |= new
        return picked

    def _should_refuse(self, query: Query, retrieved, coverage: tuple[float, float], term_w, known) -> bool:
        """`coverage`: of the question by the best sentence, and by the picked ones together."""
        if not is_chinese(query.question):
            top = max((r.dense_score or 0.0) for r in retrieved)
            return top < self.settings.min_dense_score
        single, union = coverage
        # a question in two parts may need two sentences, but one must carry most of a part
        if union < self.settings.min_coverage or single < 0.75 * self.settings.min_coverage:
            return True
        # a near miss: an informative term of the question, known to the index, is nowhere in
        # the top sources (a term the index has never seen is more likely phrasing)
        if not _NUMBER_Q.search(query.question):
            return False
        return self._near_miss(query, retrieved, known)

    def _near_miss(self, query: Query, retrieved, known) -> bool:
        """A number question the top sources cannot answer although they share its topic.

        News is full of numbers, and quoting the wrong one is a wrong answer, not a partial
        one. So every specific noun of the question must be in the top sources (the hospital
        is there, its number of beds is not), and some sentence with a number must hold the
        noun asked about together with part of the rest (600 beds of another project do not
        answer for the Wuxi branch).
        """
        top = retrieved[:3]
        top_text = "".join(r.chunk.text.lower() + r.chunk.title.lower() for r in top)
        specific = [t for t in sorted(nouns(query.question)) if known(t)]
        for noun in nouns(query.question) - set(specific):  # unknown compound: check its parts
            specific += [w for w in terms(noun) if w != noun and len(w) >= 2 and known(w)]
        candidates = [t for t in terms(query.question) if len(t) >= 2 and known(t) and t not in GENERIC_NOUNS]
        asked = _asked_noun(query.question, candidates)  # 营收 in 营收有多少, whatever its part of speech
        missing = [t for t in specific if _absent(t, top_text)]
        if asked and _absent(asked, top_text):
            return True
        tags = tagged_nouns(query.question)
        if any(tags.get(t) == "b" for t in missing):
            return True  # the distinguishing word is what is absent (二期 when only 一期 is there)
        if asked in missing or len(missing) * 2 > len(specific):
            return True
        if not asked:
            return False
        others = [t for t in specific if t != asked and asked not in t and t not in missing]
        for hit in top:
            text = hit.chunk.text.lower()
            spans = sentences(text)
            for i, (start, end) in enumerate(spans):
                sent = text[start:end]
                if asked in sent and _HAS_NUMBER.search(sent):
                    near = text[spans[max(i - 2, 0)][0] : end] + hit.chunk.title.lower()
                    if not others or sum(t in near for t in others) * 3 >= len(others):
                        return False
        return True

def _union_coverage(picked: list[Picked], term_w: dict[str, float], retrieved) -> float:
    """How much of the question the picked sentences cover together (a sentence per part)."""
    if not term_w or not picked:
        return 0.0
    covered = 0.0
    for t, w in term_w.items():
        best = 0.0
        for p in picked:
            chunk = retrieved[p.n - 1].chunk
            text = chunk.text.lower()
            best = max(best, _term_match(t, text[p.start : p.end]), 0.6 * _term_match(t, text + chunk.title.lower()))
        covered += w * best
    return covered / sum(term_w.values())


def _extend(p: Picked, text: str) -> Picked:
    """A short sentence that announces what follows ("长春具备三大核心优势。") takes the next one."""
    quote = text[p.start : p.end]
    if len(quote) >= 30 and not quote.endswith(":"):
        return p
    following = [s for s in sentences(text) if s[0] >= p.end]
    return Picked(n=p.n, start=p.start, end=following[0][1], score=p.score) if following else p


def _asked_noun(question: str, specific: list[str]) -> str | None:
    """The noun nearest after 多少/几 (多少张床位 → 床位), or before it (总投资是多少 → 总投资)."""
    q = question.lower()
    m = _NUMBER_Q.search(q)
    if not m or not specific:
        return None
    after = [(q.find(t, m.end()) - m.end(), t) for t in specific if q.find(t, m.end()) >= 0]
    if after:
        return min(after)[1]
    before = [(m.start() - q.rfind(t, 0, m.start()), t) for t in specific if q.rfind(t, 0, m.start()) >= 0]
    return min(before)[1] if before else None


def _absent(term: str, text: str) -> bool:
    """A short term must appear as is ("二期" is not found in "一期...日期"); a long one may be split."""
    return term not in text if len(term) <= 2 else _term_match(term, text) < 0.2


def _overlap(a: str, b: str) -> float:
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(grams_a & grams_b) / max(1, min(len(grams_a), len(grams_b)))

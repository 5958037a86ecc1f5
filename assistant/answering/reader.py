"""The offline answerer: quote the retrieved sentences that answer the question.

No generated facts: the answer is made of sentences copied from the sources, each
followed by its source number. Sentences are scored by how much of the question's
weighted terms they and their chunk cover (`evidence`), with a bonus when the question
asks for a number or a date and the sentence holds one.

Refusal is decided from the same evidence by `refusal.should_refuse`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import numpy as np

from assistant.answering import answerability, crosslingual, evidence, signals, verdict
from assistant.answering.evidence import Corpus, Sentence
from assistant.answering.followup import Query
from assistant.answering.lead import cited, lead_span
from assistant.answering.learned import cross, features
from assistant.answering.refusal import DATE_Q, HAS_DATE, HAS_NUMBER, NUMBER_Q, should_refuse
from assistant.schema import Retrieved
from assistant.settings import AnswerSettings
from assistant.text.segmentation import is_chinese, sentences, terms

_SENTENCE_END = tuple('。!?;…”’"」』)')
_PART_END = re.compile(r"[？?。；;！!]+")
_COMMA = re.compile(r"[，,]")
_ASKS = re.compile(r"多少|几|哪|什么|谁|何|怎|如何|是否|多大|多长|多久")


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
    answerability: float | None = None  # the learned reader's probability that the sources answer


@dataclass(frozen=True)
class Scored:
    score: float  # coverage with the bonuses, for ranking
    coverage: float
    sentence: Sentence


class ExtractiveAnswerer:
    def __init__(self, settings: AnswerSettings) -> None:
        self.settings = settings

    def evidence(self, query: Query, retrieved: list[Retrieved], corpus: Corpus):
        """Every sentence of the retrieved chunks with its score and coverage, best first."""
        weights = evidence.term_weights(query, corpus)
        sentences = evidence.split(retrieved)
        scored = sorted(_score(weights, query.asked, sentences), key=lambda s: -s.score)
        return scored, weights, sentences

    def answer(
        self, query: Query, retrieved: list[Retrieved], corpus: Corpus, refusal: str
    ) -> Draft:
        if not retrieved:
            return Draft(text=refusal, refused=True)
        scored, weights, sentences = self.evidence(query, retrieved, corpus)
        if not scored:
            return Draft(text=refusal, refused=True)
        chinese = is_chinese(query.question)
        per_part, picked = self._select(query, retrieved, corpus, scored, weights, sentences)
        coverage = _coverage(scored, picked, weights)
        answerable = None
        # The gates were fitted on e5 similarities and on Chinese sources: without the
        # vectors (stub corpora, another embedding model) or for sources in another
        # language their inputs mean something else, and the rules decide.
        gated = (
            self.settings.refusal == "learned"
            and is_chinese(retrieved[0].chunk.text)
            and corpus.query_vector(query.standalone) is not None
        )
        if gated:
            answerable, states, threshold = verdict.decide(
                query, retrieved, corpus, coverage, sentences, self.settings.min_answerability
            )
            refused = answerable < threshold
            chosen = self.settings.select == "support" and not per_part
            if chosen and states is not None and len(states):
                picked = self._by_support(states, sentences, picked, chinese)
        else:
            refused = should_refuse(query, retrieved, coverage, corpus, self.settings)
        if refused:
            return Draft(text=refusal, refused=True, answerability=answerable)
        spans = [Picked(s.rank + 1, s.start, s.end, score) for score, s in picked]
        spans = _merge([_extend(p, retrieved[p.n - 1].chunk.text) for p in spans])
        lead = _lead(spans[0], query, corpus, retrieved) if chinese and not per_part else None
        quotes = [f"{retrieved[p.n - 1].chunk.text[p.start : p.end]}[{p.n}]" for p in spans]
        if lead is not None:
            quotes.insert(
                0, cited(retrieved[lead.n - 1].chunk.text[lead.start : lead.end], lead.n, True)
            )
            spans.insert(0, lead)
        body = ("" if chinese else " ").join(quotes)
        return Draft(text=body, refused=False, picked=spans, answerability=answerable)

    def signals(self, query: Query, retrieved: list[Retrieved], corpus: Corpus) -> np.ndarray:
        """What the answerability model reads for this question."""
        return self.gate_inputs(query, retrieved, corpus, support=False)[0]

    def gate_inputs(
        self, query: Query, retrieved: list[Retrieved], corpus: Corpus, support: bool = True
    ) -> tuple[np.ndarray, list[str], np.ndarray | None]:
        """What the answerability models read for this question (scripts/ fit them on these):
        its `NAMES` row, the retrieved sentences as written, and (with `support`) their
        `SUPPORT_NAMES` rows. The cross reader's signals are read (all of them: the best
        `CROSS_TOP` sentences) when its weights are installed (`cross.installed`),
        `signals.NOT_READ` when not."""
        scored, weights, sentences = self.evidence(query, retrieved, corpus)
        _, picked = self._select(query, retrieved, corpus, scored, weights, sentences)
        coverage = _coverage(scored, picked, weights)
        crossed = signals.CROSS_TOP if cross.installed() else 0
        row, reading = verdict.rows(query, retrieved, corpus, coverage, sentences, crossed)
        # each with the best sentence's own cross score: the rows the gates are fitted on
        rows = None
        if support:
            rows = answerability.sentence_signals(query, retrieved, corpus, row, reading)
        return row, [s.text for s in reading.sentences], rows

    def _select(
        self,
        query: Query,
        retrieved: list[Retrieved],
        corpus: Corpus,
        scored: list[Scored],
        weights: dict[str, float],
        sentences: list[Sentence],
    ) -> tuple[list[tuple[float, Sentence]], list[tuple[float, Sentence]]]:
        """The sentences to quote (and, of a question in parts, those chosen per part)."""
        if is_chinese(query.question):
            per_part = self._per_part(query, corpus, sentences)
            return per_part, self._pick(scored, weights, per_part)
        # by meaning; the sentence vectors are stored by the text as written
        chosen = crosslingual.best(query.standalone, evidence.split(retrieved, False), corpus)
        return [], [(1.0, sentences[i]) for i in chosen[: self.settings.max_sentences]]

    def _by_support(
        self,
        states: np.ndarray,
        sentences: list[Sentence],
        picked: list[tuple[float, Sentence]],
        chinese: bool,
    ) -> list[tuple[float, Sentence]]:
        """The sentences to quote once the gate's sentence model has read them (`states`: the
        probability that each states the answer). A Chinese question: the likeliest first,
        then the term-coverage picks. Another language, whose terms cannot be counted in the
        text: the likeliest few (on the dev sets the first stated the answer for 0.81 of
        English questions, the cross-lingual order's for 0.61)."""
        if chinese:
            return _first(sentences[int(np.argmax(states))], picked, self.settings.max_sentences)
        most = min(crosslingual.QUOTED, self.settings.max_sentences)
        return [
            (float(states[i]), sentences[i]) for i in crosslingual.distinct(states, sentences, most)
        ]

    def _per_part(
        self, query: Query, corpus: Corpus, sentences: list[Sentence]
    ) -> list[tuple[float, Sentence]]:
        """For a question in several parts ("…有多少项？它的副院长是谁？"), a sentence for each
        part, so a part whose terms are rarer does not crowd out the other. The sentences are
        chosen together: the best total over each part's top three, without repeats."""
        candidates = []
        for part in parts(query.question)[: self.settings.max_sentences]:
            weights = evidence.term_weights(query, corpus, only=set(terms(part)))
            if weights:
                scored = sorted(_score(weights, part, sentences), key=lambda s: -s.score)
                candidates.append(scored[:3])
        if len(candidates) < 2:
            return []
        best: tuple[Scored, ...] = ()
        for combo in itertools.product(*candidates):
            distinct = all(
                _overlap(a.sentence.text, b.sentence.text) <= 0.6
                for a, b in itertools.combinations(combo, 2)
            )
            if distinct and sum(s.score for s in combo) > sum(s.score for s in best):
                best = combo
        return [(s.score, s.sentence) for s in best]

    def _pick(
        self,
        scored: list[Scored],
        weights: dict[str, float],
        picked: list[tuple[float, Sentence]],
    ) -> list[tuple[float, Sentence]]:
        """After `picked`: the best sentence, then those that add question terms the answer
        does not cover yet, without repeats."""
        best = scored[0].score
        total = sum(weights.values()) or 1.0
        covered = {t for t in weights for _, p in picked if t in p.text}
        picked = list(picked)
        for s in scored:
            if len(picked) >= self.settings.max_sentences or s.score < 0.5 * best:
                break
            if any(_overlap(s.sentence.text, p.text) > 0.6 for _, p in picked):
                continue  # the same sentence again, from an overlapping chunk
            new = {t for t in weights if t not in covered and t in s.sentence.text}
            gain = sum(weights[t] for t in new) / total
            if picked and s.score < 0.8 * best and gain < 0.15:
                continue  # weaker, and adds nothing the answer lacks
            picked.append((s.score, s.sentence))
            covered |= new
        return picked


def parts(question: str) -> list[str]:
    """The parts of a question: its sentences, and comma clauses that each ask something
    ("一共几家，另外还有多少上市企业？")."""
    out: list[str] = []
    for piece in _PART_END.split(question):
        for clause in _COMMA.split(piece):
            if not clause.strip():
                continue
            if out and out[-1] and not (_ASKS.search(clause) and _ASKS.search(out[-1])):
                out[-1] += "," + clause
            else:
                out.append(clause)
        out.append("")  # a sentence end always starts a new part
    return [p for p in out if p.strip()]


def _first(
    best: Sentence, picked: list[tuple[float, Sentence]], most: int
) -> list[tuple[float, Sentence]]:
    """`picked` with `best` quoted first (in place of itself, or of a repeat of it from an
    overlapping chunk), at most `most` sentences."""
    rest = [
        (score, s) for score, s in picked if s is not best and _overlap(s.text, best.text) <= 0.6
    ]
    return [(1.0, best), *rest][:most]


def _score(weights: dict[str, float], question: str, sentences: list[Sentence]) -> list[Scored]:
    """Coverage, a little for rank, a bonus for holding the kind of value asked for, and a
    penalty for headings and fragments, which are rarely an answer, and for a question the
    source asks itself at the end of its chunk: its answer is in the next one."""
    wants_number, wants_date = bool(NUMBER_Q.search(question)), bool(DATE_Q.search(question))
    chunk_end: dict[int, int] = {}
    for sent in sentences:
        chunk_end[sent.rank] = max(chunk_end.get(sent.rank, 0), sent.end)
    out = []
    for sent in sentences:
        coverage = evidence.coverage(weights, sent)
        score = coverage + 0.08 / (sent.rank + 1)
        if wants_number and HAS_NUMBER.search(sent.text):
            score += 0.15
        if wants_date and HAS_DATE.search(sent.text):
            score += 0.15
        fragment = sent.end - sent.start < 10 or not sent.text.endswith(_SENTENCE_END)
        unanswered = sent.text.rstrip().endswith(("?", "？")) and sent.end >= chunk_end[sent.rank]
        if fragment or unanswered:
            score *= 0.6
        out.append(Scored(score, coverage, sent))
    return out


def _lead(first: Picked, query: Query, corpus: Corpus, retrieved: list[Retrieved]) -> Picked | None:
    """When the question asks for a value, the clause of the first quote that states it."""
    q = features.analyse(query.asked, corpus.idf)
    if not q.asks:
        return None
    span = lead_span(retrieved[first.n - 1].chunk.text[first.start : first.end], q)
    if span is None:
        return None
    return Picked(first.n, first.start + span[0], first.start + span[1], first.score)


def _coverage(
    scored: list[Scored], picked: list[tuple[float, Sentence]], weights: dict[str, float]
) -> tuple[float, float]:
    """Of the question: by the best sentence, and by the picked ones together."""
    return max(s.coverage for s in scored), _union_coverage(picked, weights)


def _union_coverage(picked: list[tuple[float, Sentence]], weights: dict[str, float]) -> float:
    """How much of the question the picked sentences cover together (a sentence per part)."""
    total = sum(weights.values())
    if not total or not picked:
        return 0.0
    covered = sum(
        w * max(evidence.coverage({t: 1.0}, s) for _, s in picked) for t, w in weights.items()
    )
    return covered / total


def _extend(p: Picked, text: str) -> Picked:
    """A short sentence that announces what follows ("长春具备三大核心优势。") takes the next one,
    and so does a question the source asks itself ("那么,为什么械谷能够吸引…呢?"): it shares the
    user's words, and its answer is what follows."""
    quote = text[p.start : p.end].rstrip()
    if len(quote) >= 30 and not quote.endswith((":", "：", "?", "？")):
        return p
    following = [s for s in sentences(text) if s[0] >= p.end]
    return Picked(n=p.n, start=p.start, end=following[0][1], score=p.score) if following else p


def _merge(picked: list[Picked]) -> list[Picked]:
    """Quotes that overlap in one chunk (a sentence and the one `_extend` joined to another)
    become one, in the order of the first."""
    merged: list[Picked] = []
    for p in picked:
        same = next((m for m in merged if m.n == p.n and p.start < m.end and m.start < p.end), None)
        if same:
            same.start, same.end = min(same.start, p.start), max(same.end, p.end)
        else:
            merged.append(Picked(n=p.n, start=p.start, end=p.end, score=p.score))
    return merged


def _overlap(a: str, b: str) -> float:
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(grams_a & grams_b) / max(1, min(len(grams_a), len(grams_b)))


def make_reader(settings: AnswerSettings) -> ExtractiveAnswerer:
    """The offline reader the settings choose (`ANSWER_READER`): the rules here, or the
    learned reader on trial (imported only then; it has the same `answer` call)."""
    if settings.reader == "learned":
        from assistant.answering.learned.reader import LearnedReader

        return LearnedReader(settings)  # type: ignore[return-value]
    return ExtractiveAnswerer(settings)

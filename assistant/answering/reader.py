"""The offline answerer: a learned reader that quotes the sentence answering the question.

No generated facts: the answer is made of spans copied from the sources, each followed by
its source number. Every sentence of the retrieved chunks is scored by the reader's model
(`reader_model`, trained on public reading-comprehension data, see scripts/train_reader.py)
from the features of `features`; the model's answerability — a calibrated probability that
the retrieved evidence answers the question at all — decides refusal, below a threshold
chosen on held-out data for at most 5% false refusals.

When the question asks for a value (a number, a date, a name) the answer leads with the
shortest clause of the chosen sentence that holds one ("一期规划床位400张。[1]"), then
quotes the sentence. A question in several parts gets a sentence per part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.answering import features, reader_model
from assistant.answering.evidence import Corpus, Sentence, split
from assistant.answering.followup import Query
from assistant.answering.reader_model import ReaderModel
from assistant.schema import Retrieved
from assistant.settings import AnswerSettings
from assistant.text.segmentation import is_chinese, sentences, terms

_PART_END = re.compile(r"[？?。；;！!]+")
_COMMA = re.compile(r"[，,]")
_CLAUSE = re.compile(r"[^,，;；:：。!?！？]+")


@dataclass
class Picked:
    n: int  # source number (rank in the retrieved list, from 1)
    start: int  # span offsets in the chunk
    end: int
    score: float


@dataclass
class Draft:
    """An answer before verification: its text, and for extractive answers the quoted spans."""

    text: str
    refused: bool
    picked: list[Picked] = field(default_factory=list)
    answerability: float | None = None  # the reader's probability that the sources answer


class ExtractiveAnswerer:
    def __init__(self, settings: AnswerSettings, model: ReaderModel | None = None) -> None:
        self.settings = settings
        self.model = model or reader_model.load()

    @property
    def threshold(self) -> float:
        return self.model.threshold if self.settings.min_answerability is None else (
            self.settings.min_answerability
        )

    def answer(
        self, query: Query, retrieved: list[Retrieved], corpus: Corpus, refusal: str
    ) -> Draft:
        sents = split(retrieved)
        question = query.standalone
        if not sents or not _knows_something(question, corpus):
            return Draft(text=refusal, refused=True, answerability=0.0)
        cands = [features.Candidate(s.text, s.context, s.rank) for s in sents]
        qvec = corpus.query_vector(question)
        svecs = corpus.sentence_vectors([s.text for s in sents])
        q = features.analyse(question, corpus.idf)
        x = features.matrix(q, cands, qvec, svecs)
        logits = self.model.sentence_logits(x)
        answerability = self.model.answerability(x, logits)
        if answerability < self.threshold:
            return Draft(text=refusal, refused=True, answerability=answerability)
        chosen = [int(np.argmax(logits))]
        if not q.latin:
            chosen = self._per_part(query.question, corpus, cands, qvec, svecs, chosen)
        spans: list[Picked] = []
        for i in chosen:
            s = sents[i]
            if not q.latin and q.asks:
                lead = _lead(s, q)
                if lead:
                    spans.append(Picked(s.rank + 1, s.start + lead[0], s.start + lead[1], 1.0))
            p = Picked(s.rank + 1, s.start, s.end, float(logits[i]))
            spans.append(_extend(p, retrieved[s.rank].chunk.text))
        sep = "" if is_chinese(query.question) else " "
        body = sep.join(
            _cited(retrieved[p.n - 1].chunk.text[p.start : p.end], p.n, is_chinese(query.question))
            for p in spans
        )
        return Draft(text=body, refused=False, picked=spans, answerability=answerability)

    def _per_part(self, question, corpus, cands, qvec, svecs, chosen: list[int]) -> list[int]:
        """For a question in several parts, the best sentence of each part (kept apart)."""
        pieces = parts(question)[: self.settings.max_sentences]
        if len(pieces) < 2:
            return chosen
        out: list[int] = []
        for piece in pieces:
            x = features.matrix(features.analyse(piece, corpus.idf), cands, qvec, svecs)
            for i in np.argsort(-self.model.sentence_logits(x)):
                if int(i) not in out:
                    out.append(int(i))
                    break
        return sorted(out, key=lambda i: (cands[i].chunk, i))


def parts(question: str) -> list[str]:
    """The parts of a question: its sentences, and comma clauses that each ask something
    ("一共几家，另外还有多少上市企业？")."""
    out: list[str] = []
    for piece in _PART_END.split(question):
        clauses = [c for c in _COMMA.split(piece) if c.strip()]
        asking = [c for c in clauses if any(p.search(c) for p in features.ASKS.values())]
        if len(asking) > 1:
            out += asking
        elif piece.strip():
            out.append(piece)
    return out


def _knows_something(question: str, corpus: Corpus) -> bool:
    """A Chinese question with no term the index knows has no evidence to weigh; other
    languages are matched by meaning (e5), so they always go to the model."""
    if not is_chinese(question):
        return True
    return any(corpus.known(t) for t in terms(question))


def _lead(s: Sentence, q: features.Question) -> tuple[int, int] | None:
    """The clause of the sentence holding the asked value that best matches the question:
    its constraint terms first, then its weighted terms; the shortest on a tie."""
    best, key = None, None
    for m in _CLAUSE.finditer(s.text):
        clause = m.group(0).strip()
        if not clause or not any(features.has_value(k, clause) for k in q.asks):
            continue
        k = (
            sum(c in clause for c in q.constraints),
            sum(w for t, w in q.weights.items() if t in clause),
            -len(clause),
        )
        if key is None or k > key:
            start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
            best, key = (start, start + len(clause)), k
    if best and best[1] - best[0] < len(s.text.rstrip("。!?;…")) * 0.9:
        return best
    return None


def _cited(text: str, n: int, chinese: bool) -> str:
    if text[-1:] in "。!?;…”’\"」』)":
        return f"{text}[{n}]"
    return f"{text}{'。' if chinese else '.'}[{n}]"


def _extend(p: Picked, text: str) -> Picked:
    """A short sentence that announces what follows ("长春具备三大核心优势:") takes the next."""
    quote = text[p.start : p.end]
    if len(quote) >= 30 and not quote.endswith((":", "：")):
        return p
    following = [e for s, e in sentences(text) if s >= p.end]
    return Picked(p.n, p.start, following[0], p.score) if following else p

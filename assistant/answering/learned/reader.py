"""An offline answerer on trial: a learned reader that quotes the sentence answering the
question (`ANSWER_READER=learned`; the default is still the rule-based `answering.reader`,
which measured better on questions written blind: see evals/README.md).

No generated facts: the answer is made of spans copied from the sources, each followed by
its source number. Every sentence of the retrieved chunks is scored by the reader's model
(`reader_model`, trained on public reading-comprehension data, see scripts/train_reader.py)
from the features of `features`; the model's answerability — a calibrated probability that
the retrieved evidence answers the question at all — decides refusal, below a threshold
that refuses at most 5% of answerable questions (chosen on the project's dev sets, which
are like users' documents; `ANSWER_MIN_ANSWERABILITY` overrides it).

When the question asks for a value (a number, a date, a name) the answer leads with the
clause of the chosen sentence that holds one ("一期规划床位400张。[1]"), then quotes the
sentence, and those the model scores close to it. A question in several parts gets a
sentence per part. A question in another language cannot be matched term by term: its
quotes follow retrieval order, the asked kind of value and e5 similarity.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.answering import crosslingual
from assistant.answering.evidence import Corpus, Sentence, split
from assistant.answering.followup import Query
from assistant.answering.inputs import has_language
from assistant.answering.lead import cited, lead_span
from assistant.answering.learned import features
from assistant.answering.learned import model as reader_model
from assistant.answering.learned.model import ReaderModel
from assistant.answering.reader import Draft, Picked
from assistant.schema import Retrieved
from assistant.settings import AnswerSettings
from assistant.text.segmentation import is_chinese, sentences, terms
from assistant.text.transliteration import chinese_terms

# Sentences whose log-odds are within MARGIN of the best one's are quoted too (up to
# QUOTED): on the dev sets the best sentence alone held the key fact 72% of the time, the
# best three 89%, those within 3 of the best 83% with 1.5 sentences on average.
MARGIN = 3.0
QUOTED = 3
_PART_END = re.compile(r"[？?。；;！!]+")
_COMMA = re.compile(r"[，,]")


class LearnedReader:
    def __init__(self, settings: AnswerSettings, model: ReaderModel | None = None) -> None:
        self.settings = settings
        self.model = model or reader_model.load()

    def threshold(self, latin: bool) -> float:
        """The setting when given, else the model's (its own for questions not in Chinese)."""
        if self.settings.min_answerability is not None:
            return self.settings.min_answerability
        if latin and self.model.threshold_latin is not None:
            return self.model.threshold_latin
        return self.model.threshold

    def answer(
        self, query: Query, retrieved: list[Retrieved], corpus: Corpus, refusal: str
    ) -> Draft:
        sents = split(retrieved, lower=False)
        question = query.asked
        if not sents or not _knows_something(question, corpus):
            return Draft(text=refusal, refused=True, answerability=0.0)
        cands = [features.Candidate(s.text, s.context, s.rank) for s in sents]
        qvec = corpus.query_vector(question)
        svecs = corpus.sentence_vectors([s.text for s in sents])
        q = features.analyse(question, corpus.idf)
        x = features.matrix(q, cands, qvec, svecs)
        logits = self.model.sentence_logits(x)
        answerability = self.model.answerability(x, logits)
        pieces = parts(question)[: self.settings.max_sentences] if not q.latin else []
        scored = (
            [] if len(pieces) < 2 else [self._part(p, corpus, cands, qvec, svecs) for p in pieces]
        )
        # a question in several parts is answerable when one of its parts is (the answer
        # then says what the sources hold)
        answerability = max([answerability, *(a for _, a in scored)])
        if answerability < self.threshold(q.latin):
            return Draft(text=refusal, refused=True, answerability=answerability)
        if scored:
            chosen = self._per_part([lg for lg, _ in scored], cands)
        elif q.latin:
            names = chinese_terms(question, corpus.vocab)
            chosen = crosslingual.distinct(
                crosslingual.scores(x, sents, names), sents, crosslingual.QUOTED
            )
        else:
            chosen = _close_to_best(logits, sents, MARGIN)
        chosen = chosen[: self.settings.max_sentences]
        spans: list[Picked] = []
        for k, i in enumerate(chosen):
            s = sents[i]
            if k == 0 and not q.latin and q.asks and not scored:
                lead = lead_span(s.text, q)
                if lead:
                    spans.append(Picked(s.rank + 1, s.start + lead[0], s.start + lead[1], 1.0))
            p = Picked(s.rank + 1, s.start, s.end, float(logits[i]))
            spans.append(_extend(p, retrieved[s.rank].chunk.text))
        sep = "" if is_chinese(query.question) else " "
        body = sep.join(
            cited(retrieved[p.n - 1].chunk.text[p.start : p.end], p.n, is_chinese(query.question))
            for p in spans
        )
        return Draft(text=body, refused=False, picked=spans, answerability=answerability)

    def _part(self, piece: str, corpus: Corpus, cands, qvec, svecs) -> tuple[np.ndarray, float]:
        """A part's sentence scores and answerability."""
        x = features.matrix(features.analyse(piece, corpus.idf), cands, qvec, svecs)
        logits = self.model.sentence_logits(x)
        return logits, self.model.answerability(x, logits)

    def _per_part(self, per_part: list[np.ndarray], cands) -> list[int]:
        """For a question in several parts, the best sentence of each part (and one more
        close to it while there is room), in the order of the sources."""
        firsts: list[int] = []
        seconds: list[int] = []
        for logits in per_part:
            order = [int(i) for i in np.argsort(-logits)]
            taken = 0
            for i in order:
                if taken == 2 or logits[i] < logits[order[0]] - MARGIN:
                    break
                if all(cands[i].text != cands[j].text for j in firsts + seconds):
                    (seconds if taken else firsts).append(i)
                    taken += 1
        out = firsts + seconds[: max(0, self.settings.max_sentences - len(firsts))]
        return sorted(out, key=lambda i: (cands[i].chunk, i))


def _close_to_best(logits: np.ndarray, sents: list[Sentence], margin: float) -> list[int]:
    """The best sentence and those close to it, without repeats (chunks overlap)."""
    order = [int(i) for i in np.argsort(-logits)]
    out: list[int] = []
    for i in order:
        if len(out) >= QUOTED or logits[i] < logits[order[0]] - margin:
            break
        if all(sents[i].text != sents[j].text for j in out):
            out.append(i)
    return out


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
    """Whether there is anything to weigh: a term the index knows, or, for a question in
    another language (matched to Chinese text by meaning, through e5), one of that
    language's function or question words — "asdkjh qwe zzz" has neither."""
    if any(corpus.known(t) for t in terms(question)):
        return True
    return not is_chinese(question) and has_language(question, corpus.known)


def _extend(p: Picked, text: str) -> Picked:
    """A short sentence that announces what follows ("长春具备三大核心优势:") takes the next."""
    quote = text[p.start : p.end]
    if len(quote) >= 30 and not quote.endswith((":", "：")):
        return p
    following = [e for s, e in sentences(text) if s >= p.end]
    return Picked(p.n, p.start, following[0], p.score) if following else p

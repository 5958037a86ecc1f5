"""Which sentences answer a question asked in another language than the sources (an English
question about Chinese news).

Term matching cannot tell: only numbers and the names the question writes in pinyin
(Jinshan → 金山) match literally. The sentences are ordered by what does carry across
languages: the e5 similarity of sentence and question (multilingual vectors), whether the
sentence holds the kind of value asked for ("how many" → a number), the retrieval rank of
its chunk, and the share of the pinyin names in the sentence (in its chunk at 0.6). On the
dev sets this found the answer among the three quoted sentences more often than term
coverage (the rule reader) or the learned scorer, which was trained on Chinese questions.
Both offline readers use it.
"""

from __future__ import annotations

import numpy as np

from assistant.answering.evidence import Corpus, Sentence
from assistant.answering.learned import features
from assistant.text.transliteration import chinese_terms

QUOTED = 3


def scores(x: np.ndarray, sents: list[Sentence], names: list[str]) -> np.ndarray:
    """One score per sentence, from its `features.matrix` row `x`."""
    rank = np.array([s.rank for s in sents], dtype=np.float64)
    col = features.NAMES.index
    named = np.array(
        [
            sum(1.0 if n in s.text else 0.6 if n in s.context else 0.0 for n in names)
            / max(1, len(names))
            for s in sents
        ]
    )
    return x[:, col("type_match")] + 1.0 / (1.0 + rank) + x[:, col("cos")] + named


def best(question: str, sents: list[Sentence], corpus: Corpus) -> list[int]:
    """The indices of the sentences to quote, best first, without repeats."""
    if not sents:
        return []
    cands = [features.Candidate(s.text, s.context, s.rank) for s in sents]
    qvec = corpus.query_vector(question)
    svecs = corpus.sentence_vectors([s.text for s in sents])
    x = features.matrix(features.analyse(question, corpus.idf), cands, qvec, svecs)
    return distinct(scores(x, sents, chinese_terms(question, corpus.vocab)), sents, QUOTED)


def distinct(values: np.ndarray, sents: list[Sentence], limit: int) -> list[int]:
    """The best `limit` sentences by `values`, each text once (chunks overlap)."""
    out: list[int] = []
    for i in (int(i) for i in np.argsort(-values)):
        if len(out) >= limit:
            break
        if all(sents[i].text != sents[j].text for j in out):
            out.append(i)
    return out

"""The answerability gates asked about one question (`gate`): the first look, and for a
Chinese question it is unsure of, the closer look (`gate.Closer`), from one reading of the
retrieved sentences (`answerability.read`, `read_more`)."""

from __future__ import annotations

import numpy as np

from assistant.answering import answerability
from assistant.answering import gate as gates
from assistant.answering.evidence import Corpus, Sentence
from assistant.answering.followup import Query
from assistant.schema import Retrieved


def decide(
    query: Query,
    retrieved: list[Retrieved],
    corpus: Corpus,
    coverage: tuple[float, float],
    sentences: list[Sentence],
    override: float | None,
) -> tuple[float, np.ndarray | None, float]:
    """The probability that the sources answer, each sentence's that it states the answer
    (for a gate with a sentence model), and the threshold to refuse below (`override`, the
    setting, when given). `coverage`, `sentences`: as for `answerability.signals`."""
    shipped = gates.load()
    gate = shipped.pick(query.question)
    row, reading = rows(query, retrieved, corpus, coverage, sentences, gate.cross_read)
    probability, states = gate.judge(
        row, _sentence_rows(gate, query, retrieved, corpus, row, reading)
    )
    threshold = gate.threshold if override is None else override
    closer = shipped.closer_for(query.question)
    if closer is None or not closer.unsure(probability, threshold):
        return probability, states, threshold
    look = closer.gate
    reading = answerability.read_more(query, reading, look.cross_read)
    row = answerability.recrossed(row, reading)
    probability, states = look.judge(
        row, _sentence_rows(look, query, retrieved, corpus, row, reading)
    )
    return probability, states, look.threshold if override is None else override


def rows(
    query: Query,
    retrieved: list[Retrieved],
    corpus: Corpus,
    coverage: tuple[float, float],
    sentences: list[Sentence],
    crossed: int,
) -> tuple[np.ndarray, answerability.Reading]:
    """The question's `NAMES` row, and the reading of the retrieved sentences it was made
    from (`crossed`: the cross reader's of that many)."""
    reading = answerability.read(query, retrieved, corpus, crossed)
    return answerability.signals(query, retrieved, corpus, coverage, sentences, reading), reading


def _sentence_rows(
    gate: gates.Gate,
    query: Query,
    retrieved: list[Retrieved],
    corpus: Corpus,
    row: np.ndarray,
    reading: answerability.Reading,
) -> np.ndarray | None:
    """The sentences' rows as `gate`'s sentence model reads them (None: it has none)."""
    if gate.support is None:
        return None
    return answerability.sentence_signals(
        query, retrieved, corpus, row, reading, gate.sentence_cross
    )

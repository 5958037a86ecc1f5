"""Ordering sentences for a question in another language than the sources."""

from __future__ import annotations

import numpy as np

from assistant.answering import crosslingual
from assistant.answering.evidence import Sentence
from assistant.answering.learned import features


def sentence(text: str, rank: int, context: str = "") -> Sentence:
    return Sentence(rank, "a.txt", 0, len(text), text, context or text)


def rows(cos: list[float], type_match: list[float]) -> np.ndarray:
    x = np.zeros((len(cos), len(features.NAMES)))
    x[:, features.NAMES.index("cos")] = cos
    x[:, features.NAMES.index("type_match")] = type_match
    return x


def test_meaning_value_and_names_outrank_retrieval_order():
    sents = [
        sentence("此次获批项目设置医疗床位600张。", 0),
        sentence("一期规划床位400张,二期规划床位800张。", 1, "瑞金医院金山院区…一期规划床位400张"),
        sentence("瑞金医院是一家综合医院。", 2),
    ]
    # the same similarity and kind of value: the sentence whose chunk names 金山 wins
    x = rows([0.80, 0.80, 0.70], [1.0, 1.0, 0.0])
    order = crosslingual.distinct(crosslingual.scores(x, sents, ["金山"]), sents, 3)
    assert order[0] == 1
    # without the name, retrieval order decides between equals
    order = crosslingual.distinct(crosslingual.scores(x, sents, []), sents, 3)
    assert order[0] == 0


def test_repeated_sentences_are_quoted_once():
    sents = [sentence("同一句话。", 0), sentence("同一句话。", 1), sentence("另一句。", 2)]
    x = rows([0.9, 0.9, 0.1], [0.0, 0.0, 0.0])
    assert crosslingual.distinct(crosslingual.scores(x, sents, []), sents, 3) == [0, 2]

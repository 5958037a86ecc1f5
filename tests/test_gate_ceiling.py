"""`scripts/gate_ceiling.py` (round thirty-four): the shipped gates' decision rebuilt from a
question's rows, the refusal figures at 5% false refusal, and a refit that separates what its
signals hold."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.answering import gate as gates
from assistant.answering.gate import Closer, Gates
from assistant.answering.signals import NAMES, SUPPORT_NAMES


@pytest.fixture
def ceiling():
    pytest.importorskip("sklearn")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import gate_ceiling

    return gate_ceiling


def question(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, len(NAMES)), rng.normal(0, 1, (3, len(SUPPORT_NAMES)))


def test_margin_is_the_first_look_when_it_is_sure_and_the_closer_look_when_not(ceiling):
    shipped = gates.load()
    first, closer = question(1), question(2)
    never = Gates(shipped.chinese, shipped.other, Closer(shipped.closer.gate, (1.0, 1.0)))
    p = shipped.chinese.judge(*first)[0]
    assert ceiling.margin(never, first, closer) == pytest.approx(p / shipped.chinese.threshold)
    always = Gates(shipped.chinese, shipped.other, Closer(shipped.closer.gate, (0.0, 1e9)))
    look = shipped.closer.gate
    expected = look.judge(*closer)[0] / look.threshold
    assert ceiling.margin(always, first, closer) == pytest.approx(expected)
    assert expected != pytest.approx(p / shipped.chinese.threshold)


def test_refusal_figures(ceiling):
    p = np.array([0.1, 0.2, 0.3, 0.9, 0.4, 0.5, 0.6, 0.7, 0.8, 0.95])
    y = np.array([False, False, False, False, True, True, True, True, True, True])
    assert ceiling.refused_at(p, y, 0.45) == (0.75, pytest.approx(1 / 6))
    # at most 5% of six answerable: none refused, so the threshold is the lowest answerable
    assert ceiling.at_five(p, y) == 0.75
    assert ceiling.numbered("21-22") == ["blind21_qa", "news21_qa", "blind22_qa", "news22_qa"]


def test_a_refit_reads_a_signal_that_separates_the_sets(ceiling):
    import train_answerability as T

    rng = np.random.default_rng(0)

    def rows(n: int) -> T.Rows:
        y = rng.random(n) < 0.5
        x = rng.normal(0, 1, (n, len(NAMES)))
        x[:, NAMES.index("cross_best")] = np.where(y, 2.0, -2.0) + rng.normal(0, 0.5, n)
        r = T.Rows(x, y)
        for answerable in y:
            r.sentences.append(rng.normal(0, 1, (2, len(SUPPORT_NAMES))))
            r.states.append(np.array([bool(answerable), False]))
        return r

    p = ceiling.refit([rows(120), rows(120)], test := rows(80))
    assert T.auc(p, test.y) > 0.95
    assert ceiling.at_five(p, test.y) > 0.8


def test_halves_score_every_question_from_a_fit_that_did_not_see_it(ceiling, monkeypatch):
    import train_answerability as T

    seen: list[set] = []

    def fitted(train):
        seen.append({tuple(r) for t in train for r in t.x})

        def score(test):
            assert not seen[-1] & {tuple(r) for r in test.x}
            return test.x[:, 0]

        return score

    monkeypatch.setattr(ceiling, "fitted", fitted)
    rng = np.random.default_rng(1)
    rows = {}
    for name in ("a", "b"):
        x = rng.normal(0, 1, (9, 4))
        rows[name] = T.Rows(x, rng.random(9) < 0.5, [np.zeros((1, 2))] * 9, [np.ones(1, bool)] * 9)
    got = ceiling.halves(rows)
    for name, r in rows.items():
        assert got[name].tolist() == r.x[:, 0].tolist()  # every question scored, in place
    # one fit per half, each seeing half of every set, never the question it scores
    assert len(seen) == 2
    for r in rows.values():
        for row in r.x:
            assert sum(tuple(row) in fit for fit in seen) == 1

"""The closer look (`gate.Closer`, round twenty-nine): a Chinese question the first gate is
unsure of has two more sentences read by the cross reader, and a gate fitted on each of the
best three's own score decides, with its own threshold."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from fakes.cross import CountingCrossReader

from assistant.answering import answerability
from assistant.answering import gate as gates
from assistant.answering.followup import expand
from assistant.answering.gate import Closer, Gate, Gates
from assistant.answering.learned import cross
from assistant.answering.signals import NAMES, NOT_READ, SUPPORT_NAMES
from assistant.errors import ConfigError

QUESTION = "瑞金医院金山院区一期规划多少张床位？"


class Recording(Gate):
    """A gate with the shipped closer's models that remembers the sentence rows it judged
    and says `said` (with the real sentence probabilities)."""

    said: float = 0.5
    seen: list[np.ndarray] = []

    def judge(self, row, sentences=None):
        Recording.seen.append(np.asarray(sentences))
        return Recording.said, super().judge(row, sentences)[1]


def fields(g: Gate) -> dict:
    return {f.name: getattr(g, f.name) for f in dataclasses.fields(Gate)}


def test_the_shipped_closer_look_reads_the_best_three_sentences_near_the_threshold():
    shipped = gates.load()
    closer = shipped.closer
    assert closer is not None
    low, high = closer.band
    assert low < 1.0 < high
    # the first Chinese gate reads one sentence, the closer look the best three, each with
    # its own score in the sentence model's rows
    assert shipped.chinese.cross_read == 1 and shipped.chinese.sentence_cross == 1
    assert closer.gate.cross_read == 3 and closer.gate.sentence_cross == 3
    assert closer.gate.support is not None and "cross" in closer.gate.support_features
    assert 0.0 < closer.gate.threshold < 1.0
    assert closer.gate.info["held_out_pooled"]["answerable_refused"] <= 0.05
    # Chinese questions only
    assert shipped.closer_for(QUESTION) is closer
    assert shipped.closer_for("How many beds are planned?") is None
    t = shipped.chinese.threshold
    assert closer.unsure(t, t) and closer.unsure(low * t, t) and closer.unsure(high * t, t)
    assert not closer.unsure(0.99 * low * t, t) and not closer.unsure(1.01 * high * t, t)


def test_the_closer_look_round_trips_and_a_band_that_misses_its_threshold_is_an_error(tmp_path):
    shipped = gates.load()
    back = Gates.from_json(json.loads(json.dumps(shipped.to_json())))
    assert back.closer is not None and back.closer.band == shipped.closer.band
    assert back.closer.gate.sentence_cross == 3 and back.chinese.sentence_cross == 1
    assert np.array_equal(back.closer.gate.coef, shipped.closer.gate.coef)
    # a file without one (before 0.2.19) loads, and reads one sentence as before
    d = shipped.to_json()
    del d["closer"]
    assert Gates.from_json(d).closer is None
    d["closer"] = {**shipped.closer.to_json(), "band": [1.2, 2.0]}
    path = tmp_path / "answerability.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(ConfigError, match="band"):
        gates.load(path)


def test_read_more_reads_only_the_sentences_not_read_yet(seeded_assistant, monkeypatch):
    fake = CountingCrossReader()
    monkeypatch.setattr(cross, "load", lambda: fake)
    retrieved = seeded_assistant.ask(QUESTION).retrieved
    query = expand(QUESTION, [], seeded_assistant.knowledge.knows)
    corpus = seeded_assistant.knowledge.corpus()
    fake.read.clear()
    one = answerability.read(query, retrieved, corpus, crossed=1)
    best = [one.sentences[j].text for j in one.order[:3]]
    assert fake.read == best[:1] and one.crossed == 1
    three = answerability.read_more(query, one, 3)
    assert fake.read == best and three.crossed == 3  # two passes more, not three
    assert answerability.read_more(query, three, 3) is three and len(fake.read) == 3
    expected = np.full(len(one.sentences), NOT_READ)
    expected[one.order[:3]] = [len(t) / 10.0 for t in best]
    assert np.array_equal(three.cross, expected)
    assert (one.cross[one.order[1:]] == NOT_READ).all()  # the first reading is left as it was
    # the question's cross signals follow the reading
    row = answerability.signals(query, retrieved, corpus, (1.0, 1.0), [], one)
    named = dict(zip(NAMES, answerability.recrossed(row, three), strict=True))
    assert named["cross_best"] == len(best[0]) / 10.0
    assert named["cross_top3"] == max(len(t) for t in best) / 10.0
    assert np.array_equal(answerability.recrossed(row, one), row)
    # each of the best `own` sentences carries its own score in the sentences' rows
    at = SUPPORT_NAMES.index("cross")
    wide = answerability.sentence_signals(query, retrieved, corpus, row, three, own=3)
    assert np.array_equal(wide[:, at], expected)
    narrow = answerability.sentence_signals(query, retrieved, corpus, row, three)
    assert (narrow[:, at] != NOT_READ).sum() == 1


@pytest.mark.parametrize("first, reads", [(None, True), (0.99, False), (0.0, False)])
def test_the_closer_look_is_taken_only_when_the_first_gate_is_unsure(
    seeded_assistant, monkeypatch, first, reads
):
    """`first`: the first gate's probability (None: the shipped gate's own, which for this
    question the band is stretched to hold)."""
    fake = CountingCrossReader()
    monkeypatch.setattr(cross, "load", lambda: fake)
    shipped = gates.load()
    assert shipped.closer is not None

    class First(Gate):
        def judge(self, row, sentences=None):
            p, states = super().judge(row, sentences)
            return (p if first is None else first), states

    Recording.seen = []
    Recording.said = 0.97
    closer = Closer(Recording(**fields(shipped.closer.gate)), (0.0, 1e9))
    if first is not None:  # the shipped band around the shipped threshold
        closer = Closer(closer.gate, shipped.closer.band)
    monkeypatch.setattr(
        gates, "load", lambda: Gates(First(**fields(shipped.chinese)), shipped.other, closer)
    )
    answer = seeded_assistant.ask(QUESTION)
    assert len(fake.read) == (3 if reads else 1)
    assert len(Recording.seen) == int(reads)
    if reads:
        own = Recording.seen[0][:, SUPPORT_NAMES.index("cross")]
        assert (own != NOT_READ).sum() == 3
        assert answer.answerability == 0.97 and not answer.refused  # the closer look decides
    else:
        assert answer.answerability == first and answer.refused == (first == 0.0)
    # an English question never takes it
    fake.read.clear()
    seeded_assistant.ask("How many beds are planned for the first phase of the Jinshan campus?")
    assert fake.read == [] and len(Recording.seen) == int(reads)


def test_the_closer_look_refuses_below_its_own_threshold_or_the_setting(
    seeded_settings, monkeypatch
):
    from assistant.answering.chain import Assistant

    shipped = gates.load()
    Recording.seen = []
    Recording.said = 0.3
    below = Recording(**{**fields(shipped.closer.gate), "threshold": 0.31})
    always = Closer(below, (0.0, 1e9))
    monkeypatch.setattr(gates, "load", lambda: Gates(shipped.chinese, shipped.other, always))
    assert Assistant.from_settings(seeded_settings).ask(QUESTION).refused
    seeded_settings.answer.min_answerability = 0.29
    answer = Assistant.from_settings(seeded_settings).ask(QUESTION)
    assert not answer.refused and "400张" in answer.answer
    assert len(Recording.seen) == 2


@pytest.fixture
def trainer():
    pytest.importorskip("sklearn")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import train_answerability

    return train_answerability


def synthetic(trainer, own: int, seed: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    sets = {}
    for name in ("a", "b", "c"):
        y = rng.random(90) < 0.5
        x = rng.normal(0, 1, (90, len(NAMES)))
        x[:, NAMES.index("turn_share")] = y + rng.normal(0, 0.8, 90)
        rows = trainer.Rows(x, y, own=own)
        for _ in y:
            rows.sentences.append(rng.normal(0, 1, (3, len(SUPPORT_NAMES))))
            rows.states.append(np.array([True, False, False]))
        sets[name] = rows
    return sets


def test_a_gate_reads_as_many_sentences_own_scores_as_its_rows_had(trainer):
    fitted = trainer.fit_gate(synthetic(trainer, own=3), 0.05, support=True)
    assert fitted.sentence_cross == 3 and fitted.cross_read == 3
    assert Gate.from_json(json.loads(json.dumps(fitted.to_json()))).sentence_cross == 3
    assert trainer.fit_gate(synthetic(trainer, own=1), 0.05, support=True).sentence_cross == 1
    mixed = {**synthetic(trainer, own=1), "d": synthetic(trainer, own=3, seed=4)["a"]}
    with pytest.raises(SystemExit, match="different numbers"):
        trainer.fit_gate(mixed, 0.05, support=True)


def train(trainer, tmp_path, monkeypatch, rows, *args: str) -> Gates:
    """`scripts/train_answerability.py` run on `rows` with `args`, writing over a copy of the
    shipped gates in `tmp_path` (made by the first run): what it wrote."""
    import pickle

    (tmp_path / "rows.pkl").write_bytes(pickle.dumps(rows))
    out = tmp_path / "answerability.json"
    if not out.exists():
        out.write_text(json.dumps(gates.load().to_json()), encoding="utf-8")
    argv = ["train_answerability", "--rows", str(tmp_path / "rows.pkl"), "--out", str(out)]
    monkeypatch.setattr(sys, "argv", [*argv, *args])
    trainer.main()
    return Gates.from_json(json.loads(out.read_text(encoding="utf-8")))


def none(trainer):
    """A language group's rows with no questions."""
    return trainer.Rows(np.zeros((0, len(NAMES))), np.zeros(0, bool))


def test_train_answerability_closer_writes_the_closer_look_and_keeps_the_gates(
    trainer, tmp_path, monkeypatch
):
    rows = {n: {"chinese": r, "other": none(trainer)} for n, r in synthetic(trainer, own=3).items()}
    written = train(trainer, tmp_path, monkeypatch, rows, "--closer", "0.5,2")
    shipped = gates.load()
    assert written.closer is not None and written.closer.band == (0.5, 2.0)
    assert written.closer.gate.sentence_cross == 3
    assert np.array_equal(written.chinese.coef, shipped.chinese.coef)
    assert np.array_equal(written.other.coef, shipped.other.coef)
    # refitting the first Chinese gate keeps the closer look fitted before
    for r in rows.values():
        r["chinese"].own = 1
    again = train(trainer, tmp_path, monkeypatch, rows, "--only", "chinese")
    assert again.closer is not None and again.closer.band == (0.5, 2.0)
    assert again.chinese.sentence_cross == 1
    assert not np.array_equal(again.chinese.coef, shipped.chinese.coef)


def test_the_english_gate_is_fitted_without_the_cross_readers_signals(
    trainer, tmp_path, monkeypatch
):
    """Rows carry the shipped reader's scores, in-sample on the sets it was trained on: a
    refit of the English gate that read them looked better out of fold than it is (round
    thirty-two), and English questions do not read the cross reader anyway."""
    from assistant.answering.signals import FROM_CROSS, HEAD

    rows = {n: {"chinese": none(trainer), "other": r} for n, r in synthetic(trainer, own=1).items()}
    for r in rows.values():  # a cross score that gives the answer away
        r["other"].x[:, NAMES.index("cross_best")] = 4.0 * r["other"].y
    written = train(trainer, tmp_path, monkeypatch, rows, "--only", "other")
    assert written.other.features is not None
    dropped = set(FROM_CROSS) | set(HEAD) | {"head_missing", "head_bound"}
    assert not dropped & set(written.other.features)
    assert not dropped & set(written.other.support_features or ())
    assert written.other.cross_read == 0
    assert written.other.info["held_out_pooled"]["auc"] < 0.9  # the give-away was not read
    assert np.array_equal(written.chinese.coef, gates.load().chinese.coef)

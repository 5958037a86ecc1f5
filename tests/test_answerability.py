"""The answerability gate: its artifact, its arithmetic, its training helpers, and what it
decides on the seeded index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from fakes.cross import CountingCrossReader

from assistant.answering import answerability, signals
from assistant.answering import gate as gates
from assistant.answering.gate import Gate, Gates
from assistant.answering.learned import cross
from assistant.answering.signals import NAMES
from assistant.errors import ConfigError


def gate(coef: list[float], threshold: float = 0.5) -> Gate:
    n = len(coef)
    return Gate(np.asarray(coef), 0.0, np.zeros(n), np.ones(n), threshold, {})


def test_the_shipped_models_read_the_signals_this_version_computes():
    shipped = gates.load()
    for gate_ in (shipped.chinese, shipped.other):
        fitted = gate_.features or NAMES  # a gate fitted before signals were added reads its own
        assert set(fitted) <= set(NAMES)
        assert len(gate_.coef) == len(gate_.mean) == len(gate_.scale) == len(fitted)
        assert 0.0 < gate_.threshold < 1.0
        assert (gate_.scale > 0).all()
        # each says where it came from and what it refused on sets held out of its fit
        assert gate_.info["fitted_by"] == "scripts/train_answerability.py"
        assert gate_.info["held_out_pooled"]["answerable_refused"] <= 0.05
    # Chinese questions are many enough for trees beside the regression, English ones not;
    # both have the sentence model (English since 0.2.10)
    assert shipped.chinese.trees is not None and shipped.other.trees is None
    assert shipped.chinese.support is not None and shipped.other.support is not None
    assert shipped.chinese.info["support"] and shipped.other.info["support"]
    assert shipped.pick("一期规划多少张床位？") is shipped.chinese
    assert shipped.pick("How many beds are planned?") is shipped.other


def test_a_model_fitted_on_other_signals_is_a_clear_error(tmp_path):
    d = gates.load().to_json()
    d["other"]["features"] = [*d["other"]["features"][:-1], "a_signal_no_version_computes"]
    path = tmp_path / "answerability.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(ConfigError, match="train_answerability"):
        gates.load(path)
    # a file of the earlier, Chinese-only format
    path.write_text(json.dumps(d["chinese"]), encoding="utf-8")
    with pytest.raises(ConfigError, match="language group"):
        gates.load(path)


def test_a_gate_fitted_on_fewer_signals_reads_its_own_columns():
    """A gate fitted before a version added signals keeps working: it reads its columns of
    the row by name (the English gate was fitted on the signals of an earlier version)."""
    fitted = [NAMES[4], NAMES[1]]
    d = {**gate([2.0, -1.0]).to_json(), "features": fitted}
    g = Gate.from_json(d)
    row = np.zeros(len(NAMES))
    row[4], row[1] = 1.0, 3.0
    assert g.probability(row) == pytest.approx(1 / (1 + np.exp(-(2.0 - 3.0))))
    assert Gate.from_json(json.loads(json.dumps(g.to_json()))).features == tuple(fitted)


def test_a_sentence_model_fitted_on_fewer_signals_reads_each_of_a_twice_named_signal():
    """A sentence row holds some signals twice (`known_missing_sentence` for the sentence,
    then for its question's best sentence): a sentence model fitted before signals were
    added must read each from its own column, not both from the last one."""
    from assistant.answering.learned.model import Trees

    names = signals.SUPPORT_NAMES
    twice = "known_missing_sentence"
    first, second = (i for i, n in enumerate(names) if n == twice)
    fitted = [n for n in names if n != "cross"]  # as fitted before the sentence's cross score
    stump = Trees(  # one split, on the first (the sentence's) column of that name
        offset=0.0,
        rate=1.0,
        feature=np.array([[fitted.index(twice), -1, -1]]),
        threshold=np.array([[0.5, 0.0, 0.0]]),
        left=np.array([[1, -1, -1]]),
        right=np.array([[2, -1, -1]]),
        value=np.array([[0.0, -3.0, 3.0]]),
    )
    d = {**gate([0.0] * len(NAMES)).to_json(), "support": stump.to_json()}
    g = Gate.from_json({**d, "support_features": fitted})
    rows = np.zeros((2, len(names)))
    rows[0, first], rows[1, second] = 1.0, 1.0  # the sentence's / the question's
    states = g.states(rows)
    assert states[0] > 0.9 and states[1] < 0.1


def test_probability_is_the_logistic_of_the_standardised_row_and_round_trips():
    g = Gate(np.array([2.0, -1.0]), 0.5, np.array([1.0, 0.0]), np.array([2.0, 1.0]), 0.3, {})
    row = np.array([3.0, 1.0])  # z = (1, 1): 2 - 1 + 0.5
    assert g.probability(row) == pytest.approx(1 / (1 + np.exp(-1.5)))
    # more evidence on a positive weight raises the probability, on a negative one lowers it
    assert gate([1.0, -1.0]).probability(np.array([1.0, 0.0])) > 0.5
    assert gate([1.0, -1.0]).probability(np.array([0.0, 1.0])) < 0.5


def test_to_json_and_back_keeps_the_models():
    shipped = gates.load()
    back = Gates.from_json(json.loads(json.dumps(shipped.to_json())))
    sentences = np.random.default_rng(5).random((4, len(signals.SUPPORT_NAMES)))
    row = np.random.default_rng(6).random(len(NAMES))
    for a, b in ((shipped.chinese, back.chinese), (shipped.other, back.other)):
        got = a.probability(row, sentences)
        assert b.probability(row, sentences) == pytest.approx(got, abs=1e-5)
        assert b.threshold == pytest.approx(a.threshold, abs=1e-4)


# --- the training helpers (scikit-learn is a development dependency) ---------------------


@pytest.fixture
def trainer():
    pytest.importorskip("sklearn")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import train_answerability

    return train_answerability


def test_auc_counts_ordered_pairs(trainer):
    labels = np.array([True, True, False, False])
    assert trainer.auc(np.array([0.9, 0.8, 0.2, 0.1]), labels) == 1.0
    assert trainer.auc(np.array([0.1, 0.2, 0.8, 0.9]), labels) == 0.0
    assert trainer.auc(np.array([0.5, 0.5, 0.5, 0.5]), labels) == 0.5
    assert trainer.auc(np.array([0.5, 0.6]), np.array([True, True])) is None


def test_choose_refuses_at_most_the_allowed_share_of_answerable(trainer):
    rng = np.random.default_rng(0)
    scores = rng.random(200)
    answerable = rng.random(200) < 0.6
    threshold = trainer.choose(scores, answerable, 0.05)
    refused = scores < threshold
    assert refused[answerable].mean() <= 0.05
    # and it is the highest such threshold: the next answerable score up would refuse more
    above = np.sort(scores[answerable][scores[answerable] > threshold])[0]
    assert (scores[answerable] < above).mean() > 0.05


def test_fit_separates_a_signal_that_carries_the_label(trainer):
    rng = np.random.default_rng(1)
    y = rng.random(300) < 0.5
    x = np.column_stack([y + rng.normal(0, 0.5, 300), rng.normal(0, 1, 300)])
    p = trainer.predict(*trainer.fit(x, y), x)
    assert trainer.auc(p, y) > 0.9


# --- on the seeded index -------------------------------------------------------------


def test_a_near_miss_is_refused_and_the_answer_is_kept(seeded_assistant):
    threshold = gates.load().chinese.threshold
    asked = seeded_assistant.ask("瑞金医院金山院区一期规划多少张床位？")
    assert not asked.refused and "400张" in asked.answer
    assert asked.answerability is not None and asked.answerability >= threshold
    # the same article, a phase it never mentions
    missing = seeded_assistant.ask("瑞金医院金山院区三期规划多少张床位？")
    assert missing.refused
    assert missing.answerability is not None and missing.answerability < threshold
    # a thing the documents never name
    elsewhere = seeded_assistant.ask("火星基地将建设多少个舱位？")
    assert elsewhere.refused and elsewhere.answerability < threshold
    # the phase the follow-up names, swapped into the earlier question
    follow_up = seeded_assistant.ask("那二期呢？", ["瑞金医院金山院区一期预计哪一年投入运营？"])
    assert follow_up.refused and "2026" not in follow_up.answer


@pytest.mark.xfail(
    reason="near the threshold, it flips with each refit: 0.2.9 answered (0.33 against 0.289), "
    "0.2.10 refused (0.283 against 0.2925), 0.2.11 answered (0.332 against 0.2969), 0.2.12 "
    "refuses (0.122 against 0.2555, with the cross reader), 0.2.14 refuses (0.071 against 0.2627)",
    strict=False,
)
def test_a_thing_the_documents_never_name_asked_like_a_fact_they_state(seeded_assistant):
    """The seeds state when 一期 opens (预计于2026年投入运营), never a 火星基地. Asked a count
    ("火星基地将建设多少个舱位？", above) the gate refuses it far below the threshold; asked a
    year, the sentence's year and the question's 预计 carry it to the threshold's edge."""
    assert seeded_assistant.ask("火星基地预计哪一年完工？").refused


def test_the_rules_can_still_decide(seeded_settings):
    from assistant.answering.chain import Assistant

    rules = seeded_settings.model_copy(
        update={"answer": seeded_settings.answer.model_copy(update={"refusal": "rules"})}
    )
    asked = Assistant.from_settings(rules).ask("瑞金医院金山院区一期规划多少张床位？")
    assert not asked.refused and "400张" in asked.answer
    assert asked.answerability is None  # no model was consulted


def test_fit_gate_reports_each_left_out_set_and_keeps_false_refusal_in_bounds(trainer):
    rng = np.random.default_rng(2)
    sets = {}
    for name in ("a", "b", "c"):
        y = rng.random(120) < 0.6
        x = np.column_stack([y + rng.normal(0, 0.7, 120), rng.normal(0, 1, 120)])
        sets[name] = trainer.Rows(x, y)
    fitted = trainer.fit_gate(sets, 0.05)
    assert set(fitted.info["held_out"]) == {"a", "b", "c"}
    assert fitted.info["held_out_pooled"]["answerable_refused"] <= 0.05
    assert fitted.info["held_out_pooled"]["auc"] > 0.8
    assert fitted.coef[0] > 0 and 0.0 < fitted.threshold < 1.0


def test_a_gate_with_trees_averages_them_with_the_regression_and_round_trips(trainer):
    """The trees see a signal that matters only with another (here: the second signal
    counts only when the first is high), which a sum of weights cannot."""
    rng = np.random.default_rng(3)
    sets = {}
    for name in ("a", "b", "c"):
        x = rng.random((200, 2))
        y = (x[:, 0] > 0.5) & (x[:, 1] > 0.3)
        sets[name] = trainer.Rows(x, y)
    plain = trainer.fit_gate(sets, 0.05)
    boosted = trainer.fit_gate(sets, 0.05, trees=True)
    assert plain.trees is None and boosted.trees is not None
    assert boosted.info["held_out_pooled"]["auc"] > plain.info["held_out_pooled"]["auc"]
    row = np.array([0.9, 0.1])  # the first is high, the second too low: not answerable
    alone = Gate(boosted.coef, boosted.intercept, boosted.mean, boosted.scale, 0.5, {})
    logit = boosted.trees.decision(row[None, :])[0]
    assert boosted.probability(row) == pytest.approx(
        (alone.probability(row) + 1 / (1 + np.exp(-logit))) / 2
    )
    assert boosted.probability(row) < 0.5
    back = Gate.from_json(json.loads(json.dumps(boosted.to_json())))
    assert back.probability(row) == pytest.approx(boosted.probability(row), abs=1e-5)
    assert "trees" not in plain.to_json()


def test_a_gate_with_a_sentence_model_averages_the_best_sentence_in(trainer):
    """The sentence model learns which sentence states the answer; the question is as
    answerable as the mean of its question-level estimate and its best sentence's."""
    rng = np.random.default_rng(4)
    width = len(signals.SUPPORT_NAMES)
    sets = {}
    for name in ("a", "b", "c"):
        rows = trainer.Rows(rng.random((150, 2)), rng.random(150) < 0.5)
        for answerable in rows.y:
            sentences = rng.random((6, width))
            states = np.zeros(6, dtype=bool)
            if answerable:  # one sentence states it: its first signal is high
                sentences[2, 0] = 2.0
                states[2] = True
            rows.sentences.append(sentences)
            rows.states.append(states)
        sets[name] = rows
    # the question-level signals carry nothing; the sentences carry the label
    plain = trainer.fit_gate(sets, 0.05)
    supported = trainer.fit_gate(sets, 0.05, support=True)
    assert plain.support is None and supported.support is not None
    assert plain.info["held_out_pooled"]["auc"] < 0.65
    assert supported.info["held_out_pooled"]["auc"] > 0.95
    row = np.array([0.5, 0.5])
    stating = rng.random((6, width))
    stating[0, 0] = 2.0
    alone = Gate(supported.coef, supported.intercept, supported.mean, supported.scale, 0.5, {})
    best = supported.support.decision(stating).max()
    assert supported.probability(row, stating) == pytest.approx(
        (alone.probability(row) + 1 / (1 + np.exp(-best))) / 2
    )
    assert supported.probability(row, stating) > supported.probability(row, stating[1:])
    # each sentence's own probability: the stating one ranks first, the best is averaged in
    states = supported.states(stating)
    assert states.shape == (6,) and int(np.argmax(states)) == 0
    assert supported.probability(row, stating) == pytest.approx(
        (alone.probability(row) + states.max()) / 2
    )
    with pytest.raises(ValueError, match="no sentence model"):
        alone.states(stating)
    assert supported.probability(row, stating[:0]) == pytest.approx(alone.probability(row) / 2)
    with pytest.raises(ValueError, match="sentence_signals"):
        supported.probability(row)
    back = Gate.from_json(json.loads(json.dumps(supported.to_json())))
    assert back.probability(row, stating) == pytest.approx(
        supported.probability(row, stating), abs=1e-5
    )
    d = supported.to_json()
    d["support_features"] = [*d["support_features"][:-1], "a_signal_no_version_computes"]
    with pytest.raises(ConfigError, match="train_answerability"):
        Gate.from_json(d)


def test_a_sentence_states_the_answer_with_its_key_facts_and_a_stretch_of_its_quote(trainer):
    from assistant.evaluation.dataset import Case, Support

    case = Case(
        id="x",
        question="一期规划多少张床位？",
        answerable=True,
        key_facts=["400张"],
        support=[Support(source="a.txt", quote="金山院区一期规划床位400张")],
    )
    assert trainer.states(case, "瑞金医院金山院区一期规划床位 400张，二期800张。")
    assert not trainer.states(case, "二期规划床位800张。")  # no key fact
    assert not trainer.states(case, "门诊楼共400张椅子。")  # the number, elsewhere
    two_parts = Case(
        id="z",
        question="一期多少张床位？二期呢？",
        key_facts=["400张", "800张"],
        support=[
            Support(source="a.txt", quote="一期规划床位400张"),
            Support(source="a.txt", quote="二期规划床位800张"),
        ],
    )
    assert trainer.states(two_parts, "金山院区一期规划床位400张。")  # a sentence per part
    assert trainer.states(two_parts, "二期规划床位800张。")
    unanswerable = Case(id="y", question="三期呢？", answerable=False)
    assert not trainer.states(unanswerable, "金山院区一期规划床位400张")


def test_an_english_question_on_chinese_sources_has_its_own_gate(seeded_assistant):
    asked = seeded_assistant.ask(
        "How many beds are planned for the first phase of Ruijin Hospital's Jinshan campus?"
    )
    assert not asked.refused and "400张" in asked.answer
    assert asked.answerability is not None
    assert asked.answerability >= gates.load().other.threshold


def test_sources_in_another_language_are_left_to_the_rules(seeded_assistant, tmp_path):
    """The gates were fitted on Chinese sources: an English question about an English PDF
    is decided by the similarity threshold, as before."""
    from fakes.pdf import AURORA, make_pdf

    pdf = tmp_path / "aurora.pdf"
    pdf.write_bytes(make_pdf(AURORA))
    seeded_assistant.ingest([pdf])
    asked = seeded_assistant.ask("How many researchers will the Aurora station house?")
    assert not asked.refused and "42 researchers" in asked.answer
    assert asked.answerability is None


def test_in_llm_mode_the_gate_decides_whether_the_model_is_called(llm_assistant, openai_server):
    from fakes.openai_server import Reply

    missing = llm_assistant.ask("瑞金医院金山院区三期规划多少张床位？")
    assert missing.refused and openai_server.requests == []  # refused before the call
    assert missing.answerability is not None
    assert missing.answerability < gates.load().chinese.threshold
    openai_server.script(Reply(text="金山院区一期规划床位400张。[1]"))
    asked = llm_assistant.ask("瑞金医院金山院区一期规划多少张床位？")
    assert asked.mode == "llm" and not asked.refused and len(openai_server.requests) == 1
    assert asked.answerability is not None  # the score that let the call through


def named_signals(bot, question: str) -> dict[str, float]:
    """The gate's signals for `question` on `bot`'s index, by name."""
    from assistant.answering.followup import expand
    from assistant.answering.reader import ExtractiveAnswerer

    retrieved = bot.ask(question).retrieved
    query = expand(question, [], bot.knowledge.knows)
    row = ExtractiveAnswerer(bot.settings.answer).signals(query, retrieved, bot.knowledge.corpus())
    return dict(zip(NAMES, row.tolist(), strict=True))


def test_a_title_counts_only_when_named_as_asked_deputy_or_not(seeded_assistant):
    """The seeds name 辽宁省人民医院's 副院长, never its 院长: the search segmentation finds
    院长 inside 副院长, the title signal does not."""
    deputy = named_signals(seeded_assistant, "辽宁省人民医院副院长是谁？")
    head = named_signals(seeded_assistant, "辽宁省人民医院的院长是谁？")
    assert deputy["asks_role"] == head["asks_role"] == 1.0
    assert deputy["role_best"] == 1.0 and head["role_best"] == 0.0
    beds = named_signals(seeded_assistant, "瑞金医院金山院区一期规划多少张床位？")
    assert (beds["asks_role"], beds["role_best"], beds["role_top3"]) == (0.0, 1.0, 1.0)


def test_an_amount_of_money_asked_must_be_stated_in_yuan(seeded_assistant):
    stated = named_signals(seeded_assistant, "2023年瑞金医院临床试验的合同金额是多少？")
    assert stated["money_missing"] == 0.0  # 合同金额近1.4亿元
    missing = named_signals(seeded_assistant, "瑞金医院金山院区项目总投资多少钱？")
    assert missing["money_missing"] == 1.0  # the article gives its area and beds, no cost
    # a question that asks who invested asks no amount
    who = named_signals(seeded_assistant, "瑞金医院金山院区由哪家机构投资建设？")
    assert who["money_missing"] == 0.0


def test_the_thing_a_number_is_asked_of_must_be_named_with_the_value(seeded_assistant):
    beds = named_signals(seeded_assistant, "瑞金医院金山院区一期规划多少张床位？")
    assert (beds["asks_head"], beds["head_missing_best"], beds["head_bound_best"]) == (1, 0, 1)
    # the seeds count the "医生分身" put online, never nurses
    nurses = named_signals(seeded_assistant, "梁溪区的社区服务中心首批上线了多少名护士？")
    assert nurses["asks_head"] == 1.0
    assert nurses["head_missing_best"] == nurses["head_missing_top3"] == 1.0
    assert nurses["head_bound_top3"] == 0.0
    who = named_signals(seeded_assistant, "辽宁省人民医院副院长是谁？")
    assert (who["asks_head"], who["head_missing_best"], who["head_bound_best"]) == (0, 0, 1)


# --- the cross reader, read only for a gate fitted on it -----------------------------------


def test_the_cross_reader_reads_what_each_gate_was_fitted_on(seeded_assistant, monkeypatch):
    fake = CountingCrossReader()
    monkeypatch.setattr(cross, "load", lambda: fake)
    question = "瑞金医院金山院区一期规划多少张床位？"
    # the shipped Chinese gate was fitted on the best sentence's score: one forward pass
    shipped = gates.load()
    assert (shipped.chinese.cross_read, shipped.other.cross_read) == (1, 0)
    seeded_assistant.ask(question)
    assert len(fake.read) == 1
    # the English one (0.2.11's) on none: nothing more is read. Refitted on the best three's
    # scores it read three and refused no more on fresh sets (evals/README.md, round
    # twenty-two): not kept.
    seeded_assistant.ask("How many beds are planned for the first phase of the Jinshan campus?")
    assert len(fake.read) == 1
    # a gate fitted before them does not read it: no forward pass is paid
    old = [n for n in NAMES if n not in signals.FROM_CROSS]
    d = {**gate([0.0] * len(old)).to_json(), "features": old}
    plain = Gate.from_json(d)
    # one fitted on the best three's scores reads three
    assert plain.cross_read == 0 and gate([0.0] * len(NAMES)).cross_read == 3
    three = [n for n in NAMES if n != "cross_best"]
    assert Gate.from_json({**gate([0.0] * len(three)).to_json(), "features": three}).cross_read == 3
    monkeypatch.setattr(gates, "load", lambda: Gates(chinese=gate([0.0] * len(NAMES)), other=plain))
    seeded_assistant.ask(question)
    assert len(fake.read) == 1 + signals.CROSS_TOP
    monkeypatch.setattr(gates, "load", lambda: Gates(chinese=plain, other=plain))
    fake.read.clear()
    seeded_assistant.ask(question)
    assert fake.read == []
    # one whose sentence model alone was fitted on a sentence's cross score reads that one
    stump = shipped.chinese.support
    assert stump is not None
    d["support"] = stump.to_json()
    d["support_features"] = list(shipped.chinese.support_features or signals.SUPPORT_NAMES)
    assert "cross_top3" not in d["support_features"]
    assert Gate.from_json(d).cross_read == 1


def test_the_cross_signals_score_the_sentence_scorers_best_sentences(seeded_assistant, monkeypatch):
    from assistant.answering.followup import expand

    fake = CountingCrossReader()
    monkeypatch.setattr(cross, "load", lambda: fake)
    question = "瑞金医院金山院区一期规划多少张床位？"
    retrieved = seeded_assistant.ask(question).retrieved
    fake.read.clear()  # what the shipped gate read for that answer
    query = expand(question, [], seeded_assistant.knowledge.knows)
    corpus = seeded_assistant.knowledge.corpus()
    top = signals.CROSS_TOP
    reading = answerability.read(query, retrieved, corpus, crossed=top)
    best = [reading.sentences[j].text for j in reading.order[:top]]
    assert fake.read == best and len(best) == top
    expected = np.full(len(reading.sentences), signals.NOT_READ)
    expected[reading.order[:top]] = [len(t) / 10.0 for t in best]
    assert np.array_equal(reading.cross, expected)
    row = answerability.signals(query, retrieved, corpus, (1.0, 1.0), [], reading)
    named = dict(zip(NAMES, row.tolist(), strict=True))
    assert named["cross_best"] == len(best[0]) / 10.0
    assert named["cross_top3"] == max(len(t) for t in best) / 10.0
    # each sentence's own score is the best one's only, however many were read: the rows
    # are the same for a gate reading one sentence and one reading three
    rows = answerability.sentence_signals(query, retrieved, corpus, row, reading)
    own = np.full(len(reading.sentences), signals.NOT_READ)
    own[reading.order[0]] = len(best[0]) / 10.0
    assert rows[:, signals.SUPPORT_NAMES.index("cross")].tolist() == own.tolist()
    fake.read.clear()
    one = answerability.read(query, retrieved, corpus, crossed=1)
    assert fake.read == best[:1]
    rows_one = answerability.sentence_signals(query, retrieved, corpus, row, one)
    assert np.array_equal(rows_one, rows)
    # not asked to read: the signals say so, and nothing is read
    fake.read.clear()
    unread = answerability.read(query, retrieved, corpus)
    assert fake.read == [] and (unread.cross == signals.NOT_READ).all()
    # the rows the gates are fitted on hold them all when the weights are installed
    from assistant.answering.reader import ExtractiveAnswerer

    reader = ExtractiveAnswerer(seeded_assistant.settings.answer)
    monkeypatch.setattr(cross, "installed", lambda: False)
    assert reader.signals(query, retrieved, corpus)[NAMES.index("cross_top3")] == -8.0
    monkeypatch.setattr(cross, "installed", lambda: True)
    fake.read.clear()
    assert reader.signals(query, retrieved, corpus)[NAMES.index("cross_top3")] > 0
    assert len(fake.read) == top


def test_a_gate_fitted_without_a_signal_reads_the_full_rows_by_name(trainer):
    """`--without` narrows the rows before the fit; the gate records what it read, so the
    assistant's full rows (every signal computed) give it the columns it was fitted on."""
    names, support_names = signals.NAMES, signals.SUPPORT_NAMES
    rng = np.random.default_rng(5)
    sets = {}
    for name in ("a", "b", "c"):
        y = rng.random(120) < 0.5
        x = rng.normal(0, 1, (120, len(names)))
        x[:, names.index("cross_best")] = 4.0 * y  # carries the label: dropped
        x[:, names.index("turn_share")] = y + rng.normal(0, 0.8, 120)
        rows = trainer.Rows(x, y)
        for _ in y:
            rows.sentences.append(rng.normal(0, 1, (3, len(support_names))))
            rows.states.append(np.array([True, False, False]))
        sets[name] = trainer.without(rows, ["cross_best"])
    assert sets["a"].x.shape[1] == len(names) - 1
    assert sets["a"].sentences[0].shape[1] == len(support_names) - 1
    fitted = trainer.fit_gate(sets, 0.05, support=True, dropped=["cross_best"])
    assert "cross_best" not in fitted.features and "turn_share" in fitted.features
    assert fitted.cross_read == 3  # it reads `cross_top3`
    back = Gate.from_json(json.loads(json.dumps(fitted.to_json())))
    full, sentences = rng.normal(0, 1, len(names)), rng.normal(0, 1, (3, len(support_names)))
    one = trainer.without(
        trainer.Rows(full[None, :], np.array([True]), [sentences]), ["cross_best"]
    )
    x = np.vstack([r.x for r in sets.values()])
    y = np.concatenate([r.y for r in sets.values()])
    sentence_model = trainer.fit_support(list(sets.values()))[0]
    expected = trainer.predict_support(
        sentence_model, trainer.predict(*trainer.fit(x, y), one.x), one
    )
    assert back.probability(full, sentences) == pytest.approx(expected[0], abs=1e-4)
    # the dropped signal changes nothing; a kept one does
    moved = full.copy()
    moved[names.index("cross_best")] += 10.0
    assert back.probability(moved, sentences) == pytest.approx(back.probability(full, sentences))
    moved[names.index("turn_share")] += 10.0
    assert back.probability(moved, sentences) != pytest.approx(back.probability(full, sentences))

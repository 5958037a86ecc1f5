"""Refusal decided from the evidence: each check on small stub documents."""

from __future__ import annotations

import pytest

from assistant.answering.followup import expand
from assistant.answering.reader import ExtractiveAnswerer
from assistant.answering.refusal import HAS_NUMBER, fact_clauses, missing_constraints
from assistant.settings import AnswerSettings
from tests.test_reader import corpus_of, hit

JINSHAN = (
    "瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。"
    "项目从立项到开工仅用时182天,一期规划床位400张,二期规划床位800张,一期预计于2026年投入运营。"
)
EMERGENCY = (
    "瑞金医院紧急医学救治中心项目获批。此次获批项目新建总建筑面积73500平方米,设置医疗床位600张。"
)
WUXI = "瑞金医院无锡分院提出技术平移项目,将总院新技术在无锡分院平移。无锡分院是家门口的瑞金医院。"


def refused(question: str, retrieved, history=None, idf=None) -> bool:
    query = expand(question, history or [])
    draft = ExtractiveAnswerer(AnswerSettings()).answer(
        query, retrieved, corpus_of(retrieved, idf), "REFUSED"
    )
    return draft.refused


def test_answerable_number_question_is_answered():
    assert not refused("瑞金医院金山院区一期规划多少张床位？", [hit(1, JINSHAN)])


@pytest.mark.parametrize(
    "question",
    [
        "北京协和医院的院长是谁？",  # a proper noun no source names
        "瑞金医院金山院区三期规划多少张床位？",  # a numbered term: only 一期 and 二期 exist
    ],
)
def test_missing_constraint_is_refused(question):
    assert refused(question, [hit(1, JINSHAN), hit(2, WUXI)])


def test_missing_constraints_lists_what_is_absent():
    text = JINSHAN.lower()
    assert missing_constraints("北京协和医院的院长是谁？", text) == ["北京协和医院"]
    assert missing_constraints("瑞金医院金山院区三期规划多少张床位？", text) == ["三期"]
    assert missing_constraints("瑞金医院金山院区一期规划多少张床位？", text) == []


def test_near_miss_number_from_another_documents_subject_is_refused():
    # 600 beds are in the sources, but of the emergency centre, in another document
    retrieved = [hit(1, WUXI, source="wuxi.txt"), hit(2, EMERGENCY, source="emergency.txt")]
    assert refused("瑞金医院无锡分院现在有多少张床位？", retrieved)
    # the Wuxi document holding the beds would answer
    beds = WUXI + "瑞金医院无锡分院现有床位500张。"
    assert not refused("瑞金医院无锡分院现在有多少张床位？", [hit(1, beds, source="wuxi.txt")])


def test_a_phase_must_be_in_the_phrase_holding_the_value():
    # "二期规划床位800张,一期预计于2026年投入运营" does not say when 二期 opens
    assert refused("瑞金医院金山院区二期预计哪年投入运营？", [hit(1, JINSHAN)])
    assert not refused("瑞金医院金山院区一期预计哪年投入运营？", [hit(1, JINSHAN)])


def test_a_follow_up_asks_the_earlier_questions_fact_about_what_it_names():
    history = ["瑞金医院金山院区一期预计什么时候投入运营？"]
    assert refused("那二期呢？", [hit(1, JINSHAN)], history)
    beds = ["瑞金医院金山院区一期规划多少张床位？"]
    assert not refused("那二期呢？", [hit(1, JINSHAN)], beds)


def test_a_two_part_question_with_one_answered_part_is_answered():
    assert not refused("瑞金医院金山院区一期规划多少张床位？总投资是多少？", [hit(1, JINSHAN)])


def test_off_topic_is_refused():
    assert refused("红烧肉怎么做才好吃？", [hit(1, JINSHAN), hit(2, EMERGENCY)])


def test_a_lone_one_with_a_classifier_is_not_a_number():
    assert not HAS_NUMBER.search("一条新消息传来")
    assert HAS_NUMBER.search("合作课题15项") and HAS_NUMBER.search("十余项临床试验")
    assert HAS_NUMBER.search("三大核心优势")


def test_fact_clauses_split_a_question_by_what_each_part_asks():
    corpus = corpus_of([hit(1, JINSHAN)])
    clauses = fact_clauses(expand("这些企业营收多少？比去年同期涨了多少？", []), corpus)
    assert len(clauses) == 2
    assert "营收" in clauses[0].weights and "营收" not in clauses[1].weights
    # a list question ("哪几个") asks for no number
    assert fact_clauses(expand("细胞治疗主要往哪几个方向发力？", []), corpus) == []


def test_a_name_jieba_only_guesses_is_not_a_constraint():
    # jieba's HMM cuts "多少张床" into 多少/张床 and tags 张床 a name; only dictionary
    # words count as names, so the question is not refused for lacking "张床"
    question = "瑞金医院紧急医学救治中心设多少张床？"
    assert missing_constraints(question, EMERGENCY.lower()) == []
    assert not refused(question, [hit(1, EMERGENCY)])
    assert missing_constraints("北京协和医院有多少张床？", EMERGENCY.lower()) == ["北京协和医院"]


@pytest.mark.parametrize("text", ["术后第二天即可出院", "只用了半年", "历时三个月", "182天"])
def test_a_duration_answers_how_long(text):
    assert HAS_NUMBER.search(text)

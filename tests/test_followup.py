"""Offline follow-ups: what the new turn refers to is resolved, not the turns concatenated."""

from __future__ import annotations

import pytest

from assistant.answering.followup import expand, needs_context

FIRST = "瑞金医院金山院区一期规划多少张床位？"
KNOWN = {
    "瑞金", "医院", "瑞金医院", "金山", "院区", "一期", "二期", "规划", "床位", "党委书记",
    "院长", "运营", "投入", "嘉定", "械谷", "占地", "首发区", "专利",
}.__contains__  # fmt: skip


@pytest.mark.parametrize(
    "question",
    [
        "那二期呢？",
        "它什么时候投入运营？",
        "这个项目占地多少？",
        "What about phase two?",
        "When does it open?",
    ],
)
def test_follow_ups_need_context(question):
    assert needs_context(question, KNOWN)


@pytest.mark.parametrize(
    "question",
    [
        FIRST,
        "上海交通大学医学院附属瑞金医院2023年获得了多少项专利授权？",
        "How many patents did Ruijin Hospital obtain in 2023 according to the report?",
        "asdkjh qwe zzz",  # nothing the index knows and nothing pointing back
    ],
)
def test_standalone_questions_do_not(question):
    assert not needs_context(question, KNOWN)


def test_an_ellipsis_asks_the_earlier_question_about_the_new_term():
    q = expand("那二期呢？", [FIRST], KNOWN)
    assert q.standalone == "瑞金医院金山院区二期规划多少张床位？"
    assert "一期" not in q.standalone and q.history == [FIRST]


def test_a_question_without_a_subject_borrows_the_earlier_subject():
    q = expand("预计哪一年开始运营？", ["瑞金医院金山院区占地多少亩？"], KNOWN)
    assert q.standalone.startswith("瑞金医院金山院区") and q.standalone.endswith(
        "预计哪一年开始运营？"
    )
    # only the subject: not the earlier question's own ask
    assert "占地" not in q.standalone and "亩" not in q.standalone


def test_the_new_turn_keeps_its_own_phase():
    q = expand("它二期规划了多少张床位？", [FIRST], KNOWN)
    assert "二期" in q.standalone and "一期" not in q.standalone
    assert "瑞金医院金山院区" in q.standalone


def test_an_unrelated_earlier_turn_does_not_leak_into_a_standalone_question():
    q = expand(FIRST, ["嘉定械谷在哪里？"], KNOWN)
    assert q.standalone == FIRST and q.history == []


def test_a_chain_of_follow_ups_keeps_the_first_subject():
    q = expand("那二期呢？", ["瑞金医院金山院区占地多少亩？", "一期规划多少张床位？"], KNOWN)
    assert "金山院区" in q.standalone and "二期" in q.standalone and "床位" in q.standalone


def test_gibberish_is_not_a_follow_up():
    q = expand("asdkjh qwe zzz", [FIRST], KNOWN)
    assert q.standalone == "asdkjh qwe zzz" and q.history == []


def test_a_question_on_a_topic_new_to_the_index_is_not_expanded():
    assert expand("火星上有多少人居住？", [FIRST], KNOWN).history == []
    # a short question the index knows something of leans on the earlier one
    assert "瑞金" in expand("党委书记是谁？", ["瑞金医院院长是谁？"], KNOWN).standalone


def test_english_follow_up_keeps_the_earlier_question():
    first = "How many beds will the Ruijin Hospital emergency center have?"
    q = expand("And what is its total floor area?", [first], KNOWN)
    assert first in q.standalone and "floor area" in q.standalone


def test_no_history_or_blank_history():
    assert expand("那二期呢？", [], KNOWN).standalone == "那二期呢？"
    assert expand("那二期呢？", ["", "  "], KNOWN).standalone == "那二期呢？"

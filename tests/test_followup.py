"""Offline follow-up expansion."""

from __future__ import annotations

import pytest

from assistant.answering.followup import expand, needs_context

FIRST = "瑞金医院金山院区一期规划多少张床位？"


@pytest.mark.parametrize(
    "question",
    [
        "那二期呢？",
        "它什么时候投入运营？",
        "这个项目占地多少？",
        "What about phase two?",
        "When does it open?",
        # personal pronouns and the parties of an earlier turn, however long the question
        "他的手术花了多长时间？术后多久能自己走路？",
        "她在会上分享的主题是什么？",
        "给他做手术的专家来自哪家医院？",
        "双方是什么时候签署合作协议的？",
        "What did he present at the meeting in Hainan?",
    ],
)
def test_follow_ups_need_context(question):
    assert needs_context(question)


@pytest.mark.parametrize(
    "question",
    [
        FIRST,
        "上海交通大学医学院附属瑞金医院2023年获得了多少项专利授权？",
        "How many patents did Ruijin Hospital obtain in 2023 according to the report?",
        "瑞金医院和其他三甲医院相比有什么特色专科？",  # 其他 is not 他
    ],
)
def test_standalone_questions_do_not(question):
    assert not needs_context(question)


def test_follow_up_is_expanded_with_earlier_question():
    q = expand("那停车位呢？", [FIRST])
    assert q.standalone == f"{FIRST} 那停车位呢？"
    assert q.history == [FIRST]
    weights = q.weighted_terms()
    assert weights["停车位"] == 1.0
    assert weights["金山"] == 0.5


def test_a_follow_up_naming_another_phase_or_year_swaps_it_in():
    """ "那二期呢？" after a question about 一期 asks the same of 二期: the earlier question
    with the phase swapped, not both phases side by side (the answer about 一期 would read
    as an answer)."""
    q = expand("那二期呢？", [FIRST])
    assert q.standalone == "瑞金医院金山院区二期规划多少张床位？"
    assert q.carried == [q.standalone] and q.history == [FIRST]
    weights = q.weighted_terms()
    assert weights["二期"] == 1.0 and weights["金山"] == 0.5 and "一期" not in weights
    year = expand("2024年呢？", ["柳江市2023年厨余垃圾日均分出量是多少？"])
    assert year.standalone == "柳江市2024年厨余垃圾日均分出量是多少？"
    # nothing of the same shape to swap, or more than one: read with the earlier question
    assert (
        expand("那今年呢？", ["2024年的产量是多少？"]).standalone
        == "2024年的产量是多少？ 那今年呢？"
    )
    both = "一期和二期分别规划多少张床位？"
    assert expand("三期呢？", [both]).standalone == f"{both} 三期呢？"


def test_only_the_question_it_refers_to_is_carried():
    """An unrelated earlier turn does not spoil the answer: the follow-up reads the latest
    question that names a subject, not every earlier one."""
    q = expand("那停车位呢？", ["华老伯的手术做了多长时间？", "无锡分院有多少个专科？", FIRST])
    assert q.standalone == f"{FIRST} 那停车位呢？"
    assert q.carried == [FIRST]
    assert "手术" not in q.weighted_terms() and "专科" not in q.weighted_terms()
    assert q.history == ["华老伯的手术做了多长时间？", "无锡分院有多少个专科？", FIRST]


def test_a_chain_of_follow_ups_keeps_its_subject():
    q = expand("停车位呢？", ["华老伯的手术做了多长时间？", FIRST, "那二期呢？"])
    assert q.carried == [FIRST, "那二期呢？"]
    assert q.standalone == f"{FIRST} 那二期呢？ 停车位呢？"
    # a longer chain: the subject and the latest follow-up
    q = expand("停车位呢？", [FIRST, "那二期呢？", "三期呢？"])
    assert q.carried == [FIRST, "三期呢？"]
    # a phase swapped into the question that names the subject
    q = expand("四期呢？", [FIRST, "那二期呢？", "三期呢？"])
    assert q.standalone == "瑞金医院金山院区四期规划多少张床位？"


def test_keyboard_mashing_is_not_a_follow_up():
    known = {"瑞金", "医院", "金山", "院区", "床位", "规划"}.__contains__
    q = expand("asdkjh qwe zzz", [FIRST], known)
    assert q.standalone == "asdkjh qwe zzz" and q.carried == []
    assert not needs_context("asdkjh qwe zzz", known)
    # English follow-ups are words: they still lean on the earlier question
    assert expand("What about phase two?", [FIRST], known).carried == [FIRST]


def test_standalone_question_is_left_alone():
    q = expand(FIRST, ["嘉定械谷在哪里？"])
    assert q.standalone == FIRST and q.history == []
    assert "嘉定" not in q.weighted_terms()


def test_no_history_or_blank_history():
    assert expand("那二期呢？", []).standalone == "那二期呢？"
    assert expand("那二期呢？", ["", "  "]).standalone == "那二期呢？"


def test_a_short_question_on_a_topic_new_to_the_index_is_not_expanded():
    history = ["瑞金医院金山院区一期规划多少张床位？"]
    known = {"瑞金", "医院", "金山", "院区", "床位", "规划", "党委书记"}.__contains__
    assert expand("火星上有多少人居住？", history, known).standalone == "火星上有多少人居住？"
    # a short question the index knows something of still leans on the earlier one
    assert expand("党委书记是谁？", history, known).history == history
    # and one that points back always does
    assert expand("它在火星上吗？", history, known).history == history
    # a question without a noun of its own leans on the earlier one ("哪天" is not a topic)
    assert expand("是哪天开的？", history, known).history == history


def test_an_earlier_turn_that_adds_no_term_is_not_carried():
    """The same question asked again (in another knowledge base, say) reads as itself: an
    earlier turn whose terms the question already has cannot say what it refers to."""
    known = {"基地", "预计", "完工", "一期", "床位"}.__contains__
    again = "火星基地预计哪一年完工？"
    q = expand(again, [again], known)
    assert q.standalone == again and q.carried == []
    # an earlier turn with a term of its own is still carried
    assert expand("那一期呢？", ["火星基地预计哪一年完工？"], known).carried == [again]

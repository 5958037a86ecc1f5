"""Offline follow-up expansion."""

from __future__ import annotations

import pytest

from assistant.answering.followup import expand, needs_context, subject

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
        # 它 wherever it stands, and "those few", however long the question
        "从那以后，它从上海总院引进了多少项新技术？",
        "瑞金医院无锡分院成立以后一共用它做了多少例机器人辅助手术？",
        "剩下的那几个城市运行分中心什么时候能建完？",
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
        "瑞金医院和其它三甲医院相比有什么特色专科和优势学科？",  # nor 其它 它
    ],
)
def test_standalone_questions_do_not(question):
    assert not needs_context(question)


def test_it_mid_question_reads_the_earlier_subject():
    """ "它" after other words ("到现在它…") still points back: the follow-up is read about the
    earlier question's subject, not searched as a question about nothing."""
    q = expand("到现在它从上海总院平移过来多少项新技术？", ["瑞金医院无锡分院是哪年开的？"])
    assert q.focus == "瑞金医院无锡分院 到现在它从上海总院平移过来多少项新技术？"
    assert q.standalone.startswith("瑞金医院无锡分院是哪年开的？")


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


def test_a_follow_up_asking_its_own_question_is_read_about_the_earlier_subject():
    """ "它预计哪一年投入运营？" after a question about beds is searched with that question (its
    words find the campus) but read as its own question about the campus: read with both,
    the number of beds the first asks would look like an answer to the second."""
    q = expand("它预计哪一年投入运营？", [FIRST])
    assert q.standalone == f"{FIRST} 它预计哪一年投入运营？"
    assert q.focus == q.asked == "瑞金医院金山院区 它预计哪一年投入运营？"
    assert q.carried == ["瑞金医院金山院区"]
    weights = q.weighted_terms()
    assert weights["运营"] == 1.0 and weights["金山"] == 0.5 and "床位" not in weights
    # a standalone question, and a follow-up asking nothing of its own, are read as searched
    assert expand(FIRST, []).asked == FIRST
    assert expand("那停车位呢？", [FIRST]).asked == f"{FIRST} 那停车位呢？"
    # an earlier question that starts with a pronoun names no subject to carry
    earlier = "这次座谈会上长春和哪个地方达成了合作共识？"
    assert expand("那个地方被称作什么？", [earlier]).focus == ""
    # English follow-ups are read with the earlier question, as before
    assert expand("When does it open?", ["How many beds does Jinshan have?"]).focus == ""


def test_the_subject_of_a_question_is_its_words_before_the_predicate():
    assert subject("瑞金医院无锡分院是哪一年建院的？") == "瑞金医院无锡分院"
    assert subject("华老伯被送到瑞金医院无锡分院的时候多大年纪？") == "华老伯"
    assert subject("安岚城际全线最长的隧道叫什么名字？") == "安岚城际全线最长的隧道"
    # a verb naming the noun after it is part of the name (救治 in 救治中心)
    assert (
        subject("瑞金医院紧急医学救治中心项目设置了多少张医疗床位？")
        == "瑞金医院紧急医学救治中心项目"
    )
    assert subject("这次座谈会上长春和哪个地方达成了合作共识？") == ""  # a pronoun first
    assert subject("谁是院长？") == ""
    assert subject("今年1至10月吞吐量是多少？") == ""  # no noun before the preposition


def test_a_follow_up_naming_a_sibling_swaps_it_in():
    """ "那西坡牧场呢？" after a question about 东滩牧场 asks the same of the other farm: the two
    names end with the same head noun (牧场), so the follow-up names one of a kind."""
    assert (
        expand("那西坡牧场呢？", ["东滩牧场存栏多少头奶牛？"]).standalone
        == "西坡牧场存栏多少头奶牛？"
    )
    assert (
        expand("下半年呢？", ["2024年上半年新增几家企业？"]).standalone
        == "2024年下半年新增几家企业？"
    )
    # nothing of the same kind, or two of them: read with the earlier question
    assert (
        expand("首发区面积呢？", ["械谷一期占地多大？"]).standalone
        == "械谷一期占地多大？ 首发区面积呢？"
    )
    two = "东滩牧场和北坡牧场各存栏多少头？"
    assert expand("那西坡牧场呢？", [two]).standalone == f"{two} 那西坡牧场呢？"


def test_a_rewritten_question_is_read_as_written():
    """The LLM's rewrite of a follow-up replaces the offline reading of it, focus and all."""
    q = expand("它预计哪一年投入运营？", [FIRST]).rewritten("瑞金医院金山院区一期哪年投入运营？")
    assert q.standalone == q.asked == "瑞金医院金山院区一期哪年投入运营？"
    assert q.history == [FIRST]

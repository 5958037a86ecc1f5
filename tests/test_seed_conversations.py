"""The default (rule-based) reader on the seeds, through the real chain: the UI's example
questions, follow-ups after an unrelated turn, and input that is not words."""

from __future__ import annotations

from assistant.ui.i18n import EXAMPLES

FIRST, FOLLOW_UP, ENGLISH, OFF_TOPIC = EXAMPLES


def test_the_english_example_finds_the_400_beds(seeded_assistant):
    """Jinshan and Ruijin, written in pinyin, find 金山 and 瑞金 by BM25 in every reader."""
    a = seeded_assistant.ask(ENGLISH)
    assert not a.refused
    assert "400张" in a.answer
    assert any("400张" in c.text for c in a.citations)


def test_an_unrelated_earlier_turn_is_not_carried(seeded_assistant):
    a = seeded_assistant.ask("那二期呢？", ["华老伯的手术做了多长时间？", FIRST])
    assert a.standalone_question == FIRST.replace("一期", "二期")
    assert "800张" in a.answer


def test_keyboard_mashing_is_refused_even_after_a_question(seeded_assistant):
    for mashing in ("asdkjh qwe zzz", "jjjkkk;;lll哦哦哦"):
        for history in ([], [FIRST]):
            a = seeded_assistant.ask(mashing, history)
            assert a.refused and a.citations == []
            assert a.standalone_question == mashing


def test_the_example_follow_up_and_off_topic_question(seeded_assistant):
    assert "2026年" in seeded_assistant.ask(FOLLOW_UP, [FIRST]).answer
    assert seeded_assistant.ask(OFF_TOPIC).refused

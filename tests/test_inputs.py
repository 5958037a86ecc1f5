"""Question and history validation, and the vocabulary gate (assistant/answering/inputs.py)."""

from __future__ import annotations

import pytest

from assistant.answering.inputs import answerable_terms, clean_history, clean_question
from assistant.errors import InputError
from assistant.settings import AnswerSettings

S = AnswerSettings()
KNOWN = {"床位", "金山", "院区"}.__contains__


def test_invisible_and_control_characters_go():
    assert clean_question("\u200b金山\x07院区\u202e床位\t多少\n", S) == "金山院区床位 多少"
    assert clean_question("\x1b[31m床位\x1b[0m", S) == "床位"


@pytest.mark.parametrize("bad", ["", "   ", "\u200b\u200c\u200d\u2060\ufeff", "\x00\x01"])
def test_nothing_visible_is_empty(bad):
    with pytest.raises(InputError, match="empty"):
        clean_question(bad, S)


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["q"], {"q": 1}])
def test_non_text_is_an_input_error(bad):
    with pytest.raises(InputError, match="must be text"):
        clean_question(bad, S)


def test_lone_surrogates_are_an_input_error():
    with pytest.raises(InputError, match="surrogates"):
        clean_question("床位\udc80", S)


def test_history_is_capped_per_item_in_turns_and_in_total():
    settings = AnswerSettings(max_history_turns=3, max_history_item_chars=10, max_history_chars=12)
    with pytest.raises(InputError, match="history item 2"):
        clean_history(["短", "长" * 11], settings)
    assert clean_history(["一", "二", "三", "四"], settings) == ["二", "三", "四"]
    assert clean_history(["一二三四五", "六七八九十", "甲乙丙"], settings) == [
        "六七八九十",
        "甲乙丙",
    ]
    assert clean_history(None, settings) == []
    with pytest.raises(InputError, match="list"):
        clean_history("a string", settings)
    with pytest.raises(InputError, match="must be text"):
        clean_history([None], settings)


@pytest.mark.parametrize(
    ("question", "answerable"),
    [
        ("金山院区床位多少？", True),
        ("火星上有多少人？", True),  # Chinese: the evidence checks refuse it naming sources
        ("How many beds?", True),  # cross-lingual: dense retrieval may find it
        ("？？？", False),
        ("<script>alert(1)</script>", False),
        ("SELECT name FROM users WHERE 1=1", False),
        ("{{ config.items() }}", False),
        ("😀🎉", False),
        ("Сколько коек?", False),
        ("12345", False),
        ("asdkjh qwe zzz", False),  # keyboard mashing: no known term, no English word
        ("jjjkkk;;lll哦哦哦", False),  # mostly Latin mashing, a Chinese interjection at its end
        ("How many 床位 are planned?", True),  # English with a Chinese term
        ("What is the Mars base?", True),  # English: refused later, naming the closest sources
    ],
)
def test_the_vocabulary_gate(question, answerable):
    assert answerable_terms(question, KNOWN) is answerable

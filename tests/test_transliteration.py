"""Names written in pinyin matched to the index's Chinese terms."""

from __future__ import annotations

from assistant.text.transliteration import chinese_terms

VOCAB = frozenset({"瑞金", "金山", "医院", "床位", "一期", "嘉定", "无锡", "金", "山"})


def test_pinyin_names_find_their_chinese_terms():
    found = chinese_terms("How many beds at Ruijin Hospital's Jinshan campus?", VOCAB)
    assert found == ["瑞金", "金山"]
    assert chinese_terms("the Jiading and wuxi sites", VOCAB) == ["嘉定", "无锡"]
    assert chinese_terms("jin shan", VOCAB) == ["金山"]  # two words spelling one name


def test_ordinary_words_and_single_characters_do_not_match():
    assert chinese_terms("How many beds are planned?", VOCAB) == []
    assert chinese_terms("瑞金医院", VOCAB) == []  # no Latin words

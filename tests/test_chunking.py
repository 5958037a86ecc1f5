"""Chunking: exact offsets, sizes in tokens, sentence boundaries, deterministic ids."""

from __future__ import annotations

import pytest
from conftest import SEEDS

from assistant.ingest.chunking import chunk_document, chunk_id, count_tokens
from assistant.ingest.cleaning import clean_document
from assistant.ingest.loading import load_text
from assistant.text.segmentation import sentences

SIZE, OVERLAP = 200, 40


@pytest.fixture(scope="module")
def seed_docs():
    return [clean_document(load_text(p), p.name) for p in sorted(SEEDS.glob("*.txt"))]


@pytest.fixture(scope="module")
def seed_chunks(seed_docs):
    return [(doc, chunk_document(doc, SIZE, OVERLAP)) for doc in seed_docs]


def stub(text: str, source: str = "stub.txt"):
    return clean_document(text, source)


def test_offsets_are_exact(seed_chunks):
    for doc, chunks in seed_chunks:
        assert chunks
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert c.text.strip() == c.text and c.text


def test_chunks_cover_the_document_in_order(seed_chunks):
    for doc, chunks in seed_chunks:
        assert [c.index for c in chunks] == list(range(len(chunks)))
        starts = [c.start for c in chunks]
        assert starts == sorted(starts)
        assert chunks[0].start == 0 and chunks[-1].end == len(doc.text)
        for a, b in zip(chunks, chunks[1:], strict=False):
            gap = doc.text[a.end : b.start]
            assert not gap.strip(), f"text lost between chunks: {gap[:40]!r}"


def test_sizes_within_one_and_a_half_times(seed_chunks):
    for _, chunks in seed_chunks:
        for c in chunks:
            assert count_tokens(c.text) <= 1.5 * SIZE, (c.source, c.index, count_tokens(c.text))


def test_sizes_respect_a_smaller_setting(seed_docs):
    for doc in seed_docs[:2]:
        for c in chunk_document(doc, 80, 10):
            assert count_tokens(c.text) <= 1.5 * 80


def test_never_cuts_inside_a_sentence_that_fits(seed_chunks):
    for doc, chunks in seed_chunks:
        spans = sentences(doc.text)
        for c in chunks:
            for s, e in spans:
                fits = count_tokens(doc.text[s:e]) <= SIZE
                if fits and (s < c.start < e or s < c.end < e):
                    pytest.fail(
                        f"{doc.source} chunk {c.index} cuts the sentence {doc.text[s:e][:40]!r}"
                    )


def test_long_sentence_is_cut_only_when_it_must_be():
    long_sentence = (
        "，".join(f"第{i}项措施涉及医疗器械产业的创新发展与临床转化" for i in range(60)) + "。"
    )
    doc = stub("标题\n" + long_sentence + "\n短句在这里结束。")
    chunks = chunk_document(doc, 100, 20)
    assert len(chunks) > 2
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert count_tokens(c.text) <= 150
        if c.end < len(doc.text):  # cut at a clause mark, not mid-phrase
            assert c.text[-1] in "，,。\n" or doc.text[c.end] in "\n", c.text[-10:]


def test_ids_deterministic_and_unique(seed_docs, seed_chunks):
    again = [chunk_document(doc, SIZE, OVERLAP) for doc in seed_docs]
    first_ids = [c.id for _, chunks in seed_chunks for c in chunks]
    assert first_ids == [c.id for chunks in again for c in chunks]
    assert len(first_ids) == len(set(first_ids))


def test_id_depends_on_source_content_and_index():
    base = chunk_id("a.txt", "h1", 0)
    assert base == chunk_id("a.txt", "h1", 0)
    assert (
        len(
            {
                base,
                chunk_id("b.txt", "h1", 0),
                chunk_id("a.txt", "h2", 0),
                chunk_id("a.txt", "h1", 1),
            }
        )
        == 4
    )


def test_changed_text_changes_ids():
    a = chunk_document(stub("标题\n瑞金医院金山院区一期规划床位400张。"), SIZE, OVERLAP)
    b = chunk_document(stub("标题\n瑞金医院金山院区一期规划床位500张。"), SIZE, OVERLAP)
    assert {c.id for c in a}.isdisjoint({c.id for c in b})


def test_small_heading_is_merged_not_alone():
    doc = stub(
        "金山院区\n\n" + "瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。" * 3
    )
    chunks = chunk_document(doc, SIZE, OVERLAP)
    assert len(chunks) == 1
    assert chunks[0].text.startswith("金山院区")


def test_metadata_round_trip(seed_chunks):
    from assistant.schema import Chunk

    c = seed_chunks[2][1][3]
    assert Chunk.from_record(c.id, c.text, c.metadata()) == c

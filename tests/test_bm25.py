"""BM25 over jieba terms and its on-disk cache keyed by the store's fingerprint."""

from __future__ import annotations

from fakes.chunks import make_chunk

from assistant.index.bm25 import BM25Index, load_or_build
from assistant.schema import Chunk


def chunk(i: int, text: str) -> Chunk:
    return make_chunk(text, id=f"c{i}", source=f"s{i}.txt")


CHUNKS = [
    chunk(0, "瑞金医院金山院区一期规划床位400张,二期规划床位800张。"),
    chunk(1, "庞大的单孔腔镜手术机器人顺利完成了动物胃大部切除术。"),
    chunk(2, "姑苏区加快推进数字产业化和产业数字化。"),
]


def test_search_ranks_the_matching_chunk_first():
    index = BM25Index.build(CHUNKS)
    hits = index.search("手术机器人", 3)
    assert hits[0][0].id == "c1"
    assert all(score > 0 for _, score in hits)


def test_search_with_unknown_terms_is_empty():
    index = BM25Index.build(CHUNKS)
    assert index.search("天气预报", 3) == []
    assert index.search("的 了 吗", 3) == []


def test_empty_index():
    index = BM25Index.build([])
    assert index.search("瑞金医院", 5) == []


def test_idf_rarer_terms_weigh_more():
    index = BM25Index.build(CHUNKS + [chunk(3, "瑞金医院的新闻。"), chunk(4, "瑞金医院海南医院。")])
    assert index.idf("手术") > index.idf("瑞金")
    assert index.idf("从未出现") > index.idf("手术")


def test_save_and_load_round_trip(tmp_path):
    index = BM25Index.build(CHUNKS)
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert loaded.chunks == CHUNKS
    assert [c.id for c, _ in loaded.search("数字产业化", 2)] == [
        c.id for c, _ in index.search("数字产业化", 2)
    ]


def test_load_or_build_uses_the_cache(tmp_path):
    calls = []

    def chunks_fn():
        calls.append(1)
        return CHUNKS

    load_or_build(tmp_path, "fp1", chunks_fn)
    load_or_build(tmp_path, "fp1", chunks_fn)
    assert len(calls) == 1
    load_or_build(tmp_path, "fp2", chunks_fn)
    assert len(calls) == 2
    assert [p.name for p in tmp_path.glob("bm25-*")] == ["bm25-fp2"]  # the stale cache is gone


def test_damaged_cache_is_rebuilt(tmp_path):
    load_or_build(tmp_path, "fp1", lambda: CHUNKS)
    (tmp_path / "bm25-fp1" / "index.json").write_text("{broken", encoding="utf-8")
    index = load_or_build(tmp_path, "fp1", lambda: CHUNKS)
    assert index.search("手术机器人", 1)[0][0].id == "c1"

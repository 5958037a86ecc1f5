"""Hybrid retrieval: RRF fusion math, and the BM25 cache across instances and changes."""

from __future__ import annotations

import pytest
from fakes.embeddings import HashEmbeddings

from assistant.answering.retrieval import HybridSearch
from assistant.index.bm25 import BM25Index
from assistant.ingest.chunking import chunk_document
from assistant.ingest.cleaning import clean_document
from assistant.schema import Chunk
from assistant.settings import Settings


def chunk(name: str, source: str = "a.txt", doc_hash: str = "h") -> Chunk:
    return Chunk(
        id=name, source=source, title="", doc_hash=doc_hash, index=0, start=0, end=1, text=name
    )


@pytest.fixture
def retriever(fake_store):
    r = HybridSearch(fake_store, HashEmbeddings(), Settings())
    r._committed = {("a.txt", "h")}
    return r


def test_rrf_fusion_math(retriever):
    a, b, c, d = chunk("A"), chunk("B"), chunk("C"), chunk("D")
    fused = retriever.fuse([(a, 0.9), (b, 0.8), (c, 0.7)], [(c, 5.0), (d, 4.0), (a, 3.0)])
    scores = {r.chunk.id: r.score for r in fused}
    assert scores["A"] == pytest.approx(1 / 61 + 1 / 63)
    assert scores["B"] == pytest.approx(1 / 62)
    assert scores["C"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["D"] == pytest.approx(1 / 62)
    assert [r.chunk.id for r in fused][:2] in (["A", "C"], ["C", "A"])
    by_id = {r.chunk.id: r for r in fused}
    assert (by_id["A"].dense_rank, by_id["A"].bm25_rank, by_id["A"].dense_score) == (1, 3, 0.9)
    assert (by_id["D"].dense_rank, by_id["D"].bm25_rank, by_id["D"].dense_score) == (None, 2, None)


def test_rrf_weights_and_k(retriever):
    retriever.settings.retrieval.rrf_k = 10
    retriever.settings.retrieval.dense_weight = 2.0
    retriever.settings.retrieval.bm25_weight = 0.5
    fused = retriever.fuse([(chunk("A"), 0.5)], [(chunk("B"), 1.0), (chunk("A"), 0.5)])
    scores = {r.chunk.id: r.score for r in fused}
    assert scores["A"] == pytest.approx(2.0 / 11 + 0.5 / 12)
    assert scores["B"] == pytest.approx(0.5 / 11)
    assert [r.chunk.id for r in fused] == ["A", "B"]


def test_dense_hits_of_uncommitted_documents_are_dropped(retriever):
    fused = retriever.fuse([(chunk("X", doc_hash="old"), 0.99), (chunk("A"), 0.5)], [])
    assert [r.chunk.id for r in fused] == ["A"]
    assert fused[0].dense_rank == 1  # ranks count only committed hits


DOCS = {
    "beds.txt": "金山院区\n瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。一期规划床位400张,二期规划床位800张。",
    "robot.txt": "远程手术\n庞大的单孔腔镜手术机器人灵活地操作着精密的器械,顺利完成了动物胃大部切除术。",
}


def put(store, text, source):
    doc = clean_document(text, source)
    store.put_document(doc, chunk_document(doc, 200, 40))


@pytest.fixture
def filled(fake_store):
    for source, text in DOCS.items():
        put(fake_store, text, source)
    return fake_store


@pytest.fixture
def count_builds(monkeypatch):
    calls = []
    real = BM25Index.build.__func__

    def counting(cls, chunks, **kwargs):
        calls.append(len(chunks))
        return real(cls, chunks, **kwargs)

    monkeypatch.setattr(BM25Index, "build", classmethod(counting))
    return calls


def test_retrieve_end_to_end_with_fake_embedder(filled):
    r = HybridSearch(filled, HashEmbeddings(), Settings())
    timings = {}
    hits = r.retrieve("手术机器人完成了什么手术？", timings)
    assert hits[0].chunk.source == "robot.txt"
    assert hits[0].bm25_rank == 1 and hits[0].dense_rank is not None
    assert set(timings) >= {"embed", "dense", "bm25", "fuse"}
    assert len(hits) <= Settings().retrieval.top_n


def test_bm25_cache_reused_across_instances(filled, count_builds):
    settings = Settings()
    HybridSearch(filled, HashEmbeddings(), settings).retrieve("金山院区床位")
    assert count_builds == [2]
    for _ in range(2):
        HybridSearch(filled, HashEmbeddings(), settings).retrieve("金山院区床位")
    assert count_builds == [2], "the BM25 index was rebuilt although nothing changed"


def test_bm25_rebuilt_after_a_change(filled, count_builds):
    settings = Settings()
    r = HybridSearch(filled, HashEmbeddings(), settings)
    r.retrieve("姑苏区数字经济")
    assert count_builds == [2]
    put(
        filled,
        "姑苏数字经济\n姑苏区加快推进数字产业化和产业数字化,构筑数字经济产业竞争新优势。",
        "gusu.txt",
    )
    r.invalidate()
    hits = r.retrieve("姑苏区数字经济")
    assert count_builds == [2, 3]
    assert hits[0].chunk.source == "gusu.txt"
    filled.remove("gusu.txt")
    r.invalidate()
    assert all(h.chunk.source != "gusu.txt" for h in r.retrieve("姑苏区数字经济"))
    assert count_builds == [2, 3, 2]


def test_change_by_another_process_noticed_after_recheck(filled, count_builds, monkeypatch):
    import assistant.answering.retrieval as retrieval

    r = HybridSearch(filled, HashEmbeddings(), Settings())
    r.bm25()
    put(filled, "姑苏数字经济\n姑苏区加快推进数字产业化和产业数字化。", "gusu.txt")
    r.bm25()
    assert count_builds == [2]  # within RECHECK_S the cached index is used
    monkeypatch.setattr(retrieval, "RECHECK_S", -1.0)
    assert len(r.bm25().chunks) == 3

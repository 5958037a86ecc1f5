"""End to end on the real seeds: ingest, ask, refuse, follow up, re-ingest, forget."""

from __future__ import annotations

import pytest
from conftest import SEEDS

pytestmark = pytest.mark.slow

Q = "瑞金医院金山院区一期规划多少张床位？"
SEED_002 = "002_d8907abf42b39ccd.txt"


def test_seeds_are_all_indexed(seeded_assistant):
    sources = {r.source for r in seeded_assistant.sources()}
    assert sources == {p.name for p in SEEDS.glob("*.txt")}
    assert all(r.chunks > 0 for r in seeded_assistant.sources())


def test_answer_cites_the_right_document(seeded_assistant):
    a = seeded_assistant.ask(Q)
    assert not a.refused and "400张" in a.answer
    cited = [c for c in a.citations if c.source == SEED_002 and "400" in c.quote]
    assert cited
    c = cited[0]
    assert c.text[c.start : c.end] == c.quote
    document = seeded_assistant.document(SEED_002)
    assert (
        document.text[c.doc_start : c.doc_start + len(c.text)] == c.text
    )  # highlightable in place


def test_off_topic_question_refused(seeded_assistant):
    a = seeded_assistant.ask("北京今天的天气怎么样？")
    assert a.refused and not a.citations


def test_follow_up_question(seeded_assistant):
    first = seeded_assistant.ask(Q)
    a = seeded_assistant.ask("那二期呢？", history=[first.question])
    assert not a.refused and "800张" in a.answer
    assert any(c.source == SEED_002 and "800" in c.quote for c in a.citations)


def test_reingest_changes_nothing(seeded_assistant):
    before = sorted(seeded_assistant.store.chunks.get()["ids"])
    report = seeded_assistant.ingest([SEEDS])
    assert report.count("unchanged") == 5 and not report.changed and report.repaired == 0
    assert sorted(seeded_assistant.store.chunks.get()["ids"]) == before


def test_forget_removes_document_from_retrieval(seeded_assistant):
    assert seeded_assistant.forget(SEED_002)
    a = seeded_assistant.ask(Q)
    assert all(r.chunk.source != SEED_002 for r in a.retrieved)
    assert all(c.source != SEED_002 for c in a.citations)
    assert "400张" not in a.answer

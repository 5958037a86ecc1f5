"""PDF page numbers: found again in the cleaned text, kept by each chunk, carried by citations."""

from __future__ import annotations

from fakes.pdf import AURORA, make_pdf

from assistant.ingest.loading import load_text, pdf_pages
from assistant.ingest.pages import page_at, page_starts


def test_pages_of_a_hand_made_pdf(tmp_path):
    path = tmp_path / "aurora.pdf"
    path.write_bytes(make_pdf(AURORA))
    pages = pdf_pages(path.read_bytes())
    assert len(pages) == 3 and "42 researchers" in pages[1]
    assert "2031" in load_text(path)


def test_page_starts_survive_cleaning():
    from assistant.ingest.cleaning import clean_document

    pages = ["HEADER\nFirst page text here.\nmore", "HEADER\nSecond page opens.\n", "HEADER\n"]
    doc = clean_document("\n\n".join(pages), "x.pdf")
    starts = page_starts(pages, doc.text)
    assert [n for _, n in starts][:2] == [1, 2]
    second = doc.text.index("Second")
    assert page_at(second, starts) == 2 and page_at(0, starts) == 1
    assert page_at(5, []) is None


def test_ingested_pdf_chunks_and_citations_carry_their_page(fake_assistant, tmp_path):
    path = tmp_path / "aurora.pdf"
    path.write_bytes(make_pdf(AURORA))
    fake_assistant.settings.chunking.size = 30  # a chunk per page or so
    fake_assistant.settings.chunking.overlap = 0
    fake_assistant.ingest([path])
    chunks = list(fake_assistant.store.iter_chunks())
    assert {c.page for c in chunks} == {1, 2, 3}
    for c in chunks:
        if "42 researchers" in c.text and c.text.index("42") > 20:
            assert c.page == 2
    txt = tmp_path / "plain.txt"
    txt.write_text("没有页码的文档。这是正文。", encoding="utf-8")
    fake_assistant.ingest([txt])
    assert {c.page for c in fake_assistant.store.iter_chunks() if c.source == "plain.txt"} == {None}

"""Loading files: encodings, HTML, PDF, and the reasons a file is refused."""

from __future__ import annotations

import pytest
from fakes.pdf import make_pdf

from assistant.errors import IngestError
from assistant.ingest.loading import decode_bytes, html_to_text, load_text

ZH = "瑞金医院金山院区一期规划床位400张，二期规划床位800张。"


def test_utf8(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text(ZH, encoding="utf-8")
    assert load_text(p) == ZH


def test_utf8_bom_is_dropped(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"\xef\xbb\xbf" + ZH.encode("utf-8"))
    assert load_text(p) == ZH


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_chinese_file(tmp_path, encoding):
    text = (
        "上海交通大学医学院附属瑞金医院努力勇挑更多科技创新建设的探索性工作，朝着更高质量发展全力迈进。"
        * 3
    )
    p = tmp_path / "gbk.txt"
    p.write_bytes(text.encode(encoding))
    with pytest.raises(UnicodeDecodeError):
        p.read_bytes().decode("utf-8")
    assert load_text(p) == text


def test_markdown_is_text(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("# 标题\n\n" + ZH, encoding="utf-8")
    assert ZH in load_text(p)


def test_html_drops_script_and_style(tmp_path):
    html = (
        "<html><head><title>金山院区</title><style>body{color:red}</style>"
        "<script>var secret = 'tracking';</script></head>"
        f"<body><nav>首页 | 新闻</nav><p>{ZH}</p><script>alert(1)</script></body></html>"
    )
    p = tmp_path / "a.html"
    p.write_text(html, encoding="utf-8")
    text = load_text(p)
    assert ZH in text
    assert "金山院区" in text.split("\n")[0]  # the title leads
    for junk in ("secret", "alert", "color:red", "首页"):
        assert junk not in text


def test_html_to_text_keeps_paragraphs_apart():
    text = html_to_text("<p>第一段。</p><p>第二段。</p>")
    assert "第一段。" in text and "第二段。" in text
    assert "第一段。第二段。" not in text


def test_pdf_text(tmp_path):
    p = tmp_path / "a.pdf"
    p.write_bytes(make_pdf([["Ruijin Jinshan campus plans 400 beds."]]))
    assert "Ruijin Jinshan campus plans 400 beds." in load_text(p)


def test_broken_pdf_is_refused_with_reason(tmp_path):
    p = tmp_path / "bad.pdf"
    p.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    with pytest.raises(IngestError, match="PDF|text"):
        load_text(p)


def test_binary_file_is_refused(tmp_path):
    p = tmp_path / "image.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(IngestError, match="binary"):
        load_text(p)


@pytest.mark.parametrize("content", [b"", b"   \n\n\t  "])
def test_empty_file_is_refused(tmp_path, content):
    p = tmp_path / "empty.txt"
    p.write_bytes(content)
    with pytest.raises(IngestError, match="empty"):
        load_text(p)


@pytest.mark.parametrize("name", ["a.docx", "a.csv", "README"])
def test_unsupported_suffix_is_refused(tmp_path, name):
    p = tmp_path / name
    p.write_text(ZH, encoding="utf-8")
    with pytest.raises(IngestError, match="unsupported file type") as info:
        load_text(p)
    assert ".txt" in str(info.value)  # says what would work


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(IngestError, match="cannot read"):
        load_text(tmp_path / "gone.txt")


def test_utf16_with_bom_is_not_called_binary():
    data = "\ufeff".encode("utf-16-le") + "瑞金医院".encode("utf-16-le")
    assert "瑞金医院" in decode_bytes(data)

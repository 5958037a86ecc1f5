"""Read a file into text: .txt, .md, .html and .pdf, with encoding detection.

Chinese text files are often GB18030/GBK rather than UTF-8; `charset-normalizer`
decides when UTF-8 fails. Anything that is not text raises `IngestError` with the
reason, so the caller can skip the file and say why.
"""

from __future__ import annotations

import io
from pathlib import Path

from assistant.errors import IngestError

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


def load_text(path: Path) -> str:
    """The text of a file, or `IngestError` saying why it cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type {suffix or '(none)'}: use one of "
            + ", ".join(sorted(SUPPORTED_SUFFIXES))
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read the file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise IngestError("the file is empty")
    if suffix == ".pdf":
        text = _pdf_text(data)
    else:
        text = decode_bytes(data)
        if suffix in {".html", ".htm"}:
            text = html_to_text(text)
    if not text.strip():
        raise IngestError("the file holds no text")
    return text


def decode_bytes(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), else the detected encoding (GB18030 for GBK)."""
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError("the file looks binary (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError("cannot detect the text encoding; save the file as UTF-8")
    encoding = best.encoding.lower()
    if encoding in {"gbk", "gb2312", "hz", "gb18030"}:
        encoding = "gb18030"  # a superset: decodes everything GBK/GB2312 wrote
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise IngestError(f"cannot decode the text as {encoding}; save it as UTF-8") from exc


def html_to_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "nav", "footer", "header"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    body = soup.get_text("\n")
    return f"{title}\n\n{body}" if title and title not in body[:200] else body


def _pdf_text(data: bytes) -> str:
    return "\n\n".join(pdf_pages(data))


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF, in order (`IngestError` when it cannot be read)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError("the PDF is encrypted; save an unencrypted copy")
        return [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise IngestError(f"cannot parse the PDF: {exc}") from exc

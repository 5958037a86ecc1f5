"""Read a file into text: .txt, .md, .html and .pdf, with encoding detection.

Chinese text files are often GB18030/GBK rather than UTF-8; `charset-normalizer`
decides when UTF-8 fails, after UTF-16 without a BOM has been tried. A UTF-8 file with
a handful of bad bytes is read with them replaced (and a warning), not rejected.
Anything that is not text raises `IngestError` with the reason, so the caller can skip
the file and say why. Only regular files are opened, and never more than a size limit
is read: a FIFO, a device or a link to /dev/zero cannot hang or exhaust memory.
"""

from __future__ import annotations

import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import IngestError

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
# At most this share of bad bytes (or 8, for a short file) is repaired rather than rejected.
MAX_BAD_SHARE = 0.001
_PLAUSIBLE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\x20-\x7e\s\u2010-\u2027]")


@dataclass
class Loaded:
    text: str
    data: bytes  # the bytes read (their hash identifies the file's version)
    warnings: list[str] = field(default_factory=list)


def read_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes`, else `IngestError` with the reason."""
    try:
        info = os.stat(path)  # follows links: a link to /dev/zero is a device
    except OSError as exc:
        raise IngestError(f"cannot read the file: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "not a regular file"
        )
        raise IngestError(f"{kind}, not a regular file: only regular files are read")
    if info.st_size > max_bytes:
        raise IngestError(
            f"the file is {info.st_size / 1024 / 1024:.1f} MB; the limit is "
            f"{max_bytes / 1024 / 1024:g} MB (INGEST_MAX_FILE_MB)"
        )
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO after the check, open does not wait
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise IngestError("not a regular file: only regular files are read")
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise IngestError(f"cannot read the file: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise IngestError(
            f"the file grew past {max_bytes / 1024 / 1024:g} MB (INGEST_MAX_FILE_MB) while read"
        )
    return data


def load_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of a file, or `IngestError` saying why it cannot be read."""
    return load(path, max_bytes).text


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"unsupported file type {suffix or '(none)'}: use one of "
            + ", ".join(sorted(SUPPORTED_SUFFIXES))
        )
    return suffix


def load(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Loaded:
    """The text of a file with its bytes and any warnings, or `IngestError` saying why not."""
    suffix = check_suffix(path)
    return load_bytes(read_file(path, max_bytes), suffix)


def load_bytes(data: bytes, suffix: str) -> Loaded:
    """The text of a file's bytes (`suffix` says how to read them)."""
    warnings: list[str] = []
    if not data.strip():
        raise IngestError("the file is empty")
    if suffix == ".pdf":
        text = _pdf_text(data)
    else:
        text = decode_bytes(data, warnings)
        if suffix in {".html", ".htm"}:
            text = html_to_text(text)
    if not text.strip():
        raise IngestError("the file holds no text")
    return Loaded(text=text, data=data, warnings=warnings)


def _utf16_without_bom(data: bytes) -> str | None:
    """The text, when `data` reads as UTF-16 (either byte order) into plausible characters."""
    if len(data) < 4 or len(data) % 2:
        return None
    # ASCII in UTF-16 has its NUL byte first in big-endian order, second in little-endian
    big_first = data[0::2].count(0) > data[1::2].count(0)
    for encoding in ("utf-16-be", "utf-16-le") if big_first else ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:4000]
        if len(_PLAUSIBLE.findall(sample)) >= 0.97 * len(sample):
            return text
    return None


def decode_bytes(data: bytes, warnings: list[str] | None = None) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16, else the detected encoding (GB18030 for GBK).

    A handful of undecodable bytes in otherwise valid UTF-8 are replaced with U+FFFD and
    reported in `warnings`.
    """
    warnings = [] if warnings is None else warnings
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(
                "the file starts like UTF-16 but does not decode; save it as UTF-8"
            ) from exc
    nul = b"\x00" in data[:8192]  # valid UTF-8, but in text only as UTF-16's high bytes
    if not nul:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        warnings.append("read as UTF-16 without a byte-order mark")
        return utf16
    if nul:
        raise IngestError("the file looks binary (it contains NUL bytes), not text")
    repaired = data.decode("utf-8-sig", errors="replace")
    bad = repaired.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    if 0 < bad <= max(8, MAX_BAD_SHARE * len(data)):
        warnings.append(f"{bad} undecodable byte sequence(s) replaced with \ufffd")
        return repaired
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

"""Page numbers for the chunks of a PDF.

Cleaning changes offsets (NFKC, lines joined, boilerplate and repeated headers dropped),
so a page's start in the cleaned text is found again by its content: the first stretch
of a page's own text (whitespace ignored) that the cleaned text still holds, searched
after the previous page's start. A page whose every line was dropped (a cover, a page
of repeated headers) gets no start of its own and its text counts to the page before.
Each chunk then records the page it starts on (`Chunk.page`) and the pages that begin
inside it (`Chunk.page_breaks`), so a citation names the page of its quote.
"""

from __future__ import annotations

import bisect
import re

from assistant.ingest.cleaning import normalise
from assistant.schema import Chunk

ANCHOR = 12  # characters of a line that locate it (whitespace left out)
_SPACE = re.compile(r"\s+")


def page_starts(pages: list[str], cleaned: str) -> list[tuple[int, int]]:
    """(offset in `cleaned`, page number from 1) for every page found, in order."""
    squeezed, where = [], []
    for i, ch in enumerate(cleaned):
        if not ch.isspace():
            squeezed.append(ch)
            where.append(i)
    flat = "".join(squeezed)
    starts: list[tuple[int, int]] = []
    pos = 0
    for number, page in enumerate(pages, 1):
        for line in normalise(page).split("\n"):
            anchor = _SPACE.sub("", line)[:ANCHOR]
            if len(anchor) < 4:
                continue
            at = flat.find(anchor, pos)
            if at >= 0:
                starts.append((where[at], number))
                pos = at + 1
                break
    return starts


def page_at(offset: int, starts: list[tuple[int, int]]) -> int | None:
    """The page holding `offset` (the first found page for text before any start)."""
    if not starts:
        return None
    k = bisect.bisect_right([s for s, _ in starts], offset) - 1
    return starts[max(k, 0)][1]


def add_pages(chunks: list[Chunk], suffix: str, data: bytes, cleaned: str) -> None:
    """Set `page` on the chunks of a PDF read from `data` (other formats have no pages:
    left None)."""
    if suffix != ".pdf":
        return
    from assistant.ingest.loading import pdf_pages

    starts = page_starts(pdf_pages(data), cleaned)
    for chunk in chunks:
        chunk.page = page_at(chunk.start, starts)
        chunk.page_breaks = [
            (at - chunk.start, number) for at, number in starts if chunk.start < at < chunk.end
        ]

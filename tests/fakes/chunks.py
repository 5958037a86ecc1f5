"""Chunks and retrieval hits for unit tests, built the one way the pipeline builds them."""

from __future__ import annotations

from assistant.schema import Chunk, Retrieved


def make_chunk(
    text: str, *, id: str = "c0", source: str = "s.txt", title: str = "", start: int = 0
) -> Chunk:
    return Chunk(
        id=id,
        source=source,
        title=title,
        doc_hash="h",
        index=0,
        start=start,
        end=start + len(text),
        text=text,
    )


def make_hit(
    n: int,
    text: str,
    *,
    title: str = "",
    start: int = 0,
    dense: float | None = None,
    source: str | None = None,
) -> Retrieved:
    """The n-th hit (score 1/n) of chunk `id{n}` from `{n}.txt` unless told otherwise."""
    chunk = make_chunk(text, id=f"id{n}", source=source or f"{n}.txt", title=title, start=start)
    return Retrieved(chunk=chunk, score=1.0 / n, dense_score=dense)

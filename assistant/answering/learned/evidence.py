"""The sentences of the retrieved chunks as the learned reader reads them: in their own
case (its features were trained on the text as written; the rule-based reader's
`answering.evidence` lower-cases)."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.schema import Retrieved
from assistant.text.segmentation import sentences


@dataclass(frozen=True)
class Sentence:
    rank: int  # of its chunk in the retrieved list, from 0
    source: str
    start: int  # offsets in the chunk
    end: int
    text: str  # as in the chunk
    context: str  # its chunk and title


def split(retrieved: list[Retrieved]) -> list[Sentence]:
    """Every sentence of the retrieved chunks, in rank order."""
    out = []
    for rank, hit in enumerate(retrieved):
        chunk = hit.chunk.text
        context = chunk + hit.chunk.title
        out += [
            Sentence(rank, hit.chunk.source, s, e, chunk[s:e], context) for s, e in sentences(chunk)
        ]
    return out

"""Verify the citations of an answer after it was written.

The answer is split into claims (sentences with their [n] markers). A marker that
points to no retrieved source is removed. Each claim is checked against the chunk it
cites: every number in the claim must be in the chunk, and (for Chinese) most of the
claim's character bigrams must be in one or two consecutive sentences of it; a claim in
another language is checked by the numbers and by embedding similarity. Each citation
carries the supporting quote and its offsets in the chunk; unsupported claims are flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answering.reader import Picked
from assistant.schema import Citation, Claim, Retrieved
from assistant.text.segmentation import is_chinese, numbers, sentences

_MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,，、]\s*\d+)*)\]")
_CLAIM = re.compile(r".+?(?:[。!?;…\n]|\.(?=\s|$)|$)(?:\s*\[\d+(?:\s*[,，、]\s*\d+)*\])*", re.S)
_PHRASE_END = re.compile(r"[,，;；:：。!?！？\n]")
MIN_RECALL = 0.5
MIN_SIMILARITY = 0.82

Similarity = Callable[[str, Retrieved], float]


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"[\s\W_]+", "", text.lower())
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def find_support(
    claim: str, chunk: str, similarity: Callable[[], float] | None = None
) -> tuple[bool, int, int]:
    """Whether `chunk` supports `claim`, and the offsets of the supporting span in the chunk."""
    spans = sentences(chunk) or [(0, len(chunk))]
    windows = spans + [(a[0], b[1]) for a, b in zip(spans, spans[1:], strict=False)]
    claim_numbers = numbers(claim)
    numbers_ok = claim_numbers <= numbers(chunk)
    if is_chinese(claim) or not similarity:
        grams = _bigrams(claim)
        best = max(windows, key=lambda w: (len(grams & _bigrams(chunk[w[0] : w[1]])), w[0] - w[1]))
        found = len(grams & _bigrams(chunk[best[0] : best[1]]))
        start, end = _narrow(grams, found, claim_numbers, chunk, *best)
        return numbers_ok and found / max(len(grams), 1) >= MIN_RECALL, start, end
    # another language: the numbers must match and the meaning must be close
    best = max(spans, key=lambda s: (len(claim_numbers & numbers(chunk[s[0] : s[1]])), -s[0]))
    return numbers_ok and similarity() >= MIN_SIMILARITY, best[0], best[1]


def _keep_valid(marker: re.Match, valid: range) -> str:
    """A marker group without the numbers that point to no source ("[1, 7]" → "[1]")."""
    kept = [n for n in re.split(r"[,，、\s]+", marker.group(1)) if n and int(n) in valid]
    if not kept:
        return ""
    return marker.group(0)[: marker.start(1) - marker.start(0)] + ", ".join(kept) + "]"


def _narrow(
    grams: set[str], found: int, claim_numbers: set[str], chunk: str, start: int, end: int
) -> tuple[int, int]:
    """The shortest run of phrases of chunk[start:end] that holds the claim's numbers and at
    least half of the claim's bigrams the span holds: "一期规划床位400张", not the paragraph."""
    cuts = [start] + [m.end() for m in _PHRASE_END.finditer(chunk, start, end)] + [end]
    phrases = sorted({(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a})
    wanted = claim_numbers & numbers(chunk[start:end])
    best = (start, end)
    for i, (a, _) in enumerate(phrases):
        for _, b in phrases[i:]:
            if b - a >= best[1] - best[0]:
                break
            text = chunk[a:b]
            if wanted <= numbers(text) and 2 * len(grams & _bigrams(text)) >= found:
                best = (a, b)
                break
    a, b = best
    while a < b and (chunk[a].isspace() or _PHRASE_END.match(chunk[a])):
        a += 1
    while b > a and chunk[b - 1] in ",，;；:：、 \n":
        b -= 1
    return a, b


def split_claims(text: str) -> list[tuple[str, list[int]]]:
    claims = []
    for m in _CLAIM.finditer(text):
        raw = m.group(0)
        markers = [
            int(n) for group in _MARKERS.findall(raw) for n in re.split(r"[,，、\s]+", group) if n
        ]
        body = _MARKERS.sub("", raw).strip()
        if body or markers:
            claims.append((body, markers))
    return claims


def verify(
    text: str,
    retrieved: list[Retrieved],
    picked: list[Picked] | None = None,
    similarity: Similarity | None = None,
) -> tuple[str, list[Citation], list[Claim]]:
    """(answer text with invalid markers removed, citations by source number and quote, claims).

    With `picked` (an extractive answer) the claims are the quoted spans themselves, checked
    to be verbatim at their offsets; otherwise the text is split into claims and each is
    matched against the chunks it cites.
    """
    valid = range(1, len(retrieved) + 1)
    text = _MARKERS.sub(lambda m: _keep_valid(m, valid), text)
    if picked:
        return text, *_verify_quotes(picked, retrieved)
    citations: dict[tuple[int, int, int], Citation] = {}
    claims: list[Claim] = []
    for body, markers in split_claims(text):
        markers = [n for n in dict.fromkeys(markers) if n in valid]
        supported = False
        for n in markers:
            hit = retrieved[n - 1]
            sim = (lambda hit=hit, body=body: similarity(body, hit)) if similarity else None
            ok, start, end = find_support(body, hit.chunk.text, sim)
            supported = supported or ok
            if (n, start, end) not in citations:
                citations[(n, start, end)] = _citation(n, hit, start, end, ok)
        if body:
            claims.append(Claim(text=body, markers=markers, supported=supported))
    return text, [citations[k] for k in sorted(citations)], claims


def _verify_quotes(
    picked: list[Picked], retrieved: list[Retrieved]
) -> tuple[list[Citation], list[Claim]]:
    citations, claims = [], []
    for p in picked:
        hit = retrieved[p.n - 1]
        quote = hit.chunk.text[p.start : p.end]
        ok = 0 <= p.start < p.end <= len(hit.chunk.text) and bool(quote.strip())
        citations.append(_citation(p.n, hit, p.start, p.end, ok))
        claims.append(Claim(text=quote, markers=[p.n], supported=ok))
    return citations, claims


def _citation(n: int, hit: Retrieved, start: int, end: int, ok: bool) -> Citation:
    return Citation(
        n=n,
        source=hit.chunk.source,
        title=hit.chunk.title,
        chunk_id=hit.chunk.id,
        text=hit.chunk.text,
        quote=hit.chunk.text[start:end],
        start=start,
        end=end,
        doc_start=hit.chunk.start,
        supported=ok,
        page=hit.chunk.page_at(start),
    )

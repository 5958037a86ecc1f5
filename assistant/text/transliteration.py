"""Chinese names written in pinyin ("Ruijin Hospital's Jinshan campus") matched to the
index's Chinese terms (瑞金, 金山), so a question in English finds them by BM25.

Place, person and organisation names keep their pinyin in English text: that is how they
are written, not a translation, so the match is general. Only terms of two to four Chinese
characters are mapped (names; single characters would match everything), and only a whole
Latin word or two adjacent words ("jin shan") count.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Iterable

_CJK = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
# Building the map costs ~0.2 ms a term, once per process: beyond this many terms the first
# English question would wait seconds, so larger indexes go without (a map built at ingest
# would lift this).
MAX_TERMS = 50_000
_WORD = re.compile(r"[a-z]+")
_lock = threading.Lock()
_maps: dict[int, dict[str, list[str]]] = {}


def pinyin_map(vocab: Iterable[str]) -> dict[str, list[str]]:
    """pinyin without tones or spaces → the vocabulary's terms written so (built once per
    vocabulary object; ~0.3 s for 10,000 terms)."""
    key = id(vocab)
    with _lock:
        if key not in _maps:
            from pypinyin import lazy_pinyin

            out: dict[str, list[str]] = {}
            for term in vocab:
                if _CJK.match(term):
                    out.setdefault("".join(lazy_pinyin(term)), []).append(term)
            _maps.clear()  # one index at a time
            _maps[key] = out
        return _maps[key]


def chinese_terms(text: str, vocab: Collection[str]) -> list[str]:
    """The index's Chinese terms that the Latin words of `text` spell in pinyin."""
    words = _WORD.findall(text.lower())
    if not words or len(vocab) > MAX_TERMS:
        return []
    mapping = pinyin_map(vocab)
    found: list[str] = []
    for i, w in enumerate(words):
        for key in (w, w + words[i + 1] if i + 1 < len(words) else None):
            if key and len(key) >= 4 and key in mapping:
                found += mapping[key]
    return list(dict.fromkeys(found))

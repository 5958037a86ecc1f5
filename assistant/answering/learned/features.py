"""What the reader's model sees of a (question, candidate sentence) pair.

The same code computes the features when the model is trained (scripts/train_reader.py,
on public reading-comprehension data) and when it answers, so the two cannot drift.
Every feature is a number in a comparable range for any corpus: shares of the question's
IDF weight, cosines of e5 vectors, flags. What remains hand-written here is general: the
question words that say what kind of value is asked for, and the patterns of such values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.text.segmentation import tag, terms

# What kind of value a question asks for, from its question words (Chinese and English).
# These are the closed class of interrogatives, not words of any one document.
ASKS = {
    "number": re.compile(
        r"多少|(?<!哪)几[^乎]|多大|多长|多高|多久|多远|多重|比例|how (?:many|much|large|big|long|far|old)"
        r"|number of|percentage",
        re.I,
    ),
    "date": re.compile(
        r"何时|什么时候|哪[一]?年|几月|哪[一]?天|日期|when|what year|what date|which year", re.I
    ),
    "person": re.compile(r"谁|哪位|哪个人|什么人|\bwho\b|\bwhom\b", re.I),
    "place": re.compile(r"哪里|哪儿|在哪|哪个(?:城市|国家|省|地区|区)|什么地方|\bwhere\b", re.I),
    "reason": re.compile(r"为什么|为何|原因|怎么会|\bwhy\b", re.I),
}
# Values of those kinds in a sentence. Numbers with a measure word or unit, dates, and for
# names jieba's part-of-speech tags (nr person, ns place, nt organisation).
# A lone 一 with a measure word is mostly an article ("一条新消息"), not a count.
_NUMBER = re.compile(
    r"\d|(?!一[个项家位名张所座条种次件篇])"
    r"[一二两三四五六七八九十百千万亿半]+[余多]?[个项家位名张所座条种次亿万元件篇亩岁年天米倍%％]"
)
_DATE = re.compile(
    r"\d{3,4}年|\d{1,2}月|\d{1,2}日|[一二三四五六七八九十]+月|世纪|年代|去年|今年|明年"
)
_REASON = re.compile(r"因为|由于|因此|所以|为了|导致|原因|以便|because|due to", re.I)
_NAME_TAGS = {"person": {"nr", "nrfg", "nrt"}, "place": {"ns"}}
# Constraint terms that narrow what is asked: years, ordinals and phases (二期, 第三届),
# and numbers. A sentence that holds a different value of the same pattern is a near miss.
_CONSTRAINT = re.compile(
    r"^(?:\d{4}年?|\d+(?:\.\d+)?|第?[一二三四五六七八九十两\d]+[期届批轮号次代]|[上下]半年)$"
)
_DIGITS = re.compile(r"[一二三四五六七八九十两\d]+")
_PROPER = {"nr", "nrfg", "nrt", "ns", "nt", "nz"}
_CLAUSES = re.compile(r"[^,，;；:：。!?！？]+")
_PUNCT = re.compile(r"[\W_]+")
_QWORDS = re.compile(
    r"什么|多少|哪[些个里儿位年天一]?|几|谁|怎么|怎样|如何|为什么|为何|是否|吗|呢|请问|"
    r"what|which|who|whom|when|where|why|how|many|much|is|are|was|were|did|does|do|the|a|an|of",
    re.I,
)

NAMES = [
    "cos",
    "cos_gap",
    "cos_rank",
    "cover",
    "cover_gap",
    "cover_ctx",
    "chars",
    "bigrams",
    "rare_sent",
    "rare_ctx",
    "asks_value",
    "type_match",
    "type_any",
    "bind_sent",
    "bind_ctx",
    "clash",
    "novelty",
    "length",
    "heading",
    "chunk_best_cos",
    "ctx_gap",
    "focus_sent",
    "focus_bound",
    "cover_mix",
    "cover_mix_gap",
    "cover_local",
    "cover_local_gap",
    "has_vectors",
    "latin_question",
]


@dataclass(frozen=True)
class Candidate:
    text: str  # the sentence
    context: str  # its chunk (with the title)
    chunk: int  # which retrieved chunk (rank, from 0)


@dataclass(frozen=True)
class Question:
    text: str
    weights: dict[str, float]  # its terms, weighted by IDF (normalised here)
    asks: list[str]  # kinds of value asked for
    constraints: list[str]  # years, phases, numbers, proper nouns it names
    rarest: str | None
    focus: list[str]  # the terms next to the question word: what is asked about (床位)
    latin: bool  # not Chinese: only the e5 features can match it to Chinese text


def analyse(text: str, idf) -> Question:
    """The question's terms and what it asks: computed once per question (or part)."""
    lower = text.lower()
    ts = list(dict.fromkeys(terms(lower)))
    weights = {t: max(idf(t), 0.05) for t in ts}
    total = sum(weights.values()) or 1.0
    weights = {t: w / total for t, w in weights.items()}
    asks = [kind for kind, pattern in ASKS.items() if pattern.search(lower)]
    constraints = [t for t in ts if _CONSTRAINT.match(t)]
    constraints += [w for w, f in tag(text) if f in _PROPER and len(w) >= 2 and w.lower() in ts]
    rarest = max(weights, key=weights.__getitem__) if weights else None
    focus = _focus(lower, ts)
    letters = [c for c in text if c.isalpha()]
    cjk = sum("\u3400" <= c <= "\u9fff" for c in letters)
    return Question(
        text=lower,
        weights=weights,
        asks=asks,
        constraints=list(dict.fromkeys(c.lower() for c in constraints)),
        rarest=rarest,
        focus=focus,
        latin=bool(letters) and cjk < 0.3 * len(letters),
    )


def has_value(kind: str, sentence: str, tags: list[tuple[str, str]] | None = None) -> bool:
    """Whether `sentence` holds a value of the kind asked for."""
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "reason":
        return bool(_REASON.search(sentence))
    wanted = _NAME_TAGS.get(kind)
    if wanted and tags is not None:
        return any(f in wanted for _, f in tags)
    return False


def matrix(
    q: Question,
    candidates: list[Candidate],
    qvec: np.ndarray | None = None,
    svecs: np.ndarray | None = None,
) -> np.ndarray:
    """One row of `NAMES` per candidate. `qvec` and `svecs` are unit e5 vectors (or None)."""
    n = len(candidates)
    out = np.zeros((n, len(NAMES)), dtype=np.float32)
    if not n:
        return out
    has_vectors = qvec is not None and svecs is not None and len(svecs) == n
    if qvec is not None and svecs is not None and has_vectors:
        cos = svecs @ qvec
        order = np.argsort(-cos)
        rank = np.empty(n)
        rank[order] = np.arange(n)
    else:  # another embedding model, or none: the e5 features say nothing
        cos = np.zeros(n, dtype=np.float32)
        rank = np.full(n, np.inf)
    qchars = set(_PUNCT.sub("", _QWORDS.sub("", q.text)))
    qgrams = _grams(q.text)
    cover = np.array([_cover(q.weights, c.text) for c in candidates])
    best_cos_by_chunk: dict[int, float] = {}
    for c, v in zip(candidates, cos, strict=True):
        best_cos_by_chunk[c.chunk] = max(best_cos_by_chunk.get(c.chunk, -1.0), float(v))
    top_chunk = max(best_cos_by_chunk.values())
    cover_ctx = np.array([_cover(q.weights, c.context.lower()) for c in candidates])
    mix = np.array([_mix(q.weights, c.text.lower(), c.context.lower()) for c in candidates])
    local = _local(q.weights, [c.text.lower() for c in candidates])
    needs_tags = any(k in _NAME_TAGS for k in q.asks)
    for i, c in enumerate(candidates):
        text = c.text.lower()
        ctx = c.context.lower()
        tags = _tags(c.text) if needs_tags else None
        matches = [has_value(k, text, tags) for k in q.asks]
        bound = [t for t in q.constraints if t in text]
        in_ctx = [t for t in q.constraints if t in ctx]
        chars = set(_PUNCT.sub("", text))
        out[i] = (
            cos[i],
            cos[i] - cos.max(),
            1.0 / (1.0 + rank[i]),
            cover[i],
            cover[i] - cover.max(),
            cover_ctx[i],
            len(qchars & chars) / max(1, len(qchars)),
            len(qgrams & _grams(text)) / max(1, len(qgrams)),
            float(q.rarest is not None and q.rarest in text),
            float(q.rarest is not None and q.rarest in ctx),
            float(bool(q.asks)),
            float(any(matches)) if q.asks else 0.0,
            float(bool(_NUMBER.search(text) or _DATE.search(text))),
            len(bound) / len(q.constraints) if q.constraints else 1.0,
            len(in_ctx) / len(q.constraints) if q.constraints else 1.0,
            float(_clash(q.constraints, text)),
            len(chars - set(q.text)) / max(1, len(chars)),
            math.log1p(len(text)),
            float(len(text) < 12 or not re.search(r"[。.!?！？;；”\"」)]$", text)),
            best_cos_by_chunk[c.chunk] - top_chunk,
            cover_ctx[i] - cover_ctx.max(),
            sum(f in text for f in q.focus) / len(q.focus) if q.focus else 0.0,
            float(_bound(q, text)),
            mix[i],
            mix[i] - mix.max(),
            local[i],
            local[i] - local.max(),
            float(has_vectors),
            float(q.latin),
        )
    return out


def _focus(question: str, ts: list[str]) -> list[str]:
    """The terms within a few characters of the question word ("规划多少张床位" → 规划, 床位;
    "院长是谁" → 院长): the thing whose value is asked for. The window spans a Chinese
    measure phrase after the question word and a short predicate before it."""
    out = []
    for pattern in ASKS.values():
        for m in pattern.finditer(question):
            window = question[max(0, m.start() - 3) : m.end() + 5]
            out += [t for t in ts if t in window and not _CONSTRAINT.match(t)]
    return list(dict.fromkeys(out))


def _bound(q: Question, text: str) -> bool:
    """Some clause of the sentence holds both a focus term and a value of the asked kind:
    "一期规划床位400张" binds 床位 to a number; "占地面积共228亩" does not."""
    if not q.focus or not q.asks:
        return False
    for clause in _CLAUSES.findall(text):
        if any(f in clause for f in q.focus) and any(has_value(k, clause) for k in q.asks):
            return True
    return False


@lru_cache(maxsize=8192)
def _tags(sentence: str) -> list[tuple[str, str]]:
    """Dictionary-only tags of a sentence (the HMM costs ~2 ms a sentence), cached: the
    same sentences come back question after question."""
    return tag(sentence, hmm=False)


def _cover(weights: dict[str, float], text: str) -> float:
    return sum(w for t, w in weights.items() if t in text)


def _mix(weights: dict[str, float], text: str, context: str) -> float:
    """Coverage with the chunk as context at 0.6: news names its subject once and then
    writes "该项目", so a term in the chunk counts, less than one in the sentence."""
    return sum(w * (1.0 if t in text else 0.6 if t in context else 0.0) for t, w in weights.items())


def _local(weights: dict[str, float], texts: list[str]) -> np.ndarray:
    """Coverage with each term weighted by how few candidates hold it: a term in every
    sentence (the article's subject) cannot tell them apart; the asked thing (床位) can."""
    n = len(texts)
    local = {t: w * math.log(1 + n / (1 + sum(t in x for x in texts))) for t, w in weights.items()}
    total = sum(local.values()) or 1.0
    return np.array([sum(v for t, v in local.items() if t in x) / total for x in texts])


def _grams(text: str) -> set[str]:
    text = _PUNCT.sub("", text.lower())
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _clash(constraints: list[str], text: str) -> bool:
    """The question names 二期 (or 2021年) and the sentence holds another phase (year) but not it."""
    return any(c not in text and another(c, text) for c in constraints)


def is_constraint(term: str) -> bool:
    """A year, an ordinal or phase (二期, 第三届), or a number: what narrows a question."""
    return bool(_CONSTRAINT.match(term))


def another(constraint: str, text: str) -> bool:
    """`text` holds a value of the constraint's shape (一期 for 二期, 2022年 for 2021年)."""
    pattern = shape(constraint)
    return pattern is not None and pattern.search(text) is not None


def shape(constraint: str) -> re.Pattern[str] | None:
    """The pattern of a constraint's values: 二期 → any phase, 2021年 → any year; None for a
    term that is no constraint or has no numeral."""
    if not _CONSTRAINT.match(constraint):
        return None
    form = _DIGITS.sub("#", constraint)
    if form == constraint:
        return None
    return re.compile("".join(_DIGITS.pattern if ch == "#" else re.escape(ch) for ch in form))

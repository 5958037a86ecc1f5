"""Chinese-aware segmentation shared by retrieval, answering and verification.

Terms come from jieba (search mode, so long words also yield their parts); sentences
split after 。!?;… (the half-width forms are what NFKC leaves) and at line breaks,
keeping character offsets.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.text.dictionary import Tokenizer

_SENTENCE = re.compile(r"[^。!?;…\n]+(?:[。!?;…]+[”’\"」』)]*)?|[。!?;…]+")
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")

# Question words and function words that carry no topic (Chinese and English).
STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 也 都 就 而 有 为 对 把 被 从 到 将 于 以 由 等 这 那 这个 那个 其 之 中 上 下
    吗 呢 吧 啊 么 什么 多少 哪些 哪个 哪里 哪儿 哪 几 几个 怎么 怎样 如何 为什么 是否 是不是 有没有 请问
    请 告诉 介绍 一下 说说 谁 何时 何 时候 什么时候 哪年 哪一年 多大 多长 多久 分别 各 主要 具体 情况 方面
    我 你 他 她 它 我们 你们 他们 它们 该 此 可以 能 会 要 还 又 并 但 而且 以及 关于 通过 进行 已经 目前
    the a an of in on at to for and or is are was were be been what which who whom whose when where why how
    many much does did do has have had with by from about as that this these those it its their there any
    tell me please can could would should will project projects
    跟 叫 叫做 称为 是谁 哪位 哪家 哪几 哪几个 哪几家 哪几项 哪天 哪一天 几项 几家 几位 几名 几张 几年 一共 总共
    整个 全部 所有 相关 有关 现在 当时 之前 之后 曾经 为何 什么样 怎么样 有何 做了 做过 有着 属于 指 指的是 来说 说 讲 提到 提及 报道 文章
    """.split()
)
_QUESTION_WORD = re.compile(
    r"^(几|哪|多少|什么|怎|如何|是否|多长|多大|多久)|^[那这][位个些项家里]$"
)
# Nouns that say how a question is asked rather than what it is about.
GENERIC_NOUNS = frozenset(
    "领导 方式 时间 数量 计划 情况 内容 目标 问题 方面 领域 作用 意义 措施 特点 优势 表态 项目 工作 身份 "
    "名字 名称 地方 地点 原因 结果 情况 东西 部分 主要 具体 方向 角色".split()
)


# Bumped when the term rules below change, so the BM25 term cache of an older rule set is
# never read (the cache key also holds jieba's version).
SEGMENTER_VERSION = "3"

_load_lock = threading.Lock()


@lru_cache(maxsize=1)
def load() -> Tokenizer:
    """jieba's tokenizer on its default dictionary, initialised once per process (thread-safe).

    Its prefix dictionary comes from a cache file (assistant.text.dictionary): about
    0.13 s of CPU per process, where jieba's own cache takes 0.45 s.
    """
    with _load_lock:
        import jieba

        from assistant.text.dictionary import Tokenizer

        jieba.setLogLevel(logging.WARNING)
        tokenizer = Tokenizer()
        tokenizer.initialize()
        return tokenizer


def tag(text: str, hmm: bool = True) -> list[tuple[str, str]]:
    """jieba's words of `text` with their part-of-speech tags (ns place, nr person, nt
    organisation, b distinguishing word such as 二期, t time word), lower-cased. Without
    `hmm`, only dictionary words are tagged (10x faster; unknown names stay untagged).

    The tags are `jieba.posseg`'s (assistant.text.postag gives the same without importing
    it: its import parses the tags of the whole dictionary, 0.18 s)."""
    return list(_tagged(text, hmm))


# A question is tagged and cut by several readers of one ask (the answer, the gate, the
# refusal), and retrieved sentences come back question after question: both are kept,
# returned as fresh lists so no caller can change what the next one reads.
@lru_cache(maxsize=8192)
def _tagged(text: str, hmm: bool) -> tuple[tuple[str, str], ...]:
    from assistant.text import postag

    return tuple((w.lower(), flag) for w, flag in postag.cut(load(), text, hmm=hmm))


def in_dictionary(word: str) -> bool:
    """Whether jieba knows `word` from its dictionary (not a guess of its HMM)."""
    return bool(load().FREQ.get(word))


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """jieba's words of `text` with their (start, end) offsets."""
    return list(load().tokenize(text))


def terms(text: str) -> list[str]:
    """Content terms for matching: lower-cased jieba words without stopwords or punctuation.

    Remembered, like `tag`: the questions and retrieved sentences of the asks recur."""
    return list(_remembered_terms(text))


def terms_once(text: str) -> list[str]:
    """`terms(text)`, worked out and not remembered: for texts read once in bulk (an
    index's chunks, about 13 KB each in memory), which would only push the asks' questions
    and sentences out of `terms`' memory."""
    out = []
    for word in load().lcut_for_search(text.lower()):
        word = word.strip()
        if (
            word
            and word not in STOPWORDS
            and _WORD.search(word)
            and not _QUESTION_WORD.match(word)
            and (len(word) > 1 or word.isascii())  # single characters are mostly function words
        ):
            out.append(word)
    return out


@lru_cache(maxsize=8192)
def _remembered_terms(text: str) -> tuple[str, ...]:
    return tuple(terms_once(text))


def ending_terms(text: str) -> list[str]:
    """The `terms` of two or more characters that `text` ends with: "辽宁省人民医院副院长" →
    院长, 副院长 (what stands right before a question word: the title asked, the thing
    counted)."""
    return [t for t in terms(text) if text.lower().endswith(t) and len(t) >= 2]


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, whitespace trimmed."""
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end - start >= 2:
            spans.append((start, end))
    return spans


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def is_chinese(text: str) -> bool:
    """Whether a question is (mostly) Chinese, to answer in its language."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(bool(_CJK.match(c)) for c in letters) >= 0.3 * len(letters)

"""Chinese-aware segmentation shared by retrieval, answering and verification.

Terms come from jieba (search mode, so long words also yield their parts); sentences
split after 。!?;… (the half-width forms are what NFKC leaves) and at line breaks,
keeping character offsets.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import re
import sys
import tempfile
import threading
import types
from functools import lru_cache
from pathlib import Path

_SENTENCE = re.compile(r"[^。!?;…\n]+(?:[。!?;…]+[”’\"」』)]*)?|[。!?;…]+")
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")

# Question words and function words that carry no topic (Chinese and English): closed
# classes of the languages, so they hold for any document.
STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 也 都 就 而 有 为 对 把 被 从 到 将 于 以 由 等 这 那 这个 那个 其 之 中 上 下
    吗 呢 吧 啊 么 什么 多少 哪些 哪个 哪里 哪儿 哪 几 几个 怎么 怎样 如何 为什么 是否 是不是 有没有 请问
    请 告诉 介绍 一下 说说 谁 何时 何 时候 什么时候 哪年 哪一年 多大 多长 多久 分别 各 主要 具体 情况 方面
    我 你 他 她 它 我们 你们 他们 它们 该 此 可以 能 会 要 还 又 并 但 而且 以及 关于 通过 进行 已经 目前
    the a an of in on at to for and or is are was were be been what which who whom whose when where why how
    many much does did do has have had with by from about as that this these those it its their there any
    tell me please can could would should will
    跟 叫 叫做 称为 是谁 哪位 哪家 哪几 哪几个 哪几家 哪几项 哪天 哪一天 几项 几家 几位 几名 几张 几年 一共 总共
    整个 全部 所有 相关 有关 现在 当时 之前 之后 曾经 为何 什么样 怎么样 有何 做了 做过 有着 属于 指 指的是 来说 说 讲
    """.split()
)
_QUESTION_WORD = re.compile(
    r"^(几|哪|多少|什么|怎|如何|是否|多长|多大|多久)|^[那这][位个些项家里]$"
)


def tag(text: str, hmm: bool = True) -> list[tuple[str, str]]:
    """jieba's words of `text` with their part-of-speech tags (ns place, nr person, nt
    organisation, b distinguishing word such as 二期, t time word), lower-cased. Without
    `hmm`, only dictionary words are tagged (10x faster; unknown names stay untagged)."""
    import jieba.posseg

    _jieba()
    return [(w.lower(), flag) for w, flag in jieba.posseg.lcut(text, HMM=hmm)]


def in_dictionary(word: str) -> bool:
    """Whether jieba knows `word` from its dictionary (not a guess of its HMM)."""
    import jieba

    _jieba()
    return bool(jieba.dt.FREQ.get(word))


# jieba's load costs ~4 s per process: its prefix dictionary (a marshal cache in /tmp), the
# HMM tables of finalseg and posseg (huge Python modules), and posseg's word tags, which its
# import parses from dict.txt. The same objects, pickled once into one file, load in ~0.3 s.
# The cache lives beside the index (see `set_cache_dir`), keyed by jieba's version; any
# failure falls back to jieba's own load.
_TABLES = tuple(
    f"jieba.{pkg}.{name}"
    for pkg in ("finalseg", "posseg")
    for name in ("prob_start", "prob_trans", "prob_emit")
) + ("jieba.posseg.char_state_tab",)
_cache_dir: Path | None = None
_load_lock = threading.Lock()


def set_cache_dir(directory: Path) -> None:
    """Where to keep jieba's tables (the data dir's cache); call before the first segmentation."""
    global _cache_dir
    _cache_dir = directory


def _tables_files() -> list[Path]:
    """The data dir's copy first, then a per-user one in the temp dir shared by all data dirs."""
    from importlib.metadata import version

    name = f"jieba-{version('jieba')}-py{sys.version_info[0]}{sys.version_info[1]}.pickle"
    dirs = [_cache_dir] if _cache_dir else []
    return [d / name for d in [*dirs, Path(tempfile.gettempdir()) / f"assistant-{os.getuid()}"]]


def _load_tables(path: Path) -> dict | None:
    try:
        if path.stat().st_uid != os.getuid():  # never unpickle a file someone else wrote
            return None
        with path.open("rb") as f:
            data = pickle.load(f)
        if set(data["tables"]) != set(_TABLES) or not isinstance(data.get("word_tag"), dict):
            return None  # written by an older version: rebuilt and rewritten
        return data
    except Exception:
        return None


def _save_tables(path: Path, jieba) -> None:
    try:
        # The tags' words as the very key objects of FREQ, and each tag one object: pickle
        # then writes each once, and the load is faster and smaller.
        words = {w: w for w in jieba.dt.FREQ}
        tags: dict[str, str] = {}
        word_tag = {
            words.get(w, w): tags.setdefault(t, t) for w, t in jieba.posseg.dt.word_tag_tab.items()
        }
        data = {
            "tables": {n: sys.modules[n].P for n in _TABLES},
            "freq": jieba.dt.FREQ,
            "total": jieba.dt.total,
            "word_tag": word_tag,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:  # a cache that cannot be written only costs time
        logging.getLogger(__name__).debug("cannot write the jieba cache %s", path, exc_info=True)


@lru_cache(maxsize=1)
def _jieba():
    with _load_lock:
        paths, data, stale = _tables_files(), None, []
        if "jieba" not in sys.modules:
            for path in paths:
                data = _load_tables(path)
                if data:
                    break
                if path.exists():
                    stale.append(path)  # unreadable or from an older version
        if data:
            for name, table in data["tables"].items():
                module = types.ModuleType(name)
                module.P = table  # type: ignore[attr-defined]
                sys.modules[name] = module
        import jieba

        jieba.setLogLevel(logging.WARNING)
        if data:
            jieba.dt.FREQ, jieba.dt.total = data["freq"], data["total"]
            jieba.dt.initialized = True
            # posseg's import reads dict.txt into its word tags (~0.5 s): give it an empty
            # file and the cached tags instead.
            jieba.dt.get_dict_file = io.BytesIO  # type: ignore[method-assign]
            try:
                import jieba.posseg
            finally:
                del jieba.dt.get_dict_file
            jieba.posseg.dt.word_tag_tab = data["word_tag"]
        else:
            import jieba.posseg  # noqa: F401  (nouns() needs it; loaded here with the tables)

            jieba.initialize()
        for path in paths:
            if path in stale or not path.exists():
                _save_tables(path, jieba)
        return jieba


def terms(text: str) -> list[str]:
    """Content terms for matching: lower-cased jieba words without stopwords or punctuation."""
    out = []
    for word in _jieba().lcut_for_search(text.lower()):
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

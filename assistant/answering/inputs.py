"""What a question and its history may be before the chain spends anything on them.

Every entry point (CLI, UI, Python API, evals) goes through here, so hostile or clumsy
input fails the same way everywhere: with `InputError` and a message saying what to do,
never `AttributeError` or `UnicodeEncodeError` from deep inside jieba or the tokenizer.

`answerable_terms()` is the vocabulary gate: a question whose content has no term the
index knows (only punctuation, markup, SQL or template syntax, emoji, or a script the
documents never use) is refused before retrieval, instead of being answered with
whatever passage happens to be nearest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from assistant.errors import InputError
from assistant.settings import AnswerSettings
from assistant.text.segmentation import STOPWORDS, is_chinese, terms

# Characters that are not text: control codes (Cc) and invisible format characters (Cf:
# zero-width spaces and joiners, BOMs, bidi overrides that can disguise a question).
_INVISIBLE = {"Cc", "Cf"}
_KEEP = {"\n", "\t"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")  # terminal colour and cursor sequences

# Markup and template syntax carry no topic: `<b>…</b>`, `{{ 7*7 }}`, `{% … %}`, `${…}`.
_MARKUP = re.compile(
    r"<(script|style)\b.*?</\1\s*>|<[^<>]{0,200}>|\{\{.*?\}\}|\{%.*?%\}|\$\{.*?\}|&[a-z]+;", re.S
)
# A statement of SQL is code, not a question: a verb followed by its clause keyword.
_SQL = re.compile(
    r"\b(select|insert|update|delete|drop|union|alter|create|truncate|exec)\b"
    r".{0,200}?\b(from|into|table|set|where|select|database|values)\b",
    re.I | re.S,
)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_LATIN = re.compile(r"^[a-z][a-z'-]*$")
_HAN = re.compile(r"[\u3400-\u9fff]")


def clean_text(value: object, what: str = "the question") -> str:
    """`value` as text with control and invisible characters removed and spaces trimmed."""
    if not isinstance(value, str):
        raise InputError(f"{what} must be text, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"{what} holds characters that are not valid Unicode (lone surrogates at "
            f"position {exc.start}): paste it again as plain text"
        ) from None
    value = _ANSI.sub("", value)
    kept = (
        " " if ch in _KEEP else ch
        for ch in value
        if ch in _KEEP or unicodedata.category(ch) not in _INVISIBLE
    )
    return "".join(kept).strip()


def clean_question(question: object, settings: AnswerSettings) -> str:
    text = clean_text(question)
    if not text:
        raise InputError("the question is empty: type a question about your documents")
    limit = settings.max_question_chars
    if len(text) > limit:
        raise InputError(
            f"the question has {len(text)} characters; the limit is {limit} "
            "(ANSWER_MAX_QUESTION_CHARS): ask a shorter question"
        )
    return text


def clean_history(history: object, settings: AnswerSettings) -> list[str]:
    """The earlier questions the follow-up may use: the last N, each and all capped.

    An item over the per-item cap is an error (it is not a question anyone typed); beyond
    the last `max_history_turns`, or beyond `max_history_chars` in total, the oldest
    turns are left out, as a person would forget them.
    """
    if history is None:
        return []
    if isinstance(history, str) or not isinstance(history, Sequence):
        raise InputError("the history must be a list of earlier questions (strings)")
    items = [clean_text(h, f"history item {i + 1}") for i, h in enumerate(history)]
    item_limit = settings.max_history_item_chars
    for i, item in enumerate(items):
        if len(item) > item_limit:
            raise InputError(
                f"history item {i + 1} has {len(item)} characters; the limit is {item_limit} "
                "(ANSWER_MAX_HISTORY_ITEM_CHARS): send earlier questions, not documents"
            )
    kept = (
        [h for h in items if h][-settings.max_history_turns :] if settings.max_history_turns else []
    )
    while kept and sum(map(len, kept)) > settings.max_history_chars:
        kept.pop(0)
    return kept


def content_terms(question: str) -> list[str]:
    """The question's topic words: markup, template syntax and bare numbers left out."""
    if _SQL.search(question):
        return []
    text = _MARKUP.sub(" ", question)
    return [t for t in terms(text) if _LETTER.search(t)]


def answerable_terms(question: str, known: Callable[[str], bool]) -> bool:
    """Whether the index could hold an answer: some topic word of the question is known.

    Chinese and Latin-script words the index lacks still pass: the evidence checks refuse
    them afterwards naming the closest sources, and the embeddings are cross-lingual (an
    English question finds Chinese passages). Other scripts have no term to match. A
    question mostly in Latin letters is read as English: a few Chinese characters in it
    ("jjjkkk;;lll哦哦哦") do not make keyboard mashing a question.
    """
    words = content_terms(question)
    if not words:
        return False
    if any(known(w) for w in words):
        return True
    if is_chinese(question):
        return any(_HAN.search(w) for w in words)
    return any(_LATIN.match(w) for w in words) and has_language(question, known)


def has_language(question: str, known: Callable[[str], bool]) -> bool:
    """Whether the input is words at all: a term the index knows, Chinese text, or a
    function or question word of English (matched to Chinese sources by meaning).
    Keyboard mashing ("asdkjh qwe zzz") has none of them: it is neither a question the
    index could answer nor a follow-up to an earlier one."""
    if is_chinese(question) or any(known(t) for t in terms(question)):
        return True
    return any(w in STOPWORDS for w in re.findall(r"[a-z]+", question.lower()))


__all__ = [
    "answerable_terms",
    "clean_history",
    "has_language",
    "clean_question",
    "clean_text",
    "content_terms",
]

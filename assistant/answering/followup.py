"""Resolve what a follow-up question refers to, offline.

With an LLM the conversation is condensed by the `condense` prompt. Offline, the new turn
keeps its own words and borrows from the earlier turn only what it lacks:

- it names its own subject (a proper noun, or nouns the index has never seen: a new topic)
  and does not point back: it stands alone;
- nothing in it is known to the index and it does not point back ("asdkjh qwe zzz"): it
  is not a follow-up, and the reader refuses it for lack of evidence;
- it is an ellipsis ("那二期呢？", "What about phase two?"): the earlier question is asked
  again with the new term in place of the one of the same kind (一期 → 二期), or, when
  there is none, about the new term;
- otherwise (它/其/this, or no subject of its own: "预计哪一年开始运营？") the earlier
  turn's subject — the nouns it asked about — is put in front.

The earlier turn is itself resolved first, so a chain of follow-ups keeps its subject.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.text.segmentation import in_dictionary, is_chinese, tag

# Words that point back to an earlier turn (pronouns, demonstratives), Chinese and English.
_ANAPHORA = re.compile(
    r"^(那|那么|这|它|其|该|此|他|她|他们|上述|以上|还有|另外|同时)|[那这它其该][个些项家里位年]|"
    r"\b(it|its|they|them|their|he|she|his|her|that|those|this|these|there|then|also)\b",
    re.IGNORECASE,
)
# An ellipsis: only a noun phrase is left of the question ("那二期呢？", "what about X?").
_ELLIPSIS = re.compile(
    r"^(?:那么?|还有)?(?P<x>.{1,20}?)呢[?？]?$|^(?:and )?(?:what|how) about (?P<y>.+?)\??$", re.I
)
# Interrogatives end the subject of a question (the closed class, not topic words).
_QWORD = re.compile(r"(?:什么|多[少大长久高远]|哪|几|谁|怎|如何|为什么|为何|是否|何)")
_WORDLIKE = re.compile(r"\w")
# Terms of the same shape replace each other: phases and ordinals (一期/二期), years.
_SHAPE = re.compile(r"[一二三四五六七八九十两\d]+")
# Names of people, places and organisations (jieba's nz, "other proper noun", tags common
# words such as 论文 too).
_PROPER = {"nr", "nrfg", "nrt", "ns", "nt"}
_SUBJECT_TAGS = ("n", "t", "m", "j", "x", "eng", "b", "s", "f")


@dataclass
class Query:
    question: str  # as asked
    standalone: str  # what retrieval and the reader use
    history: list[str] = field(default_factory=list)  # earlier questions it leans on


def expand(question: str, history: list[str], known: Callable[[str], bool] | None = None) -> Query:
    """The offline standalone question. `known(term)`: whether the index holds the term."""
    history = [h.strip() for h in history if h and h.strip()]
    question = question.strip()
    if not history:
        return Query(question=question, standalone=question)
    earlier = expand(history[-1], history[:-1], known).standalone
    standalone = resolve(question, earlier, known)
    if standalone == question:
        return Query(question=question, standalone=question)
    return Query(question=question, standalone=standalone, history=history)


def needs_context(question: str, known: Callable[[str], bool] | None = None) -> bool:
    """Whether a question leans on an earlier turn (see the module doc)."""
    if _ANAPHORA.search(question) or _ELLIPSIS.match(question):
        return True
    if not is_chinese(question):
        # an English question without a pronoun names what it asks about; text that is no
        # question at all ("asdkjh qwe zzz") is not a follow-up either
        return False
    tags = [(w, f) for w, f in tag(question) if len(w) >= 2]
    if any(f in _PROPER for _, f in tags):
        return False
    nouns = [w for w, f in tags if f.startswith("n")]
    # nouns all new to the index: a new topic ("火星上有多少人居住？")
    return not (known is not None and nouns and not any(known(n) for n in nouns))


def resolve(question: str, earlier: str, known: Callable[[str], bool] | None = None) -> str:
    """`question` made standalone from the (already standalone) earlier question."""
    if not needs_context(question, known):
        return question
    ellipsis = _ELLIPSIS.match(question)
    if ellipsis:
        x = (ellipsis.group("x") or ellipsis.group("y") or "").strip()
        swapped = _swap(earlier, x)
        if swapped:
            return swapped
        if is_chinese(question):
            return f"{subject(earlier)}{x}{_predicate(earlier)}"
    if not is_chinese(question):
        return f"{earlier} {question}"
    return f"{_without_shapes(subject(earlier), question)}{question}"


def subject(question: str) -> str:
    """The nouns a question asks about, before its question word ("瑞金医院金山院区一期")."""
    out, pos, lower = [], 0, question.lower()
    for word, flag in tag(question):
        if _QWORD.match(lower, pos):
            break
        pos += len(word)
        guessed = flag.startswith("v") and not in_dictionary(word)  # an unknown name (械谷)
        if (flag.startswith(_SUBJECT_TAGS) or guessed) and _WORDLIKE.search(word):
            out.append(question[pos - len(word) : pos])
    return "".join(out)


def _predicate(question: str) -> str:
    """The part of a question from its question word on ("是谁", "规划多少张床位")."""
    words = [w for w, _ in tag(question)]
    for i, w in enumerate(words):
        if _QWORD.match(w):
            start = i - 1 if i and tag(words[i - 1])[0][1].startswith("v") else i
            return "".join(words[start:])
    return ""


def _swap(earlier: str, x: str) -> str | None:
    """The earlier question with `x` in place of its term of the same shape (一期 → 二期)."""
    shape = _SHAPE.sub("#", x)
    if shape == x:
        return None
    for word, _ in tag(earlier):
        if word != x and _SHAPE.sub("#", word) == shape:
            return earlier.replace(word, x, 1)
    return None


def _without_shapes(subject_text: str, question: str) -> str:
    """The subject without its phases or years when the question names its own (二期)."""
    own = {_SHAPE.sub("#", w) for w, _ in tag(question) if _SHAPE.search(w)}
    kept = [w for w, _ in tag(subject_text) if not (_SHAPE.search(w) and _SHAPE.sub("#", w) in own)]
    return "".join(kept)

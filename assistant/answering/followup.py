"""Turn a follow-up question into a standalone one.

With an LLM the conversation is condensed by the `condense` prompt. Offline, a
question that leans on earlier turns (short, or with 那/它/this/that...) is read with the
earlier question it refers to: the latest one that names its own subject (an earlier
follow-up is read with it too, so "那二期呢？" after "一期规划多少张床位？" stays about
the same campus). Turns before that subject are not carried: an unrelated earlier topic
cannot spoil the answer. The answerer weights the carried terms at half. A follow-up that
names only another phase, year or ordinal ("那二期呢？" after "一期预计哪年投入运营？") is that
earlier question with it swapped in ("二期预计哪年投入运营？"): read side by side, the answer
about 一期 would look like one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.answering.inputs import has_language
from assistant.answering.learned import features
from assistant.text.segmentation import is_chinese, tag, terms

# Words that point back to an earlier turn: demonstratives and personal pronouns (a closed
# class of the language, not words of any document), and "那…呢" ellipsis.
_ANAPHORA = re.compile(
    r"^(那|那么|这|它|其|该|此|上述|以上|还有|另外|同时)|[那这它其该][个些项家里]|呢[?？]?$|"
    r"(?<![其吉利排])他(?![人国乡山])|她|双方|对方|两者|前者|后者|"
    r"\b(it|its|they|them|their|he|him|his|she|her|that|those|this|these|there|then|also|"
    r"what about|how about)\b",
    re.IGNORECASE,
)


# "那二期呢？": the follow-up names only what changes. When that is a phase, a year or an
# ordinal and the earlier question names one of the same shape, the follow-up is the earlier
# question with it swapped ("一期预计哪年投入运营？" → "二期预计哪年投入运营？").
_ELLIPSIS = re.compile(r"^(?:那么?|还有)?\s*(?P<what>[^\s?？,，。]{1,8}?)\s*呢\s*[?？]?$")


@dataclass
class Query:
    question: str
    standalone: str
    history: list[str] = field(default_factory=list)  # the earlier questions, as asked
    carried: list[str] = field(default_factory=list)  # those the standalone question reads

    def weighted_terms(self) -> dict[str, float]:
        """Terms of the question at 1.0; terms only in the carried earlier questions at 0.5."""
        weights: dict[str, float] = {}
        for q in self.carried:
            for t in terms(q):
                weights[t] = 0.5
        for t in terms(self.question if self.history else self.standalone):
            weights[t] = 1.0
        return weights


def needs_context(question: str, known: Callable[[str], bool] | None = None) -> bool:
    """Whether a question leans on earlier turns: it points back (那/它/this...), or it is
    short, unless every noun of it is new to the index ("火星上有多少人居住？" starts a new
    topic; the earlier questions would only lend it their answer)."""
    if known is not None and not has_language(question, known):
        return False  # "asdkjh qwe zzz" refers to nothing: refused as it stands
    if _ANAPHORA.search(question.strip()):
        return True
    short = len(question) <= 12 if is_chinese(question) else len(question.split()) <= 5
    nouns = [w for w, flag in tag(question) if flag.startswith("n") and len(w) >= 2]
    return short and not (known and nouns and not any(known(n) for n in nouns))


def carried(history: list[str], known: Callable[[str], bool] | None = None) -> list[str]:
    """The earlier questions a follow-up reads: the latest that names its own subject, and
    the latest follow-up asked after it, if any."""
    turns: list[str] = []
    for h in reversed(history):
        turns.insert(0, h)
        if not needs_context(h, known):
            break
    return turns if len(turns) <= 2 else [turns[0], turns[-1]]


def expand(question: str, history: list[str], known: Callable[[str], bool] | None = None) -> Query:
    """The offline standalone question: the earlier questions it refers to prepended when it
    needs them. `known(term)`: whether the index holds the term."""
    history = [h.strip() for h in history if h and h.strip()]
    if not history or not needs_context(question, known):
        return Query(question=question, standalone=question)
    # a turn with no term the question lacks cannot say what it refers to (the same
    # question asked again, in another knowledge base: "火星基地预计哪一年完工？" twice)
    own = set(terms(question.lower()))
    earlier = [h for h in carried(history, known) if set(terms(h.lower())) - own]
    if not earlier:
        return Query(question=question, standalone=question)
    swapped = substitute(question, earlier[0])
    if swapped is not None:
        return Query(question, swapped, history=history, carried=[swapped])
    return Query(
        question=question,
        standalone=" ".join([*earlier, question]),
        history=history,
        carried=earlier,
    )


def substitute(question: str, earlier: str) -> str | None:
    """The earlier question with the phase, year or ordinal the follow-up names in place of its
    own, when the follow-up is only that ("那二期呢？"); None otherwise."""
    found = _ELLIPSIS.match(question.strip())
    if found is None:
        return None
    what = found.group("what")
    pattern = features.shape(what)
    values = set(pattern.findall(earlier)) if pattern is not None else set()
    if len(values) != 1 or what in values:
        return None
    return earlier.replace(values.pop(), what)

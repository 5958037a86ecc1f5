"""Turn a follow-up question into a standalone one.

With an LLM the conversation is condensed by the `condense` prompt. Offline, a
question that leans on earlier turns (short, or with 那/它/this/that...) is read with the
earlier question it refers to: the latest one that names its own subject (an earlier
follow-up is read with it too, so "那二期呢？" after "一期规划多少张床位？" stays about
the same campus). Turns before that subject are not carried: an unrelated earlier topic
cannot spoil the answer. The answerer weights the carried terms at half. A follow-up that
names only another phase, year or ordinal ("那二期呢？" after "一期预计哪年投入运营？"), or a
sibling of one of its terms (the same head noun: "那西坡牧场呢？" after "东滩牧场存栏多少头？"),
is that earlier question with it swapped in ("二期预计哪年投入运营？"): read side by side, the
answer about 一期 would look like one.

A follow-up that asks its own question ("它的院长是谁？" after "瑞金医院无锡分院是哪一年建院
的？") is searched with the earlier question (its words find the passages about the subject)
but read as its own question about the earlier turn's subject (`Query.asked`: "瑞金医院无锡
分院 它的院长是谁？"): read with both questions, the year the first one asks would look like
an answer to the second.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from assistant.answering.inputs import has_language
from assistant.answering.learned import features
from assistant.text.segmentation import is_chinese, tag, terms

# Words that point back to an earlier turn: demonstratives and personal pronouns (a closed
# class of the language, not words of any document), and "那…呢" ellipsis. 它 (it) is one
# wherever it stands ("打通它花了多长时间？"), but in 其它 (other); 那几个 / 这几个 (those few).
_ANAPHORA = re.compile(
    r"^(那|那么|这|它|其|该|此|上述|以上|还有|另外|同时)|[那这它其该][个些项家里]|呢[?？]?$|"
    r"(?<!其)它|[那这]几个|"
    r"(?<![其吉利排])他(?![人国乡山])|她|双方|对方|两者|前者|后者|"
    r"\b(it|its|they|them|their|he|him|his|she|her|that|those|this|these|there|then|also|"
    r"what about|how about)\b",
    re.IGNORECASE,
)


# "那二期呢？": the follow-up names only what changes. When that is a phase, a year or an
# ordinal and the earlier question names one of the same shape, the follow-up is the earlier
# question with it swapped ("一期预计哪年投入运营？" → "二期预计哪年投入运营？").
_ELLIPSIS = re.compile(r"^(?:那么?|还有)?\s*(?P<what>[^\s?？,，。]{1,8}?)\s*呢\s*[?？]?$")


# A question word: the turn asks something of its own (not "那二期呢？", which asks what the
# earlier turn asked). The closed class of interrogatives, as in `features.ASKS`.
_ASKS = re.compile(r"什么|多少|哪|几|谁|怎么|怎样|如何|为什么|为何|是否|吗|多[大长久远高重]")
# The parts of speech (jieba's tags) that end a question's subject: verbs, prepositions,
# pronouns, conjunctions, adverbs and punctuation, and interjections ("e", checked alone:
# "eng", a Latin word, does not end it). Nouns, names, numbers, times, adjectives and 的
# continue it ("安岚城际全线最长的隧道").
_ENDS_SUBJECT = ("v", "p", "r", "c", "d", "x", "y", "o")
_BREAK = re.compile(r"[\s\W]")  # a span across words of a sentence is no compound


@dataclass
class Query:
    question: str
    standalone: str  # what is searched: the question with the earlier turns it needs
    history: list[str] = field(default_factory=list)  # the earlier questions, as asked
    carried: list[str] = field(default_factory=list)  # those the question is read with
    # a follow-up asking its own question, read about the earlier turn's subject ("" when
    # it is read as `standalone`)
    focus: str = ""

    @property
    def asked(self) -> str:
        """What the reader reads as the question: the focus, else the standalone question."""
        return self.focus or self.standalone

    def rewritten(self, standalone: str) -> Query:
        """This query with a standalone question written elsewhere (the LLM's rewrite),
        which is then also what is read."""
        return replace(self, standalone=standalone, focus="")

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
    standalone = " ".join([*earlier, question])
    about = subject(earlier[0]) if is_chinese(question) and _ASKS.search(question) else ""
    if about and about not in question:
        return Query(
            question, standalone, history=history, carried=[about], focus=f"{about} {question}"
        )
    return Query(
        question=question,
        standalone=standalone,
        history=history,
        carried=earlier,
    )


def subject(question: str) -> str:
    """What a question is about: its words before the first verb, preposition, pronoun or
    adverb ("瑞金医院无锡分院" of "瑞金医院无锡分院是哪一年建院的？"; a verb naming the noun
    after it, 实验 in 实验中学, does not end it), when they hold a noun of two characters or
    more; "" otherwise ("这次座谈会上…" starts with a pronoun)."""
    tagged = list(tag(question))
    words: list[tuple[str, str]] = []
    for i, (word, flag) in enumerate(tagged):
        following = tagged[i + 1][1] if i + 1 < len(tagged) else ""
        # a verb before a noun names it (实验中学, 救治中心): part of the subject
        compound = flag.startswith("v") and following.startswith("n")
        ends = flag.startswith(_ENDS_SUBJECT) or flag == "e" or _ASKS.search(word)
        if ends and not compound:
            break
        words.append((word, flag))
    while words and words[-1][1].startswith("u"):  # a trailing 的
        words.pop()
    nouns = [w for w, flag in words if flag.startswith(("n", "j")) and len(w) >= 2]
    return "".join(w for w, _ in words) if nouns else ""


def substitute(question: str, earlier: str) -> str | None:
    """The earlier question with the phase, year or ordinal the follow-up names in place of its
    own, or with the sibling it names, when the follow-up is only that ("那二期呢？",
    "那西坡牧场呢？"); None otherwise."""
    found = _ELLIPSIS.match(question.strip())
    if found is None:
        return None
    what = found.group("what")
    pattern = features.shape(what)
    if pattern is None:
        sibling = _sibling(what, earlier)
        return earlier.replace(sibling, what, 1) if sibling else None
    values = set(pattern.findall(earlier))
    if len(values) != 1 or what in values:
        return None
    return earlier.replace(values.pop(), what)


def _sibling(what: str, earlier: str) -> str | None:
    """The one stretch of `earlier` as long as `what` that ends with the same two or more
    characters and starts otherwise (东滩牧场 for 西坡牧场, 上半年 for 下半年): a Chinese
    compound ends with its head noun, so these name two of a kind."""
    if len(what) < 3 or what in earlier or not is_chinese(what):
        return None
    n = len(what)
    found = {
        span
        for span in (earlier[i : i + n] for i in range(len(earlier) - n + 1))
        if span[-2:] == what[-2:] and span[0] != what[0] and not _BREAK.search(span)
    }
    return found.pop() if len(found) == 1 else None

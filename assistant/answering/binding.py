"""Whether a sentence states the value a question asks for, bound to what it asks about.

"新设立的新生儿重症监护室有多少张床位？" asks a number about 新生儿重症监护室 and 床位. The
sentence "重症监护病房床位由24张增至48张，并单独设立新生儿重症监护室" holds numbers and every
term of the question, but in different clauses: the numbers count the ICU's beds, and the
clause naming the neonatal unit holds none. A near miss of that shape (the article's subject,
a value of the asked kind, the asked thing elsewhere) is what the sentence-level signals
cannot see. Here the unit is the clause:

- the question's clauses that ask for a number or a date (`features.ASKS`) are the asks;
- a clause of the sentence answers an ask when it holds a value of that kind which the
  question does not already write ("从选派的52名教师里，有多少人…" is not answered by "52名");
- the ask is bound by the IDF-weighted share of its terms in the best such clause;
- two asks are narrower than their kind: a year (哪一年) is answered by a year, not by
  "3月16日"; a count with its measure word (几台, 多少名) by a number with that measure
  word (or one of its kin: 名/位/人), not by "2.6万平方米" for 几层;
- the thing a number or a date is asked of (`head`: 护士 in "下派了多少名护士") must be
  named in the clause holding the value: "下派骨干医生73名" holds a new number, and most of
  the clause's terms, but counts doctors.

A multi-part question is as bound as its least bound part. What is hand-written here is
general: the clause punctuation, the words of a question clause that are not about the
thing asked (question words, particles, "一共", "大约"), and measure words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from assistant.answering.learned import features
from assistant.text.segmentation import ending_terms, terms

KINDS = ("number", "date")  # kinds whose values a pattern finds (names need a tagger)

# A question's clauses, and a sentence's (whose enumerations "、" list separate values).
_QUESTION_CLAUSES = re.compile(r"[^,，;；。!?！？]+")
_CLAUSES = re.compile(r"[^,，;；:：。!?！？、]+")
# Terms of a question that say how it asks, not what about. A term that starts with a
# question word or a demonstrative asks (哪家, 几个, 那些); a particle is one only as a whole
# term: 有 is, 有限公司 and 在职 are not.
_ASKING = r"什么|多少|哪|几|谁|怎么|怎样|如何|为什么|为何|是否|那|这"
_PARTICLES = r"吗|呢|请问|是|的|了|有|在|和|与|及"
FUNCTION = re.compile(rf"^(?:{_ASKING})|^(?:{_PARTICLES})$")
# ...and, of a clause asking a number, the words of counting and estimating
_NOT_ASKED = re.compile(rf"^(?:{_ASKING})|^(?:{_PARTICLES}|个|其中|一共|共|总共|大约|约)$")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
# A year asked, and a year stated.
_ASKS_YEAR = re.compile(r"哪一?年|什么年份|几几年|\b(?:which|what) year", re.I)
_YEAR = re.compile(r"(?:19|20)\d\d|去年|今年|明年|前年")
# A count asked with its measure word ("几台", "多少名"), and the measure words that count
# the same things. Units of size and time (万, 平方米, 小时) are kept whole.
_ASKS_UNIT = re.compile(
    r"(?:多少|几)\s*(平方米|公里|小时|分钟|[个项家位名张所座条种次件篇亩岁层台辆株间栋人元吨米倍份只头床万亿天年月])"
)
_KIN = {
    "个": "个项家所座种件",
    "项": "项个",
    "家": "家个所",
    "所": "所家个",
    "位": "位名人",
    "名": "名位人",
    "人": "人名位",
    "张": "张床",
    "床": "床张",
}
_NUMERAL = r"(?:\d[\d.,]*|[一二两三四五六七八九十百千万亿]+)\s*[余多]?\s*[万亿]?\s*"


def asks(question: str) -> list[tuple[str, list[str]]]:
    """The clauses of the (lower-cased) question that ask for a number or a date, with the
    kinds each asks."""
    out = []
    for clause in _QUESTION_CLAUSES.findall(question):
        kinds = [k for k in KINDS if features.ASKS[k].search(clause)]
        if kinds:
            out.append((clause, kinds))
    return out


@dataclass(frozen=True)
class Ask:
    """One asking clause, read once per question: its terms by weight, the kinds of value it
    asks, and the narrower pattern its value must match (None: the kind's own)."""

    weights: dict[str, float]
    kinds: list[str]
    narrower: re.Pattern[str] | None
    constraints: tuple[str, ...] = ()  # its phases, years, ordinals (二期 in 二期哪年投入运营)


def parse(question: str, idf: Callable[[str], float]) -> list[Ask]:
    """The asks of a lower-cased question (`asks`), ready to be checked against sentences."""
    out = []
    for clause, kinds in asks(question):
        asked = [t for t in dict.fromkeys(terms(clause)) if not _NOT_ASKED.match(t)]
        weights = {t: max(idf(t), 0.05) for t in asked if not _DIGITS.fullmatch(t)}
        # a year as the search segmentation cuts it ("2021"), with its 年; other numbers
        # are counts, not constraints
        years = [f"{t}年" for t in asked if t.isdigit() and f"{t}年" in clause]
        constraints = tuple(
            t for t in [*asked, *years] if features.is_constraint(t) and not t.isdigit()
        )
        out.append(Ask(weights, kinds, _narrower(clause, kinds), constraints))
    return out


def bound(question: str, sentence: str, idf: Callable[[str], float]) -> tuple[float, float]:
    """(how bound the least bound ask is, whether every ask has a new value in some clause)
    for a lower-cased question and sentence; (1, 1) when nothing of these kinds is asked."""
    return bind(parse(question, idf), question, sentence)


def bind(parsed: list[Ask], question: str, sentence: str) -> tuple[float, float]:
    """`bound`, for the question's asks parsed once (`parse`) and one sentence."""
    if not parsed:
        return 1.0, 1.0
    shares, found = [], []
    for ask in parsed:
        total = sum(ask.weights.values()) or 1.0
        share, new = 0.0, False
        for part in _CLAUSES.findall(sentence):
            if not any(features.has_value(k, part) for k in ask.kinds):
                continue
            if ask.narrower is not None and not ask.narrower.search(part):
                continue
            digits = _DIGITS.findall(part)
            if digits and all(d in question for d in digits):
                continue  # only the question's own numbers: not an answer
            new = True
            share = max(share, sum(w for t, w in ask.weights.items() if t in part) / total)
        shares.append(share)
        found.append(new)
    return min(shares), float(all(found))


def clash(parsed: list[Ask], sentence: str) -> float:
    """1 when some ask names a phase, year or ordinal, and every clause of the sentence that
    holds a value of its kind names another one instead ("二期预计哪年投入运营？" against
    "一期规划床位400张,二期规划床位800张,一期预计于2026年投入运营": the year is 一期's);
    else 0, also when no clause holds such a value."""
    for ask in parsed:
        if not ask.constraints:
            continue
        answering = [
            part
            for part in _CLAUSES.findall(sentence)
            if any(features.has_value(k, part) for k in ask.kinds)
        ]
        if answering and all(
            any(c not in part and features.another(c, part) for c in ask.constraints)
            for part in answering
        ):
            return 1.0
    return 0.0


# What a number or a date is asked of. The question words that ask one; the measure word
# or unit between the question word and the counted noun ("多少名护士", "多少平方米"); the
# words that end that noun ("多少人就业呢"); and the linking words between a noun and the
# question word after it ("正常蓄水位是多少米", "一共有多少").
_ASKED_OF = re.compile(r"多少|(?<!哪)几(?=[^乎])|何时|什么时候|哪一?年|几月|哪一?天")
_COUNTER = re.compile(
    r"\s*(?:平方米|公里|小时|分钟|万|亿)?"
    r"[个项家位名张所座条种次件篇亩岁层台辆株间栋人元吨米倍份只头床天年月号日]?"
)
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_NOUN_END = re.compile(r"[的了呢吗是在有和与及]")
_LINKING = re.compile(
    r"(?:是|为|有|达到|达|约|共|一共|总共|大约|了|的|将|能|可|会|需要|要|在|于|到)+$"
)


@dataclass(frozen=True)
class Head:
    """What a question asks a number or a date of, and the kinds it asks."""

    terms: tuple[str, ...]
    kinds: tuple[str, ...]


def head(question: str) -> Head:
    """The counted noun after the question word and its measure word ("下派了多少名护士" →
    护士, "吸纳了多少人就业" → 就业, "哪一年投入运营" → 投入, 运营), or, with none there,
    the term right before it ("正常蓄水位是多少米" → 蓄水位). The near miss it tells apart
    states a value of the asked kind counting something else: "下派骨干医生73名" for 护士,
    "研发人员2300余人" for 就业. Chinese questions only (the terms must match the text)."""
    lower = question.lower()
    found: list[str] = []
    for clause in _QUESTION_CLAUSES.findall(lower):
        for m in _ASKED_OF.finditer(clause):
            after = clause[m.end() :]
            counter = _COUNTER.match(after)  # always matches, perhaps nothing
            after = after[counter.end() :] if counter else after
            run = _HAN_RUN.match(after)
            noun = run.group(0) if run else ""
            end = _NOUN_END.search(noun)
            noun = noun[: end.start()] if end else noun
            got = [t for t in terms(noun) if len(t) >= 2 and not FUNCTION.match(t)]
            if not got:
                before = _LINKING.sub("", clause[: m.start()])
                ends = [t for t in ending_terms(before) if not FUNCTION.match(t)]
                got = [max(ends, key=len)] if ends else []
            found += got
    kinds = tuple(k for k in KINDS if features.ASKS[k].search(lower))
    return Head(tuple(dict.fromkeys(found)), kinds)


def holds(asked: Head, sentence: str) -> tuple[float, float]:
    """(the share of the head's terms the lower-cased sentence lacks, 1 when one of its
    clauses holds a head term and a value of an asked kind); (0, 1) when there is no head."""
    if not asked.terms:
        return 0.0, 1.0
    lacking = sum(t not in sentence for t in asked.terms) / len(asked.terms)
    clauses = _CLAUSES.findall(sentence)
    bound = (
        any(
            any(t in c for t in asked.terms) and any(features.has_value(k, c) for k in asked.kinds)
            for c in clauses
        )
        if asked.kinds
        else any(t in sentence for t in asked.terms)
    )
    return lacking, float(bound)


def _narrower(clause: str, kinds: list[str]) -> re.Pattern[str] | None:
    """The value pattern of a year asked alone, or of a count asked with its measure word;
    None when the kind's own pattern is all there is."""
    if kinds == ["date"] and _ASKS_YEAR.search(clause):
        return _YEAR
    unit = _ASKS_UNIT.search(clause) if "number" in kinds else None
    if unit is None:
        return None
    word = unit.group(1)
    if word in ("万", "亿"):
        return re.compile(r"(?:\d[\d.,]*|[一二两三四五六七八九十百千]+)\s*[万亿]")
    kin = f"[{_KIN.get(word, word)}]" if len(word) == 1 else re.escape(word)
    return re.compile(_NUMERAL + kin)


# A list's members, set off by the enumeration comma; the last one ends where the count or
# what follows it starts ("锡山区、梁溪区、惠山区的9个社区服务中心": 惠山区), and may join two
# with 和/及/与 ("南湖区和高新区4个城区").
_MEASURES = "个家类所项名位张台座条"  # the measure words a count of things is written with
_MEMBER_END = re.compile(rf"等|的|共|合计|\d|[一二两三四五六七八九十]+[{_MEASURES}]")
_JOINED = re.compile(r"以及|[和及与]")
_COUNTED = re.compile(rf"\d|[一二两三四五六七八九十百千万]+[{_MEASURES}]")
# a list's clause ends at a colon or a bracket too
_LIST_CLAUSES = re.compile(r"[^,，;；:：。!?！？()（）]+")


def member(question: str, sentence: str) -> float:
    """1 when the (lower-cased) question asks a number of some members of a list that the
    sentence counts only as a whole: "梁溪区有几个社区服务中心？" against "锡山区、梁溪区、惠山区的
    9个社区服务中心", "医疗器械企业有多少家？" against "包括…药品零售、医疗器械等6大类120家企
    业" (the count is the list's, not the member's). A list whose members carry their own
    numbers ("医师52名、护士94名") states each; a question naming every member asks the
    whole. Else 0."""
    asked = _asked_terms(question)
    if asked is None:
        return 0.0
    for clause in _LIST_CLAUSES.findall(sentence):
        if not _COUNTED.search(clause):
            continue
        members = _members(clause)
        if len(members) < 2 or any(_DIGITS.search(m) for m in members):
            continue
        # a member is named by the question when it is there whole, or a question term
        # makes most of it
        named = [
            m
            for m in members
            if m in question or any(t in m and len(t) >= 0.6 * len(m) for t in asked)
        ]
        if named and len(named) < len(members):
            return 1.0
    return 0.0


@lru_cache(maxsize=256)
def _asked_terms(question: str) -> tuple[str, ...] | None:
    """The terms a question asking a number names (None when it asks none): segmented once
    per question, not again for each sentence `member` reads it against."""
    if not features.ASKS["number"].search(question):
        return None
    return tuple(t for t in dict.fromkeys(terms(question)) if len(t) >= 2 and not FUNCTION.match(t))


def _members(clause: str) -> list[str]:
    """The members of the clause's list, or none (fewer than three items, or two without
    a joining word). The first item runs back from the comma as far as the longest of the
    others."""
    items = clause.split("、")
    if len(items) < 3 and not (len(items) == 2 and _JOINED.search(items[-1])):
        return []
    end = _MEMBER_END.search(items[-1])
    last = items[-1][: end.start()] if end else items[-1]
    rest = [i for i in [s.strip() for s in items[1:-1]] + _JOINED.split(last) if i]
    if not rest:
        return []
    width = max(len(i) for i in rest)
    return [items[0][-width:], *rest]

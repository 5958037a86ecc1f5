"""What a question asks beyond the kind of its value (`features.ASKS`): a day rather than a
month, several things rather than one, a name rather than a description; and two kinds of
value the kinds are too coarse for: an amount of money (`asks_money`, stated in 元), and who
holds a title, where the deputy (副院长) holds another title than the one asked (`role`).

A sentence holding the kind but not this is the commonest near miss the gate let through:
"大会是5月几号开的" against "今年5月,无锡举办了…大会" (a date, no day), "28家企业都有哪些"
against "平台吸引了28家生物医药类企业入驻" (a count, no list), "哪家公司研发的" against a
sentence that names no organisation. What stays hand-written is general: question words and
the shapes of days, enumerations and names, never words of one document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.answering.learned.features import ASKS
from assistant.text.segmentation import ending_terms, tag

# The question words of each. "几号" and "哪天" ask a day; "几月" or "什么时候" do not.
_DAY_ASKED = re.compile(
    r"几号|几日|哪天|哪一天|哪日|具体日期|具体哪|\bwhat date\b|\bwhich day\b|\bwhat day\b"
    r"|\bon what date\b|\bexact date\b",
    re.I,
)
# Several things: "哪些", "哪几家", "都有什么". "分别" is not one: it asks each of parts
# the question names ("一期和二期分别…").
_LIST_ASKED = re.compile(
    r"哪些|哪几|都有什么|包括什么|包括哪|列举|\bwhich ones\b|\bwhat are the\b|\blist\b", re.I
)
# A name: a person's (谁, 哪位), an organisation's (哪家医院, 什么公司), or either (叫什么名字).
# A place is asked by features.ASKS' own words and stated by ns tags, which that kind reads.
# Titles, which name a person after them ("院长陶春生说") and ask one ("负责人叫什么").
_TITLES = r"长|主任|书记|负责人|教授|医师|医生|主席|经理|董事|理事|院士|专家|记者"
_PERSON_ASKED = re.compile(
    rf"谁|哪位|(?:{_TITLES})的?(?:名字)?(?:叫什么|是什么名字)|\bwho\b|\bwhom\b", re.I
)
_ORGANISATION_ASKED = re.compile(
    r"哪家|哪所|哪一家|哪个(?:公司|机构|单位|企业|医院|部门|团队|学校|大学|厂)"
    r"|什么(?:公司|机构|单位|企业|部门|团队|品牌)"
    r"|\bwhich (?:company|organi[sz]ation|institution|hospital|firm|university|school|team|brand)"
    r"|\bwhat (?:company|organi[sz]ation|institution)",
    re.I,
)
_NAME_ASKED = re.compile(r"叫什么|什么名字|名称|\bname of\b|\bcalled\b|\bnamed\b", re.I)
# A day as news writes it: 18日, 3号, 十八日, 初三, 2025-08-18.
_DAY = re.compile(
    r"\d{1,2}\s*[日号]|[一二三四五六七八九十廿]+[日号]|初[一二三四五六七八九十]"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
)
# An enumeration: items set off by the enumeration comma or semicolons, or quoted names in a
# row ("名院攀峰"、"名科登峰").
_ENUMERATION = re.compile(r"[、；;]|[“\"「][^”\"」]{1,20}[”\"」][^“\"「]{0,3}[“\"「]")
# Names by jieba's tags: person, place, organisation, other proper noun (with its HMM, which
# finds the names its dictionary lacks); and names by their endings, which it often splits.
_PEOPLE = {"nr", "nrfg", "nrt"}
_OTHERS = {"ns", "nt", "nz"}
_ENDINGS = r"公司|集团|医院|大学|学院|研究所|研究院|委员会|协会|学会|基金会|银行|卫生院"
_NAME_END = re.compile(rf"[\u4e00-\u9fff]{{2,}}(?:{_ENDINGS})")
_ENDING = re.compile(rf"(?:{_ENDINGS})$")
# What comes before a name, never in it: jieba's tags of numerals and quantifiers (一家, but
# not the ordinal 第三), prepositions (由), conjunctions (与), adverbs (已), pronouns (该),
# particles (的).
_CUT = {"m", "p", "c", "d", "r", "u", "uj", "ul"}
# A person named after a title and before what they said: "院长陶春生说", "副局长符祝说" (two-
# character names the tagger leaves untagged).
_SAYS = r"说|表示|介绍|告诉|指出|认为|坦言|透露|称|强调|谈到|提到"
_TITLED = re.compile(
    rf"(?:{_TITLES})"
    rf"(?!{_SAYS}|等|们|在|和|也|还|都|就|对|将|是|的)([\u4e00-\u9fff]{{2,3}}?)(?={_SAYS}|[,，。:：“])"
)
_QUOTED = re.compile(r"[“\"「《]([^”\"」》]{2,20})[”\"」》]")


# An amount of money is asked by the general words of cost, and stated as a number in 元.
# The sentence scorer's "number" kind cannot tell 投资多少 from 床位多少: both find a number,
# and a near miss about a project's cost quotes its size instead.
_ASKS_MONEY = re.compile(
    r"多少钱|投资|费用|资金|造价|花费|花了|金额|经费|预算|价格|收费|补贴|拨款"
    r"|\bcost|\bbudget|\binvest|\bspen[dt]|\bprice|\bfund|\bfee",
    re.I,
)
# ...but only when the question asks nothing else: "哪家机构投资" asks who, "on what date was
# the fee approved" asks when.
_ASKS_OTHER = re.compile(r"哪|\bwhich\b")
_ASKS_ELSE = [p for kind, p in ASKS.items() if kind != "number"] + [_ASKS_OTHER]
_MONEY = re.compile(r"\d[\d.,]*\s*[万亿]?(?:美元|元)|[一二三四五六七八九十百千两]+[万亿]元")
# Who holds a title is asked by these question words after the title ("副局长是谁"). The
# deputy prefix 副 makes another title, which the term matching cannot see: the search
# segmentation splits 副院长 into 院长 too, so "院长是谁" is covered by "副院长栾波".
_ASKS_PERSON = re.compile(r"的?(?:是谁|叫什么|是哪位|姓什么|由谁)")


@dataclass(frozen=True)
class Specifics:
    day: bool
    several: bool
    name: str | None  # "person", "organisation", "any", or None: no name asked


def parse(question: str) -> Specifics:
    return Specifics(
        day=bool(_DAY_ASKED.search(question)),
        several=bool(_LIST_ASKED.search(question)),
        name=(
            "person"
            if _PERSON_ASKED.search(question)
            else "organisation"
            if _ORGANISATION_ASKED.search(question)
            else "any"
            if _NAME_ASKED.search(question)
            else None
        ),
    )


def missing(wanted: Specifics, sentence: str, question: str) -> tuple[float, float, float]:
    """For each of (a day, several things, a name): 1 when the question asks it and the
    sentence (as written) does not hold it, else 0. A name counts only when the question
    does not already hold it: "院长欧阳砚" answers "院长是谁", "欧阳砚说" does not answer
    "欧阳砚的副手是谁"."""
    lower = question.lower()
    return (
        float(wanted.day and not _DAY.search(sentence)),
        float(wanted.several and not _ENUMERATION.search(sentence)),
        float(
            wanted.name is not None
            and not any(
                n.lower() not in lower and wanted.name in (kind, "any")
                for n, kind in names(sentence)
            )
        ),
    )


@lru_cache(maxsize=8192)
def names(sentence: str) -> tuple[tuple[str, str], ...]:
    """The names a sentence holds, each with its kind: "person", "place" (which answers a
    question asking any name, not one asking an organisation), or "organisation" for any
    other (brands and products too). Cached: the same sentences come back question after
    question, and the tagger's HMM costs about a millisecond a sentence."""
    tagged = [(w, f) for w, f in tag(sentence) if len(w) >= 2]
    people = [w for w, f in tagged if f in _PEOPLE] + [
        w for w in _TITLED.findall(sentence) if _unlisted(w)
    ]
    places = [w for w, f in tagged if f == "ns"]
    others = [w for w, f in tagged if f in ("nt", "nz")]
    others += [n for n in _NAME_END.findall(sentence) if _named(n)]
    others += _QUOTED.findall(sentence)
    found = (
        [(n, "person") for n in people]
        + [(n, "organisation") for n in others]
        + [(n, "place") for n in places]
    )
    return tuple(dict.fromkeys(found))


def _named(run: str) -> bool:
    """Whether a run of text ending like an organisation names one: a proper noun is left
    after its last quantifier, preposition, conjunction, adverb, pronoun or particle. The
    ending alone does not name: "伊川乳业公司" and "由云衡信息科技有限公司" do, "澳大利亚一家
    电力公司" (一家 电力) and "并已合资成立项目公司" (已 合资成立项目) do not."""
    words = tag(_ENDING.sub("", run))
    cuts = [i for i, (w, f) in enumerate(words) if f in _CUT and not w.startswith("第")]
    rest = words[cuts[-1] + 1 :] if cuts else words
    return any(f in _PEOPLE or f in _OTHERS for _, f in rest)


def _unlisted(word: str) -> bool:
    """Not one of the dictionary's words other than a person's ("专家团队。" is no name):
    a name after a title is mostly unknown to it ("陶春生" splits as 陶 + 春生)."""
    tagged = tag(word, hmm=False)
    return len(tagged) > 1 or tagged[0][1] in _PEOPLE


def asks_money(question: str) -> bool:
    """The question asks an amount of money, and nothing else."""
    lower = question.lower()
    return bool(_ASKS_MONEY.search(lower)) and not any(p.search(lower) for p in _ASKS_ELSE)


def states_money(sentence: str) -> bool:
    return bool(_MONEY.search(sentence))


def role(question: str, best: list[str]) -> tuple[float, float, float]:
    """(asks a title's holder, the first sentence names the title as asked, one of them does).
    Neither asked: (0, 1, 1). The title is the longest term right before the question word."""
    lower = question.lower()
    asked = _ASKS_PERSON.search(lower)
    before = lower[: asked.start()] if asked else ""
    heads = ending_terms(before)
    if not heads:
        return 0.0, 1.0, 1.0
    head = max(heads, key=len)
    deputy = head.startswith("副") or before[: -len(head)].endswith("副")
    core = head.removeprefix("副")

    def names(sentence: str) -> bool:
        return any(
            sentence[: hit.start()].endswith("副") == deputy
            for hit in re.finditer(re.escape(core), sentence)
        )

    return 1.0, float(names(best[0])), float(any(names(s) for s in best))

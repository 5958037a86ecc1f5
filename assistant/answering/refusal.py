"""When the sources do not hold the answer: refusal decided from the retrieved evidence.

Never from a model's own knowledge. By default (`ANSWER_REFUSAL=learned`) the checks below
are not pass/fail: `answerability.py` reads them as numbers (`fact_coverage`,
`missing_constraints`, the coverage) and a fitted model decides. `should_refuse` is the
rule decision, used with `ANSWER_REFUSAL=rules` and for sources in other languages.
For a Chinese question, three checks:

1. Coverage: some sentence (or a sentence per part of a two-part question) must cover
   enough of the question's weighted terms.
2. Constraints: the proper nouns (北京协和医院), distinguishing words (二期) and numbered
   terms (三期, 2019年) of the question restrict what it asks about; each must appear in
   the documents the sources come from. A question about 三期 is not answered by 一期.
   Only dictionary words count as proper nouns: the names jieba guesses for words it does
   not know are too often wrong (张床 in "多少张床" tagged a name, 锡城 for 无锡).
3. Fact clauses: a clause that asks for a number, a date or a person ("有多少张床位",
   "哪一年", "院长是谁") needs a sentence holding a value of that kind that, with its
   chunk, covers what the clause asks about (the near miss: the hospital is there, its
   beds are not). A phase the clause names (二期) must be in the same phrase as the value:
   "二期规划床位800张,一期预计于2026年投入运营" does not say when 二期 opens. A question
   is refused when none of its fact clauses is answered; a question in two parts with one
   answered part gets the partial answer.

The thresholds were set on the development sets (evals/datasets); see evals/README.md for
what they reach on a set written blind. A question in another language cannot be matched
term by term against Chinese text, so it is refused when the dense similarity of the best
source is low.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answering import evidence
from assistant.answering.evidence import Corpus, Sentence
from assistant.answering.followup import Query
from assistant.schema import Retrieved
from assistant.settings import AnswerSettings
from assistant.text.segmentation import (
    GENERIC_NOUNS,
    STOPWORDS,
    in_dictionary,
    is_chinese,
    tag,
    terms,
)

NUMBER_Q = re.compile(
    r"多少|(?<!哪)几[个家项张名位所座条种次年件篇亩]|多大|多长|多高|多久|多远|比例|金额|面积|数量"
    r"|how many|how much|how large|how big|how far|how long|number of|percentage",
    re.I,
)
DATE_Q = re.compile(
    r"何时|什么时候|哪年|哪一年|几月|哪天|哪一天|日期|when|what year|what date|which year", re.I
)
_WHO_Q = re.compile(r"谁|哪位|叫什么|名字")
# a lone 一 with a classifier is mostly an article ("一条新消息"), not a count
HAS_NUMBER = re.compile(
    r"\d|(?!一[个项家位名张大所座条种次件篇])[一二两三四五六七八九十百千万]+[余多]?[个项家位名张大所座条种次亿万元件篇亩]"
    r"|[第一二两三四五六七八九十百千万半]+[余多]?(?:天|小时|分钟|秒|周|星期|个月|年)"  # 多久: durations
)
HAS_DATE = re.compile(r"\d{4}年|\d{1,2}月|\d{1,2}日|去年|今年|明年")
_FACT_KINDS: tuple[tuple[re.Pattern, re.Pattern | None], ...] = (
    (NUMBER_Q, HAS_NUMBER),
    (DATE_Q, HAS_DATE),
    (_WHO_Q, None),
)
_CLAUSE = re.compile(r"[^？?，,；;。!！]+")
_PHRASE = re.compile(r"[^,，;；:：。!?！？]+")
_PROPER = frozenset({"ns", "nr", "nt", "nz", "nrt", "nrfg"})
_NUMBERED = re.compile(r"\d|^第?[一二三四五六七八九十两]+[期届批轮号]$")
_PHASE = re.compile(r"^第?[一二三四五六七八九十两\d]+[期届批轮]$")


@dataclass(frozen=True)
class FactClause:
    value: re.Pattern | None  # what a sentence answering it holds (None: any sentence)
    weights: dict[str, float]  # the question's terms, less those of its other fact clauses
    phases: list[str]  # 二期: must be in the phrase that holds the value
    subject: list[str]  # its proper nouns: must be in the answering sentence's document


def should_refuse(
    query: Query,
    retrieved: list[Retrieved],
    coverage: tuple[float, float],
    corpus: Corpus,
    settings: AnswerSettings,
) -> bool:
    """`coverage`: of the question by the best sentence, and by the picked ones together."""
    if not retrieved:
        return True
    if not is_chinese(query.question):
        return max((r.dense_score or 0.0) for r in retrieved) < settings.min_dense_score
    single, union = coverage
    # a question in two parts may need two sentences, but one must carry most of a part
    if union < settings.min_coverage or single < 0.75 * settings.min_coverage:
        return True
    sources = dict.fromkeys(r.chunk.source for r in retrieved)
    documents = "\n".join(
        [corpus.document(s).lower() for s in sources] + [r.chunk.title.lower() for r in retrieved]
    )
    if missing_constraints(query.question, documents):
        return True
    clauses = fact_clauses(query, corpus)
    if not clauses:
        return False
    sentences = evidence.split(retrieved)
    return all(fact_coverage(c, sentences, corpus) < settings.min_fact_coverage for c in clauses)


def missing_constraints(question: str, text: str) -> list[str]:
    """The proper nouns, distinguishing words and numbered terms of `question` absent from `text`."""
    wanted = [
        w
        for w, flag in tag(question)
        if len(w) >= 2
        and (_is_name(w, flag) or flag == "b" or _NUMBERED.search(w))
        and w not in GENERIC_NOUNS
        and w not in STOPWORDS
    ]
    return [w for w in wanted if not _present(w, text)]


def fact_clauses(query: Query, corpus: Corpus) -> list[FactClause]:
    """The clauses of the question that ask for a number, a date or a person. A follow-up
    that asks none ("那二期呢？") asks what the earlier question asked, about what it names."""
    asking = [(c, v) for c in _CLAUSE.findall(query.question.lower()) for v in _kind(c)]
    phases = [t for t in terms(query.question) if _PHASE.match(t)]
    if not asking and query.history:
        asking = [(c, v) for c in _CLAUSE.findall(query.history[-1].lower()) for v in _kind(c)]
        if len(asking) > 1:
            return []  # which part the follow-up asks about is not clear: coverage decides
        weights = evidence.term_weights(query, corpus)
        subject = _proper(query.question) or (_proper(asking[0][0]) if asking else [])
        return [FactClause(v, weights, phases, subject) for _, v in asking]
    found = []
    for clause, value in asking:
        others = {t for c, _ in asking if c != clause for t in terms(c)} - set(terms(clause))
        weights = evidence.term_weights(query, corpus, only=set(query.weighted_terms()) - others)
        found.append(
            FactClause(value, weights, [p for p in phases if p in clause], _proper(clause))
        )
    return found


def _proper(text: str) -> list[str]:
    return [w for w, flag in tag(text) if _is_name(w, flag)]


def _is_name(word: str, flag: str) -> bool:
    """A proper noun jieba knows from its dictionary (its HMM's guesses are too often wrong)."""
    return flag in _PROPER and len(word) >= 2 and in_dictionary(word)


def _kind(clause: str) -> list[re.Pattern | None]:
    """[the value pattern] of the first kind of fact the clause asks for, or []."""
    return next(([value] for asks, value in _FACT_KINDS if asks.search(clause)), [])


def fact_coverage(clause: FactClause, sentences: list[Sentence], corpus: Corpus) -> float:
    """How well the best sentence that could answer the clause covers what it asks about:
    the sentence holds a value of the kind asked for, its document names the clause's
    subject, and its phrase with the value names the clause's phase (0 when none does)."""
    best = 0.0
    for sent in sentences:
        if clause.value is not None and not clause.value.search(sent.text):
            continue
        document = corpus.document(sent.source).lower() + sent.context
        if not all(_present(s, document) for s in clause.subject):
            continue  # 600 beds of a Shanghai project do not answer for the Wuxi branch
        if clause.phases:
            phrases = [
                p for p in _PHRASE.findall(sent.text) if not clause.value or clause.value.search(p)
            ]
            if not all(any(ph in p for p in phrases) for ph in clause.phases):
                continue
        best = max(best, evidence.coverage(clause.weights, sent))
    return best


def _present(term: str, text: str) -> bool:
    """A term is present as is, or (a long name) by most of its words: 瑞金医院金山院区 in
    "瑞金医院…金山院区"; but not 北京协和医院 by 医院 alone."""
    if term in text:
        return True
    parts = [w for w in terms(term) if w != term and len(w) >= 2]
    return bool(parts) and sum(w in text for w in parts) * 2 > len(parts)

"""Whether the retrieved sources answer a question: a calibrated probability.

The default reader quotes the sentences that cover the question best; whether to quote at
all is decided here, by a logistic regression over what the evidence shows (`NAMES`):

- the rule reader's evidence, as numbers rather than pass/fail checks: how much of the
  question the best sentence and the quoted ones cover; how many of its names, phases and
  numbered terms the source documents lack; how well the best sentence holding a value of
  the asked kind (a number for 多少, a date for 哪一年) covers what the clause asks; the
  best dense similarity;
- the learned sentence scorer's view (`learned.model.AGGREGATES`: its best sentence's
  score and features, trained on CMRC 2018 / DRCD);
- which of the question's terms the index knows that the best sentence and its chunk
  lack, and whether the asked thing (床位 in 多少张床位) is bound to a value there;
- two kinds of value the sentence scorer's kinds are too coarse for: an amount of money
  (asked by 投资/费用/cost, stated in 元), and the holder of a title, where the deputy
  (副院长) is another title than the one asked (院长);
- whether the number or date asked is stated in one clause with what it is asked about,
  and is not one the question already writes (`binding`).

The Chinese gate adds gradient-boosted trees over the same signals and averages the two
probabilities (`Gate`). The weights are fitted by `scripts/train_answerability.py` on the
project's question sets (each written blind, then retired to `evals/datasets/`), with the
refusal threshold chosen on predictions for sets held out of the fit. That script reports,
per set, what the model refuses when that set was left out; evals/README.md has the
figures. Questions in other languages (English) get a gate of their own, fitted the same
way on the same signals: their terms cannot match the Chinese text, so the e5 similarities
carry what they show.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.answering import binding, evidence, refusal
from assistant.answering.evidence import Corpus
from assistant.answering.followup import Query
from assistant.answering.learned import features
from assistant.answering.learned import model as reader_model
from assistant.errors import ConfigError
from assistant.schema import Retrieved
from assistant.text.segmentation import is_chinese, terms

ARTIFACT = Path(__file__).with_name("answerability.json")

EVIDENCE = [
    "cover_best",  # share of the question's weighted terms the best sentence covers
    "cover_quoted",  # ... the quoted sentences together
    "missing_terms",  # names, phases, numbered terms absent from the source documents
    "fact_cover",  # coverage by the best sentence holding a value of the asked kind
    "asks_fact",  # the question asks for a number, a date or a person
    "dense_best",  # the best chunk's dense similarity
]
LEXICAL = [
    "known_missing_sentence",  # IDF share of the question's known terms absent from it
    "known_missing_chunk",
    "rarest_missing_chunk",  # the rarest known term absent from the chunk (IDF / the max)
    "rarest_missing_sentence",
    "known_best_of_three",  # the best known-term coverage among the top three sentences
    "unknown_share",  # share of the question's terms the index has never seen
    "known_missing_chunk_count",
    "focus_in_sentence",
    "focus_bound_top",  # the asked thing and a value in one clause of the best sentence
    "focus_bound_any",
]
VALUES = [
    "money_missing",  # the question asks an amount of money; the best sentence states none
    "asks_role",  # the question asks who holds a title (院长是谁, 副局长叫什么)
    "role_best",  # the best sentence names that title, deputy (副) or not as asked
    "role_top3",  # ... one of the three best sentences does
]
BINDING = [  # `binding`: the value asked, in one clause with what it is asked about
    "asks_bound_value",  # some clause of the question asks for a number or a date
    "bound_best",  # share of the asked clause's terms in the best sentence's answering clause
    "bound_top3",  # ... the best of the three best sentences
    "new_value_best",  # the best sentence holds a value of the asked kind the question lacks
    "new_value_top3",
]
NAMES = EVIDENCE + [f"reader_{a}" for a in reader_model.AGGREGATES] + LEXICAL + VALUES + BINDING

# Question words and particles: not terms the sources should contain.
_FUNCTION = re.compile(
    r"^(什么|多少|哪|几|谁|怎么|怎样|如何|为什么|为何|是否|吗|呢|请问|是|的|了|有|在|和|与|及)"
)
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
_ASKS_ELSE = [p for kind, p in features.ASKS.items() if kind != "number"] + [_ASKS_OTHER]
_MONEY = re.compile(r"\d[\d.,]*\s*[万亿]?(?:美元|元)|[一二三四五六七八九十百千两]+[万亿]元")
# Who holds a title is asked by these question words after the title ("副局长是谁"). The
# deputy prefix 副 makes another title, which the term matching cannot see: the search
# segmentation splits 副院长 into 院长 too, so "院长是谁" is covered by "副院长栾波".
_ASKS_PERSON = re.compile(r"的?(?:是谁|叫什么|是哪位|姓什么|由谁)")


def signals(
    query: Query,
    retrieved: list[Retrieved],
    corpus: Corpus,
    coverage: tuple[float, float],
    lowered: list[evidence.Sentence],
) -> np.ndarray:
    """The `NAMES` row of one question. `coverage`: the rule reader's (best, quoted);
    `lowered`: the retrieved sentences as the rule reader split them (`evidence.split`)."""
    question = query.question
    sources = dict.fromkeys(r.chunk.source for r in retrieved)
    documents = "\n".join(
        [corpus.document(s).lower() for s in sources] + [r.chunk.title.lower() for r in retrieved]
    )
    missing = len(refusal.missing_constraints(question, documents))
    clauses = refusal.fact_clauses(query, corpus)
    fact = max((refusal.fact_coverage(c, lowered, corpus) for c in clauses), default=1.0)
    dense = max((r.dense_score or 0.0) for r in retrieved)
    row = [*coverage, float(missing), fact, float(bool(clauses)), dense]
    return np.concatenate([np.asarray(row), _reader_view(query.standalone, retrieved, corpus)])


def _reader_view(question: str, retrieved: list[Retrieved], corpus: Corpus) -> np.ndarray:
    """The learned scorer's aggregates, and the lexical signals of its best sentence."""
    sents = evidence.split(retrieved, lower=False)
    cands = [features.Candidate(s.text, s.context, s.rank) for s in sents]
    svecs = corpus.sentence_vectors([s.text for s in sents])
    x = features.matrix(
        features.analyse(question, corpus.idf), cands, corpus.query_vector(question), svecs
    )
    logits = reader_model.load().sentence_logits(x)
    order = np.argsort(-logits)
    top = int(order[0])
    sentence, chunk = sents[top].text.lower(), sents[top].context.lower()
    content = [t for t in terms(question.lower()) if not _FUNCTION.match(t)]
    known = {t: corpus.idf(t) for t in content if corpus.known(t)}
    unknown = [t for t in content if not corpus.known(t)]
    total = sum(known.values()) or 1.0
    rarest = max(known.values(), default=1.0)
    absent_sentence = [w for t, w in known.items() if t not in sentence]
    absent_chunk = [w for t, w in known.items() if t not in chunk]
    top3 = [sents[int(j)].text.lower() for j in order[:3]]
    best3 = max(sum(w for t, w in known.items() if t in text) / total for text in top3)
    col = features.NAMES.index
    lexical = [
        sum(absent_sentence) / total,
        sum(absent_chunk) / total,
        max(absent_chunk, default=0.0) / rarest,
        max(absent_sentence, default=0.0) / rarest,
        best3,
        len(unknown) / max(1, len(known) + len(unknown)),
        float(len(absent_chunk)),
        float(x[top, col("focus_sent")]),
        float(x[top, col("focus_bound")]),
        float(x[:, col("focus_bound")].max()),
    ]
    money_missing = _asks_money(question) and not _MONEY.search(sentence)
    values = [float(money_missing), *_role(question, top3)]
    asked = binding.parse(question.lower(), corpus.idf)
    bound = [binding.bind(asked, question.lower(), text) for text in top3]
    bindings = [
        float(bool(asked)),
        bound[0][0],
        max(b[0] for b in bound),
        bound[0][1],
        max(b[1] for b in bound),
    ]
    return np.concatenate(
        [reader_model.aggregate(x, logits), np.asarray(lexical + values + bindings)]
    )


def _asks_money(question: str) -> bool:
    lower = question.lower()
    return bool(_ASKS_MONEY.search(lower)) and not any(p.search(lower) for p in _ASKS_ELSE)


def _role(question: str, best: list[str]) -> tuple[float, float, float]:
    """(asks a title's holder, the first sentence names the title as asked, one of them does).
    Neither asked: (0, 1, 1). The title is the longest term right before the question word."""
    lower = question.lower()
    asked = _ASKS_PERSON.search(lower)
    before = lower[: asked.start()] if asked else ""
    heads = [t for t in terms(before) if before.endswith(t) and len(t) >= 2]
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


@dataclass(frozen=True)
class Gate:
    """The fitted regression (over standardised `NAMES`) and its refusal threshold; with
    `trees`, the probability is the mean of the regression's and the trees'.

    Trees see what a sum of weights cannot: a signal that matters only with another (a title
    asked and not named, in a sentence that otherwise covers the question). The regression
    keeps the estimate smooth where the trees' few hundred training questions are thin."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float
    info: dict
    trees: reader_model.Trees | None = None  # gradient-boosted trees over the raw `NAMES`

    def probability(self, row: np.ndarray) -> float:
        p = reader_model.logistic(row, self.coef, self.intercept, self.mean, self.scale)
        if self.trees is None:
            return p
        logit = float(self.trees.decision(np.asarray(row, np.float64)[None, :])[0])
        return (p + 1.0 / (1.0 + np.exp(-logit))) / 2.0

    def to_json(self) -> dict:
        return {
            "features": NAMES,
            **reader_model.logistic_to_json(self.coef, self.intercept, self.mean, self.scale),
            **({} if self.trees is None else {"trees": self.trees.to_json()}),
            "threshold": round(self.threshold, 4),
            "info": self.info,
        }

    @classmethod
    def from_json(cls, d: dict) -> Gate:
        if d.get("features") != NAMES:
            raise ConfigError(
                "the answerability model was fitted on other signals than this version "
                "computes: reinstall the package, or refit it with scripts/train_answerability.py"
            )
        return cls(
            **reader_model.logistic_from_json(d),
            threshold=float(d["threshold"]),
            info=d.get("info", {}),
            trees=reader_model.Trees.from_json(d["trees"]) if "trees" in d else None,
        )


@dataclass(frozen=True)
class Gates:
    """One gate for Chinese questions and one for questions in other languages (English):
    the same signals mean different things when the question's terms cannot match the
    Chinese text, so each language group has its own weights and threshold."""

    chinese: Gate
    other: Gate

    def pick(self, question: str) -> Gate:
        return self.chinese if is_chinese(question) else self.other

    def to_json(self) -> dict:
        return {"chinese": self.chinese.to_json(), "other": self.other.to_json()}

    @classmethod
    def from_json(cls, d: dict) -> Gates:
        if not {"chinese", "other"} <= d.keys():
            raise ConfigError(
                "the answerability model file lacks a gate per language group: reinstall the "
                "package, or refit it with scripts/train_answerability.py"
            )
        return cls(Gate.from_json(d["chinese"]), Gate.from_json(d["other"]))


@lru_cache(maxsize=4)
def load(path: Path = ARTIFACT) -> Gates:
    """The shipped models, read once per process."""
    return Gates.from_json(json.loads(path.read_text(encoding="utf-8")))

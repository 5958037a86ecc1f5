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
- two kinds of value the sentence scorer's kinds are too coarse for (`specifics`): an
  amount of money (asked by 投资/费用/cost, stated in 元), and the holder of a title, where
  the deputy (副院长) is another title than the one asked (院长);
- whether the number or date asked is stated in one clause with what it is asked about,
  and is not one the question already writes, and whether the number asked of a list's
  member is only the whole list's (`binding`);
- what the number or date is asked of (`binding.head`: 护士 in "下派了多少名护士"), and
  whether the best sentences name it in the clause holding the value ("下派骨干医生73名"
  counts doctors);
- what the question asks beyond the kind of value (`specifics`): a day (几号), several
  things (哪些), a name (谁, 哪家公司), and whether the best sentence holds it;
- for a follow-up read with the earlier turn ("那护士呢？" after "…有多少名医生？"), how
  much of its own terms, apart from the earlier turn's, the best sentences cover;
- the cross reader's log-odds that the best sentence, or one of the best three, states the
  answer (`learned.cross`: e5's first layers reading the question and the sentence
  together, trained on CMRC 2018 / DRCD and on the project's near misses), the one signal
  that reads them as one text. It costs a forward pass a sentence, so a gate reads only
  what it was fitted on (`Gate.cross_read`): the shipped Chinese gate its score of the best
  sentence, the English one none (evals/README.md, rounds twenty-one and twenty-two). When
  the Chinese gate is unsure (its probability near its threshold), a second gate takes a
  closer look (`gate.Closer`): the next two sentences are read too (`read_more`), and its
  sentence model reads each of the best three's own score (round twenty-nine).

The Chinese gate adds gradient-boosted trees over the same signals and averages the two
probabilities, then averages that with a sentence model: trees over each retrieved
sentence (`SUPPORT_NAMES`: the scorer's features of the sentence, the signals above as
they stand for that sentence alone, and the question's row), fitted on the sentences the
question sets quote as stating the answer against every other sentence retrieved, the
unanswerable questions' on-topic near misses among them; the best sentence's probability
counts (`gate.Gate`). The weights are fitted by `scripts/train_answerability.py` on the
project's question sets (each written blind, then retired to `evals/datasets/`), with the
refusal threshold chosen on predictions for sets held out of the fit. That script reports,
per set, what the model refuses when that set was left out; evals/README.md has the
figures. Questions in other languages (English) get a gate of their own, fitted the same
way on the same signals: their terms cannot match the Chinese text, so the e5 similarities
carry what they show.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from assistant.answering import binding, evidence, refusal, specifics
from assistant.answering.evidence import Corpus
from assistant.answering.followup import Query
from assistant.answering.learned import cross, features
from assistant.answering.learned import model as reader_model
from assistant.schema import Retrieved
from assistant.text.segmentation import terms

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
    "bound_clash_best",  # every clause of the best sentence with such a value names another
    # phase or year than the one asked (一期's year for 二期哪年)
    "listed_best",  # the best sentence counts a list as a whole, and the question asks the
    # number of some of its members (梁溪区有几个 against 锡山区、梁溪区、惠山区的9个)
    "listed_any",  # ... some retrieved sentence does
]
SPECIFICS = [  # `specifics`: what the question asks beyond the kind of value
    "asks_day",  # a day (几号, 哪天), not only a month or a year
    "asks_several",  # several things (哪些, 哪几家)
    "asks_name",  # a name (谁, 哪家公司, 叫什么)
    "day_missing",  # ... and the best sentence holds no day
    "several_missing",  # ... no enumeration
    "name_missing",  # ... no name the question lacks
]
TURN = [  # a follow-up's own terms ("那护士呢？"), apart from those of the turns it leans on
    "turn_share",  # their share of the question's known terms' IDF (1: not a follow-up)
    "turn_missing_best",  # IDF share of them absent from the best sentence
    "turn_best_of_three",  # the best coverage of them among the three best sentences
]
HEAD = [  # `binding.head`: what the number or date is asked of (多少名护士 → 护士)
    "asks_head",  # the question names it
    "head_missing_best",  # the share of its terms the best sentence lacks
    "head_bound_best",  # a clause of the best sentence holds it and a value of the asked kind
    "head_missing_top3",  # the least lacking of the three best sentences
    "head_bound_top3",  # ... one of them binds it
]
CROSS = [  # `learned.cross`, for the sentence scorer's best sentences
    "cross_best",  # the log-odds that the best states the answer
    "cross_top3",  # the highest of the best three's (`CROSS_TOP`)
]
# A gate reads as many sentences as its signals need (`Gate.cross_read`): one for
# `cross_best`, `CROSS_TOP` for `cross_top3`, and for each sentence's `cross` as many of the
# best as its sentence model was fitted on (`Gate.sentence_cross`: the shipped one-read
# gates 1, the closer look 3; the others' `cross` is `NOT_READ`, however many were read).
# Neither shipped gate reads `cross_top3`: out of fold it
# bought nothing for Chinese questions (round twenty-one); an English gate fitted on it
# refused more out of fold (0.27 -> 0.33 at 5% false refusal) but not on two fresh sets, for
# 60 ms more at the warm p95 (round twenty-two; evals/README.md has both).
CROSS_TOP = 3
NOT_READ = -8.0  # the cross score of a sentence not read (about the lowest it gives)
NAMES = (
    EVIDENCE
    + [f"reader_{a}" for a in reader_model.AGGREGATES]
    + LEXICAL
    + VALUES
    + BINDING
    + SPECIFICS
    + TURN
    + HEAD
    + CROSS
)
# One row per retrieved sentence, for the support model (`Gate.support`): the learned
# scorer's features of the sentence, then the question's signals above as they stand
# for this sentence alone, then the question's whole `NAMES` row.
SENTENCE = [f"sentence_{n}" for n in features.NAMES] + [
    "logit",  # the learned scorer's score of the sentence
    "logit_gap",  # ... minus the best sentence's
    "logit_rank",  # its place in the scorer's order, from 0
    "known_missing_sentence",  # as in LEXICAL, for this sentence
    "known_missing_chunk",
    "rarest_missing_sentence",
    "rarest_missing_chunk",
    "bound",  # as in BINDING, for this sentence
    "new_value",
    "bound_clash",
    "listed",
    "money_missing",  # as in VALUES, for this sentence
    "role",
    "day_missing",  # as in SPECIFICS, for this sentence
    "several_missing",
    "name_missing",
    "turn_missing_sentence",  # as in TURN, for this sentence
    "turn_missing_chunk",
    "head_missing",  # as in HEAD, for this sentence
    "head_bound",
    "chunk_dense",  # its chunk's dense similarity and retrieval rank
    "chunk_rank",
    "cross",  # the cross reader's log-odds for this sentence, for the best one (or the
    # best `own` ones: `sentence_signals`); `NOT_READ` for the others
]
SUPPORT_NAMES = SENTENCE + NAMES
FROM_CROSS = frozenset([*CROSS, "cross"])  # every signal the cross reader makes


@dataclass(frozen=True)
class Reading:
    """The learned sentence scorer's reading of the retrieved sentences (as written), made
    once per question for both the question's signals and the sentences'."""

    sentences: list[evidence.Sentence]
    x: np.ndarray  # `features.NAMES`, one row per sentence
    logits: np.ndarray
    order: np.ndarray  # sentence indices, best first
    # the (lower-cased) question's content terms: those the index knows, with their IDF,
    # and those it does not; and its clauses asking a number or a date (`binding.parse`)
    known: dict[str, float]
    turn: dict[str, float]  # those of them in the question as asked (a follow-up's own)
    unknown: list[str]
    asked: list[binding.Ask]
    specifics: specifics.Specifics
    head: binding.Head
    held: list[tuple[float, float]]  # per sentence, `binding.holds`: lacks / binds the head
    listed: list[float]  # per sentence, `binding.member`: counts a list whose member is asked
    cross: np.ndarray  # per sentence, the cross reader's log-odds (`NOT_READ`: not read)
    crossed: int = 0  # how many of the best sentences (`order`) the cross reader has read


def read(query: Query, retrieved: list[Retrieved], corpus: Corpus, crossed: int = 0) -> Reading:
    """`crossed`: how many of the best sentences the cross reader scores (`NOT_READ` for
    the others; `read_more` reads further). The question read is `query.asked` (a
    follow-up's own question about the earlier turn's subject), as in every signal."""
    question = query.asked
    sents = evidence.split(retrieved, lower=False)
    cands = [features.Candidate(s.text, s.context, s.rank) for s in sents]
    svecs = corpus.sentence_vectors([s.text for s in sents])
    x = features.matrix(
        features.analyse(question, corpus.idf), cands, corpus.query_vector(question), svecs
    )
    logits = reader_model.load().sentence_logits(x)
    lower = question.lower()
    content = [t for t in terms(lower) if not binding.FUNCTION.match(t)]
    # a follow-up's own terms: "那护士呢？" read with "东湖院区有多少名医生？" asks 护士
    own = set(terms(query.question.lower())) if query.carried else set(content)
    order = np.argsort(-logits)
    head = binding.head(question)
    reading = Reading(
        sents,
        x,
        logits,
        order,
        known={t: corpus.idf(t) for t in content if corpus.known(t)},
        turn={t: corpus.idf(t) for t in content if t in own and corpus.known(t)},
        unknown=[t for t in content if not corpus.known(t)],
        asked=binding.parse(lower, corpus.idf),
        specifics=specifics.parse(question),
        head=head,
        held=[binding.holds(head, s.text.lower()) for s in sents],
        listed=[binding.member(lower, s.text.lower()) for s in sents],
        cross=np.full(len(sents), NOT_READ),
    )
    return read_more(query, reading, crossed)


def read_more(query: Query, reading: Reading, crossed: int) -> Reading:
    """`reading` with the cross reader's scores of its best `crossed` sentences: only those
    it has not read yet cost a forward pass (the closer look of `gate.Closer` reads two
    more after the first gate's one)."""
    unread = [int(j) for j in reading.order[reading.crossed : crossed]]
    if not unread:
        return reading
    scores = reading.cross.copy()
    texts = [reading.sentences[j].text for j in unread]
    scores[unread] = cross.load().scores(query.asked, texts)
    return replace(reading, cross=scores, crossed=len(unread) + reading.crossed)


def signals(
    query: Query,
    retrieved: list[Retrieved],
    corpus: Corpus,
    coverage: tuple[float, float],
    lowered: list[evidence.Sentence],
    reading: Reading | None = None,
) -> np.ndarray:
    """The `NAMES` row of one question. `coverage`: the rule reader's (best, quoted);
    `lowered`: the retrieved sentences as the rule reader split them (`evidence.split`);
    `reading`: `read(query, …)`, when already made."""
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
    reading = reading or read(query, retrieved, corpus)
    return np.concatenate([np.asarray(row), _reader_view(query.asked, reading, corpus)])


def sentence_signals(
    query: Query,
    retrieved: list[Retrieved],
    corpus: Corpus,
    row: np.ndarray,
    reading: Reading | None = None,
    own: int = 1,
) -> np.ndarray:
    """The `SUPPORT_NAMES` rows of the retrieved sentences (in `read` order), for the
    question whose `signals` are `row`; `own`: how many of the best sentences carry their
    own cross score (`Gate.sentence_cross`; the others `NOT_READ`, read or not)."""
    question = query.asked
    reading = reading or read(query, retrieved, corpus)
    if not reading.sentences:
        return np.zeros((0, len(SUPPORT_NAMES)))
    lower = question.lower()
    known, asked = reading.known, reading.asked
    total = sum(known.values()) or 1.0
    rarest = max(known.values(), default=1.0)
    money = specifics.asks_money(question)
    best = reading.logits[reading.order[0]]
    ranks = np.empty(len(reading.order))
    ranks[reading.order] = np.arange(len(reading.order))
    out = []
    for i, s in enumerate(reading.sentences):
        sentence, chunk = s.text.lower(), s.context.lower()
        absent_sentence = [w for t, w in known.items() if t not in sentence]
        absent_chunk = [w for t, w in known.items() if t not in chunk]
        bound, new = binding.bind(asked, lower, sentence)
        alone = [
            reading.logits[i],
            reading.logits[i] - best,
            ranks[i],
            sum(absent_sentence) / total,
            sum(absent_chunk) / total,
            max(absent_sentence, default=0.0) / rarest,
            max(absent_chunk, default=0.0) / rarest,
            bound,
            new,
            binding.clash(asked, sentence),
            reading.listed[i],
            float(money and not specifics.states_money(sentence)),
            specifics.role(question, [sentence])[1],
            *specifics.missing(reading.specifics, s.text, question),
            _missing(reading.turn, sentence),
            _missing(reading.turn, chunk),
            *reading.held[i],
            retrieved[s.rank].dense_score or 0.0,
            float(s.rank),
            reading.cross[i] if ranks[i] < own else NOT_READ,
        ]
        out.append(np.concatenate([reading.x[i], np.asarray(alone), row]))
    return np.array(out)


def _reader_view(question: str, reading: Reading, corpus: Corpus) -> np.ndarray:
    """The learned scorer's aggregates, and the lexical signals of its best sentence."""
    x, logits, order, sents = reading.x, reading.logits, reading.order, reading.sentences
    top = int(order[0])
    sentence, chunk = sents[top].text.lower(), sents[top].context.lower()
    known, unknown = reading.known, reading.unknown
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
    money_missing = specifics.asks_money(question) and not specifics.states_money(sentence)
    values = [float(money_missing), *specifics.role(question, top3)]
    bound = [binding.bind(reading.asked, question.lower(), text) for text in top3]
    bindings = [
        float(bool(reading.asked)),
        bound[0][0],
        max(b[0] for b in bound),
        bound[0][1],
        max(b[1] for b in bound),
        binding.clash(reading.asked, top3[0]),
        reading.listed[top],
        max(reading.listed),
    ]
    wanted = reading.specifics
    specific = [
        *map(float, (wanted.day, wanted.several, wanted.name is not None)),
        *specifics.missing(wanted, sents[top].text, question),
    ]
    turn = [
        sum(reading.turn.values()) / total,
        _missing(reading.turn, sentence),
        max(1.0 - _missing(reading.turn, text) for text in top3),
    ]
    held = [reading.held[int(j)] for j in order[:3]]
    head = [
        float(bool(reading.head.terms)),
        *held[0],
        min(h[0] for h in held),
        max(h[1] for h in held),
    ]
    return np.concatenate(
        [
            reader_model.aggregate(x, logits),
            np.asarray(lexical + values + bindings + specific + turn + head),
            _cross_view(reading),
        ]
    )


def recrossed(row: np.ndarray, reading: Reading) -> np.ndarray:
    """A question's `NAMES` row with its `CROSS` signals as `reading` has them (after
    `read_more`)."""
    row = np.array(row, np.float64)
    at = NAMES.index(CROSS[0])
    row[at : at + len(CROSS)] = _cross_view(reading)
    return row


def _cross_view(reading: Reading) -> np.ndarray:
    """The `CROSS` signals: the best sentence's score, and the best of the best three's."""
    best = reading.cross[reading.order[:CROSS_TOP]]
    return np.array([best[0], best.max()])


def _missing(weights: dict[str, float], text: str) -> float:
    """The share of the terms' weight absent from `text` (none when there are no terms)."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t not in text) / total if total else 0.0

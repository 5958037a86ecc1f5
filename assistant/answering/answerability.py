"""Whether the retrieved sources answer a question: the signals a gate reads (their names
and what each means are in `signals`), computed from one reading of the retrieved sentences.

`read` reads them once per question (the learned sentence scorer's order, the question's
terms, what it asks), `read_more` has the cross reader read further sentences (the closer
look), `signals` makes the question's `signals.NAMES` row and `sentence_signals` each
sentence's `signals.SUPPORT_NAMES` row. The gates that read them are `gate`; `verdict` asks
them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from assistant.answering import binding, evidence, refusal, specifics
from assistant.answering.evidence import Corpus
from assistant.answering.followup import Query
from assistant.answering.learned import cross, features
from assistant.answering.learned import model as reader_model
from assistant.answering.signals import CROSS, CROSS_TOP, NAMES, NOT_READ, SUPPORT_NAMES
from assistant.schema import Retrieved
from assistant.text.segmentation import terms


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

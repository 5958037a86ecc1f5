"""The signals the answerability gates read: their names, in a row's order, and what each is.

Whether the retrieved sources answer a question is a calibrated probability. The default
reader quotes the sentences that cover the question best; whether to quote at all is decided
by the gates (`gate`), a logistic regression over what the evidence shows (`NAMES`, computed
by `answerability`):

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

from assistant.answering.learned import features
from assistant.answering.learned import model as reader_model

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

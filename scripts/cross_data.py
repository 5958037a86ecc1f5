"""The cross reader's training data (`scripts/cross_encoder.py` trains on it): pairs from
public reading-comprehension data, pairs from the project's question sets, and the gate's
rows with the reader's held-out scores put in. The recipe is in cross_encoder.py."""

from __future__ import annotations

import pickle
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]  # the package, and the scripts beside this

TOP = 5  # sentences per case, in the sentence scorer's order (the gates read `CROSS_TOP`)


def pairs(rows_file: Path, out: Path) -> None:
    """(group, case, place, question, sentence, states, answerable) for each case's first
    `TOP` sentences in the scorer's order, per set, from `train_answerability --rows`."""
    import train_answerability as T

    import __main__
    from assistant.answering.signals import SENTENCE

    __main__.Rows = T.Rows  # the rows were pickled by that script run as __main__
    rank = SENTENCE.index("logit_rank")
    rows = pickle.loads(rows_file.read_bytes())
    got: dict[str, list] = {}
    for name, groups in rows.items():
        for group, r in groups.items():
            for i, (s, st, q, texts) in enumerate(
                zip(r.sentences, r.states, r.questions, r.texts, strict=True)
            ):
                for place, j in enumerate(np.argsort(s[:, rank])[:TOP] if len(s) else []):
                    item = (group, i, place, q, texts[j], bool(st[j]), bool(r.y[i]))
                    got.setdefault(name, []).append(item)
    out.write_bytes(pickle.dumps(got))
    print(f"{sum(map(len, got.values()))} pairs from {len(got)} sets")


# Periods and ranks a question can be asked about instead of the one its sentence states.
SIBLINGS = [
    ("上半年", "下半年"),
    ("上半年", "全年"),
    ("今年", "去年"),
    ("第一", "第二"),
    ("首", "第二"),
    ("最早", "最后"),
    ("最大", "最小"),
    ("男", "女"),
]


def public(out: Path, seed: int = 7) -> None:
    """(group, case, place, question, sentence, states, states) from CMRC 2018 and DRCD, as
    two sets: `public_train`, and `public_report` (the articles `train_reader` reports on)."""
    from reader_data import load
    from train_reader import proper_nouns, split_of, swap

    rng = random.Random(seed)
    articles, questions = load(["cmrc_dev", "cmrc_trial", "drcd_dev", "drcd_test"])
    names = proper_nouns(articles, rng)

    def grams(t: str) -> set[str]:
        return {t[i : i + 2] for i in range(len(t) - 1)}

    def sibling(question: str, context: str) -> str | None:
        swapped = swap(question, context, names, rng)
        if swapped:
            return swapped
        for a, b in rng.sample(SIBLINGS, len(SIBLINGS)):
            for old, new in ((a, b), (b, a)):
                if old in question and new not in context:
                    return question.replace(old, new, 1)
        return None

    got: dict[str, list] = {"public_train": [], "public_report": []}
    rng.shuffle(questions)
    for q in questions:
        part = got["public_report" if split_of(q.article) == "report" else "public_train"]
        paragraphs = articles[q.article]
        par = paragraphs[q.paragraph]
        sents = [par.text[s:e] for s, e in par.spans]
        answer = sents[min(q.gold)]
        shared = grams(q.text)
        items = [(q.text, answer, True)]
        near = sorted(
            (i for i in range(len(sents)) if i not in q.gold),
            key=lambda i: -len(shared & grams(sents[i])),
        )
        items += [(q.text, sents[i], False) for i in near[:2]]
        others = [
            p.text[s:e] for i, p in enumerate(paragraphs) if i != q.paragraph for s, e in p.spans
        ]
        if others:
            items.append((q.text, max(others, key=lambda t: len(shared & grams(t))), False))
        swapped = sibling(q.text, par.text + par.title)
        if swapped:
            items.append((swapped, answer, False))
        for place, (question, sentence, states) in enumerate(items):
            if len(sentence) > 6:
                part.append(("chinese", len(part), place, question, sentence, states, states))
    out.write_bytes(pickle.dumps(got))
    print({k: (len(v), sum(p[5] for p in v)) for k, v in got.items()})


def with_scores(
    rows_file: Path, pairs_file: Path, score_files: list[Path], out: Path, own: int = 1
) -> None:
    """The rows of `train_answerability --rows` with the cross reader's signals (`CROSS` for
    the question, `cross` for each sentence) taken from `train`'s scores of held-out sets:
    the gate is fitted on what the reader makes of questions it was not trained on, as it
    will be at run time. Rows made before those signals existed get them added; rows made
    with them (scored by the shipped reader, which saw every set) get them replaced.
    `own`: how many of the scorer's best sentences get their own score in `cross` (as the
    assistant's one-read gates do, 1; the others `NOT_READ`), recorded in the rows: a gate
    fitted on them reads as many (`Gate.sentence_cross`; the closer look of round
    twenty-nine, `gate.Closer`, is fitted on 3)."""
    import train_answerability as T

    import __main__
    from assistant.answering.signals import (
        CROSS,
        CROSS_TOP,
        NAMES,
        NOT_READ,
        SENTENCE,
        SUPPORT_NAMES,
    )

    __main__.Rows = T.Rows
    rank = SENTENCE.index("logit_rank")
    rows = pickle.loads(rows_file.read_bytes())
    data = pickle.loads(pairs_file.read_bytes())
    scores: dict[str, list[float]] = {}
    for f in score_files:
        scores.update(pickle.loads(f.read_bytes()))
    for name, groups in rows.items():
        if name not in scores:
            raise SystemExit(f"{name}: no scores; score it held out (train --fold/--score)")
        for group, r in groups.items():
            if not len(r.y):  # no question of this language in the set
                continue
            per: dict[int, dict[int, float]] = {}
            for p, s in zip(data[name], scores[name], strict=True):
                if p[0] == group:  # every place read; each signal below takes its own
                    per.setdefault(p[1], {})[p[2]] = s
            read = [per.get(i, {}) for i in range(len(r.y))]
            # as `answerability` makes them: the best sentence's, the best of the first three
            crossed = np.array(
                [
                    [
                        d.get(0, NOT_READ),
                        max((v for k, v in d.items() if k < CROSS_TOP), default=NOT_READ),
                    ]
                    for d in read
                ]
            ).reshape(len(r.y), len(CROSS))
            r.x = _layout(
                r.x.reshape(len(r.y), -1), NAMES, dict(zip(CROSS, crossed.T, strict=True))
            )
            for i, s in enumerate(r.sentences):
                if not len(s):
                    continue
                mine = [read[i].get(int(k), NOT_READ) if k < own else NOT_READ for k in s[:, rank]]
                columns = {"cross": np.array(mine), **dict(zip(CROSS, crossed[i], strict=True))}
                r.sentences[i] = _layout(s, SUPPORT_NAMES, columns)
            r.own = own
    out.write_bytes(pickle.dumps(rows))
    print(f"wrote {out}")


def _layout(x: np.ndarray, names: list[str], columns: dict) -> np.ndarray:
    """`x` (rows of `names`, or of `names` without the `columns`) as rows of `names`, with the
    `columns` (by name: an array, one value per row, or one value for all) put in."""
    have = names if x.shape[1] == len(names) else [n for n in names if n not in columns]
    if x.shape[1] != len(have):
        raise SystemExit(f"rows of {x.shape[1]} signals: expected {len(names)} or {len(have)}")
    at = {n: k for k, n in enumerate(have)}
    return np.column_stack(
        [np.broadcast_to(columns[n], len(x)) if n in columns else x[:, at[n]] for n in names]
    )

"""How far the gate's signals can go on sets nobody tuned it for (round thirty-four).

For the Chinese questions of the `--test` sets, the shipped gates and three of their recipe
(`train_answerability.fit`, trees beside the regression, and the sentence model), each
measured at the threshold that falsely refuses 5% of that kind of set's answerable questions:

- the shipped gates, as `verdict.decide` runs them (the first look, and the closer look for
  the questions it is unsure of);
- refitted leaving one test set out at a time, on every other `--pool` set (out of fold);
- fitted on half of every test set's questions and measured on the other half, both ways
  round: the gate has seen each set's articles and writer, not the question;
- fitted on the test sets themselves and measured on them (in sample), an upper bound that
  trees reach partly by remembering the questions.

If the halves do no better than out of fold, knowing a set's articles does not help: the
signals do not hold what tells its near misses apart, and no refit of them will.

The cross reader's scores must be honest on every set read: use sets it was not trained on
(the shipped reader: those written after round twenty-one, `blind21` and `news21` on).

    uv run python scripts/train_answerability.py --rows /tmp/rows.pkl --report-only
    uv run python scripts/gate_ceiling.py /tmp/rows.pkl --pool 21-41 --test 33-41

Rows made by one run of `--rows` hold the shipped reader's score of each question's best
sentence; this script scores the best three again (the closer look reads them), with the
installed reader, as `cross_encoder.py rows --own 3` lays them out.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import train_answerability as T  # noqa: E402

from assistant.answering import gate as gates  # noqa: E402

MAX_FALSE_REFUSAL = 0.05


def margin(shipped: gates.Gates, first: tuple, closer: tuple) -> float:
    """The shipped gates' probability over the threshold they refuse below (refused: < 1),
    as `verdict.decide` reaches it. `first`, `closer`: (the question's row, its sentences'
    rows) with the cross reader's scores of the best one, and of the best three."""
    gate, look = shipped.chinese, shipped.closer
    p = gate.judge(*first)[0]
    if look is None or not look.unsure(p, gate.threshold):
        return p / gate.threshold
    return look.gate.judge(*closer)[0] / look.gate.threshold


def refused_at(p: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float]:
    """(unanswerable refused, answerable refused) when scores below `threshold` refuse."""
    refused = p < threshold
    return float(refused[~y].mean()), float(refused[y].mean())


def at_five(p: np.ndarray, y: np.ndarray) -> float:
    """The unanswerable refused at the highest threshold falsely refusing at most 5%."""
    return refused_at(p, y, T.choose(p, y, MAX_FALSE_REFUSAL))[0]


def fitted(train: list[T.Rows]) -> Callable[[T.Rows], np.ndarray]:
    """The Chinese gate's recipe (trees and the sentence model) fitted once on `train`: a
    function giving the scores of a set's rows."""
    support, _ = T.fit_support(train)
    scaler, model, trees = T.fit(
        np.vstack([r.x for r in train]), np.concatenate([r.y for r in train]), trees=True
    )
    return lambda rows: T.predict_support(support, T.predict(scaler, model, trees, rows.x), rows)


def refit(train: list[T.Rows], test: T.Rows) -> np.ndarray:
    """`test`'s scores from the recipe fitted on `train`."""
    return fitted(train)(test)


def halves(rows: dict[str, T.Rows], seed: int = 0) -> dict[str, np.ndarray]:
    """Per set, each question's score from a fit on the other half of every set's questions
    (two fits in all)."""
    order = {s: np.random.default_rng(seed).permutation(len(r.y)) for s, r in rows.items()}
    out = {s: np.zeros(len(r.y)) for s, r in rows.items()}
    for k in (0, 1):
        score = fitted([_subset(r, np.sort(order[s][k::2])) for s, r in rows.items()])
        for s, r in rows.items():
            held = np.sort(order[s][1 - k :: 2])
            out[s][held] = score(_subset(r, held))
    return out


def _subset(rows: T.Rows, idx: np.ndarray) -> T.Rows:
    return T.Rows(
        rows.x[idx], rows.y[idx], [rows.sentences[i] for i in idx], [rows.states[i] for i in idx]
    )


def rescored(rows_file: Path, sets: list[str]) -> tuple[dict, dict]:
    """The `sets` of `rows_file`, their Chinese rows with the installed cross reader's
    scores of the best one and of the best three sentences."""
    from cross_data import pairs, with_scores

    import __main__
    from assistant.answering.learned import cross

    __main__.Rows = T.Rows  # the rows were pickled by train_answerability run as __main__
    rows = pickle.loads(rows_file.read_bytes())
    tmp = Path(tempfile.mkdtemp())
    (tmp / "rows.pkl").write_bytes(pickle.dumps({s: rows[s] for s in sets}))
    pairs(tmp / "rows.pkl", tmp / "pairs.pkl")
    reader, scores = cross.load(), {}
    for name, items in pickle.loads((tmp / "pairs.pkl").read_bytes()).items():
        by_case: dict[tuple, list[tuple[int, str]]] = {}
        for k, (group, case, _, question, sentence, *_rest) in enumerate(items):
            by_case.setdefault((group, case, question), []).append((k, sentence))
        out = [0.0] * len(items)
        for (_, _, question), got in by_case.items():
            for (k, _), s in zip(got, reader.scores(question, [t for _, t in got]), strict=True):
                out[k] = float(s)
        scores[name] = out
    (tmp / "scores.pkl").write_bytes(pickle.dumps(scores))
    read = []
    for own in (1, 3):
        with_scores(tmp / "rows.pkl", tmp / "pairs.pkl", [tmp / "scores.pkl"], tmp / "r.pkl", own)
        read.append(
            {s: g["chinese"] for s, g in pickle.loads((tmp / "r.pkl").read_bytes()).items()}
        )
    return read[0], read[1]


def numbered(spec: str) -> list[str]:
    """ "21-41" -> blind21_qa, news21_qa, ... blind41_qa, news41_qa."""
    low, high = (int(n) for n in spec.split("-"))
    return [f"{kind}{n}_qa" for n in range(low, high + 1) for kind in ("blind", "news")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rows", type=Path, help="a `train_answerability.py --rows` file")
    ap.add_argument("--pool", default="21-41", help="sets to refit on, as LOW-HIGH")
    ap.add_argument("--test", default="33-41", help="sets to measure, as LOW-HIGH")
    args = ap.parse_args()
    pool, test = numbered(args.pool), numbered(args.test)
    one, three = rescored(args.rows, sorted(set(pool) | set(test)))
    shipped = gates.load()
    ships = {
        s: np.array(
            [
                margin(
                    shipped,
                    (one[s].x[i], one[s].sentences[i]),
                    (three[s].x[i], three[s].sentences[i]),
                )
                for i in range(len(one[s].y))
            ]
        )
        for s in test
    }
    out_of_fold = {s: refit([one[t] for t in pool if t != s], one[s]) for s in test}
    in_sample = fitted([one[t] for t in test])
    table = {
        "shipped": ships,
        "out of fold": out_of_fold,
        "halves": halves({s: one[s] for s in test}),
        "in sample": {s: in_sample(one[s]) for s in test},
    }

    def pooled(scores: dict[str, np.ndarray], kind: str) -> tuple[np.ndarray, np.ndarray]:
        sets = [s for s in test if s.startswith(kind)]
        return np.concatenate([scores[s] for s in sets]), np.concatenate([one[s].y for s in sets])

    print("| gate | seeds' sets: AUC | refused at 5% | news sets: AUC | refused at 5% |")
    print("|---|---|---|---|---|")
    for name, scores in table.items():
        cells = []
        for kind in ("blind", "news"):
            p, y = pooled(scores, kind)
            cells += [f"{T.auc(p, y):.3f}", f"{at_five(p, y):.3f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for kind in ("blind", "news"):
        unanswerable, answerable = refused_at(*pooled(ships, kind), 1.0)
        print(
            f"shipped at its own thresholds, {kind} sets: {unanswerable:.3f} of the "
            f"unanswerable refused, {answerable:.3f} of the answerable"
        )


if __name__ == "__main__":
    main()

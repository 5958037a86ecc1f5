"""Fit the answerability models (assistant/answering/answerability.json) on the project's
question sets, and report what they refuse on sets held out of the fit.

    uv run python scripts/train_answerability.py                  # every evals/datasets/*.jsonl
    uv run python scripts/train_answerability.py --report-only    # the held-out figures only
    uv run python scripts/train_answerability.py --keep other     # refit the Chinese gate only

Every set is ingested into its own folder under `--work` (its `docs`, or the seeds) and each
case is asked through the real chain; the reader's `signals` for the retrieved chunks are
the features, the case's `answerable` the label. Chinese questions and questions in other
languages (English) get a model each, fitted and reported apart. The sets were each written
blind by someone who saw neither the code nor the other sets, so leaving one out at a time
is the honest test of a model fitted on the others:

- for every set, a regression fitted on the other sets predicts it (out-of-fold);
- the refusal threshold is the highest one that refuses at most `--max-false-refusal` of the
  answerable questions over the out-of-fold predictions of the sets written blind (not
  `TUNED`, the sets the rule checks were tuned on);
- the per-set refusal figures at that threshold, and the AUC, go into the artifact's `info`
  and are printed; the shipped model is then fitted on all sets (of its language group).

A new blind set should be measured before it is added here: once it is, the figures on it
are no longer unseen. scikit-learn is a development dependency only.

The cross reader's signals (`signals.CROSS`) are read only when its weights are
installed, and then by a reader trained on these very sets: fit a gate on them only from
rows whose cross scores were made held out (`scripts/cross_encoder.py rows`, which says how).
`--closer LOW,HIGH` fits the Chinese gate from such rows (`rows --own 3`) as the closer look
(`gate.Closer`) and keeps the first gates of `--out`; a refit of those keeps the closer look.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from train_reader import to_trees  # noqa: E402

from assistant.answering.gate import ARTIFACT, Closer, Gate, Gates  # noqa: E402
from assistant.answering.learned.model import Trees  # noqa: E402
from assistant.answering.signals import (  # noqa: E402
    FROM_CROSS,
    HEAD,
    NAMES,
    SUPPORT_NAMES,
)
from assistant.evaluation.dataset import load  # noqa: E402
from assistant.text.segmentation import is_chinese  # noqa: E402

C = 0.1  # L2 strength: chosen leave-one-set-out among 0.03-1 (weaker fits overfit the seeds)
GROUPS = ("chinese", "other")
# Gradient-boosted trees, averaged with the regression for Chinese questions: leaving one set
# out of eighteen, AUC 0.819 -> 0.841 and refusals of the unanswerable at <= 5% false
# refusals 0.45 -> 0.49 (seeds sets 0.53 -> 0.62, news sets 0.38 -> 0.39); trees alone did
# better on the seeds (0.64) and worse on news (0.36). The other languages had too few
# questions (~300) for trees: they lowered the AUC there (0.71 -> 0.62). On sixty-five sets
# (1,049 English questions) they helped out of fold (AUC 0.771 -> 0.776, refused at <= 5%
# false refusals 0.301 -> 0.338) but not on eight sealed sets: not kept (evals/README.md,
# round thirty-two).
TREES = dict(
    n_estimators=150,
    max_depth=3,
    learning_rate=0.05,
    subsample=0.8,
    min_samples_leaf=20,
    random_state=0,
)
WITH_TREES = {"chinese": True, "other": False}
# Signals the English gate is always fitted without (beside `--without`). The cross
# reader's: English questions do not read it (its English closer look bought 0.27 -> 0.29
# out of fold, round thirty-one), and rows made by this script carry the shipped reader's
# scores, which are in-sample on these sets: fitted on them (with trees), the English gate
# refused 0.368 out of fold, 0.338 without (round thirty-two). `binding.head`'s (the
# question's `HEAD` and the sentence's two): they added nothing to it (round twenty-nine).
OTHER_WITHOUT = (*sorted(FROM_CROSS), *HEAD, "head_missing", "head_bound")
# The sentence model (`Gate.support`), averaged with the question-level estimate for Chinese
# questions: trees over each retrieved sentence, whether it states the answer. Leaving one
# set out of twenty-four: AUC 0.867 -> 0.884, refusals of the unanswerable at <= 5% false
# refusals 0.527 -> 0.579. 500 trees of depth 6 (learning rate 0.03) did better out of fold
# (0.889 / 0.604; 0.893 / 0.602 on twenty-six sets) but not on two fresh blind sets (one
# more near miss refused about the seeds, one more false refusal on news: evals/README.md,
# round twelve), at 2.4 times the size: not kept. Refitted on twenty-eight sets (0.2.8): AUC
# 0.888, 0.598 refused. On thirty sets (0.2.9), with what a question asks beyond the kind
# of value (`specifics`), a follow-up's own terms, and a phase or year clashing in the
# answering clause: 0.886 / 0.584 without them, 0.892 / 0.608 with them. Synthetic near
# misses (an answerable question asked again with the sentences stating its answer cut
# out) added to the fit lowered it (0.869-0.885 / 0.51-0.57): not used. On thirty-two sets
# (0.2.10): 0.896 / 0.609. Weighting the news sets double moved nothing (0.892 / 0.613),
# nor did a regression over the two estimates in place of their mean (0.894-0.895 /
# 0.597-0.606): not used. On thirty-four sets (0.2.11): 0.896 / 0.616 with the signals of
# 0.2.10, 0.901 / 0.629 with a list's member asked (`binding.member`) and organisations told
# from places and from unnamed mentions (`specifics.names`). Refitted on thirty-six sets
# with the same signals: 0.901 / 0.633, but slightly worse on two fresh blind sets
# (evals/README.md, round seventeen): not shipped. On forty-two sets (0.2.14), with what
# the number or date is asked of (`binding.head`: 护士 in 下派了多少名护士): 0.915 / 0.637
# without it, 0.918 / 0.641 with it (research script; the fit's own report 0.918 / 0.648;
# on thirty-eight sets 0.916 / 0.620 -> 0.918 / 0.633). On the ~330
# English questions the sentence model moved nothing (AUC 0.686 -> 0.689 in a prototype);
# the English gate was kept from round eight, reading its columns by name (`Gate.features`).
# On thirty-one sets (0.2.10, ~480 English questions, ~5,000 sentences) it does help: out of
# fold, AUC 0.714 -> 0.742 and refused 0.212 -> 0.285 at 5% false refusal (the regression
# alone, refitted on the same sets, against the regression with the sentence model); and the
# sentence it ranks first states the answer for 0.81 of the answerable questions, against
# 0.61 for the cross-lingual order (`crosslingual.scores`). Histogram-based trees: about ten
# times faster to fit than the classic ones on the ~35,000 sentences.
SUPPORT = dict(
    learning_rate=0.05,
    max_iter=300,
    max_depth=4,
    min_samples_leaf=30,
    l2_regularization=1.0,
    early_stopping=False,
    random_state=0,
)
WITH_SUPPORT = {"chinese": True, "other": True}
# The sets the rule checks were tuned on: the rules' signals are in-sample there, so their
# out-of-fold predictions look better than on a new set. They are fitted on, but the
# threshold is chosen on the sets written blind only.
TUNED = frozenset({"seeds_qa", "heldout_qa"})


@dataclass
class Rows:
    """One language group of a set: per case, its `NAMES` row and label; with `support`, its
    sentences' `SUPPORT_NAMES` rows and whether each states the answer (`states`)."""

    x: np.ndarray
    y: np.ndarray
    sentences: list[np.ndarray] = field(default_factory=list)
    states: list[np.ndarray] = field(default_factory=list)
    # what they were read from, kept with a `--rows` cache to try new signals without
    # asking again: the question as answered (follow-ups resolved) and its sentences
    questions: list[str] = field(default_factory=list)
    texts: list[list[str]] = field(default_factory=list)
    # how many of the best sentences carry their own cross score (`cross_encoder.py rows
    # --own`; rows pickled before it have the class's 1): the gate records it
    own: int = 1


def rows_of(dataset: Path, work: Path, groups: tuple[str, ...] = GROUPS) -> dict[str, Rows]:
    """For "chinese" and "other" questions: the `Rows` of the set's cases that retrieved
    something (of the `groups` only: the others' are left empty)."""
    from assistant.answering.chain import Assistant
    from assistant.answering.followup import expand
    from assistant.answering.reader import ExtractiveAnswerer
    from assistant.settings import Settings

    ds = load(dataset)
    os.environ["ASSISTANT_DATA_DIR"] = str(work / dataset.stem)
    os.environ["ANSWER_REFUSAL"] = "rules"  # what is retrieved does not depend on it
    settings = Settings()
    bot = Assistant.from_settings(settings)
    bot.ingest([ds.docs or ROOT / "seeds"])
    corpus = bot.knowledge.corpus()
    reader = ExtractiveAnswerer(settings.answer)
    rows: dict[str, Rows] = {group: Rows([], []) for group in GROUPS}
    for case in ds.cases:
        group = "chinese" if is_chinese(case.question) else "other"
        if group not in groups:
            continue
        answer = bot.ask(case.question, list(case.history))
        if not answer.retrieved:
            continue
        query = expand(case.question, list(case.history), bot.knowledge.knows)
        got = rows[group]
        row, texts, sentence_rows = reader.gate_inputs(query, answer.retrieved, corpus)
        got.x.append(row)
        got.y.append(case.answerable)
        got.sentences.append(sentence_rows)
        got.states.append(np.array([states(case, t) for t in texts], dtype=bool))
        got.questions.append(query.standalone)
        got.texts.append(list(texts))
    for got in rows.values():
        got.x = np.array(got.x).reshape(len(got.x), len(NAMES))
        got.y = np.array(got.y, dtype=bool)
    return rows


def states(case, sentence: str) -> bool:
    """Whether a sentence states (a part of) a case's answer: one of an answerable case's
    key facts is in it (a question in two parts has a sentence for each), and so is a
    stretch of a quote the case gives as support (a number alone can be elsewhere);
    without key facts, the stretch of quote alone."""
    if not case.answerable:
        return False
    text = _plain(sentence)
    quotes = [_plain(s.quote) for s in case.support]
    quoted = any(_shares(q, text) for q in quotes)
    facts = [_plain(k) for k in case.key_facts]
    if not facts:
        return quoted
    return any(k in text for k in facts if k) and (quoted or not quotes)


def _plain(text: str) -> str:
    return "".join(text.split()).lower()


def _shares(quote: str, text: str, width: int = 8) -> bool:
    """Whether `text` holds `width` characters in a row of `quote` (all of a shorter one)."""
    if len(quote) <= width:
        return quote in text
    return any(quote[i : i + width] in text for i in range(len(quote) - width + 1))


def fit(x: np.ndarray, y: np.ndarray, trees: bool = False):
    """(scaler, regression, trees or None) fitted on `x`, `y`."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=C, max_iter=5000).fit(scaler.transform(x), y)
    boosted = GradientBoostingClassifier(**TREES).fit(x, y) if trees else None
    return scaler, model, boosted


def predict(scaler, model, boosted, x: np.ndarray) -> np.ndarray:
    """As `Gate.probability` without `support`: the regression's probability, averaged with
    the trees'."""
    p = model.predict_proba(scaler.transform(x))[:, 1]
    return p if boosted is None else (p + boosted.predict_proba(x)[:, 1]) / 2


def fit_support(sets: list[Rows]):
    """The sentence model: trees over every retrieved sentence of `sets`, labelled `states`."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    x = np.vstack([s for r in sets for s in r.sentences if len(s)])
    y = np.concatenate([s for r in sets for s in r.states if len(s)])
    return HistGradientBoostingClassifier(**SUPPORT).fit(x, y), x


def histogram_trees(model, x: np.ndarray) -> Trees:
    """A fitted HistGradientBoostingClassifier as the package's `Trees` (its leaves hold the
    shrunk values: rate 1), checked against scikit-learn's decision function on `x`. Reads
    the fitted predictors' node arrays, which scikit-learn keeps private: a version that
    changes them fails the check here, never in the package."""
    nodes = [p[0].nodes for p in model._predictors]
    width = max(len(n) for n in nodes)

    def pad(field: str, fill: float, leaf: float | None = None) -> np.ndarray:
        out = np.full((len(nodes), width), fill, dtype=np.float64)
        for i, n in enumerate(nodes):
            values = n[field].astype(np.float64)
            if leaf is not None:
                values = np.where(n["is_leaf"], leaf, values)
            out[i, : len(n)] = values
        return out

    trees = Trees(
        offset=float(np.ravel(model._baseline_prediction)[0]),
        rate=1.0,
        feature=pad("feature_idx", -1, leaf=-1).astype(np.int64),
        threshold=pad("num_threshold", 0.0, leaf=0.0),
        left=pad("left", -1, leaf=-1).astype(np.int64),
        right=pad("right", -1, leaf=-1).astype(np.int64),
        value=pad("value", 0.0),
    )
    error = np.abs(model.decision_function(x[:2000]) - trees.decision(x[:2000])).max()
    if error > 1e-4:
        raise RuntimeError(f"exported trees differ from scikit-learn's by {error}")
    return trees


def predict_support(model, p: np.ndarray, rows: Rows) -> np.ndarray:
    """As `Gate.probability` with `support`: the question-level `p` averaged with its best
    sentence's probability (half of `p` when nothing was read)."""
    best = np.array([model.predict_proba(s)[:, 1].max() if len(s) else 0.0 for s in rows.sentences])
    return (p + best) / 2


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return None
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def choose(scores: np.ndarray, answerable: np.ndarray, max_false_refusal: float) -> float:
    """The highest threshold refusing at most that share of the answerable questions."""
    pos = np.sort(scores[answerable])
    allowed = int(np.floor(max_false_refusal * len(pos)))
    return float(pos[allowed]) if len(pos) else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("datasets", nargs="*", type=Path)
    parser.add_argument("--work", type=Path, default=Path("/tmp/answerability"))
    parser.add_argument("--max-false-refusal", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--rows", type=Path, help="read the cases' signals from this file, or write them there"
    )
    parser.add_argument(
        "--keep",
        choices=GROUPS,
        action="append",
        default=[],
        help="keep this group's gate as it is in --out (refit the others)",
    )
    parser.add_argument(
        "--only",
        choices=GROUPS,
        help="ask (and refit) this group's questions only; the other gate is kept",
    )
    parser.add_argument(
        "--closer",
        metavar="LOW,HIGH",
        help="fit the Chinese gate as the closer look (`gate.Closer`) for the questions whose "
        "first probability is within LOW-HIGH times its threshold; the gates in --out are kept",
    )
    parser.add_argument(
        "--without",
        choices=sorted(set(SUPPORT_NAMES)),
        action="append",
        default=[],
        metavar="SIGNAL",
        help="fit without this signal (the gate records the ones it reads: `Gate.features`)",
    )
    args = parser.parse_args()
    datasets = args.datasets or sorted((ROOT / "evals" / "datasets").glob("*.jsonl"))
    if args.closer:
        args.only = "chinese"
    if args.only:
        args.keep = [g for g in GROUPS if g != args.only]
    if args.rows is not None and args.rows.exists():
        rows = pickle.loads(args.rows.read_bytes())
    else:
        groups = (args.only,) if args.only else GROUPS
        rows = {d.stem: rows_of(d.resolve(), args.work, groups) for d in datasets}
        if args.rows is not None:
            args.rows.write_bytes(pickle.dumps(rows))
    shipped = None
    if args.out.exists():
        shipped = Gates.from_json(json.loads(args.out.read_text(encoding="utf-8")))
    elif args.keep:
        raise SystemExit(f"{args.out} does not exist: there are no gates to keep")
    gates = {}
    for group in GROUPS:
        if shipped is not None and group in args.keep:
            print(f"--- {group} questions: kept as in {args.out}")
            gates[group] = getattr(shipped, group)
            continue
        print(f"--- {group} questions")
        dropped = [*args.without, *(OTHER_WITHOUT if group == "other" else ())]
        sets = {name: without(r[group], dropped) for name, r in rows.items() if len(r[group].y)}
        gates[group] = fit_gate(
            sets, args.max_false_refusal, WITH_TREES[group], WITH_SUPPORT[group], dropped
        )
    if args.report_only:
        return
    if args.closer and shipped is not None:
        low, high = (float(b) for b in args.closer.split(","))
        both = replace(shipped, closer=Closer(gates["chinese"], (low, high)))
    else:  # a closer look fitted before is kept: its band is relative to the threshold
        closer = None if shipped is None else shipped.closer
        both = Gates(chinese=gates["chinese"], other=gates["other"], closer=closer)
    # compact: the trees are most of the file, and indented they would double its size
    text = json.dumps(both.to_json(), ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(NAMES)} signals)")


def kept(names: list[str], dropped) -> list[int]:
    """The places of the `names` not `dropped` (every use of a twice-named one goes)."""
    return [i for i, n in enumerate(names) if n not in dropped]


def without(rows: Rows, dropped: list[str]) -> Rows:
    """`rows` without the columns of the `dropped` signals."""
    if not dropped:
        return rows
    keep, keep_sentence = kept(NAMES, dropped), kept(SUPPORT_NAMES, dropped)
    return replace(
        rows,
        x=rows.x[:, keep],
        sentences=[s[:, keep_sentence] if len(s) else s for s in rows.sentences],
    )


def fit_gate(
    sets: dict[str, Rows],
    max_false_refusal: float,
    trees: bool = False,
    support: bool = False,
    dropped: tuple[str, ...] | list[str] = (),
) -> Gate:
    """Leave-one-set-out predictions, the threshold chosen on them, the per-set figures at
    that threshold; then the model fitted on every set. `trees`: average the regression
    with gradient-boosted trees; `support`: average that with the sentence model; `dropped`:
    the signals the rows were narrowed by (`without`), so the gate reads its own columns."""
    oof = {}
    for name in sets:
        others = [sets[o] for o in sets if o != name]
        x = np.vstack([r.x for r in others])
        y = np.concatenate([r.y for r in others])
        oof[name] = predict(*fit(x, y, trees), sets[name].x)
        if support:
            oof[name] = predict_support(fit_support(others)[0], oof[name], sets[name])
        print(f"  {name} predicted", flush=True)
    blind = [n for n in oof if n not in TUNED]
    scores = np.concatenate([oof[n] for n in blind])
    labels = np.concatenate([sets[n].y for n in blind])
    threshold = choose(scores, labels, max_false_refusal)
    report = {name: figures(p, sets[name].y, threshold) for name, p in oof.items()}
    for name, got in report.items():
        print(f"{name:12} {json.dumps(got)}")
    pooled = figures(scores, labels, threshold)
    print(f"{'blind sets':12} {json.dumps(pooled)}  threshold {threshold:.4f}")
    x = np.vstack([r.x for r in sets.values()])
    y = np.concatenate([r.y for r in sets.values()])
    scaler, model, boosted = fit(x, y, trees)
    sentence_model, sentence_rows = fit_support(list(sets.values())) if support else (None, None)
    own = {r.own for r in sets.values()}
    if len(own) > 1:
        raise SystemExit(f"the sets' rows give different numbers of sentences a cross score: {own}")
    return Gate(
        coef=model.coef_[0],
        intercept=float(model.intercept_[0]),
        mean=scaler.mean_,
        scale=scaler.scale_,
        threshold=threshold,
        info={
            "fitted_by": "scripts/train_answerability.py",
            "date": date.today().isoformat(),
            "sets": {n: int(len(r.y)) for n, r in sets.items()},
            "C": C,
            "threshold_from": (
                f"out-of-fold predictions of the sets written blind ({', '.join(blind)}), each "
                f"predicted by a fit on the others: the highest threshold refusing "
                f"<= {max_false_refusal:.0%} of answerable questions"
            ),
            "held_out": report,
            "held_out_pooled": pooled,
            **({"trees": TREES} if trees else {}),
            **({"support": SUPPORT} if support else {}),
        },
        trees=None if boosted is None else to_trees(boosted, x),
        support=None if sentence_model is None else histogram_trees(sentence_model, sentence_rows),
        features=tuple(NAMES[i] for i in kept(NAMES, dropped)) if dropped else None,
        support_features=(
            tuple(SUPPORT_NAMES[i] for i in kept(SUPPORT_NAMES, dropped))
            if dropped and support
            else None
        ),
        sentence_cross=own.pop() if support else 1,
    )


def figures(p: np.ndarray, y: np.ndarray, threshold: float) -> dict:
    """AUC and the refusal rates at `threshold` of predictions `p` for labels `y`."""
    refused = p < threshold
    got = auc(p, y)
    return {
        "questions": int(len(y)),
        "unanswerable": int((~y).sum()),
        "auc": None if got is None else round(got, 3),
        "unanswerable_refused": round(float(refused[~y].mean()), 3) if (~y).any() else None,
        "answerable_refused": round(float(refused[y].mean()), 3) if y.any() else None,
    }


if __name__ == "__main__":
    main()

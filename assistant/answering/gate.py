"""The fitted answerability models: a gate per language group, read from
`answerability.json` (fitted by `scripts/train_answerability.py` on the signals that
`answerability` computes)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from assistant.answering.learned import model as reader_model
from assistant.answering.signals import CROSS_TOP, FROM_CROSS, NAMES, SUPPORT_NAMES
from assistant.errors import ConfigError
from assistant.text.segmentation import is_chinese

ARTIFACT = Path(__file__).with_name("answerability.json")


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
    # Trees over `SUPPORT_NAMES`: whether one sentence states the answer (fitted on the
    # sentences the question sets quote as support, against every other retrieved one).
    support: reader_model.Trees | None = None
    # The signals it was fitted on, by name: a gate fitted before a version added signals
    # reads its own columns of the rows (None: all of `NAMES`, `SUPPORT_NAMES`).
    features: tuple[str, ...] | None = None
    support_features: tuple[str, ...] | None = None
    # How many of the best sentences carry their own `cross` score in the sentence model's
    # rows (`answerability.sentence_signals`): as many as its training rows had
    # (`scripts/cross_encoder.py rows --own`).
    sentence_cross: int = 1

    def probability(self, row: np.ndarray, sentences: np.ndarray | None = None) -> float:
        """From the question's `NAMES` row and, for a gate with `support`, its sentences'
        `SUPPORT_NAMES` rows (`sentence_signals`): the mean of the question-level estimate
        and the best sentence's."""
        return self.judge(row, sentences)[0]

    def judge(
        self, row: np.ndarray, sentences: np.ndarray | None = None
    ) -> tuple[float, np.ndarray | None]:
        """`probability`, and with `support` each sentence's (`states`), from one reading
        of the rows: the answerer decides with the first and quotes by the second."""
        row = np.asarray(row, np.float64)
        if self._columns is not None:
            row = row[self._columns]
        p = reader_model.logistic(row, self.coef, self.intercept, self.mean, self.scale)
        if self.trees is not None:
            logit = float(self.trees.decision(row[None, :])[0])
            p = (p + float(reader_model.sigmoid(logit))) / 2.0
        if self.support is None:
            return p, None
        if sentences is None:
            raise ValueError("this gate reads the sentences too: pass sentence_signals(...)")
        if not len(sentences):
            return p / 2.0, np.zeros(0)  # no sentence to state the answer
        states = self.states(sentences)
        return (p + float(states.max())) / 2.0, states

    def states(self, sentences: np.ndarray) -> np.ndarray:
        """For a gate with `support`: the probability that each sentence (a `SUPPORT_NAMES`
        row) states the answer."""
        if self.support is None:
            raise ValueError("this gate has no sentence model")
        sentences = np.asarray(sentences, np.float64)
        if self._support_columns is not None:
            sentences = sentences[:, self._support_columns]
        return np.asarray(reader_model.sigmoid(self.support.decision(sentences)))

    @cached_property
    def cross_read(self) -> int:
        """How many of the best sentences the cross reader scores for it: as many as the
        cross signals it, or its sentence model, was fitted on need
        (`signals.FROM_CROSS`; `CROSS_TOP` for `cross_top3`, `sentence_cross` for
        the sentences' own `cross`), none without them: each is a forward pass."""
        names = set(self.features or NAMES)
        sentences = set(self.support_features or SUPPORT_NAMES) if self.support else set()
        own = self.sentence_cross if "cross" in sentences else 0
        if "cross_top3" in names | sentences:
            return max(CROSS_TOP, own)
        return max(1 if (names | sentences) & FROM_CROSS else 0, own)

    @cached_property
    def _columns(self) -> list[int] | None:
        """Where its signals are in a `NAMES` row (None: it reads them all)."""
        return _positions(self.features, NAMES)

    @cached_property
    def _support_columns(self) -> list[int] | None:
        return _positions(self.support_features, SUPPORT_NAMES)

    def to_json(self) -> dict:
        return {
            "features": list(self.features or NAMES),
            **reader_model.logistic_to_json(self.coef, self.intercept, self.mean, self.scale),
            **({} if self.trees is None else {"trees": self.trees.to_json()}),
            **(
                {}
                if self.support is None
                else {
                    "support_features": list(self.support_features or SUPPORT_NAMES),
                    "support": self.support.to_json(),
                    **({} if self.sentence_cross == 1 else {"sentence_cross": self.sentence_cross}),
                }
            ),
            "threshold": round(self.threshold, 4),
            "info": self.info,
        }

    @classmethod
    def from_json(cls, d: dict) -> Gate:
        features = _known(d.get("features"), NAMES, "")
        support = None
        if "support" in d:
            support = _known(d.get("support_features"), SUPPORT_NAMES, "'s sentence model")
        return cls(
            **reader_model.logistic_from_json(d),
            threshold=float(d["threshold"]),
            info=d.get("info", {}),
            trees=reader_model.Trees.from_json(d["trees"]) if "trees" in d else None,
            support=reader_model.Trees.from_json(d["support"]) if "support" in d else None,
            features=features,
            support_features=support,
            sentence_cross=int(d.get("sentence_cross", 1)),
        )


@dataclass(frozen=True)
class Closer:
    """A closer look for the Chinese questions the first gate is unsure of: when its
    probability is within `band` times the threshold in use, the cross reader reads the
    next sentences too (`gate.cross_read` of them) and `gate`, fitted on them, decides
    with its own threshold (or the setting's).

    Out of fold on 62 sets (round twenty-eight), a gate reading each of the best three
    sentences' own score refused 0.680 of the unanswerable at 5% false refusal, against
    0.635 for the one-read gate; asking it only in the band 0.67-1.5 (14% of Chinese
    questions: two forward passes more for them) refused 0.681."""

    gate: Gate
    band: tuple[float, float]

    def unsure(self, probability: float, threshold: float) -> bool:
        low, high = self.band
        return low * threshold <= probability <= high * threshold

    def to_json(self) -> dict:
        return {"band": list(self.band), "gate": self.gate.to_json()}

    @classmethod
    def from_json(cls, d: dict) -> Closer:
        low, high = (float(b) for b in d["band"])
        if not 0.0 <= low <= 1.0 <= high:
            raise ConfigError(
                f"the closer look's band {d['band']} does not hold its threshold (low <= 1 <= "
                "high): reinstall the package, or refit it with scripts/train_answerability.py"
            )
        return cls(Gate.from_json(d["gate"]), (low, high))


@dataclass(frozen=True)
class Gates:
    """One gate for Chinese questions and one for questions in other languages (English):
    the same signals mean different things when the question's terms cannot match the
    Chinese text, so each language group has its own weights and threshold."""

    chinese: Gate
    other: Gate
    closer: Closer | None = None  # for the Chinese questions the first gate is unsure of

    def pick(self, question: str) -> Gate:
        return self.chinese if is_chinese(question) else self.other

    def closer_for(self, question: str) -> Closer | None:
        return self.closer if is_chinese(question) else None

    def to_json(self) -> dict:
        closer = {} if self.closer is None else {"closer": self.closer.to_json()}
        return {"chinese": self.chinese.to_json(), "other": self.other.to_json(), **closer}

    @classmethod
    def from_json(cls, d: dict) -> Gates:
        if not {"chinese", "other"} <= d.keys():
            raise ConfigError(
                "the answerability model file lacks a gate per language group: reinstall the "
                "package, or refit it with scripts/train_answerability.py"
            )
        closer = Closer.from_json(d["closer"]) if "closer" in d else None
        return cls(Gate.from_json(d["chinese"]), Gate.from_json(d["other"]), closer)


def _known(fitted: list[str] | None, computed: list[str], what: str) -> tuple[str, ...] | None:
    """The signals a model was fitted on, when this version computes them all (None when they
    are exactly what it computes)."""
    if fitted == computed:
        return None
    if not fitted or Counter(fitted) - Counter(computed):
        raise ConfigError(
            f"the answerability model{what} was fitted on signals this version does not "
            "compute: reinstall the package, or refit it with scripts/train_answerability.py"
        )
    return tuple(fitted)


def _positions(names: tuple[str, ...] | None, computed: list[str]) -> list[int] | None:
    """The columns of `names` among the `computed` signals (None when `names` is None). A
    name can stand twice (a sentence's `known_missing_sentence` and its question's): its
    first use is the first column of that name, its second the second."""
    if names is None:
        return None
    at: dict[str, list[int]] = {}
    for i, n in enumerate(computed):
        at.setdefault(n, []).append(i)
    used: Counter[str] = Counter()
    out = []
    for n in names:
        out.append(at[n][used[n]])
        used[n] += 1
    return out


@lru_cache(maxsize=4)
def load(path: Path = ARTIFACT) -> Gates:
    """The shipped models, read once per process."""
    return Gates.from_json(json.loads(path.read_text(encoding="utf-8")))

"""The reader's training script, on a tiny sample made here (never on ../shared/data)."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import train_reader  # noqa: E402
from reader_data import Paragraph, Question  # noqa: E402

from assistant.answering.learned import model as reader_model  # noqa: E402
from assistant.text.segmentation import sentences  # noqa: E402

PLACES = ["金山", "嘉定", "无锡", "苏州", "长春", "海南", "黄浦", "姑苏", "徐汇", "闵行"]
THINGS = [("床位", "张"), ("专利", "件"), ("企业", "家"), ("课题", "项"), ("论文", "篇")]
FILLER = ["该地区交通便利,环境优美。", "当地政府高度重视这项工作。", "相关负责人介绍了有关情况。"]


def sample(n_articles: int = 80, seed: int = 1):
    """Articles of three paragraphs; each question asks for a count one sentence states."""
    rng = random.Random(seed)
    articles, questions = {}, []
    for a in range(n_articles):
        key = f"toy:{a}"
        paras = []
        for p in range(3):
            place = rng.choice(PLACES)
            facts = rng.sample(THINGS, 2)
            lines = [rng.choice(FILLER)]
            for thing, unit in facts:
                lines.append(f"{place}院区今年新增{thing}{rng.randint(10, 900)}{unit}。")
            lines.append(rng.choice(FILLER))
            rng.shuffle(lines)
            text = "".join(lines)
            paras.append(Paragraph(key, f"{place}报道", text, sentences(text)))
            thing, _ = facts[0]
            gold = {i for i, (s, e) in enumerate(paras[-1].spans) if thing in text[s:e]}
            questions.append(Question(key, p, f"{place}院区今年新增多少{thing}?", gold))
        articles[key] = paras
    return articles, questions


def test_training_learns_the_answer_sentence_and_answerability(tmp_path):
    articles, questions = sample()
    examples = train_reader.build(articles, questions, vectors=None)
    kinds = {e.kind for e in examples}
    assert kinds == {"answerable", "removed", "other", "swapped"}
    model, figures = train_reader.train(examples, {"data": "toy"}, n_trees=20)
    report = figures["report"]
    # the sentence holding the asked thing and a number, among ~12 candidates
    assert report["sentence_top1"] >= 0.8
    # with the answer sentence removed, answerability falls
    assert report["answerability_auc"] >= 0.8
    assert report["false_refusal"] <= 0.2

    # the artifact round-trips and scores exactly as the trained model does
    path = tmp_path / "reader_model.json"
    path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    loaded = reader_model.load(path)
    x = examples[0].x
    assert np.allclose(loaded.sentence_logits(x), model.sentence_logits(x), atol=1e-4)
    assert loaded.threshold == pytest.approx(model.threshold, abs=1e-3)
    assert loaded.info["data"] == "toy" and "report" in loaded.info["figures"]


def test_splits_are_by_article():
    articles, questions = sample(30)
    examples = train_reader.build(articles, questions, vectors=None)
    by_article: dict[str, set[str]] = {}
    for q in questions:
        by_article.setdefault(q.article, set()).add(train_reader.split_of(q.article))
    assert all(len(s) == 1 for s in by_article.values())
    assert {e.split for e in examples} <= {name for name, _ in train_reader.SPLITS}


def test_threshold_keeps_false_refusals_at_five_percent():
    scores = np.linspace(0, 1, 101)
    answerable = np.ones(101, dtype=int)
    t = train_reader.choose_threshold(scores, answerable)
    assert (scores < t).mean() <= 0.05


def test_shipped_artifact_says_where_it_came_from():
    model = reader_model.load()
    assert "CC BY-SA" in json.dumps(model.info["data"])
    assert model.info["figures"]["report"]["questions"] > 100
    assert 0.0 < model.threshold < 1.0

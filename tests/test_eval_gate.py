"""The quality gate: the offline eval of each gated dataset must stay at or above its bars.

The bars sit about 0.03 below what the extractive pipeline reached when they were set
(measured values in the comments); raise them when the answerer gets better. The measured
figures are printed on every run (not only on failure), next to their bars.
To gate another dataset, add `file name: {metric: bar}` to GATES.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluation import report, runner

DATASETS = Path(__file__).resolve().parents[1] / "evals" / "datasets"

# measured 2026-11-28 (0.2.19: every figure as 0.2.17's and 0.2.18's but heldout_qa's false
# refusal, one question fewer), offline extractive, with the learned answerability gates (the
# Chinese one refitted on sixty-two sets with the cross reader's score of the best sentence
# and what the number or date is asked of, regression and trees, each with the sentence
# model, which also chooses the quotes; its closer look, reading the best three sentences,
# for the questions it is unsure of; the English one as in 0.2.11; thresholds chosen on the
# sets written blind). Seeds_qa's figures are 0.2.12's to the digit. Both
# sets are in the gates' fit (scripts/train_answerability.py), so their refusal figures are
# in-sample (the sentence model's trees fit them closely); the held-out figures are in
# evals/README.md.
SEEDS_QA = {
    "hit@5": 0.95,  # measured 0.987
    "recall@5": 0.91,  # measured 0.949
    "mrr@10": 0.87,  # measured 0.902
    "key_fact_accuracy": 0.89,  # measured 0.926 (0.913 in 0.2.11)
    "all_facts_rate": 0.84,  # measured 0.872
    "char_f1": 0.27,  # measured 0.306
    "rouge_l": 0.26,  # measured 0.291
    "citation_precision": 0.75,  # measured 0.788
    "citation_recall": 0.89,  # measured 0.923
    "grounding": 0.97,  # measured 1.000
    "supported_answer_rate": 0.95,  # measured 0.987
    "negative_rejection": 0.90,  # measured 0.933 (0.933 in 0.2.11)
}

HELDOUT_QA = {
    "hit@5": 0.95,  # measured 0.982
    "recall@5": 0.93,  # measured 0.964
    "mrr@10": 0.85,  # measured 0.889
    "key_fact_accuracy": 0.92,  # measured 0.952 (0.933 in 0.2.12)
    "all_facts_rate": 0.89,  # measured 0.927
    "char_f1": 0.21,  # measured 0.245
    "rouge_l": 0.20,  # measured 0.231
    "citation_precision": 0.73,  # measured 0.767
    "citation_recall": 0.92,  # measured 0.955
    "grounding": 0.97,  # measured 1.000
    "supported_answer_rate": 0.97,  # measured 1.000
    # measured 0.833 (10 of its 12 unanswerable; 0.917 in 0.2.12 and 0.2.11): one question
    # less, at the refit's threshold (held-out figures in evals/README.md, round twenty-three)
    "negative_rejection": 0.80,
}

GATES: dict[str, dict[str, float]] = {
    "seeds_qa.jsonl": SEEDS_QA,
    "heldout_qa.jsonl": HELDOUT_QA,
}
# lower is better, so a ceiling rather than a --fail-under bar
MAX_FALSE_REFUSAL = {
    "seeds_qa.jsonl": 0.05,  # measured 0.013 (one question)
    "heldout_qa.jsonl": 0.05,  # measured 0.018 (one question; 0.036 in 0.2.14-0.2.18)
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(GATES))
def test_offline_eval_meets_the_bars(name, seeded_settings, tmp_path, capsys):
    dataset = DATASETS / name
    if not dataset.is_file():
        pytest.skip(f"{dataset} is not written yet")
    bars = GATES[name]
    out = tmp_path / "gate"
    code = runner.run(
        dataset=dataset,
        out=out,
        settings=seeded_settings,
        docs=DATASETS.parents[1] / "seeds",
        fail_under=[f"{metric}={bar}" for metric, bar in bars.items()],
    )
    got = json.loads((out / "summary.json").read_text(encoding="utf-8"))["project"]["metrics"]
    with capsys.disabled():  # the figures show in `make test` output even when the gate passes
        print(f"\n{name}: {got['n']} cases, offline eval")
        for metric in [*runner.MAIN, *[m for m in bars if m not in runner.MAIN]]:
            value = got.get(metric)
            shown = "n/a" if value is None else report.fmt(metric, value)
            bar = f"  (bar {bars[metric]:g})" if metric in bars else ""
            print(f"  {metric:<22}{shown:>8}{bar}")
    below = {m: got.get(m) for m, bar in bars.items() if got.get(m) is None or got[m] < bar}
    assert not below, f"{name} below its bars {bars}: {below}"
    assert code == 0
    ceiling = MAX_FALSE_REFUSAL.get(name)
    if ceiling is not None:
        assert got["false_refusal"] <= ceiling

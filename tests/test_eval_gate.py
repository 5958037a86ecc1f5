"""The quality gate: the offline eval of evals/datasets/seeds_qa.jsonl must stay at or above these bars.

The bars sit about 0.03 below what the extractive pipeline reached when they were set
(measured values in the comments); raise them when the answerer gets better.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluation import runner

BARS = {
    "hit@5": 0.95,  # measured 0.987
    "recall@5": 0.92,  # measured 0.955
    "mrr@10": 0.86,  # measured 0.893
    "key_fact_accuracy": 0.83,  # measured 0.863
    "all_facts_rate": 0.79,  # measured 0.821
    "char_f1": 0.29,  # measured 0.324
    "rouge_l": 0.28,  # measured 0.310
    "citation_precision": 0.81,  # measured 0.842
    "citation_recall": 0.83,  # measured 0.868
    "grounding": 0.97,  # measured 1.000
    "negative_rejection": 0.77,  # measured 0.800
}
MAX_FALSE_REFUSAL = 0.08  # measured 0.051 (lower is better)

DATASET = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "seeds_qa.jsonl"


@pytest.mark.slow
def test_offline_eval_meets_the_bars(seeded_settings, tmp_path):
    out = tmp_path / "gate"
    code = runner.run(
        dataset=DATASET,
        out=out,
        settings=seeded_settings,
        fail_under=[f"{name}={bar}" for name, bar in BARS.items()],
    )
    got = json.loads((out / "summary.json").read_text(encoding="utf-8"))["project"]["metrics"]
    print(json.dumps({k: got[k] for k in [*BARS, "false_refusal"]}, indent=1))
    below = {name: round(got[name], 3) for name, bar in BARS.items() if got[name] < bar}
    assert not below, f"below the bars {BARS}: {below}"
    assert code == 0
    assert got["false_refusal"] <= MAX_FALSE_REFUSAL

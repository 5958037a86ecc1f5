"""The LLM judge, and `--mode llm --judge`, against the fake OpenAI-compatible server on 127.0.0.1.

The server is tests/fakes/openai_server.py, routed by prompt: the real `openai` client (through
ChatOpenAI) talks to it, so requests, streaming and replies go over HTTP as in production.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.openai_server import FakeOpenAI, Reply

from assistant.evaluation import runner
from assistant.evaluation.judge import Judge, ParseError, apply, parse_json
from assistant.settings import LLMSettings

FAITHFUL = '{"claims": [{"claim": "甲", "supported": true}, {"claim": "乙", "supported": false}]}'
CORRECT = '```json\n{"facts": [{"fact": "400张", "present": true}], "contradiction": false}\n```'
ANSWER = "星河公司员工共有3200人。[1]"
CONDENSED = "星河公司是哪一年成立的？"
DATASET = Path(__file__).parents[1] / "evals" / "datasets" / "seeds_qa.jsonl"
SEEDS = Path(__file__).parents[1] / "seeds"  # the package never assumes a repository layout


CONDENSE = ("把用户的追问改写成", "Rewrite the user's follow-up")


class RoutingFake(FakeOpenAI):
    """Replies by what is asked: judge prompts get their JSON, condensing a question, answers."""

    def next_reply(self, body: dict) -> Reply:
        super().next_reply(body)  # records the request
        prompt = json.dumps(body["messages"], ensure_ascii=False)
        if "BROKEN" in prompt:
            return Reply(text="I think the answer is fine.")  # not the JSON asked for
        if '\\"claims\\"' in prompt:
            return Reply(text=FAITHFUL)
        if '\\"facts\\"' in prompt:
            return Reply(text=CORRECT)
        if any(marker in prompt for marker in CONDENSE):
            return Reply(text=CONDENSED)
        return Reply(text=ANSWER)


@pytest.fixture
def fake_llm(monkeypatch):
    server = RoutingFake().start()
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("LLM_MODEL", "fake-judge")
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    monkeypatch.setenv("LLM_TIMEOUT_S", "5")
    yield LLMSettings(), server.requests
    server.stop()


def is_judge_call(request: dict) -> bool:
    prompt = json.dumps(request["messages"])
    return '\\"claims\\"' in prompt or '\\"facts\\"' in prompt


def rows() -> list[dict]:
    def row(cid, question, answer, refused=False, answerable=True):
        return {
            "id": cid,
            "question": question,
            "answer": answer,
            "refused": refused,
            "answerable": answerable,
            "key_facts": ["400张"],
            "reference_answer": "一期400张。",
            "retrieved": [{"text": "一期规划床位400张。"}],
            "metrics": {},
        }

    return [
        row("a", "一期规划多少张床位？", "一期规划床位400张。[1]"),
        row("b", "How many beds? BROKEN", "400 beds [1]"),
        row("c", "二期呢？", "资料中没有找到。", refused=True),
        row("d", "无关问题？", "编造。[1]", answerable=False),
    ]


def test_judge_scores_caches_and_counts_parse_failures_apart(fake_llm, tmp_path):
    settings, requests = fake_llm
    judged = rows()
    totals = apply(Judge(settings, tmp_path / "judge", repeats=3), judged)
    a, b, c, d = (r["judge"] for r in judged)
    assert a["faithfulness"] == 0.5 and a["faithfulness_spread"] == 0.0 and a["correctness"] == 1.0
    # the malformed replies are counted, and left out of the mean instead of scoring 0
    assert b["faithfulness"] is None and b["faithfulness_runs"] == [None, None, None]
    assert b["parse_failures"] == 6 and totals["parse_failures"] == 6
    assert c["faithfulness"] is None and c["correctness"] == 0.0  # refused an answerable question
    assert d["correctness"] is None and d["faithfulness"] == 0.5
    assert judged[0]["metrics"]["judge_faithfulness"] == 0.5
    assert totals["faithfulness"] == 0.5 and totals["correctness"] == pytest.approx(0.5)
    # a, b (faithfulness + correctness) and d (faithfulness), 3 times each
    assert totals["calls"] == len(requests) == 15
    assert all(is_judge_call(r) and r["temperature"] == 0 and not r.get("stream") for r in requests)
    assert {r["model"] for r in requests} == {"fake-judge"}
    # the verdict's JSON schema goes along as `response_format` (with_structured_output)
    formats = {r["response_format"]["json_schema"]["name"] for r in requests}
    assert formats == {"Faithfulness", "Correctness"}
    assert all(r["response_format"]["type"] == "json_schema" for r in requests)
    assert any(
        "忠实" in json.dumps(r["messages"], ensure_ascii=False) for r in requests
    )  # Chinese prompt
    assert any("faithful" in json.dumps(r["messages"]) for r in requests)  # English prompt

    again = rows()
    totals2 = apply(Judge(settings, tmp_path / "judge", repeats=3), again)
    assert len(requests) == 15 and totals2["calls"] == 0 and totals2["cached"] == 15
    assert [r["judge"] for r in again] == [r["judge"] for r in judged]


def test_parse_json_tolerates_fences_and_rejects_wrong_shapes():
    assert parse_json(CORRECT, "facts", "present") == [True]
    for bad in ("no json", '{"claims": "yes"}', '{"claims": [{"supported": "yes"}]}', "{broken"):
        with pytest.raises(ParseError):
            parse_json(bad, "claims", "supported")


def test_judge_without_endpoint_says_what_to_set(tmp_path):
    from typer.testing import CliRunner

    from assistant.cli import app

    dataset = tmp_path / "set.jsonl"
    dataset.write_text('{"id": "a", "question": "q"}\n', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["eval", "--dataset", str(dataset), "--judge", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert "OPENAI_API_KEY" in result.output and "--judge" in result.output


def one_case(tmp_path: Path, *ids: str) -> Path:
    lines = [
        ln for ln in DATASET.read_text(encoding="utf-8").splitlines() if json.loads(ln)["id"] in ids
    ]
    dataset = tmp_path / "cases.jsonl"
    dataset.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dataset


def test_eval_run_with_judge_against_the_fake_server(fake_llm, seeded_settings, tmp_path):
    settings, requests = fake_llm
    assert seeded_settings.llm.api_key is not None  # the fake endpoint is configured
    code = runner.run(
        dataset=one_case(tmp_path, "q003"),
        out=tmp_path / "out",
        judge=True,
        judge_repeats=2,
        settings=seeded_settings,
        docs=SEEDS,
        fail_under=["judge_faithfulness=0.6"],
    )
    assert code == 1  # 0.5 is below the bar
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["judge"]["calls"] == len(requests) == 4 and summary["judge"]["repeats"] == 2
    assert summary["project"]["metrics"]["judge_faithfulness"] == 0.5
    assert summary["project"]["metrics"]["judge_correctness"] == 1.0
    row = json.loads((tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8"))
    assert row["mode"] == "extractive" and row["judge"]["parse_failures"] == 0
    assert "judge_faithfulness" in row["failed"]  # a claim the judge found unsupported
    assert "LLM judge (fake-judge, 2 runs" in (tmp_path / "out" / "report.md").read_text("utf-8")


def small_set(tmp_path: Path) -> Path:
    """Three questions on a one-paragraph document (a small naive index: the baseline is quick)."""
    docs = tmp_path / "set" / "docs"
    docs.mkdir(parents=True)
    (docs / "note.txt").write_text(
        "星河公司成立于1999年，总部位于青岛，员工共有3200人。\n\n"
        "该公司主要生产海洋仪器，产品出口到二十多个国家。",
        encoding="utf-8",
    )
    cases = [
        {"_meta": {"docs": "docs"}},
        {
            "id": "t1",
            "question": "星河公司有多少员工？",
            "key_facts": ["3200人"],
            "support": [{"source": "note.txt", "quote": "员工共有3200人"}],
        },
        {"id": "t2", "question": "它是哪一年成立的？", "history": ["星河公司有多少员工？"]},
        {"id": "t3", "question": "星河公司的董事长是谁？", "answerable": False},
    ]
    path = tmp_path / "set" / "small.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), "utf-8")
    return path


@pytest.mark.slow
def test_llm_mode_with_judge_and_baseline_against_the_fake_server(
    fake_llm, seeded_settings, tmp_path
):
    _, requests = fake_llm
    dataset = small_set(tmp_path)
    out = tmp_path / "llm"
    code = runner.run(
        dataset=dataset,
        mode="llm",
        judge=True,
        baseline=True,
        judge_repeats=3,
        out=out,
        settings=seeded_settings,
    )
    assert code == 0
    rows = [json.loads(ln) for ln in (out / "results.jsonl").read_text("utf-8").splitlines()]
    answered = [r for r in rows if not r["refused"]]
    assert answered and all(r["mode"] == "llm" and r["notice"] is None for r in answered)
    assert all(r["answer"] == ANSWER and r["citations"] for r in answered)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["mode"] == "llm" and summary["model"] == "fake-judge"
    assert summary["llm_fallbacks"] == 0
    # the baseline answers with the same LLM, and is judged too
    base = [json.loads(ln) for ln in (out / "baseline.jsonl").read_text("utf-8").splitlines()]
    assert all(b["mode"] == "llm" for b in base if not b["refused"])
    assert summary["judge"]["baseline"]["repeats"] == 3
    assert summary["baseline"]["metrics"].get("judge_faithfulness") is not None
    judge_calls = [r for r in requests if is_judge_call(r)]
    condense_calls = [r for r in requests if CONDENSE[0] in json.dumps(r, ensure_ascii=False)]
    answer_calls = len(requests) - len(judge_calls) - len(condense_calls)
    assert len(condense_calls) == 2  # t2's history, in the project and in the baseline
    assert rows[1]["standalone_question"] == CONDENSED
    assert answer_calls == sum(not r["refused"] for r in rows + base)
    assert judge_calls and all(r["temperature"] == 0 for r in judge_calls)
    assert summary["judge"]["calls"] + summary["judge"]["baseline"]["calls"] == len(judge_calls)
    # run again: every judge reply comes from the cache, keyed by (prompt, model)
    before = len(requests)
    runner.run(
        dataset=dataset,
        mode="llm",
        judge=True,
        judge_repeats=3,
        out=tmp_path / "again",
        settings=seeded_settings,
    )
    again = json.loads((tmp_path / "again" / "summary.json").read_text(encoding="utf-8"))
    assert again["judge"]["calls"] == 0 and again["judge"]["cached"] > 0
    assert not any(is_judge_call(r) for r in requests[before:])

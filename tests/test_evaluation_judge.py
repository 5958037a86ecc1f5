"""The LLM judge against a fake OpenAI-compatible server on 127.0.0.1, through the real client."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.evaluation.judge import Judge, ParseError, apply, parse_json
from assistant.settings import LLMSettings

FAITHFUL = '{"claims": [{"claim": "甲", "supported": true}, {"claim": "乙", "supported": false}]}'
CORRECT = '```json\n{"facts": [{"fact": "400张", "present": true}], "contradiction": false}\n```'


class FakeOpenAI(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, **body})
        prompt = json.dumps(body["messages"], ensure_ascii=False)
        if "BROKEN" in prompt:
            content = "I think the answer is fine."  # not the JSON asked for
        elif "faithful" in prompt or "忠实" in prompt:
            content = FAITHFUL
        else:
            content = CORRECT
        reply = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_llm(monkeypatch):
    FakeOpenAI.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1")
    monkeypatch.setenv("LLM_MODEL", "fake-judge")
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    settings = LLMSettings()
    yield settings, FakeOpenAI.requests
    server.shutdown()
    server.server_close()


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
    assert all(r["path"] == "/v1/chat/completions" and r["temperature"] == 0 for r in requests)
    assert {r["model"] for r in requests} == {"fake-judge"}
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


def test_eval_run_with_judge_against_the_fake_server(fake_llm, seeded_settings, tmp_path):
    from pathlib import Path

    from assistant.evaluation import runner

    line = next(
        ln
        for ln in (Path(__file__).parents[1] / "evals/datasets/seeds_qa.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
        if '"q003"' in ln
    )
    dataset = tmp_path / "one.jsonl"
    dataset.write_text(line + "\n", encoding="utf-8")
    settings, requests = fake_llm
    assert seeded_settings.llm.api_key is not None  # the fake endpoint is configured
    code = runner.run(
        dataset=dataset,
        out=tmp_path / "out",
        judge=True,
        judge_repeats=2,
        settings=seeded_settings,
        fail_under=["judge_faithfulness=0.6"],
    )
    assert code == 1  # 0.5 is below the bar
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["judge"]["calls"] == len(requests) == 4 and summary["judge"]["repeats"] == 2
    assert summary["project"]["metrics"]["judge_faithfulness"] == 0.5
    assert summary["project"]["metrics"]["judge_correctness"] == 1.0
    row = json.loads((tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8"))
    assert row["mode"] == "extractive" and row["judge"]["parse_failures"] == 0

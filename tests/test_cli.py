"""The `assistant` command through typer's CliRunner (same process, real settings)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app

Q = "瑞金医院金山院区一期规划多少张床位？"
SEED_002 = "002_d8907abf42b39ccd.txt"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_help(run):
    result = run("--help")
    assert result.exit_code == 0
    for command in ("ingest", "ask", "sources", "forget", "reindex"):
        assert command in result.stdout


def test_ask_json_fields(run, seeded_settings):
    result = run("ask", Q, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {
        "question",
        "standalone_question",
        "answer",
        "refused",
        "mode",
        "notice",
        "citations",
        "retrieved",
        "timings_ms",
    } <= set(data)
    assert data["question"] == Q and data["mode"] == "extractive" and data["refused"] is False
    assert data["notice"] is None and "400张" in data["answer"]
    for c in data["citations"]:
        assert {"n", "source", "title", "chunk_id", "text", "quote", "start", "end"} <= set(c)
        assert c["text"][c["start"] : c["end"]] == c["quote"]
    assert any(c["source"] == SEED_002 and "400" in c["quote"] for c in data["citations"])
    for r in data["retrieved"]:
        assert {"chunk_id", "source", "score", "text"} <= set(r)
    assert {"retrieve", "answer", "total"} <= set(data["timings_ms"])


def test_ask_with_history(run, seeded_settings):
    result = run("ask", "那二期呢？", "--history", Q, "--json")
    data = json.loads(result.stdout)
    standalone = data["standalone_question"]
    assert standalone != data["question"] and "金山院区" in standalone and "二期" in standalone
    assert "800张" in data["answer"]


def test_ask_plain_text_shows_citations(run, seeded_settings):
    result = run("ask", Q)
    assert result.exit_code == 0
    assert "400张" in result.stdout and "[1]" in result.stdout and SEED_002 in result.stdout


def test_error_exits_non_zero_with_one_line(run):
    result = run("ask", Q)  # nothing ingested in this test's data directory
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "assistant ingest" in lines[0]
    assert result.stdout == ""


def test_too_long_question_exits_non_zero(run, seeded_settings):
    result = run("ask", "问" * 2001)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "2000" in result.stderr


def test_ingest_sources_forget(run, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "beds.txt").write_text(
        "金山院区\n瑞金医院金山院区一期规划床位400张,二期规划床位800张。", encoding="utf-8"
    )
    (docs / "blob.txt").write_bytes(b"\x00\x01\x02binary")
    result = run("ingest", str(docs))
    assert result.exit_code == 0, result.stderr
    assert "1 added" in result.stdout and "1 skipped" in result.stdout
    assert "binary" in result.stderr
    again = run("ingest", str(docs))
    assert "0 added" in again.stdout and "1 unchanged" in again.stdout

    listing = run("sources")
    assert listing.exit_code == 0
    assert listing.stdout.startswith("beds.txt\t") and "金山院区" in listing.stdout

    assert run("forget", "beds.txt").stdout.strip() == "forgot beds.txt"
    missing = run("forget", "beds.txt")
    assert missing.exit_code == 1 and "no document named" in missing.stderr
    assert run("sources").stdout == ""


def test_ingest_nothing_found(run, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("ingest", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "no files found" in result.stderr


def test_index_mismatch_is_one_line(run, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("金山院区\n瑞金医院金山院区一期规划床位400张。", encoding="utf-8")
    assert run("ingest", str(docs)).exit_code == 0
    monkeypatch.setenv("EMBEDDINGS_MODEL", "another-model")
    result = run("sources")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "reindex" in result.stderr

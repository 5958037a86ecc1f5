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
    # read as the earlier question about 二期
    assert data["standalone_question"] == Q.replace("一期", "二期")
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


SEED_001 = "001_301b4a4d940d85af.txt"


def test_knowledge_base_answers_from_its_own_documents_alone(run, seeded_settings):
    from conftest import SEEDS

    assert run("kb", "create", "test").exit_code == 0
    result = run("ingest", "--kb", "test", str(SEEDS / SEED_001))
    assert result.exit_code == 0, result.stderr
    listed = run("sources", "--kb", "test").stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in listed] == [SEED_001]
    data = json.loads(run("ask", "--kb", "test", "--json", "姑苏区抢抓什么战略机遇？").stdout)
    assert not data["refused"] and "人工智能" in data["answer"]
    assert {r["source"] for r in data["retrieved"]} == {SEED_001}
    # a question only another seed answers is refused in `test`, answered in `default`
    data = json.loads(run("ask", "--kb", "test", "--json", Q).stdout)
    assert data["refused"]
    assert "400张" in json.loads(run("ask", "--json", Q).stdout)["answer"]
    assert len(run("sources").stdout.strip().splitlines()) == 5  # default untouched
    kb_list = run("kb", "list").stdout
    assert "test\t1 documents" in kb_list and "default\t5 documents" in kb_list


def test_knowledge_base_rename_delete_and_errors(run, seeded_settings):
    assert run("kb", "create", "财务").exit_code == 0
    assert run("kb", "create", "财务").exit_code == 1  # exists
    assert run("kb", "rename", "财务", "finance").exit_code == 0
    assert "finance\t0 documents" in run("kb", "list").stdout
    result = CliRunner().invoke(app, ["ask", "--kb", "nope", "问题"])
    assert result.exit_code == 1 and "assistant kb create nope" in result.stderr
    result = CliRunner().invoke(app, ["kb", "create", "a/b"])
    assert result.exit_code == 1 and "not allowed" in result.stderr
    assert run("kb", "delete", "finance", "--yes").exit_code == 0
    assert "finance" not in run("kb", "list").stdout
    assert CliRunner().invoke(app, ["kb", "delete", "default", "--yes"]).exit_code == 1


def test_pdf_citations_carry_their_page(run, seeded_settings, tmp_path):
    from fakes.pdf import AURORA, make_pdf

    pdf = tmp_path / "aurora.pdf"
    pdf.write_bytes(make_pdf(AURORA))
    assert run("ingest", str(pdf)).exit_code == 0
    data = json.loads(
        run("ask", "--json", "How many researchers will the Aurora station house?").stdout
    )
    assert not data["refused"]
    cited = {c["page"] for c in data["citations"] if "42 researchers" in c["quote"]}
    assert cited == {2}
    data = json.loads(run("ask", "--json", Q).stdout)
    assert data["citations"] and all(c["page"] is None for c in data["citations"])


def test_serve_on_a_taken_port_says_what_to_do(run):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port))
    assert result.exit_code == 1
    assert f"127.0.0.1:{port}" in result.output and "--port or UI_PORT" in result.output

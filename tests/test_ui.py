"""The chat's handlers, called directly (no server): answers, sources, uploads, feedback, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import AssistantError, ConfigError
from assistant.schema import Answer, Citation, Claim
from assistant.ui.handlers import ChatUI, parse_users, safe_name, user_questions
from assistant.ui.render import highlight, render_answer, render_sources, render_status

QUESTION = "瑞金医院金山院区一期规划多少张床位？"
SEED = "002_d8907abf42b39ccd.txt"


@pytest.fixture
def ui(seeded_assistant, seeded_settings):
    return ChatUI(seeded_assistant, seeded_settings)


def ask(ui, question, history=None, lang="zh", answers=None, owner=""):
    """Ask through the handler; returns (steps, Chatbot messages, turns)."""
    steps = list(ui.respond(question, history or [], lang, answers or [], owner=owner))
    history, box, turns, conv_id = steps[-1]
    return steps, history, turns


def answers_of(turns):
    return [t.get("answer") for t in turns]


def test_answer_shows_markers_sources_and_highlighted_quote(ui):
    steps, history, answers = ask(ui, QUESTION)
    assert len(steps) > 2  # the text streamed in pieces before the final answer
    assert "ans-streaming" in steps[1][0][-1]["content"]
    assert steps[-1][1] == ""  # the textbox is cleared
    html = history[-1]["content"]
    assert "400张" in html and SEED in html
    assert '<sup class="cite">[1]</sup>' in html
    marks = html.split('<mark class="quote">')[1:]
    assert any("400张" in m.split("</mark>")[0] for m in marks)
    assert "\n" not in html  # a newline would end the Markdown HTML block
    assert history[0] == {"role": "user", "content": QUESTION}
    assert len(answers) == 1 and answers[0]["answer"]["citations"][0]["source"] == SEED


def test_refusal_is_styled_differently_and_names_what_the_sources_cover(ui):
    _, history, answers = ask(ui, "火星上有多少人居住？")
    html = history[-1]["content"]
    assert 'class="ans ans-refused"' in html and "ans-sources" not in html
    assert "资料中没有" in html and "《" in html  # says what the closest sources are about
    assert answers[0]["answer"]["refused"] is True


def test_follow_up_shows_standalone_question_and_reads_browser_history(ui):
    browser_history = [
        {"role": "user", "content": [{"type": "text", "text": QUESTION}]},
        {"role": "assistant", "content": "…", "metadata": {"title": "sources"}},
        {"role": "assistant", "content": [{"type": "text", "text": "一期规划床位400张[1]"}]},
    ]
    assert user_questions(browser_history) == [QUESTION]
    _, _, turns = ask(ui, QUESTION)
    _, history, _ = ask(ui, "它什么时候投入运营？", answers=turns)
    html = history[-1]["content"]
    # shown as what was answered: the question asked, about the earlier turn's subject
    assert "ans-standalone" in html and "瑞金医院金山院区 它什么时候投入运营" in html
    assert "2026" in html


def test_markup_in_a_question_and_a_document_is_escaped(ui, tmp_path):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>瑞金医院床位"
    _, history, _ = ask(ui, evil)
    assert "<script" not in history[0]["content"] and "&lt;script&gt;" in history[0]["content"]
    assert "<img" not in history[-1]["content"]
    doc = tmp_path / "evil.txt"
    doc.write_text(
        "火星基地说明。\n<script>alert('x')</script><b onclick=alert(3)>火星基地将建设1200个舱位。</b>\n",
        encoding="utf-8",
    )
    ok, message = ui.add_upload(doc, doc.name, "zh")
    assert ok, message
    text = ui.assistant.document("evil.txt").text
    start = text.index("1200")
    html = ui.open_document(
        json.dumps({"source": "evil.txt", "start": start, "end": start + 4}), "zh"
    )
    assert "<script" not in html and "<b " not in html and "&lt;script&gt;" in html
    assert '<mark id="doc-hl" class="doc-hl">1200</mark>' in html


def test_open_document_highlights_the_cited_passage(ui):
    _, _, answers = ask(ui, QUESTION)
    c = Citation.model_validate(answers[0]["answer"]["citations"][0])
    req = {
        "source": c.source,
        "start": c.doc_start + c.start,
        "end": c.doc_start + c.end,
        "chunk_start": c.doc_start,
        "chunk_end": c.doc_start + len(c.text),
    }
    html = ui.open_document(json.dumps(req), "zh")
    hl = html.split('<mark id="doc-hl" class="doc-hl">')[1].split("</mark>")[0]
    assert hl == c.quote and 'class="doc-chunk"' in html
    assert "已不在知识库" in ui.open_document(json.dumps({**req, "source": "gone.txt"}), "zh")
    assert "doc-empty" in ui.open_document("not json", "en")


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("binary.txt", b"\x00\x01\x02binary\x00" * 50, "binary"),
        ("empty.txt", b"", "empty"),
        ("blank.md", b"   \n\n ", "empty"),
        ("program.exe", b"MZ\x90\x00", "不支持的文件类型"),
        ("big.txt", "大".encode() * 400_000, "超过上限"),
    ],
)
def test_bad_upload_is_rejected_and_the_index_is_unchanged(ui, tmp_path, name, data, expected):
    ui.settings.ui.max_upload_mb = 1
    path = tmp_path / name
    path.write_bytes(data)
    before = [(r.source, r.content_hash) for r in ui.assistant.sources()]
    ok, message = ui.add_upload(path, name, "zh")
    assert not ok and expected in message and "知识库保持不变" in message
    assert [(r.source, r.content_hash) for r in ui.assistant.sources()] == before
    assert not (ui.settings.uploads_dir / name).exists()


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../x.txt", "x.txt"),
        ("..\\..\\win.txt", "win.txt"),
        ("/etc/passwd.txt", "passwd.txt"),
        (".hidden.md", "hidden.md"),
        ("..", None),
        ("", None),
        ("a/b/../", None),
        ("报告 2025.txt", "报告 2025.txt"),
    ],
)
def test_safe_name(raw, clean):
    assert safe_name(raw) == clean


def test_traversal_name_lands_inside_uploads(ui, tmp_path):
    src = tmp_path / "upload.bin"
    src.write_text("火星基地将建设1200个舱位，预计2030年完工。", encoding="utf-8")
    ok, message = ui.add_upload(src, "../../x.txt", "en")
    assert ok, message
    assert (ui.settings.uploads_dir / "x.txt").is_file()
    assert not (ui.settings.data_dir.parent / "x.txt").exists()
    assert "x.txt" in [r.source for r in ui.assistant.sources()]
    assert "Added x.txt" in message


def test_failed_ingest_keeps_the_earlier_upload(ui, tmp_path, monkeypatch):
    src = tmp_path / "note.txt"
    src.write_text("第一版：火星基地将建设1200个舱位。", encoding="utf-8")
    assert ui.add_upload(src, "note.txt", "zh")[0]
    src.write_text("第二版：火星基地将建设1500个舱位。", encoding="utf-8")

    def broken(paths, on_file=None):
        raise AssistantError("the index is locked")

    monkeypatch.setattr(ui.assistant, "ingest", broken)
    ok, message = ui.add_upload(src, "note.txt", "zh", on_conflict="replace")
    assert not ok and "the index is locked" in message
    assert "第一版" in (ui.settings.uploads_dir / "note.txt").read_text(encoding="utf-8")


def test_upload_delete_and_reindex(ui, tmp_path):
    src = tmp_path / "plan.md"
    src.write_text("# 火星计划\n\n火星基地将建设1200个舱位。", encoding="utf-8")
    assert "已加入 plan.md" in ui.upload([str(src)], "zh")
    assert "plan.md" in ui.kb_table("zh") and "plan.md" in ui.source_names()
    assert "没有变化" in ui.add_upload(src, "plan.md", "zh")[1]
    assert "新增 0，更新 0" in ui.reindex("zh")
    assert ui.delete("plan.md", "zh") == "已删除 plan.md。"
    assert "plan.md" not in ui.source_names()
    assert not (ui.settings.uploads_dir / "plan.md").exists()
    assert "没有" in ui.delete("plan.md", "zh")
    assert ui.delete(None, "en") == "Choose a document first."
    assert ui.upload([], "en") == "Choose a file to upload first."


def test_feedback_line_in_the_eval_dataset_format(ui):
    _, history, answers = ask(ui, QUESTION)
    _, history, answers = ask(ui, "它什么时候投入运营？", history, answers=answers)
    record = ui.record_feedback(history, answers, index=3, liked=True)
    lines = (ui.settings.data_dir / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    saved = json.loads(lines[-1])
    assert saved == record
    assert set(saved) >= {
        "id",
        "question",
        "history",
        "answerable",
        "key_facts",
        "support",
        "reference_answer",
        "tags",
        "verdict",
        "created_at",
    }
    assert saved["question"] == "它什么时候投入运营？" and saved["history"] == [QUESTION]
    assert saved["answerable"] is True and saved["key_facts"] == []
    assert saved["support"][0]["source"] == SEED and saved["support"][0]["quote"]
    assert saved["tags"] == ["feedback", "up"] and saved["verdict"] == "up"
    assert "2026" in saved["reference_answer"] and "[1]" not in saved["reference_answer"]
    down = ui.record_feedback(history, answers, index=1, liked=False)
    assert down["question"] == QUESTION and down["history"] == [] and down["reference_answer"] == ""
    assert down["tags"] == ["feedback", "down"]
    assert ui.record_feedback([], [], index=0, liked=True) is None
    # changing a vote replaces its line; taking it back removes the line
    again = ui.record_feedback(history, answers, index=3, liked=False)
    lines = (ui.settings.data_dir / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and again["id"] == record["id"]
    assert {json.loads(x)["id"]: json.loads(x)["verdict"] for x in lines}[record["id"]] == "down"
    ui.record_feedback(history, answers, index=3, liked=None)
    lines = (ui.settings.data_dir / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["id"] for x in lines] == [down["id"]]
    # a Chatbot out of step with the turns (e.g. cleared by its trash icon) records nothing
    assert ui.record_feedback(history[2:], answers, index=1, liked=True) is None


def test_markdown_export_has_the_citations(ui):
    _, history, answers = ask(ui, QUESTION)
    _, history, answers = ask(ui, "火星上有多少人居住？", history, answers=answers)
    text = Path(ui.export(answers, "zh")).read_text(encoding="utf-8")
    assert text.startswith("# 对话记录")
    assert QUESTION in text and "400张" in text and f"`{SEED}`" in text and "“" in text
    assert "火星上有多少人居住" in text
    assert ui.export([], "zh") is None


def _answer(**kw) -> Answer:
    base = dict(
        question="q",
        standalone_question="q",
        answer="一期床位400张。[1]月球有医院。[2]",
        refused=False,
        mode="extractive",
    )
    return Answer(**{**base, **kw})


def test_unsupported_claims_and_notice_are_marked():
    cit = Citation(
        n=2,
        source="s.txt",
        title="T",
        chunk_id="c",
        text="无关的文字",
        quote="无关",
        start=0,
        end=2,
        doc_start=0,
        supported=False,
    )
    html = render_answer(
        _answer(
            claims=[Claim(text="月球有医院。", markers=[2], supported=False)],
            citations=[cit],
            notice="LLM timed out",
        ),
        "en",
    )
    assert '<span class="claim-unsupported"' in html and "月球有医院。" in html
    assert "quote-unsupported" in html and "ans-warn" in html
    assert "ans-notice" in html and "LLM timed out" in html


def test_a_chunk_cited_by_a_supported_and_an_unsupported_claim():
    chunk = "金山院区占地228亩。一期规划床位400张。"
    cite = dict(n=1, source="s.txt", title="T", chunk_id="c", text=chunk, doc_start=0)
    html = render_sources(
        [
            Citation(**cite, quote=chunk, start=0, end=len(chunk), supported=False),
            Citation(
                **cite, quote="一期规划床位400张。", start=chunk.index("一期"), end=len(chunk)
            ),
        ],
        "zh",
    )
    assert '<mark class="quote quote-unsupported">金山院区占地228亩。</mark>' in html
    assert '<mark class="quote">一期规划床位400张。</mark>' in html  # the supported quote wins
    assert "部分内容未被此出处支持" in html
    assert highlight("<a>bc", [(0, 2, "x"), (2, 4, "x")]) == '<mark class="x">&lt;a&gt;b</mark>c'


def test_status_line_names_the_mode(ui):
    assert "离线摘录" in ui.status("zh") and "5" in ui.status("zh")
    assert "gpt-4o-mini" in render_status("llm", "gpt-4o-mini", 3, "en")
    assert "offline extractive" in render_status("extractive", None, 3, "en")


def test_answer_errors_become_a_message(ui, monkeypatch):
    def broken(question, history=None):
        raise AssistantError("the index holds no documents")
        yield  # pragma: no cover

    monkeypatch.setattr(ui.assistant, "stream", broken)
    _, history, answers = ask(ui, "任何问题")
    assert "ans-error" in history[-1]["content"]
    assert answers == [{"question": "任何问题", "error": "the index holds no documents"}]
    assert list(ui.respond("   ", [], "zh", []))[-1][0] == []


def test_parse_users():
    assert parse_users("") is None
    assert parse_users("alice:a1, bob:b:2") == [("alice", "a1"), ("bob", "b:2")]
    with pytest.raises(ConfigError):
        parse_users("alice")


def test_build_app_without_a_server(seeded_assistant, seeded_settings):
    import gradio as gr

    from assistant.ui.app import build_app

    seeded_settings.ui.concurrency = 3
    app = build_app(seeded_assistant, seeded_settings)
    assert isinstance(app, gr.Blocks)
    assert app.chat_ui.assistant is seeded_assistant
    chat = [fn for fn in app.fns.values() if fn.concurrency_id == "chat"]
    assert len(chat) == 3  # Enter, the send button, an example question
    assert {fn.concurrency_limit for fn in chat} == {3}  # UI_CONCURRENCY answers at once
    kb = [fn for fn in app.fns.values() if fn.concurrency_id == "kb"]
    assert len(kb) == 5 and {fn.concurrency_limit for fn in kb} == {1}


def test_conversation_is_saved_per_owner_and_restored_in_another_language(ui):
    _, _, turns = ask(ui, QUESTION, owner="browser:a")
    steps = list(
        ui.respond("它什么时候投入运营？", [], "zh", turns, steps_cid(ui), owner="browser:a")
    )
    cid = steps[-1][3]
    messages, restored, restored_id, kb = ui.restore("browser:a", cid, "en")
    assert restored_id == cid and kb == "default" and len(restored) == 2
    assert "Sources" in messages[1]["content"] and "出处" not in messages[1]["content"]
    assert ui.restore("browser:b", cid, "zh") == ([], [], "", "default")
    assert [c[1] for c in ui.conversation_choices("browser:a", "zh")] == [cid]
    assert QUESTION[:10] in ui.conversation_choices("browser:a", "zh")[0][0]
    assert ui.conversation_choices("browser:b", "zh") == []


def steps_cid(ui):
    """The id of browser:a's only conversation."""
    return ui.conversations.list("browser:a")[0].id


def test_knowledge_bases_in_the_ui_answer_from_their_own_documents(ui, tmp_path):
    message, made = ui.create_kb("火星", "zh")
    assert made == "火星" and "火星" in message
    doc = tmp_path / "mars.txt"
    doc.write_text(
        "火星基地说明。\n\n火星基地将建设1200个舱位，预计2030年完工。\n", encoding="utf-8"
    )
    ok, message = ui.add_upload(doc, doc.name, "zh", kb="火星")
    assert ok, message
    assert ui.source_names("火星") == ["mars.txt"] and "mars.txt" not in ui.source_names()
    assert (ui.uploads_dir("火星") / "mars.txt").is_file()
    question = "火星基地将建设多少个舱位？"  # only mars.txt says (the year: test_answerability)
    steps = list(ui.respond(question, [], "zh", [], kb="火星"))
    assert "1200" in steps[-1][2][0]["answer"]["answer"]
    steps = list(ui.respond(question, [], "zh", [], kb="default"))
    assert steps[-1][2][0]["answer"]["refused"]
    assert ("火星 (1)", "火星") in ui.kb_choices()
    message, renamed = ui.rename_kb("火星", "mars", "en")
    assert renamed == "mars" and ui.source_names("mars") == ["mars.txt"]
    message, ok = ui.delete_kb("mars", "en")
    assert ok and "1 documents" in message and [c[1] for c in ui.kb_choices()] == ["default"]


def test_background_upload_reports_progress_and_keeps_answering(ui, tmp_path):
    import time

    doc = tmp_path / "mars.txt"
    doc.write_text(
        "火星基地说明。\n\n火星基地将建设1200个舱位，预计2030年完工。\n", encoding="utf-8"
    )
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    ui.separate_process = False  # the child process is exercised by the benchmark
    message = ui.start_upload([str(doc), str(bad)], "en")
    assert "Ingesting 1 files" in message and "bad.txt" in message
    for _ in range(600):
        progress = ui.progress(None)
        if progress and progress.phase == "done":
            break
        time.sleep(0.05)
    assert progress.phase == "done" and progress.fraction == 1.0
    assert [(f.name, f.status) for f in progress.files] == [("mars.txt", "added")]
    assert progress.files[0].chunks >= 1 and progress.files[0].embedded == progress.files[0].chunks
    assert "mars.txt" in ui.source_names()
    assert not list((ui.settings.uploads_dir / ".staging").glob("*/mars.txt"))


def test_markdown_document_view_is_rendered_and_sanitised():
    from assistant.ui.render import render_document

    text = (
        "# 火星计划\n\n火星基地将建设**1200**个舱位。<script>x</script>[link](javascript:alert(1))"
    )
    at = text.index("1200")
    html = render_document("火星计划", "plan.md", text, at, at + 4, (0, len(text)), "zh", page=None)
    assert '<h1><span class="doc-chunk">火星计划' in html
    assert '<strong><mark id="doc-hl" class="doc-hl">1200</mark></strong>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html
    plain = render_document("T", "a.txt", "# 不渲染", 2, 4, None, "en", page=3)
    assert "<h1>" not in plain and "p. 3" in plain


def test_library_debug_lines_stay_out_of_the_server_log():
    import logging

    from assistant.logs import configure_logging

    configure_logging("WARNING")
    try:
        debug = logging.LogRecord("bm25s", logging.DEBUG, __file__, 1, "noise", None, None)
        warning = logging.LogRecord("bm25s", logging.WARNING, __file__, 1, "kept", None, None)
        assert not logging.getLogger("bm25s").filter(debug)
        assert logging.getLogger("bm25s").filter(warning)
        assert not logging.getLogger("jieba").filter(
            logging.LogRecord("jieba", logging.DEBUG, __file__, 1, "Building prefix", None, None)
        )
    finally:
        configure_logging("DEBUG")  # leave the filters open for the other tests

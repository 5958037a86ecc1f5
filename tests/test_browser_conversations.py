"""In a real headless Chromium: conversations that survive a reload, per user; knowledge
bases; the trash icon and feedback; PDF citations with their page."""

from __future__ import annotations

import json
import re

import pytest
from test_browser import (  # noqa: F401  (fixtures)
    ARGS,
    CHROMIUM,
    ask,
    browser,
    foreign_hosts,
    open_page,
)
from test_ui_server import QUESTION, private_settings, running_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]

MARS = "火星基地说明。\n\n火星基地将建设1200个舱位，预计2030年完工。\n"
MARS_Q = "火星基地将建设多少个舱位？"  # only mars.txt says (the year: see test_answerability)


@pytest.fixture(scope="module")
def served(seeded_dir, tmp_path_factory):
    settings = private_settings(seeded_dir, tmp_path_factory.mktemp("browser-conv"))
    with running_app(settings) as (url, app):
        yield url, app


@pytest.fixture
def page(browser, served):  # noqa: F811
    page = open_page(browser, served[0])
    yield page
    hosts = foreign_hosts(page)
    page.context.close()
    assert not hosts, f"the page sent requests off the machine: {hosts}"


def test_reload_restores_the_conversation_and_the_list_reopens_earlier_ones(page):
    from playwright.sync_api import expect

    ask(page, QUESTION)
    expect(page.locator("#conv-list")).to_contain_text(QUESTION[:8])
    page.reload()
    page.wait_for_selector("#question textarea")
    expect(page.locator("#chatbot .ans")).to_have_count(1, timeout=20_000)
    assert "400张" in page.locator("#chatbot .ans").first.inner_text()

    page.click("#new-chat")
    expect(page.locator("#chatbot .ans")).to_have_count(0)
    ask(page, "火星上有多少人居住？")
    expect(page.locator("#conv-list label")).to_have_count(2)
    page.locator("#conv-list label", has_text=QUESTION[:8]).click()
    expect(page.locator("#chatbot .ans")).to_have_count(1)
    expect(page.locator("#chatbot .ans").first).to_contain_text("400张")
    page.reload()  # the reopened conversation is the one a reload shows
    page.wait_for_selector("#question textarea")
    expect(page.locator("#chatbot .ans").first).to_contain_text("400张", timeout=20_000)


def test_language_choice_and_answers_follow_a_switch_and_survive_a_reload(page):
    from playwright.sync_api import expect

    ask(page, "火星上有多少人居住？")
    expect(page.locator("#chatbot .ans-refused-badge")).to_contain_text("资料中没有答案")
    page.get_by_text("English", exact=True).click()
    expect(page.locator("#chatbot .ans-refused-badge")).to_contain_text("Not in the sources")
    page.reload()
    page.wait_for_selector("#question textarea")
    expect(page.locator("#send")).to_have_text("Send", timeout=20_000)
    expect(page.locator("#chatbot .ans-refused-badge")).to_contain_text("Not in the sources")


def test_trash_icon_then_a_vote_records_the_answer_clicked(page, served):
    from playwright.sync_api import expect

    ask(page, QUESTION)
    page.locator("#chatbot button[aria-label='清空对话'], #chatbot button[title='清空对话']").or_(
        page.locator("#chatbot button[aria-label='Clear']")
    ).first.click()
    expect(page.locator("#chatbot .ans")).to_have_count(0)
    ask(page, "火星上有多少人居住？")
    page.locator("#chatbot button[aria-label='赞']").last.click()
    page.wait_for_function("() => document.body.innerText.includes('感谢反馈')", timeout=20_000)
    lines = (served[1].chat_ui.settings.data_dir / "feedback.jsonl").read_text(encoding="utf-8")
    records = [json.loads(x) for x in lines.splitlines()]
    assert records[-1]["question"] == "火星上有多少人居住？" and records[-1]["verdict"] == "up"
    assert records[-1]["answerable"] is False
    page.locator("#chatbot button[aria-label='踩']").last.click()  # a changed vote: one line
    page.wait_for_timeout(1500)
    lines = (served[1].chat_ui.settings.data_dir / "feedback.jsonl").read_text(encoding="utf-8")
    mine = [json.loads(x) for x in lines.splitlines() if records[-1]["id"] in x]
    assert len(mine) == 1 and mine[0]["verdict"] == "down"


def test_knowledge_base_create_upload_ask_and_switch_back(page, tmp_path):
    from playwright.sync_api import expect

    doc = tmp_path / "mars.txt"
    doc.write_text(MARS, encoding="utf-8")
    page.get_by_role("tab", name="知识库").click()
    page.locator("#kbs").click()
    page.fill("#kbs-name textarea", "火星")
    page.click("#kbs-create")
    expect(page.locator("#kb-current")).to_contain_text("火星")
    page.locator("#kb-upload input[type=file]").set_input_files(str(doc))
    page.wait_for_timeout(500)
    page.click("#kb-add")
    expect(page.locator("#kb-progress")).to_contain_text("已加入", timeout=60_000)
    expect(page.locator("#kb-table")).to_contain_text("mars.txt")
    page.get_by_role("tab", name="对话").click()
    ask(page, MARS_Q)
    expect(page.locator("#chatbot .ans").last).to_contain_text("1200")
    page.locator("#kb-select input").click()
    page.get_by_role("option", name=re.compile("^default")).click()
    expect(page.locator("#status")).to_contain_text("5 篇文档")
    ask(page, MARS_Q)
    expect(page.locator("#chatbot .ans").last).to_contain_text("资料中没有")

    page.locator("#kb-select input").click()  # delete it: the confirmation counts its documents
    page.get_by_role("option", name=re.compile("^火星")).click()
    page.get_by_role("tab", name="知识库").click()
    page.click("#kbs-delete")
    expect(page.locator("#confirm")).to_contain_text("1 篇文档")
    page.click("#confirm-yes")
    expect(page.locator("#kb-message textarea")).to_have_value(re.compile("已删除知识库 火星"))
    expect(page.locator("#kb-current")).to_contain_text("default")


def test_two_logged_in_users_never_see_each_others_conversations(browser, seeded_dir, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    settings = private_settings(seeded_dir, tmp_path, users="alice:pw-a,bob:pw-b")
    with running_app(settings) as (url, _):
        pages = {}
        for user, password in (("alice", "pw-a"), ("bob", "pw-b")):
            context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
            p = context.new_page()
            p.goto(url)
            p.fill("input[name=username], input[type=text]", user)
            p.fill("input[type=password]", password)
            p.keyboard.press("Enter")
            p.wait_for_selector("#question textarea", timeout=30_000)
            pages[user] = p
        p = pages["alice"]
        p.fill("#question textarea", QUESTION)
        p.click("#send")
        expect(p.locator("#chatbot .ans")).to_have_count(1, timeout=60_000)
        expect(p.locator("#conv-list label")).to_have_count(1)
        bob = pages["bob"]
        bob.reload()
        bob.wait_for_selector("#question textarea")
        bob.wait_for_timeout(1500)
        assert bob.locator("#conv-list label").count() == 0
        assert bob.locator("#chatbot .ans").count() == 0
        p.reload()
        p.wait_for_selector("#question textarea")
        expect(p.locator("#chatbot .ans")).to_have_count(1, timeout=20_000)
        for page in pages.values():
            page.context.close()


def test_a_pdf_citation_shows_its_page(page, served, tmp_path):
    import sys
    from pathlib import Path

    from playwright.sync_api import expect

    sys.path.insert(0, str(Path(__file__).parent))
    from fakes.pdf import AURORA, make_pdf

    pdf = tmp_path / "aurora.pdf"
    pdf.write_bytes(make_pdf(AURORA))
    ok, message = served[1].chat_ui.add_upload(pdf, pdf.name, "zh")
    assert ok, message
    ask(page, "How many researchers will the Aurora station house?")
    answer = page.locator("#chatbot .ans").last
    expect(answer).to_contain_text("42 researchers")
    source = answer.locator(".src", has_text="42 researchers").first
    expect(source.locator(".src-page")).to_contain_text(re.compile(r"第 (\d, )*2(, \d)* 页"))
    source.locator("a.src-link").click()
    expect(page.locator("#doc-view .doc-page")).to_contain_text("第 2 页")
    expect(page.locator("#doc-view mark#doc-hl")).to_contain_text("42 researchers")


def test_markdown_document_is_rendered_with_its_heading_as_title(page, served, tmp_path):
    from playwright.sync_api import expect

    md = tmp_path / "lunar.md"
    md.write_text(
        "# 月球站计划\n\n月球科研站计划**2035年**建成，可容纳24名科研人员。<script>window.__x=1</script>\n",
        encoding="utf-8",
    )
    ok, message = served[1].chat_ui.add_upload(md, md.name, "zh")
    assert ok, message
    ask(page, "月球科研站计划哪一年建成？")
    answer = page.locator("#chatbot .ans").last
    expect(answer.locator(".src-title").first).to_have_text("月球站计划")
    answer.locator("a.src-link").first.click()
    expect(page.locator("#doc-view .doc-md h1")).to_have_text("月球站计划")
    expect(page.locator("#doc-view .doc-md strong")).to_contain_text("2035")
    assert page.evaluate("() => window.__x") is None


def test_an_upload_over_the_limit_is_refused_before_it_is_sent(browser, seeded_dir, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    settings = private_settings(seeded_dir, tmp_path, max_upload_mb=1)
    with running_app(settings) as (url, _):
        page = open_page(browser, url)
        try:
            page.get_by_role("tab", name="知识库").click()
            big = {"name": "big.txt", "mimeType": "text/plain", "buffer": b"a" * (1024 * 1024 + 10)}
            page.locator("#kb-upload input[type=file]").set_input_files(files=[big])
            expect(page.locator("#kb-message textarea")).to_have_value(
                "文件超过上限 1 MB，未上传。"
            )
            uploads = [u for u in page.requests if "/upload" in u]
            assert uploads == []  # the file never left the browser
        finally:
            page.context.close()

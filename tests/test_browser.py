"""The chat in a real headless Chromium (Debian's, driven by Playwright): ask, read sources, upload.

Needs /usr/bin/chromium and a CJK font (`make browser` installs both). Timings are
printed, never asserted.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_ui_server import QUESTION, SEED, private_settings, running_app

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
EVIL_DOC = (
    "火星基地说明\n\n"
    "<script>window.__xss = 1; alert('xss')</script>"
    '<img src=x onerror="window.__xss = 2">火星基地将建设1200个舱位，预计2030年完工。\n'
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (make browser)"
    ),
]


@pytest.fixture(scope="module")
def served(seeded_dir, tmp_path_factory):
    """The app on a free port, with a document holding markup: (url, settings)."""
    work = tmp_path_factory.mktemp("browser")
    settings = private_settings(seeded_dir, work)
    evil = work / "evil.txt"
    evil.write_text(EVIL_DOC, encoding="utf-8")
    with running_app(settings) as (url, app):
        ok, message = app.chat_ui.add_upload(evil, evil.name, "zh")
        assert ok, message
        yield url, settings


@pytest.fixture(scope="module")
def app_url(served):
    return served[0]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh page (its own Gradio session) that records every request and dialog."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.requests, page.dialogs = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(app_url)
    page.wait_for_selector("#question textarea")
    yield page
    hosts = {urlparse(u).hostname for u in page.requests if not u.startswith(("data:", "blob:"))}
    context.close()
    assert hosts <= {"127.0.0.1", "localhost"}, hosts  # nothing leaves the machine


def ask(page, question: str) -> tuple[float, float]:
    """Type and send a question; returns seconds to the first streamed text and to the full answer."""
    before = page.locator(
        "#chatbot .ans-sources, #chatbot .ans-refused, #chatbot .ans-error"
    ).count()
    page.fill("#question textarea", question)
    started = time.perf_counter()
    page.click("#send")
    page.wait_for_function(
        """() => [...document.querySelectorAll('#chatbot .ans')].some(a =>
             (a.querySelector('.ans-text') || !a.querySelector('.ans-wait')) && a.innerText.trim().length > 1)""",
        timeout=60_000,
        polling=20,
    )
    first = time.perf_counter() - started
    page.wait_for_function(
        f"""() => document.querySelectorAll('#chatbot .ans-sources, #chatbot .ans-refused, #chatbot .ans-error')
             .length > {before}""",
        timeout=60_000,
        polling=20,
    )
    return first, time.perf_counter() - started


def test_ask_see_sources_and_open_the_document(page):
    first, full = ask(page, QUESTION)
    print(
        f"\nbrowser: first streamed text after {first * 1000:.0f} ms, full answer after {full * 1000:.0f} ms"
    )
    answer = page.locator("#chatbot .ans").last
    assert "400张" in answer.locator(".ans-text").inner_text()
    assert answer.locator("sup.cite").count() >= 1
    assert SEED in answer.locator(".src-file").all_inner_texts()
    quotes = answer.locator("mark.quote").all_inner_texts()
    assert any("400张" in q for q in quotes), quotes

    answer.locator("a.src-link").first.click()
    mark = page.locator("#doc-view mark#doc-hl")
    mark.wait_for(state="visible", timeout=20_000)
    assert mark.inner_text() and mark.inner_text() in "".join(quotes)
    page.wait_for_timeout(400)  # the scroll runs after the document renders
    box, view = mark.bounding_box(), page.locator("#doc-view").bounding_box()
    assert (
        box and view and view["y"] <= box["y"] <= view["y"] + view["height"]
    )  # scrolled into view

    Path(ROOT / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-artifacts" / "chat.png"))
    shutil.copyfile(ROOT / "test-artifacts" / "chat.png", ROOT / "docs" / "screenshot.png")


def test_follow_up_and_refusal(page):
    ask(page, QUESTION)
    ask(page, "它什么时候投入运营？")
    assert page.locator("#chatbot .ans-standalone").count() == 1
    ask(page, "火星上有多少人居住？")
    refusal = page.locator("#chatbot .ans-refused")
    assert refusal.count() == 1 and "资料中没有" in refusal.inner_text()


def test_markup_in_documents_and_questions_stays_text(page):
    ask(page, "<b>火星基地</b>将建设多少个舱位？<img src=x onerror=alert(1)>")
    assert page.locator("#chatbot b, #chatbot img[src='x']").count() == 0
    link = page.locator("#chatbot a.src-link[href*='evil.txt']")
    if link.count():
        link.first.click()
    else:  # the question was refused: open the document through the same hidden control
        page.evaluate("""() => { const box = document.querySelector('#doc-request textarea');
            box.value = JSON.stringify({source: 'evil.txt', start: 0, end: 4});
            box.dispatchEvent(new Event('input', {bubbles: true}));
            document.querySelector('#doc-open').click(); }""")
    page.locator("#doc-view .doc-title").wait_for(timeout=20_000)
    page.wait_for_timeout(300)
    assert "<script>" in page.locator("#doc-view").inner_text()
    assert page.locator("#doc-view script, #chatbot script, #doc-view img").count() == 0
    assert page.evaluate("() => window.__xss") is None
    assert page.dialogs == []


def test_upload_and_delete_a_document(page, tmp_path):
    doc = tmp_path / "lunar-plan.md"
    doc.write_text("# 月球站\n\n月球科研站计划2035年建成，可容纳24名科研人员。", encoding="utf-8")
    page.get_by_role("tab", name="知识库").click()
    page.locator("#kb-upload input[type=file]").set_input_files(str(doc))
    page.wait_for_timeout(500)
    page.click("#kb-add")
    page.wait_for_function(
        "() => (document.querySelector('#kb-message textarea')?.value || '').includes('已加入')",
        timeout=60_000,
    )
    assert "lunar-plan.md" in page.locator("#kb-table").inner_text()

    page.locator("#kb-pick input").click()
    page.locator("#kb-pick input").fill("lunar-plan.md")
    page.get_by_role("option", name="lunar-plan.md").click()
    page.click("#kb-delete")
    page.wait_for_function(
        "() => (document.querySelector('#kb-message textarea')?.value || '').includes('已删除')",
        timeout=30_000,
    )
    assert "lunar-plan.md" not in page.locator("#kb-table").inner_text()


def test_bad_upload_gets_a_message(page, tmp_path):
    bad = tmp_path / "scan.txt"
    bad.write_bytes(b"\x00\x01binary\x00" * 100)
    page.get_by_role("tab", name="知识库").click()
    before = page.locator("#kb-table").inner_text()
    page.locator("#kb-upload input[type=file]").set_input_files(str(bad))
    page.wait_for_timeout(500)
    page.click("#kb-add")
    page.wait_for_function(
        "() => (document.querySelector('#kb-message textarea')?.value || '').includes('未能加入')",
        timeout=30_000,
    )
    assert page.locator("#kb-table").inner_text() == before


def test_english_interface(page):
    page.get_by_text("English", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('#send')?.innerText.includes('Send')", timeout=10_000
    )
    assert page.get_by_role("tab", name="Knowledge base").count() == 1
    assert "offline extractive" in page.locator("#status").inner_text()


def test_thumbs_up_is_recorded_and_the_chat_exports(page, served):
    ask(page, QUESTION)
    feedback = served[1].data_dir / "feedback.jsonl"
    lines_before = (
        len(feedback.read_text(encoding="utf-8").splitlines()) if feedback.exists() else 0
    )
    page.locator("#chatbot button[aria-label='赞']").last.click()
    page.wait_for_function("() => document.body.innerText.includes('感谢反馈')", timeout=20_000)
    lines = feedback.read_text(encoding="utf-8").splitlines()
    assert len(lines) == lines_before + 1 and json.loads(lines[-1])["tags"] == ["feedback", "up"]

    page.click("#export")
    link = page.locator("#export-file a").first
    link.wait_for(timeout=20_000)
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert QUESTION in text and SEED in text

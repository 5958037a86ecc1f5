"""The chat in a real headless Chromium (Debian's, driven by Playwright): ask, read sources, upload.

Needs /usr/bin/chromium and a CJK font (`make browser` installs both). Every page records
each request it makes, and a test fails when one went to a host other than 127.0.0.1;
Chromium cannot resolve any other host name anyway. Timings are measured in the page and
printed (and saved under test-artifacts/), never asserted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_ui_server import QUESTION, SEED, private_settings, running_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
LOOPBACK = {"127.0.0.1", "localhost"}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
API_KEY = "sk-test-never-in-the-browser"
EVIL_DOC = (
    "火星基地说明\n\n"
    "<script>window.__xss = 1; alert('xss')</script>"
    '<img src=x onerror="window.__xss = 2">火星基地将建设1200个舱位，预计2030年完工。\n'
)

# Installed before the page loads: a click on #send starts a clock; a MutationObserver
# notes when the new answer first shows streamed text and when it is complete.
TIMER_JS = """
window.__timings = [];
document.addEventListener("click", (event) => {
  if (!(event.target.closest && event.target.closest("#send"))) return;
  const index = document.querySelectorAll("#chatbot .ans").length;
  window.__timings.push({start: performance.now(), index, first: null, full: null});
}, true);
new MutationObserver(() => {
  for (const t of window.__timings) {
    if (t.full !== null) continue;
    const answer = document.querySelectorAll("#chatbot .ans")[t.index];
    if (!answer) continue;
    const now = performance.now() - t.start;
    if (t.first === null && !answer.querySelector(".ans-wait") && answer.innerText.trim().length > 1) t.first = now;
    if (!answer.classList.contains("ans-streaming")) { t.full = now; if (t.first === null) t.first = now; }
  }
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
"""

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
def llm_served(seeded_dir, tmp_path_factory):
    """The app in LLM mode, talking to the fake OpenAI server on 127.0.0.1: (url, fake)."""
    from fakes.openai_server import FakeOpenAI

    fake = FakeOpenAI().start()
    env = {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": fake.base_url,
        "LLM_MODEL": "fake-model",
        "LLM_TIMEOUT_S": "10",
        "LLM_MAX_RETRIES": "0",
    }
    settings = private_settings(seeded_dir, tmp_path_factory.mktemp("browser-llm"), env)
    try:
        with running_app(settings) as (url, _):
            yield url, fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str):
    """A page in a fresh context (its own Gradio session) recording requests and dialogs."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.requests, page.dialogs = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("websocket", lambda ws: page.requests.append(ws.url))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.add_init_script(TIMER_JS)
    page.goto(url)
    page.wait_for_selector("#question textarea")
    return page


def foreign_hosts(page) -> set:
    """The hosts other than 127.0.0.1 that the page sent a request to."""
    urls = [u for u in page.requests if not u.startswith(("data:", "blob:", "about:"))]
    return {urlparse(u).hostname for u in urls} - LOOPBACK


@pytest.fixture
def page(browser, app_url):
    page = open_page(browser, app_url)
    yield page
    hosts = foreign_hosts(page)
    page.context.close()
    assert not hosts, f"the page sent requests off the machine: {hosts}"


def ask(page, question: str) -> tuple[float, float]:
    """Type and send a question; seconds from the click to the first streamed text and to the full answer."""
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "() => window.__timings.length && window.__timings.at(-1).full !== null", timeout=60_000
    )
    timing = page.evaluate("() => window.__timings.at(-1)")
    return timing["first"] / 1000, timing["full"] / 1000


def save_timings(capsys, first: float, full: float) -> None:
    line = f"browser: first streamed text {first * 1000:.0f} ms, full answer {full * 1000:.0f} ms after send"
    with capsys.disabled():
        print(f"\n{line}")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-timings.json").write_text(
        json.dumps(
            {"question": QUESTION, "first_text_ms": first * 1000, "full_answer_ms": full * 1000}
        )
        + "\n",
        encoding="utf-8",
    )


def test_ask_see_sources_and_open_the_document(page, capsys):
    first, full = ask(page, QUESTION)
    save_timings(capsys, first, full)
    assert 0 < first <= full
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
    assert SEED in page.locator("#doc-view .doc-file").inner_text()
    body = page.locator("#doc-view .doc-body").inner_text()
    assert len(body) > 5 * len(mark.inner_text())  # the whole document, not just the chunk
    page.wait_for_timeout(400)  # the scroll runs after the document renders
    box, view = mark.bounding_box(), page.locator("#doc-view").bounding_box()
    assert box and view and view["y"] <= box["y"] <= view["y"] + view["height"]  # in view

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"))
    assert any(urlparse(u).hostname == "127.0.0.1" for u in page.requests)  # requests were seen
    assert foreign_hosts(page) == set()  # and none left the machine


def test_follow_up_and_refusal_look_different(page):
    # The refusal comes first: an unrelated question after others may be read as a
    # follow-up (the chain's business); here it only has to look like a refusal. (Not the
    # Mars example: this index holds evil.txt, which is about a base on Mars.)
    ask(page, "今年世界杯冠军是谁？")
    ask(page, QUESTION)
    ask(page, "它什么时候投入运营？")
    standalone = page.locator("#chatbot .ans-standalone")
    assert standalone.count() == 1 and "瑞金医院" in standalone.inner_text()
    refusal = page.locator("#chatbot .ans-refused")
    assert refusal.count() == 1 and "资料中没有" in refusal.inner_text()
    assert "《" in refusal.inner_text()  # names what the closest sources are about
    assert refusal.locator(".ans-sources").count() == 0
    styles = page.evaluate(
        """() => [...document.querySelectorAll('#chatbot .ans')].map(a => {
             const s = getComputedStyle(a);
             return {refused: a.classList.contains('ans-refused'), border: s.borderTopStyle,
                     background: s.backgroundColor, font: s.fontStyle};
           })"""
    )
    refused = [s for s in styles if s["refused"]]
    answered = [s for s in styles if not s["refused"]]
    assert len(refused) == 1 and len(answered) == 2
    assert refused[0]["border"] == "dashed" and refused[0]["font"] == "italic"
    assert all(
        a["border"] != "dashed" and a["background"] != refused[0]["background"] for a in answered
    )


def test_each_session_has_its_own_conversation(page, browser, app_url):
    ask(page, QUESTION)
    other = open_page(browser, app_url)
    try:
        assert other.locator("#chatbot .ans").count() == 0
        ask(other, "它什么时候投入运营？")  # no earlier question in this session to lean on
        assert other.locator("#chatbot .ans-standalone").count() == 0
        assert other.locator("#chatbot .ans").count() == 1
        assert page.locator("#chatbot .ans").count() == 1
        assert foreign_hosts(other) == set()
    finally:
        other.context.close()


def test_markup_in_documents_and_questions_stays_text(page):
    ask(page, "<b>火星基地</b>将建设多少个舱位？<img src=x onerror=alert(1)>")
    user = page.locator("#chatbot .message.user, #chatbot [data-testid='user']").last
    assert "<b>火星基地</b>" in user.inner_text()
    assert page.locator("#chatbot b, #chatbot img[src='x']").count() == 0
    answer = page.locator("#chatbot .ans").last
    assert "1200" in answer.inner_text()
    source = answer.locator(".src", has_text="evil.txt").first
    assert "<script>" in source.locator(".src-text").inner_text()  # the chunk shows the tag as text
    source.locator("a.src-link").click()
    page.locator("#doc-view mark#doc-hl").wait_for(timeout=20_000)
    page.wait_for_timeout(300)
    assert "<script>window.__xss = 1;" in page.locator("#doc-view").inner_text()
    assert page.locator("#doc-view script, #chatbot script, #doc-view img").count() == 0
    assert page.evaluate("() => window.__xss") is None
    assert page.dialogs == []


def test_upload_and_delete_a_document(page, tmp_path):
    from playwright.sync_api import expect

    doc = tmp_path / "lunar-plan.md"
    doc.write_text("# 月球站\n\n月球科研站计划2035年建成，可容纳24名科研人员。", encoding="utf-8")
    page.get_by_role("tab", name="知识库").click()
    assert page.locator("#kb-pick input").input_value() == ""  # nothing preselected for deletion
    docs = int(re.search(r"(\d+) 篇文档", page.locator("#status").inner_text())[1])
    page.locator("#kb-upload input[type=file]").set_input_files(str(doc))
    page.wait_for_timeout(500)
    page.click("#kb-add")
    expect(page.locator("#kb-message textarea")).to_have_value(re.compile("后台导入 1 个文件"))
    expect(page.locator("#kb-progress")).to_contain_text("已加入", timeout=60_000)
    expect(page.locator("#kb-progress .job-fill")).to_have_attribute("style", "width:100%")
    expect(page.locator("#kb-table")).to_contain_text("lunar-plan.md")
    expect(page.locator("#status")).to_contain_text(f"{docs + 1} 篇文档")

    page.locator("#kb-pick input").click()
    page.locator("#kb-pick input").fill("lunar-plan.md")
    page.get_by_role("option", name="lunar-plan.md").click()
    page.click("#kb-delete")
    expect(page.locator("#confirm")).to_contain_text("确定从知识库 default 中删除 lunar-plan.md")
    page.click("#confirm-no")
    expect(page.locator("#confirm")).to_be_hidden()
    expect(page.locator("#kb-table")).to_contain_text("lunar-plan.md")  # cancelled: still there
    page.click("#kb-delete")
    page.click("#confirm-yes")
    expect(page.locator("#kb-message textarea")).to_have_value("已删除 lunar-plan.md。")
    expect(page.locator("#kb-table")).not_to_contain_text("lunar-plan.md")


def test_upload_name_cannot_leave_the_data_directory(page, served):
    from playwright.sync_api import expect

    data = served[1].data_dir
    page.get_by_role("tab", name="知识库").click()
    page.locator("#kb-upload input[type=file]").set_input_files(
        files=[
            {
                "name": "../../escape-plan.txt",
                "mimeType": "text/plain",
                "buffer": "逃逸计划：在数据目录之外写文件。".encode(),
            }
        ]
    )
    page.wait_for_timeout(500)
    page.click("#kb-add")
    expect(page.locator("#kb-progress")).to_contain_text("escape-plan.txt", timeout=60_000)
    expect(page.locator("#kb-progress")).to_contain_text("已加入", timeout=60_000)
    assert list(data.parent.rglob("escape-plan.txt")) == [data / "uploads" / "escape-plan.txt"]
    assert not (data.parent.parent / "escape-plan.txt").exists()


def test_bad_upload_gets_a_message(page, tmp_path):
    from playwright.sync_api import expect

    bad = tmp_path / "scan.txt"
    bad.write_bytes(b"\x00\x01binary\x00" * 100)
    page.get_by_role("tab", name="知识库").click()
    # the table's rows: the table is an output of the same event, and Gradio may leave its
    # pending timer ("0.0s") shown over it after the message arrives, which is not a row
    rows = page.locator("#kb-table tr")
    expect(rows.first).to_be_visible()
    before = rows.all_inner_texts()
    assert any("000_c877eff4adfe406c.txt" in r for r in before)
    page.locator("#kb-upload input[type=file]").set_input_files(str(bad))
    page.wait_for_timeout(500)
    page.click("#kb-add")
    expect(page.locator("#kb-message textarea")).to_have_value(
        re.compile("未能加入 scan.txt：.*binary.*知识库保持不变")
    )
    for _ in range(50):
        if rows.all_inner_texts() == before:
            break
        page.wait_for_timeout(200)
    assert rows.all_inner_texts() == before
    assert not any("scan.txt" in r for r in rows.all_inner_texts())


def test_english_interface(page):
    from playwright.sync_api import expect

    page.get_by_text("English", exact=True).click()
    # Every label arrives in one response, but a tab's label reaches its tab bar a render
    # later than a button's text: wait on each with expect(), never a one-shot count().
    expect(page.locator("#send")).to_have_text("Send")
    expect(page.get_by_role("tab", name="Knowledge base")).to_have_count(1)
    expect(page.get_by_role("tab", name="知识库")).to_have_count(0)
    expect(page.locator("#status")).to_contain_text("offline extractive")
    expect(page.locator("#doc-view")).to_contain_text("Click a source under an answer")
    page.get_by_role("tab", name="Knowledge base").click()
    expect(page.locator("#kb-table th").first).to_have_text("Title")
    expect(page.locator("#kb-upload")).to_contain_text("Upload documents")
    page.get_by_role("tab", name="Chat").click()
    ask(page, QUESTION)
    expect(page.locator("#chatbot .ans-sources summary").last).to_contain_text("Sources")


def test_thumbs_up_is_recorded_and_the_chat_exports(page, served):
    ask(page, QUESTION)
    feedback = served[1].data_dir / "feedback.jsonl"
    lines_before = (
        len(feedback.read_text(encoding="utf-8").splitlines()) if feedback.exists() else 0
    )
    page.locator("#chatbot button[aria-label='赞']").last.click()
    page.wait_for_function("() => document.body.innerText.includes('感谢反馈')", timeout=20_000)
    lines = feedback.read_text(encoding="utf-8").splitlines()
    assert len(lines) == lines_before + 1
    record = json.loads(lines[-1])
    assert record["tags"] == ["feedback", "up"] and record["question"] == QUESTION
    assert record["support"][0]["source"] == SEED

    page.click("#export")
    link = page.locator("#export-file a").first
    link.wait_for(timeout=20_000)
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert QUESTION in text and SEED in text and "400张" in text


def test_llm_mode_marks_unsupported_claims_and_explains_a_fallback(browser, llm_served):
    from fakes.openai_server import Reply
    from playwright.sync_api import expect

    url, fake = llm_served
    fake.script(
        Reply(
            text="瑞金医院金山院区一期规划床位400张。[1] 院区楼顶还将建设一座火箭发射场，可同时停靠三枚火箭。[1]"
        )
    )
    page = open_page(browser, url)
    try:
        expect(page.locator("#status")).to_contain_text("大模型 fake-model")
        ask(page, QUESTION)
        answer = page.locator("#chatbot .ans").last
        claim = answer.locator(".claim-unsupported")
        expect(claim).to_have_text("院区楼顶还将建设一座火箭发射场，可同时停靠三枚火箭。")
        assert claim.evaluate("e => getComputedStyle(e).textDecorationStyle") == "wavy"
        expect(answer.locator(".ans-warn")).to_be_visible()
        supported = answer.locator("mark.quote:not(.quote-unsupported)").all_inner_texts()
        assert any("400张" in q for q in supported), supported
        assert "400张" in answer.locator(".ans-text").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat-llm.png"))
        seen = page.content() + page.evaluate("() => fetch('/config').then(r => r.text())")
        assert API_KEY not in seen
        assert foreign_hosts(page) == set()
    finally:
        page.context.close()

    fake.script(Reply(status=500))
    page = open_page(browser, url)  # a new session: no history, so no condense call
    try:
        ask(page, QUESTION)
        answer = page.locator("#chatbot .ans").last
        expect(answer.locator(".ans-notice")).to_contain_text("大模型调用失败")
        expect(answer.locator(".ans-notice")).to_contain_text("HTTP 500")
        assert "400张" in answer.locator(".ans-text").inner_text()  # the offline answer
        assert API_KEY not in page.content()
        assert foreign_hosts(page) == set()
    finally:
        page.context.close()
    assert len(fake.requests) == 2

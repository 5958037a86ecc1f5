"""HTML for the chat: answers with their sources, whole documents, the knowledge base.

Everything that comes from a user or a document goes through `html.escape` here, so
markup inside a question or a document is shown as text and never runs. The output
has no raw newlines: the Chatbot renders Markdown, and a blank line would end the
HTML block.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlencode

from assistant.index.store import DocRecord
from assistant.ingest.background import Progress
from assistant.schema import Answer, Citation
from assistant.ui.i18n import t

_MARKER = re.compile(r"\[(\d+)\]")


def esc(text: str) -> str:
    """Escaped text with line breaks as <br> (safe inside any element or attribute)."""
    return html.escape(text or "", quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def render_streaming(text: str, lang: str) -> str:
    body = (
        esc(text) if text.strip() else f'<span class="ans-wait">{esc(t(lang, "thinking"))}</span>'
    )
    return f'<div class="ans ans-streaming">{body}<span class="ans-cursor">▍</span></div>'


def render_error(message: str, lang: str) -> str:
    return f'<div class="ans ans-error">⚠ {esc(t(lang, "error", error=message))}</div>'


def render_answer(answer: Answer, lang: str) -> str:
    """One answer: standalone question, notice, text with [n] markers, then its sources."""
    parts = []
    if answer.standalone_question.strip() != answer.question.strip():
        parts.append(
            f'<div class="ans-standalone">↪ {esc(t(lang, "standalone"))}'
            f"<q>{esc(answer.standalone_question)}</q></div>"
        )
    if answer.notice:
        parts.append(
            f'<div class="ans-notice">⚠ {esc(t(lang, "notice"))}: {esc(answer.notice)}</div>'
        )
    if answer.refused:
        parts.append(f'<div class="ans-refused-badge">∅ {esc(t(lang, "refused"))}</div>')
        parts.append(f'<div class="ans-text">{esc(answer.answer)}</div>')
        return f'<div class="ans ans-refused">{"".join(parts)}</div>'
    parts.append(f'<div class="ans-text">{_answer_text(answer, lang)}</div>')
    if answer.unsupported_claims:
        parts.append(f'<div class="ans-warn">⚠ {esc(t(lang, "unsupported_note"))}</div>')
    if answer.citations:
        parts.append(render_sources(answer.citations, lang))
    return f'<div class="ans">{"".join(parts)}</div>'


def _answer_text(answer: Answer, lang: str) -> str:
    """The answer with [n] as superscripts and unsupported claims marked."""
    text = answer.answer
    spans: list[tuple[int, int]] = []
    for claim in answer.unsupported_claims:
        at = text.find(claim.text)
        if at >= 0 and not any(s < at + len(claim.text) and at < e for s, e in spans):
            spans.append((at, at + len(claim.text)))
    out, pos = [], 0
    flag = esc(t(lang, "unsupported"))
    for start, end in sorted(spans):
        out.append(_markers(text[pos:start]))
        out.append(
            f'<span class="claim-unsupported" title="{flag}">{_markers(text[start:end])}</span>'
            f'<sup class="flag" title="{flag}">⚠</sup>'
        )
        pos = end
    out.append(_markers(text[pos:]))
    return "".join(out)


def _markers(text: str) -> str:
    return _MARKER.sub(r'<sup class="cite">[\1]</sup>', esc(text))


def render_sources(citations: list[Citation], lang: str) -> str:
    """The sources block: per [n], title, file, and the chunk with its quotes highlighted.

    A chunk cited by a supported claim and by an unsupported one shows both quotes; where
    they overlap the supported quote wins, and the flag says the support is partial.
    """
    by_n: dict[int, list[Citation]] = {}
    for c in citations:
        by_n.setdefault(c.n, []).append(c)
    items = []
    for n, group in sorted(by_n.items()):
        first = group[0]
        spans = [(c.start, c.end, "quote quote-unsupported") for c in group if not c.supported]
        spans += [(c.start, c.end, "quote") for c in group if c.supported]
        lo, hi = min(c.start for c in group), max(c.end for c in group)
        target = urlencode(
            {
                "source": first.source,
                "start": first.doc_start + lo,
                "end": first.doc_start + hi,
                "chunk_start": first.doc_start,
                "chunk_end": first.doc_start + len(first.text),
                **({"page": first.page} if first.page else {}),
            }
        )
        # The Chatbot's sanitiser drops data-* attributes, so the link carries its target in the href.
        link = f'<a class="src-link" href="#open?{esc(target)}">{esc(t(lang, "open_doc"))} ›</a>'
        pages = sorted({c.page for c in group if c.page})
        page = (
            f' <span class="src-page">{esc(t(lang, "page", page=", ".join(map(str, pages))))}</span>'
            if pages
            else ""
        )
        supported = sum(c.supported for c in group)
        flag = ""
        if supported < len(group):
            key = "unsupported" if supported == 0 else "partly_unsupported"
            flag = f' <span class="flag">⚠ {esc(t(lang, key))}</span>'
        items.append(
            f'<div class="src"><div class="src-head"><span class="src-n">[{n}]</span> '
            f'<span class="src-title">{esc(first.title)}</span> · '
            f'<span class="src-file">{esc(first.source)}</span>{page}{flag} {link}</div>'
            f'<div class="src-text">{highlight(first.text, spans)}</div></div>'
        )
    count = len(by_n)
    return (
        f'<details class="ans-sources" open><summary>{esc(t(lang, "sources"))} ({count})</summary>'
        f"{''.join(items)}</details>"
    )


def highlight(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    """Escaped text with each (start, end, css class) span in a <mark>.

    Spans are painted in order, so where two overlap the later one's class wins; touching
    spans of the same class become one mark.
    """
    paint: list[str | None] = [None] * len(text)
    for start, end, cls in spans:
        for i in range(max(0, start), min(len(text), end)):
            paint[i] = cls
    out, pos = [], 0
    while pos < len(text):
        run, end = paint[pos], pos
        while end < len(text) and paint[end] == run:
            end += 1
        piece = esc(text[pos:end])
        out.append(f'<mark class="{run}">{piece}</mark>' if run else piece)
        pos = end
    return "".join(out)


def render_document(
    title: str,
    source: str,
    text: str,
    start: int,
    end: int,
    chunk: tuple[int, int] | None,
    lang: str,
    page: int | None = None,
) -> str:
    """A whole cleaned document, the cited chunk shaded and the quote marked (id doc-hl).

    Markdown documents are rendered (raw HTML in them escaped, links checked by
    markdown-it); other text keeps its line breaks.
    """
    n = len(text)
    start, end = max(0, min(start, n)), max(0, min(end, n))
    c0, c1 = chunk if chunk else (start, end)
    c0, c1 = max(0, min(c0, start)), min(n, max(c1, end))
    if source.lower().endswith((".md", ".markdown")):
        body = _markdown(
            text, [(c0, _CHUNK_ON), (start, _MARK_ON), (end, _MARK_OFF), (c1, _CHUNK_OFF)]
        )
        kind = "doc-body doc-md"
    else:
        body = (
            esc(text[:c0])
            + f'<span class="doc-chunk">{esc(text[c0:start])}'
            + f'<mark id="doc-hl" class="doc-hl">{esc(text[start:end])}</mark>'
            + f"{esc(text[end:c1])}</span>"
            + esc(text[c1:])
        )
        kind = "doc-body"
    where = f' · <span class="doc-page">{esc(t(lang, "page", page=page))}</span>' if page else ""
    return (
        f'<div class="doc"><div class="doc-title">{esc(title or source)}</div>'
        f'<div class="doc-file">{esc(source)}{where}</div><div class="{kind}">{body}</div></div>'
    )


# Private-use characters stand for the highlight's tags while Markdown is rendered.
_CHUNK_ON, _MARK_ON, _MARK_OFF, _CHUNK_OFF = "\ue000", "\ue001", "\ue002", "\ue003"
_TAGS = {
    _CHUNK_ON: '<span class="doc-chunk">',
    _MARK_ON: '<mark id="doc-hl" class="doc-hl">',
    _MARK_OFF: "</mark>",
    _CHUNK_OFF: "</span>",
}


_BLOCK_MARKER = re.compile(r"#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*")


def _markdown(text: str, marks: list[tuple[int, str]]) -> str:
    from markdown_it import MarkdownIt

    for ch in _TAGS:
        text = text.replace(ch, "")
    for offset, ch in sorted(marks, key=lambda m: m[0], reverse=True):
        if offset == 0 or text[offset - 1] == "\n":  # after a line's block marker (# - 1. >)
            block = _BLOCK_MARKER.match(text, offset)
            offset = block.end() if block else offset
        text = text[:offset] + ch + text[offset:]
    html_out = MarkdownIt("commonmark", {"html": False}).render(text)
    for ch, tag in _TAGS.items():
        html_out = html_out.replace(ch, tag)
    return str(html_out)


def render_doc_message(message: str) -> str:
    return f'<div class="doc doc-empty">{esc(message)}</div>'


def render_status(mode: str, model: str | None, n_docs: int, lang: str) -> str:
    line = t(lang, "mode_llm", model=model or "") if mode == "llm" else t(lang, "mode_extractive")
    return (
        f'<div class="status status-{esc(mode)}"><span class="status-mode">● {esc(line)}</span>'
        f' <span class="status-docs">{esc(t(lang, "docs_count", n=n_docs))}</span></div>'
    )


def render_kb(records: list[DocRecord], lang: str) -> str:
    if not records:
        return f'<div class="kb kb-empty">{esc(t(lang, "kb_empty"))}</div>'
    head = "".join(
        f"<th>{esc(t(lang, k))}</th>" for k in ("kb_title", "kb_file", "kb_chunks", "kb_when")
    )
    rows = "".join(
        f"<tr><td>{esc(r.title)}</td><td><code>{esc(r.source)}</code></td><td>{r.chunks}</td>"
        f"<td>{datetime.fromtimestamp(r.ingested_at).strftime('%Y-%m-%d %H:%M')}</td></tr>"
        for r in records
    )
    return f'<table class="kb"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _duration(seconds: float, lang: str) -> str:
    seconds = max(0, int(round(seconds)))
    minutes, secs = divmod(seconds, 60)
    if lang == "zh":
        return f"{minutes} 分 {secs} 秒" if minutes else f"{secs} 秒"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def render_progress(progress: Progress | None, lang: str) -> str:
    """An ingest job: a bar, counts, rate and ETA, and one line per file."""
    if progress is None:
        return ""
    p = progress
    pct = int(round(p.fraction * 100))
    if p.phase == "done":
        head = t(lang, "progress_done", seconds=(p.finished or p.started) - p.started)
    elif p.phase == "queued":
        head = t(lang, "progress_queued")
    elif p.phase == "chunking":
        head = t(lang, "progress_chunking")
    else:
        head = t(
            lang,
            "progress_line",
            files_done=p.files_done,
            files=len(p.files),
            embedded=p.embedded,
            chunks=p.total_chunks,
        )
        if p.rate is not None:
            head += " · " + t(lang, "progress_rate", rate=p.rate)
        if p.eta_s is not None:
            head += " · " + t(lang, "progress_eta", eta=_duration(p.eta_s, lang))
    rows = "".join(
        f'<li class="job-file job-{esc(f.status)}"><span class="job-name">{esc(f.name)}</span> '
        f'<span class="job-status">{esc(t(lang, "status_" + f.status))}</span>'
        + (f" {f.embedded}/{f.chunks}" if f.chunks and f.status == "embedding" else "")
        + (f' <span class="job-msg">{esc(f.message)}</span>' if f.message else "")
        + "</li>"
        for f in p.files
    )
    return (
        f'<div class="job job-{esc(p.phase)}" data-pct="{pct}">'
        f'<div class="job-head">{esc(t(lang, "progress_title"))} ({esc(p.kb)}): {esc(head)}</div>'
        f'<div class="job-bar"><div class="job-fill" style="width:{pct}%"></div></div>'
        f'<ul class="job-files">{rows}</ul></div>'
    )


CSS = """
:root, .gradio-container { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
  "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif; }
.status { font-size: 0.9em; padding: 4px 8px; border-radius: 6px; background: var(--background-fill-secondary); }
.status-llm .status-mode { color: #1d4ed8; } .status-extractive .status-mode { color: #047857; }
.status-docs { margin-left: 1em; opacity: 0.75; }
.ans-sources { margin-top: 0.6em; border-top: 1px solid var(--border-color-primary); padding-top: 0.3em; }
.ans-sources summary { cursor: pointer; font-weight: 600; }
.src { margin: 0.4em 0; padding: 0.4em 0.6em; border-left: 3px solid #93c5fd; background: var(--background-fill-secondary); border-radius: 4px; }
.src-head { font-size: 0.9em; } .src-n { font-weight: 700; } .src-title { font-weight: 600; }
.src-file { font-family: monospace; font-size: 0.85em; opacity: 0.8; }
.src-link { margin-left: 0.5em; font-size: 0.85em; cursor: pointer; }
.src-text { font-size: 0.9em; margin-top: 0.2em; line-height: 1.6; }
mark.quote { background: #fde68a; color: inherit; padding: 0 1px; }
mark.quote-unsupported { background: #fecaca; }
sup.cite { color: #1d4ed8; font-weight: 600; }
.claim-unsupported { text-decoration: underline wavy #dc2626; } .flag { color: #b91c1c; }
.ans-standalone { font-size: 0.85em; opacity: 0.8; margin-bottom: 0.3em; }
.ans-notice, .ans-warn { font-size: 0.85em; color: #92400e; background: #fef3c7; padding: 2px 6px; border-radius: 4px; margin: 0.3em 0; }
.ans-refused { border: 1px dashed #9ca3af; background: #f3f4f6; color: #374151; padding: 0.5em 0.7em; border-radius: 6px; font-style: italic; }
.ans-refused-badge { font-weight: 700; font-style: normal; color: #6b7280; }
.ans-error { color: #b91c1c; }
.ans-cursor { animation: blink 1s step-end infinite; } @keyframes blink { 50% { opacity: 0; } }
#doc-view { overflow-y: auto; }
.doc-title { font-weight: 700; font-size: 1.1em; } .doc-file { font-family: monospace; font-size: 0.85em; opacity: 0.7; }
.doc-body { line-height: 1.8; margin-top: 0.5em; white-space: normal; }
.doc-chunk { background: #e0f2fe; } mark.doc-hl { background: #fde047; color: inherit; scroll-margin: 40vh; }
.doc-empty { opacity: 0.7; }
table.kb { width: 100%; border-collapse: collapse; } table.kb th, table.kb td { border-bottom: 1px solid var(--border-color-primary); padding: 4px 6px; text-align: left; }
#doc-request, #doc-open { display: none !important; }
.job { font-size: 0.9em; margin: 0.4em 0; }
.job-bar { height: 8px; background: var(--background-fill-secondary); border-radius: 4px; overflow: hidden; margin: 4px 0; }
.job-fill { height: 100%; background: #3b82f6; transition: width 0.5s; }
.job-done .job-fill { background: #10b981; }
.job-files { margin: 0; padding-left: 1.2em; } .job-status { opacity: 0.75; }
.job-skipped .job-status, .job-msg { color: #b91c1c; }
.doc-title { position: sticky; top: 0; background: var(--background-fill-primary); z-index: 1; padding: 2px 0; }
#conv-list label { width: 100%; }
"""

# Clicking "open document" under an answer fills a hidden textbox and presses a hidden button.
HEAD = """
<script>
document.addEventListener("click", function (event) {
  const link = event.target.closest && event.target.closest("a.src-link");
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const box = document.querySelector("#doc-request textarea, #doc-request input");
  const holder = document.querySelector("#doc-open");
  const button = holder && (holder.tagName === "BUTTON" ? holder : holder.querySelector("button"));
  if (!box || !button) return;
  const href = link.getAttribute("href") || "";
  const query = new URLSearchParams(href.slice(href.indexOf("?") + 1));
  const request = Object.fromEntries(query.entries());
  request.nonce = Date.now();  // the same link clicked twice still changes the value
  box.value = JSON.stringify(request);
  box.dispatchEvent(new Event("input", {bubbles: true}));
  setTimeout(function () { button.click(); }, 50);
}, true);
</script>
"""


def upload_guard(limit_mb: int, messages: dict[str, str]) -> str:
    """A script that refuses files over the limit before they are sent, in our words.

    Runs in the capture phase, before Gradio's own handler: the file never leaves the
    browser, and the message (in the interface language chosen) lands in #kb-message.
    """
    config = json.dumps({"limit": limit_mb * 1024 * 1024, "messages": messages})
    return (
        "<script>(function () { const cfg = "
        + config.replace("<", "\\u003c")
        + """;
  function guard(event, files) {
    if (!files || ![...files].some(f => f.size > cfg.limit)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (event.target && event.target.value !== undefined) event.target.value = "";
    const lang = (document.querySelector("#lang input:checked") || {}).value || "zh";
    const box = document.querySelector("#kb-message textarea, #kb-message input");
    if (!box) return;
    box.value = cfg.messages[lang] || cfg.messages.zh;
    box.dispatchEvent(new Event("input", {bubbles: true}));
  }
  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest("#kb-upload") && event.target.type === "file")
      guard(event, event.target.files);
  }, true);
  document.addEventListener("drop", function (event) {
    if (event.target.closest && event.target.closest("#kb-upload"))
      guard(event, event.dataTransfer && event.dataTransfer.files);
  }, true);
})();</script>"""
    )


# Scroll the document panel (not the page) so the highlighted passage sits in its middle.
SCROLL_JS = """
() => { setTimeout(() => {
  const mark = document.getElementById("doc-hl");
  if (!mark) return;
  let box = mark.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight + 4 && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) {
    box = box.parentElement;
  }
  if (!box || box === document.body || box === document.documentElement) {
    mark.scrollIntoView({block: "center"});
    return;
  }
  const r = mark.getBoundingClientRect(), c = box.getBoundingClientRect();
  box.scrollTop += (r.top - c.top) - box.clientHeight / 2 + r.height / 2;
}, 100); }
"""

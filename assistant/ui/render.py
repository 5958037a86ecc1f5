"""HTML for the chat: answers with their sources, whole documents, the knowledge base.

The markup is in Jinja templates (`templates/`, autoescaped): everything that comes from
a user or a document is escaped there, so markup inside a question or a document is
shown as text and never runs. What is built here is only what templates do badly, each
piece escaped before it becomes `Markup`: text painted character by character (quotes,
[n] markers, the highlighted passage) and Markdown rendered by markdown-it. The output
has no raw newlines: the Chatbot renders Markdown, and a blank line would end the HTML
block.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from assistant.index.store import DocRecord
from assistant.ingest.background import Progress
from assistant.redact import redact
from assistant.schema import Answer, Citation
from assistant.ui.i18n import t

_MARKER = re.compile(r"\[(\d+)\]")
_BETWEEN_TAGS = re.compile(r">\s*\n\s*<")


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,  # every value is escaped unless it is Markup made here
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["br"] = lambda text: Markup(esc(str(text)))
    env.filters["when"] = lambda ts: datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")
    return env


def _render(name: str, lang: str, **values: Any) -> str:
    """A template of templates/, on one line (a raw newline would end the Chatbot's HTML)."""

    def text(key: str, **kw: Any) -> str:
        return t(lang, key, **kw)

    out = _env().get_template(name).render(t=text, **values)
    return _BETWEEN_TAGS.sub("><", out).strip()


def esc(text: str) -> str:
    """Escaped text with line breaks as <br> (safe inside any element or attribute)."""
    return html.escape(text or "", quote=True).replace("\r\n", "\n").replace("\n", "<br>")


def render_streaming(text: str, lang: str) -> str:
    body = (
        esc(text) if text.strip() else f'<span class="ans-wait">{esc(t(lang, "thinking"))}</span>'
    )
    return f'<div class="ans ans-streaming">{body}<span class="ans-cursor">▍</span></div>'


def render_error(message: str, lang: str) -> str:
    return f'<div class="ans ans-error">⚠ {esc(t(lang, "error", error=redact(message)))}</div>'


def render_answer(answer: Answer, lang: str) -> str:
    """One answer: standalone question, notice, text with [n] markers, then its sources."""
    standalone = answer.standalone_question.strip() != answer.question.strip()
    return _render(
        "answer.html",
        lang,
        refused=answer.refused,
        standalone=answer.standalone_question if standalone else "",
        notice=redact(answer.notice or ""),
        warnings=answer.warnings,
        text=answer.answer,
        body=Markup(_answer_text(answer, lang)) if not answer.refused else "",
        unsupported=bool(answer.unsupported_claims),
        sources=Markup(render_sources(answer.citations, lang)) if answer.citations else "",
    )


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
        # The Chatbot's sanitiser drops data-* attributes, so the link carries its target in the href.
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
        supported = sum(c.supported for c in group)
        flag = ""
        if supported < len(group):
            flag = "unsupported" if supported == 0 else "partly_unsupported"
        items.append(
            {
                "n": n,
                "title": first.title,
                "source": first.source,
                "pages": ", ".join(str(p) for p in sorted({c.page for c in group if c.page})),
                "flag": flag,
                "target": target,
                "text": Markup(highlight(first.text, spans)),
            }
        )
    return _render("sources.html", lang, items=items)


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
    return _render(
        "document.html",
        lang,
        title=title or source,
        source=source,
        page=page,
        kind=kind,
        body=Markup(body),
    )


def render_warning(message: str) -> str:
    """A warning above a document (e.g. it holds instruction-like sentences)."""
    return f'<div class="ans-warn doc-warning">⚠ {esc(message)}</div>'


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
    return _render("status.html", lang, mode=mode, line=line, n_docs=n_docs)


def render_kb(records: list[DocRecord], lang: str) -> str:
    return _render("kb.html", lang, records=records)


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
    return _render("progress.html", lang, p=p, pct=pct, head=head)


CSS = (Path(__file__).parent / "templates" / "chat.css").read_text(encoding="utf-8")

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

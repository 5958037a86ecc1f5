"""The Gradio chat: streamed, cited answers and a knowledge base panel.

`build_app(assistant, settings)` returns the Blocks; `launch()` builds the Assistant
once and serves it on 127.0.0.1 by default. The handlers are in `ui_handlers`, the
HTML in `ui_render`, the interface text in `ui_i18n`.

Offline by design: analytics off, no server-side rendering (no Node process), no
external fonts (a CJK system font stack), nothing fetched from a CDN.
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.settings import Settings  # noqa: E402
from assistant.ui.handlers import ChatUI, parse_users, render_turns  # noqa: E402
from assistant.ui.i18n import EXAMPLES, LANGUAGES, t  # noqa: E402
from assistant.ui.render import (  # noqa: E402
    CSS,
    HEAD,
    SCROLL_JS,
    render_doc_message,
    render_progress,
    upload_guard,
)

CJK_FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "system-ui",
    "sans-serif",
]


def _header(lang: str) -> str:
    return f"## {t(lang, 'title')}\n{t(lang, 'subtitle')}"


def browser_secret(settings: Settings) -> str:
    """The key that encrypts what the app keeps in a browser's localStorage (made once)."""
    path = settings.data_dir / "ui-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def owner_of(request: gr.Request | None, browser: dict | None) -> str:
    """Whose conversations these are: the login name, else this browser's random id."""
    username = getattr(request, "username", None) if request is not None else None
    if username:
        return f"user:{username}"
    client = (browser or {}).get("client") or ""
    return f"browser:{client}" if client else ""


def build_app(assistant, settings: Settings):
    """The Blocks of the chat and the knowledge base panel (launch them with `serve`)."""
    ui = ChatUI(assistant, settings)
    lang0 = settings.ui.language
    kb0 = settings.kb
    limit = settings.ui.concurrency
    with gr.Blocks(title=t(lang0, "title"), analytics_enabled=False, fill_width=True) as app:
        app.chat_ui = ui  # for tests and embedding
        with gr.Row(equal_height=True):
            header = gr.Markdown(_header(lang0))
            lang = gr.Radio(
                [(v, k) for k, v in LANGUAGES.items()],
                value=lang0,
                label=t(lang0, "language"),
                scale=0,
                min_width=200,
                elem_id="lang",
            )
        status = gr.HTML(ui.status(lang0), elem_id="status")
        browser = gr.BrowserState(
            {"client": "", "conversation": "", "lang": ""},
            storage_key="assistant-ui",
            secret=browser_secret(settings),
        )
        turns = gr.State([])
        conv_id = gr.State("")
        seen_job = gr.State("")
        with gr.Tabs():
            with gr.Tab(t(lang0, "tab_chat"), id="chat") as chat_tab, gr.Row():
                with gr.Column(scale=1, min_width=220):
                    kb_select = gr.Dropdown(
                        ui.kb_choices(), value=kb0, label=t(lang0, "kb_select"), elem_id="kb-select"
                    )
                    clear = gr.Button(t(lang0, "clear"), size="sm", elem_id="new-chat")
                    conv_list = gr.Radio(
                        [], value=None, label=t(lang0, "conv_list"), elem_id="conv-list"
                    )
                    with gr.Row():
                        conv_title = gr.Textbox(
                            show_label=False,
                            placeholder=t(lang0, "conv_rename_to"),
                            elem_id="conv-title",
                            scale=2,
                        )
                        conv_rename = gr.Button(
                            t(lang0, "conv_rename"), size="sm", elem_id="conv-rename", scale=1
                        )
                    conv_delete = gr.Button(
                        t(lang0, "conv_delete"), size="sm", variant="stop", elem_id="conv-delete"
                    )
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label=t(lang0, "chatbot"),
                        show_label=False,
                        elem_id="chatbot",
                        height=560,
                        sanitize_html=True,
                        render_markdown=True,
                        latex_delimiters=[],
                        feedback_options=("Like", "Dislike"),
                        buttons=["copy"],
                    )
                    with gr.Row():
                        textbox = gr.Textbox(
                            placeholder=t(lang0, "placeholder"),
                            show_label=False,
                            lines=1,
                            max_lines=6,
                            scale=5,
                            elem_id="question",
                            max_length=settings.answer.max_question_chars,
                        )
                        send = gr.Button(
                            t(lang0, "send"),
                            variant="primary",
                            scale=1,
                            min_width=80,
                            elem_id="send",
                        )
                    examples = gr.Dataset(
                        components=[textbox],
                        samples=[[q] for q in EXAMPLES],
                        label=t(lang0, "examples"),
                        elem_id="examples",
                    )
                    export = gr.Button(t(lang0, "export"), size="sm", elem_id="export")
                    export_file = gr.File(
                        label=t(lang0, "export_file"),
                        visible=False,
                        interactive=False,
                        elem_id="export-file",
                    )
                with gr.Column(scale=2):
                    doc_view = gr.HTML(
                        render_doc_message(t(lang0, "doc_empty")),
                        elem_id="doc-view",
                        max_height=640,
                        label=t(lang0, "doc_view"),
                    )
                    doc_request = gr.Textbox(elem_id="doc-request", visible="hidden")
                    doc_open = gr.Button("open", elem_id="doc-open", visible="hidden")
            with gr.Tab(t(lang0, "tab_kb"), id="kb", elem_id="kb-tab") as kb_tab:
                kb_current = gr.Markdown(t(lang0, "kb_current", kb=kb0), elem_id="kb-current")
                progress = gr.HTML("", elem_id="kb-progress")
                kb_table = gr.HTML(ui.kb_table(lang0), elem_id="kb-table")
                kb_message = gr.Textbox(
                    label=t(lang0, "kb_message"),
                    show_label=False,
                    interactive=False,
                    elem_id="kb-message",
                    lines=2,
                )
                upload_files = gr.File(
                    label=t(lang0, "kb_upload", mb=settings.ui.max_upload_mb),
                    file_count="multiple",
                    file_types=[".txt", ".md", ".markdown", ".html", ".htm", ".pdf"],
                    type="filepath",
                    elem_id="kb-upload",
                )
                with gr.Row():
                    upload_btn = gr.Button(
                        t(lang0, "kb_upload_btn"), variant="primary", elem_id="kb-add"
                    )
                    reindex_btn = gr.Button(t(lang0, "kb_reindex_btn"), elem_id="kb-reindex")
                with gr.Row():
                    delete_pick = gr.Dropdown(
                        ui.source_names(),
                        value=None,  # Gradio preselects the first choice otherwise: one click deletes it
                        label=t(lang0, "kb_delete"),
                        elem_id="kb-pick",
                        scale=3,
                    )
                    delete_btn = gr.Button(
                        t(lang0, "kb_delete_btn"), variant="stop", elem_id="kb-delete", scale=1
                    )
                with gr.Accordion(t(lang0, "kbs_manage"), open=False, elem_id="kbs") as kbs_box:
                    kbs_name = gr.Textbox(
                        label=t(lang0, "kbs_new_name"), elem_id="kbs-name", max_length=48
                    )
                    with gr.Row():
                        kbs_create = gr.Button(t(lang0, "kbs_create"), elem_id="kbs-create")
                        kbs_rename = gr.Button(t(lang0, "kbs_rename"), elem_id="kbs-rename")
                        kbs_delete = gr.Button(
                            t(lang0, "kbs_delete"), variant="stop", elem_id="kbs-delete"
                        )
                pending = gr.State({})
                with gr.Row(visible=False, elem_id="confirm") as confirm_row:
                    confirm_text = gr.Markdown("", elem_id="confirm-text")
                    confirm_yes = gr.Button(
                        t(lang0, "confirm"), variant="stop", elem_id="confirm-yes", scale=0
                    )
                    confirm_no = gr.Button(t(lang0, "cancel"), elem_id="confirm-no", scale=0)
        timer = gr.Timer(1.0)

        # --- chat events --------------------------------------------------------------
        def conv_radio(owner: str, lg: str, cid: str | None):
            choices = ui.conversation_choices(owner, lg) if owner else []
            return gr.Radio(choices=choices, value=cid or None, label=t(lg, "conv_list"))

        def chat_fn(message, history, lg, tn, cid, kb, br, request: gr.Request):
            yield from ui.respond(message, history, lg, tn, cid, kb, owner_of(request, br))

        def after_answer(cid, br, lg, request: gr.Request):
            br = {**(br or {}), "conversation": cid}
            return br, conv_radio(owner_of(request, br), lg, cid)

        chat: dict[str, Any] = dict(
            fn=chat_fn,
            inputs=[textbox, chatbot, lang, turns, conv_id, kb_select, browser],
            outputs=[chatbot, textbox, turns, conv_id],
            concurrency_limit=limit,
            concurrency_id="chat",
            show_progress="hidden",
        )
        after: dict[str, Any] = dict(
            fn=after_answer,
            inputs=[conv_id, browser, lang],
            outputs=[browser, conv_list],
            api_visibility="private",
            queue=False,
        )
        textbox.submit(**chat, api_name="chat").then(**after)
        send.click(**chat, api_visibility="private").then(**after)
        examples.click(
            lambda sample: sample[0], examples, textbox, api_visibility="private", queue=False
        ).then(**chat, api_visibility="private").then(**after)

        def like(history, tn, lg, cid, br, data: gr.LikeData, request: gr.Request):
            index = data.index[0] if isinstance(data.index, list | tuple) else data.index
            liked = data.liked if data.liked in (True, False) else None
            record = ui.record_feedback(history, tn, int(index), liked, owner_of(request, br), cid)
            if record is not None:
                gr.Info(t(lg, "feedback_saved"))

        chatbot.like(like, [chatbot, turns, lang, conv_id, browser], None, api_visibility="private")

        def new_chat(lg, br):
            br = {**(br or {}), "conversation": ""}
            empty_doc = render_doc_message(t(lg, "doc_empty"))
            return [], [], "", empty_doc, gr.File(visible=False), br, gr.Radio(value=None)

        new_outputs = [chatbot, turns, conv_id, doc_view, export_file, browser, conv_list]
        clear.click(new_chat, [lang, browser], new_outputs, api_visibility="private", queue=False)
        chatbot.clear(new_chat, [lang, browser], new_outputs, api_visibility="private", queue=False)

        def open_conversation(cid, lg, br, request: gr.Request):
            messages, tn, cid, kb = ui.restore(owner_of(request, br), cid, lg)
            br = {**(br or {}), "conversation": cid}
            empty_doc = render_doc_message(t(lg, "doc_empty"))
            return messages, tn, cid, gr.Dropdown(value=kb), br, empty_doc

        conv_list.input(
            open_conversation,
            [conv_list, lang, browser],
            [chatbot, turns, conv_id, kb_select, browser, doc_view],
            api_visibility="private",
        )

        def rename_conversation(cid, title, lg, br, request: gr.Request):
            owner = owner_of(request, br)
            if cid and title.strip():
                ui.conversations.rename(owner, cid, title)
            return conv_radio(owner, lg, cid), ""

        conv_rename.click(
            rename_conversation,
            [conv_id, conv_title, lang, browser],
            [conv_list, conv_title],
            api_visibility="private",
        )

        def delete_conversation(cid, lg, br, request: gr.Request):
            owner = owner_of(request, br)
            if cid:
                ui.conversations.delete(owner, cid)
            out = list(new_chat(lg, br))
            out[-1] = conv_radio(owner, lg, None)
            return out

        conv_delete.click(
            delete_conversation, [conv_id, lang, browser], new_outputs, api_visibility="private"
        )

        def do_export(tn, lg):
            path = ui.export(tn, lg)
            if path is None:
                gr.Warning(t(lg, "export_empty"))
            return gr.File(value=path, visible=path is not None)

        export.click(do_export, [turns, lang], export_file, api_name="export")
        doc_open.click(
            ui.open_document,
            [doc_request, lang, kb_select],
            doc_view,
            api_name="document",
            show_progress="hidden",
        ).then(None, js=SCROLL_JS)

        # --- knowledge base events ----------------------------------------------------
        def kb_view(kb, lg, message=None):
            """Everything that shows the chosen knowledge base."""
            return (
                t(lg, "kb_message") if message is None else message,
                ui.kb_table(lg, kb),
                gr.Dropdown(choices=ui.source_names(kb), value=None),
                ui.status(lg, kb),
                gr.Dropdown(choices=ui.kb_choices(), value=kb, label=t(lg, "kb_select")),
                t(lg, "kb_current", kb=kb),
                render_progress(ui.progress(kb), lg),
            )

        kb_outputs = [kb_message, kb_table, delete_pick, status, kb_select, kb_current, progress]

        def choose_kb(kb, cid, br, lg, request: gr.Request):
            owner = owner_of(request, br)
            conv = ui.conversations.get(owner, cid)
            if conv is not None:
                ui.conversations.save(owner, cid, conv.turns, kb)
            return kb_view(kb, lg, "")

        kb_select.input(
            choose_kb, [kb_select, conv_id, browser, lang], kb_outputs, api_visibility="private"
        )
        upload_btn.click(
            lambda files, kb, lg: (ui.start_upload(files, lg, kb), None),
            [upload_files, kb_select, lang],
            [kb_message, upload_files],
            concurrency_limit=1,
            concurrency_id="kb",
            api_name="upload",
        )
        reindex_btn.click(
            lambda kb, lg: kb_view(kb, lg, ui.reindex(lg, kb)),
            [kb_select, lang],
            kb_outputs,
            concurrency_limit=1,
            concurrency_id="kb",
            api_name="reindex",
        )

        def ask_confirm(action, target, kb, lg):
            if action == "doc":
                if not target:
                    return {}, gr.Row(visible=False), "", t(lg, "kb_pick")
                text = t(lg, "kb_confirm_delete", source=target, kb=kb)
            else:
                text = t(lg, "kbs_confirm_delete", kb=kb, n=ui.kb_documents(kb))
            job = {"action": action, "target": target, "kb": kb}
            return job, gr.Row(visible=True), text, gr.skip()

        confirm_outputs = [pending, confirm_row, confirm_text, kb_message]
        delete_btn.click(
            lambda src, kb, lg: ask_confirm("doc", src, kb, lg),
            [delete_pick, kb_select, lang],
            confirm_outputs,
            api_visibility="private",
            queue=False,
        )
        kbs_delete.click(
            lambda kb, lg: ask_confirm("kb", kb, kb, lg),
            [kb_select, lang],
            confirm_outputs,
            api_visibility="private",
            queue=False,
        )

        def confirmed(job, lg):
            kb = job.get("kb") or kb0
            if job.get("action") == "doc":
                message = ui.delete(job.get("target"), lg, kb)
            elif job.get("action") == "kb":
                message, ok = ui.delete_kb(kb, lg)
                kb = kb0 if ok else kb
            else:
                message = ""
            return {}, gr.Row(visible=False), *kb_view(kb, lg, message)

        confirm_yes.click(
            confirmed,
            [pending, lang],
            [pending, confirm_row, *kb_outputs],
            concurrency_limit=1,
            concurrency_id="kb",
            api_visibility="private",
        )
        confirm_no.click(
            lambda: ({}, gr.Row(visible=False)),
            None,
            [pending, confirm_row],
            api_visibility="private",
            queue=False,
        )

        def create_kb(name, kb, lg):
            message, made = ui.create_kb(name, lg)
            return *kb_view(made or kb, lg, message), "" if made else name

        kbs_create.click(
            create_kb,
            [kbs_name, kb_select, lang],
            [*kb_outputs, kbs_name],
            concurrency_limit=1,
            concurrency_id="kb",
            api_name="kb_create",
        )

        def rename_kb(name, kb, lg):
            message, renamed = ui.rename_kb(kb, name, lg)
            if renamed:
                ui.conversations.rename_kb(kb, renamed)
            return *kb_view(renamed or kb, lg, message), "" if renamed else name

        kbs_rename.click(
            rename_kb,
            [kbs_name, kb_select, lang],
            [*kb_outputs, kbs_name],
            concurrency_limit=1,
            concurrency_id="kb",
            api_visibility="private",
        )

        def tick(kb, lg, seen):
            """The progress bar; when a job has just finished, the knowledge base view too."""
            p = ui.progress(kb)
            key = f"{kb}:{p.started}:{p.phase}" if p else ""
            if key == seen:
                return [gr.skip()] * (len(kb_outputs) + 1)
            if p is not None and p.phase == "done":
                return *kb_view(kb, lg, gr.skip()), key
            skips = [gr.skip()] * (len(kb_outputs) - 1)
            return *skips, render_progress(p, lg), key if p is None else ""

        timer.tick(
            tick,
            [kb_select, lang, seen_job],
            [*kb_outputs, seen_job],
            api_visibility="private",
            show_progress="hidden",
            queue=False,
        )

        # --- language and page load ---------------------------------------------------
        empty_docs = {render_doc_message(t(code, "doc_empty")) for code in LANGUAGES}
        labelled: list[tuple[Any, Any]] = [
            (header, lambda lg: _header(lg)),
            (lang, lambda lg: gr.Radio(label=t(lg, "language"))),
            (chat_tab, lambda lg: gr.update(label=t(lg, "tab_chat"))),
            (kb_tab, lambda lg: gr.update(label=t(lg, "tab_kb"))),
            (textbox, lambda lg: gr.Textbox(placeholder=t(lg, "placeholder"))),
            (send, lambda lg: gr.Button(t(lg, "send"))),
            (examples, lambda lg: gr.Dataset(label=t(lg, "examples"))),
            (clear, lambda lg: gr.Button(t(lg, "clear"))),
            (export, lambda lg: gr.Button(t(lg, "export"))),
            (
                upload_files,
                lambda lg: gr.File(label=t(lg, "kb_upload", mb=settings.ui.max_upload_mb)),
            ),
            (upload_btn, lambda lg: gr.Button(t(lg, "kb_upload_btn"))),
            (reindex_btn, lambda lg: gr.Button(t(lg, "kb_reindex_btn"))),
            (delete_btn, lambda lg: gr.Button(t(lg, "kb_delete_btn"))),
            (export_file, lambda lg: gr.File(label=t(lg, "export_file"))),
            (conv_title, lambda lg: gr.Textbox(placeholder=t(lg, "conv_rename_to"))),
            (conv_rename, lambda lg: gr.Button(t(lg, "conv_rename"))),
            (conv_delete, lambda lg: gr.Button(t(lg, "conv_delete"))),
            (kbs_box, lambda lg: gr.Accordion(label=t(lg, "kbs_manage"))),
            (kbs_name, lambda lg: gr.Textbox(label=t(lg, "kbs_new_name"))),
            (kbs_create, lambda lg: gr.Button(t(lg, "kbs_create"))),
            (kbs_rename, lambda lg: gr.Button(t(lg, "kbs_rename"))),
            (kbs_delete, lambda lg: gr.Button(t(lg, "kbs_delete"))),
            (confirm_yes, lambda lg: gr.Button(t(lg, "confirm"))),
            (confirm_no, lambda lg: gr.Button(t(lg, "cancel"))),
        ]

        def relabel(lg, doc_html, tn, kb, cid, br, request: gr.Request):
            doc = render_doc_message(t(lg, "doc_empty")) if doc_html in empty_docs else doc_html
            return (
                *(make(lg) for _, make in labelled),
                *kb_view(kb, lg),
                doc,
                render_turns(tn or [], lg),
                conv_radio(owner_of(request, br), lg, cid),
                {**(br or {}), "lang": lg},
            )

        relabel_outputs = [
            *(c for c, _ in labelled),
            *kb_outputs,
            doc_view,
            chatbot,
            conv_list,
            browser,
        ]

        lang.change(
            relabel,
            [lang, doc_view, turns, kb_select, conv_id, browser],
            relabel_outputs,
            api_visibility="private",
            queue=False,
        )

        def on_load(br, lg, request: gr.Request):
            """Restore this browser's (or this user's) open conversation and language."""
            br = dict(br or {})
            if not br.get("client"):
                br["client"] = uuid.uuid4().hex
            lg = br.get("lang") if br.get("lang") in LANGUAGES else lg
            owner = owner_of(request, br)
            messages, tn, cid, kb = ui.restore(owner, br.get("conversation"), lg)
            br["conversation"] = cid
            return (br, lg, messages, tn, cid, conv_radio(owner, lg, cid), *kb_view(kb, lg, ""))

        app.load(
            on_load,
            [browser, lang],
            [browser, lang, chatbot, turns, conv_id, conv_list, *kb_outputs],
            api_visibility="private",
            queue=False,
        )
    return app


def theme():
    return gr.themes.Soft(
        font=CJK_FONTS, font_mono=["Noto Sans Mono CJK SC", "ui-monospace", "monospace"]
    )


def serve(app, settings: Settings, host: str | None = None, port: int | None = None, **kwargs):
    """Queue and launch a built app with its theme, CSS and head (Gradio 6 takes them here)."""
    app.queue(default_concurrency_limit=settings.ui.concurrency)
    return app.launch(
        server_name=host or settings.ui.host,
        server_port=port or settings.ui.port,
        auth=parse_users(settings.ui.users),
        max_file_size=f"{settings.ui.max_upload_mb}mb",
        theme=theme(),
        css=CSS,
        head=HEAD
        + upload_guard(
            settings.ui.max_upload_mb,
            {
                code: t(code, "kb_too_big_client", mb=settings.ui.max_upload_mb)
                for code in LANGUAGES
            },
        ),
        footer_links=[],
        ssr_mode=False,
        mcp_server=False,
        show_error=False,
        **kwargs,
    )


NOISY_LOGGERS = ("bm25s", "jieba")  # set themselves to DEBUG when imported


def configure_logging(level_name: str) -> None:
    """The server log at ASSISTANT_LOG_LEVEL, with no library's DEBUG lines below it.

    bm25s and jieba set their own loggers to DEBUG (jieba with its own handler), so the
    root level alone lets their lines through: a filter on those loggers holds them back.
    """
    level = logging.getLevelName(level_name.upper())
    level = level if isinstance(level, int) else logging.WARNING
    logging.basicConfig(level=level)
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if getattr(f, "assistant_level", None) is not None]:
            logger.removeFilter(old)
        keep = _AtLeast(level)
        logger.addFilter(keep)


class _AtLeast(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.assistant_level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.assistant_level


def launch(host: str | None = None, port: int | None = None) -> None:
    """`assistant serve`: build the Assistant once, then serve the chat until interrupted."""
    from assistant.answering.chain import Assistant

    settings = Settings()
    configure_logging(settings.log_level)
    assistant = Assistant.from_settings(settings)
    serve(build_app(assistant, settings), settings, host, port)


__all__ = ["build_app", "launch", "serve", "theme", "ChatUI"]

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
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.login import login_parts  # noqa: E402
from assistant.redact import install_log_filter  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.ui.handlers import ChatUI, parse_users  # noqa: E402
from assistant.ui.i18n import EXAMPLES, LANGUAGES, t  # noqa: E402
from assistant.ui.render import CSS, HEAD, SCROLL_JS, render_doc_message  # noqa: E402

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


def build_app(assistant, settings: Settings):
    """The Blocks of the chat and the knowledge base panel (launch them with `serve`)."""
    ui = ChatUI(assistant, settings)
    lang0 = settings.ui.language
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
            )
        status = gr.HTML(ui.status(lang0), elem_id="status")
        answers = gr.State([])
        with gr.Tabs():
            with gr.Tab(t(lang0, "tab_chat"), id="chat") as chat_tab, gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label=t(lang0, "chatbot"),
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
                    with gr.Row():
                        clear = gr.Button(t(lang0, "clear"), size="sm")
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
                on_conflict = gr.Radio(
                    [
                        (t(lang0, f"kb_conflict_{k}"), v)
                        for k, v in (
                            ("ask", "ask"),
                            ("replace", "replace"),
                            ("keep", "keep_both"),
                            ("cancel", "cancel"),
                        )
                    ],
                    value="ask",
                    label=t(lang0, "kb_conflict"),
                    elem_id="kb-conflict",
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

        # --- chat events --------------------------------------------------------------
        chat: dict[str, Any] = dict(
            fn=ui.respond,
            inputs=[textbox, chatbot, lang, answers],
            outputs=[chatbot, textbox, answers],
            concurrency_limit=limit,
            concurrency_id="chat",
            show_progress="hidden",
        )
        textbox.submit(**chat, api_name="chat")
        send.click(**chat, api_visibility="private")
        examples.click(
            lambda sample: sample[0], examples, textbox, api_visibility="private", queue=False
        ).then(**chat, api_visibility="private")

        def like(history, session_answers, lg, data: gr.LikeData):
            index = data.index[0] if isinstance(data.index, list | tuple) else data.index
            if data.liked in (True, False) and ui.record_feedback(
                history, session_answers, int(index), data.liked
            ):
                gr.Info(t(lg, "feedback_saved"))

        chatbot.like(like, [chatbot, answers, lang], None, api_visibility="private")
        clear.click(
            lambda lg: ([], [], render_doc_message(t(lg, "doc_empty")), gr.File(visible=False)),
            lang,
            [chatbot, answers, doc_view, export_file],
            api_visibility="private",
            queue=False,
        )

        def do_export(session_answers, lg):
            path = ui.export(session_answers, lg)
            if path is None:
                gr.Warning(t(lg, "export_empty"))
            return gr.File(value=path, visible=path is not None)

        export.click(do_export, [answers, lang], export_file, api_name="export")
        doc_open.click(
            ui.open_document,
            [doc_request, lang],
            doc_view,
            api_name="document",
            show_progress="hidden",
        ).then(None, js=SCROLL_JS)

        # --- knowledge base events ----------------------------------------------------
        def refreshed(message, lg):
            names = ui.source_names()
            return (message, ui.kb_table(lg), gr.Dropdown(choices=names, value=None), ui.status(lg))

        kb_outputs = [kb_message, kb_table, delete_pick, status]
        upload_btn.click(
            lambda files, lg, oc: (*refreshed(ui.upload(files, lg, oc), lg), None),
            [upload_files, lang, on_conflict],
            [*kb_outputs, upload_files],
            concurrency_limit=1,
            concurrency_id="kb",
            api_name="upload",
        )
        delete_btn.click(
            lambda src, lg: refreshed(ui.delete(src, lg), lg),
            [delete_pick, lang],
            kb_outputs,
            concurrency_limit=1,
            concurrency_id="kb",
            api_name="delete",
        )
        reindex_btn.click(
            lambda lg: refreshed(ui.reindex(lg), lg),
            lang,
            kb_outputs,
            concurrency_limit=1,
            concurrency_id="kb",
            api_name="reindex",
        )

        # --- language and page load ---------------------------------------------------
        empty_docs = {render_doc_message(t(code, "doc_empty")) for code in LANGUAGES}

        def relabel(lg, doc_html):
            return (
                _header(lg),
                ui.status(lg),
                gr.Radio(label=t(lg, "language")),
                gr.update(label=t(lg, "tab_chat")),
                gr.update(label=t(lg, "tab_kb")),
                gr.Chatbot(label=t(lg, "chatbot")),
                gr.Textbox(placeholder=t(lg, "placeholder")),
                gr.Button(t(lg, "send")),
                gr.Dataset(label=t(lg, "examples")),
                gr.Button(t(lg, "clear")),
                gr.Button(t(lg, "export")),
                ui.kb_table(lg),
                gr.File(label=t(lg, "kb_upload", mb=settings.ui.max_upload_mb)),
                gr.Button(t(lg, "kb_upload_btn")),
                gr.Button(t(lg, "kb_reindex_btn")),
                gr.Dropdown(label=t(lg, "kb_delete")),
                gr.Button(t(lg, "kb_delete_btn")),
                gr.Textbox(label=t(lg, "kb_message")),
                gr.File(label=t(lg, "export_file")),
                render_doc_message(t(lg, "doc_empty")) if doc_html in empty_docs else doc_html,
            )

        relabel_outputs = [
            header,
            status,
            lang,
            chat_tab,
            kb_tab,
            chatbot,
            textbox,
            send,
            examples,
            clear,
            export,
            kb_table,
            upload_files,
            upload_btn,
            reindex_btn,
            delete_pick,
            delete_btn,
            kb_message,
            export_file,
            doc_view,
        ]
        lang.change(
            relabel, [lang, doc_view], relabel_outputs, api_visibility="private", queue=False
        )
        app.load(
            lambda lg: (
                ui.status(lg),
                ui.kb_table(lg),
                gr.Dropdown(choices=ui.source_names(), value=None),
            ),
            lang,
            [status, kb_table, delete_pick],
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
    auth, app_kwargs = login_parts(parse_users(settings.ui.users))  # throttled, routes closed
    return app.launch(
        server_name=host or settings.ui.host,
        server_port=port or settings.ui.port,
        auth=auth,
        app_kwargs=app_kwargs,
        max_file_size=f"{settings.ui.max_upload_mb}mb",
        theme=theme(),
        css=CSS,
        head=HEAD,
        footer_links=[],
        ssr_mode=False,
        mcp_server=False,
        show_error=False,
        **kwargs,
    )


def launch(host: str | None = None, port: int | None = None) -> None:
    """`assistant serve`: build the Assistant once, then serve the chat until interrupted."""
    from assistant.answering.chain import Assistant

    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper())
    install_log_filter(settings)  # no key or URL credential in any log line
    assistant = Assistant.from_settings(settings)
    serve(build_app(assistant, settings), settings, host, port)


__all__ = ["build_app", "launch", "serve", "theme", "ChatUI"]

"""The components of the chat page, laid out; `build_app` wires their events.

`build_layout` must run inside a `gr.Blocks` context. It returns the components as
attributes of one namespace, named as the events refer to them.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import gradio as gr

from assistant.settings import Settings
from assistant.ui.i18n import EXAMPLES, LANGUAGES, t
from assistant.ui.render import render_doc_message

if TYPE_CHECKING:
    from assistant.ui.handlers import ChatUI


def header_text(lang: str) -> str:
    return f"## {t(lang, 'title')}\n{t(lang, 'subtitle')}"


def build_layout(ui: ChatUI, settings: Settings, secret: str) -> SimpleNamespace:
    """Every component of the page, in a namespace (call inside `gr.Blocks`)."""
    lang0 = settings.ui.language
    kb0 = settings.kb
    with gr.Row(equal_height=True):
        header = gr.Markdown(header_text(lang0))
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
        secret=secret,
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
            on_conflict = gr.Radio(
                conflict_choices(lang0),
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
    return SimpleNamespace(
        header=header,
        lang=lang,
        status=status,
        browser=browser,
        turns=turns,
        conv_id=conv_id,
        seen_job=seen_job,
        chat_tab=chat_tab,
        kb_select=kb_select,
        clear=clear,
        conv_list=conv_list,
        conv_title=conv_title,
        conv_rename=conv_rename,
        conv_delete=conv_delete,
        chatbot=chatbot,
        textbox=textbox,
        send=send,
        examples=examples,
        export=export,
        export_file=export_file,
        doc_view=doc_view,
        doc_request=doc_request,
        doc_open=doc_open,
        kb_tab=kb_tab,
        kb_current=kb_current,
        progress=progress,
        kb_table=kb_table,
        kb_message=kb_message,
        upload_files=upload_files,
        upload_btn=upload_btn,
        on_conflict=on_conflict,
        reindex_btn=reindex_btn,
        delete_pick=delete_pick,
        delete_btn=delete_btn,
        kbs_box=kbs_box,
        kbs_name=kbs_name,
        kbs_create=kbs_create,
        kbs_rename=kbs_rename,
        kbs_delete=kbs_delete,
        pending=pending,
        confirm_row=confirm_row,
        confirm_text=confirm_text,
        confirm_yes=confirm_yes,
        confirm_no=confirm_no,
        timer=timer,
    )


def conflict_choices(lang: str) -> list[tuple[str, str]]:
    """What to do with an upload named like a document already in the knowledge base."""
    keys = (("ask", "ask"), ("replace", "replace"), ("keep", "keep_both"), ("cancel", "cancel"))
    return [(t(lang, f"kb_conflict_{k}"), v) for k, v in keys]

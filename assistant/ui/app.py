"""The Gradio chat: streamed, cited answers and a knowledge base panel.

`build_app(assistant, settings)` returns the Blocks; `server.launch()` builds the Assistant
once and serves it on 127.0.0.1 by default. The handlers are in `handlers`, the HTML in
`render`, the interface text in `i18n`.

Offline by design: analytics off, no server-side rendering (no Node process), no
external fonts (a CJK system font stack), nothing fetched from a CDN.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.settings import Settings  # noqa: E402
from assistant.ui.handlers import ChatUI, Message, Turn, render_turns  # noqa: E402
from assistant.ui.i18n import LANGUAGES, t  # noqa: E402
from assistant.ui.kb_events import wire_knowledge  # noqa: E402
from assistant.ui.layout import build_layout, conflict_choices, header_text  # noqa: E402
from assistant.ui.render import (  # noqa: E402
    SCROLL_JS,
    render_doc_message,
)

if TYPE_CHECKING:
    from assistant.answering.chain import Assistant

Browser = dict[str, Any]  # what gr.BrowserState keeps: client id, open conversation, language


def browser_secret(settings: Settings) -> str:
    """The key that encrypts what the app keeps in a browser's localStorage (made once)."""
    path = settings.data_dir / "ui-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def owner_of(request: gr.Request | None, browser: Browser | None) -> str:
    """Whose conversations these are: the login name, else this browser's random id."""
    username = getattr(request, "username", None) if request is not None else None
    if username:
        return f"user:{username}"
    client = (browser or {}).get("client") or ""
    return f"browser:{client}" if client else ""


def build_app(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The Blocks of the chat and the knowledge base panel (launch them with `serve`)."""
    ui = ChatUI(assistant, settings)
    lang0 = settings.ui.language
    limit = settings.ui.concurrency
    with gr.Blocks(title=t(lang0, "title"), analytics_enabled=False, fill_width=True) as app:
        app.chat_ui = ui  # for tests and embedding
        c = build_layout(ui, settings, browser_secret(settings))

        # --- chat events --------------------------------------------------------------
        def conv_radio(owner: str, lg: str, cid: str | None) -> gr.Radio:
            choices = ui.conversation_choices(owner, lg) if owner else []
            return gr.Radio(choices=choices, value=cid or None, label=t(lg, "conv_list"))

        def chat_fn(
            message: str,
            history: list[Any],
            lg: str,
            tn: list[Turn],
            cid: str,
            kb: str,
            br: Browser,
            request: gr.Request,
        ) -> Iterator[tuple[list[Message], str, list[Turn], str]]:
            yield from ui.respond(message, history, lg, tn, cid, kb, owner_of(request, br))

        def after_answer(cid: str, br: Browser, lg: str, request: gr.Request) -> Any:
            br = {**(br or {}), "conversation": cid}
            return br, conv_radio(owner_of(request, br), lg, cid)

        chat: dict[str, Any] = dict(
            fn=chat_fn,
            inputs=[c.textbox, c.chatbot, c.lang, c.turns, c.conv_id, c.kb_select, c.browser],
            outputs=[c.chatbot, c.textbox, c.turns, c.conv_id],
            concurrency_limit=limit,
            concurrency_id="chat",
            show_progress="hidden",
        )
        after: dict[str, Any] = dict(
            fn=after_answer,
            inputs=[c.conv_id, c.browser, c.lang],
            outputs=[c.browser, c.conv_list],
            api_visibility="private",
            queue=False,
        )
        c.textbox.submit(**chat, api_name="chat").then(**after)
        c.send.click(**chat, api_visibility="private").then(**after)
        c.examples.click(
            lambda sample: sample[0], c.examples, c.textbox, api_visibility="private", queue=False
        ).then(**chat, api_visibility="private").then(**after)

        def like(
            history: list[Any],
            tn: list[Turn],
            lg: str,
            cid: str,
            br: Browser,
            data: gr.LikeData,
            request: gr.Request,
        ) -> None:
            index = data.index[0] if isinstance(data.index, list | tuple) else data.index
            liked = data.liked if data.liked in (True, False) else None
            record = ui.record_feedback(history, tn, int(index), liked, owner_of(request, br), cid)
            if record is not None:
                gr.Info(t(lg, "feedback_saved"))

        c.chatbot.like(
            like, [c.chatbot, c.turns, c.lang, c.conv_id, c.browser], None, api_visibility="private"
        )

        def new_chat(lg: str, br: Browser) -> list[Any]:
            br = {**(br or {}), "conversation": ""}
            empty_doc = render_doc_message(t(lg, "doc_empty"))
            return [[], [], "", empty_doc, gr.File(visible=False), br, gr.Radio(value=None)]

        new_outputs = [
            c.chatbot,
            c.turns,
            c.conv_id,
            c.doc_view,
            c.export_file,
            c.browser,
            c.conv_list,
        ]
        c.clear.click(
            new_chat, [c.lang, c.browser], new_outputs, api_visibility="private", queue=False
        )
        c.chatbot.clear(
            new_chat, [c.lang, c.browser], new_outputs, api_visibility="private", queue=False
        )

        def open_conversation(cid: str, lg: str, br: Browser, request: gr.Request) -> Any:
            messages, tn, cid, kb = ui.restore(owner_of(request, br), cid, lg)
            br = {**(br or {}), "conversation": cid}
            empty_doc = render_doc_message(t(lg, "doc_empty"))
            return messages, tn, cid, gr.Dropdown(value=kb), br, empty_doc

        c.conv_list.input(
            open_conversation,
            [c.conv_list, c.lang, c.browser],
            [c.chatbot, c.turns, c.conv_id, c.kb_select, c.browser, c.doc_view],
            api_visibility="private",
        )

        def rename_conversation(
            cid: str, title: str, lg: str, br: Browser, request: gr.Request
        ) -> Any:
            owner = owner_of(request, br)
            if cid and title.strip():
                ui.conversations.rename(owner, cid, title)
            return conv_radio(owner, lg, cid), ""

        c.conv_rename.click(
            rename_conversation,
            [c.conv_id, c.conv_title, c.lang, c.browser],
            [c.conv_list, c.conv_title],
            api_visibility="private",
        )

        def delete_conversation(cid: str, lg: str, br: Browser, request: gr.Request) -> Any:
            owner = owner_of(request, br)
            if cid:
                ui.conversations.delete(owner, cid)
            out = list(new_chat(lg, br))
            out[-1] = conv_radio(owner, lg, None)
            return out

        c.conv_delete.click(
            delete_conversation,
            [c.conv_id, c.lang, c.browser],
            new_outputs,
            api_visibility="private",
        )

        def do_export(tn: list[Turn], lg: str) -> gr.File:
            path = ui.export(tn, lg)
            if path is None:
                gr.Warning(t(lg, "export_empty"))
            return gr.File(value=path, visible=path is not None)

        c.export.click(do_export, [c.turns, c.lang], c.export_file, api_name="export")
        c.doc_open.click(
            ui.open_document,
            [c.doc_request, c.lang, c.kb_select],
            c.doc_view,
            api_name="document",
            show_progress="hidden",
        ).then(None, js=SCROLL_JS)

        kb_view, kb_outputs = wire_knowledge(ui, c, settings, owner_of)

        # --- language and page load ---------------------------------------------------
        empty_docs = {render_doc_message(t(code, "doc_empty")) for code in LANGUAGES}
        labelled: list[tuple[Any, Any]] = [
            (c.header, lambda lg: header_text(lg)),
            (c.lang, lambda lg: gr.Radio(label=t(lg, "language"))),
            (c.chat_tab, lambda lg: gr.update(label=t(lg, "tab_chat"))),
            (c.kb_tab, lambda lg: gr.update(label=t(lg, "tab_kb"))),
            (c.textbox, lambda lg: gr.Textbox(placeholder=t(lg, "placeholder"))),
            (c.send, lambda lg: gr.Button(t(lg, "send"))),
            (c.examples, lambda lg: gr.Dataset(label=t(lg, "examples"))),
            (c.clear, lambda lg: gr.Button(t(lg, "clear"))),
            (c.export, lambda lg: gr.Button(t(lg, "export"))),
            (
                c.upload_files,
                lambda lg: gr.File(label=t(lg, "kb_upload", mb=settings.ui.max_upload_mb)),
            ),
            (c.upload_btn, lambda lg: gr.Button(t(lg, "kb_upload_btn"))),
            (
                c.on_conflict,
                lambda lg: gr.Radio(choices=conflict_choices(lg), label=t(lg, "kb_conflict")),
            ),
            (c.reindex_btn, lambda lg: gr.Button(t(lg, "kb_reindex_btn"))),
            (c.delete_btn, lambda lg: gr.Button(t(lg, "kb_delete_btn"))),
            (c.export_file, lambda lg: gr.File(label=t(lg, "export_file"))),
            (c.conv_title, lambda lg: gr.Textbox(placeholder=t(lg, "conv_rename_to"))),
            (c.conv_rename, lambda lg: gr.Button(t(lg, "conv_rename"))),
            (c.conv_delete, lambda lg: gr.Button(t(lg, "conv_delete"))),
            (c.kbs_box, lambda lg: gr.Accordion(label=t(lg, "kbs_manage"))),
            (c.kbs_name, lambda lg: gr.Textbox(label=t(lg, "kbs_new_name"))),
            (c.kbs_create, lambda lg: gr.Button(t(lg, "kbs_create"))),
            (c.kbs_rename, lambda lg: gr.Button(t(lg, "kbs_rename"))),
            (c.kbs_delete, lambda lg: gr.Button(t(lg, "kbs_delete"))),
            (c.confirm_yes, lambda lg: gr.Button(t(lg, "confirm"))),
            (c.confirm_no, lambda lg: gr.Button(t(lg, "cancel"))),
        ]

        def relabel(
            lg: str,
            doc_html: str,
            tn: list[Turn],
            kb: str,
            cid: str,
            br: Browser,
            request: gr.Request,
        ) -> Any:
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
            c.doc_view,
            c.chatbot,
            c.conv_list,
            c.browser,
        ]

        c.lang.change(
            relabel,
            [c.lang, c.doc_view, c.turns, c.kb_select, c.conv_id, c.browser],
            relabel_outputs,
            api_visibility="private",
            queue=False,
        )

        def on_load(br: Browser, lg: str, request: gr.Request) -> Any:
            """Restore this browser's (or this user's) open conversation and language."""
            br = dict(br or {})
            if not br.get("client"):
                br["client"] = uuid.uuid4().hex
            lg = str(br["lang"]) if br.get("lang") in LANGUAGES else lg
            owner = owner_of(request, br)
            messages, tn, cid, kb = ui.restore(owner, br.get("conversation"), lg)
            br["conversation"] = cid
            return (br, lg, messages, tn, cid, conv_radio(owner, lg, cid), *kb_view(kb, lg, ""))

        app.load(
            on_load,
            [c.browser, c.lang],
            [c.browser, c.lang, c.chatbot, c.turns, c.conv_id, c.conv_list, *kb_outputs],
            api_visibility="private",
            queue=False,
        )
    return app  # type: ignore[no-any-return]  # gr.Blocks.__enter__ is untyped


__all__ = ["build_app", "ChatUI"]

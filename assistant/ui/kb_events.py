"""The events of the knowledge base panel: choose, upload, confirm deletes, progress.

`wire_knowledge(ui, c, settings)` attaches them to the components of `build_layout`
and returns `(kb_view, kb_outputs)`: everything that shows the chosen knowledge base,
which the page load and the language switch refresh too.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import gradio as gr

from assistant.settings import Settings
from assistant.ui.handlers import ChatUI
from assistant.ui.i18n import t
from assistant.ui.render import render_progress


def wire_knowledge(
    ui: ChatUI, c: SimpleNamespace, settings: Settings, owner_of: Callable[..., str]
) -> tuple[Callable[..., tuple[Any, ...]], list[Any]]:
    """Attach the knowledge base events (inside the app's `gr.Blocks`)."""
    kb0 = settings.kb

    # --- knowledge base events ----------------------------------------------------
    def kb_view(kb: str, lg: str, message: Any = None) -> tuple[Any, ...]:
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

    kb_outputs = [
        c.kb_message,
        c.kb_table,
        c.delete_pick,
        c.status,
        c.kb_select,
        c.kb_current,
        c.progress,
    ]

    def choose_kb(
        kb: str, cid: str, br: dict[str, Any], lg: str, request: gr.Request
    ) -> tuple[Any, ...]:
        owner = owner_of(request, br)
        conv = ui.conversations.get(owner, cid)
        if conv is not None:
            ui.conversations.save(owner, cid, conv.turns, kb)
        return kb_view(kb, lg, "")

    c.kb_select.input(
        choose_kb,
        [c.kb_select, c.conv_id, c.browser, c.lang],
        kb_outputs,
        api_visibility="private",
    )
    c.upload_btn.click(
        lambda files, kb, lg, oc: (ui.start_upload(files, lg, kb, oc), None),
        [c.upload_files, c.kb_select, c.lang, c.on_conflict],
        [c.kb_message, c.upload_files],
        concurrency_limit=1,
        concurrency_id="kb",
        api_name="upload",
    )
    c.reindex_btn.click(
        lambda kb, lg: kb_view(kb, lg, ui.reindex(lg, kb)),
        [c.kb_select, c.lang],
        kb_outputs,
        concurrency_limit=1,
        concurrency_id="kb",
        api_name="reindex",
    )

    def ask_confirm(action: str, target: str | None, kb: str, lg: str) -> tuple[Any, ...]:
        if action == "doc":
            if not target:
                return {}, gr.Row(visible=False), "", t(lg, "kb_pick")
            text = t(lg, "kb_confirm_delete", source=target, kb=kb)
        else:
            text = t(lg, "kbs_confirm_delete", kb=kb, n=ui.kb_documents(kb))
        job = {"action": action, "target": target, "kb": kb}
        return job, gr.Row(visible=True), text, gr.skip()

    confirm_outputs = [c.pending, c.confirm_row, c.confirm_text, c.kb_message]
    c.delete_btn.click(
        lambda src, kb, lg: ask_confirm("doc", src, kb, lg),
        [c.delete_pick, c.kb_select, c.lang],
        confirm_outputs,
        api_visibility="private",
        queue=False,
    )
    c.kbs_delete.click(
        lambda kb, lg: ask_confirm("kb", kb, kb, lg),
        [c.kb_select, c.lang],
        confirm_outputs,
        api_visibility="private",
        queue=False,
    )

    def confirmed(job: dict[str, Any], lg: str) -> tuple[Any, ...]:
        kb = job.get("kb") or kb0
        if job.get("action") == "doc":
            message = ui.delete(job.get("target"), lg, kb)
        elif job.get("action") == "kb":
            message, ok = ui.delete_kb(kb, lg)
            kb = kb0 if ok else kb
        else:
            message = ""
        return {}, gr.Row(visible=False), *kb_view(kb, lg, message)

    c.confirm_yes.click(
        confirmed,
        [c.pending, c.lang],
        [c.pending, c.confirm_row, *kb_outputs],
        concurrency_limit=1,
        concurrency_id="kb",
        api_visibility="private",
    )
    c.confirm_no.click(
        lambda: ({}, gr.Row(visible=False)),
        None,
        [c.pending, c.confirm_row],
        api_visibility="private",
        queue=False,
    )

    def create_kb(name: str, kb: str, lg: str) -> tuple[Any, ...]:
        message, made = ui.create_kb(name, lg)
        return *kb_view(made or kb, lg, message), "" if made else name

    c.kbs_create.click(
        create_kb,
        [c.kbs_name, c.kb_select, c.lang],
        [*kb_outputs, c.kbs_name],
        concurrency_limit=1,
        concurrency_id="kb",
        api_name="kb_create",
    )

    def rename_kb(name: str, kb: str, lg: str) -> tuple[Any, ...]:
        message, renamed = ui.rename_kb(kb, name, lg)
        if renamed:
            ui.conversations.rename_kb(kb, renamed)
        return *kb_view(renamed or kb, lg, message), "" if renamed else name

    c.kbs_rename.click(
        rename_kb,
        [c.kbs_name, c.kb_select, c.lang],
        [*kb_outputs, c.kbs_name],
        concurrency_limit=1,
        concurrency_id="kb",
        api_visibility="private",
    )

    def tick(kb: str, lg: str, seen: str) -> Any:
        """The progress bar; when a job has just finished, the knowledge base view too."""
        p = ui.progress(kb)
        key = f"{kb}:{p.started}:{p.phase}" if p else ""
        if key == seen:
            return [gr.skip()] * (len(kb_outputs) + 1)
        if p is not None and p.phase == "done":
            return *kb_view(kb, lg, gr.skip()), key
        skips = [gr.skip()] * (len(kb_outputs) - 1)
        return *skips, render_progress(p, lg), key if p is None else ""

    c.timer.tick(
        tick,
        [c.kb_select, c.lang, c.seen_job],
        [*kb_outputs, c.seen_job],
        api_visibility="private",
        show_progress="hidden",
        queue=False,
    )

    return kb_view, kb_outputs

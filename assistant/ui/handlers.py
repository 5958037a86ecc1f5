"""The handlers of the chat, plain Python so tests drive them without a server.

One Assistant is shared by every browser session; each session's conversation is its
own Chatbot value, plus a list of that session's answers (a `gr.State`, for feedback
and export). Uploads are checked before the index sees them and stored under
`settings.uploads_dir` by a sanitised name.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator
from html import escape, unescape
from pathlib import Path

from assistant.errors import AssistantError, ConfigError, IngestError
from assistant.exports import write_export
from assistant.ingest.identity import upload_hash, upload_name
from assistant.ingest.loading import SUPPORTED_SUFFIXES, load_text
from assistant.ingest.pipeline import discover
from assistant.redact import redact
from assistant.schema import Answer
from assistant.settings import Settings
from assistant.ui.feedback import append_feedback, conversation_markdown, feedback_record
from assistant.ui.i18n import t
from assistant.ui.render import (
    render_answer,
    render_doc_message,
    render_document,
    render_error,
    render_kb,
    render_status,
    render_streaming,
    render_warning,
)

log = logging.getLogger(__name__)


# --- the conversation as Gradio holds it ------------------------------------------------
def message_text(message) -> str:
    """The text of a Chatbot message: content as a string or a list of {"type": "text"} parts."""
    content = (
        message.get("content") if isinstance(message, dict) else getattr(message, "content", "")
    )
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def _role(message) -> str:
    return message.get("role", "") if isinstance(message, dict) else getattr(message, "role", "")


def _is_meta(message) -> bool:
    meta = (
        message.get("metadata") if isinstance(message, dict) else getattr(message, "metadata", None)
    )
    return bool(meta)


def user_questions(history: list) -> list[str]:
    """The earlier user questions, oldest first (metadata messages and failed turns left out).

    A question whose answer was an error never reached the documents: a follow-up must
    not build on it.
    """
    turns = [m for m in history or [] if not _is_meta(m)]
    return [
        unescape(message_text(m)).strip()
        for i, m in enumerate(turns)
        if _role(m) == "user"
        and message_text(m).strip()
        and not (i + 1 < len(turns) and failed_turn(turns[i + 1]))
    ]


def failed_turn(message) -> bool:
    """Whether an assistant message is the error shown for a failed turn."""
    return _role(message) == "assistant" and 'class="ans ans-error"' in message_text(message)


def safe_name(name: str) -> str | None:
    """A file name that cannot leave the uploads folder: basename only, no hidden or dot names."""
    base = (name or "").replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".").strip()
    if not base or base in {".", ".."}:
        return None
    stem, dot, suffix = base.rpartition(".")
    if dot and len(base) > 150:
        base = stem[: 149 - len(suffix)] + "." + suffix
    return base[:150]


def parse_users(users: str) -> list[tuple[str, str]] | None:
    """UI_USERS "alice:secret,bob:secret2" as Gradio auth pairs; None when empty."""
    pairs = []
    for entry in (users or "").split(","):
        if not entry.strip():
            continue
        user, sep, password = entry.strip().partition(":")
        if not sep or not user or not password:
            raise ConfigError("UI_USERS must look like 'alice:secret,bob:secret2'")
        pairs.append((user, password))
    return pairs or None


class ChatUI:
    """The handlers of the app, bound to one shared Assistant."""

    def __init__(self, assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        self.kb_lock = threading.Lock()  # uploads, deletes and re-index run one at a time

    # --- chat -------------------------------------------------------------------------
    def respond(
        self, message: str, history: list, lang: str, answers: list | None
    ) -> Iterator[tuple]:
        """Stream one answer into the Chatbot: yields (history, textbox value, answers)."""
        answers = list(answers or [])
        history = list(history or [])
        question = (message or "").strip()
        if not question:
            yield list(history), "", list(answers)
            return
        earlier = user_questions(history)
        history += [
            {"role": "user", "content": escape(question)},
            {"role": "assistant", "content": render_streaming("", lang)},
        ]
        yield list(history), "", list(answers)
        text = ""
        try:
            for item in self.assistant.stream(question, earlier):
                if isinstance(item, Answer):
                    history[-1] = {"role": "assistant", "content": render_answer(item, lang)}
                    answers.append(item.model_dump(mode="json", exclude={"retrieved"}))
                else:
                    text += item
                    history[-1] = {"role": "assistant", "content": render_streaming(text, lang)}
                yield list(history), "", list(answers)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, AssistantError) else type(exc).__name__
            if not isinstance(exc, AssistantError):
                log.exception("answering failed")
            history[-1] = {"role": "assistant", "content": render_error(reason, lang)}
            answers.append(None)  # one entry per turn, so turn k is answers[k]
            yield list(history), "", list(answers)

    def record_feedback(self, history: list, answers: list, index: int, liked: bool) -> dict | None:
        """Append the rated answer (the turn holding message `index`) to feedback.jsonl."""
        turn, earlier = -1, []
        for m in (history or [])[: index + 1]:
            if _role(m) == "user" and not _is_meta(m):
                turn += 1
                earlier.append(unescape(message_text(m)).strip())
        if turn < 0 or turn >= len(answers or []) or answers[turn] is None:
            return None
        record = feedback_record(Answer.model_validate(answers[turn]), earlier[:-1], liked)
        append_feedback(self.settings.data_dir / "feedback.jsonl", record)
        return record

    def export(self, answers: list, lang: str) -> str | None:
        """Write the conversation as Markdown; returns the file path (None when empty)."""
        done = [Answer.model_validate(a) for a in answers or [] if a]
        if not done:
            return None
        labels = {k: t(lang, f"md_{k}") for k in ("title", "question", "answer", "sources")}
        return str(write_export(redact(conversation_markdown(done, labels))))

    def open_document(self, request: str, lang: str) -> str:
        """The whole document a source link points at, its passage highlighted."""
        try:
            req = json.loads(request or "{}")
            source = str(req["source"])
            start, end = int(req["start"]), int(req["end"])
            chunk = (int(req.get("chunk_start", start)), int(req.get("chunk_end", end)))
        except (ValueError, KeyError, TypeError):
            return render_doc_message(t(lang, "doc_empty"))
        doc = self.assistant.document(source)
        if doc is None:
            return render_doc_message(t(lang, "doc_missing", source=source))
        html = render_document(doc.title, doc.source, doc.text, start, end, chunk, lang)
        flagged = sum(r.instructions for r in self.assistant.sources() if r.source == source)
        return (render_warning(t(lang, "doc_instructions", n=flagged)) if flagged else "") + html

    def status(self, lang: str) -> str:
        return render_status(
            self.assistant.mode, self.assistant.model_name, len(self.assistant.sources()), lang
        )

    # --- knowledge base ---------------------------------------------------------------
    def kb_table(self, lang: str) -> str:
        return render_kb(self.assistant.sources(), lang)

    def source_names(self) -> list[str]:
        return [r.source for r in self.assistant.sources()]

    def add_upload(
        self, path: str | Path, name: str, lang: str, on_conflict: str = "ask"
    ) -> tuple[bool, str]:
        """Check, store under uploads_dir and ingest one uploaded file: (ok, message).

        `on_conflict` when a document of that name exists: ask (nothing added), replace,
        keep_both (stored under a new name) or cancel.
        """
        clean = safe_name(name)
        if clean is None:
            return False, t(lang, "kb_rejected", name=name, reason=t(lang, "kb_bad_name"))
        indexed = {r.source: r.file_hash for r in self.assistant.sources()}
        decision = upload_name(clean, indexed, on_conflict, upload_hash(Path(path)))
        if decision.name is None:
            return False, t(lang, "kb_exists" if decision.ask else "kb_cancelled", name=clean)
        clean = decision.name
        suffix = Path(clean).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            return False, t(
                lang,
                "kb_rejected",
                name=clean,
                reason=t(lang, "kb_bad_type", suffix=suffix or "(none)"),
            )
        src = Path(path)
        limit = self.settings.ui.max_upload_mb
        size = src.stat().st_size if src.exists() else 0
        if size > limit * 1024 * 1024:
            reason = t(lang, "kb_too_big", size=size / 1024 / 1024, mb=limit)
            return False, t(lang, "kb_rejected", name=clean, reason=reason)
        uploads = self.settings.uploads_dir.resolve()
        dest = (uploads / clean).resolve()
        if dest.parent != uploads:  # cannot happen after safe_name; belt and braces
            return False, t(lang, "kb_rejected", name=name, reason=t(lang, "kb_bad_name"))
        with tempfile.TemporaryDirectory() as tmp, self.kb_lock:
            staged = Path(tmp) / clean
            try:
                shutil.copyfile(src, staged)
                load_text(staged)  # binary, empty, undecodable: rejected before the index sees it
            except (IngestError, OSError) as exc:
                return False, t(lang, "kb_rejected", name=clean, reason=str(exc))
            uploads.mkdir(parents=True, exist_ok=True)
            backup = Path(tmp) / "previous"
            if dest.exists():
                shutil.copyfile(dest, backup)
            shutil.copyfile(staged, dest)
            try:
                result = self.assistant.ingest([dest]).results[0]
                reason = result.reason if result.status == "skipped" else ""
            except AssistantError as exc:
                result, reason = None, str(exc)
            if result is None or result.status == "skipped":
                if backup.exists():
                    shutil.copyfile(backup, dest)  # keep the earlier upload of that name
                else:
                    dest.unlink(missing_ok=True)
                return False, t(lang, "kb_rejected", name=clean, reason=reason)
        key = {"added": "kb_added", "updated": "kb_updated"}.get(result.status, "kb_unchanged")
        return True, t(lang, key, source=result.source, chunks=result.chunks)

    def upload(self, files, lang: str, on_conflict: str = "ask") -> str:
        paths = [f if isinstance(f, str | Path) else getattr(f, "name", "") for f in (files or [])]
        if not paths:
            return t(lang, "kb_no_file")
        return "\n".join(self.add_upload(p, Path(p).name, lang, on_conflict)[1] for p in paths)

    def delete(self, source: str | None, lang: str) -> str:
        if not source:
            return t(lang, "kb_pick")
        with self.kb_lock:
            if not self.assistant.forget(source):
                return t(lang, "kb_not_found", source=source)
            name = safe_name(source)
            if name and name == source:  # "a/x.txt" came from a folder, not from uploads/x.txt
                (self.settings.uploads_dir / name).unlink(missing_ok=True)
        return t(lang, "kb_deleted", source=source)

    def reindex(self, lang: str) -> str:
        """Read again the uploads and the seed documents still in the index."""
        with self.kb_lock:
            indexed = set(self.source_names())
            files = discover([d for d in (self.settings.uploads_dir,) if d.is_dir()])
            seeds = Path("seeds")  # where `make run` ingests them from: the working directory
            if seeds.is_dir():
                files += [p for p in discover([seeds]) if p.name in indexed]
            report = self.assistant.ingest(files)
        counts = {s: report.count(s) for s in ("added", "updated", "unchanged", "skipped")}
        return t(lang, "kb_reindexed", **counts)

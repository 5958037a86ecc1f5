"""The handlers of the chat, plain Python so tests drive them without a server.

One Assistant per knowledge base is shared by every browser session (`KnowledgeUI`
holds them, with uploads and background ingest). A session's conversation is its
list of turns (a `gr.State`: question and answer JSON, for feedback and export),
saved per owner in `Conversations`; the Chatbot shows them rendered in the interface
language. Every control that changes the conversation goes through `start_new`,
`restore` or `respond`, so the turns and the Chatbot never drift apart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from html import escape, unescape
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, ConfigError
from assistant.exports import write_export
from assistant.redact import redact
from assistant.schema import Answer
from assistant.settings import Settings
from assistant.ui.conversations import Conversations
from assistant.ui.feedback import conversation_markdown, feedback_id, feedback_record, save_feedback
from assistant.ui.i18n import t
from assistant.ui.knowledge import KnowledgeUI, safe_name
from assistant.ui.render import (
    render_answer,
    render_doc_message,
    render_document,
    render_error,
    render_status,
    render_streaming,
    render_warning,
)

if TYPE_CHECKING:
    from assistant.answering.chain import Assistant

log = logging.getLogger(__name__)


# --- the conversation as Gradio holds it ------------------------------------------------
def message_text(message: Any) -> str:
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


def _role(message: Any) -> str:
    return message.get("role", "") if isinstance(message, dict) else getattr(message, "role", "")


def _is_meta(message: Any) -> bool:
    meta = (
        message.get("metadata") if isinstance(message, dict) else getattr(message, "metadata", None)
    )
    return bool(meta)


def user_questions(history: list[Any]) -> list[str]:
    """The earlier user questions of Chatbot messages, oldest first (metadata messages and
    failed turns left out: a question whose answer was an error never reached the
    documents, so a follow-up must not build on it)."""
    turns = [m for m in history or [] if not _is_meta(m)]
    return [
        unescape(message_text(m)).strip()
        for i, m in enumerate(turns)
        if _role(m) == "user"
        and message_text(m).strip()
        and not (i + 1 < len(turns) and failed_turn(turns[i + 1]))
    ]


def failed_turn(message: Any) -> bool:
    """Whether an assistant message is the error shown for a failed turn."""
    return _role(message) == "assistant" and 'class="ans ans-error"' in message_text(message)


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


Turn = dict[str, Any]  # {"question": str, "answer": Answer JSON} or {"question", "error"}
Message = dict[str, str]  # a Chatbot message: role and HTML content


def render_turns(turns: list[Turn], lang: str) -> list[Message]:
    """The Chatbot messages of a conversation, in the interface language."""
    messages = []
    for turn in turns:
        messages.append({"role": "user", "content": escape(turn.get("question", ""))})
        if "answer" in turn:
            content = render_answer(Answer.model_validate(turn["answer"]), lang)
        else:
            content = render_error(str(turn.get("error", "")), lang)
        messages.append({"role": "assistant", "content": content})
    return messages


class ChatUI(KnowledgeUI):
    """The handlers of the app: conversations here, knowledge bases in `KnowledgeUI`."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        super().__init__(assistant, settings)
        self.conversations = Conversations(settings.data_dir / "conversations.sqlite")

    # --- chat -------------------------------------------------------------------------
    def respond(
        self,
        message: str,
        history: list[Any],
        lang: str,
        turns: list[Turn] | None,
        conv_id: str = "",
        kb: str | None = None,
        owner: str = "",
    ) -> Iterator[tuple[list[Message], str, list[Turn], str]]:
        """Stream one answer: yields (Chatbot messages, textbox value, turns, conversation id).

        The conversation is created with the first question (its title) and saved once
        the answer is complete, under `owner` only.
        """
        kb = kb or self.settings.kb
        turns = list(turns or [])
        question = (message or "").strip()
        history = render_turns(turns, lang)
        if not question:
            yield history, "", turns, conv_id
            return
        if owner and self.conversations.get(owner, conv_id) is None:
            conv_id = self.conversations.create(owner, kb, question).id
        # a failed turn never reached the documents: a follow-up must not build on it
        earlier = [str(turn.get("question", "")) for turn in turns if "answer" in turn]
        history += [
            {"role": "user", "content": escape(question)},
            {"role": "assistant", "content": render_streaming("", lang)},
        ]
        yield list(history), "", turns, conv_id
        text = ""
        turn: Turn = {"question": question}
        try:
            for item in self.assistant_for(kb).stream(question, earlier):
                if isinstance(item, Answer):
                    turn["answer"] = item.model_dump(mode="json", exclude={"retrieved"})
                    history[-1] = {"role": "assistant", "content": render_answer(item, lang)}
                else:
                    text += item
                    history[-1] = {"role": "assistant", "content": render_streaming(text, lang)}
                    yield list(history), "", turns, conv_id
        except Exception as exc:
            reason = self.error_text(exc, lang)
            turn = {"question": question, "error": reason}
            history[-1] = {"role": "assistant", "content": render_error(reason, lang)}
        turns = [*turns, turn]
        if owner:
            self.conversations.save(owner, conv_id, turns, kb)
        yield list(history), "", turns, conv_id

    def error_text(self, exc: Exception, lang: str) -> str:
        if isinstance(exc, AssistantError):
            return str(exc)
        log.exception("answering failed")
        return type(exc).__name__

    def record_feedback(
        self,
        history: list[Any],
        turns: list[Turn],
        index: int,
        liked: bool | None,
        owner: str = "",
        conv_id: str = "",
    ) -> dict[str, Any] | None:
        """Save the vote on the answer at message `index` (None takes the vote back).

        The turn is found by counting the user messages up to `index`; when the Chatbot
        and the turns disagree (they should never), nothing is recorded.
        """
        turn, users = -1, 0
        for i, m in enumerate(history or []):
            if _role(m) == "user" and not _is_meta(m):
                users += 1
                if i <= index:
                    turn += 1
        turns = list(turns or [])
        if users != len(turns) or not 0 <= turn < len(turns) or "answer" not in turns[turn]:
            if users != len(turns):
                log.warning("feedback ignored: %d messages but %d turns", users, len(turns))
            return None
        answer = Answer.model_validate(turns[turn]["answer"])
        if unescape(message_text(history[2 * turn])).strip() != answer.question:
            log.warning("feedback ignored: the rated message is not the stored question")
            return None
        record_id = feedback_id(owner, conv_id, turn, answer.question)
        earlier = [str(t.get("question", "")) for t in turns[:turn]]
        record = None if liked is None else feedback_record(answer, earlier, liked, record_id)
        save_feedback(self.settings.data_dir / "feedback.jsonl", record_id, record)
        return record

    def export(self, turns: list[Turn], lang: str) -> str | None:
        """Write the conversation as Markdown; returns the file path (None when empty)."""
        done = [Answer.model_validate(t["answer"]) for t in turns or [] if "answer" in t]
        if not done:
            return None
        labels = {k: t(lang, f"md_{k}") for k in ("title", "question", "answer", "sources")}
        return str(write_export(redact(conversation_markdown(done, labels))))

    def open_document(self, request: str, lang: str, kb: str | None = None) -> str:
        """The whole document a source link points at, its passage highlighted."""
        try:
            req = json.loads(request or "{}")
            source = str(req["source"])
            start, end = int(req["start"]), int(req["end"])
            chunk = (int(req.get("chunk_start", start)), int(req.get("chunk_end", end)))
        except (ValueError, KeyError, TypeError):
            return render_doc_message(t(lang, "doc_empty"))
        bot = self.assistant_for(kb or req.get("kb") or self.settings.kb)
        doc = bot.document(source)
        if doc is None:
            return render_doc_message(t(lang, "doc_missing", source=source))
        page = int(req["page"]) if str(req.get("page", "")).isdigit() else None
        html = render_document(doc.title, doc.source, doc.text, start, end, chunk, lang, page)
        record = bot.store.record(source)
        flagged = record.instructions if record else 0
        return (render_warning(t(lang, "doc_instructions", n=flagged)) if flagged else "") + html

    def status(self, lang: str, kb: str | None = None) -> str:
        bot = self.assistant_for(kb or self.settings.kb)
        return render_status(bot.mode, bot.model_name, len(bot.sources()), lang)

    # --- the conversation list --------------------------------------------------------
    def conversation_choices(self, owner: str, lang: str) -> list[tuple[str, str]]:
        """(label, id) of the owner's conversations: title and date, newest first."""
        out = []
        for c in self.conversations.list(owner):
            when = datetime.fromtimestamp(c.updated).strftime("%m-%d %H:%M")
            out.append((f"{c.title or t(lang, 'conv_untitled')} · {when}", c.id))
        return out

    def restore(
        self, owner: str, conv_id: str | None, lang: str
    ) -> tuple[list[Message], list[Turn], str, str]:
        """(messages, turns, conversation id, kb) of the owner's conversation, or a new one."""
        conv = self.conversations.get(owner, conv_id) if owner else None
        if conv is None:
            return [], [], "", self.settings.kb
        kb = conv.kb if self.knowledge_bases.exists(conv.kb) else self.settings.kb
        return render_turns(conv.turns, lang), conv.turns, conv.id, kb


__all__ = ["ChatUI", "message_text", "parse_users", "render_turns", "safe_name", "user_questions"]

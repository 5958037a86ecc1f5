"""Conversations kept per user in SQLite under the data directory.

An owner is `user:<name>` with a login (UI_USERS) or `browser:<random id>` without one
(the id lives in the browser's localStorage). Every read and write names its owner
in the WHERE clause, so one user can never read, rename or delete another's
conversation, even with its id. A conversation is its turns: the question and either
the answer's JSON or `{"error": reason}`; the Chatbot messages are rendered from them
in the interface language (so a language switch re-renders answers already shown).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TITLE_CHARS = 60

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    kb TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    turns TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated);
"""


@dataclass
class Conversation:
    id: str
    owner: str
    title: str
    kb: str
    created: float
    updated: float
    turns: list[dict[str, Any]] = field(default_factory=list)


def title_of(question: str) -> str:
    """The first question, on one line, cut to TITLE_CHARS."""
    text = " ".join((question or "").split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


class Conversations:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.executescript(SCHEMA)

    def create(self, owner: str, kb: str, title: str = "") -> Conversation:
        now = time.time()
        conv = Conversation(uuid.uuid4().hex, owner, title_of(title), kb, now, now)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conv.id, owner, conv.title, kb, now, now, "[]"),
            )
        return conv

    def save(
        self, owner: str, conv_id: str, turns: list[dict[str, Any]], kb: str | None = None
    ) -> bool:
        """Store the turns; False when `owner` has no conversation `conv_id`."""
        with self._lock, self._db:
            cur = self._db.execute(
                "UPDATE conversations SET turns = ?, updated = ?,"
                " kb = COALESCE(?, kb) WHERE id = ? AND owner = ?",
                (
                    json.dumps(turns, ensure_ascii=False),
                    time.time(),
                    kb,
                    conv_id,
                    owner,
                ),
            )
        return cur.rowcount == 1

    def get(self, owner: str, conv_id: str | None) -> Conversation | None:
        if not conv_id:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT id, owner, title, kb, created, updated, turns"
                " FROM conversations WHERE id = ? AND owner = ?",
                (conv_id, owner),
            ).fetchone()
        if row is None:
            return None
        conv_id, owner, title, kb, created, updated, turns = row
        return Conversation(conv_id, owner, title, kb, created, updated, json.loads(turns))

    def list(self, owner: str, limit: int = 200) -> list[Conversation]:
        """The owner's conversations, the most recently used first (without their messages)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, owner, title, kb, created, updated FROM conversations"
                " WHERE owner = ? ORDER BY updated DESC LIMIT ?",
                (owner, limit),
            ).fetchall()
        return [Conversation(i, o, title, kb, c, u) for i, o, title, kb, c, u in rows]

    def rename(self, owner: str, conv_id: str, title: str) -> bool:
        title = title_of(title)
        if not title:
            return False
        with self._lock, self._db:
            cur = self._db.execute(
                "UPDATE conversations SET title = ? WHERE id = ? AND owner = ?",
                (title, conv_id, owner),
            )
        return cur.rowcount == 1

    def delete(self, owner: str, conv_id: str) -> bool:
        with self._lock, self._db:
            cur = self._db.execute(
                "DELETE FROM conversations WHERE id = ? AND owner = ?", (conv_id, owner)
            )
        return cur.rowcount == 1

    def rename_kb(self, old: str, new: str) -> None:
        """Conversations follow their knowledge base when it is renamed."""
        with self._lock, self._db:
            self._db.execute("UPDATE conversations SET kb = ? WHERE kb = ?", (new, old))

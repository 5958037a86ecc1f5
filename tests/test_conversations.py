"""Conversations per owner: saved, listed, renamed, deleted, never visible to another owner."""

from __future__ import annotations

from assistant.ui.conversations import Conversations, title_of


def test_an_owner_sees_only_their_conversations(tmp_path):
    store = Conversations(tmp_path / "c.sqlite")
    a = store.create("user:alice", "default", "瑞金医院金山院区一期规划多少张床位？")
    b = store.create("user:bob", "team", "Bob's question")
    turns = [{"question": "q", "error": "x"}]
    assert store.save("user:alice", a.id, turns)
    assert not store.save("user:bob", a.id, [])  # bob cannot write alice's conversation
    assert store.get("user:bob", a.id) is None
    assert store.get("user:alice", a.id).turns == turns
    assert [c.id for c in store.list("user:alice")] == [a.id]
    assert [c.id for c in store.list("user:bob")] == [b.id]
    assert not store.rename("user:bob", a.id, "mine now") and not store.delete("user:bob", a.id)
    assert (
        store.rename("user:alice", a.id, "床位") and store.get("user:alice", a.id).title == "床位"
    )
    store.rename_kb("team", "finance")
    assert store.get("user:bob", b.id).kb == "finance"
    assert store.delete("user:alice", a.id) and store.list("user:alice") == []


def test_conversations_survive_a_new_connection(tmp_path):
    conv = Conversations(tmp_path / "c.sqlite").create("browser:1", "default", "问题")
    again = Conversations(tmp_path / "c.sqlite")
    assert again.get("browser:1", conv.id).title == "问题"


def test_title_is_the_first_question_on_one_line():
    assert title_of("  问 \n 题 ") == "问 题"
    assert len(title_of("长" * 100)) == 60 and title_of("长" * 100).endswith("…")

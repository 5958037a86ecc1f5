"""Document identity and the upload collision decision (assistant/ingest/identity.py)."""

from __future__ import annotations

from assistant.ingest.identity import discover, legacy_id, upload_name


def test_identity_is_the_path_in_the_folder_and_colliding_folders_get_their_name(tmp_path):
    for rel in ("a/同名.txt", "b/同名.txt", "a/sub/x.md", "a/.hidden/y.txt", "single.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    got = [sid for _, sid in discover([tmp_path / "a", tmp_path / "b", tmp_path / "single.txt"])]
    assert got == ["sub/x.md", "a/同名.txt", "b/同名.txt", "single.txt"]
    assert [sid for _, sid in discover([tmp_path / "a", tmp_path / "a"])] == [
        "sub/x.md",
        "同名.txt",
    ]
    assert legacy_id("sub/x.md") == "x.md"


def test_upload_collisions_ask_first():
    existing = {"note.txt": "h1", "note (2).txt": "h2"}
    assert upload_name("new.txt", existing).name == "new.txt"
    asked = upload_name("note.txt", existing, "ask", file_hash="other")
    assert asked.name is None and asked.ask and asked.conflict
    assert upload_name("note.txt", existing, "replace", "other").name == "note.txt"
    assert upload_name("note.txt", existing, "keep_both", "other").name == "note (3).txt"
    cancelled = upload_name("note.txt", existing, "cancel", "other")
    assert cancelled.name is None and not cancelled.ask
    assert upload_name("note.txt", existing, "ask", file_hash="h1").name == "note.txt"  # same bytes

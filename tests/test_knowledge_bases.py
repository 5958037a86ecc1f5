"""Knowledge bases: names within Chroma's rules, each its own collection and folders."""

from __future__ import annotations

import pytest

from assistant.errors import InputError
from assistant.index.knowledge_bases import (
    KnowledgeBases,
    check_name,
    collection_name,
    folder_name,
    from_folder_name,
)
from assistant.settings import Settings


@pytest.mark.parametrize("name", ["test", "财务", "研发-2024", "a.b_c"])
def test_names_round_trip_through_valid_collection_names(name):
    coll = collection_name("assistant", name)
    assert coll.startswith("assistant--")
    assert from_folder_name(folder_name(name)) == name
    assert all(ch.isascii() for ch in coll)


@pytest.mark.parametrize("name", ["", "a/b", "-a", "x" * 60, "a--b", "foo-docs", "xn--abc", "a b"])
def test_bad_names_are_refused_with_the_rule(name):
    with pytest.raises(InputError, match="letters"):
        check_name(name)


def test_default_is_the_configured_collection():
    assert collection_name("assistant", "default") == "assistant"
    s = Settings()
    assert s.kb == "default" and s.collection == "assistant" and s.kb_cache_dir == s.cache_dir
    other = s.for_kb("财务")
    assert other.collection == "assistant--xn--zfr747k"
    assert other.kb_cache_dir != s.cache_dir and other.kb_uploads_dir != s.uploads_dir


def test_kb_from_the_environment(monkeypatch):
    monkeypatch.setenv("ASSISTANT_KB", "team")
    assert Settings().collection == "assistant--team"


def test_create_list_rename_delete(fake_store):
    kbs = KnowledgeBases(Settings(), fake_store.client)
    kbs.create("财务")
    assert [k.name for k in kbs.list()] == ["default", "财务"]
    with pytest.raises(InputError, match="already exists"):
        kbs.create("财务")
    kbs.rename("财务", "finance")
    assert [k.name for k in kbs.list()] == ["default", "finance"]
    assert kbs.delete("finance") == 0
    assert [k.name for k in kbs.list()] == ["default"]
    with pytest.raises(InputError):
        kbs.delete("default")

"""Named knowledge bases: one Chroma collection (and its `-docs` manifest) each.

`default` is the collection `CHROMA_COLLECTION` itself, so an index built before
knowledge bases existed is the default one. Another knowledge base `name` lives in
`<collection>--<name>`: Chroma allows only `[a-zA-Z0-9._-]` in collection names, so a
name with other letters (Chinese, say) is stored as `xn--` + its punycode, the way
IDNA writes such domain names, and read back from it. No registry: the list is what
Chroma holds, so a Chroma server shared by several machines shows the same list.
Each knowledge base also has its own BM25 folder and uploads folder
(`Settings.kb_cache_dir`, `Settings.kb_uploads_dir`).
"""

from __future__ import annotations

import contextlib
import re
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.errors import InputError

if TYPE_CHECKING:
    from assistant.settings import Settings

DEFAULT = "default"
SEP = "--"
MAX_NAME = 48
_ASCII = re.compile(r"[A-Za-z0-9._-]+")
_COLLECTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]")


@dataclass(frozen=True)
class KnowledgeBase:
    name: str
    collection: str
    documents: int


def check_name(name: str) -> str:
    """A valid knowledge base name, stripped, or `InputError` saying what is allowed."""
    name = (name or "").strip()
    rule = (
        f"use 1 to {MAX_NAME} letters (any language), digits, '.', '_' or '-', "
        "starting and ending with a letter or digit"
    )
    if not name or len(name) > MAX_NAME:
        raise InputError(f"the knowledge base name {name!r} is empty or too long: {rule}")
    if not all(ch.isalnum() or ch in "._-" for ch in name):
        raise InputError(f"the knowledge base name {name!r} has characters not allowed: {rule}")
    if not (name[0].isalnum() and name[-1].isalnum()) or ".." in name or SEP in name:
        raise InputError(f"the knowledge base name {name!r} is not allowed: {rule}")
    if name.lower().startswith("xn") and "-" in name[:4]:
        raise InputError(f"the knowledge base name {name!r} may not start with 'xn-': {rule}")
    if name.endswith("-docs"):
        raise InputError(f"the knowledge base name {name!r} may not end with '-docs': {rule}")
    return name


def folder_name(kb: str) -> str:
    """The name's ASCII form: itself, or `xn--` + punycode for other letters."""
    if _ASCII.fullmatch(kb):
        return kb
    return "xn--" + kb.encode("punycode").decode("ascii")


def from_folder_name(encoded: str) -> str:
    if encoded.startswith("xn--"):
        with contextlib.suppress(UnicodeError):
            return encoded[4:].encode("ascii").decode("punycode")
    return encoded


def collection_name(base: str, kb: str) -> str:
    if kb == DEFAULT:
        return base
    name = f"{base}{SEP}{folder_name(check_name(kb))}"
    if not _COLLECTION.fullmatch(name) or len(name) + len("-docs") > 512:
        raise InputError(f"the knowledge base name {kb!r} makes no valid Chroma collection name")
    return name


def _kb_of(base: str, collection: str) -> str | None:
    """The knowledge base a chunk collection belongs to (None: not one of ours)."""
    if collection == base:
        return DEFAULT
    if collection.startswith(base + SEP) and not collection.endswith("-docs"):
        return from_folder_name(collection[len(base + SEP) :])
    return None


class KnowledgeBases:
    """List, create, rename and delete knowledge bases through one Chroma client."""

    def __init__(self, settings: Settings, client: Any = None) -> None:
        from assistant.index.store import make_client

        self.settings = settings
        self.client = client or make_client(settings)
        self.base = settings.chroma.collection

    def _names(self) -> list[str]:
        names = []
        for c in self.client.list_collections():
            names.append(c if isinstance(c, str) else c.name)
        return names

    def _count(self, collection: str) -> int:
        try:
            return int(self.client.get_collection(f"{collection}-docs").count())
        except Exception:  # a knowledge base created but never written to
            return 0

    def list(self) -> list[KnowledgeBase]:
        """Every knowledge base, `default` first, with its document count."""
        found = {DEFAULT: self.base}
        for name in self._names():
            kb = _kb_of(self.base, name)
            if kb is not None:
                found[kb] = name
        ordered = [DEFAULT] + sorted(k for k in found if k != DEFAULT)
        return [KnowledgeBase(k, found[k], self._count(found[k])) for k in ordered]

    def exists(self, kb: str) -> bool:
        return kb == DEFAULT or collection_name(self.base, kb) in self._names()

    def get(self, kb: str) -> KnowledgeBase:
        for item in self.list():
            if item.name == kb:
                return item
        raise InputError(f"there is no knowledge base {kb!r}; `assistant kb list` shows them")

    def create(self, kb: str) -> KnowledgeBase:
        kb = check_name(kb)
        if self.exists(kb):
            raise InputError(f"the knowledge base {kb!r} already exists")
        name = collection_name(self.base, kb)
        self.client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        return KnowledgeBase(kb, name, 0)

    def delete(self, kb: str) -> int:
        """Delete a knowledge base with its documents and folders; returns how many went."""
        if kb == DEFAULT:
            raise InputError("the default knowledge base cannot be deleted; forget its documents")
        item = self.get(kb)
        for coll in (item.collection, f"{item.collection}-docs"):
            with contextlib.suppress(Exception):  # already gone
                self.client.delete_collection(coll)
        kb_settings = self.settings.for_kb(kb)
        shutil.rmtree(kb_settings.kb_cache_dir, ignore_errors=True)
        shutil.rmtree(kb_settings.kb_uploads_dir, ignore_errors=True)
        return item.documents

    def rename(self, old: str, new: str) -> KnowledgeBase:
        if DEFAULT in (old, new):
            raise InputError("the default knowledge base cannot be renamed")
        new = check_name(new)
        item = self.get(old)
        if self.exists(new):
            raise InputError(f"the knowledge base {new!r} already exists")
        target = collection_name(self.base, new)
        for suffix in ("", "-docs"):
            with contextlib.suppress(Exception):  # no manifest yet: nothing ingested
                self.client.get_collection(item.collection + suffix).modify(name=target + suffix)
        before, after = self.settings.for_kb(old), self.settings.for_kb(new)
        shutil.rmtree(before.kb_cache_dir, ignore_errors=True)  # BM25 is rebuilt on use
        if before.kb_uploads_dir.is_dir():
            after.kb_uploads_dir.parent.mkdir(parents=True, exist_ok=True)
            before.kb_uploads_dir.rename(after.kb_uploads_dir)
        return KnowledgeBase(new, target, item.documents)

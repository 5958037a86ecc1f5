"""The index: Chroma, embedded on disk or a Chroma server.

Chunks are written through `langchain-chroma`'s vector store; questions query the Chroma
collection directly, so a cold `assistant ask` does not import LangChain (~1 s).

Two collections: `<name>` holds the chunks with their vectors; `<name>-docs` is the
manifest, one record per document (title, hash, chunk count, time, and the whole
cleaned text so any client can show the document). The manifest record is written
after a document's chunks and is the commit point: chunks whose (source, hash) the
manifest does not list are orphans of an interrupted ingest, ignored by queries and
deleted by `repair()`. So an ingest killed half-way never leaves a document half-indexed.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigError, IndexMismatchError, IndexUnavailableError
from assistant.schema import Chunk, SourceDocument
from assistant.settings import ChromaSettings, Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

PAGE = 2000  # chunks per write
PROGRESS_PAGE = 128  # chunks per write when the caller shows progress within a file
READ_PAGE = 10000  # chunks per read: each page skips `offset` rows first
# Chroma keeps up to `sync_threshold` writes in its log before it compacts them, and reads
# that log on every write: with whole documents in the manifest, writing one record took
# 0.2 s at 100 documents and 1.8 s at 500 (so an ingest grew with the square of the corpus).
# The manifest's vectors are a 1-dimensional placeholder, so compacting at once is cheap:
# 26 ms a record, whatever the count.
DOCS_HNSW = {"sync_threshold": 2, "batch_size": 1}


@dataclass(frozen=True)
class DocRecord:
    source: str
    title: str
    content_hash: str
    file_hash: str
    chunks: int
    ingested_at: float
    instructions: int = 0  # sentences that read like instructions to a model (flagged at ingest)
    warnings: str = ""  # what ingest noticed (bytes replaced, UTF-16 without BOM)


def make_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    cfg = settings.chroma
    kwargs: dict[str, Any] = {}
    if cfg.tenant:
        kwargs["tenant"] = cfg.tenant
    if cfg.database:
        kwargs["database"] = cfg.database
    if cfg.host:
        try:
            return chromadb.HttpClient(
                host=cfg.host, port=cfg.port, ssl=cfg.ssl, settings=client_settings, **kwargs
            )
        except Exception as exc:
            raise ConfigError(
                f"cannot reach the Chroma server at {cfg.host}:{cfg.port} ({exc}); start it with "
                "`chroma run --path DIR --port N`, or unset CHROMA_HOST to use the embedded index"
            ) from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=client_settings, **kwargs
    )


def _connection_failure(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) is a failure to reach a server."""
    seen = 0
    while exc is not None and seen < 8:
        kind = type(exc)
        if isinstance(exc, ConnectionError | TimeoutError) or kind.__module__.startswith(
            ("httpx", "httpcore")
        ):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


@contextlib.contextmanager
def reachable(cfg: ChromaSettings) -> Iterator[None]:
    """Turns a lost Chroma server into `IndexUnavailableError` (the next call retries by itself)."""
    try:
        yield
    except IndexUnavailableError:
        raise
    except Exception as exc:
        if cfg.host and _connection_failure(exc):
            raise IndexUnavailableError(
                f"cannot reach the Chroma server at {cfg.host}:{cfg.port}: start it or unset "
                "CHROMA_HOST"
            ) from exc
        raise


class Store:
    def __init__(
        self, settings: Settings, embeddings: Embeddings, model_id: str, client=None
    ) -> None:
        self.client = client or make_client(settings)
        self.embeddings = embeddings
        self.model_id = model_id
        name = settings.collection
        # The collection as `langchain-chroma` would create it, without importing it: the
        # query path needs only Chroma itself (see `vectors` for the LangChain view).
        self.chunks = self.client.get_or_create_collection(
            name,
            embedding_function=None,
            metadata={"embedding_model": model_id},
            configuration={"hnsw": {"space": "cosine"}},
        )
        recorded = (self.chunks.metadata or {}).get("embedding_model")
        if recorded and recorded != model_id:
            raise IndexMismatchError(
                f"the index was built with embeddings {recorded!r} but the settings ask for "
                f"{model_id!r}; set EMBEDDINGS_PROVIDER/EMBEDDINGS_MODEL back, or run "
                "`assistant reindex` to rebuild the index with the new model"
            )
        self.docs = self.client.get_or_create_collection(
            f"{name}-docs",
            metadata={"embedding_model": "none"},
            embedding_function=None,
            configuration={"hnsw": DOCS_HNSW},
        )
        hnsw = self.docs.configuration.get("hnsw") or {}
        if hnsw.get("sync_threshold") != DOCS_HNSW["sync_threshold"]:
            with contextlib.suppress(Exception):  # an index made before: tuned once, in place
                self.docs.modify(configuration={"hnsw": DOCS_HNSW})

    @cached_property
    def vectors(self):
        """The chunk collection as a LangChain `Chroma` vector store (imported on first use)."""
        from langchain_chroma import Chroma

        return Chroma(
            collection_name=self.chunks.name,
            embedding_function=self.embeddings,  # type: ignore[arg-type]  # structurally LangChain's Embeddings
            client=self.client,
            collection_metadata={"embedding_model": self.model_id},
            collection_configuration={"hnsw": {"space": "cosine"}},
        )

    # --- reading -------------------------------------------------------------------
    def manifest(self) -> dict[str, DocRecord]:
        got = self.docs.get(include=["metadatas"])
        return {i: _record(i, m) for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)}

    def record(self, source: str) -> DocRecord | None:
        """One document's manifest record (one indexed read, not the whole manifest)."""
        got = self.docs.get(ids=[source], include=["metadatas"])
        return _record(source, got["metadatas"][0]) if got["ids"] else None

    def generation(self) -> str:
        """A cheap token that changes whenever a document is added, changed or removed.

        One collection read (its metadata, bumped by every write) and a count: readers poll
        it instead of reading the whole manifest. "" when the index has no token yet (made
        by an older version): callers then compare fingerprints as before.
        """
        try:
            meta = self.client.get_collection(self.docs.name, embedding_function=None).metadata
        except Exception:
            return ""
        token = (meta or {}).get("generation")
        return f"{token}:{self.docs.count()}" if token else ""

    def _bump_generation(self) -> None:
        with contextlib.suppress(Exception):  # a reader then falls back to the fingerprint
            self.docs.modify(metadata={"embedding_model": "none", "generation": uuid.uuid4().hex})

    def fingerprint(self, manifest: dict[str, DocRecord] | None = None) -> str:
        """Changes whenever any document is added, changed or removed."""
        manifest = self.manifest() if manifest is None else manifest
        h = hashlib.sha256(self.model_id.encode())
        for source in sorted(manifest):
            h.update(f"\x00{source}\x00{manifest[source].content_hash}".encode())
        return h.hexdigest()[:16]

    def document(self, source: str) -> SourceDocument | None:
        got = self.docs.get(ids=[source], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        meta = got["metadatas"][0]
        return SourceDocument(
            source=source,
            title=str(meta.get("title", "")),
            text=got["documents"][0],
            content_hash=str(meta["content_hash"]),
        )

    def iter_chunks(self, manifest: dict[str, DocRecord] | None = None) -> Iterator[Chunk]:
        """Every committed chunk (orphans of an interrupted ingest left out)."""
        manifest = self.manifest() if manifest is None else manifest
        offset = 0
        while True:
            got = self.chunks.get(
                include=["documents", "metadatas"], limit=READ_PAGE, offset=offset
            )
            for cid, text, meta in zip(
                got["ids"], got["documents"], got["metadatas"], strict=False
            ):
                record = manifest.get(str(meta.get("source")))
                if record and record.content_hash == meta.get("doc_hash"):
                    yield Chunk.from_record(cid, text, meta)
            if len(got["ids"]) < READ_PAGE:
                return
            offset += READ_PAGE

    def dense_search(self, vector: list[float], k: int) -> list[tuple[Chunk, float]]:
        """Nearest chunks by cosine similarity (1 - distance), best first.

        No `count()` first: that is a scan per question, and an empty collection
        already answers with no results.
        """
        try:
            got = self.chunks.query(
                query_embeddings=[vector],
                n_results=k,
                include=["documents", "metadatas", "distances"],
            )
        except Exception:
            if self.chunks.count() == 0:  # a backend that refuses to search an empty index
                return []
            raise
        return [
            (Chunk.from_record(cid, text, meta), 1.0 - float(dist))
            for cid, text, meta, dist in zip(
                got["ids"][0],
                got["documents"][0],
                got["metadatas"][0],
                got["distances"][0],
                strict=False,
            )
        ]

    # --- writing -------------------------------------------------------------------
    def put_document(
        self,
        doc: SourceDocument,
        chunks: list[Chunk],
        file_hash: str = "",
        extra: dict[str, str | int | float] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Chunks first, then the manifest record (the commit), then the old version's chunks go.

        `extra`: more metadata for the manifest record. `on_progress(done, total)` is
        called after each batch of chunks (smaller batches when it is given).
        """
        page = PROGRESS_PAGE if on_progress else PAGE
        for i in range(0, len(chunks), page):
            batch = chunks[i : i + page]
            self.vectors.add_texts(
                [c.text for c in batch],
                metadatas=[c.metadata() for c in batch],
                ids=[c.id for c in batch],
            )
            if on_progress:
                on_progress(i + len(batch), len(chunks))
        self.docs.upsert(
            ids=[doc.source],
            documents=[doc.text],
            embeddings=[[1.0]],
            metadatas=[
                {
                    "title": doc.title,
                    "content_hash": doc.content_hash,
                    "file_hash": file_hash,
                    "chunks": len(chunks),
                    "ingested_at": time.time(),
                    **(extra or {}),
                }
            ],
        )
        # The old version's chunks, found by source (an indexed lookup) and told apart by
        # hash here: a `$ne` filter in Chroma reads every chunk, per document ingested.
        got = self.chunks.get(where={"source": doc.source}, include=["metadatas"])
        stale = [
            cid
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False)
            if meta.get("doc_hash") != doc.content_hash
        ]
        for i in range(0, len(stale), PAGE):
            self.chunks.delete(ids=stale[i : i + PAGE])
        self._bump_generation()

    def remove(self, source: str) -> bool:
        """Forget a document: the manifest record first, so its chunks are orphans at once."""
        if not self.docs.get(ids=[source])["ids"]:
            return False
        self.docs.delete(ids=[source])
        self._bump_generation()
        self.chunks.delete(where={"source": source})
        return True

    def repair(self) -> int:
        """Delete chunks no committed document owns; returns how many."""
        manifest = self.manifest()
        # Fast path: chunks are written before their manifest record and ids are unique, so
        # any orphan makes the collection hold more chunks than the manifest counts. Equal
        # counts mean nothing to repair, without reading every chunk's metadata (O(N)).
        if self.chunks.count() == sum(r.chunks for r in manifest.values()):
            return 0
        orphans: list[str] = []
        offset = 0
        while True:
            got = self.chunks.get(include=["metadatas"], limit=READ_PAGE, offset=offset)
            for cid, meta in zip(got["ids"], got["metadatas"], strict=False):
                record = manifest.get(str(meta.get("source")))
                if not record or record.content_hash != meta.get("doc_hash"):
                    orphans.append(cid)
            if len(got["ids"]) < READ_PAGE:
                break
            offset += READ_PAGE
        for i in range(0, len(orphans), PAGE):
            self.chunks.delete(ids=orphans[i : i + PAGE])
        return len(orphans)

    def reset(self) -> None:
        self.drop(self.client, self.chunks.name)

    @staticmethod
    def drop(client: Any, collection: str) -> None:
        """Delete an index's collections without opening them (e.g. built with another model)."""
        for coll in (collection, f"{collection}-docs"):
            with contextlib.suppress(Exception):  # already gone
                client.delete_collection(coll)


def _record(source: str, m: Any) -> DocRecord:
    return DocRecord(
        source=source,
        title=str(m.get("title", "")),
        content_hash=str(m["content_hash"]),
        file_hash=str(m.get("file_hash", "")),
        chunks=int(m.get("chunks", 0)),
        ingested_at=float(m.get("ingested_at", 0)),
        instructions=int(m.get("instructions", 0) or 0),
        warnings=str(m.get("warnings", "") or ""),
    )

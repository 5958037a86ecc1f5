"""Knowledge bases in the chat: one Assistant each, uploads, background ingest.

Uploads are checked before the index sees them (name, type, size, readable text) and
stored under the knowledge base's uploads folder by a sanitised name; a file that then
fails to ingest gives back the earlier upload of that name, so nothing uploaded is lost.
The UI's uploads run as background jobs (`assistant.ingest.background`), one at a
time, the latest job of each knowledge base kept here for the progress bar: a page
reload shows it again.
"""

from __future__ import annotations

import logging
import queue
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, IngestError
from assistant.index.knowledge_bases import DEFAULT, KnowledgeBases
from assistant.index.store import Store
from assistant.ingest.background import IngestJob, Progress
from assistant.ingest.identity import upload_hash, upload_name
from assistant.ingest.loading import SUPPORTED_SUFFIXES, load_text
from assistant.ingest.pipeline import discover
from assistant.settings import Settings
from assistant.ui.i18n import t
from assistant.ui.render import render_kb

if TYPE_CHECKING:
    from assistant.answering.chain import Assistant

log = logging.getLogger(__name__)

Files = list[Any] | None  # what gr.File gives: paths, or objects with .name


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


class KnowledgeUI:
    """Knowledge base handlers, bound to one Assistant per knowledge base."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant  # the knowledge base the app opens on
        self.settings = settings
        self.knowledge_bases = KnowledgeBases(settings, client=assistant.store.client)
        self._assistants: dict[str, Assistant] = {settings.kb: assistant}
        self._assistants_lock = threading.Lock()
        self.kb_lock = threading.Lock()  # uploads, deletes and re-index run one at a time
        self.jobs: dict[str, IngestJob] = {}  # the latest job of each knowledge base
        self._queue: queue.Queue[IngestJob] = queue.Queue()
        self._worker: threading.Thread | None = None
        self.separate_process = True  # embed uploads in a child process (see background.py)
        self.ingest_threads = 1  # engine threads of that process (benchmarks/ingest_load.py)

    # --- one Assistant per knowledge base ------------------------------------------------
    def assistant_for(self, kb: str | None) -> Assistant:
        """The Assistant of knowledge base `kb` (sharing the embedder, model and client)."""
        kb = kb or self.settings.kb
        with self._assistants_lock:
            bot = self._assistants.get(kb)
            if bot is None:
                if not self.knowledge_bases.exists(kb):
                    raise AssistantError(f"there is no knowledge base {kb!r}")
                base = self.assistant
                kb_settings = self.settings.for_kb(kb)
                store = Store(
                    kb_settings, base.embeddings, base.store.model_id, client=base.store.client
                )
                bot = type(base)(kb_settings, store, base.embeddings, base.chat_model)
                self._assistants[kb] = bot
            return bot

    def _drop(self, kb: str) -> None:
        with self._assistants_lock:
            if kb != self.settings.kb:
                self._assistants.pop(kb, None)

    def kb_choices(self) -> list[tuple[str, str]]:
        return [(f"{k.name} ({k.documents})", k.name) for k in self.knowledge_bases.list()]

    def kb_documents(self, kb: str) -> int:
        return len(self.assistant_for(kb).sources())

    def create_kb(self, name: str, lang: str) -> tuple[str, str | None]:
        """(message, the new knowledge base's name or None)."""
        try:
            item = self.knowledge_bases.create(name)
        except AssistantError as exc:
            return t(lang, "kbs_failed", error=str(exc)), None
        return t(lang, "kbs_created", kb=item.name), item.name

    def rename_kb(self, old: str, new: str, lang: str) -> tuple[str, str | None]:
        with self.kb_lock:
            try:
                item = self.knowledge_bases.rename(old, new)
            except AssistantError as exc:
                return t(lang, "kbs_failed", error=str(exc)), None
            self._drop(old)
        return t(lang, "kbs_renamed", old=old, kb=item.name), item.name

    def delete_kb(self, kb: str, lang: str) -> tuple[str, bool]:
        with self.kb_lock:
            try:
                count = self.knowledge_bases.delete(kb)
            except AssistantError as exc:
                return t(lang, "kbs_failed", error=str(exc)), False
            self._drop(kb)
            self.jobs.pop(kb, None)
        return t(lang, "kbs_deleted", kb=kb, n=count), True

    # --- documents ---------------------------------------------------------------------
    def kb_table(self, lang: str, kb: str | None = None) -> str:
        return render_kb(self.assistant_for(kb).sources(), lang)

    def source_names(self, kb: str | None = None) -> list[str]:
        return [r.source for r in self.assistant_for(kb).sources()]

    def uploads_dir(self, kb: str | None) -> Path:
        return self.settings.for_kb(kb or self.settings.kb).kb_uploads_dir

    def check_upload(self, path: str | Path, name: str, lang: str) -> tuple[str | None, str]:
        """(clean name, "") when the file may be uploaded, else (None, the reason)."""
        clean = safe_name(name)
        if clean is None:
            return None, t(lang, "kb_rejected", name=name, reason=t(lang, "kb_bad_name"))
        suffix = Path(clean).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            reason = t(lang, "kb_bad_type", suffix=suffix or "(none)")
            return None, t(lang, "kb_rejected", name=clean, reason=reason)
        src = Path(path)
        limit = self.settings.ui.max_upload_mb
        size = src.stat().st_size if src.exists() else 0
        if size > limit * 1024 * 1024:
            reason = t(lang, "kb_too_big", size=size / 1024 / 1024, mb=limit)
            return None, t(lang, "kb_rejected", name=clean, reason=reason)
        return clean, ""

    def add_upload(
        self,
        path: str | Path,
        name: str,
        lang: str,
        kb: str | None = None,
        on_conflict: str = "ask",
    ) -> tuple[bool, str]:
        """Check, store under the uploads folder and ingest one uploaded file: (ok, message).

        `on_conflict` when another document of that name exists: ask (nothing added),
        replace, keep_both (stored under a new name) or cancel.
        """
        status, message = self._add_upload(path, name, lang, kb, on_conflict)
        return status in ("added", "updated", "unchanged"), message

    def named_upload(
        self, path: str | Path, name: str, lang: str, kb: str | None, on_conflict: str
    ) -> tuple[str | None, str]:
        """(the name to store the upload under, "") or (None, why it is not added)."""
        clean, message = self.check_upload(path, name, lang)
        if clean is None:
            return None, message
        indexed = {r.source: r.file_hash for r in self.assistant_for(kb).sources()}
        decision = upload_name(clean, indexed, on_conflict, upload_hash(Path(path)))
        if decision.name is None:
            return None, t(lang, "kb_exists" if decision.ask else "kb_cancelled", name=clean)
        return decision.name, ""

    def _add_upload(
        self, path: str | Path, name: str, lang: str, kb: str | None, on_conflict: str
    ) -> tuple[str, str]:
        clean, message = self.named_upload(path, name, lang, kb, on_conflict)
        if clean is None:
            return "skipped", message
        uploads = self.uploads_dir(kb).resolve()
        dest = (uploads / clean).resolve()
        if dest.parent != uploads:  # cannot happen after safe_name; belt and braces
            return "skipped", t(lang, "kb_rejected", name=name, reason=t(lang, "kb_bad_name"))
        with tempfile.TemporaryDirectory() as tmp, self.kb_lock:
            staged = Path(tmp) / clean
            try:
                shutil.copyfile(path, staged)
                load_text(staged)  # binary, empty, undecodable: rejected before the index sees it
            except (IngestError, OSError) as exc:
                return "skipped", t(lang, "kb_rejected", name=clean, reason=str(exc))
            uploads.mkdir(parents=True, exist_ok=True)
            backup = Path(tmp) / "previous"
            if dest.exists():
                shutil.copyfile(dest, backup)
            shutil.copyfile(staged, dest)
            try:
                result = self.assistant_for(kb).ingest([dest]).results[0]
                reason = result.reason if result.status == "skipped" else ""
            except AssistantError as exc:
                result, reason = None, str(exc)
            if result is None or result.status == "skipped":
                if backup.exists():
                    shutil.copyfile(backup, dest)  # keep the earlier upload of that name
                else:
                    dest.unlink(missing_ok=True)
                return "skipped", t(lang, "kb_rejected", name=clean, reason=reason)
        key = {"added": "kb_added", "updated": "kb_updated"}.get(result.status, "kb_unchanged")
        return result.status, t(lang, key, source=result.source, chunks=result.chunks)

    def upload(
        self, files: Files, lang: str, kb: str | None = None, on_conflict: str = "ask"
    ) -> str:
        """Ingest uploads now, in this thread (the UI uses `start_upload`)."""
        paths = _paths(files)
        if not paths:
            return t(lang, "kb_no_file")
        return "\n".join(self.add_upload(p, Path(p).name, lang, kb, on_conflict)[1] for p in paths)

    def start_upload(
        self, files: Files, lang: str, kb: str | None = None, on_conflict: str = "ask"
    ) -> str:
        """Check the uploads, then ingest them in the background; returns the message now."""
        kb = kb or self.settings.kb
        paths = _paths(files)
        if not paths:
            return t(lang, "kb_no_file")
        staging = self.settings.uploads_dir / ".staging" / uuid.uuid4().hex
        staged, messages = [], []
        for p in paths:
            # the name is decided now (a clash asks at once); the job then stores it as such
            clean, message = self.named_upload(p, Path(p).name, lang, kb, on_conflict)
            if clean is None:
                messages.append(message)
                continue
            staging.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, staging / clean)
            try:
                load_text(staging / clean)  # binary, empty, undecodable: said at once
            except IngestError as exc:
                (staging / clean).unlink()
                messages.append(t(lang, "kb_rejected", name=clean, reason=str(exc)))
                continue
            staged.append(staging / clean)
        if staged:

            def ingest_file(path: Path) -> tuple[str, str]:
                try:
                    return self._add_upload(path, path.name, lang, kb, "replace")
                finally:
                    path.unlink(missing_ok=True)  # stored under uploads by now, or rejected

            job = IngestJob(
                kb,
                staged,
                self.settings,
                ingest_file,
                separate_process=self.separate_process,
                threads=self.ingest_threads,
                embedder=None if self.separate_process else self.assistant_for(kb).embeddings,
            )
            job.cleanup = staging  # type: ignore[attr-defined]
            self.jobs[kb] = job
            self._queue.put(job)
            self._start_worker()
            messages.append(t(lang, "kb_queued", n=len(staged)))
        elif staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
        return "\n".join(messages)

    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="ingest-jobs", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=5)
            except queue.Empty:
                return
            try:
                job.run()
            except Exception:
                log.exception("an ingest job failed")
            finally:
                shutil.rmtree(getattr(job, "cleanup", ""), ignore_errors=True)

    def progress(self, kb: str | None) -> Progress | None:
        job = self.jobs.get(kb or self.settings.kb)
        return job.snapshot() if job else None

    def busy(self, kb: str | None) -> bool:
        p = self.progress(kb)
        return p is not None and p.phase != "done"

    def delete(self, source: str | None, lang: str, kb: str | None = None) -> str:
        if not source:
            return t(lang, "kb_pick")
        with self.kb_lock:
            if not self.assistant_for(kb).forget(source):
                return t(lang, "kb_not_found", source=source)
            name = safe_name(source)
            if name and name == source:  # "a/x.txt" came from a folder, not from uploads/x.txt
                (self.uploads_dir(kb) / name).unlink(missing_ok=True)
        return t(lang, "kb_deleted", source=source)

    def reindex(self, lang: str, kb: str | None = None) -> str:
        """Read again the uploads and (in the default knowledge base) the seeds still indexed."""
        with self.kb_lock:
            bot = self.assistant_for(kb)
            indexed = {r.source for r in bot.sources()}
            folder = self.uploads_dir(kb)
            files = [
                p
                for p in discover([folder] if folder.is_dir() else [])
                if (kb or self.settings.kb) != DEFAULT or p.parent == folder
            ]
            seeds = Path("seeds")  # where `make run` ingests them from: the working directory
            if seeds.is_dir() and (kb or self.settings.kb) == DEFAULT:
                files += [p for p in discover([seeds]) if p.name in indexed]
            report = bot.ingest(files)
        counts = {s: report.count(s) for s in ("added", "updated", "unchanged", "skipped")}
        return t(lang, "kb_reindexed", **counts)


def _paths(files: Files) -> list[str]:
    return [str(f) if isinstance(f, str | Path) else getattr(f, "name", "") for f in (files or [])]

"""Conversation exports: one folder, old files pruned, no temporary folder per export.

Each export used to make its own `mkdtemp` folder that nothing removed (754 folders after
one load run). Files now go to one folder under the system's temporary directory (where
Gradio may serve them from); files older than `KEEP_S` are deleted on the next export.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

KEEP_S = 3600.0  # long enough for the browser to download what it was offered


def export_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "assistant-exports"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def write_export(text: str, stem: str = "conversation", suffix: str = ".md") -> Path:
    """Write `text` to a new file in the export folder, pruning files older than KEEP_S."""
    folder = export_dir()
    now = time.time()
    for old in folder.iterdir():
        try:
            if old.is_file() and now - old.stat().st_mtime > KEEP_S:
                old.unlink()
        except OSError:
            continue  # another process pruned it first
    name = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}{suffix}"
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path

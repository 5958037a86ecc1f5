"""What names a document in the index, so two files can never take each other's place.

A file found under a folder given to ingest is named by its path relative to that
folder, with forward slashes (`a/同名.txt` and `b/同名.txt` are two documents); a file
given directly keeps its bare name, as an upload does. Indexes written before this named
every document by its bare file name: such a record is taken over by the file it came
from (same bytes) the next time that file is ingested, so old indexes keep working.

`upload_name()` decides what an upload named like an existing document becomes: it
replaces it, is kept beside it under a new name, or is not added; by default the
caller must ask first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath


def source_id(path: Path, root: Path | None = None) -> str:
    """`path` relative to the folder it was found under, else its name."""
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


def legacy_id(source: str) -> str:
    """The name the same document had in an index written before paths were identities."""
    return PurePosixPath(source).name


def discover(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """(file, identity) for every file under the given paths, sorted, hidden ones left out.

    Everything that is not a folder is listed (FIFOs and devices too), so ingest can say
    why it skipped it rather than pass over it in silence. When two folders given together
    hold the same relative path (`ingest a/ b/` with `同名.txt` in each), both files are
    named with their folder in front (`a/同名.txt`, `b/同名.txt`).
    """
    found: list[tuple[Path, str, Path | None]] = []
    seen_files: set[Path] = set()
    for path in paths:
        entries: list[tuple[Path, str, Path | None]]
        if path.is_dir():
            entries = [
                (p, source_id(p, path), path)
                for p in sorted(path.rglob("*"))
                if not p.is_dir()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
        else:
            entries = [(path, source_id(path), None)]
        for p, sid, root in entries:
            key = Path(p).absolute()
            if key not in seen_files:  # the same file through two arguments is read once
                seen_files.add(key)
                found.append((p, sid, root))
    counts: dict[str, int] = {}
    for _, sid, _ in found:
        counts[sid] = counts.get(sid, 0) + 1
    out = []
    for p, sid, root in found:
        if counts[sid] > 1:
            sid = f"{root.absolute().name}/{sid}" if root is not None else Path(p).as_posix()
        out.append((p, sid))
    return out


class OnConflict(StrEnum):
    ASK = "ask"  # do nothing; the caller asks the user
    REPLACE = "replace"
    KEEP_BOTH = "keep_both"
    CANCEL = "cancel"


@dataclass(frozen=True)
class UploadDecision:
    name: str | None  # the name to store the upload under; None: not added
    conflict: bool  # a document of that name exists
    ask: bool = False  # the caller must ask (replace / keep both / cancel)


def upload_name(
    name: str,
    existing: Mapping[str, str],
    on_conflict: str = "ask",
    file_hash: str | None = None,
) -> UploadDecision:
    """What an upload called `name` becomes, given the indexed documents (name → file hash).

    The same bytes under the same name are no conflict: ingest finds them unchanged.
    """
    taken = set(existing)
    if name not in taken or (file_hash is not None and existing[name] == file_hash):
        return UploadDecision(name, conflict=False)
    policy = OnConflict(on_conflict)
    if policy is OnConflict.REPLACE:
        return UploadDecision(name, conflict=True)
    if policy is OnConflict.KEEP_BOTH:
        stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
        n = 2
        while f"{stem} ({n}){suffix}" in taken:
            n += 1
        return UploadDecision(f"{stem} ({n}){suffix}", conflict=True)
    return UploadDecision(None, conflict=True, ask=policy is OnConflict.ASK)


def upload_hash(path: Path) -> str | None:
    """The byte hash ingest would record for this file (None when it cannot be read)."""
    import hashlib

    from assistant.errors import IngestError
    from assistant.ingest.loading import read_file

    try:
        return hashlib.sha256(read_file(path)).hexdigest()
    except IngestError:
        return None


__all__ = [
    "OnConflict",
    "UploadDecision",
    "discover",
    "legacy_id",
    "source_id",
    "upload_hash",
    "upload_name",
]

"""jieba's dictionary, loaded in a fraction of the time jieba itself takes.

Three things are read from jieba's own files, each once into a cache file:

- the prefix dictionary of `jieba.Tokenizer` (word and prefix frequencies): jieba reads
  its marshal cache with `marshal.load(file)`, which reads the file object value by value
  (0.40 s); `marshal.loads` of the same bytes takes 0.13 s;
- the word → part-of-speech table of `jieba.posseg` (349,000 words; parsing it is what
  importing `jieba.posseg` costs, 0.18 s): kept in SQLite, so that tagging a question looks
  up its few words instead of loading them all;
- `jieba.posseg`'s HMM tables (its pickles, 0.08 s; as marshal 0.03 s), read only when a
  question holds a word the dictionary does not know.

The files are derived only from jieba's installed files, so they live beside jieba's own
cache (the temp folder, or `TMPDIR`), named by a key that changes with jieba's version and
the size and modification time of the files they come from; a file that cannot be read
or written is rebuilt in memory, as jieba does.
"""

from __future__ import annotations

import logging
import marshal
import os
import pickle
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba

log = logging.getLogger(__name__)

FORMAT = "1"  # bumped when what a cache file holds changes
JIEBA_DIR = Path(jieba.__file__).resolve().parent
DICT_FILE = JIEBA_DIR / jieba.DEFAULT_DICT_NAME
HMM_FILES = ("char_state_tab", "prob_start", "prob_trans", "prob_emit")  # jieba/posseg/*.p


def cache_dir() -> Path:
    """Where the cache files go: jieba's own choice for its cache (the temp folder)."""
    return Path(jieba.dt.tmp_dir or tempfile.gettempdir()) / "zh-rag-assistant-jieba"


def cache_key(*files: Path) -> str:
    """jieba's version, and the total size and latest mtime of the files a cache is built from."""
    stats = [f.stat() for f in files]
    size = sum(st.st_size for st in stats)
    mtime = max(st.st_mtime_ns for st in stats)
    return f"{FORMAT}-{jieba.__version__}-{size}-{mtime}"


def cache_file(name: str, *sources: Path) -> Path:
    return cache_dir() / f"{name}-{cache_key(*sources)}"


def _write(path: Path, write: Callable[[Path], object]) -> None:
    """`write(tmp)` into a temporary file beside `path`, then moved into place (so readers
    never see half a file). Files of other keys stay: another install may use them."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        os.close(fd)
        try:
            write(Path(tmp))
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except (OSError, sqlite3.Error) as exc:
        log.warning("could not write the jieba cache %s: %s", path, exc)


class Tokenizer(jieba.Tokenizer):
    """jieba's tokenizer on its default dictionary, whose prefix dictionary is read from a
    cache file with `marshal.loads` (what jieba builds it from and how is unchanged:
    `Tokenizer.gen_pfdict` of `get_dict_file()`)."""

    FREQ: dict[str, int]
    total: int
    initialized: bool

    def initialize(self, dictionary: str | None = None) -> None:
        if dictionary is not None:
            raise ValueError("this tokenizer keeps jieba's default dictionary")
        with self.lock:
            if self.initialized:
                return
            path = cache_file("prefix", DICT_FILE)
            try:
                freq, total = marshal.loads(path.read_bytes())
                if not isinstance(freq, dict) or not isinstance(total, int):
                    raise ValueError("not a prefix dictionary")
            except (OSError, ValueError, EOFError, TypeError):
                freq, total = self.gen_pfdict(self.get_dict_file())
                data = marshal.dumps((freq, total))
                _write(path, lambda tmp: tmp.write_bytes(data))
            self.FREQ, self.total = freq, total
            self.initialized = True


class WordTags:
    """`jieba.posseg`'s word → tag table (the third column of jieba's dictionary), looked up
    word by word from SQLite; lookups are remembered. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, str | None] = {}
        path = cache_file("tags", DICT_FILE)
        self._db: sqlite3.Connection | None = None
        self._table: dict[str, str] | None = None
        try:
            self._db = self._open(path)
        except sqlite3.Error:
            _write(path, self._build)
            try:
                self._db = self._open(path)
            except sqlite3.Error:  # an unwritable temp folder: the table in memory
                self._table = dict(_dictionary_tags())

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
        try:
            db.execute("SELECT tag FROM tags WHERE word = ''").fetchall()
        except sqlite3.Error:
            db.close()
            raise
        return db

    @staticmethod
    def _build(tmp: Path) -> None:
        db = sqlite3.connect(tmp)
        try:
            db.execute("CREATE TABLE tags (word TEXT PRIMARY KEY, tag TEXT NOT NULL) WITHOUT ROWID")
            db.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?)", _dictionary_tags())
            db.commit()
        finally:
            db.close()

    def get(self, word: str, default: str) -> str:
        with self._lock:
            if word not in self._seen:
                if self._table is not None:
                    self._seen[word] = self._table.get(word)
                else:
                    assert self._db is not None
                    row = self._db.execute(
                        "SELECT tag FROM tags WHERE word = ?", (word,)
                    ).fetchone()
                    self._seen[word] = row[0] if row else None
            found = self._seen[word]
        return default if found is None else found


def _dictionary_tags() -> list[tuple[str, str]]:
    """(word, tag) of every line of jieba's dictionary, read as `jieba.posseg` reads it
    (a later line of the same word wins)."""
    out = []
    with jieba.dt.get_dict_file() as f:
        for raw in f:
            line = raw.strip().decode("utf-8")
            if line:
                word, _, tag = line.split(" ")
                out.append((word, tag))
    return out


@lru_cache(maxsize=1)
def word_tags() -> WordTags:
    return WordTags()


_hmm_lock = threading.Lock()


@lru_cache(maxsize=1)
def hmm_model() -> tuple[Any, Any, Any, Any]:
    """`jieba.posseg`'s HMM: (char_state_tab, start, trans, emit), from jieba's pickles."""
    with _hmm_lock:
        sources = [JIEBA_DIR / "posseg" / f"{name}.p" for name in HMM_FILES]
        path = cache_file("hmm", *sources)
        try:
            model = marshal.loads(path.read_bytes())
            if not isinstance(model, tuple) or len(model) != len(HMM_FILES):
                raise ValueError("not jieba's HMM tables")
        except (OSError, ValueError, EOFError, TypeError):
            model = tuple(pickle.loads(p.read_bytes()) for p in sources)
            data = marshal.dumps(model)
            _write(path, lambda tmp: tmp.write_bytes(data))
        return model

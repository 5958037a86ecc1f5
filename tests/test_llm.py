"""The chat model against a real OpenAI-compatible server on 127.0.0.1, and error mapping."""

from __future__ import annotations

import httpx
import openai
import pytest
from fakes.openai_server import Reply

from assistant.answering.llm import explain, make_chat_model
from assistant.errors import ConfigError
from assistant.settings import LLMSettings


@pytest.fixture
def settings(llm_env):
    return LLMSettings()


def test_needs_an_api_key():
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_chat_model(LLMSettings())


def test_settings_come_from_env(settings, openai_server):
    assert settings.base_url == openai_server.base_url
    assert settings.timeout_s == 1 and settings.max_retries == 0
    assert settings.api_key.get_secret_value() == "sk-test"


def test_invoke_streams_from_the_server(settings, openai_server):
    openai_server.script(Reply(text="一期规划床位400张。[1]"))
    model = make_chat_model(settings)
    assert model.invoke("问题").content == "一期规划床位400张。[1]"
    body = openai_server.requests[-1]
    assert body["model"] == "fake-model" and body["stream"] is True
    assert body["messages"][-1] == {"role": "user", "content": "问题"}


def test_stream_yields_pieces(settings, openai_server):
    openai_server.script(Reply(text="abcdefghij", piece=2))
    pieces = [c.content for c in make_chat_model(settings).stream("q") if c.content]
    assert pieces == ["ab", "cd", "ef", "gh", "ij"]


def test_non_streaming_request_is_served(settings, openai_server):
    from langchain_openai import ChatOpenAI

    openai_server.script(Reply(text="plain answer"))
    model = ChatOpenAI(
        model="m", api_key="k", base_url=settings.base_url, max_retries=0, streaming=False
    )
    assert model.invoke("q").content == "plain answer"
    assert not openai_server.requests[-1].get("stream")


def _error(settings, openai_server, reply: Reply):
    openai_server.script(reply)
    with pytest.raises(Exception) as info:
        make_chat_model(settings).invoke("q")
    return explain(info.value, settings), info.value


def test_401_says_check_the_key(settings, openai_server):
    error, exc = _error(settings, openai_server, Reply(status=401))
    assert isinstance(exc, openai.AuthenticationError)
    assert "OPENAI_API_KEY" in str(error) and "401" in str(error)


def test_429_says_rate_limited(settings, openai_server):
    error, exc = _error(settings, openai_server, Reply(status=429))
    assert isinstance(exc, openai.RateLimitError)
    assert "429" in str(error)


def test_500_names_the_status(settings, openai_server):
    error, _ = _error(settings, openai_server, Reply(status=500))
    assert "HTTP 500" in str(error)


def test_404_names_the_model(settings, openai_server):
    error, _ = _error(settings, openai_server, Reply(status=404))
    assert "LLM_MODEL" in str(error) and "fake-model" in str(error)


def test_timeout_says_raise_the_timeout(settings, openai_server):
    error, exc = _error(settings, openai_server, Reply(delay=3))
    assert isinstance(exc, openai.APITimeoutError | httpx.TimeoutException)
    assert "LLM_TIMEOUT_S" in str(error)


def test_malformed_stream_is_explained(settings, openai_server):
    error, _ = _error(settings, openai_server, Reply(text="一期规划", malformed=True))
    assert "malformed" in str(error) or "OpenAI chat API" in str(error)


def test_connection_refused_says_check_base_url(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    settings = LLMSettings()
    with pytest.raises(Exception) as info:
        make_chat_model(settings).invoke("q")
    assert "OPENAI_BASE_URL" in str(explain(info.value, settings))


def test_explain_unknown_error():
    error = explain(RuntimeError("boom"), LLMSettings())
    assert "boom" in str(error) and "LLM_MODEL" in str(error)

"""Shared fixtures: no network beyond loopback, isolated settings, an index of the seeds.

The seeds are ingested once per session (about 15 s of embedding); tests that need an
index get a private copy of it, so they may add and forget documents freely.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
ENV_PREFIXES = (
    "ASSISTANT_",
    "LLM_",
    "OPENAI_",
    "EMBEDDINGS_",
    "CHROMA_",
    "CHUNK_",
    "RETRIEVAL_",
    "ANSWER_",
    "INGEST_",
    "UI_",
)


def _loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost",) or isinstance(address, str):  # unix sockets are local
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Tests may only talk to servers on this machine."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """No settings leak in from the developer's environment or .env file."""
    import os

    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # .env is read from the working directory
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory) -> Path:
    """A data directory with the seeds ingested, built once per session."""
    from assistant.answering.chain import Assistant
    from assistant.settings import Settings

    data = tmp_path_factory.mktemp("seeded") / "data"
    bot = Assistant.from_settings(Settings(data_dir=data))
    report = bot.ingest([SEEDS])
    assert report.count("added") == 5, report.results
    bot.retriever.bm25()  # build the BM25 cache too
    del bot
    return data


@pytest.fixture
def seeded_settings(seeded_dir, tmp_path, monkeypatch):
    """Settings whose data directory is a private copy of the seeded index."""
    from assistant.settings import Settings

    data = tmp_path / "data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(seeded_dir, data)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    return Settings()


@pytest.fixture
def seeded_assistant(seeded_settings):
    from assistant.answering.chain import Assistant

    return Assistant.from_settings(seeded_settings)


# --- added for the module tests: fakes that implement the real interfaces -------------


@pytest.fixture
def fake_store():
    """A Store in this test's data directory, embedding with the fast deterministic fake."""
    from fakes.embeddings import HashEmbeddings

    from assistant.index.store import Store
    from assistant.settings import Settings

    settings = Settings()
    return Store(settings, HashEmbeddings(), "fake:hash-64")


@pytest.fixture
def fake_assistant():
    """An Assistant over an empty index in this test's data directory, with the fake embedder."""
    from fakes.embeddings import HashEmbeddings

    from assistant.answering.chain import Assistant
    from assistant.index.store import Store
    from assistant.settings import Settings

    settings = Settings()
    embeddings = HashEmbeddings()
    return Assistant(settings, Store(settings, embeddings, "fake:hash-64"), embeddings)


@pytest.fixture
def openai_server():
    """A real OpenAI-compatible chat server on 127.0.0.1 (see tests/fakes/openai_server.py)."""
    from fakes.openai_server import FakeOpenAI

    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def llm_env(openai_server, monkeypatch):
    """Environment pointing the LLM settings at the fake server, failing fast."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("LLM_MODEL", "fake-model")
    monkeypatch.setenv("LLM_TIMEOUT_S", "1")
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    return openai_server


@pytest.fixture
def llm_assistant(seeded_settings, llm_env):
    """The seeded index with LLM mode on, talking to the fake server."""
    from assistant.answering.chain import Assistant
    from assistant.settings import Settings

    return Assistant.from_settings(Settings())

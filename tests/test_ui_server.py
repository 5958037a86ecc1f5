"""The launched app on 127.0.0.1, driven through `gradio_client` (and shared helpers for the browser tests)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ENV_PREFIXES

from assistant.ui.handlers import message_text

QUESTION = "瑞金医院金山院区一期规划多少张床位？"
SEED = "002_d8907abf42b39ccd.txt"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}gradio_api/info", timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError:
            return  # it answers (401 when a login is required)
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def private_settings(seeded_dir: Path, workdir: Path, env: dict | None = None, **ui):
    """Settings over a private copy of the seeded index, with no environment leaking in."""
    from assistant.settings import Settings, UISettings

    data = workdir / "data"
    shutil.copytree(seeded_dir, data)
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(ENV_PREFIXES):
                mp.delenv(name)
        for name, value in (env or {}).items():
            mp.setenv(name, value)
        mp.chdir(workdir)
        return Settings(data_dir=data, ui=UISettings(**ui))


@contextlib.contextmanager
def running_app(settings):
    """The app launched on a free loopback port; yields (url, app)."""
    from assistant.answering.chain import Assistant
    from assistant.ui.app import build_app
    from assistant.ui.server import serve

    app = build_app(Assistant.from_settings(settings), settings)
    port = free_port()
    serve(app, settings, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url)
        yield url, app
    finally:
        app.close()


@pytest.fixture(scope="module")
def server(seeded_dir, tmp_path_factory):
    settings = private_settings(seeded_dir, tmp_path_factory.mktemp("ui-server"))
    with running_app(settings) as (url, app):
        yield url, app


def test_chat_through_gradio_client(server):
    from gradio_client import Client

    url, app = server
    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    history, box = client.predict(QUESTION, [], "zh", "default", {}, api_name="/chat")
    assert box == ""
    html = message_text(history[-1])  # content comes back as [{"type": "text", "text": ...}]
    assert "400张" in html and SEED in html and '<mark class="quote">' in html
    follow, _ = client.predict(
        "它什么时候投入运营？", history, "zh", "default", {}, api_name="/chat"
    )
    assert len(follow) == 4 and "ans-standalone" in message_text(follow[-1])
    doc = client.predict(
        json.dumps({"source": SEED, "start": 10, "end": 20}), "en", "default", api_name="/document"
    )
    assert 'id="doc-hl"' in doc


def test_api_key_never_reaches_the_page_or_the_logs(seeded_dir, tmp_path, openai_server, caplog):
    """LLM mode whose call fails: the page names the model and says why, never the key."""
    from fakes.openai_server import Reply
    from gradio_client import Client

    key = "sk-test-never-in-the-browser"
    env = {
        "OPENAI_API_KEY": key,
        "OPENAI_BASE_URL": openai_server.base_url,
        "LLM_MODEL": "fake-model",
        "LLM_TIMEOUT_S": "10",
        "LLM_MAX_RETRIES": "0",
    }
    settings = private_settings(seeded_dir, tmp_path, env)
    assert settings.use_llm
    caplog.set_level(logging.DEBUG)
    openai_server.script(Reply(status=500))
    with running_app(settings) as (url, _):
        seen = [_get(url), _get(f"{url}config"), _get(f"{url}gradio_api/info")]
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        history, _ = client.predict(QUESTION, [], "zh", "default", {}, api_name="/chat")
    answer = message_text(history[-1])
    assert "大模型调用失败" in answer and "HTTP 500" in answer and "400张" in answer
    assert "fake-model" in seen[1]  # the status line names the model
    assert len(openai_server.requests) == 1  # the LLM was really called
    assert caplog.records  # the logs were captured (at DEBUG)
    for text in [*seen, answer, caplog.text]:
        assert key not in text


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_upload_name_with_dots_stays_in_the_data_directory(server):
    """A multipart upload named ../../x.txt, then the upload handler on what Gradio stored."""
    import httpx

    url, app = server
    files = {"files": ("../../escape.txt", "火星基地将建设1200个舱位。".encode(), "text/plain")}
    response = httpx.post(f"{url}gradio_api/upload", files=files, timeout=30)
    response.raise_for_status()
    [stored] = response.json()
    message = app.chat_ui.upload([stored], "en")
    data = app.chat_ui.settings.data_dir
    assert message == "Added escape.txt (1 chunks)."
    assert list(data.parent.rglob("escape.txt")) == [data / "uploads" / "escape.txt"]
    assert not (data.parent.parent / "escape.txt").exists()


def test_two_people_chat_at_once(seeded_dir, tmp_path):
    """Two sessions answer at the same time (UI_CONCURRENCY=2), each with its own history."""
    from gradio_client import Client

    settings = private_settings(seeded_dir, tmp_path, concurrency=2)
    with running_app(settings) as (url, app):
        bot = app.chat_ui.assistant
        real, both_running = bot.stream, threading.Barrier(2, timeout=30)

        def stream(question, history=None):
            both_running.wait()  # passes only when the two answers run concurrently
            yield from real(question, history)

        bot.stream = stream
        clients = [
            Client(url, verbose=False, analytics_enabled=False, download_files=False)
            for _ in range(2)
        ]
        jobs = [
            clients[0].submit(QUESTION, [], "zh", "default", {}, api_name="/chat"),
            clients[1].submit("火星上有多少人居住？", [], "zh", "default", {}, api_name="/chat"),
        ]
        (beds, _), (mars, _) = (job.result(timeout=120) for job in jobs)
    assert len(beds) == 2 and "400张" in message_text(beds[-1])
    assert len(mars) == 2 and "ans-refused" in message_text(mars[-1])
    assert "ans-standalone" not in message_text(mars[-1])


def test_login_when_users_are_set(seeded_dir, tmp_path):
    settings = private_settings(seeded_dir, tmp_path, users="alice:secret")
    with running_app(settings) as (url, _):
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(f"{url}config", timeout=10)
        assert denied.value.code == 401

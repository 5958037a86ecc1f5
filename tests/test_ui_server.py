"""The launched app on 127.0.0.1, driven through `gradio_client` (and shared helpers for the browser tests)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ENV_PREFIXES

from assistant.ui_handlers import message_text

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
    from assistant.chain import Assistant
    from assistant.ui import build_app, serve

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
    history, box = client.predict(QUESTION, [], "zh", api_name="/chat")
    assert box == ""
    html = message_text(history[-1])  # content comes back as [{"type": "text", "text": ...}]
    assert "400张" in html and SEED in html and '<mark class="quote">' in html
    follow, _ = client.predict("它什么时候投入运营？", history, "zh", api_name="/chat")
    assert len(follow) == 4 and "ans-standalone" in message_text(follow[-1])
    doc = client.predict(
        json.dumps({"source": SEED, "start": 10, "end": 20}), "en", api_name="/document"
    )
    assert 'id="doc-hl"' in doc


def test_api_key_is_not_in_the_page_config(seeded_dir, tmp_path):
    env = {
        "OPENAI_API_KEY": "sk-test-never-in-the-browser",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    }
    settings = private_settings(seeded_dir, tmp_path, env)
    assert settings.use_llm
    with running_app(settings) as (url, _):
        with urllib.request.urlopen(f"{url}config", timeout=10) as response:
            config = response.read().decode()
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
    assert "sk-test-never-in-the-browser" not in config + page
    assert "gpt-4o-mini" in config  # the status line names the model


def test_login_when_users_are_set(seeded_dir, tmp_path):
    settings = private_settings(seeded_dir, tmp_path, users="alice:secret")
    with running_app(settings) as (url, _):
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(f"{url}config", timeout=10)
        assert denied.value.code == 401

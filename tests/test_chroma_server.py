"""Server mode: a real `chroma run` on 127.0.0.1, used through CHROMA_HOST/CHROMA_PORT."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMA = Path(sys.executable).parent / "chroma"
pytestmark = pytest.mark.skipif(
    not CHROMA.exists(), reason="the chroma executable is not installed"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = (path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            str(CHROMA),
            "run",
            "--path",
            str(path / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1
            ) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(
                f"chroma did not start: {(path / 'server.log').read_text(errors='replace')[-2000:]}"
            )
        time.sleep(0.3)
    yield port
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_ingest_and_ask_through_a_chroma_server(chroma_server, monkeypatch, tmp_path):
    from assistant.answering.chain import Assistant
    from assistant.settings import Settings

    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(chroma_server))
    monkeypatch.setenv("CHROMA_COLLECTION", "server-test")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "beds.txt").write_text(
        "金山院区\n瑞金医院金山院区将按照三级甲等综合医院标准建设,占地面积共228亩。"
        "项目从立项到开工仅用时182天,一期规划床位400张,二期规划床位800张。",
        encoding="utf-8",
    )
    (docs / "gusu.txt").write_text(
        "姑苏数字经济\n姑苏区加快推进数字产业化和产业数字化,构筑数字经济产业竞争新优势。",
        encoding="utf-8",
    )

    settings = Settings()
    bot = Assistant.from_settings(settings)
    assert bot.ingest([docs]).count("added") == 2
    assert not settings.chroma_dir.exists()  # nothing went to the embedded index

    # a second client (another process in real use) sees the same index
    other = Assistant.from_settings(Settings())
    assert {r.source for r in other.sources()} == {"beds.txt", "gusu.txt"}
    assert other.ingest([docs]).count("unchanged") == 2
    a = other.ask("瑞金医院金山院区一期规划多少张床位？")
    assert not a.refused and "400张" in a.answer
    assert a.citations[0].source == "beds.txt"
    assert other.forget("gusu.txt")
    assert {r.source for r in bot.sources()} == {"beds.txt"}


def test_unreachable_server_says_how_to_fix(monkeypatch):
    from assistant.errors import ConfigError
    from assistant.index.store import make_client
    from assistant.settings import Settings

    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(free_port()))
    with pytest.raises(ConfigError, match="CHROMA_HOST"):
        make_client(Settings())

"""The same questions against a Chroma server (`chroma run`) instead of embedded Chroma."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from .common import PY, ROOT, bench_env, settings_for

CHROMA = str(Path(PY).with_name("chroma"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(path: Path, port: int, timeout: float = 60) -> subprocess.Popen:
    proc = subprocess.Popen(
        [CHROMA, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=bench_env(path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"the Chroma server did not answer its heartbeat within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run(docs: Path, seeded: Path, work: Path, qs: list[str]) -> dict:
    """Ingest `docs` into a server (vectors from the seeded cache), then ask `qs` warm."""
    from assistant.answering.chain import Assistant

    from . import warm

    shutil.rmtree(work, ignore_errors=True)
    data = work / "data"
    (data / "cache").mkdir(parents=True)
    shutil.copy(seeded / "cache" / "embeddings.sqlite", data / "cache" / "embeddings.sqlite")
    port = free_port()
    t = time.perf_counter()
    proc = start(work / "server", port)
    startup_s = time.perf_counter() - t
    try:
        bot = Assistant.from_settings(settings_for(data, "127.0.0.1", port))
        t = time.perf_counter()
        bot.ingest([docs])
        ingest_s = time.perf_counter() - t
        del bot
        steps = warm.run(data, qs, "127.0.0.1", port)
    finally:
        stop(proc)
    return {
        "server_startup_s": round(startup_s, 2),
        "ingest_from_cache_s": round(ingest_s, 2),
        "query_ms": steps,
    }

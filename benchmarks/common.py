"""Small helpers shared by the benchmark sections: percentiles, settings, questions, RSS."""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
QUESTIONS = ROOT / "evals" / "datasets" / "seeds_qa.jsonl"
PY = sys.executable


def questions(path: Path = QUESTIONS, limit: int | None = None) -> list[str]:
    qs = [
        json.loads(line)["question"]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return qs[:limit] if limit else qs


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); 0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return round(s[k], 2)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 2) if values else 0.0,
        "p95": pct(values, 95),
        "n": len(values),
    }


def bench_env(data_dir: Path, pycache: Path | None = None, **extra: str) -> dict[str, str]:
    """A clean environment for a subprocess: no settings leak in from the caller's shell.

    With `pycache`, Python may cache bytecode there (as on a normal install); without
    it, the caller's setting stands (this sandbox sets PYTHONDONTWRITEBYTECODE=1 and the
    venv holds no .pyc, so every process compiles every module it imports).
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ASSISTANT_", "LLM_", "OPENAI_", "CHROMA_", "ANSWER_", "EMBEDDINGS_"))
    }
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env.update(
        ASSISTANT_DATA_DIR=str(data_dir),
        ANSWER_MODE="extractive",
        ANONYMIZED_TELEMETRY="False",
        **extra,
    )
    return env


def settings_for(data_dir: Path, host: str | None = None, port: int = 8000):
    from assistant.settings import AnswerSettings, ChromaSettings, Settings

    return Settings(
        data_dir=data_dir,
        answer=AnswerSettings(mode="extractive"),
        chroma=ChromaSettings(host=host, port=port),
    )


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_json(args: list[str], env: dict[str, str] | None = None, timeout: float = 7200) -> dict:
    """Run `python -m benchmarks.<module> ...` in a subprocess; its last stdout line is JSON."""
    out = subprocess.run(
        [PY, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def dir_size_mb(path: Path) -> float:
    """Size of a folder (or a file) in MB."""
    if path.is_file():
        return round(path.stat().st_size / 2**20, 1)
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def tokens(texts: list[str]) -> int:
    from assistant.ingest.chunking import count_tokens

    return sum(count_tokens(t) for t in texts)


@dataclass
class Run:
    """One child process: wall and CPU seconds, peak resident set, and its stdout."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    stdout: str


def run_process(cmd: list[str], env: dict[str, str], timeout: float = 600) -> Run:
    """Run `cmd` to the end; CPU time and peak RSS are the child's own (from wait4)."""
    if not hasattr(os, "wait4"):  # not POSIX: wall time only
        t = time.perf_counter()
        out = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=True
        )
        return Run(time.perf_counter() - t, 0.0, 0.0, out.stdout)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            tail = err.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{cmd} failed ({proc.returncode}): {tail}")
        return Run(
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
            stdout=out.read().decode("utf-8", "replace"),
        )

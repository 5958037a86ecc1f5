"""Cold start: `assistant ask --json` as a whole process, from start to answer (median of runs)."""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path

from .common import PY, ROOT, bench_env

ASSISTANT = str(Path(PY).with_name("assistant"))


def _time(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - t
    if out.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {out.stderr[-2000:]}")
    return elapsed, out.stdout


def _mode(data: Path, question: str, runs: int, pycache: Path | None) -> dict:
    env = bench_env(data, pycache)
    _time([ASSISTANT, "ask", "--json", question], env)  # writes any caches a first run makes
    walls, steps = [], []
    for _ in range(runs):
        wall, out = _time([ASSISTANT, "ask", "--json", question], env)
        walls.append(wall)
        steps.append(json.loads(out)["timings_ms"])
    imports = [_time([PY, "-c", "import assistant.chain"], env)[0] for _ in range(runs)]
    inside = {
        k: round(statistics.median(s.get(k, 0.0) for s in steps), 1)
        for k in ("embed", "bm25", "answer", "total")
    }
    return {
        "ask_s": round(statistics.median(walls), 2),
        "ask_s_all": [round(w, 2) for w in walls],
        "import_chain_s": round(statistics.median(imports), 2),
        "first_question_ms": inside,
    }


def run(data: Path, question: str, runs: int = 5) -> dict:
    """`bytecode_cached` is a normal install (the .pyc written once); `as_run_here` is this
    environment as it is (PYTHONDONTWRITEBYTECODE=1 here: every module compiled each time)."""
    cached = _mode(data, question, runs, data.parent / "pycache")
    return {"runs": runs, **cached, "as_run_here": _mode(data, question, runs, None)}

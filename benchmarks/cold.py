"""Cold start: `assistant ask --json` as a whole process, from start to answer (median of runs).

Wall time depends on what else the machine runs, so each run also records the process's
own CPU time and peak memory (from wait4): on a busy machine CPU time is the steadier figure.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from .common import PY, bench_env, run_process

ASSISTANT = str(Path(PY).with_name("assistant"))


def measure(cmd: list[str], env: dict[str, str], runs: int) -> dict:
    """Median wall, CPU and peak RSS over `runs` runs, after one run that writes any caches."""
    run_process(cmd, env)
    got = [run_process(cmd, env) for _ in range(runs)]
    return {
        "ask_s": round(statistics.median(r.wall_s for r in got), 2),
        "ask_s_all": [round(r.wall_s, 2) for r in got],
        "cpu_s": round(statistics.median(r.cpu_s for r in got), 2),
        "peak_rss_mb": round(statistics.median(r.peak_rss_mb for r in got), 1),
        "stdout": got[-1].stdout,
    }


def _mode(data: Path, question: str, runs: int, pycache: Path | None) -> dict:
    env = bench_env(data, pycache)
    out = measure([ASSISTANT, "ask", "--json", question], env, runs)
    steps = json.loads(out.pop("stdout"))["timings_ms"]
    imports = [
        run_process([PY, "-c", "import assistant.answering.chain"], env) for _ in range(runs)
    ]
    out["import_chain_s"] = round(statistics.median(r.wall_s for r in imports), 2)
    # the LCEL chain's modules, imported on the first question (not by ingest or sources)
    lc = [run_process([PY, "-c", "import assistant.langchain"], env) for _ in range(runs)]
    out["import_langchain_s"] = round(statistics.median(r.wall_s for r in lc), 2)
    out["first_question_ms"] = {
        k: round(steps.get(k, 0.0), 1) for k in ("embed", "dense", "bm25", "answer", "total")
    }
    return out


def run(data: Path, question: str, runs: int = 5) -> dict:
    """`bytecode_cached` is a normal install (the .pyc written once); `as_run_here` is this
    environment as it is (when PYTHONDONTWRITEBYTECODE=1 and the venv holds no .pyc, every
    module is compiled in every process)."""
    cached = _mode(data, question, runs, data.parent / "pycache")
    return {"runs": runs, **cached, "as_run_here": _mode(data, question, runs, None)}

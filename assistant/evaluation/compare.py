"""What got better and worse against an earlier run (its results.jsonl and summary.json)."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from .metrics import METRICS

EPS = 1e-9


def _higher(name: str) -> bool:
    return METRICS.get(name, ("", True))[1]


def load_run(folder: Path) -> tuple[dict[str, dict], dict]:
    results, summary = folder / "results.jsonl", folder / "summary.json"
    if not results.is_file() or not summary.is_file():
        raise InputError(
            f"--compare {folder}: expected results.jsonl and summary.json from an earlier `assistant eval --out`"
        )
    rows = {}
    for lineno, line in enumerate(results.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
                rows[row["id"]] = row
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(f"{results}:{lineno}: not a results line ({exc})") from exc
    return rows, json.loads(summary.read_text(encoding="utf-8"))


def _changes(before: dict, after: dict) -> tuple[dict, dict]:
    worse: dict[str, list[float]] = {}
    better: dict[str, list[float]] = {}
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        if b is None or a is None or abs(a - b) < EPS:
            continue
        gain = (a - b) if _higher(name) else (b - a)
        (better if gain > 0 else worse)[name] = [round(b, 4), round(a, 4)]
    return worse, better


def compare(folder: Path, rows: list[dict], summary: dict) -> dict:
    prev_rows, prev_summary = load_run(folder)
    before = prev_summary.get("project", {}).get("metrics", {})
    after = summary["project"]["metrics"]
    totals = {
        name: {
            "before": before.get(name),
            "after": after.get(name),
            "delta": None
            if before.get(name) is None or after.get(name) is None
            else after[name] - before[name],
        }
        for name in after
        if name not in ("n", "answerable") and not name.startswith("latency")
    }
    worse, better = [], []
    for row in rows:
        prev = prev_rows.get(row["id"])
        if prev is None:
            continue
        w, b = _changes(prev.get("metrics", {}), row["metrics"])
        entry = {
            "id": row["id"],
            "question": row["question"],
            "failed_before": prev.get("failed", []),
            "failed_now": row["failed"],
            "worse": w,
            "better": b,
        }
        if w:
            worse.append(entry)
        elif b:
            better.append(entry)
    # failing cases first: cases that fail now (worst first), then the rest
    worse.sort(key=lambda e: (not e["failed_now"], -len(e["worse"]), e["id"]))
    better.sort(key=lambda e: (not e["failed_now"], e["id"]))
    ids = {r["id"] for r in rows}
    return {
        "previous": str(folder),
        "previous_created": prev_summary.get("created"),
        "metrics": totals,
        "worse": worse,
        "better": better,
        "new_cases": sorted(ids - set(prev_rows)),
        "missing_cases": sorted(set(prev_rows) - ids),
        "newly_failing": [e["id"] for e in worse if e["failed_now"] and not e["failed_before"]],
    }


def headline(comparison: dict) -> str:
    return (
        f"against {comparison['previous']}: {len(comparison['worse'])} cases worse, "
        f"{len(comparison['better'])} better, {len(comparison['newly_failing'])} newly failing"
    )

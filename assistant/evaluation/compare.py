"""What got better and worse against an earlier run (its results.jsonl and summary.json),
and whether the refusals that changed are more than chance (`decisions`)."""

from __future__ import annotations

import json
import math
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


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test: how likely a split at least this uneven between the cases
    that got better and those that got worse is when a change makes no difference (McNemar's
    exact test on the cases that changed; the cases that did not change say nothing)."""
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(wins, losses) + 1))
    return min(1.0, 2 * tail / 2**n)


def decisions(prev_rows: dict[str, dict], rows: list[dict]) -> dict:
    """The cases, paired by id, whose refusal changed: an unanswerable case now refused (or
    now answered), an answerable one now answered (or now refused). A question set of 110
    moves by a few of these between two versions by chance alone; `p` says whether the
    split between `fixed` and `broken` is more than that."""
    counts = dict.fromkeys(
        (
            "unanswerable_now_refused",
            "unanswerable_now_answered",
            "answerable_now_answered",
            "answerable_now_refused",
        ),
        0,
    )
    for row in rows:
        prev = prev_rows.get(row["id"])
        if prev is None or "refused" not in prev or "refused" not in row:
            continue
        if bool(prev["refused"]) != bool(row["refused"]):
            kind = "answerable" if row.get("answerable", True) else "unanswerable"
            counts[f"{kind}_now_{'refused' if row['refused'] else 'answered'}"] += 1
    fixed = counts["unanswerable_now_refused"] + counts["answerable_now_answered"]
    broken = counts["unanswerable_now_answered"] + counts["answerable_now_refused"]
    return {**counts, "fixed": fixed, "broken": broken, "p": round(sign_test(fixed, broken), 4)}


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
        "decisions": decisions(prev_rows, rows),
    }


def decisions_line(d: dict) -> str:
    """The refusals that changed, in one line (report.md, report.html and the console)."""
    return (
        f"refusals changed: {d['fixed']} fixed ({d['unanswerable_now_refused']} unanswerable "
        f"now refused, {d['answerable_now_answered']} answerable now answered), {d['broken']} "
        f"broken ({d['unanswerable_now_answered']} unanswerable now answered, "
        f"{d['answerable_now_refused']} answerable now refused); sign test p = {d['p']:.3f} "
        "(a p above 0.05 is a split chance alone gives often)"
    )


def headline(comparison: dict) -> str:
    return (
        f"against {comparison['previous']}: {len(comparison['worse'])} cases worse, "
        f"{len(comparison['better'])} better, {len(comparison['newly_failing'])} newly failing\n"
        + decisions_line(comparison["decisions"])
    )

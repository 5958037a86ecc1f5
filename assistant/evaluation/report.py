"""The run as Markdown, for a pull request: totals beside the baseline, per tag, changes, failing cases.

`report_html` renders the same run as one page to read case by case; the number
formatting and the summary lines here are shared by both.
"""

from __future__ import annotations

from . import compare

TAG_METRICS = [
    "hit@5",
    "mrr@10",
    "key_fact_accuracy",
    "char_f1",
    "citation_precision",
    "supported_answer_rate",
    "negative_rejection",
    "false_refusal",
]


def fmt(name: str, value) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} ms" if name.startswith("latency") else f"{value:.3f}"


def fmt_delta(name: str, value, base) -> str:
    if value is None or base is None:
        return "–"
    delta = value - base
    return f"{delta:+.0f} ms" if name.startswith("latency") else f"{delta:+.3f}"


def metric_names(block: dict) -> list[str]:
    return [n for n in block if n not in ("n", "answerable")]


def markdown(rows: list[dict], summary: dict, comparison: dict | None = None) -> str:
    project = summary["project"]["metrics"]
    base = (summary.get("baseline") or {}).get("metrics")
    lines = [
        f"# Evaluation: {summary['dataset']}",
        "",
        f"{summary['cases']} cases ({project['answerable']} answerable), {summary['mode']} mode, {summary['created']}.",
        "",
    ]
    head = "| metric | project |" + (" baseline | Δ |" if base else "")
    lines += [head, "|---|---:|" + ("---:|---:|" if base else "")]
    for name in metric_names(project):
        cells = f"| {name} | {fmt(name, project[name])} |"
        if base:
            cells += (
                f" {fmt(name, base.get(name))} | {fmt_delta(name, project[name], base.get(name))} |"
            )
        lines.append(cells)
    if summary.get("judge"):
        lines += ["", judge_line(summary["judge"])]
    if summary.get("baseline"):
        lines += ["", *side_by_side(rows)]
    lines += [
        "",
        "## By tag",
        "",
        "| tag | n | " + " | ".join(short_name(n) for n in TAG_METRICS) + " |",
        "|---|---:|" + "---:|" * len(TAG_METRICS),
    ]
    for tag, block in summary["project"]["by_tag"].items():
        lines.append(
            f"| {tag} | {block['n']} | "
            + " | ".join(fmt(n, block.get(n)) for n in TAG_METRICS)
            + " |"
        )
    if comparison:
        lines += ["", f"## Against {comparison['previous']}", ""]
        lines += [compare.decisions_line(comparison["decisions"]), ""]
        for name, d in comparison["metrics"].items():
            if d["delta"]:
                lines.append(
                    f"- {name}: {fmt(name, d['before'])} → {fmt(name, d['after'])} ({d['delta']:+.3f})"
                )
        for kind in ("worse", "better"):
            lines += ["", f"### {kind.capitalize()} ({len(comparison[kind])})", ""]
            for e in comparison[kind]:
                changes = ", ".join(f"{k} {v[0]:g}→{v[1]:g}" for k, v in e[kind].items())
                lines.append(f"- **{e['id']}** {e['question']} — {changes}")
    failing = [r for r in rows if r["failed"]]
    lines += ["", f"## Failing cases ({len(failing)} of {len(rows)})", ""]
    for r in failing:
        lines.append(f"- **{r['id']}** {r['question']} — fails {', '.join(r['failed'])}")
    return "\n".join(lines) + "\n"


def judge_line(j: dict) -> str:
    def spread(name: str, block: dict) -> str:
        if block.get(name) is None:
            return f"{name} –"
        return f"{name} {block[name]:.3f} ± {block[f'{name}_spread']:.3f}"

    line = (
        f"LLM judge ({j['model']}, {j['repeats']} runs per case, mean ± spread of the run means): "
        f"{spread('faithfulness', j)}, {spread('correctness', j)}; {j['calls']} calls, "
        f"{j['cached']} cached, {j['parse_failures']} unparseable replies (left out of the means)."
    )
    if j.get("baseline"):
        b = j["baseline"]
        line += f" Baseline: {spread('faithfulness', b)}, {spread('correctness', b)}."
    return line


def side_by_side(rows: list[dict]) -> list[str]:
    """Cases one pipeline passes and the other fails."""
    only_base = [r["id"] for r in rows if r["failed"] and not r["baseline"]["failed"]]
    only_project = [r["id"] for r in rows if not r["failed"] and r["baseline"]["failed"]]
    both = [r["id"] for r in rows if r["failed"] and r["baseline"]["failed"]]
    return [
        f"Per case: {len(only_project)} pass only in the project, {len(only_base)} pass only "
        f"in the baseline, {len(both)} fail in both.",
        "",
        f"- pass only in the baseline: {', '.join(only_base) or 'none'}",
        f"- pass only in the project: {', '.join(only_project) or 'none'}",
    ]


def short_name(name: str) -> str:
    return {
        "key_fact_accuracy": "facts",
        "citation_precision": "cite P",
        "supported_answer_rate": "supported",
        "negative_rejection": "neg. rej.",
        "false_refusal": "false ref.",
    }.get(name, name)

"""The run as Markdown (for a pull request) and as one self-contained HTML page (to read each case).

The HTML page has inline CSS and no scripts or external resources; all text is escaped.
Each case shows its question, answer, citations, the retrieved chunks with the support
quotes highlighted, and the checks it failed; failing cases come first.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher
from html import escape

from .metrics import METRICS, MIN_QUOTE_OVERLAP


def fmt(name: str, value) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} ms" if name.startswith("latency") else f"{value:.3f}"


def fmt_delta(name: str, value, base) -> str:
    if value is None or base is None:
        return "–"
    delta = value - base
    return f"{delta:+.0f} ms" if name.startswith("latency") else f"{delta:+.3f}"


def _names(block: dict) -> list[str]:
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
    for name in _names(project):
        cells = f"| {name} | {fmt(name, project[name])} |"
        if base:
            cells += (
                f" {fmt(name, base.get(name))} | {fmt_delta(name, project[name], base.get(name))} |"
            )
        lines.append(cells)
    if summary.get("judge"):
        j = summary["judge"]
        lines += [
            "",
            f"LLM judge ({j['model']}, {j['repeats']} runs): {j['calls']} calls, "
            f"{j['parse_failures']} unparseable responses (left out of the means).",
        ]
    lines += [
        "",
        "## By tag",
        "",
        "| tag | n | " + " | ".join(_short(n) for n in _tag_metrics(summary)) + " |",
        "|---|---:|" + "---:|" * len(_tag_metrics(summary)),
    ]
    for tag, block in summary["project"]["by_tag"].items():
        lines.append(
            f"| {tag} | {block['n']} | "
            + " | ".join(fmt(n, block.get(n)) for n in _tag_metrics(summary))
            + " |"
        )
    if comparison:
        lines += ["", f"## Against {comparison['previous']}", ""]
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


def _tag_metrics(summary: dict) -> list[str]:
    return [
        "hit@5",
        "mrr@10",
        "key_fact_accuracy",
        "char_f1",
        "citation_precision",
        "grounding",
        "negative_rejection",
        "false_refusal",
    ]


def _short(name: str) -> str:
    return {
        "key_fact_accuracy": "facts",
        "citation_precision": "cite P",
        "negative_rejection": "neg. rej.",
        "false_refusal": "false ref.",
    }.get(name, name)


# --- HTML ---------------------------------------------------------------------------

CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222;line-height:1.5}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}
td:first-child,th:first-child{text-align:left}.up{color:#080}.down{color:#b00}
details{border:1px solid #ddd;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
details.fail{border-left:5px solid #c33}details.pass{border-left:5px solid #3a3}
summary{cursor:pointer}.tag{background:#eef;border-radius:4px;padding:0 .3rem;margin-right:.2rem;font-size:.85em}
.failed{color:#b00;font-weight:bold}.chunk{background:#f7f7f7;padding:.4rem;margin:.3rem 0;white-space:pre-wrap;font-size:.9em}
mark{background:#ffe27a}.meta{color:#666;font-size:.85em}.answer{background:#f0f6ff;padding:.5rem;white-space:pre-wrap}
"""


def _norm_map(text: str) -> tuple[str, list[int]]:
    """The normalised text (NFKC, lower-case, no whitespace) and, per character, its offset in `text`."""
    out, where = [], []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).lower():
            if not c.isspace():
                out.append(c)
                where.append(i)
    return "".join(out), where


def highlight(text: str, quotes: list[str]) -> str:
    """`text` escaped, with each support quote (or its ≥60% contiguous part) in <mark>."""
    norm, where = _norm_map(text)
    spans = []
    for quote in quotes:
        q, _ = _norm_map(quote)
        if not q or not norm:
            continue
        at = norm.find(q)
        if at >= 0:
            spans.append((where[at], where[at + len(q) - 1] + 1))
            continue
        m = SequenceMatcher(None, q, norm, autojunk=False).find_longest_match(
            0, len(q), 0, len(norm)
        )
        if m.size >= MIN_QUOTE_OVERLAP * len(q):
            spans.append((where[m.b], where[m.b + m.size - 1] + 1))
    html, pos = [], 0
    for start, end in sorted(spans):
        start = max(start, pos)
        if start >= end:
            continue
        html += [escape(text[pos:start]), "<mark>", escape(text[start:end]), "</mark>"]
        pos = end
    html.append(escape(text[pos:]))
    return "".join(html)


def _metric_table(summary: dict) -> str:
    project = summary["project"]["metrics"]
    base = (summary.get("baseline") or {}).get("metrics")
    head = (
        "<tr><th>metric</th><th>project</th>"
        + ("<th>baseline</th><th>Δ</th>" if base else "")
        + "<th></th></tr>"
    )
    body = []
    for name in _names(project):
        cells = f"<td>{escape(name)}</td><td>{fmt(name, project[name])}</td>"
        if base:
            delta = (
                None
                if project[name] is None or base.get(name) is None
                else project[name] - base[name]
            )
            good = (
                delta is not None
                and (delta > 0) == METRICS.get(name, ("", True))[1]
                and abs(delta) > 1e-9
            )
            cls = "" if not delta else ("up" if good else "down")
            cells += f"<td>{fmt(name, base.get(name))}</td><td class='{cls}'>{fmt_delta(name, project[name], base.get(name))}</td>"
        cells += f"<td class='meta'>{escape(METRICS.get(name, ('',))[0])}</td>"
        body.append(f"<tr>{cells}</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _tag_table(summary: dict) -> str:
    names = _tag_metrics(summary)
    head = (
        "<tr><th>tag</th><th>n</th>"
        + "".join(f"<th>{escape(_short(n))}</th>" for n in names)
        + "</tr>"
    )
    body = "".join(
        f"<tr><td>{escape(tag)}</td><td>{b['n']}</td>"
        + "".join(f"<td>{fmt(n, b.get(n))}</td>" for n in names)
        + "</tr>"
        for tag, b in summary["project"]["by_tag"].items()
    )
    return f"<table>{head}{body}</table>"


def _case(row: dict) -> str:
    quotes = [s["quote"] for s in row.get("support", [])]
    status = "fail" if row["failed"] else "pass"
    tags = "".join(f"<span class='tag'>{escape(t)}</span>" for t in row.get("tags", []))
    failed = (
        f" <span class='failed'>fails: {escape(', '.join(row['failed']))}</span>"
        if row["failed"]
        else ""
    )
    parts = [
        f"<details class='{status}'><summary><b>{escape(row['id'])}</b> {escape(row['question'])} {tags}{failed}</summary>"
    ]
    if row.get("history"):
        parts.append(
            "<p class='meta'>history: " + " → ".join(escape(h) for h in row["history"]) + "</p>"
        )
    if row.get("error"):
        parts.append(f"<p class='failed'>error: {escape(row['error'])}</p>")
    label = "refused" if row.get("refused") else "answer"
    parts.append(
        f"<p class='meta'>{label}, {row.get('latency_ms', 0):.0f} ms</p><div class='answer'>{escape(row.get('answer', ''))}</div>"
    )
    if row.get("reference_answer"):
        parts.append(
            f"<p class='meta'>reference: {escape(row['reference_answer'])} · key facts: {escape('、'.join(row.get('key_facts', [])))}</p>"
        )
    scores = ", ".join(f"{k} {v:.2f}" for k, v in row["metrics"].items() if v is not None)
    parts.append(f"<p class='meta'>{escape(scores)}</p>")
    if row.get("judge"):
        parts.append(f"<p class='meta'>judge: {escape(str(row['judge']))}</p>")
    if row.get("baseline"):
        b = row["baseline"]
        parts.append(
            f"<p class='meta'>baseline ({'refused' if b['refused'] else 'answer'}; fails: {escape(', '.join(b['failed']) or 'none')}):</p>"
            f"<div class='chunk'>{escape(b['answer'])}</div>"
        )
    for c in row.get("citations", []):
        ok = "" if c.get("supported", True) else " <span class='failed'>(not supported)</span>"
        parts.append(
            f"<p>[{c['n']}] {escape(c['title'])} — {escape(c['source'])}: “{escape(c['quote'])}”{ok}</p>"
        )
    for i, r in enumerate(row.get("retrieved", []), 1):
        parts.append(
            f"<p class='meta'>retrieved {i}: {escape(r['source'])} · score {r['score']:.4f}</p>"
            f"<div class='chunk'>{highlight(r['text'], quotes)}</div>"
        )
    if quotes:
        parts.append("<p class='meta'>support: " + " · ".join(escape(q) for q in quotes) + "</p>")
    parts.append("</details>")
    return "".join(parts)


def html_page(rows: list[dict], summary: dict, comparison: dict | None = None) -> str:
    title = f"Evaluation: {summary['dataset']}"
    parts = [
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1><p class='meta'>{summary['cases']} cases, {escape(summary['mode'])} mode, {escape(summary['created'])}</p>",
        _metric_table(summary),
        "<h2>By tag</h2>",
        _tag_table(summary),
    ]
    if comparison:
        parts.append(f"<h2>Against {escape(comparison['previous'])}</h2><ul>")
        for kind in ("worse", "better"):
            for e in comparison[kind]:
                changes = ", ".join(f"{k} {v[0]:g}→{v[1]:g}" for k, v in e[kind].items())
                parts.append(
                    f"<li class='{'down' if kind == 'worse' else 'up'}'>{kind}: <b>{escape(e['id'])}</b> {escape(e['question'])} — {escape(changes)}</li>"
                )
        parts.append("</ul>")
    ordered = sorted(rows, key=lambda r: (not r["failed"], r["id"]))
    failing = sum(bool(r["failed"]) for r in rows)
    parts.append(f"<h2>Cases ({failing} failing of {len(rows)}, failing first)</h2>")
    parts += [_case(r) for r in ordered]
    parts.append("</body></html>")
    return "\n".join(parts)

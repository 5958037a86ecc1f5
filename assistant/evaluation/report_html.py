"""The run as one self-contained HTML page, to read each case.

Inline CSS, no scripts or external resources; all text is escaped. Each case shows its
question, answer, citations, the retrieved chunks with the support quotes highlighted
(and the cited spans underlined), and the checks it failed; failing cases come first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from difflib import SequenceMatcher
from html import escape

from . import compare
from .metrics import JUDGE_METRICS, METRICS, MIN_QUOTE_OVERLAP
from .report import TAG_METRICS, fmt, fmt_delta, judge_line, metric_names, short_name, side_by_side

_ALL = {**METRICS, **JUDGE_METRICS}

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


def _support_spans(norm: str, where: list[int], quotes: list[str]) -> list[tuple[int, int]]:
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
    return spans


def highlight(text: str, quotes: list[str], cited: Sequence[tuple[int, int]] = ()) -> str:
    """`text` escaped: each support quote (or its ≥60% contiguous part) in <mark>, cited spans in <u>."""
    norm, where = _norm_map(text)
    support = [False] * len(text)
    for a, b in _support_spans(norm, where, quotes):
        support[a:b] = [True] * (b - a)
    quoted = [False] * len(text)
    for a, b in cited:
        a, b = max(a, 0), min(b, len(text))
        quoted[a:b] = [True] * max(b - a, 0)
    html, pos = [], 0
    while pos < len(text):
        flags = (support[pos], quoted[pos])
        end = pos
        while end < len(text) and (support[end], quoted[end]) == flags:
            end += 1
        piece = escape(text[pos:end])
        if flags[1]:
            piece = f"<u>{piece}</u>"
        if flags[0]:
            piece = f"<mark>{piece}</mark>"
        html.append(piece)
        pos = end
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
    for name in metric_names(project):
        cells = f"<td>{escape(name)}</td><td>{fmt(name, project[name])}</td>"
        if base:
            delta = (
                None
                if project[name] is None or base.get(name) is None
                else project[name] - base[name]
            )
            good = (
                delta is not None
                and (delta > 0) == _ALL.get(name, ("", True))[1]
                and abs(delta) > 1e-9
            )
            cls = "" if not delta else ("up" if good else "down")
            cells += f"<td>{fmt(name, base.get(name))}</td><td class='{cls}'>{fmt_delta(name, project[name], base.get(name))}</td>"
        cells += f"<td class='meta'>{escape(_ALL.get(name, ('',))[0])}</td>"
        body.append(f"<tr>{cells}</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _tag_table(summary: dict) -> str:
    names = TAG_METRICS
    head = (
        "<tr><th>tag</th><th>n</th>"
        + "".join(f"<th>{escape(short_name(n))}</th>" for n in names)
        + "</tr>"
    )
    body = "".join(
        f"<tr><td>{escape(tag)}</td><td>{b['n']}</td>"
        + "".join(f"<td>{fmt(n, b.get(n))}</td>" for n in names)
        + "</tr>"
        for tag, b in summary["project"]["by_tag"].items()
    )
    return f"<table>{head}{body}</table>"


def _scores(scores: dict, failed: list[str]) -> str:
    cells = [
        f"<span class='{'failed' if k in failed else ''}'>{escape(k)} {v:.2f}</span>"
        for k, v in scores.items()
        if v is not None
    ]
    return "<p class='meta'>" + " · ".join(cells) + "</p>"


def _judge(j: dict) -> str:
    parts = []
    for name in ("faithfulness", "correctness"):
        if j.get(name) is not None:
            runs = ", ".join("–" if v is None else f"{v:.2f}" for v in j.get(f"{name}_runs") or [])
            parts.append(f"{name} {j[name]:.2f} ± {j[f'{name}_spread']:.2f} (runs {runs})")
    if j.get("parse_failures"):
        parts.append(f"{j['parse_failures']} unparseable replies")
    return "<p class='meta'>LLM judge: " + escape("; ".join(parts) or "not judged") + "</p>"


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
        f"<details class='{status}' id='{escape(row['id'])}'><summary><b>{escape(row['id'])}</b> "
        f"{escape(row['question'])} {tags}{failed}</summary>"
    ]
    if row.get("history"):
        parts.append(
            "<p class='meta'>history: " + " → ".join(escape(h) for h in row["history"]) + "</p>"
        )
    if row.get("standalone_question") and row["standalone_question"] != row["question"]:
        parts.append(f"<p class='meta'>asked as: {escape(row['standalone_question'])}</p>")
    if row.get("error"):
        parts.append(f"<p class='failed'>error: {escape(row['error'])}</p>")
    label = "refused" if row.get("refused") else "answer"
    expected = "" if row.get("answerable", True) else " (should refuse)"
    parts.append(
        f"<p class='meta'>{label}{expected}, {row.get('latency_ms', 0):.0f} ms</p>"
        f"<div class='answer'>{escape(row.get('answer', ''))}</div>"
    )
    if row.get("notice"):
        parts.append(f"<p class='meta'>notice: {escape(row['notice'])}</p>")
    if row.get("reference_answer") or row.get("key_facts"):
        parts.append(
            f"<p class='meta'>reference: {escape(row.get('reference_answer') or '–')} · "
            f"key facts: {escape('、'.join(row.get('key_facts', [])) or '–')}</p>"
        )
    parts.append(_scores(row["metrics"], row["failed"]))
    if row.get("judge"):
        parts.append(_judge(row["judge"]))
    if row.get("baseline"):
        b = row["baseline"]
        parts.append(
            f"<p class='meta'>baseline ({'refused' if b['refused'] else 'answer'}; "
            f"fails: {escape(', '.join(b['failed']) or 'none')}):</p>"
            f"<div class='chunk'>{escape(b['answer'])}</div>"
        )
    for c in row.get("citations", []):
        ok = "" if c.get("supported", True) else " <span class='failed'>(not supported)</span>"
        parts.append(
            f"<p>[{c['n']}] {escape(c['title'])} — {escape(c['source'])}: "
            f"“{escape(c['quote'])}”{ok}</p>"
        )
    spans: dict[int, list[tuple[int, int]]] = {}
    for c in row.get("citations", []):
        spans.setdefault(c["n"], []).append((c["start"], c["end"]))
    for i, r in enumerate(row.get("retrieved", []), 1):
        cited = " · <b>cited</b> (quote underlined)" if i in spans else ""
        parts.append(
            f"<p class='meta'>[{i}] {escape(r['source'])} · score {r['score']:.4f}{cited}</p>"
            f"<div class='chunk'>{highlight(r['text'], quotes, spans.get(i, []))}</div>"
        )
    if quotes:
        parts.append(
            "<p class='meta'>support (<mark>highlighted</mark> where retrieved): "
            + " · ".join(escape(q) for q in quotes)
            + "</p>"
        )
    parts.append("</details>")
    return "".join(parts)


def html_page(rows: list[dict], summary: dict, comparison: dict | None = None) -> str:
    title = f"Evaluation: {summary['dataset']}"
    parts = [
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1><p class='meta'>{summary['cases']} cases, {escape(summary['mode'])} mode, {escape(summary['created'])}</p>",
        _metric_table(summary),
    ]
    if summary.get("judge"):
        parts.append(f"<p>{escape(judge_line(summary['judge']))}</p>")
    if summary.get("baseline"):
        parts.append("<p>" + "<br>".join(escape(ln) for ln in side_by_side(rows) if ln) + "</p>")
    parts += [
        "<h2>By tag</h2>",
        _tag_table(summary),
    ]
    if comparison:
        parts.append(f"<h2>Against {escape(comparison['previous'])}</h2>")
        line = compare.decisions_line(comparison["decisions"])
        parts.append(f"<p class='meta'>{escape(line)}</p>")
        moved = [
            f"{name} {fmt(name, d['before'])} → {fmt(name, d['after'])} ({d['delta']:+.3f})"
            for name, d in comparison["metrics"].items()
            if d["delta"]
        ]
        parts.append(f"<p class='meta'>{escape(' · '.join(moved) or 'no metric moved')}</p><ul>")
        for kind in ("worse", "better"):
            for e in comparison[kind]:
                changes = ", ".join(f"{k} {v[0]:g}→{v[1]:g}" for k, v in e[kind].items())
                new = " (newly failing)" if e["id"] in comparison["newly_failing"] else ""
                parts.append(
                    f"<li class='{'down' if kind == 'worse' else 'up'}'>{kind}{new}: "
                    f"<a href='#{escape(e['id'])}'><b>{escape(e['id'])}</b></a> "
                    f"{escape(e['question'])} — {escape(changes)}</li>"
                )
        parts.append("</ul>")
    ordered = sorted(rows, key=lambda r: (not r["failed"], r["id"]))
    failing = sum(bool(r["failed"]) for r in rows)
    parts.append(f"<h2>Cases ({failing} failing of {len(rows)}, failing first)</h2>")
    parts += [_case(r) for r in ordered]
    parts.append("</body></html>")
    return "\n".join(parts)

"""What users tell us about answers, and conversations as Markdown.

Thumbs up/down in the chat write one line to `data_dir/feedback.jsonl` in the format
of the eval datasets (`evals/datasets/*.jsonl`), so rated answers can be reviewed and
merged into a question set: a thumbs-up answer becomes the reference answer. A rated
answer has one line, whose id comes from (owner, conversation, turn): changing the
vote replaces it, taking the vote back removes it (`save_feedback`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.schema import Answer, Citation

_MARKER = re.compile(r"\s*\[\d+\]")
_lock = threading.Lock()


def feedback_id(*parts: str | int) -> str:
    """The stable id of one rated answer, e.g. from (owner, conversation id, turn)."""
    return "fb-" + hashlib.sha256("\x00".join(map(str, parts)).encode()).hexdigest()[:12]


def feedback_record(
    answer: Answer, history: list[str], liked: bool, record_id: str | None = None
) -> dict[str, Any]:
    """One eval-dataset line for a rated answer, with the verdict and when it was given."""
    verdict = "up" if liked else "down"
    support, seen = [], set()
    for c in answer.citations:
        if (c.source, c.quote) not in seen:
            seen.add((c.source, c.quote))
            support.append({"source": c.source, "quote": c.quote})
    return {
        "id": record_id or f"fb-{uuid.uuid4().hex[:12]}",
        "question": answer.question,
        "history": list(history),
        "answerable": not answer.refused,
        "key_facts": [],
        "support": support,
        "reference_answer": _MARKER.sub("", answer.answer).strip() if liked else "",
        "tags": ["feedback", verdict],
        "verdict": verdict,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def append_feedback(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _lock, path.open("a", encoding="utf-8") as fh:
        fh.write(line)


def save_feedback(path: Path, record_id: str, record: dict[str, Any] | None) -> None:
    """Put `record` in place of the line with `record_id` (appended if new; None removes it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        kept, replaced = [], False
        for line in lines:
            try:
                same = json.loads(line).get("id") == record_id
            except (ValueError, AttributeError):
                same = False
            if not same:
                kept.append(line)
            elif record is not None and not replaced:
                kept.append(json.dumps(record, ensure_ascii=False))
                replaced = True
        if record is not None and not replaced:
            kept.append(json.dumps(record, ensure_ascii=False))
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        tmp.replace(path)


def conversation_markdown(answers: list[Answer], labels: dict[str, str]) -> str:
    """The conversation with each answer's citations as a Markdown document.

    `labels` holds the headings in the interface language: title, question, answer, sources.
    """
    lines = [f"# {labels['title']}", ""]
    for i, a in enumerate(answers, 1):
        lines += [f"## {i}. {labels['question']}: {_inline(a.question)}", ""]
        if a.standalone_question.strip() != a.question.strip():
            lines += [f"> {_inline(a.standalone_question)}", ""]
        if a.notice:
            lines += [f"*{_inline(a.notice)}*", ""]
        lines += [f"**{labels['answer']}:** {a.answer.strip()}", ""]
        cited: dict[int, list[Citation]] = {}
        for c in a.citations:
            cited.setdefault(c.n, []).append(c)
        if cited:
            lines += [f"**{labels['sources']}:**", ""]
            for n, group in sorted(cited.items()):
                quotes = " … ".join(f"“{_inline(c.quote)}”" for c in group)
                lines.append(f"- [{n}] {_inline(group[0].title)} — `{group[0].source}`: {quotes}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _inline(text: str) -> str:
    return " ".join((text or "").split())

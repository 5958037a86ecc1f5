"""What users tell us about answers, and conversations as Markdown.

Thumbs up/down in the chat append one line to `data_dir/feedback.jsonl` in the format
of the eval datasets (`evals/datasets/*.jsonl`), so rated answers can be reviewed and
merged into a question set: a thumbs-up answer becomes the reference answer.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from assistant.schema import Answer

_MARKER = re.compile(r"\s*\[\d+\]")
_lock = threading.Lock()


def feedback_record(answer: Answer, history: list[str], liked: bool) -> dict:
    """One eval-dataset line for a rated answer, with the verdict and when it was given."""
    verdict = "up" if liked else "down"
    support, seen = [], set()
    for c in answer.citations:
        if (c.source, c.quote) not in seen:
            seen.add((c.source, c.quote))
            support.append({"source": c.source, "quote": c.quote})
    return {
        "id": f"fb-{uuid.uuid4().hex[:12]}",
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


def append_feedback(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _lock, path.open("a", encoding="utf-8") as fh:
        fh.write(line)


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
        cited: dict[int, list] = {}
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

"""An LLM judge: claim-level faithfulness and correctness, through any OpenAI-compatible endpoint.

Each prompt (`prompts/judge_*.{zh,en}.md`) asks for one JSON object at temperature 0, and
the model is asked for it through `with_structured_output` (the JSON schema of the verdict
as `response_format`); the raw reply is kept, and parsed here, so a model that wraps the
object in a code fence or chatter still counts.
Every response is cached on disk by the hash of (model, prompt, repeat number), so a
re-run makes no calls. Each case is judged `repeats` times; we report the mean and the
spread. A response that is not the JSON asked for is a parse failure: counted apart,
left out of the means, never scored as 0.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.progress import Progress

from assistant.answering import prompts
from assistant.answering.llm import explain, make_chat_model
from assistant.text.segmentation import is_chinese

from ..settings import LLMSettings

_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class ParseError(ValueError):
    pass


class ClaimVerdict(BaseModel):
    claim: str
    supported: bool


class Faithfulness(BaseModel):
    """The faithfulness verdict: each claim of the answer, supported by the sources or not."""

    claims: list[ClaimVerdict]


class FactVerdict(BaseModel):
    fact: str
    present: bool


class Correctness(BaseModel):
    """The correctness verdict: each key fact, present in the answer or not."""

    facts: list[FactVerdict]
    contradiction: bool


SCHEMAS: dict[str, type[BaseModel]] = {"claims": Faithfulness, "facts": Correctness}


def parse_json(text: str, key: str, flag: str) -> list[bool]:
    """The booleans `flag` of the list `key` in a JSON reply (code fences and chatter tolerated)."""
    text = _FENCE.sub("", text.strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ParseError("no JSON object in the reply")
    try:
        data = json.loads(text[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc.msg}") from exc
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get(flag), bool) for i in items
    ):
        raise ParseError(f"expected {{{key!r}: [{{..., {flag!r}: true|false}}]}}")
    return [i[flag] for i in items]


class Judge:
    def __init__(self, settings: LLMSettings, cache_dir: Path, repeats: int = 3) -> None:
        self.settings = settings
        self.model_name = settings.model
        self.model = make_chat_model(settings, streaming=False, temperature=0)
        self.cache_dir = cache_dir
        self.repeats = max(1, repeats)
        self.calls = self.cached = self.parse_failures = 0

    def complete(self, messages: list[tuple[str, str]], repeat: int, key_name: str = "") -> str:
        key = hashlib.sha256(
            json.dumps([self.model_name, messages, repeat], ensure_ascii=False).encode()
        ).hexdigest()
        path = self.cache_dir / key[:2] / f"{key}.json"
        if path.is_file():
            self.cached += 1
            return json.loads(path.read_text(encoding="utf-8"))["text"]
        chat = [("system" if role == "system" else "human", t) for role, t in messages]
        model = (
            # The schema as a dict, not the class: the openai client would validate a class
            # itself and raise on a fenced reply that `parse_json` below still reads.
            self.model.with_structured_output(
                SCHEMAS[key_name].model_json_schema(), method="json_schema", include_raw=True
            )
            if key_name in SCHEMAS
            else self.model
        )
        try:
            out = model.invoke(chat)
        except Exception as exc:  # the openai client raises many types
            raise explain(exc, self.settings) from exc
        reply: Any = out["raw"] if isinstance(out, dict) else out
        self.calls += 1
        text = (
            reply.content
            if isinstance(reply.content, str)
            else json.dumps(reply.content, ensure_ascii=False)
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"model": self.model_name, "text": text}, ensure_ascii=False),
            encoding="utf-8",
        )
        tmp.replace(path)
        return text

    def _scores(self, messages, key: str, flag: str) -> list[float | None]:
        out: list[float | None] = []
        for repeat in range(self.repeats):
            try:
                flags = parse_json(self.complete(messages, repeat, key), key, flag)
            except ParseError:
                self.parse_failures += 1
                out.append(None)
                continue
            out.append(sum(flags) / len(flags) if flags else None)
        return out

    def faithfulness(self, row: dict) -> list[float | None]:
        lang = "zh" if is_chinese(row["question"]) else "en"
        sources = [{"n": i, "text": r["text"]} for i, r in enumerate(row.get("retrieved", []), 1)]
        messages = prompts.render(
            "judge_faithfulness",
            lang,
            sources=sources,
            question=_question(row),
            answer=row["answer"],
        )
        return self._scores(messages, "claims", "supported")

    def correctness(self, row: dict) -> list[float | None]:
        lang = "zh" if is_chinese(row["question"]) else "en"
        facts = row.get("key_facts") or [row.get("reference_answer", "")]
        messages = prompts.render(
            "judge_correctness",
            lang,
            question=_question(row),
            reference=row.get("reference_answer", ""),
            facts=facts,
            answer=row["answer"],
        )
        return self._scores(messages, "facts", "present")


def _question(row: dict) -> str:
    """The question as the assistant understood it (a follow-up with its context)."""
    return row.get("standalone_question") or row["question"]


def _stats(values: list[float | None]) -> tuple[float | None, float | None]:
    got = [v for v in values if v is not None]
    if not got:
        return None, None
    return statistics.fmean(got), (statistics.pstdev(got) if len(got) > 1 else 0.0)


def apply(
    judge: Judge, rows: list[dict], console: Console | None = None, label: str = "judge   "
) -> dict:
    """Judge every answer; adds `judge` and the judge_* metrics to each row; returns the run totals."""
    calls, cached, parse_failures = judge.calls, judge.cached, judge.parse_failures
    per_repeat: dict[str, list[list[float]]] = {
        "faithfulness": [[] for _ in range(judge.repeats)],
        "correctness": [[] for _ in range(judge.repeats)],
    }
    with Progress(console=console or Console(stderr=True)) as bar:
        task = bar.add_task(label, total=len(rows))
        for row in rows:
            result: dict = {}
            failures_before = judge.parse_failures
            answered = bool(row.get("answer")) and not row.get("refused")
            runs: dict[str, list[float | None] | None] = {
                "faithfulness": judge.faithfulness(row) if answered else None,
                "correctness": (judge.correctness(row) if answered else [0.0] * judge.repeats)
                if row.get("answerable") and (row.get("key_facts") or row.get("reference_answer"))
                else None,
            }
            for name, values in runs.items():
                mean, spread = _stats(values) if values is not None else (None, None)
                result[name], result[f"{name}_spread"] = mean, spread
                result[f"{name}_runs"] = values
                row["metrics"][f"judge_{name}"] = mean
                for i, v in enumerate(values or []):
                    if v is not None:
                        per_repeat[name][i].append(v)
            result["parse_failures"] = judge.parse_failures - failures_before
            row["judge"] = result
            bar.update(task, advance=1)
    totals: dict = {
        "model": judge.model_name,
        "repeats": judge.repeats,
        "calls": judge.calls - calls,
        "cached": judge.cached - cached,
        "parse_failures": judge.parse_failures - parse_failures,
    }
    for name, repeats in per_repeat.items():
        means = [statistics.fmean(r) for r in repeats if r]
        totals[name] = statistics.fmean(means) if means else None
        totals[f"{name}_spread"] = (
            statistics.pstdev(means) if len(means) > 1 else 0.0 if means else None
        )
    return totals

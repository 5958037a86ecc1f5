"""Load and check a JSONL question set: strict on what is there, tolerant of what is missing.

One JSON object per line. `id` and `question` are required; everything else is optional
(`history`, `answerable`, `key_facts`, `support` [{source, quote}], `reference_answer`,
`tags`). A first line `{"_meta": {"docs": "folder"}}` may name the documents the set is
about, relative to the dataset file. Errors name the line and what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError


@dataclass(frozen=True)
class Support:
    source: str
    quote: str


@dataclass
class Case:
    id: str
    question: str
    history: list[str] = field(default_factory=list)
    answerable: bool = True
    key_facts: list[str] = field(default_factory=list)
    support: list[Support] = field(default_factory=list)
    reference_answer: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass
class Dataset:
    path: Path
    cases: list[Case]
    docs: Path | None = None  # the folder the dataset names, if any


def _str_list(value, name: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(
            f"{where}: `{name}` must be a list of strings, got {json.dumps(value, ensure_ascii=False)[:80]}"
        )
    return list(value)


def parse_case(obj: object, where: str) -> Case:
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    for name in ("id", "question"):
        if name not in obj:
            raise InputError(f"{where}: missing required field `{name}`")
        if not isinstance(obj[name], str) or not obj[name].strip():
            raise InputError(f"{where}: `{name}` must be a non-empty string")
    history = _str_list(obj.get("history") or [], "history", where)
    key_facts = _str_list(obj.get("key_facts") or [], "key_facts", where)
    tags = _str_list(obj.get("tags") or [], "tags", where)
    support_raw = obj.get("support") or []
    if not isinstance(support_raw, list):
        raise InputError(f"{where}: `support` must be a list of {{source, quote}} objects")
    support = []
    for i, s in enumerate(support_raw):
        if not isinstance(s, dict) or not isinstance(s.get("quote"), str) or not s["quote"].strip():
            raise InputError(
                f"{where}: support[{i}] must be an object with a non-empty string `quote`"
            )
        source = s.get("source", "")
        if not isinstance(source, str):
            raise InputError(f"{where}: support[{i}].source must be a string (a file name)")
        support.append(Support(source=source, quote=s["quote"]))
    reference = obj.get("reference_answer") or ""
    if not isinstance(reference, str):
        raise InputError(f"{where}: `reference_answer` must be a string")
    answerable = obj.get("answerable")
    if answerable is None:
        answerable = "unanswerable" not in tags
    elif not isinstance(answerable, bool):
        raise InputError(f"{where}: `answerable` must be true or false")
    return Case(
        id=obj["id"],
        question=obj["question"],
        history=history,
        answerable=answerable,
        key_facts=key_facts,
        support=support,
        reference_answer=reference,
        tags=tags,
    )


def load(path: Path) -> Dataset:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no dataset at {path}: pass --dataset PATH to a JSONL file")
    cases: list[Case] = []
    docs: Path | None = None
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}, line {lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{where}: invalid JSON ({exc.msg} at column {exc.colno})"
                ) from exc
            if isinstance(obj, dict) and "_meta" in obj:
                meta = obj["_meta"]
                if not isinstance(meta, dict) or not isinstance(meta.get("docs", ""), str):
                    raise InputError(f'{where}: `_meta` must look like {{"docs": "folder"}}')
                if meta.get("docs"):
                    docs = (path.parent / meta["docs"]).resolve()
                continue
            case = parse_case(obj, where)
            if case.id in seen:
                raise InputError(
                    f"{where}: duplicate id {case.id!r} (first on line {seen[case.id]})"
                )
            seen[case.id] = lineno
            cases.append(case)
    if not cases:
        raise InputError(f"{path} holds no cases: expected one JSON object per line")
    return Dataset(path=path, cases=cases, docs=docs)

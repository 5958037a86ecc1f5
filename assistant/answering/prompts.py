"""Prompts are data files under `prompts/`, rendered by LangChain's `ChatPromptTemplate`.

A file `NAME.LANG.md` holds sections headed `## system`, `## user` (chat prompts) or
`## text` (plain text), written in Jinja (LangChain's `jinja2` template format, with
explicit whitespace control). `template()` builds the `ChatPromptTemplate` of a chat
prompt; `check()` fails on a missing prompt, a missing variable, or a variable the
template does not use, so a prompt and its caller cannot drift apart.

The files ship inside the wheel as `assistant/_prompts` (hatch `force-include`); from a
source checkout, where that folder does not exist, they are read from `prompts/`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, StrictUndefined, Template, meta

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.prompts import ChatPromptTemplate


def _prompts_dir() -> Traversable:
    packaged = files("assistant") / "_prompts"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "prompts"  # a source checkout


PROMPTS_DIR: Traversable = _prompts_dir()
_SECTION = re.compile(r"^## (system|user|text)\s*$", re.MULTILINE)
_ROLES = {"system": "system", "user": "human"}  # file section -> LangChain message role
_env = Environment(undefined=StrictUndefined)  # the settings LangChain's jinja2 format uses


@lru_cache(maxsize=64)
def _load(name: str, lang: str) -> tuple[tuple[str, str, frozenset[str]], ...]:
    path = PROMPTS_DIR / f"{name}.{lang}.md"
    if not path.is_file():
        raise ConfigError(f"prompt file {path} is missing; restore it from the repository")
    parts = _SECTION.split(path.read_text(encoding="utf-8"))
    sections = []
    for role, body in zip(parts[1::2], parts[2::2], strict=True):
        body = body.strip("\n")
        variables = frozenset(meta.find_undeclared_variables(_env.parse(body)))
        sections.append((role, body, variables))
    if not sections:
        raise ConfigError(f"prompt file {path} has no '## system', '## user' or '## text' section")
    return tuple(sections)


def variables(name: str, lang: str) -> set[str]:
    return set().union(*(v for _, _, v in _load(name, lang)))


def check(name: str, lang: str, values: dict[str, Any]) -> dict[str, Any]:
    """`values`, when they are exactly the variables of the prompt; else a `ConfigError`."""
    expected = variables(name, lang)
    unknown = set(values) - expected
    if unknown:
        raise ConfigError(
            f"prompt {name}.{lang} does not use {sorted(unknown)}; it takes {sorted(expected)}"
        )
    missing = expected - set(values)
    if missing:
        raise ConfigError(f"prompt {name}.{lang} needs {sorted(missing)}")
    return values


@lru_cache(maxsize=64)
def template(name: str, lang: str) -> ChatPromptTemplate:
    """The chat prompt as a `ChatPromptTemplate` (input variables: those of the file)."""
    from langchain_core.prompts import ChatPromptTemplate

    sections = _load(name, lang)
    if any(role not in _ROLES for role, _, _ in sections):
        raise ConfigError(f"prompt {name}.{lang} is a text prompt, not a chat prompt")
    return ChatPromptTemplate.from_messages(
        [(_ROLES[role], body) for role, body, _ in sections], template_format="jinja2"
    )


@lru_cache(maxsize=64)
def _text_template(name: str, lang: str) -> Template:
    return _env.from_string(_load(name, lang)[0][1])


def render(name: str, lang: str, **values: Any) -> list[tuple[str, str]]:
    """[(role, text)] for a chat prompt (through its `ChatPromptTemplate`), or [("text", text)]."""
    check(name, lang, values)
    sections = _load(name, lang)
    if sections[0][0] == "text":
        return [("text", _text_template(name, lang).render(**values).strip())]
    roles = [role for role, _, _ in sections]
    messages = template(name, lang).format_messages(**values)
    return [(role, str(m.content).strip()) for role, m in zip(roles, messages, strict=True)]


def render_text(name: str, lang: str, **values: Any) -> str:
    return render(name, lang, **values)[0][1]


def available() -> list[tuple[str, str]]:
    """(name, lang) of every prompt file."""
    names = (p.name[: -len(".md")] for p in PROMPTS_DIR.iterdir() if p.name.endswith(".md"))
    return sorted((n.rsplit(".", 1)[0], n.rsplit(".", 1)[1]) for n in names if "." in n)

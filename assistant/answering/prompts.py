"""Prompts are data files under `prompts/`, rendered with Jinja's StrictUndefined.

A file `NAME.LANG.md` holds sections headed `## system`, `## user` (chat prompts) or
`## text` (plain text). `render()` fails on a missing prompt, a missing variable, or a
variable the template does not use, so a prompt and its caller cannot drift apart.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import Environment, StrictUndefined, Template, meta

from assistant.errors import ConfigError
from assistant.settings import PROJECT_DIR

PROMPTS_DIR = PROJECT_DIR / "prompts"
_SECTION = re.compile(r"^## (system|user|text)\s*$", re.MULTILINE)
_env = Environment(
    undefined=StrictUndefined, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True
)


@lru_cache(maxsize=64)
def _load(name: str, lang: str) -> tuple[tuple[str, Template, frozenset[str]], ...]:
    path = PROMPTS_DIR / f"{name}.{lang}.md"
    if not path.exists():
        raise ConfigError(f"prompt file {path} is missing; restore it from the repository")
    source = path.read_text(encoding="utf-8")
    parts = _SECTION.split(source)
    sections = []
    for role, body in zip(parts[1::2], parts[2::2], strict=True):
        body = body.strip("\n")
        variables = frozenset(meta.find_undeclared_variables(_env.parse(body)))
        sections.append((role, _env.from_string(body), variables))
    if not sections:
        raise ConfigError(f"prompt file {path} has no '## system', '## user' or '## text' section")
    return tuple(sections)


def variables(name: str, lang: str) -> set[str]:
    return set().union(*(v for _, _, v in _load(name, lang)))


def render(name: str, lang: str, **values) -> list[tuple[str, str]]:
    """[(role, text)] for a chat prompt, or [("text", text)]."""
    expected = variables(name, lang)
    unknown = set(values) - expected
    if unknown:
        raise ConfigError(
            f"prompt {name}.{lang} does not use {sorted(unknown)}; it takes {sorted(expected)}"
        )
    missing = expected - set(values)
    if missing:
        raise ConfigError(f"prompt {name}.{lang} needs {sorted(missing)}")
    return [(role, template.render(**values).strip()) for role, template, _ in _load(name, lang)]


def render_text(name: str, lang: str, **values) -> str:
    return render(name, lang, **values)[0][1]


def available() -> list[tuple[str, str]]:
    """(name, lang) of every prompt file."""
    return sorted(tuple(p.name[: -len(".md")].rsplit(".", 1)) for p in PROMPTS_DIR.glob("*.*.md"))  # type: ignore[misc]

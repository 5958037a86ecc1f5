"""Prompt files: every one loads and renders; wrong variables fail loudly."""

from __future__ import annotations

import pytest

from assistant.answering import prompts
from assistant.errors import ConfigError

SAMPLE = {
    "sources": [{"n": 1, "title": "瑞金医院", "source": "002.txt", "text": "一期规划床位400张。"}],
    "question": "一期规划多少张床位？",
    "no_answer": "NO_ANSWER",
    "history": ["瑞金医院金山院区一期规划多少张床位？"],
    "topics": "《瑞金医院》",
}


def test_every_prompt_file_is_listed():
    files = sorted(p.name for p in prompts.PROMPTS_DIR.iterdir() if p.name.endswith(".md"))
    assert [f"{n}.{lang}.md" for n, lang in prompts.available()] == files
    assert {n for n, _ in prompts.available()} >= {"answer", "condense", "refusal"}


@pytest.mark.parametrize("name, lang", prompts.available())
def test_every_prompt_renders(name, lang):
    needed = prompts.variables(name, lang)
    assert needed, f"{name}.{lang} takes no variables"
    parts = prompts.render(name, lang, **{k: SAMPLE.get(k, "示例文本") for k in needed})
    assert parts and all(text.strip() for _, text in parts)
    assert all(role in {"system", "user", "text"} for role, _ in parts)
    for _, text in parts:
        assert "{{" not in text and "{%" not in text


def test_answer_prompt_holds_the_sources_and_question():
    parts = dict(
        prompts.render(
            "answer",
            "zh",
            sources=SAMPLE["sources"],
            question=SAMPLE["question"],
            no_answer=SAMPLE["no_answer"],
        )
    )
    assert (
        "[1]" in parts["user"]
        and "一期规划床位400张。" in parts["user"]
        and SAMPLE["question"] in parts["user"]
    )
    assert "NO_ANSWER" in parts["system"]


def test_refusal_with_and_without_topics():
    assert "《瑞金医院》" in prompts.render_text("refusal", "zh", topics="《瑞金医院》")
    assert "最接近" not in prompts.render_text("refusal", "zh", topics="")


def test_missing_variable_raises():
    with pytest.raises(ConfigError, match="needs"):
        prompts.render("answer", "zh", question="问", no_answer="拒")


def test_unknown_variable_raises():
    with pytest.raises(ConfigError, match="does not use"):
        prompts.render("refusal", "zh", topics="", extra="x")


def test_missing_prompt_file_raises():
    with pytest.raises(ConfigError, match="missing"):
        prompts.render("nonexistent", "zh")
    with pytest.raises(ConfigError):
        prompts.render("answer", "fr")


def test_file_without_sections_raises(tmp_path, monkeypatch):
    (tmp_path / "broken.zh.md").write_text("no sections here {{ x }}", encoding="utf-8")
    monkeypatch.setattr(prompts, "PROMPTS_DIR", tmp_path)
    prompts._load.cache_clear()  # the test swaps the folder the cache read
    try:
        with pytest.raises(ConfigError, match="section"):
            prompts.render("broken", "zh", x=1)
    finally:
        prompts._load.cache_clear()

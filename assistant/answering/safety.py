"""Documents are data, never instructions: flags for text that tries to steer the assistant.

Two checks, both reported as warnings and never silently acted on:

- `instruction_spans()` finds sentences that read like instructions to a model ("忽略之前的
  指令", "ignore previous instructions", "你现在是…", "system prompt"). Ingest stores how
  many a document holds, so the document view can say so; an answer whose sources (or
  whose own text) hold one gets a warning.
- `disagreements()` finds cited sources that give different values for what was asked
  ("sources disagree: 400张 [1], 9999张 [2]"): a planted or outdated document then shows
  beside the real value instead of passing as one more citation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.schema import Citation
from assistant.text.instructions import as_data, has_instruction, instruction_spans
from assistant.text.segmentation import is_chinese

# A value with its unit: 400张, 228亩, 1.5万平方米, 12%. The unit is what makes two
# values comparable (400张 and 9999张 answer the same "how many beds").
_UNITS = "张|个|人|名|家|所|亩|元|万元|亿元|平方米|米|公里|项|台|次|年|岁|床|层|座|户|吨|%|％"
_VALUE = re.compile(rf"(\d+(?:[.,]\d+)?)\s*(万|亿)?\s*({_UNITS})")
_ASKED_UNIT = re.compile(rf"(?:多少|几)\s*(万|亿)?\s*({_UNITS})")
# Questions asking for several values ("一期和二期分别…") expect different numbers.
_SEVERAL = re.compile(r"分别|各|和|与|及|以及|\band\b|\beach\b|\brespectively\b", re.I)


def disagreements(question: str, citations: Iterable[Citation]) -> list[str]:
    """ "400张 [1], 9999张 [2]" per unit where different sources give different values."""
    if _SEVERAL.search(question):
        return []
    asked = _ASKED_UNIT.search(question)
    by_unit: dict[str, dict[str, list[int]]] = {}
    sources: dict[str, set[str]] = {}
    for c in citations:
        for m in _VALUE.finditer(c.quote or c.text):
            unit = m.group(3)
            if asked and unit != asked.group(2):
                continue
            value = m.group(1).replace(",", "") + (m.group(2) or "")
            by_unit.setdefault(unit, {}).setdefault(value, []).append(c.n)
            sources.setdefault(unit, set()).add(c.source)
    found = []
    for unit, values in by_unit.items():
        if len(values) > 1 and len(sources[unit]) > 1:
            found.append(
                ", ".join(
                    f"{v}{unit} " + "".join(f"[{n}]" for n in sorted(set(ns)))
                    for v, ns in values.items()
                )
            )
    return found


def answer_warnings(question: str, answer: str, citations: list[Citation]) -> list[str]:
    """What the reader should know before trusting an answer (in the question's language)."""
    zh = is_chinese(question)
    warnings = []
    for found in disagreements(question, citations):
        warnings.append(f"资料说法不一致：{found}" if zh else f"sources disagree: {found}")
    steering = sorted({c.n for c in citations if has_instruction(c.text)})
    if steering:
        marks = "".join(f"[{n}]" for n in steering)
        warnings.append(
            f"资料 {marks} 含有像是给助手下指令的文字，已当作普通资料处理，请核对原文"
            if zh
            else f"source {marks} holds text that reads like an instruction to the assistant; "
            "it was treated as data: check the original"
        )
    if has_instruction(answer) and not steering:
        warnings.append(
            "回答中含有像是指令的文字，请核对原文"
            if zh
            else "the answer holds text that reads like an instruction: check the sources"
        )
    return warnings


__all__ = ["answer_warnings", "as_data", "disagreements", "has_instruction", "instruction_spans"]

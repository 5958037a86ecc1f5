"""Text that reads like an instruction to a model, wherever it is found (documents, answers).

Used at ingest (a document's flagged sentences are counted in its manifest record) and
on answers (`answering/safety.py`). `as_data()` keeps a source's text from closing the
<source>/<资料> block the prompts put it in.
"""

from __future__ import annotations

import re

from assistant.text.segmentation import sentences

# Each pattern is a way prompt injections are phrased, in Chinese and English; a sentence
# in an ordinary document rarely addresses "the instructions" or "the assistant" this way.
_PATTERNS = [
    r"(忽略|无视|忘记|忘掉|不要理会|不要遵守|跳过)(你)?(之前|以上|前面|上面|上述|先前|所有|全部|此前)?的?"
    r"(所有|全部|一切)?的?(指令|指示|提示词?|规则|要求|设定|命令)",
    r"你(现在|从现在起|从现在开始)?(是|扮演|充当|作为)(一个|一名)?[^，。,.]{0,12}(助手|模型|AI|机器人|角色)",
    r"你现在是",
    r"从现在(开始|起)[，,]?\s*你",
    r"系统提示词|系统指令|你的提示词",
    r"(请|直接|只|必须|一律|务必)(回答|回复|输出)[:：]",
    r"\b(ignore|disregard|forget|override)\b.{0,30}\b(previous|prior|above|earlier|all|your)\b"
    r".{0,20}\b(instructions?|prompts?|rules|directions)\b",
    r"\byou are now\b|\bfrom now on,? you\b|\bact as (a|an)\b|\bpretend to be\b",
    r"\bsystem prompt\b|\bnew instructions?\b|\bdeveloper mode\b",
    r"\b(answer|reply|respond) (only |just )?(with|that)\b.{0,40}[:：]",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.I)

_DELIMITER = re.compile(r"</?\s*(资料|source)\s*>", re.I)


def as_data(text: str) -> str:
    """Source text for the prompt's <source>/<资料> blocks: no tag inside can close them."""
    return _DELIMITER.sub(" ", text)


def instruction_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences of `text` that read like instructions to a model."""
    return [(s, e) for s, e in sentences(text) if _INSTRUCTION.search(text[s:e])]


def has_instruction(text: str) -> bool:
    return bool(_INSTRUCTION.search(text or ""))


__all__ = ["as_data", "has_instruction", "instruction_spans"]

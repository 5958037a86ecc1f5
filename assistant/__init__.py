"""A retrieval-augmented assistant for Chinese documents, with verified citations.

Usage::

    from assistant import Assistant
    bot = Assistant.from_settings()
    answer = bot.ask("瑞金医院金山院区一期规划多少张床位？")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.answering.chain import Assistant
    from assistant.schema import Answer, Citation
    from assistant.settings import Settings

__all__ = ["Answer", "Assistant", "Citation", "Settings"]


def __getattr__(name: str):
    # Imported lazily so `assistant --help` starts fast and light commands skip the heavy stack.
    if name == "Assistant":
        from assistant.answering.chain import Assistant

        return Assistant
    if name in {"Answer", "Citation"}:
        from . import schema

        return getattr(schema, name)
    if name == "Settings":
        from assistant.settings import Settings

        return Settings
    raise AttributeError(name)

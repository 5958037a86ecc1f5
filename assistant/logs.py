"""Logging at the edges (the CLI and the chat server): one level, no library's DEBUG lines."""

from __future__ import annotations

import logging

NOISY_LOGGERS = ("bm25s", "jieba")  # set themselves to DEBUG when imported


def configure_logging(level_name: str) -> None:
    """The server log at ASSISTANT_LOG_LEVEL, with no library's DEBUG lines below it.

    bm25s and jieba set their own loggers to DEBUG (jieba with its own handler), so the
    root level alone lets their lines through: a filter on those loggers holds them back.
    """
    level = logging.getLevelName(level_name.upper())
    level = level if isinstance(level, int) else logging.WARNING
    logging.basicConfig(level=level)
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if getattr(f, "assistant_level", None) is not None]:
            logger.removeFilter(old)
        keep = _AtLeast(level)
        logger.addFilter(keep)


class _AtLeast(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.assistant_level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.assistant_level

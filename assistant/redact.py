"""Secrets never leave the process: one function strips them from any text shown or written.

`redact()` removes credentials inside URLs (`http://user:pass@host`), API keys
(`sk-…`, `Bearer …`, `api_key=…`) and the configured OPENAI_API_KEY / EMBEDDINGS_API_KEY
values wherever they appear. The CLI and the UI call it on every message, notice and
export they produce, and `install_log_filter()` applies it to every log record.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

MASK = "***"

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@:]*:[^/\s@]*@", re.I)
_URL_USER = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@:]+@", re.I)
_KEYS = [
    re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}"),  # OpenAI-style keys (sk-proj-…, sk-…)
    re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)\b(api[_-]?key|access[_-]?token|token|password|secret)(\s*[=:]\s*)[^\s&,;'\"]+"
    ),
]
_SETTING_NAMES = ("OPENAI_API_KEY", "LLM_API_KEY", "EMBEDDINGS_API_KEY")
_extra: set[str] = set()


def register_secret(*values: object) -> None:
    """Also redact these exact values (e.g. keys read from `.env` rather than the environment)."""
    for value in values:
        secret = getattr(value, "get_secret_value", lambda v=value: v)()
        if isinstance(secret, str) and len(secret) >= 4:
            _extra.add(secret)


def _configured() -> Iterable[str]:
    for name in _SETTING_NAMES:
        value = os.environ.get(name, "")
        if len(value) >= 4:
            yield value
    yield from _extra


def redact(text: object) -> str:
    """`text` with every credential replaced by ***."""
    out = str(text) if text is not None else ""
    for secret in sorted(set(_configured()), key=len, reverse=True):
        out = out.replace(secret, MASK)
    out = _URL_CREDENTIALS.sub(rf"\g<scheme>{MASK}@", out)
    out = _URL_USER.sub(rf"\g<scheme>{MASK}@", out)
    out = _KEYS[0].sub(lambda m: f"{m.group(1)}-{MASK}", out)
    out = _KEYS[1].sub(lambda m: f"{m.group(1)} {MASK}", out)
    out = _KEYS[2].sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", out)
    return out


class RedactingFilter(logging.Filter):
    """Redacts the formatted message of every record (arguments included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: leave it to the handler
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install_log_filter(settings=None) -> None:
    """Redact every log line: on the root logger's handlers (and on new records everywhere)."""
    if settings is not None:
        register_secret(settings.llm.api_key, settings.embeddings.api_key)
        for url in (settings.llm.base_url, settings.embeddings.base_url):
            for m in _URL_CREDENTIALS.finditer(url or ""):
                register_secret(m.group(0)[len(m.group("scheme")) : -1])
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for f in root.filters):
        root.addFilter(RedactingFilter())
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacting", False):

        def redacting_factory(*args, **kwargs):
            record = factory(*args, **kwargs)
            RedactingFilter().filter(record)
            return record

        redacting_factory.redacting = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(redacting_factory)


__all__ = ["MASK", "RedactingFilter", "install_log_filter", "redact", "register_secret"]

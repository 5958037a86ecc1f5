"""Redaction of credentials in messages, exports and log lines (assistant/redact.py)."""

from __future__ import annotations

import logging

from assistant.redact import RedactingFilter, redact, register_secret


def test_url_credentials_keys_and_tokens_go():
    text = (
        "cannot connect to http://bob:hunter2@10.0.0.1:8000/v1 with sk-proj-ABCDEFGH12345678 "
        "Authorization: Bearer abcdefghijkl0123 api_key=s3cr3tvalue https://tok@host/x"
    )
    out = redact(text)
    for secret in (
        "hunter2",
        "bob:",
        "ABCDEFGH12345678",
        "abcdefghijkl0123",
        "s3cr3tvalue",
        "tok@",
    ):
        assert secret not in out
    assert "http://***@10.0.0.1:8000/v1" in out and "https://***@host/x" in out


def test_configured_keys_go_wherever_they_are(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "plainkey-without-prefix")
    assert redact("the key plainkey-without-prefix was rejected") == "the key *** was rejected"
    register_secret("another-registered-value")
    assert "another-registered-value" not in redact("x another-registered-value y")


def test_ordinary_text_is_untouched():
    text = "瑞金医院金山院区一期规划床位400张 http://127.0.0.1:8000/v1 [1]"
    assert redact(text) == text


def test_the_log_filter_redacts_arguments_and_tracebacks():
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "failed: %s", ("http://u:pw12345@h/v1",), None
    )
    try:
        raise RuntimeError("key sk-abcdefghijklmnop")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert "pw12345" not in record.getMessage() and "abcdefghijklmnop" not in record.exc_text

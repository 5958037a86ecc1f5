"""The chat model: ChatOpenAI from `langchain-openai` against any OpenAI-compatible endpoint.

`make_chat_model` is the one factory: the chain and the judge both use it. Any other
LangChain `BaseChatModel` can be passed to `assistant.langchain.build_chain` instead.

`explain()` turns whatever the `openai` client raised into one sentence that says what
to fix; the chain shows it as the answer's notice and falls back to extractive mode.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigError, ModelError
from assistant.redact import redact
from assistant.settings import LLMSettings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


def make_chat_model(
    settings: LLMSettings, *, streaming: bool = True, temperature: float | None = None
) -> BaseChatModel:
    """ChatOpenAI for the settings' endpoint; `temperature` overrides LLM_TEMPERATURE."""
    from langchain_openai import ChatOpenAI

    if settings.api_key is None:
        raise ConfigError(
            "LLM mode needs OPENAI_API_KEY (any value for a local server such as Ollama or vLLM)"
        )
    return ChatOpenAI(
        model=settings.model,
        api_key=settings.api_key,
        base_url=settings.base_url,
        temperature=settings.temperature if temperature is None else temperature,
        timeout=settings.timeout_s,
        max_retries=settings.max_retries,
        streaming=streaming,
    )


class IncompleteStreamError(ModelError):
    """The stream ended without a finish reason: the connection was cut mid-answer."""


def complete_text(chunks: Iterator[Any]) -> Iterator[str]:
    """The text of streamed message chunks; `IncompleteStreamError` when an OpenAI-compatible
    stream ended without a chunk saying it finished.

    A stream cut mid-way (no `[DONE]`, no `finish_reason`) otherwise looks like a short
    answer. Only streams that speak the OpenAI protocol (their chunks name a
    `model_provider` or `model_name`) promise a finish reason; any other `BaseChatModel` is
    taken at its word. Use as the parser of an LCEL chain:
    `prompt | model | RunnableGenerator(complete_text)`.
    """
    finished = promised = False
    for chunk in chunks:
        meta = getattr(chunk, "response_metadata", None) or {}
        finished = finished or bool(meta.get("finish_reason"))
        promised = promised or bool(meta.get("model_provider") or meta.get("model_name"))
        content = getattr(chunk, "content", chunk)
        text = content if isinstance(content, str) else str(getattr(chunk, "text", ""))
        if text:
            yield text
    if promised and not finished:
        raise IncompleteStreamError("the stream ended before the model said it had finished")


def explain(exc: BaseException, settings: LLMSettings) -> ModelError:
    """A `ModelError` whose message says what to fix."""
    import httpx
    import openai

    where = settings.base_url or "the OpenAI API"
    if isinstance(exc, IncompleteStreamError):
        msg = f"{where} cut the answer off mid-way (no finish reason): check the server, then ask again"
    elif isinstance(exc, openai.AuthenticationError):
        msg = f"{where} rejected the API key (HTTP 401): check OPENAI_API_KEY"
    elif isinstance(exc, openai.PermissionDeniedError):
        msg = f"{where} refused access (HTTP 403): check that the key may use model {settings.model!r}"
    elif isinstance(exc, openai.NotFoundError):
        msg = f"{where} does not know model {settings.model!r} (HTTP 404): check LLM_MODEL and OPENAI_BASE_URL"
    elif isinstance(exc, openai.RateLimitError):
        msg = f"{where} is rate limiting or out of quota (HTTP 429): wait and retry, or check your plan"
    elif isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        msg = f"{where} did not answer within {settings.timeout_s:g}s: check the server or raise LLM_TIMEOUT_S"
    elif isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        msg = f"cannot connect to {where}: check OPENAI_BASE_URL and that the server is running"
    elif isinstance(exc, openai.APIStatusError):
        msg = f"{where} answered HTTP {exc.status_code}: check the server's logs"
    elif isinstance(
        exc, openai.APIResponseValidationError | json.JSONDecodeError | ValueError | KeyError
    ):
        msg = f"{where} sent a malformed response ({type(exc).__name__}): check that it speaks the OpenAI chat API"
    else:
        msg = f"the LLM call failed ({type(exc).__name__}: {exc}): check OPENAI_BASE_URL and LLM_MODEL"
    return ModelError(redact(msg))

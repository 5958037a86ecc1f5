"""Serving the chat: `launch()` (`assistant serve`) builds the Assistant once, warms it up
in the background, and serves `app.build_app`'s Blocks with their theme, CSS and head on
127.0.0.1 by default, after checking that the address is free.

Offline by design: analytics off, no server-side rendering (no Node process), no external
fonts (a CJK system font stack), nothing fetched from a CDN.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.login import login_parts  # noqa: E402
from assistant.logs import configure_logging  # noqa: E402
from assistant.redact import install_log_filter  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.ui.app import build_app  # noqa: E402
from assistant.ui.handlers import parse_users  # noqa: E402
from assistant.ui.i18n import LANGUAGES, t  # noqa: E402
from assistant.ui.render import CSS, HEAD, upload_guard  # noqa: E402

if TYPE_CHECKING:
    from assistant.answering.chain import Assistant

log = logging.getLogger(__name__)

CJK_FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "system-ui",
    "sans-serif",
]


def theme() -> gr.themes.Base:
    return gr.themes.Soft(
        font=CJK_FONTS, font_mono=["Noto Sans Mono CJK SC", "ui-monospace", "monospace"]
    )


def serve(
    app: gr.Blocks,
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    **kwargs: Any,
) -> Any:
    """Queue and launch a built app with its theme, CSS and head (Gradio 6 takes them here)."""
    app.queue(default_concurrency_limit=settings.ui.concurrency)
    auth, app_kwargs = login_parts(parse_users(settings.ui.users))  # throttled, routes closed
    return app.launch(
        server_name=host or settings.ui.host,
        server_port=port or settings.ui.port,
        auth=auth,
        app_kwargs=app_kwargs,
        max_file_size=f"{settings.ui.max_upload_mb}mb",
        theme=theme(),
        css=CSS,
        head=HEAD
        + upload_guard(
            settings.ui.max_upload_mb,
            {
                code: t(code, "kb_too_big_client", mb=settings.ui.max_upload_mb)
                for code in LANGUAGES
            },
        ),
        footer_links=[],
        ssr_mode=False,
        mcp_server=False,
        show_error=False,
        **kwargs,
    )


def launch(host: str | None = None, port: int | None = None) -> None:
    """`assistant serve`: build the Assistant once, then serve the chat until interrupted."""
    from assistant.answering.chain import Assistant

    settings = Settings()
    configure_logging(settings.log_level)
    install_log_filter(settings)  # no key or URL credential in any log line
    check_port(host or settings.ui.host, port or settings.ui.port)  # before seconds of loading
    assistant = Assistant.from_settings(settings)
    threading.Thread(target=warm_up, args=(assistant,), name="warm-up", daemon=True).start()
    serve(build_app(assistant, settings), settings, host, port)


def warm_up(assistant: Assistant) -> None:
    """`Assistant.warm_up` while the chat starts and the user types: a failure only leaves
    the loading to the first question, which then reports what is wrong."""
    try:
        assistant.warm_up()
    except Exception as exc:  # noqa: BLE001 - logged; the first question meets it again
        log.warning("warm-up skipped: %s", exc)  # the log filter redacts any secret


def check_port(host: str, port: int) -> None:
    """`ConfigError` saying what to do when the chat's address is taken (Gradio's own error
    is a traceback that names an environment variable this project does not read)."""
    import socket

    from assistant.errors import ConfigError

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot serve on {host}:{port} ({exc.strerror or exc}): another program "
                "(perhaps another `assistant serve`) uses it; stop it, or choose another port "
                "with --port or UI_PORT"
            ) from exc


__all__ = ["launch", "serve", "theme", "check_port"]
